#!/usr/bin/env python3
"""`clerk-rl api --paginate` over offset pages at Clerk's production limit (1000/10s) against a
sandbox as far away as Clerk (300 ms ±20%, and 150 ms): the walk one page at a time (what it
was before issue 22, and still is with --concurrency 1) against the pages asked ahead (default
flags: as many in flight as rate x round trip needs).

Efficiency as in bench/world.py: the least time the sliding window allows for the requests sent
(request k+N a window after request k) divided by the time they took, from the sandbox's own
request log; the provable ceiling of response-anchored pacing is W/(W+RTT) (97.1% at 10 s and
300 ms), so "of the ceiling" is that efficiency divided by W/(W+RTT).

Release build; the sandbox and the client are separate processes on loopback.
Markdown on stdout and in bench/results/paginate.md (bench/run splices it into README.md)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, Sandbox, client_env, efficiency, report, summary_json, timed  # noqa: E402

LIMIT, WINDOW = 1000, 10.0
RATE = f"{LIMIT}/10s"


def walk(label, path, orgs, users, latency_ms, page, extra=(), query=(), jitter="20%"):
    rtt = latency_ms / 1000
    model = f"{latency_ms}ms ±{jitter}, {RATE} sliding log, no headers"
    sb = Sandbox(users, RATE, extra=["--jitter", jitter, "--organizations", str(orgs)],
                 latency=f"{latency_ms}ms")
    try:
        args = [BIN, "--plan", "prod", "--json", "--no-progress", "api", "--paginate", path,
                "--page-size", str(page), *query, *extra]
        code, out, err, rss, cpu, wall = timed(args, client_env(sb))
        if code != 0:
            raise SystemExit(f"{label}: exit {code}\n{err[-2000:]}")
        s = summary_json(err)
        lines = out.splitlines()
        want = orgs if path == "organizations" else users
        got = {json.loads(l)["id"] for l in lines}
        if len(lines) != want or len(got) != want:
            raise SystemExit(f"{label}: wrote {len(lines)} lines, {len(got)} ids of {want}")
        log = [e for e in sb.requests() if e["path"] == f"/v1/{path}"]
        statuses = [e["status"] for e in sb.requests()]
        least, taken, fullest = efficiency([e["t"] for e in log], LIMIT, WINDOW)
        eff = least / taken if taken else 0.0
        ceiling = WINDOW / (WINDOW + rtt)
        in_flight = s.get("in_flight", "1 in flight").split(" (")[0]
        print(f"| {label} | {model} | {want:,} in pages of {page} | {len(log):,} | {taken:.1f} s "
              f"| {(len(log) - 1) / taken:.1f}/s | {eff:.1%} | {eff / ceiling:.1%} "
              f"| {statuses.count(429)} | {fullest} | {in_flight} | {s.get('requests_past_the_end', 0)} "
              f"| {rss:.0f} MB | {cpu:.2f} s |")
    finally:
        sb.stop()


def body():
    # The sandbox sorts the whole list on every list request: a short list in pages of one keeps
    # it from being the limit while the walk spans several windows (3,000 organizations: 3,001
    # page requests, where pages of 10 over 30,000 would make the sandbox's CPU the bottleneck).
    scale = int(os.environ.get("CLERK_RL_BENCH_ITEMS", "3000"))
    rows = os.environ.get("CLERK_RL_BENCH_ROWS", "before,after").split(",")
    print("| walk | server model | items | page requests | time (first to last, server's log) "
          "| rate | of the budget | of the ceiling W/(W+RTT) | 429s | fullest window (1000) "
          "| in flight | requests past the end | peak RSS | CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    if "before" in rows:
        # One page at a time, as every offset walk went before issue 22. 1,100 organizations:
        # 1,101 requests, more than one window, so the efficiency is measured, not a burst.
        walk("organizations, one page at a time (--concurrency 1: the walk before)",
             "organizations", 1_100, 10, 300, 1, extra=["--concurrency", "1"])
    if "after" in rows:
        walk("organizations, default flags", "organizations", scale, 10, 300, 1)
        walk("organizations, default flags", "organizations", scale, 10, 150, 1)
        walk("users by -updated_at (offset, total from /v1/users/count), default flags",
             "users", 10, scale, 300, 1, query=["-f", "order_by=-updated_at"])


if __name__ == "__main__":
    report("paginate", body)
