#!/usr/bin/env python3
"""make orphantest: crash with an unlinked file still open and a removed
directory still a cwd, and check that the next boot frees both.

  python3 tools/orphantest.py [--rounds N] [--cpus N] [--kib K]
                              [--image build/orphan.img]

One round:
 1. Copy build/fs.img to the image (a writable copy: no snapshot=on) and
    fsck it: consistent, no orphans; remember its blocks in use.
 2. Boot and run `orphan K` (user/programs/orphan.c): it writes K KiB to a
    new file, unlinks the file while holding it open, removes a directory
    that is its cwd, prints `READY file INUM BYTES dir INUM` and sleeps.
 3. SIGKILL QEMU (by its pid). fsck: consistent (exit 0) with exactly those
    two orphans, owning the file's blocks (data and index) and the
    directory's one block.
 4. Boot again: the kernel must print `fs: freed orphan inode N` for both
    inodes before the shell prompt. Power off (the shell's `poweroff`).
 5. fsck: consistent, no orphans, and as many blocks in use as in step 1.

Nothing depends on timing: every step waits for a line (with generous
timeouts for a busy host), and the kill comes only after READY, which the
program prints once both unlinks have returned (so they are committed).
The consoles go to build/orphantest.log. Exit status 0 only if every round
passed.
"""

import argparse
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weftqemu import BUILD, ROOT, boot_logged, fsck_logged  # noqa: E402

FSCK = os.path.join(BUILD, "fsck")
FRESH = os.path.join(BUILD, "fs.img")
LOG = os.path.join(BUILD, "orphantest.log")

PROMPT_TIMEOUT = 120   # QEMU start to the shell prompt
READY_TIMEOUT = 180    # the program writing its file and making the orphans
EXIT_TIMEOUT = 60      # poweroff to QEMU exiting

# Whole lines only: the console may deliver a line in pieces, and a number
# cut short would still match.
READY_RE = re.compile(rb"READY file (\d+) (\d+) dir (\d+)\r?\n")
ERR_RE = re.compile(rb"(?:ERR |panic)[^\n]*\n")
FREED_RE = re.compile(rb"fs: freed orphan inode (\d+) \(")
USED_RE = re.compile(r"(\d+) of \d+ blocks in use")
ORPHANS_RE = re.compile(r"; (\d+) orphans? \((\d+) blocks\), freed at the next boot")


def header_value(name):
    """A #define from include/weft/fs.h, so that block counts here follow
    the disk format."""
    with open(os.path.join(ROOT, "include", "weft", "fs.h")) as f:
        m = re.search(rf"^#define {name} \(?(\w+)", f.read(), re.M)
    return int(m.group(1))


BSIZE = header_value("BSIZE")
NDIRECT = header_value("NDIRECT")
NINDIRECT = BSIZE // 4


def file_blocks(size):
    """Data and index blocks of a file of size bytes (weft files have no
    holes)."""
    n = (size + BSIZE - 1) // BSIZE
    index = 0
    if n > NDIRECT:
        index += 1  # the indirect block
    if n > NDIRECT + NINDIRECT:
        rest = n - NDIRECT - NINDIRECT
        index += 1 + (rest + NINDIRECT - 1) // NINDIRECT  # double-indirect
    return n + index


def at_prompt(out):
    return out.endswith(b"$ ")


def tail(out, n=15):
    """The last lines of a console, for a failure message."""
    lines = out.decode("utf-8", "replace").replace("\r", "").split("\n")
    return "\n".join(lines[-n:])


class Failure(Exception):
    pass


