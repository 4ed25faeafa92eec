#!/usr/bin/env python3
"""Benchmark the cache's conditional write (issue 13): what batch-get pays for writing every
user through the one Lua script that refuses older versions and tombstones.

10,000 ids of a sandbox (its own process, budget not binding, x-ratelimit headers) through a
real redis-server on loopback, release build:
  cold      every user fetched and written (no entry yet: the script only checks the guards)
  warm      every user from the cache (one MGET per window, no write)
  refresh   every user fetched again and written over its entry (the script decodes each entry
            to compare updated_at: the costliest case)
  4 procs   four batch-gets --refresh of the same ids at once (same versions: none refused)
  guarded   every user has a newer version marker (as after user.updated deliveries): every
            write refused
  latency   cold again, sandbox --latency 50ms (a distant server; the write is the same)
For each: wall time of the whole process(es), API requests, and Redis's own time per EVAL (one
EVAL writes up to 100 users, a window's EVALs go in pipelines of up to 2 MB of users; INFO commandstats and SLOWLOG,
reset before each row), so the longest time Redis serves nobody else is shown.

Usage: bench/cache_write.py   (after cargo build --release; writes bench/results/cache_write.md)
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, Redis, Sandbox, build, client_env, summary_json  # noqa: E402

N = 10_000
RATE = "100000/1s"


def cli(redis, *args):
    return subprocess.run(["redis-cli", "-p", str(redis.port), *args], capture_output=True,
                          text=True, check=True).stdout


def reset_stats(redis):
    cli(redis, "CONFIG", "RESETSTAT")
    cli(redis, "CONFIG", "SET", "slowlog-log-slower-than", "0")
    cli(redis, "CONFIG", "SET", "slowlog-max-len", "10000")
    cli(redis, "SLOWLOG", "RESET")


def eval_stats(redis):
    """(EVAL calls, mean µs per call, longest µs) since reset_stats."""
    calls, per = 0, 0.0
    for line in cli(redis, "INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_eval:"):
            fields = dict(kv.split("=") for kv in line.split(":", 1)[1].split(","))
            calls, per = int(fields["calls"]), float(fields["usec_per_call"])
    # SLOWLOG GET entries: [id, unix time, duration µs, [command, args...], addr, name].
    longest = max((e[2] for e in resp(redis, "SLOWLOG GET 100000")
                   if e[3] and e[3][0].upper() == b"EVAL"), default=0)
    return calls, per, longest


def resp(redis, command):
    """One inline command over a socket, its RESP reply parsed (redis-cli flattens arrays)."""
    import socket
    with socket.create_connection(("127.0.0.1", redis.port)) as s:
        s.sendall(command.encode() + b"\r\n")
        f = s.makefile("rb")

        def read():
            line = f.readline().rstrip(b"\r\n")
            kind, rest = line[:1], line[1:]
            if kind in (b"+", b"-"):
                return rest
            if kind == b":":
                return int(rest)
            if kind == b"$":
                n = int(rest)
                return None if n < 0 else f.read(n + 2)[:-2]
            if kind == b"*":
                return [read() for _ in range(int(rest))]
            raise SystemExit(f"unexpected reply from Redis: {line!r}")
        return read()


def sandbox_ids(sb, n):
    p = subprocess.run([BIN, "--rate", RATE, "--no-progress", "export-users", "--no-count"],
                       env=client_env(sb), capture_output=True, text=True, check=True)
    ids = [json.loads(l)["id"] for l in p.stdout.splitlines()]
    random.Random(13).shuffle(ids)
    return ids[:n]


def batch_gets(sb, redis, path, procs=1, extra=()):
    """Run `procs` batch-gets at once: (summaries, wall seconds, API requests)."""
    before = len(sb.requests())
    args = [BIN, "--rate", RATE, "--json", "--no-progress", "batch-get", path,
            "--cache", redis.url(), "--cache-ttl", "10m", *extra]
    t0 = time.monotonic()
    ps = [subprocess.Popen(args, env=client_env(sb), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True) for _ in range(procs)]
    outs = [p.communicate()[1] for p in ps]
    wall = time.monotonic() - t0
    for p, err in zip(ps, outs):
        if p.returncode != 0:
            raise SystemExit(f"batch-get failed ({p.returncode}):\n{err[-2000:]}")
    return [summary_json(e) for e in outs], wall, len(sb.requests()) - before


def instance(sb, redis):
    p = subprocess.run([BIN, "--json", "cache", "purge", "--cache", redis.url(), "user_x"],
                       env=client_env(sb), capture_output=True, text=True, check=True)
    return json.loads(p.stdout)["instance"]


def guard_all(sb, redis, ids):
    """A newer version marker for every id, as user.updated deliveries leave them."""
    prefix = f"clerk:{{{instance(sb, redis)}}}:version:"
    future = str(int(time.time() * 1000) + 86_400_000)
    cmds = "".join(f"SET {prefix}{i} {future} PX 600000\n" for i in ids)
    subprocess.run(["redis-cli", "-p", str(redis.port), "--pipe"], input=cmds, text=True,
                   capture_output=True, check=True)


def main():
    build()
    rows = []
    sb = Sandbox(2 * N, RATE, extra=["--rate-limit-headers", "x-ratelimit"])
    slow = Sandbox(2 * N, RATE, extra=["--rate-limit-headers", "x-ratelimit", "--latency", "50ms"])
    redis = Redis()
    try:
        ids = sandbox_ids(sb, N)
        f = tempfile.NamedTemporaryFile("w", prefix="clerk-rl-bench-ids-", suffix=".txt",
                                        delete=False)
        f.write("\n".join(ids) + "\n")
        f.close()
        plan = [
            ("cold", sb, 1, [], "0 ms"),
            ("warm", sb, 1, [], "0 ms"),
            ("refresh (writes over every entry)", sb, 1, ["--refresh"], "0 ms"),
            ("4 processes at once, refresh", sb, 4, ["--refresh"], "0 ms"),
            ("guarded: a newer version marker for every id, refresh", sb, 1, ["--refresh"], "0 ms"),
            ("cold, sandbox --latency 50ms", slow, 1, [], "50 ms"),
        ]
        for label, server, procs, extra, latency in plan:
            if label.startswith("guarded"):
                guard_all(sb, redis, ids)
            if server is slow:
                cli(redis, "FLUSHALL")
            reset_stats(redis)
            sums, wall, req = batch_gets(server, redis, f.name, procs, extra)
            calls, per, longest = eval_stats(redis)
            rows.append((label, latency, procs,
                         sum(s["fetched"] - s["cache_refused"] for s in sums),
                         sum(s["cache_refused"] for s in sums),
                         sum(s["cache_hits"] for s in sums), req, wall, calls, per, longest))
        os.unlink(f.name)
    finally:
        redis.stop()
        sb.stop()
        slow.stop()

    out = [f"#### Cache writes: {N:,} ids, conditional Lua write, redis-server on loopback",
           "",
           "Header style x-ratelimit, budget 100000/1s (not binding), window 1 s; one EVAL "
           "writes up to 100 users, a window's EVALs go in pipelines of up to 2 MB of users.",
           "",
           "| run | latency | processes | users written | writes refused | cache hits | "
           "API requests | elapsed | EVALs | Redis µs per EVAL | longest EVAL |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, latency, procs, written, refused, hits, req, wall, calls, per, longest in rows:
        out.append(f"| {label} | {latency} | {procs} | {written:,} | {refused:,} | {hits:,} | "
                   f"{req:,} | {wall:.2f} s | {calls} | {per:,.0f} µs | {longest / 1000:.1f} ms |")
    table = "\n".join(out) + "\n"
    print(table)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "cache_write.md"), "w") as fh:
        fh.write(table)


if __name__ == "__main__":
    main()
