#!/usr/bin/env python3
"""`clerk-rl api` in the loops CI runs: one process per call (xargs -P4), at Clerk's endpoint
limit on one user and at the instance limit on many users, with each rate-limit header style,
added latency, and the budget shared through a state file or Redis; then --paginate over both
list shapes. Release build; the sandbox, redis-server and every client are separate processes.

Prints the markdown table and writes it to bench/results/api.md."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, Redis, Sandbox, build, client_env  # noqa: E402

PARALLEL = 4


def fullest(times, window):
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def least(n, limit, window):
    return ((n - 1) // limit) * window


def loop(label, sb_rate, endpoint, calls, same_user, style="none", latency="0s", redis=None):
    """`calls` PATCHes from separate processes, PARALLEL at a time; the sandbox enforces the
    same budgets the clients pace to."""
    extra = ["--rate-limit-headers", style, "--latency", latency]
    if endpoint:
        extra += ["--endpoint-rate", f"user-update={endpoint}"]
    sb = Sandbox(200, sb_rate, extra=extra)
    state = tempfile.mkdtemp(prefix="clerk-rl-bench-state-")
    try:
        env = client_env(sb)
        env["CLERK_RL_STATE_DIR"] = state
        # The same --rate as the loop: a request counts in the shared file for its own window.
        ids = subprocess.run([BIN, "--rate", sb_rate, "api", "users?limit=200"], env=env,
                             capture_output=True,
                             text=True, check=True).stdout
        import json
        users = [u["id"] for u in json.loads(ids)]
        time.sleep(float(sb_rate.split("/")[1].rstrip("s")) + 0.1)  # the id read's window passes
        targets = [users[0]] * calls if same_user else users[:calls]
        flags = ["--rate", sb_rate]
        if endpoint:
            flags += ["--endpoint-rate", f"user-update={endpoint}"]
        if redis:
            flags += ["--budget-store", redis.url()]
        script = ('"$0" ' + " ".join(flags) +
                  ' api -X PATCH users/$1 -F banned=false > /dev/null')
        t0 = time.monotonic()
        p = subprocess.run(["xargs", "-n1", f"-P{PARALLEL}", "sh", "-c", script, BIN],
                           input="\n".join(targets) + "\n", env=env, text=True,
                           capture_output=True)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            raise SystemExit(f"{label}: xargs exit {p.returncode}\n{p.stderr[-2000:]}")
        log = [r for r in sb.requests() if r["method"] == "PATCH"]
        t = [r["t"] for r in log]
        limit, window = (endpoint or sb_rate).split("/")
        window = float(window.rstrip("s"))
        low = least(len(log), int(limit), window)
        span = max(t) - min(t)
        return {
            "case": label, "style": style, "latency": latency,
            "shared": "Redis" if redis else "state file",
            "budget": f"{endpoint} per user" if endpoint else f"{sb_rate} instance",
            "calls": len(log), "429s": sum(r["status"] == 429 for r in log),
            "fullest": fullest(t, window), "limit": int(limit),
            "span": span, "least": low, "used": low / span if span else 1.0,
            "per_call": wall / calls,
        }
    finally:
        sb.stop()
        shutil.rmtree(state, ignore_errors=True)


def paginate(label, path, orgs, users, page, rate):
    sb = Sandbox(users, rate, extra=["--organizations", str(orgs)])
    state = tempfile.mkdtemp(prefix="clerk-rl-bench-state-")
    try:
        env = client_env(sb)
        env["CLERK_RL_STATE_DIR"] = state
        t0 = time.monotonic()
        p = subprocess.run([BIN, "--rate", rate, "api", "--paginate", path, "--page-size",
                            str(page)], env=env, capture_output=True, text=True)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            raise SystemExit(f"{label}: exit {p.returncode}\n{p.stderr[-2000:]}")
        lines = p.stdout.splitlines()
        import json
        ids = {json.loads(l)["id"] for l in lines}
        log = sb.requests()
        return {"case": label, "items": len(lines), "unique": len(ids),
                "requests": len(log), "429s": sum(r["status"] == 429 for r in log),
                "wall": wall}
    finally:
        sb.stop()
        shutil.rmtree(state, ignore_errors=True)


def main():
    build()
    rows = []
    redis = Redis()
    try:
        for style, latency, shared in [("none", "0s", None), ("x-ratelimit", "0s", None),
                                       ("ietf", "0s", None), ("ietf", "150ms", None),
                                       ("none", "0s", redis)]:
            rows.append(loop("one user, PATCH x40", "100/1s", "10/2s", 40, True, style,
                             latency, shared))
        for style, latency, shared in [("none", "0s", None), ("x-ratelimit", "0s", None),
                                       ("none", "150ms", None), ("none", "0s", redis)]:
            rows.append(loop("60 users, PATCH each", "20/2s", None, 60, False, style,
                             latency, shared))
    finally:
        redis.stop()
    out = ["#### Loops of separate processes (xargs -n1 -P4), sandbox and clients at the same budgets", "",
           "| case | budget that binds | header style | latency | shared through | calls | 429s | fullest window (limit) | first to last | least the budget allows | budget used | per call (process start to exit, 4 in parallel) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['case']} | {r['budget']} | {r['style']} | {r['latency']} | {r['shared']} | {r['calls']} | {r['429s']} | {r['fullest']} ({r['limit']}) | {r['span']:.2f} s | {r['least']:.2f} s | {100 * r['used']:.1f}% | {1000 * r['per_call']:.0f} ms |")
    pages = [
        paginate("GET /v1/organizations ({data, total_count}, offset)", "organizations", 5000, 10, 500, "20/2s"),
        paginate("GET /v1/users (array, cursor)", "users", 10, 20000, 500, "20/2s"),
    ]
    out += ["", "#### --paginate at 20/2s, pages of 500", "",
            "| list | items written | distinct ids | requests | 429s | elapsed |",
            "|---|---|---|---|---|---|"]
    for r in pages:
        out.append(f"| {r['case']} | {r['items']:,} | {r['unique']:,} | {r['requests']} | {r['429s']} | {r['wall']:.2f} s |")
    table = "\n".join(out)
    print(table)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "api.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
