#!/usr/bin/env python3
"""make crashtest: kill weft in the middle of a write-heavy workload, over
and over, and check that the file system survives every crash.

  python3 tools/crashtest.py --kills 20 [--seed S] [--cpus N] [--threads T]
                             [--fresh-every K] [--image build/crash.img]

One iteration ("kill"):
 1. Boot on build/crash.img, a writable copy of build/fs.img (no
    snapshot=on: what the killed machine wrote stays in the file), and run
    `crashload run rI SEED' THREADS` (user/programs/crashload.c): threads
    creating, writing, closing, renaming and unlinking files and making,
    moving and removing directories under /crash/rI, printing a line after
    each call that returned (DONE path size checksum, GONE path, MKDIR path,
    MOVED old new) and before each removal or rename (UNLINK path, RMDIR
    path, RENAME old new; DRENAME/DMOVED for directories).
 2. After the workload has printed a (seeded) random number of lines, plus
    a random fraction of a second, SIGKILL QEMU (by its pid).
 3. build/fsck on the image: it must be consistent. The kernel's recovery
    has not run yet, so this also checks that replaying the log (which fsck
    does in memory) gives a consistent file system.
 4. Sometimes (seeded, about one kill in three) boot again and kill QEMU
    during that boot, right after the kernel says it is replaying the log
    (or at a random moment before the shell prompt if there is nothing to
    replay); run fsck again. The next boot must recover all the same.
 5. Boot, and check the kernel replayed exactly as many blocks as fsck saw
    in the log. Run `crashload check`, which lists every file under /crash
    with its size, checksum and whether its contents are what that path is
    written with. Every file reported DONE before the kill (and not
    UNLINKed after) must be there with exactly that size and checksum; every
    file or directory reported GONE must be absent; every MKDIR directory not
    being removed must exist; every file from the previous iteration's run
    (carried over, see below) must be exactly as the previous check saw it;
    any other file must hold a correct prefix of its contents (a crash in
    the middle of writing it); a rename cut by the kill must have left the
    file under exactly one of its two names; nothing else may be under
    /crash.
 6. `crashload clean rI` removes the runs before this one; power off; fsck
    once more (consistent, log empty).

Aging: each iteration starts from the image the previous one left, so files
survive several crashes (the previous run's files are checked again after
the next crash) and the allocator works on a used disk; every
--fresh-every K kills (default 10), and after any fsck failure (whose image
is kept as build/crash-fail-I.img), it starts again from a fresh copy of
build/fs.img.

Everything is seeded (--seed, printed at the start; iteration I uses its own
generator made from the seed and I): the workload seeds, the kill points and
which boots are killed during recovery. What cannot be reproduced exactly is
how far the guest gets in the same wall-clock time on a busy host.

Output: one line per kill, details under it when something is wrong, and a
summary. Exit status 0 only if every fsck was clean and no file was lost or
damaged. The consoles of all boots go to build/crashtest.log.
"""

import argparse
import os
import random
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weftqemu import BUILD, boot_logged, fsck_logged  # noqa: E402

FSCK = os.path.join(BUILD, "fsck")
FRESH = os.path.join(BUILD, "fs.img")
LOG = os.path.join(BUILD, "crashtest.log")
TOP = "/crash"

PROMPT_TIMEOUT = 60    # QEMU start to the shell prompt
PROGRESS_TIMEOUT = 60  # the workload printing its next lines
CHECK_TIMEOUT = 120    # crashload check or clean
MAX_KILL_LINES = 400   # the workload prints some 300 lines a second

WORK_RE = re.compile(r"^(DONE|UNLINK|RMDIR|GONE|MKDIR|ERR) (\S+)(?: (\d+) ([0-9a-f]+))?")
MOVE_RE = re.compile(r"^(RENAME|MOVED|DRENAME|DMOVED) (\S+) (\S+)$")
FILE_RE = re.compile(r"^FILE (\S+) (\d+) ([0-9a-f]+) (ok|bad)$")
DIR_RE = re.compile(r"^DIR (\S+)$")
REPLAY_RE = re.compile(rb"fs: replaying (\d+) logged blocks")
FAULT_RE = re.compile(r"^pid \d+ tid \d+ \(")  # a user fault, see docs/design.md
FSCK_REPLAY_RE = re.compile(r"replayed (\d+) logged blocks")


def at_prompt(out):
    return out.endswith(b"$ ")


def lines_of(data):
    """The complete lines of console output (a line cut by the kill is
    dropped: only what the guest finished printing counts)."""
    text = data.decode("utf-8", "replace").replace("\r", "")
    lines = text.split("\n")[:-1]
    # The first line after the prompt carries the prompt and the echo.
    return [ln[2:] if ln.startswith("$ ") else ln for ln in lines]


