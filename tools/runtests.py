#!/usr/bin/env python3
"""make test: run every test layer of weft and print one verdict.

  python3 tools/runtests.py                       everything (make test)
  python3 tools/runtests.py --cpus 2 --tick 1000  one configuration
  python3 tools/runtests.py --only t_pipe         one guest test, all configs
  python3 tools/runtests.py --host-only           just the host unit tests

Layers:
 1. Host unit tests: tests/host (GoogleTest) is configured, built and run
    with CMake/CTest in build/host; one result per CTest test.
 2. In-kernel self tests: every boot is in test mode ("test" on the kernel
    command line); the kernel prints TAP lines and panics if one fails. One
    result per configuration ("kernel-selftest").
 3. Guest tests: user/tests/t_*.c and t_*.cpp are programs on the disk; the
    in-guest driver `runtests` runs them and powers off with a verdict.

For each configuration (CPUS x tick frequency) QEMU boots, the runner types
`runtests` at the shell prompt and follows the driver's lines:
    # start NAME
    ok N - NAME (T ticks)   |   not ok N - NAME (why)
A test that runs past its timeout, a kernel panic, or the machine dying
fails the running test; QEMU is then killed (after a Ctrl-P, which makes
the kernel list its processes: that shows where a test hangs) and booted
again to go on with the tests after it (`runtests -after NAME`). After an
ordinary failure the runner also goes on in a fresh boot, so that whatever
the failed test left behind cannot fail the tests after it (--no-isolate
keeps the same boot). At the end the driver checks for leaked pages and
powers off; QEMU's exit status must agree with the lines (0 when all
passed). Console logs go to build/test-logs/CONFIG.log. See docs/testing.md.

A test's timeout is DEFAULT_TIMEOUT seconds unless its source has a comment
`// timeout: N`.

Output: one line per test, `ok|not ok  CONFIG  NAME  SECONDS`, a re-run
command under each failure, and last the line `N passed, M failed`. The exit
status is 0 only if nothing failed.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weftqemu import BUILD, ROOT, Guest, qemu_cmd  # noqa: E402

LOGDIR = os.path.join(BUILD, "test-logs")
TESTDIR = os.path.join(ROOT, "user", "tests")
HOSTDIR = os.path.join(ROOT, "tests", "host")

ALL_CPUS = (1, 2, 4)
ALL_TICKS = (100, 1000)
# A 10 kHz tick preempts a hundred times as often as the default: races
# between a thread's end and its reaping show up there first. These tests
# run at it on CPUS=1 and 2 in a full run (any test can with --tick 10000).
FAST_TICK = 10000
FAST_TICK_CPUS = (1, 2)
MAX_NAMES = 30  # test names on one runtests command line
FAST_TICK_TESTS = ("t_waitrace", "t_thr_exit", "t_thr_kill", "t_clone_join",
                   "t_thr_exec")
# The kernel's own test tools (kernel/inject.h), one configuration each in
# a full run: every guest test under allocation-failure injection, and the
# thread suites under schedule chaos.
FAILALLOC_RUN = (2, 1000, "50,1")
CHAOS_RUN = (4, 1000, "1")
THREAD_SUITE_RE = re.compile(r"^t_(thr|lib|clone)_|^t_(waitrace|futexkill|"
                             r"isolate|forklock)$")
# The second TLB-shootdown design (shootdown=brigade, kernel/sync/brigade.h):
# the thread suites and the tests that shrink, share or tear down memory
# while other threads run, on 2 and 4 harts.
BRIGADE_RUNS = ((2, 1000), (4, 1000))
BRIGADE_SUITE_RE = re.compile(THREAD_SUITE_RE.pattern +
                              r"|^t_(brigade|cow|sbrk|mem|kill|exec)$")
DEFAULT_TIMEOUT = 120   # seconds per guest test
BOOT_TIMEOUT = 60       # QEMU start to the shell prompt
GAP_TIMEOUT = 60        # one test's end to the next one's start (or the end)
EXIT_TIMEOUT = 30       # driver summary to QEMU exiting
RUN_TIMEOUT = 1200      # one boot, all its tests together (--boot-timeout)

RESULT_RE = re.compile(r"^(not )?ok (\d+) - (\S+)(?: \((.*)\))?\s*$")
START_RE = re.compile(r"^# start (\S+)\s*$")
LEAK_RE = re.compile(r"^(not )?ok \d+ - leak check\b")
SUMMARY_RE = re.compile(r"^# runtests: (\d+) passed, (\d+) failed")
KTAP_RE = re.compile(r"^(not )?ok \d+ - kernel: (.*)$")
KSUMMARY_RE = re.compile(r"^# kernel self tests: (\d+) run, (\d+) failed")
PANIC_RE = re.compile(r"^\s*panic\b")
TIMEOUT_RE = re.compile(r"//\s*timeout:\s*(\d+)")

_print_lock = threading.Lock()


def say(text=""):
    with _print_lock:
        print(text, flush=True)


class Result:
    def __init__(self, config, name, ok, seconds, detail="", rerun="",
                 output=None):
        self.config, self.name, self.ok = config, name, ok
        self.seconds, self.detail, self.rerun = seconds, detail, rerun
        self.output = output or []


def excerpt(output, limit=40, tail=12):
    """The lines of a failed test worth showing: its `not ok` lines with the
    diagnostics under them, then its last lines."""
    if len(output) <= limit:
        return output
    keep = set(range(len(output) - tail, len(output)))
    for i, line in enumerate(output):
        if line.startswith("not ok") and len(keep) < limit:
            keep.add(i)
            j = i + 1
            while (j < len(output) and output[j].startswith("#   ")
                   and len(keep) < limit):
                keep.add(j)
                j += 1
    out, last = [], -1
    for i in sorted(keep):
        if i != last + 1:
            out.append("... (%d lines; the whole console is in %s)"
                       % (i - last - 1, os.path.relpath(LOGDIR, os.getcwd())))
        out.append(output[i])
        last = i
    return out


class Report:
    """Collects results and prints each one as it comes."""

    def __init__(self):
        self.results = []
        self.lock = threading.Lock()

    def add(self, r):
        with self.lock:
            self.results.append(r)
        lines = ["%-6s  %s  %s  %.1f" % ("ok" if r.ok else "not ok",
                                          r.config, r.name, r.seconds)]
        if not r.ok:
            if r.detail:
                lines.append("        # " + r.detail)
            for line in excerpt(r.output):
                lines.append("        | " + line)
            if r.rerun:
                lines.append("        # re-run: " + r.rerun)
        say("\n".join(lines))

    def counts(self, config=None):
        rs = [r for r in self.results if config is None or r.config == config]
        passed = sum(1 for r in rs if r.ok)
        return passed, len(rs) - passed


# ---------------------------------------------------------------------------
# Host unit tests.

def as_text(data):
    """Output captured by subprocess: str, bytes (TimeoutExpired) or None."""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data or ""


def run_host_tests(report):
    cfg = "host"
    rerun = "python3 tools/runtests.py --host-only"
    if not os.path.exists(os.path.join(HOSTDIR, "CMakeLists.txt")):
        say("# host: no tests/host/CMakeLists.txt, skipped")
        return
    os.makedirs(LOGDIR, exist_ok=True)
    logpath = os.path.join(LOGDIR, "host.log")
    bdir = os.path.join(BUILD, "host")
    t0 = time.monotonic()
    if not shutil.which("cmake") or not shutil.which("ctest"):
        report.add(Result(cfg, "cmake", False, 0,
                          "cmake/ctest not installed (tools/deps.sh)", rerun))
        return
    steps = [
        ("configure", ["cmake", "-S", HOSTDIR, "-B", bdir], 300),
        ("build", ["cmake", "--build", bdir, "-j", str(os.cpu_count() or 2)],
         900),
    ]
    with open(logpath, "w") as log:
        for what, cmd, limit in steps:
            log.write("$ %s\n" % " ".join(cmd))
            log.flush()
            try:
                p = subprocess.run(cmd, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=limit,
                                   text=True)
                out, rc = p.stdout, p.returncode
            except subprocess.TimeoutExpired as e:
                out, rc = as_text(e.stdout), None
            log.write(out)
            if rc != 0:
                why = ("timed out after %d s" % limit if rc is None
                       else "exit status %d" % rc)
                report.add(Result(cfg, what, False, time.monotonic() - t0,
                                  "cmake %s failed: %s" % (what, why), rerun,
                                  out.splitlines()))
                return
        cmd = ["ctest", "--output-on-failure", "--timeout", "120"]
        log.write("$ (cd %s && %s)\n" % (bdir, " ".join(cmd)))
        log.flush()
        try:
            p = subprocess.run(cmd, cwd=bdir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=900,
                               text=True)
            out, rc = p.stdout, p.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = as_text(e.stdout), None
        log.write(out)
    line_re = re.compile(
        r"^\s*\d+/\d+\s+Test\s+#\d+:\s+(\S+)\s+\.*\s*(.*?)\s+([0-9.]+)\s+sec")
    seen = 0
    lines = out.splitlines()
    for i, line in enumerate(lines):
        m = line_re.match(line)
        if not m:
            continue
        seen += 1
        name, status, secs = m.group(1), m.group(2), float(m.group(3))
        ok = status.strip("* ") == "Passed"
        output = []
        if not ok:
            # --output-on-failure prints the test's output after its line.
            for follow in lines[i + 1:]:
                if line_re.match(follow):
                    break
                output.append(follow)
        report.add(Result(cfg, name, ok, secs,
                          "" if ok else "ctest: " + status.strip("* "),
                          "(cd build/host && ctest --output-on-failure -R '^%s$')"
                          % name, output))
    if seen == 0 or rc != 0 and all(r.ok for r in report.results
                                    if r.config == cfg):
        why = "no tests found" if seen == 0 else (
            "ctest timed out" if rc is None else "ctest exit status %d" % rc)
        report.add(Result(cfg, "ctest", False, time.monotonic() - t0, why,
                          rerun, lines))


# ---------------------------------------------------------------------------
# Guest tests.

def discover_tests():
    """{name: timeout} for every user/tests/t_*.c / t_*.cpp."""
    tests = {}
    for path in sorted(glob.glob(os.path.join(TESTDIR, "t_*.c")) +
                       glob.glob(os.path.join(TESTDIR, "t_*.cpp"))):
        name = os.path.splitext(os.path.basename(path))[0]
        timeout = DEFAULT_TIMEOUT
        with open(path, errors="replace") as f:
            m = TIMEOUT_RE.search(f.read())
        if m:
            timeout = int(m.group(1))
        tests[name] = timeout
    return tests


class Config:
    def __init__(self, cpus, tick, only=None, failalloc=None, chaos=None,
                 brigade=False):
        self.cpus, self.tick = cpus, tick
        self.name = "cpus%d-tick%d" % (cpus, tick)
        self.only = only  # run just these guest tests (None: all asked for)
        # Boot options of the kernel's test tools (kernel/inject.h).
        self.failalloc, self.chaos = failalloc, chaos
        self.brigade = brigade  # TLB shootdown by bucket brigade (vm.h)
        self.args = "test"
        if brigade:
            self.name += "-brigade"
            self.args += " shootdown=brigade"
        if failalloc:
            self.name += "-failalloc" + failalloc.replace(",", "s")
            self.args += " failalloc=" + failalloc
        if chaos:
            self.name += "-chaos" + chaos.replace(",", "p")
            self.args += " chaos=" + chaos
        # Under allocation-failure injection a test may fail its own checks
        # (its fork or pipe got -1): what counts is that the kernel stays
        # whole: no panic, no hang, no leaked page, no lock left held.
        self.lenient = bool(failalloc)

    def rerun(self, only=None):
        cmd = "python3 tools/runtests.py --cpus %d --tick %d" % (self.cpus,
                                                                 self.tick)
        if self.failalloc:
            cmd += " --failalloc " + self.failalloc
        if self.chaos:
            cmd += " --chaos " + self.chaos
        if self.brigade:
            cmd += " --brigade"
        return cmd + (" --only " + only if only else "")


class Console:
    """Line-by-line reading of a Guest's console output."""

    def __init__(self, guest):
        self.g = guest
        self.pos = 0

    def next_line(self, timeout):
        """('line', text), ('timeout', None) or ('exit', status)."""
        def have_line(out):
            return out.find(b"\n", self.pos) >= 0
        if self.g.wait_for(have_line, max(timeout, 0)):
            i = self.g.out.index(b"\n", self.pos)
            line = self.g.out[self.pos:i]
            self.pos = i + 1
            return "line", line.decode("utf-8", "replace").rstrip("\r")
        if self.g.proc.poll() is not None or self.g.wait_exit(0.5) is not None:
            return "exit", self.g.proc.returncode
        return "timeout", None

    def wait_prompt(self, timeout):
        """Lines printed before the shell's first prompt, or None."""
        if not self.g.wait_for(lambda out: out.find(b"$ ", self.pos) >= 0,
                               timeout):
            return None
        i = self.g.out.index(b"$ ", self.pos)
        text = self.g.out[self.pos:i].decode("utf-8", "replace")
        self.pos = i + 2
        return [ln.rstrip("\r") for ln in text.split("\n")]

    def rest(self):
        """Whatever is left, as lines."""
        text = self.g.out[self.pos:].decode("utf-8", "replace")
        self.pos = len(self.g.out)
        return [ln.rstrip("\r") for ln in text.split("\n") if ln.strip()]


