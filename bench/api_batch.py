#!/usr/bin/env python3
"""`clerk-rl api --batch FILE` against a sandbox as far away as Clerk: 2,000 metadata updates over
100 users (20 each, interleaved), production's 1000/10s and Clerk's 10/10s per user (both
enforced by the sandbox), 300 ms ±20% round trip; beside it, the same updates as a loop of
separate processes (`xargs -P8 clerk-rl api`). Counted from the sandbox's log: 429s, first to
last request, and the efficiency against the ceiling of whichever limit binds.

The ceiling: a request counts in its window until its answer is back, so N more go a round
trip after each window (N / (W + RTT)); and a user's lines go one after another in file order,
so a user's k-th update is at least k-1 round trips after its first. The slower of the two is
what any client keeping both limits and the order can do.

Prints the markdown table and writes it to bench/results/api_batch.md."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, Sandbox, client_env, report  # noqa: E402

USERS, PER_USER = 100, 20
LIMIT, WINDOW = 1000, 10.0
USER_LIMIT, USER_WINDOW = 10, 10.0
RTT = 0.3
MODEL = "300 ms ±20% round trip, 1000/10s sliding log and 10/10s per user (the sandbox's defaults), no rate-limit headers, unlimited capacity"


def ceiling():
    """Least first-to-last span (s) under each limit: (instance, per user in order)."""
    total = USERS * PER_USER
    instance = ((total - 1) // LIMIT) * (WINDOW + RTT)
    # One user's lines, one after the other: line i goes when line i-1 answered and when line
    # i-USER_LIMIT answered a window ago.
    sends = []
    for i in range(PER_USER):
        t = sends[-1] + RTT if sends else 0.0
        if i >= USER_LIMIT:
            t = max(t, sends[i - USER_LIMIT] + RTT + USER_WINDOW)
        sends.append(t)
    return instance, sends[-1] - sends[0]


def lines(users, keyed=False):
    out = []
    for n in range(PER_USER):
        for u in users:
            line = {"method": "PATCH", "path": f"/v1/users/{u}/metadata",
                    "body": {"public_metadata": {"n": n}}}
            if keyed:
                line["idempotency_key"] = f"{u}-{n}"
            out.append(json.dumps(line))
    return out


def check(sb, env, users):
    """Every user ends at the file's last update."""
    wrong = 0
    for u in users:
        p = subprocess.run([BIN, "--rate", "1000/10s", "api", f"users/{u}"], env=env,
                           capture_output=True, text=True, check=True)
        wrong += json.loads(p.stdout)["public_metadata"].get("n") != PER_USER - 1
    return wrong


def setup(prefix):
    """A sandbox at Clerk's limits and distance, a state folder, and the ids of USERS users read
    a window ago (so the read's window has passed): (sandbox, work folder, env, users)."""
    sb = Sandbox(USERS * 2, f"{LIMIT}/10s", extra=["--jitter", "20%"], latency=f"{int(RTT * 1000)}ms")
    work = tempfile.mkdtemp(prefix=prefix)
    env = client_env(sb)
    env["CLERK_RL_STATE_DIR"] = os.path.join(work, "state")
    os.makedirs(env["CLERK_RL_STATE_DIR"])
    ids = subprocess.run([BIN, "--rate", "1000/10s", "api", f"users?limit={USERS}"], env=env,
                         capture_output=True, text=True, check=True).stdout
    users = [u["id"] for u in json.loads(ids)]
    time.sleep(WINDOW + 0.5)  # the id read's window passes
    return sb, work, env, users


