#!/usr/bin/env python3
"""make fuzz: boot weft, run the in-guest system-call fuzzer, judge it.

  python3 tools/fuzz.py --seconds 120 --cpus 2 --seed 7 [--tick 100]

Boots QEMU on a snapshot of the disk image (like the tests), types
`fuzz SECONDS SEED` at the shell prompt and follows the console. The run
fails on a kernel panic, on the fuzzer's FAIL line, on QEMU dying, and on a
hang: nothing printed for --silence seconds (the fuzzer prints progress
every 10 s) or no verdict by SECONDS + --margin. On a hang or a FAIL it types
Ctrl-P (the kernel lists every process and thread) before killing QEMU.
Exits 0 only on PASS. The console goes to build/fuzz-logs/seed-S-cpus-C.log
(seed-S-cpus-C-tickT.log for a tick other than 100).
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weftqemu import BUILD, Guest, qemu_cmd  # noqa: E402

LOGDIR = os.path.join(BUILD, "fuzz-logs")
PANIC_RE = re.compile(r"^\s*panic\b")
VERDICT_RE = re.compile(r"^fuzz: .*seed \d+: (PASS|FAIL)")


def main():
    ap = argparse.ArgumentParser(description="Run weft's system-call fuzzer.")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tick", type=int, default=100)
    ap.add_argument("--args", default="",
                    help="more kernel boot arguments, e.g. shootdown=brigade")
    ap.add_argument("--procs", type=int, default=None,
                    help="worker processes (fuzzer default 4)")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads per worker (fuzzer default 4)")
    ap.add_argument("--margin", type=int, default=180,
                    help="seconds past --seconds before the run counts as hung")
    ap.add_argument("--silence", type=int, default=90,
                    help="seconds without console output that count as a hang")
    ap.add_argument("--quiet", action="store_true",
                    help="do not echo the console")
    a = ap.parse_args()

    rerun = "python3 tools/fuzz.py --seconds %d --cpus %d --seed %d --tick %d" % (
        a.seconds, a.cpus, a.seed, a.tick)
    if a.args:
        rerun += " --args '%s'" % a.args
    command = "fuzz %d %d" % (a.seconds, a.seed)
    if a.procs is not None or a.threads is not None:
        command += " %d" % (a.procs if a.procs is not None else 4)
        rerun += " --procs %d" % (a.procs if a.procs is not None else 4)
        if a.threads is not None:
            command += " %d" % a.threads
            rerun += " --threads %d" % a.threads
    for f in ("kernel.elf", "fs.img", os.path.join("bin", "fuzz")):
        if not os.path.exists(os.path.join(BUILD, f)):
            print("fuzz.py: build/%s is missing; run `make all` first" % f,
                  file=sys.stderr)
            return 2
    os.makedirs(LOGDIR, exist_ok=True)
    logpath = os.path.join(LOGDIR, "seed-%d-cpus-%d%s.log" % (
        a.seed, a.cpus, "" if a.tick == 100 else "-tick%d" % a.tick))

    with open(logpath, "wb") as log:
        cmd = qemu_cmd(a.cpus, a.tick, a.args)
        log.write(("==== %s\n==== then typed: %s\n" % (" ".join(cmd), command))
                  .encode())
        log.flush()
        g = Guest(cmd, echo=None if a.quiet else sys.stdout, log=log)
        verdict, why = None, ""
        try:
            if not g.wait_for(lambda out: out.endswith(b"$ "), 60):
                why = "no shell prompt within 60 s"
            else:
                g.type(command + "\n")
                verdict, why = follow(g, a)
            if verdict != "PASS" and g.proc.poll() is None:
                # Ctrl-P: the kernel lists every process and thread.
                g.type("\x10")
                g.wait_for(lambda out: False, 3)
            elif verdict == "PASS":
                g.type("poweroff\n")
                g.wait_exit(10)
        finally:
            g.kill()

    print()
    if verdict == "PASS":
        print("fuzz.py: PASS (%s; log %s)" % (command, os.path.relpath(logpath)))
        return 0
    print("fuzz.py: FAIL: %s" % why)
    print("fuzz.py: log: %s" % os.path.relpath(logpath))
    print("fuzz.py: re-run: %s" % rerun)
    return 1


def follow(g, a):
    """Reads console lines until a verdict; returns (verdict, why)."""
    deadline = time.monotonic() + a.seconds + a.margin
    pos = 0
    last_output = time.monotonic()
    while True:
        now = time.monotonic()
        if now > deadline:
            return None, "no verdict within %d s (hang)" % (a.seconds + a.margin)
        if now - last_output > a.silence:
            return None, "no console output for %d s (hang)" % a.silence
        before = len(g.out)
        got = g._read_some(1.0)
        if got is None:
            # QEMU exited; look at what it printed last.
            for line in lines_from(g.out, pos):
                if PANIC_RE.match(line):
                    g.wait_exit(1)
                    return None, "kernel " + line.strip()
            return None, "QEMU exited with status %s" % g.proc.wait()
        if len(g.out) > before:
            last_output = time.monotonic()
        while True:
            i = g.out.find(b"\n", pos)
            if i < 0:
                break
            line = g.out[pos:i].decode("utf-8", "replace").rstrip("\r")
            pos = i + 1
            if PANIC_RE.match(line):
                g.wait_exit(3)  # let the backtrace come out
                return None, "kernel " + line.strip()
            m = VERDICT_RE.match(line)
            if m:
                return m.group(1), line.strip()


def lines_from(out, pos):
    return out[pos:].decode("utf-8", "replace").split("\n")


if __name__ == "__main__":
    sys.exit(main())