def check_kernel_selftests(cfg, lines, seconds, report):
    oks = fails = 0
    failed = []
    summary = None
    for line in lines:
        m = KTAP_RE.match(line.strip())
        if m:
            if m.group(1):
                fails += 1
                failed.append(line.strip())
            else:
                oks += 1
        m = KSUMMARY_RE.match(line.strip())
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
    ok = oks > 0 and fails == 0 and summary == (oks, 0)
    detail = ""
    if not ok:
        if oks + fails == 0:
            detail = "no kernel self-test lines before the shell prompt"
        elif summary is None:
            detail = "no kernel self-test summary line"
        elif summary != (oks + fails, fails):
            detail = "summary says %d run, %d failed; saw %d ok, %d not ok" % (
                summary[0], summary[1], oks, fails)
        else:
            detail = "%d kernel self tests failed" % fails
    report.add(Result(cfg.name, "kernel-selftest", ok, seconds, detail,
                      cfg.rerun(), failed if failed else lines[-20:]))
    return ok


def run_config(cfg, tests, report, opts):
    """Boots cfg as often as needed to run `tests` (names, sorted), and all
    of that opts.repeat times."""
    if cfg.only is not None:
        tests = [t for t in tests if t in cfg.only]
        opts = argparse.Namespace(**vars(opts))
        opts.only = True  # name the tests: the driver runs every t_ otherwise
    os.makedirs(LOGDIR, exist_ok=True)
    logpath = os.path.join(LOGDIR, cfg.name + ".log")
    boot = 0
    selftest_checked = False
    with open(logpath, "wb") as log:
        for rep in range(opts.repeat):
            done = set()                  # tests that have a result
            last_started = None           # the -after point for a reboot
            first = True
            while True:
                remaining = [t for t in tests if t not in done]
                if not first and not remaining:
                    break
                first = False
                boot += 1
                boot_tests = tests
                if opts.only:
                    # exec takes MAXARG (32) arguments with the program's
                    # name: a longer list goes over several boots.
                    boot_tests = remaining[:MAX_NAMES]
                    command = "runtests " + " ".join(boot_tests)
                elif last_started:
                    command = "runtests -after " + last_started
                else:
                    command = "runtests"
                cmd = qemu_cmd(cfg.cpus, cfg.tick, cfg.args)
                log.write(("\n==== %s boot %d: %s\n==== then typed: %s\n"
                           % (cfg.name, boot, " ".join(cmd), command))
                          .encode())
                log.flush()
                guest = Guest(cmd, log=log)
                try:
                    progress, last = run_boot(cfg, guest, command, boot,
                                              boot_tests, done, report, opts,
                                              not selftest_checked)
                finally:
                    guest.kill()
                selftest_checked = True
                if last:
                    last_started = last
                if not progress:
                    # The machine could not even start a test: booting
                    # again would do the same. Everything left fails.
                    for t in tests:
                        if t not in done:
                            done.add(t)
                            report.add(Result(cfg.name, t, False, 0,
                                              "not run: see the failure "
                                              "above", cfg.rerun(t)))
                    return


