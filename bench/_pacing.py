"""What bench/pacing_*.py share: export-users against a sandbox enforcing the same budget, with
each rate-limit header style and each sandbox algorithm, one process or several sharing a
redis-server; efficiency measured from the sandbox's request log."""
import os
import subprocess
import tempfile
import threading

from common import BIN, Redis, Sandbox, client_env, efficiency

STYLES = ["none", "x-ratelimit", "ietf"]
ALGORITHMS = ["fixed", "sliding", "bucket"]


def run(style, algorithm, limit, window_s, windows, procs, latency=None, page_size=10):
    """P export-users processes (sharing Redis when P > 1) exporting the whole sandbox, sized so
    all of them together send about `windows` windows' worth of requests."""
    rate = f"{limit}/{window_s}s"
    pages = max(2, (limit * windows) // procs)  # each process: its pages plus one count
    users = pages * page_size - page_size // 2  # the last page is short: no empty page
    sb = Sandbox(users, rate, algorithm, burst=limit if algorithm == "bucket" else None,
                 headers=style, latency=latency)
    redis = Redis() if procs > 1 else None
    try:
        env = client_env(sb)
        if redis:
            env["CLERK_RL_BUDGET_STORE"] = redis.url()
        outs = []
        children = []
        for _ in range(procs):
            out = tempfile.NamedTemporaryFile(prefix="clerk-rl-bench-", suffix=".jsonl", delete=False).name
            outs.append(out)
            children.append(subprocess.Popen(
                [BIN, "--rate", rate, "--no-progress", "--json", "export-users", "--page-size", str(page_size),
                 "--force", "--output", out], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        for c in children:
            _, err = c.communicate()
            if c.returncode != 0:
                raise SystemExit(f"export failed ({style}, {algorithm}, {procs}):\n{err[-1500:]}")
        for out in outs:
            os.unlink(out)
        log = sb.requests()
    finally:
        sb.stop()
        if redis:
            redis.stop()
    times = [e["t"] for e in log]
    least, taken, fullest = efficiency(times, limit, window_s)
    return {
        "style": style, "algorithm": algorithm, "procs": procs, "requests": len(log),
        "429": sum(1 for e in log if e["status"] == 429), "fullest": fullest,
        "least": least, "taken": taken, "eff": least / taken * 100 if taken else 0.0,
    }


def table(title, rows, limit, window_s, latency):
    print(f"#### {title}\n")
    print("| header style | sandbox algorithm | processes | window | latency | requests | 429s | fullest window | least the limit allows | taken | efficiency |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['style']} | {r['algorithm']} | {r['procs']} | {limit}/{window_s}s | {latency or '0'} | {r['requests']} | {r['429']} | {r['fullest']} | {r['least']:.2f} s | {r['taken']:.2f} s | {r['eff']:.1f}% |")
    print()


def matrix(limit, window_s, windows, procs_list, latency=None, parallel=1, combos=None):
    """Every (style, algorithm, processes), `parallel` runs at a time (runs of long windows are
    idle almost all the time, so running a few side by side saves minutes, not accuracy)."""
    combos = combos or [(s, a, p) for p in procs_list for s in STYLES for a in ALGORITHMS]
    results = {}
    sem = threading.Semaphore(parallel)
    errors = []

    def one(key):
        with sem:
            try:
                results[key] = run(*key[:2], limit, window_s, windows, key[2], latency)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

    threads = [threading.Thread(target=one, args=(k,)) for k in combos]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [results[k] for k in combos]
