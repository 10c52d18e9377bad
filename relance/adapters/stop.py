"""Ctrl-C, or the TERM signal of a scheduler's timeout or of a cancelled GitHub Action, while messages go.

Python's default turns Ctrl-C into an exception raised wherever the run happens to be — between an SMTP
server's « 250 » and the journal row that records it — and TERM ends the process on the spot. Both are
safe (the next run settles the « en cours » rows from the evidence), but the staff member who pressed
Ctrl-C reads « Aborted! » and does not know what left.

While the messages go, the run asks instead: the signal is *noted*, the message being sent is finished,
the others are not sent (journaled « échec », planned again next run), the register is written as
usual and the final message says what left and what did not. A second signal after that, during the
final write, falls back to the default: the run stops at once, as after a crash.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "signal TERM"}


class StopRequest:
    """Set by a signal handler; read by the send loop between two messages."""

    def __init__(self) -> None:
        self.by = ""  # « Ctrl-C » or « signal TERM » once asked

    def __bool__(self) -> bool:
        return bool(self.by)


@contextmanager
def stop_between_messages() -> Iterator[StopRequest]:
    """Note SIGINT/SIGTERM instead of acting on them, for the `with` block; the previous handlers after.
    Outside the main thread (a library caller's worker) signals cannot be caught: nothing changes."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    def note(signum, _frame) -> None:
        request.by = request.by or NAMES.get(signum, f"signal {signum}")
    previous = {sig: signal.signal(sig, note) for sig in NAMES}
    try:
        yield request
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
