"""The whole budget at Clerk's real limits and round trips (issue 22): export-users and
batch-get against a sandbox as far away as Clerk (latency with jitter), at 1000/10s.

Efficiency is the least time the sliding window allows for the requests sent (request k+N
a window after request k) divided by the time they took, from the sandbox's own request log.
The provable ceiling of response-anchored pacing is W/(W+RTT): 97.1% at 10 s and 300 ms."""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, Redis, Sandbox, client_env, efficiency, gnu_time, report, summary_json, timed  # noqa: E402

LIMIT, WINDOW = 1000, 10.0


def waited(running, what):
    """Wait for processes started under GNU time: the most peak RSS of them (MB) and their CPU."""
    rss = cpu = 0.0
    for p in running:
        _, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"{what} failed ({p.returncode}):\n{err[-2000:]}")
        p_rss, p_cpu = gnu_time(err)
        rss = max(rss, p_rss)
        cpu += p_cpu
    return rss, cpu


def row(name, model, sb, rtt, rss, cpu, wall, path, limit=1000, window=10.0, per_100k=None):
    times = [e["t"] for e in sb.requests() if e["path"] == path]
    statuses = [e["status"] for e in sb.requests()]
    least, taken, fullest = efficiency(times, limit, window)
    eff = least / taken if taken else 0.0
    ceiling = window / (window + rtt)
    shares = (f"{eff:.1%} | {eff / ceiling:.1%}" if least else
              "all within one window | (target: under 10.6 s)")
    if per_100k is None:
        per_100k = cpu * 100_000 / users_of(name) if users_of(name) else None
    cpu_s = f"{cpu:.2f} s" + (f" ({per_100k:.2f} s per 100k users)" if per_100k is not None else "")
    print(f"| {name} | {model} | {len(times)} | {taken:.1f} s | {shares} "
          f"| {statuses.count(429)} | {fullest} | {rss:.0f} MB | {cpu_s} |")


def users_of(name):
    """Users an export row's name says it wrote in all (`100,000 users x 4`: 400,000)."""
    m = re.match(r"export-users ([\d,]+) users(?: x (\d+))?", name)
    return int(m.group(1).replace(",", "")) * int(m.group(2) or 1) if m else 0


def prod(users, latency_ms, jitter="20%"):
    latency = f"{latency_ms}ms"
    rtt = latency_ms / 1000
    model = f"{latency} ±{jitter}, 1000/10s sliding log, no headers"
    out = tempfile.NamedTemporaryFile(prefix="clerk-rl-world-", suffix=".jsonl", delete=False).name
    os.unlink(out)
    sb = Sandbox(users, f"{LIMIT}/10s", extra=["--jitter", jitter], latency=latency)
    try:
        args = [BIN, "--plan", "prod", "--json", "--no-progress", "export-users",
                "--page-size", "50", "--output", out]
        code, _, err, rss, cpu, wall = timed(args, client_env(sb))
        if code != 0:
            raise SystemExit(f"export failed ({code}):\n{err[-2000:]}")
        row(f"export-users {users:,} users, pages of 50, default flags", model, sb, rtt, rss, cpu, wall, "/v1/users")
    finally:
        sb.stop()
    ids = out + ".ids"
    with open(out) as f, open(ids, "w") as g:
        for line in f:
            g.write(json.loads(line)["id"] + "\n")
    os.unlink(out)
    sb = Sandbox(users, f"{LIMIT}/10s", extra=["--jitter", jitter], latency=latency)
    try:
        dest = ids + ".out"
        args = [BIN, "--plan", "prod", "--json", "--no-progress", "batch-get", ids, "--output", dest]
        code, _, err, rss, cpu, wall = timed(args, client_env(sb))
        if code != 0:
            raise SystemExit(f"batch-get failed ({code}):\n{err[-2000:]}")
        row(f"batch-get {users:,} ids, default flags", model, sb, rtt, rss, cpu, wall, "/v1/users")
        os.unlink(dest)
    finally:
        sb.stop()
    try:
        if latency_ms == 300:
            batch_shared(ids, users, latency_ms, jitter)
    finally:
        os.unlink(ids)


