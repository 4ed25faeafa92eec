#!/usr/bin/env python3
"""Benchmark one key's budget shared by 2, 4 and 8 clerk-rl processes through Redis, and by 4
through a 3-node Redis Cluster.

Each run: a sandbox enforcing the budget (its own process), a fresh redis-server, and P
`export-users` processes started together with --budget-store. Reported: requests, 429s, the
fullest window the server saw, the aggregate rate against the budget (the least time the budget
allows for that many requests over the time they took), and Redis round trips per request
(EVAL calls from INFO commandstats).

Usage: bench/shared_budget.py [--quick]    Needs: redis-server, redis-cli, cargo.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, Redis, RedisCluster, Sandbox, client_env, efficiency, report  # noqa: E402

QUICK = "--quick" in sys.argv
LIMIT, WINDOW = 50, 1.0
TOTAL_REQUESTS = 300 if QUICK else 1000


def commands(ports):
    """(EVAL calls, client round trips) the redis-server handled, from INFO commandstats. Commands
    run inside a script are counted there too, so round trips are EVALs plus the commands no
    script uses: the heartbeat's HSET (pipelined with its PEXPIRE: one round trip), HGETALL and
    HDEL (stale heartbeats pruned, a process leaving)."""
    calls = {}
    for port in ports:
        out = subprocess.run(["redis-cli", "-p", str(port), "info", "commandstats"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("cmdstat_"):
                name = line.split(":")[0][len("cmdstat_"):]
                calls[name] = calls.get(name, 0) + int(line.split("calls=")[1].split(",")[0])
    evals = calls.get("eval", 0)
    return evals, evals + sum(calls.get(c, 0) for c in ("hset", "hgetall", "hdel"))


def run(procs, cluster=False):
    per_proc = TOTAL_REQUESTS // procs
    users = (per_proc - 1) * 10  # pages of 10, plus the short last page
    sb = Sandbox(users, f"{LIMIT}/1s")
    redis = RedisCluster() if cluster else Redis()
    ports = redis.ports if cluster else [redis.port]
    try:
        env = client_env(sb)
        env["CLERK_RL_BUDGET_STORE"] = redis.url()
        children = [subprocess.Popen([BIN, "--rate", f"{LIMIT}/1s", "--no-progress", "export-users", "--page-size", "10",
                                      "--no-count", "--concurrency", "1"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True) for _ in range(procs)]
        for c in children:
            _, err = c.communicate()
            if c.returncode != 0:
                raise SystemExit(f"export failed: {err[-1000:]}")
        log = sb.requests()
        n_eval, n_all = commands(ports)
    finally:
        sb.stop()
        redis.stop()
    times = [e["t"] for e in log]
    n = len(log)
    least, span, fullest = efficiency(times, LIMIT, WINDOW)
    return {
        "procs": procs, "requests": n, "429": sum(1 for e in log if e["status"] == 429),
        "fullest": fullest, "span": span, "least": least,
        "use": least / span * 100 if span else 0, "rtt": n_eval / n, "all": n_all / n,
    }


def body():
    print(f"#### Shared budget: {LIMIT}/1s shared through Redis, {TOTAL_REQUESTS} requests in all, no rate-limit headers, no added latency\n")
    print("| processes | requests | 429s | fullest 1 s window | first to last request | least the budget allows | budget used | script calls (round trips) per request | all round trips per request (with heartbeats) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in [2, 4, 8]:
        r = run(p)
        print(f"| {r['procs']} | {r['requests']} | {r['429']} | {r['fullest']} | {r['span']:.2f} s | {r['least']:.2f} s | {r['use']:.1f}% | {r['rtt']:.2f} | {r['all']:.2f} |")
    print()
    print(f"#### The same on a 3-node Redis Cluster (redis+cluster://, masters only, all on this machine): {LIMIT}/1s, {TOTAL_REQUESTS} requests in all\n")
    print("| processes | requests | 429s | fullest 1 s window | first to last request | least the budget allows | budget used | script calls (round trips) per request | all round trips per request (with heartbeats) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in [4]:
        r = run(p, cluster=True)
        print(f"| {r['procs']} | {r['requests']} | {r['429']} | {r['fullest']} | {r['span']:.2f} s | {r['least']:.2f} s | {r['use']:.1f}% | {r['rtt']:.2f} | {r['all']:.2f} |")
    print()


if __name__ == "__main__":
    report("shared_budget", body)
