#!/usr/bin/env python3
"""make trace CMD='...' CPUS=N: boot weft with its event trace on, run CMD
under the `trace` program, and draw what every hart did.

  python3 tools/timeline.py [--cpus N] [--out build/trace] -- "testthreads 4 1000"
  python3 tools/timeline.py --from-console FILE [--out DIR]   (no boot)

Writes, in the output directory:
  trace.txt   the console lines the guest printed (@trace ... @end)
  trace.json  Chrome/Perfetto trace events: open it in ui.perfetto.dev or
              chrome://tracing
  trace.html  a page of its own (no network) with one lane per hart:
              threads as coloured spans, system calls as ticks, wake-up and
              IPI arrows, fences, faults, sleeps and lock spins; zoom with
              the wheel, drag to pan, hover for details

The record format is include/weft/trace.h; user/programs/trace.c prints it.
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weftqemu import BUILD, ROOT, Guest, qemu_cmd  # noqa: E402

TR_ON, TR_OFF, TR_SYSCALL, TR_SLEEP, TR_WAKE = 1, 2, 3, 4, 5
TR_IPI_SEND, TR_IPI_RECV, TR_FENCE, TR_FAULT = 6, 7, 8, 9
TR_THREAD_NEW, TR_THREAD_EXIT, TR_LOCK_SPIN = 10, 11, 12
STATES = {1: "runnable", 2: "sleeping", 3: "exited"}
FAULTS = {12: "instruction page fault", 13: "load page fault", 15: "store page fault"}


def syscall_names():
    names = {}
    with open(os.path.join(ROOT, "include", "weft", "syscall.h")) as f:
        for m in re.finditer(r"#define SYS_(\w+)\s+(\d+)", f.read()):
            if m.group(1) != "MAX":
                names[int(m.group(2))] = m.group(1)
    return names


def s64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def parse(text):
    """The @-lines of the console: (header, names, records by hart)."""
    head, names, recs = None, {}, []
    for line in text.replace("\r", "").split("\n"):
        f = line.split()
        if not f or not f[0].startswith("@"):
            continue
        if f[0] == "@trace":
            head = {"harts": int(f[1], 16), "hz": int(f[2], 16), "capacity": int(f[3], 16),
                    "recorded": {}}
        elif f[0] == "@recorded" and head:
            head["recorded"][int(f[1], 16)] = int(f[2], 16)
        elif f[0] == "@name":
            names[int(f[1], 16)] = " ".join(f[2:])
        elif f[0] == "@r" and len(f) == 8:
            h, t, ty, aux, tid, a, b = (int(x, 16) for x in f[1:])
            recs.append({"hart": h, "t": t, "type": ty, "aux": aux, "tid": s64(tid),
                         "a": s64(a), "b": s64(b)})
    if head is None:
        raise SystemExit("trace: no @trace header in the console output")
    recs.sort(key=lambda r: (r["t"], r["hart"]))
    return head, names, recs


def name_of(a, b):
    raw = a.to_bytes(8, "little", signed=True) + b.to_bytes(8, "little", signed=True)
    return raw.split(b"\0")[0].decode("ascii", "replace")


def model(head, names, recs):
    """What the page and the JSON draw, in microseconds from the start."""
    us = 1e6 / head["hz"]
    sysname = syscall_names()
    end = max((r["t"] for r in recs), default=0)
    spans, syscalls, wakes, ipis, marks = [], [], [], [], []
    running = {}  # hart -> the open span
    pending_wakes = {}  # wakee tid -> wakes waiting for it to run
    pending_ipis = {}  # hart -> IPIs sent to it, not yet received
    for r in recs:
        h, t, ty, tid = r["hart"], r["t"] * us, r["type"], r["tid"]
        if ty == TR_ON:
            if h in running:
                running[h][2] = t
            span = [h, t, None, tid, r["aux"], name_of(r["a"], r["b"]), ""]
            running[h] = span
            spans.append(span)
            for w in pending_wakes.pop(tid, []):
                w[4], w[5] = h, t
        elif ty == TR_OFF:
            span = running.pop(h, None)
            if span:
                span[2] = t
                span[6] = STATES.get(r["aux"], "?")
        elif ty == TR_SYSCALL:
            nr = r["aux"]
            syscalls.append([h, r["a"] * us, t, tid, sysname.get(nr, f"#{nr}"), r["b"]])
        elif ty == TR_WAKE:
            w = [h, t, tid, r["a"], None, None]
            wakes.append(w)
            pending_wakes.setdefault(r["a"], []).append(w)
        elif ty == TR_IPI_SEND:
            for to in range(head["harts"]):
                if r["a"] >> to & 1:
                    ipi = [h, t, to, None]
                    ipis.append(ipi)
                    pending_ipis.setdefault(to, []).append(ipi)
        elif ty == TR_IPI_RECV:
            for ipi in pending_ipis.pop(h, []):
                ipi[3] = t
        elif ty == TR_SLEEP:
            marks.append([h, t, "sleep", tid, f"tid {tid} sleeps on {names.get(r['aux'], '?')}"
                                               f" (key {r['a']:#x})"])
        elif ty == TR_FENCE:
            to = [str(i) for i in range(head["harts"]) if r["a"] >> i & 1]
            marks.append([h, t, "fence", tid, f"remote fence of address space {r['b']} "
                                               f"on hart {', '.join(to)}"])
        elif ty == TR_FAULT:
            what = FAULTS.get(r["aux"], f"scause {r['aux']}")
            how = "copy-on-write copy made" if r["b"] else "the thread is ended"
            marks.append([h, t, "fault", tid, f"tid {tid}: {what} at {r['a']:#x}: {how}"])
        elif ty == TR_THREAD_NEW:
            marks.append([h, t, "new", tid, f"tid {tid} starts tid {r['a']} (pid {r['b']})"])
        elif ty == TR_THREAD_EXIT:
            marks.append([h, t, "exit", tid, f"tid {tid} exits"])
        elif ty == TR_LOCK_SPIN:
            held = f", held by hart {r['b']}" if r["b"] >= 0 else ""
            marks.append([h, t, "spin", tid, f"tid {tid} spun {r['a'] * us:.1f} us for lock "
                                              f"{names.get(r['aux'], '?')}{held}", r["a"] * us])
    for span in running.values():
        span[2] = end * us
    return {"harts": head["harts"], "end": end * us, "spans": spans, "syscalls": syscalls,
            "wakes": wakes, "ipis": ipis, "marks": marks,
            "recorded": [head["recorded"].get(i, 0) for i in range(head["harts"])],
            "capacity": head["capacity"]}


def chrome_json(m):
    """Chrome trace events: one "thread" per hart in one process."""
    ev = [{"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "weft"}}]
    for h in range(m["harts"]):
        ev.append({"ph": "M", "name": "thread_name", "pid": 1, "tid": h,
                   "args": {"name": f"hart {h}"}})
    for h, t0, t1, tid, pid, name, state in m["spans"]:
        ev.append({"ph": "X", "name": f"tid {tid} {name}", "pid": 1, "tid": h, "ts": t0,
                   "dur": max(t1 - t0, 0), "cat": "thread",
                   "args": {"tid": tid, "pid": pid, "then": state}})
    for h, t0, t1, tid, call, res in m["syscalls"]:
        ev.append({"ph": "i", "s": "t", "name": f"{call} = {res}", "pid": 1, "tid": h,
                   "ts": t1, "cat": "syscall",
                   "args": {"tid": tid, "entered_us": t0, "took_us": t1 - t0}})
    for i, (h, t, waker, wakee, h2, t2) in enumerate(m["wakes"]):
        if t2 is None:
            continue
        ev.append({"ph": "s", "id": i, "name": "wake-up", "cat": "wake", "pid": 1, "tid": h,
                   "ts": t, "bp": "e"})
        ev.append({"ph": "f", "id": i, "name": "wake-up", "cat": "wake", "pid": 1, "tid": h2,
                   "ts": t2, "bp": "e"})
    for h, t, to, t2 in m["ipis"]:
        ev.append({"ph": "i", "s": "t", "name": f"IPI to hart {to}", "pid": 1, "tid": h,
                   "ts": t, "cat": "ipi"})
        if t2 is not None:
            ev.append({"ph": "i", "s": "t", "name": "IPI received", "pid": 1, "tid": to,
                       "ts": t2, "cat": "ipi"})
    for mk in m["marks"]:
        h, t, kind, tid, text = mk[:5]
        ev.append({"ph": "i", "s": "t", "name": text, "pid": 1, "tid": h, "ts": t,
                   "cat": kind})
    return {"traceEvents": ev, "displayTimeUnit": "ns"}


def write_outputs(text, out, title):
    head, names, recs = parse(text)
    m = model(head, names, recs)
    m["title"] = title
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "trace.json"), "w") as f:
        json.dump(chrome_json(m), f)
    with open(os.path.join(ROOT, "tools", "traceview.html")) as f:
        page = f.read()
    data = json.dumps(m, separators=(",", ":")).replace("</", "<\\/")
    page = page.replace("/*TRACE_DATA*/null", data).replace("TRACE_TITLE", html_escape(title))
    with open(os.path.join(out, "trace.html"), "w") as f:
        f.write(page)
    threads = {s[3] for s in m["spans"]}
    print(f"trace: {len(recs)} records on {head['harts']} harts, {len(m['spans'])} spans of "
          f"{len(threads)} threads, {len(m['syscalls'])} system calls, {m['end'] / 1000:.1f} ms")
    for h, n in enumerate(m["recorded"]):
        if n > head["capacity"]:
            print(f"trace: hart {h} recorded {n} events; the oldest {n - head['capacity']} "
                  f"were overwritten (boot with trace=N for more)")
    print(f"trace: wrote {os.path.relpath(out)}/trace.html and trace.json")
    return m


def html_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# QEMU's instruction-counting clock (docs/design.md, Harts under -icount):
# the trace then repeats exactly from run to run, whatever the host does.
ICOUNT = ["-icount", "shift=0,align=off,sleep=off"]


def run_guest(cpus, tick, cmd, records, timeout, icount=False, extra=""):
    args = ("trace" if records is None else f"trace={records}") + (" " + extra if extra else "")
    cmdline = qemu_cmd(cpus, tick, args=args + (" icount" if icount else ""))
    g = Guest(cmdline + (ICOUNT if icount else []))
    try:
        if not g.wait_for(lambda o: o.endswith(b"$ "), 60):
            raise SystemExit("trace: no shell prompt within 60 s")
        g.out = b""
        g.type(f"trace run {cmd}\n")
        if not g.wait_for(lambda o: (b"@end" in o or b"usage" in o or b"trace: " in o)
                          and o.endswith(b"$ "), timeout):
            raise SystemExit(f"trace: the command did not finish within {timeout} s")
        return g.out.decode("utf-8", "replace")
    finally:
        g.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--tick", type=int, default=100)
    ap.add_argument("--records", type=int, default=None, help="records per hart")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--args", default="", help="more kernel boot arguments")
    ap.add_argument("--icount", action="store_true",
                    help="count instructions as time: the same trace every run")
    ap.add_argument("--out", default=os.path.join(BUILD, "trace"))
    ap.add_argument("--from-console", help="draw an earlier trace.txt instead of booting")
    ap.add_argument("cmd", nargs="?")
    a = ap.parse_args()
    if a.from_console:
        with open(a.from_console) as f:
            text = f.read()
        title = os.path.basename(a.from_console)
    else:
        if not a.cmd:
            ap.error("a command to run is needed")
        text = run_guest(a.cpus, a.tick, a.cmd, a.records, a.timeout, a.icount, a.args)
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "trace.txt"), "w") as f:
            f.write(text)
        title = f"{a.cmd} (CPUS={a.cpus}{', icount' if a.icount else ''})"
    if "@end" not in text:
        print(text[-2000:])
        raise SystemExit("trace: the guest printed no trace")
    write_outputs(text, a.out, title)


if __name__ == "__main__":
    main()
