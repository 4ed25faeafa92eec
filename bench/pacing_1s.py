#!/usr/bin/env python3
"""Budget use at 1 s windows (50/1s): export-users against a sandbox enforcing the same budget,
with each rate-limit header style (none, x-ratelimit, ietf) and each sandbox algorithm (fixed,
sliding, bucket), one process and 4 processes sharing a redis-server. Efficiency = the least
time the limit allows for that many requests ÷ the time they took, both from the sandbox's
request log. Target: >= 97%, zero 429s.   Usage: bench/pacing_1s.py   (about 4 minutes)"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _pacing import matrix, table  # noqa: E402
from common import report  # noqa: E402

LIMIT, WINDOW, WINDOWS = 50, 1, 6


def body():
    rows = matrix(LIMIT, WINDOW, WINDOWS, [1, 4])
    table(f"Budget use at 1 s windows: {LIMIT}/{WINDOW}s, about {WINDOWS} windows of requests, pages of 10",
          rows, LIMIT, WINDOW, None)


if __name__ == "__main__":
    report("pacing_1s", body)
