#!/usr/bin/env python3
"""The trace end to end: `make trace` on a known program, then the page in a
real headless Chromium.

  python3 tools/tracetest.py [--cpus 2] [--screenshot docs/trace.png]

Runs `testthreads 4 1000` traced on CPUS harts (tools/timeline.py) and checks:
 - the console trace: the four inserter threads testthreads makes are
   each started, run and exit;
 - trace.json is valid Chrome trace JSON with one named lane per hart;
 - trace.html, loaded by Chromium (--dump-dom runs its script): no error in
   the page or on Chromium's console, CPUS lanes drawn, spans of at least 4
   distinct threads, and exactly as many spans as the trace has thread
   switches onto a hart.
With --screenshot, also saves a picture of the page (docs/trace.png in the
README comes from here). Exit status 0 only if every check passed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timeline as tracetool  # noqa: E402
from weftqemu import BUILD, Guest, qemu_cmd  # noqa: E402

CMD = "testthreads 4 1000"
BROWSERS = ["chromium", "chromium-browser", "google-chrome"]


def browser():
    for b in BROWSERS:
        if shutil.which(b):
            return b
    return None


def chromium(exe, args, url):
    with tempfile.TemporaryDirectory() as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}"] + args + [url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--screenshot", help="also save a PNG of the page here")
    ap.add_argument("--out", default=os.path.join(BUILD, "trace-test"))
    a = ap.parse_args()
    failures = []

    def check(ok, what):
        print(("ok      " if ok else "FAILED  ") + what)
        if not ok:
            failures.append(what)

    exe = browser()
    if not exe:
        print("tracetest: no Chromium found (tools/deps.sh installs the Debian package)")
        return 1

    text = tracetool.run_guest(a.cpus, 100, CMD, None, 300)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "trace.txt"), "w") as f:
        f.write(text)
    check("PASS" in text, f"{CMD} passed under tracing")
    m = tracetool.write_outputs(text, a.out, f"{CMD} (CPUS={a.cpus})")
    head, _, recs = tracetool.parse(text)
    check(head["harts"] == a.cpus, f"the trace has {a.cpus} harts ({head['harts']})")
    # (A hart may legitimately stay idle through so short a run: no check
    # that every hart recorded something.)
    # The first thread started is trace's child, which becomes testthreads;
    # the threads that one starts are the inserters.
    news = [r for r in recs if r["type"] == tracetool.TR_THREAD_NEW]
    child = news[0]["a"] if news else None
    clones = [r["a"] for r in news if r["tid"] == child]
    check(len(clones) == 4, f"testthreads started 4 threads ({len(clones)})")
    for tid in clones:
        ran = any(s[3] == tid for s in m["spans"])
        ended = any(r["type"] == tracetool.TR_THREAD_EXIT and r["tid"] == tid for r in recs)
        check(ran and ended, f"thread {tid} ran and exited")
    switches = sum(1 for r in recs if r["type"] == tracetool.TR_ON)

    with open(os.path.join(a.out, "trace.json")) as f:
        j = json.load(f)
    lanes = [e for e in j["traceEvents"] if e.get("name") == "thread_name"]
    check(len(lanes) == a.cpus, f"trace.json names {a.cpus} hart lanes ({len(lanes)})")
    check(sum(1 for e in j["traceEvents"] if e.get("ph") == "X") == switches,
          "trace.json has a slice per thread switch")

    url = "file://" + os.path.abspath(os.path.join(a.out, "trace.html"))
    p = chromium(exe, ["--dump-dom"], url)
    body = re.search(r"<body([^>]*)>", p.stdout)
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1))) if body else {}
    check(p.returncode == 0 and body is not None, "Chromium loaded the page")
    console = [ln for ln in p.stderr.splitlines()
               if "CONSOLE" in ln or "Uncaught" in ln or "SyntaxError" in ln]
    check(attrs.get("errors") == "0" and not console,
          f"no errors in the page ({attrs.get('error-text', '?')}) or on the console "
          f"({' | '.join(console)[:300]})")
    check(attrs.get("lanes") == str(a.cpus), f"the page draws {a.cpus} lanes "
          f"({attrs.get('lanes')})")
    check(int(attrs.get("threads", 0)) >= 4, f"spans of at least 4 threads "
          f"({attrs.get('threads')})")
    check(attrs.get("spans") == str(switches), f"one span per switch onto a hart "
          f"({attrs.get('spans')} spans, {switches} switches)")

    # The system call's refusals, with the rings really there.
    g = Guest(qemu_cmd(a.cpus, 100, args="trace"))
    try:
        ready = g.wait_for(lambda o: o.endswith(b"$ "), 60)
        g.out = b""
        g.type("t_trace\n")
        done = ready and g.wait_for(lambda o: re.search(rb"\n1\.\.\d+", o) and
                                    o.endswith(b"$ "), 120)
        out = g.out.decode("utf-8", "replace")
    finally:
        g.kill()
    bad = [ln for ln in out.splitlines() if ln.startswith("not ok") or ln.startswith("#")]
    check(bool(done) and not bad and "ok " in out,
          "t_trace passes with tracing on" + ("" if done else " (did not finish)")
          + "".join("\n        " + ln for ln in bad[:10]))

    if a.screenshot:
        p = chromium(exe, ["--hide-scrollbars", "--window-size=1400,460",
                           f"--screenshot={os.path.abspath(a.screenshot)}"], url)
        check(p.returncode == 0 and os.path.exists(a.screenshot),
              f"screenshot saved as {a.screenshot}")

    print(f"tracetest: {len(failures)} checks failed" if failures else "tracetest: all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
