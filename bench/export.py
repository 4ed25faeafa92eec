#!/usr/bin/env python3
"""Benchmark `clerk-rl export-users` against `clerk-rl sandbox` (release builds, loopback).

For each sandbox algorithm (fixed, sliding, bucket) limiting at the same budget as the client:
requests sent, 429s, elapsed time against the least the budget allows for that many requests,
and the client's peak RSS and CPU time. Then peak RSS and CPU exporting 1,000,000 users with a
budget that does not bind. Then, side by side on one sandbox budget, the approach most guides
show (the official Node SDK's getUserList, pages of 100, a fixed 200 ms pause, retry on 429).

Usage: bench/export.py [--quick] [budget] [million] [side]   (Markdown on stdout and in
bench/results/export.md; bench/run splices it into README.md)
Needs: cargo, GNU time (/usr/bin/time), and for the SDK run `npm ci` in tests/node.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, Sandbox, client_env, report, summary_json, timed  # noqa: E402

QUICK = "--quick" in sys.argv


def least_time(requests, limit, window_s):
    # Never more than `limit` in any window: request k+limit goes a window after request k.
    return (requests - 1) // limit * window_s


def export(sb, rate, burst=None, extra=()):
    out = tempfile.NamedTemporaryFile(prefix="clerk-rl-bench-", suffix=".jsonl", delete=False).name
    os.unlink(out)
    args = [BIN, "--rate", rate, "--json", "--no-progress"]
    if burst:
        args += ["--burst", str(burst)]
    args += ["export-users", "--output", out, *extra]
    code, _, err, rss, cpu, wall = timed(args, client_env(sb))
    if code != 0:
        raise SystemExit(f"export failed ({code}):\n{err[-2000:]}")
    with open(out, "rb") as f:
        lines = sum(1 for _ in f)
    os.unlink(out)
    return summary_json(err), rss, cpu, wall, lines


def budget_runs():
    # Clerk's windows are 10 s; the one round trip per window that response-anchored pacing
    # costs is measured against that.
    users = 20_000 if QUICK else 200_000
    limit, window = (10, 1.0) if QUICK else (100, 10.0)
    rate = f"{limit}/{int(window)}s"
    rows = []
    for algo in ["fixed", "sliding", "bucket"]:
        # The bucket's capacity equals the limit: the client's strict window is safe against it.
        sb = Sandbox(users, rate, algo, burst=limit if algo == "bucket" else None)
        try:
            s, rss, cpu, wall, lines = export(sb, rate)
            log = sb.requests()
        finally:
            sb.stop()
        req = s["http"]["requests"]
        server_429 = sum(1 for e in log if e["status"] == 429)
        least = least_time(req, limit, window)
        elapsed = s["http"]["elapsed_s"]
        rows.append((algo, users, lines, req, math.ceil(users / 500) + 4, server_429, elapsed, least,
                     (elapsed - least) / least * 100, rss, cpu))
    print(f"#### Budget use: {users:,} users, client and sandbox both at {rate}, no rate-limit headers, no added latency, 1 process\n")
    print("| sandbox algorithm | users written | requests (target ceil(n/500)+4: pages, the last short page, two counts, the newest-user probe) | 429s | elapsed | least the budget allows | over least | peak RSS | CPU |")
    print("|---|---|---|---|---|---|---|---|---|")
    for algo, users, lines, req, target, n429, el, least, over, rss, cpu in rows:
        print(f"| {algo} | {lines:,} | {req} ({target}) | {n429} | {el:.2f} s | {least:.2f} s | {over:+.1f}% | {rss:.1f} MB | {cpu:.2f} s |")
    print()


def million():
    users = 200_000 if QUICK else 1_000_000
    rate = "100000/1s"
    sb = Sandbox(users, rate)
    try:
        # Default flags: the auto-split picks its parts and streams.
        s, rss, cpu, wall, lines = export(sb, rate)
    finally:
        sb.stop()
    print(f"#### Memory and CPU: {users:,} users, default flags, budget not binding ({rate} on both sides, no rate-limit headers)\n")
    print("| users written | parts | requests | elapsed | peak RSS | CPU (user+sys) | CPU per 100k users |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {lines:,} | {s.get('parts')} | {s['http']['requests']} | {s['http']['elapsed_s']:.2f} s | {rss:.1f} MB | {cpu:.2f} s | {cpu / users * 100_000:.3f} s |")
    print()


SDK_SCRIPT = r"""
import { createClerkClient } from '@clerk/backend';
const clerk = createClerkClient({ secretKey: process.env.CLERK_SECRET_KEY, apiUrl: process.env.CLERK_API_URL });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let offset = 0, users = 0, r429 = 0;
const t0 = Date.now();
for (;;) {
  let page;
  try {
    page = await clerk.users.getUserList({ limit: 100, offset, orderBy: '+created_at' });
  } catch (e) {
    if (e.status === 429) { r429++; await sleep((e.retryAfter ?? 1) * 1000); continue; }
    throw e;
  }
  users += page.data.length;
  if (page.data.length < 100) break;
  offset += 100;
  await sleep(200);
}
console.log(JSON.stringify({ users, r429, elapsed_s: (Date.now() - t0) / 1000 }));
"""


def side_by_side():
    users = 2_000 if QUICK else 10_000
    rate = "100/10s"
    node_dir = os.path.join(ROOT, "tests", "node")
    if not os.path.isdir(os.path.join(node_dir, "node_modules", "@clerk")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=node_dir, check=True)
    script = os.path.join(node_dir, ".bench-sdk-export.mjs")
    with open(script, "w") as f:
        f.write(SDK_SCRIPT)
    try:
        sb = Sandbox(users, rate)
        try:
            t0 = time.monotonic()
            p = subprocess.run(["node", script], env=client_env(sb), capture_output=True, text=True, cwd=node_dir)
            if p.returncode != 0:
                raise SystemExit("SDK export failed:\n" + p.stderr[-2000:])
            sdk = json.loads(p.stdout.strip().splitlines()[-1])
            sdk_req = len(sb.requests())
        finally:
            sb.stop()
        sb = Sandbox(users, rate)
        try:
            s, rss, cpu, wall, lines = export(sb, rate)
            ours_429 = sum(1 for e in sb.requests() if e["status"] == 429)
        finally:
            sb.stop()
    finally:
        os.unlink(script)
    print(f"#### Side by side: {users:,} users, sandbox at {rate} (Clerk's documented development limit)\n")
    print("| approach | users | requests | 429s | elapsed |")
    print("|---|---|---|---|---|")
    print(f"| official Node SDK getUserList, pages of 100, 200 ms pause, retry on 429 | {sdk['users']:,} | {sdk_req} | {sdk['r429']} | {sdk['elapsed_s']:.1f} s |")
    print(f"| clerk-rl export-users --rate {rate} | {lines:,} | {s['http']['requests']} | {ours_429} | {s['http']['elapsed_s']:.1f} s |")
    print()


def body():
    # Sections to run: any of budget, million, side (all by default).
    wanted = [a for a in sys.argv[1:] if not a.startswith("--")] or ["budget", "million", "side"]
    for name, section in [("budget", budget_runs), ("million", million), ("side", side_by_side)]:
        if name in wanted:
            section()


if __name__ == "__main__":
    report("export", body)
