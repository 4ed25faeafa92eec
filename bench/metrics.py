#!/usr/bin/env python3
"""Benchmark what `/metrics` costs a large export (issue 27's target: scraped every second, under
1% of the export's CPU).

Two measures, release builds, client and sandbox in separate processes on loopback:
1. The export's CPU (user+sys, GNU time) exporting N users with a budget that does not bind,
   without --metrics-listen and with it, scraped every second, alternating, median of 3 each.
   On a shared 2-core machine the run-to-run spread is larger than the effect, so also:
2. The CPU one scrape costs the process, measured directly: 2,000 scrapes back to back against
   an export that waits on its budget (otherwise idle), from /proc/PID/stat before and after;
   that cost once a second against the export's CPU per second of row 1.

Usage: bench/metrics.py [--quick]   (Markdown on stdout and in bench/results/metrics.md;
bench/run splices it into docs/metrics.md)
Needs: cargo, GNU time (/usr/bin/time).
"""
import os
import socket
import statistics
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, Sandbox, client_env, report, summary_json, timed  # noqa: E402

QUICK = "--quick" in sys.argv
USERS = 200_000 if QUICK else 1_000_000
RUNS = 1 if QUICK else 3
RATE = "100000/1s"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def scrape(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read()


def export(sb, scraped):
    args = [BIN, "--rate", RATE, "--json", "--no-progress"]
    port = None
    if scraped:
        port = free_port()
        args += ["--metrics-listen", f"127.0.0.1:{port}"]
    tmp = tempfile.mkdtemp(prefix="clerk-rl-bench-metrics-")
    args += ["export-users", "--output", os.path.join(tmp, "users.jsonl")]
    env = dict(client_env(sb), CLERK_RL_STATE_DIR=tmp)
    stop = threading.Event()
    scrapes = [0, 0]  # count, bytes of the last

    def scraper():
        url = f"http://127.0.0.1:{port}/metrics"
        while not stop.wait(1.0):
            try:
                body = scrape(url)
                scrapes[0] += 1
                scrapes[1] = len(body)
            except OSError:
                pass  # not listening yet, or already gone

    t = None
    if scraped:
        t = threading.Thread(target=scraper, daemon=True)
        t.start()
    try:
        code, _, err, rss, cpu, wall = timed(args, env)
    finally:
        stop.set()
        if t:
            t.join()
        shutil.rmtree(tmp, ignore_errors=True)
    if code != 0:
        raise SystemExit(f"export failed ({code}):\n{err[-2000:]}")
    s = summary_json(err)
    return cpu, s["http"]["elapsed_s"], s["http"]["requests"], scrapes[0], scrapes[1]


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def scrape_cost(sb):
    """CPU per scrape, from the process's own counters, while it waits on a 1/1h budget."""
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="clerk-rl-bench-metrics-")
    env = dict(client_env(sb), CLERK_RL_STATE_DIR=tmp)
    p = subprocess.Popen([BIN, "--rate", "1/1h", "--no-progress", "--metrics-listen", f"127.0.0.1:{port}",
                          "export-users", "--output", os.path.join(tmp, "users.jsonl")],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        for _ in range(200):
            try:
                body = scrape(url)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("the export never served /metrics")
        time.sleep(1.0)
        n = 2000
        before = proc_cpu_s(p.pid)
        t0 = time.monotonic()
        for _ in range(n):
            body = scrape(url)
        wall = time.monotonic() - t0
        after = proc_cpu_s(p.pid)
        # The idle process's own CPU over the same time (heartbeats, timers), subtracted.
        idle0 = proc_cpu_s(p.pid)
        time.sleep(wall)
        idle = proc_cpu_s(p.pid) - idle0
        return max(after - before - idle, 0.0) / n, len(body), wall / n
    finally:
        p.kill()
        p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def body():
    sb = Sandbox(USERS, RATE)
    try:
        rows = {False: [], True: []}
        for _ in range(RUNS):
            for scraped in (False, True):
                rows[scraped].append(export(sb, scraped))
        per_scrape, size, latency = scrape_cost(sb)
    finally:
        sb.stop()
    print(f"#### /metrics scraped every second during a {USERS:,}-user export (budget not binding: {RATE} on both sides, loopback, no added latency, 1 process, median of {RUNS})\n")
    print("| run | export CPU (user+sys) | elapsed | requests | scrapes | metrics size |")
    print("|---|---|---|---|---|---|")
    med = {}
    for scraped in (False, True):
        r = rows[scraped]
        cpu = statistics.median(x[0] for x in r)
        el = statistics.median(x[1] for x in r)
        med[scraped] = (cpu, el)
        label = "scraped every 1 s (`--metrics-listen`)" if scraped else "no `--metrics-listen`"
        scrapes = statistics.median(x[3] for x in r) if scraped else 0
        sz = f"{r[-1][4]:,} B" if scraped else "-"
        print(f"| {label} | {cpu:.2f} s | {el:.2f} s | {r[-1][2]} | {scrapes:.0f} | {sz} |")
    cpu0, el0 = med[False]
    cpu_per_s = cpu0 / el0 if el0 else 0.0
    share = per_scrape / cpu_per_s * 100 if cpu_per_s else 0.0
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| CPU of one scrape, in the exporting process (2,000 back to back, idle CPU subtracted) | {per_scrape * 1e6:.0f} µs ({size:,} B of OpenMetrics; {latency * 1e3:.2f} ms round trip from Python) |")
    print(f"| the export's CPU per second of its run, without scraping | {cpu_per_s * 1e3:.0f} ms |")
    print(f"| one scrape a second against that | **{share:.3f}%** of the export's CPU (target: < 1%) |")
    print(f"| export CPU with scraping minus without (medians; noise on a shared machine) | {(med[True][0] - cpu0):+.2f} s ({(med[True][0] - cpu0) / cpu0 * 100 if cpu0 else 0:+.1f}%) |")
    print()


if __name__ == "__main__":
    report("metrics", body)