def run(label, how):
    sb, work, env, users = setup("clerk-rl-bench-batch-")
    try:
        path = os.path.join(work, "updates.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines(users)) + "\n")
        t0 = time.monotonic()
        if how == "batch":
            p = subprocess.run([BIN, "--plan", "prod", "api", "--batch", path, "--results",
                                os.path.join(work, "results.jsonl")], env=env, capture_output=True,
                               text=True)
        else:
            script = '"$0" --plan prod api -X PATCH "$1" --input "$2" > /dev/null'
            args = []
            for l in lines(users):
                v = json.loads(l)
                body = os.path.join(work, f"b{len(args)}.json")
                with open(body, "w") as f:
                    f.write(json.dumps(v["body"]))
                args += [v["path"], body]
            # xargs keeps the file order per user only as far as 8 at a time allow.
            p = subprocess.run(["xargs", "-n2", "-P8", "sh", "-c", script, BIN],
                               input="\n".join(args) + "\n", env=env, text=True, capture_output=True)
        wall = time.monotonic() - t0
        log = [r for r in sb.requests() if r["method"] == "PATCH"]
        t = sorted(r["t"] for r in log)
        span = t[-1] - t[0]
        inst, per_user = ceiling()
        ceil = max(inst, per_user)
        binding = "per user, in order" if per_user > inst else "instance"
        wrong = check(sb, env, users)
        return {"label": label, "exit": p.returncode, "requests": len(log),
                "429s": sum(r["status"] == 429 for r in log), "span": span, "wall": wall,
                "ceiling": ceil, "binding": binding, "eff": ceil / span if span else 0,
                "least": ((len(log) - 1) // LIMIT) * WINDOW, "wrong": wrong}
    finally:
        sb.stop()
        shutil.rmtree(work, ignore_errors=True)


def killed(after=11.0):
    """The batch SIGKILLed after `after` s, then the same command again: every user must end at
    its last update, and only the lines under way at the kill (their `sending` record on disk,
    no result) may be sent twice; the lines carry idempotency keys, so those are resent."""
    sb, work, env, users = setup("clerk-rl-bench-batchkill-")
    try:
        path = os.path.join(work, "updates.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines(users, keyed=True)) + "\n")
        cmd = [BIN, "--plan", "prod", "api", "--batch", path, "--results",
               os.path.join(work, "results.jsonl")]
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(after)
        p.kill()
        p.wait()
        sending, done = set(), set()
        with open(path + ".batch-journal") as f:
            for rec in f:
                try:
                    v = json.loads(rec)
                except ValueError:
                    continue
                (done if "result" in v else sending).add(v["line"])
        under_way = len(sending - done)
        first = sum(r["method"] == "PATCH" for r in sb.requests())
        t0 = time.monotonic()
        p2 = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.monotonic() - t0
        log = [r for r in sb.requests() if r["method"] == "PATCH"]
        return {"done": len(done), "under_way": under_way, "first": first,
                "second": len(log) - first, "total": len(log), "exit": p2.returncode,
                "429s": sum(r["status"] == 429 for r in log), "wrong": check(sb, env, users),
                "extra": len(log) - USERS * PER_USER, "wall": wall}
    finally:
        sb.stop()
        shutil.rmtree(work, ignore_errors=True)


def body():
    rows = [run("api --batch FILE (one process)", "batch")]
    if os.environ.get("CLERK_RL_BENCH_BATCH_ONLY") != "1":
        rows.append(run("xargs -P8 clerk-rl api (a process per line)", "xargs"))
    print(f"#### 2,000 metadata updates over 100 users (20 each, interleaved); server: {MODEL}")
    print()
    print("| client | exit | PATCHes | 429s | users not at the file's last update | first to last | ceiling (binding limit) | efficiency vs ceiling | budget alone (10 s) used | wall |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['label']} | {r['exit']} | {r['requests']} | {r['429s']} | {r['wrong']} | "
              f"{r['span']:.2f} s | {r['ceiling']:.2f} s ({r['binding']}) | {100 * r['eff']:.1f}% | "
              f"{100 * r['least'] / r['span']:.1f}% | {r['wall']:.1f} s |")
    k = killed()
    print()
    print("SIGKILL after 11 s (every user's 11th to 20th update under way or waiting), then the same command again (lines with idempotency keys):")
    print()
    print("| finished before the kill | under way at the kill | PATCHes before / after the kill | PATCHes in all (file: 2000) | sent twice | 429s | users not at the file's last update | rerun exit | rerun wall |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {k['done']} | {k['under_way']} | {k['first']} / {k['second']} | {k['total']} | {k['extra']} "
          f"(at most the {k['under_way']} under way) | {k['429s']} | {k['wrong']} | {k['exit']} | {k['wall']:.1f} s |")


if __name__ == "__main__":
    report("api_batch", body)