class Failure(Exception):
    """Something that ends the iteration: the machine did not behave, or
    (fsck=True) the image is inconsistent."""

    def __init__(self, message, fsck=False):
        super().__init__(message)
        self.fsck = fsck


class Run:
    def __init__(self, args):
        self.a = args
        self.log = open(LOG, "wb")

    # ------------------------------------------------------------- tools

    def boot(self):
        return boot_logged(self.a.cpus, self.a.tick, self.a.image, self.log)

    def fsck(self, what):
        """Runs fsck; returns (ok, blocks replayed, its output)."""
        status, out = fsck_logged(FSCK, self.a.image, what, self.log)
        m = FSCK_REPLAY_RE.search(out)
        return status == 0, int(m.group(1)) if m else 0, out

    def command(self, g, cmd, done_word, timeout=CHECK_TIMEOUT):
        """Types a command at the prompt and returns its output lines."""
        g.out = b""
        g.type(cmd + "\n")
        if not g.wait_for(lambda o: done_word in o and at_prompt(o), timeout):
            raise Failure(f"`{cmd}` did not finish within {timeout} s")
        return lines_of(g.out)

    # ------------------------------------------------------ one iteration

    def iteration(self, i, rng, carried):
        """One kill. Returns (summary text, problems list, the files and
        directories of this run for the next iteration to carry)."""
        a = self.a
        tag = f"r{i}"
        wseed = rng.randrange(1, 1 << 31)
        kill_lines = rng.randint(1, MAX_KILL_LINES)
        kill_extra = rng.uniform(0, 0.3)
        kill_in_recovery = rng.random() < a.recovery_kills
        recovery_delay = rng.uniform(0, 0.01)
        random_boot_kill = rng.uniform(0, 0.05)
        problems = []
        notes = []

        # 1-2. The workload, killed.
        g = self.boot()
        try:
            if not g.wait_for(at_prompt, PROMPT_TIMEOUT):
                raise Failure("no shell prompt before the workload")
            g.out = b""
            g.type(f"crashload run {tag} {wseed} {a.threads}\n")

            def enough(o):
                return sum(1 for ln in lines_of(o) if WORK_RE.match(ln)) >= kill_lines
            if not g.wait_for(enough, PROGRESS_TIMEOUT):
                g.type("\x10")  # Ctrl-P: the kernel lists every thread
                g.wait_for(lambda o: False, 1)
                raise Failure(f"workload stalled before {kill_lines} lines:\n"
                              + "\n".join(lines_of(g.out)[-15:]))
            g.wait_for(lambda o: False, kill_extra)
        finally:
            g.kill()
            g.drain()
        work = lines_of(g.out)
        if any(re.match(r"\s*panic", ln) for ln in work):
            raise Failure("kernel panic during the workload:\n" + "\n".join(work[-20:]))
        done, unlinking, gone, mkdirs, rmdirs = {}, set(), set(), set(), set()
        renaming = {}  # old path -> (new path, is a directory): RENAME without MOVED
        for ln in work:
            if m := MOVE_RE.match(ln):
                kind, old, new = m.groups()
                if kind in ("RENAME", "DRENAME"):
                    renaming[old] = (new, kind == "DRENAME")
                elif kind == "MOVED":
                    renaming.pop(old, None)
                    done[new] = done.pop(old)
                    gone.add(old)
                    gone.discard(new)  # a file may come back to a name it had
                else:
                    renaming.pop(old, None)
                    mkdirs.discard(old)
                    mkdirs.add(new)
                    gone.add(old)
                    gone.discard(new)
                continue
            m = WORK_RE.match(ln)
            if not m:
                continue
            kind, path = m.group(1), m.group(2)
            if kind == "DONE":
                done[path] = (int(m.group(3)), m.group(4))
            elif kind == "UNLINK":
                unlinking.add(path)
            elif kind == "RMDIR":
                rmdirs.add(path)
            elif kind == "GONE":
                gone.add(path)
            elif kind == "MKDIR":
                mkdirs.add(path)
            elif kind == "ERR":
                problems.append(f"workload error: {ln}")
        problems += [f"workload fault: {ln}" for ln in work if FAULT_RE.match(ln)]
        notes.append(f"{len(done)} DONE after {kill_lines}+ lines")

        # 3. fsck the crashed image (log replay in memory).
        ok, logged, out = self.fsck(f"after kill {i}")
        if not ok:
            raise Failure("fsck after the kill:\n" + out, fsck=True)
        notes.append(f"log {logged}")

        # 4. Perhaps kill the recovery boot.
        if kill_in_recovery:
            g = self.boot()
            try:
                if logged:
                    if not g.wait_for(lambda o: REPLAY_RE.search(o), PROMPT_TIMEOUT):
                        raise Failure("recovery boot: no 'fs: replaying' line")
                    g.wait_for(lambda o: False, recovery_delay)
                    when = "in replay"
                else:
                    # Nothing to replay: kill at a random moment between
                    # the disk driver starting and the prompt (some 10-50
                    # ms; init may be making the console node meanwhile).
                    if not g.wait_for(lambda o: b"virtio_blk:" in o, PROMPT_TIMEOUT):
                        raise Failure("recovery boot: the disk driver did not start")
                    g.wait_for(at_prompt, random_boot_kill)
                    when = "at prompt" if at_prompt(g.out) else "in boot"
            finally:
                g.kill()
                g.drain()
            ok, logged2, out = self.fsck(f"after the recovery kill {i}")
            if not ok:
                raise Failure("fsck after killing the recovery boot:\n" + out, fsck=True)
            notes.append(f"recovery killed {when} (log {logged2})")
            logged = logged2

        # 5. Recover and check.
        g = self.boot()
        try:
            if not g.wait_for(at_prompt, PROMPT_TIMEOUT):
                raise Failure("no shell prompt after the crash:\n"
                              + "\n".join(lines_of(g.out)[-20:]))
            m = REPLAY_RE.search(g.out)
            replayed = int(m.group(1)) if m else 0
            if replayed != logged:
                problems.append(f"the kernel replayed {replayed} blocks, fsck saw {logged}")
            listing = self.command(g, "crashload check", b"CHECKED")
            cleaned = self.command(g, f"crashload clean {tag}", b"CLEANED")
            g.out = b""
            g.type("poweroff\n")
            if g.wait_exit(30) is None:
                raise Failure("the machine did not power off")
        finally:
            g.kill()
            g.drain()

        files, dirs = {}, set()
        for ln in listing:
            if m := FILE_RE.match(ln):
                files[m.group(1)] = (int(m.group(2)), m.group(3), m.group(4) == "ok")
            elif m := DIR_RE.match(ln):
                dirs.add(m.group(1))
            elif ln.startswith("ERR") or re.match(r"\s*panic", ln):
                problems.append(f"check: {ln}")
        for ln in cleaned:
            if ln.startswith("ERR") or re.match(r"\s*panic", ln):
                problems.append(f"clean: {ln}")

        problems += self.verify(tag, carried, files, dirs, done, unlinking,
                                gone, mkdirs, rmdirs, renaming)

        # 6. fsck after a clean power-off.
        ok, logged, out = self.fsck(f"after power-off {i}")
        if not ok:
            raise Failure("fsck after a clean power-off:\n" + out, fsck=True)
        if logged:
            problems.append(f"the log holds {logged} blocks after a clean power-off")

        mine = f"{TOP}/{tag}"
        next_carried = (
            {p: v[:2] for p, v in files.items() if p.startswith(mine + "/")},
            {d for d in dirs if d == mine or d.startswith(mine + "/")})
        notes.append(f"checked {len(files)} files")
        return ", ".join(notes), problems, next_carried

    def verify(self, tag, carried, files, dirs, done, unlinking, gone,
               mkdirs, rmdirs, renaming):
        """What `crashload check` found against what the guest promised."""
        problems = []
        # A rename cut by the kill: the file (or directory) is under exactly
        # one of its names, as it was; a file renamed onto a victim left
        # either the victim or the file under the new name.
        for old, (new, is_dir) in renaming.items():
            if is_dir:
                mkdirs.discard(old)
                if (old in dirs) == (new in dirs):
                    problems.append(f"NOT ATOMIC directory rename {old} -> {new}: "
                                    f"{'both' if old in dirs else 'neither'} exist")
                continue
            want = done.pop(old, None)
            victim = done.pop(new, None)
            got_old, got_new = files.get(old), files.get(new)
            before = got_old is not None and got_old[:2] == want and (
                got_new is None if victim is None else got_new is not None and
                got_new[:2] == victim)
            after = got_old is None and got_new is not None and got_new[:2] == want
            if not (before or after):
                problems.append(f"NOT ATOMIC rename {old} -> {new}: old {got_old}, new "
                                f"{got_new}; the file was {want}, the victim {victim}")
        cfiles, cdirs = carried
        mine = f"{TOP}/{tag}"
        for path, want in cfiles.items():
            got = files.get(path)
            if got is None:
                problems.append(f"LOST (older run) {path}")
            elif got[:2] != want:
                problems.append(f"CHANGED (older run) {path}: {got[0]} {got[1]}, "
                                f"was {want[0]} {want[1]}")
        for d in cdirs:
            if d not in dirs:
                problems.append(f"LOST (older run) directory {d}")
        for path, (size, csum) in done.items():
            got = files.get(path)
            if path in unlinking and (got is None or path in gone):
                continue
            if got is None:
                problems.append(f"LOST {path} (DONE {size} bytes)")
            elif got[:2] != (size, csum):
                problems.append(f"LOST {path}: {got[0]} bytes {got[1]}, DONE said "
                                f"{size} bytes {csum}")
        for path in gone:
            if path in files or path in dirs:
                problems.append(f"BACK {path} exists, but its unlink returned")
        for d in mkdirs:
            if d not in dirs and d not in rmdirs:
                problems.append(f"LOST directory {d} (mkdir returned)")
        for path, (size, csum, ok) in files.items():
            if not ok:
                problems.append(f"DAMAGED {path}: {size} bytes are not its contents")
            if path not in cfiles and not path.startswith(mine + "/"):
                problems.append(f"UNEXPECTED {path}")
        for d in dirs:
            if d not in cdirs and d != TOP and d != mine and not d.startswith(mine + "/"):
                problems.append(f"UNEXPECTED directory {d}")
        return problems

    # -------------------------------------------------------------- all

    def main(self):
        a = self.a
        print(f"crashtest: {a.kills} kills, seed {a.seed}, CPUS={a.cpus}, "
              f"{a.threads} threads, fresh image every {a.fresh_every} kills; "
              f"consoles in {os.path.relpath(LOG)}")
        fresh = True
        carried = ({}, set())
        failed_fsck = lost = other = 0
        times = []
        for i in range(1, a.kills + 1):
            if fresh or (a.fresh_every and (i - 1) % a.fresh_every == 0):
                shutil.copyfile(FRESH, a.image)
                carried = ({}, set())
                fresh = False
            rng = random.Random(f"{a.seed}/{i}")
            start = time.monotonic()
            try:
                text, problems, carried = self.iteration(i, rng, carried)
            except Failure as f:
                text, problems = "FAILED", [str(f)]
                if f.fsck:
                    failed_fsck += 1
                    keep = os.path.join(BUILD, f"crash-fail-{i}.img")
                    shutil.copyfile(a.image, keep)
                    problems.append(f"image kept as {os.path.relpath(keep)}")
                else:
                    other += 1
                fresh = True  # go on from a fresh image
            secs = time.monotonic() - start
            times.append(secs)
            n_lost = sum(1 for p in problems if p.split()[0] in
                         ("LOST", "BACK", "CHANGED", "NOT"))
            lost += n_lost
            if text != "FAILED" and len(problems) > n_lost:
                other += 1
            status = "ok  " if not problems else "FAIL"
            print(f"{status} kill {i:3}/{a.kills}: {text}; {secs:.1f} s", flush=True)
            for p in problems[:a.max_details]:
                print("       " + p.replace("\n", "\n       "))
            if len(problems) > a.max_details:
                print(f"       ... and {len(problems) - a.max_details} more")
        total = sum(times)
        print(f"crashtest: {a.kills} kills in {total:.0f} s ({total / max(a.kills, 1):.1f} s "
              f"per kill): {failed_fsck} fsck failures, {lost} lost or changed files "
              f"and directories, {other} other failures (seed {a.seed})")
        return 0 if failed_fsck == lost == other == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=None,
                    help="default: a random one (printed)")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--tick", type=int, default=100)
    ap.add_argument("--threads", type=int, default=4, help="workload threads (1-8)")
    ap.add_argument("--fresh-every", type=int, default=10,
                    help="start from a fresh image every K kills (0: never)")
    ap.add_argument("--recovery-kills", type=float, default=0.33,
                    help="share of kills followed by a kill of the recovery boot")
    ap.add_argument("--image", default=os.path.join(BUILD, "crash.img"))
    ap.add_argument("--max-details", type=int, default=20)
    a = ap.parse_args()
    if a.seed is None:
        a.seed = random.randrange(1, 1 << 31)
    for need in (FSCK, FRESH, os.path.join(BUILD, "kernel.elf")):
        if not os.path.exists(need):
            print(f"crashtest: {need} is missing (make all build/fsck)", file=sys.stderr)
            return 2
    return Run(a).main()


if __name__ == "__main__":
    sys.exit(main())