def batch_shared(ids, users, latency_ms, jitter, procs=4):
    """The same ids split among `procs` batch-get processes started together, one budget shared
    through Redis: the time from the first request to the last in the server's log (each
    process first waits a window on the fresh store, which the log does not count)."""
    rtt = latency_ms / 1000
    model = f"{latency_ms}ms ±{jitter}, 1000/10s sliding log, no headers, {procs} processes sharing Redis"
    with open(ids) as f:
        all_ids = f.read().split()
    sb = Sandbox(users, f"{LIMIT}/10s", extra=["--jitter", jitter], latency=f"{latency_ms}ms")
    redis = Redis()
    files = []
    try:
        running = []
        for k in range(procs):
            part = ids + f".{k}"
            with open(part, "w") as g:
                g.write("\n".join(all_ids[k::procs]) + "\n")
            files += [part, part + ".out"]
            args = [BIN, "--plan", "prod", "--json", "--no-progress", "--budget-store", redis.url(),
                    "batch-get", part, "--output", part + ".out"]
            running.append(subprocess.Popen(["/usr/bin/time", "-v", *args], env=client_env(sb),
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        rss, cpu = waited(running, "batch-get")
        found = 0
        for k in range(procs):
            with open(ids + f".{k}.out") as f:
                found += sum(1 for _ in f)
        if found != len(all_ids):
            raise SystemExit(f"batch-get found {found} of {len(all_ids)} users")
        row(f"batch-get {users:,} ids as {procs} x {users // procs:,}", model, sb, rtt, rss, cpu, 0, "/v1/users")
    finally:
        sb.stop()
        redis.stop()
        for f in files:
            if os.path.exists(f):
                os.unlink(f)


def million(http, users=1_000_000, latency_ms=300, jitter="20%", beside_writer=False):
    """A 1,000,000-user export at production's limit, default flags (pages of 500), against a
    sandbox that holds them all (it makes each user when a page asks for it: about 12 MB and
    ready at once), from one process: the share of the ceiling, the peak RSS and the CPU per
    100k users. Written to the disk (about 1.6 GB), as a user would.

    `http` "2" is Clerk's transport (its API is behind Cloudflare, which offers HTTP/2 by ALPN,
    and over https clerk-rl takes it with default flags); cleartext to loopback cannot
    negotiate, so the row says so with `--http-version 2`. "1.1" is what the default gives over
    http, and what a user behind an HTTP/1.1-only proxy gets: a connection per request in
    flight, each with its own read buffer.

    Each row starts with the disk idle (`sync` first): the rows before it wrote gigabytes, and
    their writeback slowed this row's writes by chance. `beside_writer` is the world's worse case
    said as such: another process writes 6 GB to the same disk from the 3rd second, so the
    kernel throttles the export's writes, the export waits for its disk, and the pages already
    in flight (the bandwidth-delay product: 33 pages of 0.8 MB at 100/s and 300 ms) land in
    memory while the writer is held."""
    rtt = latency_ms / 1000
    model = f"{latency_ms}ms ±{jitter}, 1000/10s sliding log, no headers, HTTP/{http}"
    if beside_writer:
        model += ", another process writing 6 GB to the same disk from the 3rd second"
    out = tempfile.NamedTemporaryFile(prefix="clerk-rl-world-", suffix=".jsonl", delete=False).name
    os.unlink(out)
    sb = Sandbox(users, f"{LIMIT}/10s", extra=["--jitter", jitter], latency=f"{latency_ms}ms")
    other = out + ".other"
    writer = None
    try:
        flags = ["--http-version", "2"] if http == "2" else []
        args = [BIN, "--plan", "prod", "--json", "--no-progress", *flags, "export-users", "--output", out]
        os.sync()
        if beside_writer:
            writer = subprocess.Popen(["sh", "-c", f"sleep 3; exec dd if=/dev/zero of={other} bs=1M "
                                       "count=6000 conv=fdatasync"], stderr=subprocess.DEVNULL)
        code, _, err, rss, cpu, wall = timed(args, client_env(sb))
        if code != 0:
            raise SystemExit(f"export failed ({code}):\n{err[-2000:]}")
        with open(out, "rb") as f:
            n = sum(1 for _ in f)
        if n != users:
            raise SystemExit(f"export wrote {n} of {users} users")
        how = "default flags but --http-version 2 (as https negotiates)" if http == "2" else "default flags"
        row(f"export-users {users:,} users, {how} (pages of 500)", model, sb, rtt, rss,
            cpu, wall, "/v1/users", per_100k=cpu * 100_000 / users)
    finally:
        sb.stop()
        if writer:
            writer.kill()
            writer.wait()
        for f in (out, other):
            if os.path.exists(f):
                os.unlink(f)


def busy_server():
    # A server that serves 4 at once and needs 40 ms for a page of 50 (0.8 ms a user), no added
    # round trip, at 50/1s: two or three streams serve the budget.
    model = "capacity 4, 0.8 ms per listed user (40 ms a page), 50/1s sliding log, no headers"
    out = tempfile.NamedTemporaryFile(prefix="clerk-rl-world-", suffix=".jsonl", delete=False).name
    os.unlink(out)
    sb = Sandbox(20000, "50/1s", extra=["--capacity", "4", "--per-user", "0.8ms"])
    try:
        args = [BIN, "--rate", "50/1s", "--json", "--no-progress", "export-users",
                "--page-size", "50", "--output", out]
        code, _, err, rss, cpu, wall = timed(args, client_env(sb))
        if code != 0:
            raise SystemExit(f"export failed ({code}):\n{err[-2000:]}")
        row("export-users 20,000 users, pages of 50, default flags", model, sb, 0.04, rss, cpu, wall,
            "/v1/users", limit=50, window=1.0)
    finally:
        sb.stop()
        os.unlink(out)


def export_rows(users, rate, latency_ms, headers=None, procs=1, page_size=50, jitter="20%"):
    """export-users at `rate` against a sandbox `latency_ms` away, `procs` processes sharing one
    budget through Redis (each exports every user), with the header style given."""
    limit, window = rate.split("/")
    limit, window = int(limit), float(window.rstrip("s") or 1)
    rtt = latency_ms / 1000
    style = headers or "no headers"
    model = f"{latency_ms}ms ±{jitter}, {rate} sliding log, {style}"
    if procs > 1:
        model += f", {procs} processes sharing Redis"
    sb = Sandbox(users, rate, extra=["--jitter", jitter], latency=f"{latency_ms}ms", headers=headers)
    redis = Redis() if procs > 1 else None
    outs = []
    try:
        running = []
        for _ in range(procs):
            out = tempfile.NamedTemporaryFile(prefix="clerk-rl-world-", suffix=".jsonl", delete=False).name
            os.unlink(out)
            outs.append(out)
            args = [BIN, "--rate", rate, "--json", "--no-progress"]
            if redis:
                args += ["--budget-store", redis.url()]
            args += ["export-users", "--page-size", str(page_size), "--output", out]
            running.append(subprocess.Popen(["/usr/bin/time", "-v", *args], env=client_env(sb),
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        rss, cpu = waited(running, "export")
        for out in outs:
            with open(out) as f:
                n = sum(1 for _ in f)
            if n != users:
                raise SystemExit(f"export wrote {n} of {users} users")
        row(f"export-users {users:,} users x {procs}, pages of {page_size}", model, sb, rtt, rss,
            cpu, 0, "/v1/users", limit=limit, window=window)
    finally:
        sb.stop()
        if redis:
            redis.stop()
        for out in outs:
            if os.path.exists(out):
                os.unlink(out)


def sdk_peer(users, latency_ms, jitter="20%"):
    """The official Node SDK's getUserList loop (limit 500, offset) at 1000/10s, as the peer."""
    model = f"{latency_ms}ms ±{jitter}, 1000/10s sliding log, no headers"
    sb = Sandbox(users, "1000/10s", extra=["--jitter", jitter], latency=f"{latency_ms}ms")
    try:
        env = client_env(sb)
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk_peer.mjs")
        p = subprocess.run(["node", script], env=env, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"the SDK loop failed:\n{p.stderr[-2000:]}")
        got = json.loads(p.stdout.strip().splitlines()[-1])
        reqs = sb.requests()
        statuses = [e["status"] for e in reqs]
        times = [e["t"] for e in reqs]
        taken = max(times) - min(times) if times else 0.0
        print(f"| peer: @clerk/backend getUserList loop, limit 500 + offset, {got['users']:,} users | {model} "
              f"| {len(reqs)} | {got['seconds']:.1f} s | (one request at a time) | | {statuses.count(429)} | | | |")
        _ = taken
    finally:
        sb.stop()


def body():
    users = int(os.environ.get("CLERK_RL_BENCH_USERS", "100000"))
    print("| case | server model | requests | time | of the budget | of the ceiling W/(W+RTT) | 429s | fullest window | peak RSS | CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for latency_ms in (300, 150):
        prod(users, latency_ms)
    for headers in ("x-ratelimit", "ietf"):
        export_rows(users, "1000/10s", 300, headers=headers)
    export_rows(users // 4, "1000/10s", 300, procs=4)
    export_rows(users // 10, "100/10s", 300)
    export_rows(users // 10, "50/1s", 100)
    busy_server()
    if os.environ.get("CLERK_RL_BENCH_MILLION", "1") == "1":
        million("2")
        million("2", beside_writer=True)
        million("1.1")
    if os.environ.get("CLERK_RL_BENCH_PEER", "1") == "1":
        sdk_peer(users, 300)
    print(f"\nLoad average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared with other builds) "
          "at the end of the run; CPU is user + sys from GNU time.")


if __name__ == "__main__":
    report("world", body)
