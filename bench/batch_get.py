#!/usr/bin/env python3
"""Benchmark `clerk-rl batch-get` against `clerk-rl sandbox` (release builds, loopback).

1. Requests: 10,000 ids with the list strategy (100 ids per request) against one request per id
   (--strategy get), on a budget that does not bind, so the count and the cost per id show.
2. Cache: the same 10,000 ids through a real redis-server, cold then warm: requests to the API
   and the time to resolve 10,000 cached ids.
3. Side by side on one sandbox budget (100/10s, Clerk's documented development limit): the
   common approach (the official Node SDK's users.getUser per id, 10 in parallel, 500 ms between
   batches, waiting Retry-After on a 429) against clerk-rl batch-get, and clerk-rl --strategy get.

Usage: bench/batch_get.py [--quick]     (Markdown on stdout and in bench/results/batch_get.md;
bench/run splices it into README.md)
Needs: cargo, redis-server, and for the SDK run Node.js 20 (`npm ci` in tests/node is run if
needed).
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, Redis, Sandbox, client_env, report, summary_json  # noqa: E402

QUICK = "--quick" in sys.argv


def sandbox_ids(sb, n, seed):
    """n ids of the sandbox's users, shuffled (read with export-users, not counted later)."""
    p = subprocess.run([BIN, "--rate", "100000/1s", "--no-progress", "export-users", "--no-count"],
                       env=client_env(sb), capture_output=True, text=True, check=True)
    ids = [json.loads(l)["id"] for l in p.stdout.splitlines()]
    random.Random(seed).shuffle(ids)
    return ids[:n]


def batch_get(sb, ids_file, rate, extra=()):
    """(summary, lines written, wall seconds, API requests it caused)."""
    before = len(sb.requests())
    args = [BIN, "--rate", rate, "--json", "--no-progress", "batch-get", ids_file, *extra]
    t0 = time.monotonic()
    p = subprocess.run(args, env=client_env(sb), capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit(f"batch-get failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return summary_json(p.stderr), len(p.stdout.splitlines()), wall, len(sb.requests()) - before


def write_ids(ids):
    f = tempfile.NamedTemporaryFile("w", prefix="clerk-rl-bench-ids-", suffix=".txt", delete=False)
    f.write("\n".join(ids) + "\n")
    f.close()
    return f.name


def requests_and_cache():
    n = 2_000 if QUICK else 10_000
    rate = "100000/1s"
    sb = Sandbox(2 * n, rate)
    redis = Redis()
    try:
        ids = sandbox_ids(sb, n, 1)
        path = write_ids(ids)
        rows = []
        for label, extra in [("list: GET /v1/users?user_id=… (100 ids per request)", []),
                             ("get: GET /v1/users/{id} (one request per id)", ["--strategy", "get"])]:
            s, lines, wall, req = batch_get(sb, path, rate, extra)
            rows.append((label, lines, req, s["requests_saved_by_batching"], wall))
        print(f"#### Requests: {n:,} ids, budget not binding ({rate})\n")
        print("| strategy | users written | requests | saved by batching | elapsed |")
        print("|---|---|---|---|---|")
        for label, lines, req, saved, wall in rows:
            print(f"| {label} | {lines:,} | {req:,} | {saved:,} | {wall:.2f} s |")
        print()

        cache = ["--cache", redis.url(), "--cache-ttl", "10m"]
        cold = batch_get(sb, path, rate, cache)
        warm = batch_get(sb, path, rate, cache)
        print(f"#### Cache: the same {n:,} ids through redis-server on loopback\n")
        print("| run | users written | cache hits | API requests | elapsed (whole process) |")
        print("|---|---|---|---|---|")
        for label, (s, lines, wall, req) in [("cold cache", cold), ("warm cache", warm)]:
            print(f"| {label} | {lines:,} | {s['cache_hits']:,} | {req} | {wall:.2f} s |")
        print()
        os.unlink(path)
    finally:
        redis.stop()
        sb.stop()


SDK_SCRIPT = r"""
import { createClerkClient } from '@clerk/backend';
import { readFileSync } from 'node:fs';
const clerk = createClerkClient({ secretKey: process.env.CLERK_SECRET_KEY, apiUrl: process.env.CLERK_API_URL });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ids = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
let users = 0, r429 = 0;
async function get(id) {
  for (;;) {
    try { return await clerk.users.getUser(id); }
    catch (e) {
      if (e.status === 429) { r429++; await sleep((e.retryAfter ?? 1) * 1000); continue; }
      throw e;
    }
  }
}
const t0 = Date.now();
for (let i = 0; i < ids.length; i += 10) {
  const got = await Promise.all(ids.slice(i, i + 10).map(get));
  users += got.length;
  if (i + 10 < ids.length) await sleep(500);
}
console.log(JSON.stringify({ users, r429, elapsed_s: (Date.now() - t0) / 1000 }));
"""


def side_by_side():
    n = 300 if QUICK else 1_000
    rate = "100/10s"
    node_dir = os.path.join(ROOT, "tests", "node")
    if not os.path.isdir(os.path.join(node_dir, "node_modules", "@clerk")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=node_dir, check=True)
    script = os.path.join(node_dir, ".bench-sdk-batch.mjs")
    with open(script, "w") as f:
        f.write(SDK_SCRIPT)
    rows = []
    try:
        # A fresh sandbox per approach, so none starts with another's used budget.
        sb = Sandbox(5_000, "100000/1s")
        try:
            ids = sandbox_ids(sb, n, 2)
        finally:
            sb.stop()
        path = write_ids(ids)

        sb = Sandbox(5_000, rate)
        try:
            p = subprocess.run(["node", script, path], env=client_env(sb), capture_output=True, text=True, cwd=node_dir)
            if p.returncode != 0:
                raise SystemExit("SDK run failed:\n" + p.stderr[-2000:])
            sdk = json.loads(p.stdout.strip().splitlines()[-1])
            log = sb.requests()
            rows.append(("official Node SDK users.getUser per id, 10 in parallel, 500 ms between batches, retry on 429",
                         sdk["users"], len(log), sum(1 for e in log if e["status"] == 429), sdk["elapsed_s"]))
        finally:
            sb.stop()
        for label, extra in [(f"clerk-rl batch-get --rate {rate}", []),
                             (f"clerk-rl batch-get --strategy get --rate {rate}", ["--strategy", "get"])]:
            sb = Sandbox(5_000, rate)
            try:
                s, lines, wall, req = batch_get(sb, path, rate, extra)
                log = sb.requests()
                rows.append((label, lines, req, sum(1 for e in log if e["status"] == 429), s["http"]["elapsed_s"]))
            finally:
                sb.stop()
        os.unlink(path)
    finally:
        os.unlink(script)
    print(f"#### Side by side: {n:,} ids, sandbox at {rate} (Clerk's documented development limit)\n")
    print("| approach | users | requests | 429s | elapsed |")
    print("|---|---|---|---|---|")
    for label, users, req, n429, el in rows:
        print(f"| {label} | {users:,} | {req:,} | {n429} | {el:.2f} s |")
    print()


def body():
    requests_and_cache()
    side_by_side()


if __name__ == "__main__":
    report("batch_get", body)
