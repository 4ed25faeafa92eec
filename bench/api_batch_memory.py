#!/usr/bin/env python3
"""`clerk-rl api --batch FILE`'s memory and its journal's cost as the file grows: peak RSS (GNU
time) of `--dry-run` over 100,000 and 1,000,000 lines, and of runs against a local sandbox with
a budget high enough that the machine's CPU is what binds; the same run from stdin without a
journal says what the journal (two records a line, fsynced in groups) costs.

Lines are GETs of 1,000 users (`/v1/users/{id}`, interleaved: every user's lines in file order,
1,000 chains side by side); the sandbox answers at once (no latency, no per-user limit on reads).
CLERK_RL_BENCH_BATCH_SIZES="10000,100000" picks the run sizes; CLERK_RL_BENCH_BATCH_DRY picks
the dry-run ones.

Prints the markdown table and writes it to bench/results/api_batch_memory.md."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, Sandbox, client_env, gnu_time, report, timed  # noqa: E402

USERS = 1000
RATE = "100000/1s"
MODEL = "no latency, 100000/1s (the client's CPU binds), 1,000 users; the client paces alone (`--burst`: no state file)"


def sizes(var, default):
    return [int(s) for s in os.environ.get(var, default).split(",") if s.strip()]


def write_file(path, n, users):
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"method": "GET", "path": f"/v1/users/{users[i % len(users)]}",
                                "id": i}) + "\n")


def user_ids(env):
    out = []
    offset = 0
    while len(out) < USERS:
        p = subprocess.run([BIN, "--rate", RATE, "api", f"users?limit=500&offset={offset}"],
                           env=env, capture_output=True, text=True, check=True)
        page = [u["id"] for u in json.loads(p.stdout)]
        if not page:
            break
        out += page
        offset += len(page)
    return out[:USERS]


def body():
    rows = []
    sb = Sandbox(USERS, RATE)
    work = tempfile.mkdtemp(prefix="clerk-rl-bench-batchmem-")
    try:
        env = client_env(sb)
        env["CLERK_RL_STATE_DIR"] = os.path.join(work, "state")
        os.makedirs(env["CLERK_RL_STATE_DIR"])
        users = user_ids(env)
        for n in sizes("CLERK_RL_BENCH_BATCH_DRY", "100000,1000000"):
            path = os.path.join(work, f"dry{n}.jsonl")
            write_file(path, n, users)
            code, _, err, rss, cpu, wall = timed(
                [BIN, "--rate", RATE, "api", "--batch", path, "--dry-run"], env)
            rows.append((f"--dry-run, {n:,} lines", code, rss, cpu, wall, None))
            os.unlink(path)
        for n in sizes("CLERK_RL_BENCH_BATCH_SIZES", "10000,100000"):
            path = os.path.join(work, f"run{n}.jsonl")
            write_file(path, n, users)
            res = os.path.join(work, f"res{n}.jsonl")
            code, _, err, rss, cpu, wall = timed(
                [BIN, "--rate", RATE, "--burst", "100000", "api", "--batch", path, "--results", res], env)
            jsize = os.path.getsize(path + ".batch-journal")
            rows.append((f"run, {n:,} lines, journal", code, rss, cpu, wall, jsize))
            # Again: every line finished, its result read back from the journal.
            code2, _, _, rss2, cpu2, wall2 = timed(
                [BIN, "--rate", RATE, "--burst", "100000", "api", "--batch", path, "--results", res], env)
            rows.append((f"rerun, {n:,} lines all finished before", code2, rss2, cpu2, wall2, None))
            # The same from stdin without --state: no journal (the smallest size only: without a
            # journal to wait on, a thousand chains contend for the places in flight).
            if n != min(sizes("CLERK_RL_BENCH_BATCH_SIZES", "10000,100000")):
                os.unlink(path)
                os.unlink(path + ".batch-journal")
                continue
            with open(path) as f:
                text = f.read()
            p = subprocess.run(["/usr/bin/time", "-v", BIN, "--rate", RATE, "api", "--batch", "-",
                                "--results", res], env=env, input=text, capture_output=True,
                               text=True)
            rss3, cpu3 = gnu_time(p.stderr)
            wall3 = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", p.stderr).group(1)
            m, s = wall3.split(":")[-2:]
            wall3 = int(m) * 60 + float(s)
            rows.append((f"run, {n:,} lines, stdin, no journal", p.returncode, rss3, cpu3, wall3, None))
            os.unlink(path)
            os.unlink(path + ".batch-journal")
    finally:
        sb.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"#### api --batch: memory and the journal's cost by file size; server: {MODEL}")
    print()
    print("| run | exit | peak RSS | CPU | wall | journal on disk |")
    print("|---|---|---|---|---|---|")
    for label, code, rss, cpu, wall, jsize in rows:
        j = f"{jsize / 1e6:.1f} MB" if jsize else ""
        print(f"| {label} | {code} | {rss:.1f} MB | {cpu:.1f} s | {wall:.1f} s | {j} |")


if __name__ == "__main__":
    report("api_batch_memory", body)
