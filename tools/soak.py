#!/usr/bin/env python3
"""make soak: boot weft and run the continuous-hours-of-operation mix.

  python3 tools/soak.py --minutes 10 --cpus 2            (make soak MINUTES=10)
  python3 tools/soak.py --seconds 60 --round 10 --every 1  a quick check

Boots QEMU (the disk opened with snapshot=on, so the image is never
changed), waits for the shell prompt, types `soak N` (user/programs/soak/)
and follows the console. The run fails on:
  - a kernel panic (the backtrace is run through addr2line),
  - no `soak:` line for --deadline seconds (a hang: Ctrl-P makes the kernel
    list every process and thread, then QEMU is killed),
  - a FAIL from the soak (Ctrl-P too, to show what is left running),
  - QEMU exiting before the soak's last line, or the run passing its limit.
After the soak's last line the shell's `poweroff` passes the soak's exit
status on as QEMU's. The console goes to build/soak-logs/. Exit status 0
only if the soak printed PASS and QEMU exited 0.
"""

import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weftqemu import BUILD, ROOT, Guest, qemu_cmd  # noqa: E402

LOGDIR = os.path.join(BUILD, "soak-logs")
BOOT_TIMEOUT = 60
PANIC_RE = re.compile(r"^\s*panic\b")
ROUND_RE = re.compile(r"^soak: round (\d+), .*: (ok|FAIL.*)$")
FINAL_RE = re.compile(r"^soak: (\d+) rounds, ([0-9.]+) minutes: (PASS|FAIL.*)$")
ADDR_RE = re.compile(r"^\s*(0x[0-9a-f]+)\s*$")


def say(text):
    print("soak.py: " + text, flush=True)


