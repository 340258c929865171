#!/usr/bin/env python3
"""make run CMD='...': boot weft, type CMD into the shell, then power off
with the exit status of that command line (the shell's `poweroff` builtin),
and exit with that status. Prints the console as it goes."""

import argparse
import sys

from weftqemu import Guest, qemu_cmd


def at_prompt(out):
    return out.endswith(b"$ ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--tick", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--args", default="",
                    help="more kernel boot arguments, e.g. shootdown=brigade")
    ap.add_argument("cmd")
    a = ap.parse_args()

    g = Guest(qemu_cmd(a.cpus, a.tick, a.args), echo=sys.stdout)
    try:
        if not g.wait_for(at_prompt, 30):
            print("\nrun: no shell prompt within 30 s", file=sys.stderr)
            return 125
        g.out = b""
        g.type(a.cmd + "\n")
        if not g.wait_for(at_prompt, a.timeout):
            print(f"\nrun: command did not finish within {a.timeout} s",
                  file=sys.stderr)
            return 124
        g.type("poweroff\n")
        status = g.wait_exit(30)
        print()
        if status is None:
            print("run: the machine did not power off", file=sys.stderr)
            return 125
        return status
    finally:
        g.kill()


if __name__ == "__main__":
    sys.exit(main())
