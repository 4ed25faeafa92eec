#!/usr/bin/env python3
"""Budget use at 10 s windows with 150 ms added to every request (sandbox --latency 150ms: half
before the request is stamped, half after), each header style and sandbox algorithm, one process
and 4 sharing Redis. Response-anchored pacing costs one round trip per window: 150 ms of 10 s.
Target: >= 97%, zero 429s.   Usage: bench/pacing_latency.py   (about 4 minutes)"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _pacing import matrix, table  # noqa: E402
from common import report  # noqa: E402

LIMIT, WINDOW, WINDOWS, LATENCY = 20, 10, 3, "150ms"


def body():
    rows = matrix(LIMIT, WINDOW, WINDOWS, [1, 4], latency=LATENCY, parallel=3)
    table(f"Budget use with {LATENCY} latency: {LIMIT}/{WINDOW}s, {WINDOWS} windows of requests, pages of 10",
          rows, LIMIT, WINDOW, LATENCY)


if __name__ == "__main__":
    report("pacing_latency", body)