def addr2line(addrs):
    """Function and line of each kernel return address, as text lines."""
    tool = "riscv64-linux-gnu-addr2line"
    try:
        out = subprocess.run([tool, "-f", "-C", "-p", "-e",
                              os.path.join(BUILD, "kernel.elf")] + addrs,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        return ["(%s failed: %s)" % (tool, e)]
    return ["  %s  %s" % (a, ln.replace(ROOT + "/", ""))
            for a, ln in zip(addrs, out.splitlines())]


class Lines:
    """The guest's console, one line at a time."""

    def __init__(self, guest):
        self.g, self.pos = guest, 0

    def next(self, timeout):
        """('line', text), ('timeout', None) or ('exit', status)."""
        if self.g.wait_for(lambda out: out.find(b"\n", self.pos) >= 0,
                           max(timeout, 0)):
            i = self.g.out.index(b"\n", self.pos)
            line = self.g.out[self.pos:i].decode("utf-8", "replace")
            self.pos = i + 1
            return "line", line.rstrip("\r")
        if self.g.proc.poll() is not None:
            return "exit", self.g.proc.returncode
        return "timeout", None

    def rest(self):
        text = self.g.out[self.pos:].decode("utf-8", "replace")
        self.pos = len(self.g.out)
        return [ln.rstrip("\r") for ln in text.split("\n")]


def procdump(guest):
    """Ctrl-P: the kernel lists every process and thread."""
    guest.type("\x10")
    guest.wait_for(lambda out: False, 3)


def run(a, log):
    cmd = qemu_cmd(a.cpus, a.tick, a.args, mem=a.mem)
    soak_cmd = ("soak -s %d" % a.seconds if a.seconds else
                "soak %d" % a.minutes)
    if a.round:
        soak_cmd += " -r %d" % a.round
    if a.every is not None:
        soak_cmd += " -x %d" % a.every
    if a.verbose:
        soak_cmd += " -v"
    if a.command:
        soak_cmd = a.command
    log.write(("==== %s\n==== then typed: %s\n" % (" ".join(cmd), soak_cmd))
              .encode())
    log.flush()
    total = a.seconds or a.minutes * 60
    g = Guest(cmd, echo=None if a.quiet else sys.stdout, log=log)
    try:
        if not g.wait_for(lambda out: b"$ " in out, BOOT_TIMEOUT):
            return "no shell prompt within %d s" % BOOT_TIMEOUT
        g.type(soak_cmd + "\n")
        con = Lines(g)
        con.pos = len(g.out)
        t0 = time.monotonic()
        limit = t0 + total + a.deadline + 300
        last_news = t0
        failure = None
        while True:
            now = time.monotonic()
            wait = min(last_news + a.deadline, limit) - now
            kind, line = con.next(wait)
            if kind == "exit":
                return failure or "QEMU exited (status %s) before the soak " \
                    "finished" % line
            if kind == "timeout":
                procdump(g)
                what = ("the run passed its limit of %d s" % (limit - t0)
                        if time.monotonic() >= limit else
                        "hang: no soak line for %d s" % a.deadline)
                what += "; Ctrl-P typed, QEMU killed"
                return failure + "; then " + what if failure else what
            if PANIC_RE.match(line):
                g.wait_exit(5)
                rest = con.rest()
                addrs = [m.group(1) for m in map(ADDR_RE.match, rest) if m]
                if addrs:
                    lines = addr2line(addrs)
                    print("\n".join(["soak.py: backtrace:"] + lines))
                    log.write(("\n==== backtrace:\n%s\n" % "\n".join(lines))
                              .encode())
                return "kernel panic: " + line.strip()
            if line.startswith("soak:"):
                last_news = time.monotonic()
            if line.startswith("soak: FAIL") and not failure:
                failure = line[len("soak: "):]
            m = ROUND_RE.match(line)
            if m and m.group(2) != "ok" and not failure:
                failure = "round %s: %s" % (m.group(1), m.group(2))
            m = FINAL_RE.match(line)
            if m:
                if m.group(3) != "PASS":
                    procdump(g)  # whatever is still there
                g.type("poweroff\n")
                status = g.wait_exit(30)
                if m.group(3) != "PASS":
                    return failure or m.group(3)
                if status != 0:
                    return "QEMU exit status %s after PASS" % status
                return None
    finally:
        g.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--seconds", type=int, default=0,
                    help="a short run of this many seconds (soak -s)")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--tick", type=int, default=100)
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--args", default="",
                    help="more kernel boot arguments, e.g. shootdown=brigade")
    ap.add_argument("--round", type=int, default=0,
                    help="seconds per round (soak -r; default the soak's 30)")
    ap.add_argument("--every", type=int, default=None,
                    help="exhaustion phase every N rounds (soak -x; 0 none)")
    ap.add_argument("--deadline", type=int, default=300,
                    help="longest wait for the next soak line (seconds)")
    ap.add_argument("--verbose", action="store_true",
                    help="soak -v: name each step of the exhaustion phase")
    ap.add_argument("--command",
                    help="type this instead of the soak command (debugging)")
    ap.add_argument("--quiet", action="store_true",
                    help="do not echo the console (it is still logged)")
    a = ap.parse_args()
    for f in ("kernel.elf", "fs.img"):
        if not os.path.exists(os.path.join(BUILD, f)):
            say("build/%s is missing; run `make` first" % f)
            return 2
    os.makedirs(LOGDIR, exist_ok=True)
    path = os.path.join(LOGDIR, "soak-cpus%d-tick%d-%s.log" % (
        a.cpus, a.tick, time.strftime("%Y%m%d-%H%M%S")))
    t0 = time.monotonic()
    with open(path, "wb") as log:
        failure = run(a, log)
        verdict = "PASS" if failure is None else "FAIL: " + failure
        log.write(("\n==== %s\n" % verdict).encode())
    print()
    say("%s after %.1f minutes (CPUS=%d, TICK=%d); log %s" % (
        verdict, (time.monotonic() - t0) / 60, a.cpus, a.tick,
        os.path.relpath(path, os.getcwd())))
    return 0 if failure is None else 1


if __name__ == "__main__":
    sys.exit(main())
