"""What the benchmarks share: the release binary, a sandbox in its own process, a redis-server,
running a command under GNU time, reading clerk-rl's JSON summary and the sandbox's request log,
and the convention every bench/NAME.py follows: its Markdown goes to stdout and to
bench/results/NAME.md, which bench/run splices into README.md between <!-- bench:NAME --> and
<!-- /bench:NAME -->.

CLERK_RL_BENCH_BIN runs another binary (e.g. a copy, so a rebuild cannot swap it mid-run);
CLERK_RL_BENCH_NO_BUILD=1 skips the release build."""
import contextlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CLERK_RL_BENCH_BIN") or os.path.join(ROOT, "target", "release", "clerk-rl")
RESULTS = os.path.join(ROOT, "bench", "results")


def build():
    if os.environ.get("CLERK_RL_BENCH_NO_BUILD") == "1":
        return
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, s):
        for st in self.streams:
            st.write(s)
            st.flush()
        return len(s)


def report(name, body):
    """Run `body` (which prints Markdown), echoing it to stdout and saving it as
    bench/results/NAME.md once it completes (a failed run leaves the last results alone)."""
    build()
    buf = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, buf)):
        body()
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, name + ".md"), "w") as f:
        f.write(buf.getvalue().strip() + "\n")


def efficiency(times, limit, window_s):
    """From the server's request times: (least time the limit allows, time taken, fullest window).
    Least: never more than `limit` in any window, so request k+limit is a window after request k."""
    times = sorted(times)
    n = len(times)
    least = (n - 1) // limit * window_s
    taken = times[-1] - times[0] if n else 0.0
    best, j = 0, 0
    for i in range(n):
        while times[i] - times[j] >= window_s:
            j += 1
        best = max(best, i - j + 1)
    return least, taken, best


class Sandbox:
    """`clerk-rl sandbox` in its own process; the first two stdout lines give URL and key."""

    def __init__(self, users, rate, algorithm="sliding", burst=None, extra=(), headers=None, latency=None):
        self.log = tempfile.NamedTemporaryFile(prefix="clerk-rl-bench-log-", delete=False).name
        args = [BIN, "--rate", rate]
        if burst:
            args += ["--burst", str(burst)]
        args += ["sandbox", "--users", str(users), "--algorithm", algorithm,
                 "--request-log", self.log, *extra]
        if headers:
            args += ["--rate-limit-headers", headers]
        if latency:
            args += ["--latency", latency]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        env = {}
        for _ in range(2):
            k, v = self.proc.stdout.readline().strip().split("=", 1)
            env[k] = v
        self.url, self.key = env["CLERK_API_URL"], env["CLERK_SECRET_KEY"]

    def requests(self):
        with open(self.log) as f:
            return [json.loads(l) for l in f if l.strip()]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        os.unlink(self.log)


def gnu_time(stderr):
    """What GNU time -v reported at the end of `stderr`: (peak RSS MB, CPU s as user + sys)."""
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr).group(1)) / 1024
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", stderr).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", stderr).group(1))
    return rss, user + sys_


def timed(args, env):
    """Run under GNU time: (exit code, stdout, stderr, peak RSS MB, CPU s, wall s)."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v", *args], env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    rss, cpu = gnu_time(p.stderr)
    return p.returncode, p.stdout, p.stderr, rss, cpu, wall


def client_env(sb):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLERK_")}
    env["CLERK_API_URL"] = sb.url
    env["CLERK_SECRET_KEY"] = sb.key
    return env


def summary_json(stderr):
    for line in reversed(stderr.splitlines()):
        if line.startswith("{") and '"http"' in line:
            return json.loads(line)
    raise SystemExit("no JSON summary in:\n" + stderr[-2000:])


class Redis:
    def __init__(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.dir = tempfile.mkdtemp(prefix="clerk-rl-bench-redis-")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise SystemExit("redis-server did not start")

    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _free_cluster_port(taken):
    """A free port below 55536 whose cluster bus port (+10000) is free too."""
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port >= 55536 or port in taken:
            continue
        bus = socket.socket()
        try:
            bus.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        finally:
            bus.close()
        return port


class RedisCluster:
    """Three cluster-enabled redis-servers on this machine (masters only, no persistence), made
    one cluster by `redis-cli --cluster create`: the budget's keys share one hash tag, so one
    node serves them."""

    def __init__(self, nodes=3):
        self.ports = []
        for _ in range(nodes):
            self.ports.append(_free_cluster_port(self.ports))
        self.dirs = [tempfile.mkdtemp(prefix="clerk-rl-bench-cluster-") for _ in self.ports]
        self.procs = [subprocess.Popen(
            ["redis-server", "--port", str(p), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no", "--dir", d],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p, d in zip(self.ports, self.dirs)]
        for p in self.ports:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", p), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.02)
        subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, stdout=subprocess.DEVNULL,
                       timeout=60)
        for _ in range(600):
            if all("cluster_state:ok" in subprocess.run(["redis-cli", "-p", str(p), "cluster", "info"],
                                                        capture_output=True, text=True).stdout
                   for p in self.ports):
                return
            time.sleep(0.05)
        raise SystemExit("the cluster never became ok")

    def url(self):
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=10)
