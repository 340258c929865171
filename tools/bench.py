#!/usr/bin/env python3
"""make bench: boot weft once per hart count, run `bench` and `bench-sync`,
and print one table of the per-operation costs side by side.

  python3 tools/bench.py [--cpus 1,2] [--icount] [--out build/bench]

With --icount (make bench ICOUNT=1) QEMU runs with
`-icount shift=0,align=off,sleep=off`: the guest's clock advances by one
nanosecond per executed instruction, so an "ns" figure is an instruction
count, exact and repeatable whatever else the host is doing. QEMU then
runs the harts one at a time; the kernel's `icount` boot argument makes
them take turns (docs/design.md, Harts under -icount), and bench-sync runs
only on CPUS=1. Without it the
figures are wall time and move with the host's load; compare columns of one
run, not runs of different days.

Each hart count is booted a second time with `shootdown=brigade` to run
`bench shrink` alone: its "sbrk shrink brigade" rows stand beside the
"sbrk shrink ipi" rows of the first boot (docs/design.md, TLB shootdown).

With --rounds N (make bench ROUNDS=N) every hart count is booted N times,
the counts taking turns, and each figure is the median of its N: a noisy
host then moves the table less.

Writes build/bench/bench[-icount].csv (mode, cpus, operation, value, unit)
and build/bench/bench[-icount].svg, a chart of each operation's cost per
hart count."""

import argparse
import csv
import os
import re
import statistics
import sys

from weftqemu import BUILD, Guest, qemu_cmd

ICOUNT = ["-icount", "shift=0,align=off,sleep=off"]
OP_RE = re.compile(r"^(\S.*?)\s+(\d+) ns/op")
RATE_RE = re.compile(r"^(\S.*?)\s+(\d+\.\d+) MiB/s")
# bench-sync's table: | harts | threads | lock | uncontended ns | ops/ms | ...
SHRINK_RE = re.compile(r"^sbrk shrink (ipi|brigade), (\d) thread")
SYNC_RE = re.compile(r"^\|\s*\d+\s*\|\s*(\d+)\s*\|\s*(\S.*?)\s*\|\s*(\d+)\s*\|"
                     r"\s*(\d+)\s*\|")


def at_prompt(out):
    return out.endswith(b"$ ")


def run_guest(cpus, icount, timeout, log, brigade=False):
    """Boots, runs both programs (only `bench shrink` with brigade, in a
    boot with shootdown=brigade); returns [(operation, value, unit)]."""
    # "icount" tells the kernel to share the harts' turns (docs/design.md,
    # Harts under -icount): QEMU 7.2 alone can starve all but one hart.
    args = ("icount " if icount else "") + ("shootdown=brigade" if brigade else "")
    cmd = qemu_cmd(cpus, 100, args.strip()) + (ICOUNT if icount else [])
    g = Guest(cmd, log=log)
    rows = []
    try:
        if not g.wait_for(at_prompt, 120):
            sys.exit(f"bench: CPUS={cpus}: no shell prompt")
        # Under -icount several harts take turns of a tick each (the
        # kernel's "icount" handover), so lock contention between harts
        # would measure that rotation, not the locks: bench-sync's
        # figures there come from CPUS=1 only.
        progs = ["bench"] + ([] if icount and cpus > 1 else ["bench-sync -q"])
        if brigade:
            progs = ["bench shrink"]
        for prog in progs:
            g.out = b""
            g.type(prog + "\n")
            if not g.wait_for(at_prompt, timeout):
                sys.exit(f"bench: CPUS={cpus}: {prog} did not finish in "
                         f"{timeout} s (log {log.name})")
            for line in g.out.decode("utf-8", "replace").splitlines():
                line = line.strip()
                if m := OP_RE.match(line):
                    rows.append((m[1], int(m[2]), "ns"))
                elif m := RATE_RE.match(line):
                    rows.append((m[1], float(m[2]), "MiB/s"))
                elif (m := SYNC_RE.match(line)) and m[1] in ("1", "2"):
                    if m[1] == "1":
                        rows.append((f"{m[2]} lock+unlock", int(m[3]), "ns"))
                    else:
                        rows.append((f"{m[2]}, 2 threads", int(m[4]),
                                     "ops/ms"))
        g.type("poweroff\n")
        g.wait_exit(30)
    finally:
        g.kill()
    return rows


def fmt(v, unit):
    if unit == "MiB/s":
        return f"{v:.2f} MiB/s"
    if unit == "ops/ms":
        return f"{v} ops/ms"
    return f"{v / 1000:.2f}k" if v >= 10000 else f"{v}"