def run_boot(cfg, guest, command, boot, tests, done, report, opts,
             check_selftest):
    """One QEMU boot. Returns (progress, name of the last test started).

    progress is False if the boot did not get as far as finishing a test or
    the driver's summary (no point in booting again)."""
    con = Console(guest)
    t_boot = time.monotonic()
    lines = con.wait_prompt(BOOT_TIMEOUT)
    if lines is None:
        status = guest.wait_exit(1)
        why = ("no shell prompt within %d s" % BOOT_TIMEOUT if status is None
               else "QEMU exited with status %s before the shell prompt"
               % status)
        rest = con.rest()
        if check_selftest:
            check_kernel_selftests(cfg, rest, time.monotonic() - t_boot,
                                   report)
        report.add(Result(cfg.name, "boot", False, time.monotonic() - t_boot,
                          why, cfg.rerun(), rest[-25:]))
        return False, None
    if check_selftest:
        check_kernel_selftests(cfg, lines, time.monotonic() - t_boot, report)
    guest.type(command + "\n")

    run_deadline = time.monotonic() + opts.boot_timeout
    current = None          # test running now
    t_start = 0.0
    output = []             # its console lines
    last_started = None
    progress = False
    failures = 0            # not-ok lines from the driver in this boot
    leak_name = "leak-check" if boot == 1 else "leak-check.boot%d" % boot
    timeouts, isolate = opts.timeouts, opts.isolate

    def fail_current(why, extra=()):
        report.add(Result(cfg.name, current, False,
                          time.monotonic() - t_start, why,
                          cfg.rerun(current), output + list(extra)))
        done.add(current)

    while True:
        now = time.monotonic()
        if current:
            limit = t_start + timeouts.get(current, DEFAULT_TIMEOUT)
        else:
            limit = now + GAP_TIMEOUT
        limit = min(limit, run_deadline)
        kind, line = con.next_line(limit - now)

        if kind == "timeout":
            if current:
                # Ctrl-P: the kernel prints every process and thread; that
                # shows where the test hangs.
                guest.type("\x10")
                guest.wait_for(lambda out: False, 2)
                if time.monotonic() >= run_deadline:
                    why = "the boot ran past its %d s limit" % (
                        opts.boot_timeout)
                else:
                    why = "timeout after %d s" % timeouts.get(current,
                                                              DEFAULT_TIMEOUT)
                fail_current(why + "; QEMU killed", con.rest())
                return True, current
            report.add(Result(cfg.name, "driver", False, GAP_TIMEOUT,
                              "the driver printed nothing for %d s between "
                              "tests" % GAP_TIMEOUT, cfg.rerun(),
                              con.rest()))
            return progress, last_started

        if kind == "exit":
            why = "QEMU exited with status %s" % line
            if current:
                fail_current("machine died: " + why, con.rest())
                return True, current
            report.add(Result(cfg.name, "driver", False, 0,
                              why + " outside a test, before the summary",
                              cfg.rerun(), con.rest()))
            return progress, last_started

        stripped = line.strip()
        if PANIC_RE.match(stripped):
            # Let the panic message finish, then stop the machine.
            guest.wait_exit(3)
            extra = [line] + con.rest()
            if current:
                fail_current("kernel panic: " + stripped, extra)
                return True, current
            report.add(Result(cfg.name, "panic", False, 0,
                              "kernel panic outside a test: " + stripped,
                              cfg.rerun(), extra))
            return progress, last_started

        m = START_RE.match(stripped)
        if m:
            if current:
                fail_current("no result line before the next test started")
            current = m.group(1)
            last_started = current
            t_start = time.monotonic()
            output = []
            continue

        m = RESULT_RE.match(stripped)
        if m and current and m.group(3) == current:
            ok = not m.group(1)
            failures += 0 if ok else 1
            why = m.group(4) or ""
            if not ok and cfg.lenient and "leaked" not in why:
                ok = True  # its own checks failed under injection: allowed
            report.add(Result(cfg.name, current, ok,
                              time.monotonic() - t_start,
                              "" if ok else "driver: " + why,
                              "" if ok else cfg.rerun(current), output))
            done.add(current)
            progress = True
            if not ok and isolate:
                # What a failed test leaves behind (lost pages, files, a
                # damaged kernel) must not fail the tests after it: go on
                # in a fresh machine.
                return True, current
            current = None
            continue
        m = LEAK_RE.match(stripped)
        if m and not current:
            ok = not m.group(1)
            failures += 0 if ok else 1
            report.add(Result(cfg.name, leak_name, ok, 0,
                              "" if ok else stripped, cfg.rerun(),
                              [] if ok else [stripped]))
            continue

        m = SUMMARY_RE.match(stripped)
        if m and not current:
            progress = True
            status = guest.wait_exit(EXIT_TIMEOUT)
            want = 1 if failures else 0
            if status is None:
                detail = "QEMU did not exit within %d s of the summary" % (
                    EXIT_TIMEOUT)
            elif status != want:
                detail = "QEMU exit status %d, expected %d (%d failures)" % (
                    status, want, failures)
            else:
                detail = ""
            report.add(Result(cfg.name, "exit-status", not detail, 0, detail,
                              cfg.rerun(), con.rest()))
            # A test the driver never started (e.g. no such program) fails.
            for t in tests:
                if t not in done:
                    done.add(t)
                    report.add(Result(cfg.name, t, False, 0,
                                      "the driver did not run it",
                                      cfg.rerun(t)))
            return True, last_started

        if current:
            output.append(line)


