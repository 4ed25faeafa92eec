#!/usr/bin/env python3
"""How fast `clerk-rl sandbox` starts with many users and pages through them by cursor: the
figures tests/it/sandbox.rs's million-user test used to assert as wall-clock bounds (500 ms to
start, 5 s for the paging), measured here instead, on a release build in its own process.

Per size: time from spawn to the URL line (bound and ready), then the test's requests one after
another over loopback (x-ratelimit headers, budget not binding, no latency, 1 process): a page
of 500, the next page by starting_after, the 3 oldest, a count with created_at_after.

Usage: bench/sandbox_scale.py   (after cargo build --release; writes bench/results/sandbox_scale.md)
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, build  # noqa: E402


def get(url, key, path):
    req = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def measure(users):
    t0 = time.monotonic()
    p = subprocess.Popen([BIN, "--rate", "100000/1s", "sandbox", "--users", str(users),
                          "--rate-limit-headers", "x-ratelimit"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = p.stdout.readline().strip().split("=", 1)[1]
        started = time.monotonic() - t0
        key = p.stdout.readline().strip().split("=", 1)[1]
        t1 = time.monotonic()
        page = get(url, key, "/v1/users?limit=500")
        mid = page[499]["id"]
        nxt = get(url, key, f"/v1/users?limit=500&starting_after={mid}")
        assert len(nxt) == 500
        oldest = get(url, key, "/v1/users?limit=3&order_by=created_at")
        count = get(url, key, f"/v1/users/count?created_at_after={oldest[2]['created_at']}")
        assert count["total_count"] <= users - 3
        paging = time.monotonic() - t1
        return started, paging
    finally:
        p.terminate()
        p.wait(timeout=10)


def main():
    build()
    rows = [(n, *measure(n)) for n in (10_000, 1_000_000, 10_000_000)]
    out = ["#### Sandbox scale: start and cursor paging (release, loopback, 1 process, "
           "x-ratelimit headers, latency 0, budget 100000/1s not binding)", "",
           "| users | spawn to ready | 4 requests (page, next page by cursor, oldest 3, count) |",
           "|---|---|---|"]
    for n, started, paging in rows:
        out.append(f"| {n:,} | {started * 1000:.0f} ms | {paging * 1000:.0f} ms |")
    table = "\n".join(out) + "\n"
    print(table)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "sandbox_scale.md"), "w") as fh:
        fh.write(table)


if __name__ == "__main__":
    main()
