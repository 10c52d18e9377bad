"""Crash points for the exactly-once tests (issue: never send twice, never lose one).

The runner, the backends and the mailers call `crashpoint("name")` after each read,
each journal write, each send and each sheet write. In production nothing is set
and the call is a dictionary lookup. A test sets ``RELANCE_CRASH_AT=N`` to make
the N-th crash point of the process end it on the spot with ``os._exit`` — no
``finally``, no flush, no atexit: what a power cut or ``kill -9`` would leave —
and ``RELANCE_CRASH_LOG=path`` to list every point a complete run passes.
"""

from __future__ import annotations

import os

_count = 0


def crashpoint(name: str) -> None:
    global _count
    at, log = os.environ.get("RELANCE_CRASH_AT"), os.environ.get("RELANCE_CRASH_LOG")
    if not at and not log:
        return
    _count += 1
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{_count}\t{name}\n")
    if at and _count == int(at):
        os._exit(86)


def reset() -> None:
    """Start counting again (a forked test child inherits its parent's counter)."""
    global _count
    _count = 0