LOCKORDER_RE = re.compile(r"panic on hart \d+: lock order: taking test-proc")


def run_lockorder_check(report):
    """The lock-order check is on: a kernel told to take two locks in the
    wrong order ("lockorder-panic") must panic, naming them, and power off
    with the panic status (99)."""
    t0 = time.monotonic()
    os.makedirs(LOGDIR, exist_ok=True)
    with open(os.path.join(LOGDIR, "lockorder.log"), "wb") as log:
        guest = Guest(qemu_cmd(1, 100, "test lockorder-panic"), log=log)
        try:
            status = guest.wait_exit(BOOT_TIMEOUT)
        finally:
            guest.kill()
    text = guest.out.decode("utf-8", "replace")
    lines = [ln.rstrip("\r") for ln in text.split("\n") if ln.strip()]
    panicked = any(LOCKORDER_RE.search(ln) for ln in lines)
    detail = ""
    if not panicked:
        detail = "no lock-order panic"
    elif status != 99:
        detail = "QEMU exit status %s, expected 99 (panic)" % status
    report.add(Result("kernel", "lock-order-panic", not detail,
                      time.monotonic() - t0, detail,
                      "python3 tools/runtests.py --lockorder-only",
                      lines[-15:] if detail else []))


# Short runs of the long-running tools, as part of a full run: each is a
# command that exits 0 on success (see docs/reliability.md for long runs).
TOOL_RUNS = [
    ("fuzz", ["python3", "tools/fuzz.py", "--seconds", "60", "--cpus", "2",
              "--seed", "1", "--quiet"], 600),
    ("crashtest", ["python3", "tools/crashtest.py", "--kills", "5",
                   "--seed", "1", "--cpus", "2"], 300),
    ("orphantest", ["python3", "tools/orphantest.py", "--cpus", "2"], 300),
    ("trace", ["python3", "tools/tracetest.py", "--cpus", "2"], 300),
    ("soak", ["python3", "tools/soak.py", "--seconds", "60", "--round", "20",
              "--every", "1", "--cpus", "2", "--quiet"], 600),
]


