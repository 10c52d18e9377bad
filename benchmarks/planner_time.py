"""`planner.plan` alone on generated registers: best of 3, pinned to one core.

The register is parsed once beforehand (benchmarks.generate.register); only the
decision is timed, as a scheduled run on a small VM would see it.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import date
from typing import Iterator

from .generate import register

RUNS = 3


@contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to one core for the measurement (where the OS allows it)."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cores)


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(n: int, today: date) -> dict:
    from relance.core import planner
    from relance.core.config import Policy
    reg, problems = register(n, today)
    policy = Policy()
    with one_core():
        seconds = best_of(RUNS, lambda: planner.plan(reg, policy, today, None, problems))
    plan = planner.plan(reg, policy, today, None, problems)
    return {"invoices": n, "seconds": round(seconds, 3), "reminders": len(plan.reminders), "tasks": len(plan.tasks),
            "journal_rows": len(reg.journal)}
