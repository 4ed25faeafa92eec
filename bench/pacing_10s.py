#!/usr/bin/env python3
"""Budget use at 10 s windows (20/10s, Clerk's window), as bench/pacing_1s.py: each header style
and sandbox algorithm, one process and 4 sharing Redis, 3 windows' worth of requests per run
(3 runs side by side: they are idle nearly all the time). Target: >= 99%, zero 429s.
Usage: bench/pacing_10s.py   (about 4 minutes)"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _pacing import matrix, table  # noqa: E402
from common import report  # noqa: E402

LIMIT, WINDOW, WINDOWS = 20, 10, 3


def body():
    rows = matrix(LIMIT, WINDOW, WINDOWS, [1, 4], parallel=3)
    table(f"Budget use at 10 s windows: {LIMIT}/{WINDOW}s, {WINDOWS} windows of requests, pages of 10",
          rows, LIMIT, WINDOW, None)


if __name__ == "__main__":
    report("pacing_10s", body)
