#!/usr/bin/env python3
"""What `export-users` and `batch-get` do against servers that misbehave (`sandbox --misbehave`),
release builds over loopback: the exit code, the users written (the output file, or the
`.partial` left beside it), the page requests spent before the run ended, and the wall time.

Exit 0 must come with every user; anything else must be exit 6 with no output file, after a
handful of requests (before issue 12: 1 of 1,200 users with exit 0, or 3,000+ requests in 120 s
and never an end). Each row runs under a 120 s deadline.

Usage: bench/misbehave.py   (writes bench/results/misbehave.md and prints the table)
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, Sandbox, build, client_env  # noqa: E402

USERS = 12_000
RATE = "100/1s"
DEADLINE = 120


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return None


def error_line(stderr):
    for line in stderr.splitlines():
        if line.startswith("clerk-rl: error:"):
            text = line[len("clerk-rl: error: "):]
            return text if len(text) <= 90 else text[:89] + "…"
    return ""


def export_row(how, headers, latency, concurrency):
    extra = ["--rate-limit-headers", headers, "--latency", latency]
    if how != "none":
        extra += ["--misbehave", how]
    sb = Sandbox(USERS, RATE, extra=extra)
    out_dir = tempfile.mkdtemp(prefix="clerk-rl-bench-misbehave-")
    out = os.path.join(out_dir, "users.jsonl")
    args = [BIN, "--rate", RATE, "--no-progress", "export-users", "--output", out,
            "--concurrency", concurrency]
    t0 = time.monotonic()
    try:
        p = subprocess.run(args, env=client_env(sb), capture_output=True, text=True,
                           timeout=DEADLINE)
        code, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        code, err = "hang", ""
    wall = time.monotonic() - t0
    pages = sum(1 for r in sb.requests() if r["path"] == "/v1/users")
    sb.stop()
    written = count_lines(out)
    partial = count_lines(out + ".partial")
    users = f"{written:,} in the file" if written is not None else f"none ({partial or 0:,} in .partial)"
    said = error_line(err) or ("newest-first walk" if "newest first" in err else "")
    return (f"| export-users | {how} | {headers}, {latency} | {concurrency} | {code} | {users} "
            f"| {pages} | {wall:.1f} | {said} |")


def batch_get_row(headers, latency):
    sb = Sandbox(USERS, RATE, extra=["--misbehave", "cap-results", "--rate-limit-headers",
                                     headers, "--latency", latency])
    # Every user's id, read from a well-behaved listing of the same sandbox is not possible
    # (it misbehaves only on user_id= lists): take them from an export of it.
    out_dir = tempfile.mkdtemp(prefix="clerk-rl-bench-misbehave-")
    ids = os.path.join(out_dir, "ids.txt")
    exp = subprocess.run([BIN, "--rate", "1000/1s", "--no-progress", "export-users"],
                         env=client_env(sb), capture_output=True, text=True, check=True)
    import json
    with open(ids, "w") as f:
        for line in exp.stdout.splitlines():
            f.write(json.loads(line)["id"] + "\n")
    before = len(sb.requests())
    out = os.path.join(out_dir, "users.jsonl")
    t0 = time.monotonic()
    p = subprocess.run([BIN, "--rate", RATE, "--no-progress", "batch-get", ids, "--output", out],
                       env=client_env(sb), capture_output=True, text=True, timeout=DEADLINE)
    wall = time.monotonic() - t0
    reqs = sb.requests()[before:]
    lists = sum(1 for r in reqs if r["path"] == "/v1/users")
    gets = sum(1 for r in reqs if r["path"].startswith("/v1/users/user_"))
    sb.stop()
    missing = sum(1 for l in p.stderr.splitlines() if l.startswith("not found:"))
    return (f"| batch-get | cap-results | {headers}, {latency} | 4 | {p.returncode} "
            f"| {count_lines(out) or 0:,} found, {missing} reported missing "
            f"| {lists} lists + {gets} GETs | {wall:.1f} | capped lists detected |")


def main():
    build()
    rows = [
        "| command | `--misbehave` | headers, latency | streams | exit | users | page requests | wall s | what it said |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for how in ["none", "ignore-order", "repeat-page", "jump-back", "shuffle-page"]:
        rows.append(export_row(how, "none", "0s", "1"))
    for how in ["none", "ignore-order", "repeat-page"]:
        rows.append(export_row(how, "ietf", "100ms", "0"))
    rows.append(batch_get_row("x-ratelimit", "50ms"))
    table = "\n".join(rows)
    note = (f"\n\n{USERS:,} users, client and sandbox at {RATE}, one process; "
            "streams 0 = chosen from the budget and latency.\n")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "misbehave.md"), "w") as f:
        f.write(table + note)
    print(table + note)


if __name__ == "__main__":
    main()