def run_tools(report, runs):
    times = {}
    for name, cmd, timeout in runs:
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout)
            out = p.stdout.decode("utf-8", "replace").splitlines()
            ok, detail = p.returncode == 0, "exit status %d" % p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace").splitlines()
            ok, detail = False, "no verdict within %d s" % timeout
        report.add(Result("tools", name, ok, time.monotonic() - t0,
                          "" if ok else detail, " ".join(cmd),
                          [] if ok else out[-25:]))
        times[name] = time.monotonic() - t0
    return sum(times.values())


def run_configs(configs, tests, report, opts, cores):
    """Runs the configurations in order, starting the next one while the
    harts of those running leave a host core free (a CPUS=1 guest keeps at
    most one host core busy, so two of them can share a 2-core host)."""
    times = {}
    cond = threading.Condition()
    pending = list(configs)
    running = {}   # config name -> harts it may keep busy

    def worker(cfg):
        t0 = time.monotonic()
        try:
            run_config(cfg, tests, report, opts)
        except Exception as e:  # a runner bug must not hang the others
            import traceback
            report.add(Result(cfg.name, "runner", False, 0,
                              "runner error: %r" % e, cfg.rerun(),
                              traceback.format_exc().splitlines()))
        finally:
            with cond:
                times[cfg.name] = time.monotonic() - t0
                del running[cfg.name]
                cond.notify_all()

    threads = []
    with cond:
        while pending:
            need = min(pending[0].cpus, cores)
            if running and sum(running.values()) + need > cores:
                cond.wait()
                continue
            cfg = pending.pop(0)
            running[cfg.name] = need
            th = threading.Thread(target=worker, args=(cfg,))
            th.start()
            threads.append(th)
    for th in threads:
        th.join()
    return times


