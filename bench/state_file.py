#!/usr/bin/env python3
"""One memory of what the key spent, across the processes of one machine (issue 22): every
command that sends records its requests in the key's state file, so processes run one after
another (or together) without a budget store never send more than the budget between them.

Each case runs the release binary in separate processes against a sandbox in its own process,
with a state folder of its own (CLERK_RL_STATE_DIR). Reported: requests, 429s and the fullest
window from the sandbox's request log; for the export at production's limit, the share of the
budget used (the least time the limit allows ÷ the time taken), the state file's cost per
locked read and write, from -vv (two per request: take a slot, release it), and the CPU (user +
sys, GNU time) of the same export with the state file and without it (the state folder unusable,
so the process paces alone): their difference per request is what the file costs.

Usage: bench/state_file.py    Needs: cargo (builds the release binary)."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, Sandbox, client_env, efficiency, report, timed  # noqa: E402


def env_with_state(sb, state):
    env = client_env(sb)
    env["CLERK_RL_STATE_DIR"] = state
    return env


def run(args, env):
    p = subprocess.run([BIN, *args], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{args} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p


def row(name, model, sb, limit, window, extra=""):
    log = sb.requests()
    least, taken, fullest = efficiency([e["t"] for e in log], limit, window)
    n429 = sum(1 for e in log if e["status"] == 429)
    print(f"| {name} | {model} | {len(log)} | {n429} | {fullest} (limit {limit}) | {extra} |")


def status_then_export():
    model = "20/10s sliding log, no headers, 100ms ±20%"
    sb = Sandbox(500, "20/10s", extra=["--jitter", "20%"], latency="100ms")
    try:
        with tempfile.TemporaryDirectory() as state:
            env = env_with_state(sb, state)
            run(["--rate", "20/10s", "--max-retries", "0", "status"], env)
            out = os.path.join(state, "users.jsonl")
            run(["--rate", "20/10s", "--max-retries", "0", "--no-progress", "export-users",
                 "--page-size", "50", "--output", out], env)
        row("`status`, then `export-users` at once (500 users, pages of 50)", model, sb, 20, 10.0)
    finally:
        sb.stop()


def batch_get_loop(calls=40):
    model = "20/10s sliding log, no headers, 100ms ±20%"
    sb = Sandbox(100, "20/10s", extra=["--jitter", "20%"], latency="100ms")
    try:
        with tempfile.TemporaryDirectory() as state:
            env = env_with_state(sb, state)
            listing = run(["--rate", "20/10s", "--max-retries", "0", "-q", "api", "users",
                           "-f", "limit=100"], env).stdout
            ids = re.findall(r'"id":\s*"(user_[^"]+)"', listing)[:calls]
            for i, uid in enumerate(ids):
                path = os.path.join(state, f"ids{i}")
                with open(path, "w") as f:
                    f.write(uid + "\n")
                run(["--rate", "20/10s", "--max-retries", "0", "-q", "batch-get", path], env)
        row(f"a loop of {len(ids)} `batch-get` calls, one id each (after one `api users`)", model, sb, 20, 10.0)
    finally:
        sb.stop()


def export_at_prod(users=100000):
    model = "1000/10s sliding log, no headers, 300ms ±20%"
    sb = Sandbox(users, "1000/10s", extra=["--jitter", "20%"], latency="300ms")
    try:
        cpu = {}
        for mode in ("file", "none"):
            with tempfile.TemporaryDirectory() as state:
                out = os.path.join(state, "users.jsonl")
                env = env_with_state(sb, state if mode == "file" else "/proc/clerk-rl-no-state")
                before = len(sb.requests())
                rc, _, stderr, _, cpu_s, _ = timed(
                    [BIN, "--plan", "prod", "-vv", "--no-progress", "export-users", "--page-size", "50",
                     "--output", out], env)
                if rc != 0:
                    raise SystemExit(f"export ({mode}) failed ({rc}):\n{stderr[-2000:]}")
                cpu[mode] = (cpu_s, len(sb.requests()) - before)
                if mode == "file":
                    m = re.search(r"state file: (\d+) locked reads and writes, (\d+) µs each", stderr)
                    cost = f"{m.group(1)} file operations, {m.group(2)} µs each" if m else "no cost line"
                    log = sb.requests()
        least, taken, fullest = efficiency([e["t"] for e in log], 1000, 10.0)
        share = (f"{least / taken:.1%} of the budget (the ceiling W/(W+RTT) is 97.1%)" if least
                 else f"{taken:.1f} s, all within one window (the budget allows it in under 1 window)")
        (with_s, n), (without_s, m_) = cpu["file"], cpu["none"]
        per = (with_s / n - without_s / m_) * 1e6
        n429 = sum(1 for e in log if e["status"] == 429)
        print(f"| export-users {users:,} users, pages of 50, default flags | {model} | {len(log)} | {n429} "
              f"| {fullest} (limit 1000) | {share}; {cost} (the mean includes the wait for the lock); "
              f"CPU {with_s:.2f} s with the file, {without_s:.2f} s without: "
              f"{per:.0f} µs of CPU per request for the file |")
    finally:
        sb.stop()


def body():
    print("| case | server model | requests | 429s | fullest window | notes |")
    print("|---|---|---|---|---|---|")
    status_then_export()
    batch_get_loop()
    export_at_prod(int(os.environ.get("CLERK_RL_BENCH_USERS", "100000")))
    print(f"\nBinary: {BIN}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")


if __name__ == "__main__":
    report("state_file", body)