def chart(path, title, ops, cpus_list, table):
    """One group of bars per operation, one bar per hart count, each bar's
    length relative to the largest of its group (costs differ by 1000x
    between operations, so one scale would hide the small ones)."""
    colours = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"]
    bar, gap, left, width = 14, 10, 230, 360
    h = 40 + len(ops) * (bar * len(cpus_list) + gap) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 160}"'
           f' height="{h}" font-family="sans-serif" font-size="11">',
           f'<text x="10" y="20" font-size="14">{title}</text>']
    for i, c in enumerate(cpus_list):
        x = left + i * 90
        out.append(f'<rect x="{x}" y="28" width="10" height="10" '
                   f'fill="{colours[i % 4]}"/><text x="{x + 14}" y="37">'
                   f'CPUS={c}</text>')
    y = 50
    for op, unit in ops:
        vals = [table.get((c, op)) for c in cpus_list]
        top = max((v for v in vals if v is not None), default=1) or 1
        out.append(f'<text x="{left - 6}" y="{y + bar}" text-anchor="end">'
                   f'{op} ({"higher is better" if unit != "ns" else "ns"})'
                   f'</text>')
        for i, v in enumerate(vals):
            if v is None:
                continue
            w = max(1, int(width * v / top))
            out.append(f'<rect x="{left}" y="{y}" width="{w}" height="{bar - 2}"'
                       f' fill="{colours[i % 4]}"/><text x="{left + w + 4}" '
                       f'y="{y + bar - 3}">{fmt(v, unit)}</text>')
            y += bar
        y += gap
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpus", default="1,2", help="hart counts, e.g. 1,2,4")
    ap.add_argument("--icount", action="store_true",
                    help="count instructions instead of wall time")
    ap.add_argument("--timeout", type=int, default=1800,
                    help="seconds for each program to finish")
    ap.add_argument("--rounds", type=int, default=1,
                    help="boots per hart count; figures are the medians")
    ap.add_argument("--out", default=os.path.join(BUILD, "bench"))
    a = ap.parse_args()
    cpus_list = [int(c) for c in a.cpus.split(",")]
    os.makedirs(a.out, exist_ok=True)
    name = "bench-icount" if a.icount else "bench"
    mode = "instructions" if a.icount else "wall"

    samples, ops = {}, []
    for r in range(a.rounds):
        for c in cpus_list:
            print(f"bench: CPUS={c}{' (icount)' if a.icount else ''}"
                  f"{f' round {r + 1}' if a.rounds > 1 else ''} ...",
                  flush=True)
            for brigade in (False, True):
                logname = f"{name}-cpus{c}{'-brigade' if brigade else ''}.log"
                with open(os.path.join(a.out, logname), "wb") as log:
                    for op, v, unit in run_guest(c, a.icount, a.timeout, log,
                                                 brigade):
                        samples.setdefault((c, op), []).append(v)
                        if (op, unit) not in ops:
                            ops.append((op, unit))
    table = {k: statistics.median_low(v) for k, v in samples.items()}
    # The shrink rows of both designs side by side, by thread count.
    shrink = [o for o in ops if SHRINK_RE.match(o[0])]
    if shrink:
        at = ops.index(shrink[0])
        rest = [o for o in ops if o not in shrink]
        key = lambda o: (SHRINK_RE.match(o[0])[2], SHRINK_RE.match(o[0])[1])
        ops = rest[:at] + sorted(shrink, key=key) + rest[at:]

    with open(os.path.join(a.out, name + ".csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mode", "cpus", "operation", "value", "unit"])
        for op, unit in ops:
            for c in cpus_list:
                if (c, op) in table:
                    w.writerow([mode, c, op, table[(c, op)], unit])

    unit_word = "instructions" if a.icount else "ns"
    print(f"\n| operation | " + " | ".join(f"CPUS={c}" for c in cpus_list) +
          "".join(f" | CPUS={c} slower by" for c in cpus_list[1:]) + " |")
    print("|---|" + "---:|" * (2 * len(cpus_list) - 1))
    for op, unit in ops:
        vals = [table.get((c, op)) for c in cpus_list]
        cells = [fmt(v, unit) if v is not None else "-" for v in vals]
        ratios = []
        for v in vals[1:]:
            b = vals[0]
            if v is None or not b:
                ratios.append("-")
            elif unit == "ns":
                ratios.append(f"{v / b:.2f}x")
            else:  # a rate: slower means a smaller figure
                ratios.append(f"{b / v:.2f}x" if v else "-")
        label = op + (f" ({unit_word})" if unit == "ns" else "")
        print(f"| {label} | " + " | ".join(cells + ratios) + " |")
    for c in cpus_list:
        for k in ("1 thread", "2 threads", "4 threads"):
            ipi = table.get((c, f"sbrk shrink ipi, {k}"))
            bri = table.get((c, f"sbrk shrink brigade, {k}"))
            if ipi and bri:
                print(f"{'' if k != '1 thread' else chr(10)}CPUS={c}, {k}: "
                      f"a 16-page shrink by brigade costs {bri / ipi:.2f}x "
                      f"what it costs by IPI ({fmt(bri, 'ns')} against "
                      f"{fmt(ipi, 'ns')} {unit_word})")
    one, two = "compute, 1 thread", "compute, 2 threads"
    for c in cpus_list:
        if table.get((c, one)) and table.get((c, two)):
            print(f"\nCPUS={c}: two threads did the work of one "
                  f"{table[(c, one)] / table[(c, two)]:.2f}x as fast")
    if a.icount:
        print("\n(The MiB/s rates include disk waits, which -icount does not "
              "count exactly:\n the disk answers in host time. Compare them "
              "in wall-time runs.)")
    chart(os.path.join(a.out, name + ".svg"),
          f"weft bench ({mode})", ops, cpus_list, table)
    print(f"\nbench: wrote {a.out}/{name}.csv and {name}.svg")


if __name__ == "__main__":
    main()
