#!/usr/bin/env python3
"""How right `clerk-rl probe` is at Clerk's real limits, and what it costs (release builds).

Each row probes a fresh `clerk-rl sandbox` in its own process over 127.0.0.1, with no rate-limit
headers (only Retry-After, as Clerk answers a 429) and `--latency` added to every request (half
before the sandbox stamps it, half after), with the probe's default flags plus `--expect` (the
limit to find, as a production key's documented 1000/10s would give it; the sandbox's key is a
development one). The targets (issue 18): N within 2%, W within 5%, the algorithm right or the
verdict tentative, at most 3x the limit in requests and 3 windows in time; and the recommended
--rate/--burst never above the server's.

A token bucket's N is its capacity and its W the time to refill from empty (capacity / rate).

Usage: bench/probe_accuracy.py [--jobs 2]   (about 18 probes of up to 30 s each, 2 at a time)
Writes the Markdown table to stdout and to bench/results/probe_accuracy.md.

bench/probe_accuracy.py --slow-start: the rows of issue 22 instead: keys at 3x and 30x the
development instance's documented 100/10s (300/10s, 3000/10s), 150 ms away, probed WITHOUT
`--expect` (so the probe starts from the documented limit and must grow what it keeps in flight
to reach the real one), `--max-requests` 3N. Targets: N within 2%, W within 2%. Written to
bench/results/probe_slow_start.md.
"""
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, Sandbox, build, client_env  # noqa: E402

JOBS = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else 2
SLOW_START = "--slow-start" in sys.argv
CASES = [(alg, rate, lat)
         for rate in ("100/10s", "1000/10s")
         for alg in ("fixed", "sliding", "bucket")
         for lat in (0, 50, 150)]
if SLOW_START:
    CASES = [(alg, rate, 150) for rate in ("300/10s", "3000/10s") for alg in ("fixed", "sliding")]


def parse_rate(rate):
    n, w = rate.split("/")
    return int(n), float(w.rstrip("s"))


def one(case):
    alg, rate, lat = case
    n, w = parse_rate(rate)
    sb = Sandbox(users=10, rate=rate, algorithm=alg, burst=n if alg == "bucket" else None,
                 extra=("--latency", f"{lat}ms", "--rate-limit-headers", "none"))
    try:
        t0 = time.monotonic()
        told = ["--max-requests", str(3 * n)] if SLOW_START else ["--expect", rate]
        p = subprocess.run([BIN, "--json", "--no-progress", "probe", *told],
                           env=client_env(sb), capture_output=True, text=True)
        wall = time.monotonic() - t0
    finally:
        # Stopped first, so the log holds every request the probe had in flight when it ended.
        sb.proc.terminate()
        sb.proc.wait(timeout=10)
        with open(sb.log) as f:
            sent = sum(1 for line in f if line.strip())
        os.unlink(sb.log)
    if p.returncode != 0:
        return case, None, f"exit {p.returncode}: {p.stderr.strip()[-300:]}", sent, wall
    return case, json.loads(p.stdout), p.stderr, sent, wall


def judge(case, j, sent, wall):
    alg, rate, lat = case
    n, w = parse_rate(rate)
    got_n = j.get("capacity") if alg == "bucket" else j.get("limit")
    got_w = (j["capacity"] / j["rate_per_s"]) if alg == "bucket" and j.get("capacity") and j.get("rate_per_s") \
        else j.get("window_s")
    tentative = j["verdict"] != "inferred"
    ok_n = got_n is not None and abs(got_n - n) <= 0.02 * n
    ok_w = got_w is not None and abs(got_w - w) <= (0.02 if SLOW_START else 0.05) * w
    ok_alg = j.get("algorithm") == alg or tentative
    ok_cost = sent <= 3 * n and j["elapsed_s"] <= 3 * w
    # The advice never asks for more than the server allows.
    rec = j.get("recommended") or {}
    ok_safe = True
    if rec.get("rate"):
        rn, rw = rec["rate"].split("/")
        rw = float(rw[:-2]) / 1000 if rw.endswith("ms") else float(rw.rstrip("s"))
        ok_safe = int(rn) / rw <= n / w * (1 + 1e-9) and (rec.get("burst") or 0) <= n
    return got_n, got_w, tentative, ok_n and ok_w and ok_alg and ok_cost and ok_safe


def in_flight(j):
    f = j.get("in_flight") or {}
    if f.get("grown_to"):
        return f"{f.get('chosen')} → {f['grown_to']} → {f.get('then') or f['grown_to']}"
    return f.get("chosen", "")


def main():
    build()
    with ThreadPoolExecutor(JOBS) as pool:
        results = list(pool.map(one, CASES))
    rows = ["| algorithm | limit | latency | headers | in flight | requests (≤3N) | time s (≤3W) "
            "| verdict | algorithm found | N | W s | use | targets met |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    failures = 0
    for case, j, err, sent, wall in results:
        alg, rate, lat = case
        if j is None:
            failures += 1
            rows.append(f"| {alg} | {rate} | {lat} ms | none | | {sent} | {wall:.1f} | failed: {err} "
                        "| | | | | no |")
            continue
        got_n, got_w, tentative, ok = judge(case, j, sent, wall)
        failures += not ok
        rows.append(
            f"| {alg} | {rate} | {lat} ms | none | {in_flight(j)} | {sent} "
            f"| {j['elapsed_s']:.1f} | {j['verdict']} | {j.get('algorithm') or '-'} "
            f"| {got_n if got_n is not None else '-'} "
            f"| {f'{got_w:.2f}' if got_w is not None else '-'} "
            f"| `{(j.get('recommended') or {}).get('flags', '-')}` | {'yes' if ok else 'NO'} |")
    model = ("server model: `clerk-rl sandbox` over 127.0.0.1, `--latency 150ms` (no jitter), "
             "no capacity limit, `--rate-limit-headers none` (only Retry-After), 10 s windows; "
             "the probe without `--expect` (it starts from the documented 100/10s), "
             "`--max-requests` 3N; in flight = first → slow start's peak → later bursts; "
             "targets N and W within 2%" if SLOW_START else
             "`--rate-limit-headers none`; bucket capacity = N")
    table = "\n".join(rows) + (
        f"\n\n1 sandbox process and 1 probe process per row, {JOBS} rows at a time, 127.0.0.1; "
        f"{model}. {len(results) - failures} of {len(results)} rows meet every target.\n")
    print(table)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    name = "probe_slow_start.md" if SLOW_START else "probe_accuracy.md"
    with open(os.path.join(ROOT, "bench", "results", name), "w") as f:
        f.write(table)


if __name__ == "__main__":
    main()