def parse_list(values, kind=str):
    out = []
    for v in values or []:
        out += [kind(x) for x in v.split(",") if x]
    return out


def main():
    ap = argparse.ArgumentParser(
        description="Run weft's host, kernel and guest tests.")
    ap.add_argument("--cpus", action="append",
                    help="harts per guest (repeat or comma-separate; "
                    "default 1,2,4)")
    ap.add_argument("--tick", action="append",
                    help="timer ticks per second (default 100,1000)")
    ap.add_argument("--config", action="append",
                    help="a configuration by name, e.g. cpus2-tick1000")
    ap.add_argument("--only", action="append",
                    help="guest tests to run (repeat or comma-separate)")
    ap.add_argument("--host", dest="host", action="store_true", default=None,
                    help="run the host unit tests (the default when nothing "
                    "is narrowed down)")
    ap.add_argument("--no-host", dest="host", action="store_false",
                    help="skip the host unit tests")
    ap.add_argument("--host-only", action="store_true",
                    help="run only the host unit tests")
    ap.add_argument("--timeout", type=int,
                    help="per-test timeout in seconds for every guest test "
                    "(overrides the // timeout: comments)")
    ap.add_argument("--boot-timeout", type=int, default=RUN_TIMEOUT,
                    metavar="SECONDS",
                    help="limit for one boot with all its tests (default "
                    "%d)" % RUN_TIMEOUT)
    ap.add_argument("--cores", type=int, default=None,
                    help="host cores to fill with guest harts; 1 runs the "
                    "configurations strictly one after another")
    ap.add_argument("--no-isolate", action="store_true",
                    help="after a failed guest test, go on in the same boot "
                    "(default: reboot, so that a failure cannot spill over)")
    ap.add_argument("--repeat", type=int, default=1, metavar="N",
                    help="run the guest tests N times in each configuration "
                    "(a fresh boot each time), to catch rare failures")
    ap.add_argument("--failalloc", metavar="N[,SEED]",
                    help="boot with allocation-failure injection (one in N "
                    "allocations of test programs fails); only the kernel's "
                    "integrity counts, not the tests' own checks")
    ap.add_argument("--chaos", metavar="SEED[,PERMILLE]",
                    help="boot with schedule chaos (seeded random yields)")
    ap.add_argument("--brigade", action="store_true",
                    help="boot with shootdown=brigade (TLB shootdown by "
                    "bucket brigade instead of SBI remote fences)")
    ap.add_argument("--lockorder-only", action="store_true",
                    help="only check that a lock-order violation panics")
    ap.add_argument("--list", action="store_true",
                    help="list configurations and guest tests, then exit")
    a = ap.parse_args()

    cpus = parse_list(a.cpus, int) or list(ALL_CPUS)
    ticks = parse_list(a.tick, int) or list(ALL_TICKS)
    configs = [Config(c, t) for t in ticks for c in cpus]
    if a.failalloc or a.chaos or a.brigade:
        configs = [Config(c.cpus, c.tick, None, a.failalloc, a.chaos,
                          a.brigade) for c in configs]
    elif not a.tick:
        configs += [Config(c, FAST_TICK, FAST_TICK_TESTS)
                    for c in (parse_list(a.cpus, int) or FAST_TICK_CPUS)]
        if not a.cpus:
            c, t, spec = FAILALLOC_RUN
            configs.append(Config(c, t, None, failalloc=spec))
            c, t, spec = CHAOS_RUN
            configs.append(Config(c, t, "thread-suites", chaos=spec))
            for c, t in BRIGADE_RUNS:
                configs.append(Config(c, t, "brigade-suites", brigade=True))
    if a.config:
        wanted = parse_list(a.config)
        names = {c.name for c in configs}
        name_re = r"^cpus(\d+)-tick(\d+)(-brigade)?$"
        bad = [w for w in wanted if not re.match(name_re, w)]
        if bad:
            ap.error("bad --config %s (want e.g. cpus2-tick1000 or "
                     "cpus4-tick1000-brigade)" % bad[0])
        configs = [c for c in configs if c.name in wanted]
        for w in wanted:
            if w not in names and not (a.cpus or a.tick):
                c, t, brigade = re.match(name_re, w).groups()
                configs.append(Config(int(c), int(t), brigade=bool(brigade)))
    # CPUS=1 guests first: two of them can share the two host cores.
    configs.sort(key=lambda c: (c.cpus, c.tick))

    all_tests = discover_tests()
    timeouts = dict(all_tests)
    if a.timeout:
        timeouts = {t: a.timeout for t in timeouts}
    only = list(dict.fromkeys(parse_list(a.only)))  # in order, no repeats
    for t in only:
        if t not in all_tests:
            ap.error("no guest test %s (user/tests/%s.c)" % (t, t))
    tests = only or sorted(all_tests)
    for c in configs:
        if c.only == "thread-suites":
            c.only = tuple(t for t in all_tests if THREAD_SUITE_RE.match(t))
        elif c.only == "brigade-suites":
            c.only = tuple(t for t in all_tests if BRIGADE_SUITE_RE.match(t))
    if a.list:
        for c in configs:
            print(c.name)
        for t in sorted(all_tests):
            print("%s (timeout %d s)" % (t, timeouts[t]))
        return 0

    narrowed = bool(a.cpus or a.tick or a.config or a.only or a.failalloc
                    or a.chaos or a.brigade)
    run_host = a.host if a.host is not None else not narrowed
    run_lockorder = not narrowed or a.lockorder_only
    if a.host_only:
        run_host, configs, run_lockorder = True, [], False
    if a.lockorder_only:
        run_host, configs = False, []
    # With --only, a fast-tick configuration runs only if it has one of them.
    configs = [c for c in configs if c.only is None or not only
               or set(c.only) & set(only)]

    for f in ("kernel.elf", "fs.img"):
        if configs and not os.path.exists(os.path.join(BUILD, f)):
            print("runtests: build/%s is missing; run `make` first" % f,
                  file=sys.stderr)
            print("0 passed, 1 failed")
            return 1
    missing = [t for t in tests if configs and
               not os.path.exists(os.path.join(BUILD, "bin", t))]
    if missing:
        print("runtests: not built: %s (run `make`)" % " ".join(missing),
              file=sys.stderr)

    report = Report()
    t0 = time.monotonic()
    times = {}
    if run_host:
        th = time.monotonic()
        run_host_tests(report)
        times["host"] = time.monotonic() - th
    if run_lockorder and os.path.exists(os.path.join(BUILD, "kernel.elf")):
        th = time.monotonic()
        run_lockorder_check(report)
        times["kernel"] = time.monotonic() - th
    if not narrowed and not a.host_only and not a.lockorder_only:
        times["tools"] = run_tools(report, TOOL_RUNS)
    if configs:
        cores = a.cores or os.cpu_count() or 2
        opts = argparse.Namespace(only=bool(only), timeouts=timeouts,
                                  isolate=not a.no_isolate, repeat=a.repeat,
                                  boot_timeout=a.boot_timeout)
        times.update(run_configs(configs, tests, report, opts, cores))
    total = time.monotonic() - t0

    say()
    for name in ["host", "kernel", "tools"] + [c.name for c in configs]:
        if name in times:
            p, f = report.counts(name)
            say("# %-14s %3d passed, %d failed in %.0f s" % (name, p, f,
                                                            times[name]))
    say("# total time %.0f s; console logs in %s" % (
        total, os.path.relpath(LOGDIR, os.getcwd())))
    failed = [r for r in report.results if not r.ok]
    if failed:
        say("# failed:")
        for r in failed:
            say("#   %s  %s: %s" % (r.config, r.name, r.rerun or r.detail))
    passed, nfailed = report.counts()
    say("%d passed, %d failed" % (passed, nfailed))
    return 0 if nfailed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
