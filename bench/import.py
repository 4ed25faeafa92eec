#!/usr/bin/env python3
"""Benchmark `clerk-rl import-users` (issue 24) against a sandbox as far away as Clerk.

1. The whole budget: 3,001 creates at 1000/10s (production's documented limit) against a
   sandbox 300 ms ±20% away (sliding log, no rate-limit headers). Efficiency from the sandbox's
   own request log: the least time the window allows for the requests sent (request k+N a
   window after request k) over the time they took, beside the ceiling of response-anchored
   pacing, N/(W+RTT), i.e. W/(W+RTT) of the budget (97.1% at 10 s and 300 ms).
2. Beside it, clerk/migration-tool's strategy, simulated by a Python client (stdlib threads):
   9 creates in flight (floor(rate x 0.095)), a fixed 10 s wait after a 429, 5 tries, against
   the same server. It is a simulation of its strategy, not the tool itself.
3. Exactly once: 3,000 lines (30 of them bad) through 2 SIGKILLs and reruns, with 3% of the
   answers dropped after the create committed and 2% 503s before: every good line created
   once, every bad line named by its line number, a final rerun creates nothing.

Usage: bench/import.py [--quick]   (Markdown on stdout and in bench/results/import.md)
CLERK_RL_BENCH_BIN=target/debug/clerk-rl CLERK_RL_BENCH_NO_BUILD=1 runs a debug build.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, Sandbox, client_env, efficiency, report, summary_json  # noqa: E402

QUICK = "--quick" in sys.argv
LIMIT, WINDOW = 1000, 10.0
LATENCY_MS = 300
MODEL = f"{LATENCY_MS}ms ±20%, 1000/10s sliding log, no headers, unlimited capacity"


def write_lines(n, bad_every=0, prefix="bench"):
    f = tempfile.NamedTemporaryFile("w", prefix="clerk-rl-import-", suffix=".jsonl", delete=False)
    bad = []
    for i in range(1, n + 1):
        if bad_every and i % bad_every == 0:
            f.write('{"first_name": "no identifier"}\n')
            bad.append(i)
        else:
            f.write(json.dumps({"external_id": f"{prefix}-{i}",
                                "email_address": [f"{prefix}{i}@example.com"]}) + "\n")
    f.close()
    return f.name, bad


def prod_sandbox(extra=()):
    return Sandbox(0, f"{LIMIT}/10s", extra=["--jitter", "20%", *extra], latency=f"{LATENCY_MS}ms")


def row(name, sb, wall):
    log = sb.requests()
    times = [e["t"] for e in log]
    least, taken, fullest = efficiency(times, LIMIT, WINDOW)
    eff = least / taken if taken else 0.0
    ceiling = WINDOW / (WINDOW + LATENCY_MS / 1000)
    posts = sum(1 for e in log if e["method"] == "POST")
    print(f"| {name} | {MODEL} | {posts} | {len(log)} | {taken:.1f} s | {eff:.1%} | {eff / ceiling:.1%} "
          f"| {[e['status'] for e in log].count(429)} | {fullest} |")


def clerk_rl_run(n):
    path, _ = write_lines(n)
    sb = prod_sandbox()
    try:
        args = [BIN, "--plan", "prod", "--json", "--no-progress", "import-users", path,
                "--results", path + ".results"]
        t0 = time.monotonic()
        p = subprocess.run(args, env=client_env(sb), capture_output=True, text=True)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            raise SystemExit(f"import failed ({p.returncode}):\n{p.stderr[-2000:]}")
        s = summary_json(p.stderr)
        row(f"clerk-rl import-users, {n:,} lines, default flags (created {s['created']})", sb, wall)
    finally:
        sb.stop()
        for f in (path, path + ".results", path + ".import-journal"):
            if os.path.exists(f):
                os.unlink(f)


def migration_tool_run(n):
    """clerk/migration-tool's strategy: 9 in flight, a fixed 10 s after a 429, 5 tries."""
    sb = prod_sandbox()
    lock = threading.Lock()
    queue = list(range(1, n + 1))
    failed = []

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                i = queue.pop(0)
            body = json.dumps({"external_id": f"mt-{i}", "email_address": [f"mt{i}@example.com"],
                               "skip_password_requirement": True}).encode()
            for _ in range(5):
                req = urllib.request.Request(sb.url + "/v1/users", data=body, method="POST",
                                             headers={"Authorization": "Bearer " + sb.key,
                                                      "Content-Type": "application/json"})
                try:
                    urllib.request.urlopen(req, timeout=30).read()
                    break
                except urllib.error.HTTPError as e:
                    if e.code == 429:
                        time.sleep(10)
                        continue
                    failed.append(i)
                    break
            else:
                failed.append(i)

    try:
        t0 = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(9)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        row(f"migration-tool's strategy (Python simulation: 9 in flight, 10 s after a 429), {n:,} lines, "
            f"{len(failed)} failed", sb, wall)
    finally:
        sb.stop()