class Round:
    def __init__(self, a, log):
        self.a = a
        self.log = log

    def boot(self):
        return boot_logged(self.a.cpus, self.a.tick, self.a.image, self.log)

    def fsck(self, what):
        """fsck's output; a Failure unless the image is consistent."""
        status, out = fsck_logged(FSCK, self.a.image, what, self.log)
        if status != 0:
            raise Failure(f"fsck {what}: status {status}\n{out}")
        return out

    def run(self):
        a = self.a
        # 1. A fresh image.
        shutil.copyfile(FRESH, a.image)
        out = self.fsck("of the fresh image")
        if ORPHANS_RE.search(out):
            raise Failure(f"the fresh image has orphans: {out}")
        used_before = int(USED_RE.search(out).group(1))

        # 2-3. Make the orphans, then kill the machine.
        g = self.boot()
        try:
            if not g.wait_for(at_prompt, PROMPT_TIMEOUT):
                raise Failure("no shell prompt on the first boot:\n" + tail(g.out))
            g.out = b""
            g.type(f"orphan {a.kib}\n")
            if not g.wait_for(lambda o: READY_RE.search(o) or ERR_RE.search(o),
                              READY_TIMEOUT):
                raise Failure(f"no READY from `orphan` within {READY_TIMEOUT} s:\n"
                              + tail(g.out))
        finally:
            g.kill()
            g.drain()
        if m := ERR_RE.search(g.out):
            raise Failure(f"first boot: {m.group(0).decode()}")
        m = READY_RE.search(g.out)
        file_ino, size, dir_ino = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if size != a.kib * 1024:
            raise Failure(f"the file holds {size} bytes, not {a.kib * 1024}")
        out = self.fsck("after the kill")
        m = ORPHANS_RE.search(out)
        want_blocks = file_blocks(size) + 1  # and the directory's block
        if not m or int(m.group(1)) != 2 or int(m.group(2)) != want_blocks:
            raise Failure(f"fsck after the kill: want 2 orphans ({want_blocks} "
                          f"blocks):\n{out}")
        used_crashed = int(USED_RE.search(out).group(1))

        # 4. The next boot frees them.
        g = self.boot()
        try:
            if not g.wait_for(at_prompt, PROMPT_TIMEOUT):
                raise Failure("no shell prompt on the second boot:\n" + tail(g.out))
            freed = {int(x) for x in FREED_RE.findall(g.out)}
            g.out = b""
            g.type("poweroff\n")
            status = g.wait_exit(EXIT_TIMEOUT)
        finally:
            g.kill()
            g.drain()
        if freed != {file_ino, dir_ino}:
            raise Failure(f"the second boot freed orphan inodes {sorted(freed)}, "
                          f"want {sorted({file_ino, dir_ino})}")
        if status != 0:
            raise Failure(f"the machine did not power off cleanly (status {status})")

        # 5. All of it is free again.
        out = self.fsck("after the second boot")
        if ORPHANS_RE.search(out):
            raise Failure(f"orphans left after the second boot: {out}")
        used_after = int(USED_RE.search(out).group(1))
        if used_after != used_before:
            raise Failure(f"{used_after} blocks in use after the second boot, "
                          f"{used_before} before the orphans")
        return (f"orphans file {file_ino} ({size} bytes) and dir {dir_ino}: "
                f"{used_before} -> {used_crashed} -> {used_after} blocks in use")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--tick", type=int, default=100)
    ap.add_argument("--kib", type=int, default=2048, help="the orphan file's size")
    ap.add_argument("--image", default=os.path.join(BUILD, "orphan.img"))
    a = ap.parse_args()
    for need in (FSCK, FRESH, os.path.join(BUILD, "kernel.elf")):
        if not os.path.exists(need):
            print(f"orphantest: {need} is missing (make all)", file=sys.stderr)
            return 2
    failed = 0
    with open(LOG, "wb") as log:
        for i in range(1, a.rounds + 1):
            try:
                text, ok = Round(a, log).run(), True
            except Failure as f:
                text, ok = str(f).replace("\n", "\n       "), False
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} round {i}/{a.rounds}: {text}", flush=True)
    print(f"orphantest: {a.rounds - failed} of {a.rounds} rounds passed; consoles in "
          f"{os.path.relpath(LOG)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