def list_external_ids(sb):
    ids, offset = [], 0
    while True:
        url = f"{sb.url}/v1/users?limit=500&offset={offset}&order_by=%2Bcreated_at"
        for _ in range(100):
            try:
                req = urllib.request.Request(url, headers={"Authorization": "Bearer " + sb.key})
                page = json.loads(urllib.request.urlopen(req, timeout=30).read())
                break
            except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
                continue
        ids += [u.get("external_id") for u in page]
        if len(page) < 500:
            return ids
        offset += 500


def exactly_once(n):
    path, bad = write_lines(n, bad_every=100, prefix="eo")
    good = n - len(bad)
    sb = Sandbox(0, "200/1s", extra=["--faults", "reset-after:0.03,503:0.02", "--fault-seed", "5"])
    env = client_env(sb)
    args = [BIN, "--rate", "200/1s", "--json", "--no-progress", "import-users", path,
            "--results", path + ".results"]
    kills = 0
    try:
        def posts():
            return sum(1 for e in sb.requests() if e["method"] == "POST")
        for at in (n // 3, 2 * n // 3):
            p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while posts() < at and p.poll() is None:
                time.sleep(0.02)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                kills += 1
            p.wait()
        p = subprocess.run(args, env=env, capture_output=True, text=True)
        with open(path + ".results") as f:
            res = [json.loads(l) for l in f]
        named = sorted(r["line"] for r in res if r["status"] == "invalid")
        before = posts()
        again = subprocess.run(args, env=env, capture_output=True, text=True)
        after = posts()
        ext = list_external_ids(sb)
        dropped = sum(1 for e in sb.requests() if e["method"] == "POST" and e.get("fault") == "reset-after")
        s = summary_json(p.stderr)
        ok = (len(ext) == good and len(set(ext)) == good and named == bad and after == before
              and p.returncode == 7 and again.returncode == 7)
        print(f"| {n:,} lines ({len(bad)} bad), {kills} SIGKILLs + reruns | 200/1s, 0 ms, "
              f"reset-after 3%, 503 2% | {len(ext)} users for {good} good lines, "
              f"{len(ext) - len(set(ext))} duplicates | {len(named)} bad lines named | "
              f"{dropped} answers dropped after commit, {s['found_after_loss']} found by look-up (last run) | "
              f"final rerun: {after - before} creates | {'PASS' if ok else 'FAIL'} |")
    finally:
        sb.stop()
        for f in (path, path + ".results", path + ".import-journal"):
            if os.path.exists(f):
                os.unlink(f)


def body():
    n = 1001 if QUICK else 3001
    print(f"Binary: `{os.path.relpath(BIN)}`.\n")
    print("| run | server model | creates | requests | span | % of budget | % of ceiling N/(W+RTT) | 429s | fullest window |")
    print("|---|---|---|---|---|---|---|---|---|")
    clerk_rl_run(n)
    migration_tool_run(n)
    print()
    print("| exactly once | server model | users | bad lines | faults | rerun | verdict |")
    print("|---|---|---|---|---|---|---|")
    exactly_once(1000 if QUICK else 3000)


if __name__ == "__main__":
    report("import", body)
