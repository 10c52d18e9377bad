"""The SMTP receipt ledger: local evidence of what the server accepted, written before anything else.

The journal's ``pending`` row says "about to send"; only the SMTP server's ``250``
to the end of DATA says "it left". A run killed between the two (power cut, kill -9)
must let the next run tell *sent* from *never sent*, so the mailer appends two
kinds of lines to ``.smtp-receipts.jsonl`` in the outbox folder, each fsynced before
the next step:

- ``{"event": "data", "key": …}`` just before the end-of-data marker leaves: from
  then on the server may hold the message;
- ``{"event": "accepted", "key": …, "reply": "250 …"}`` right after the server's 250;
- ``{"event": "rejected", …}`` when the server answered the end of DATA with a refusal
  (4xx/5xx): it does not have the message.

After a crash: ``accepted`` -> sent (proof); ``data`` without ``accepted`` -> the
server may or may not have it (uncertain: a human checks, never resent, never
counted as sent); neither -> it never reached the end of DATA, so the server cannot
have it: sent again.

Append-only, one JSON object per line; a torn last line (killed mid-write) is
ignored, which errs to the safe side (a lost ``accepted`` reads as uncertain).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

NAME = ".smtp-receipts.jsonl"
DATA, ACCEPTED, REJECTED = "data", "accepted", "rejected"


class ReceiptLedger:
    def __init__(self, folder: Path):
        self.path = Path(folder) / NAME
        self._states: dict[str, str] | None = None  # read once, on the first question

    def record(self, event: str, key: str, message_id: str, reply: str = "") -> None:
        """Append one event and fsync it: when this returns, the line survives a power cut."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"event": event, "key": key, "message_id": message_id, "reply": reply},
                          ensure_ascii=False) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # the umask decides
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if self._states is not None and self._states.get(key) != ACCEPTED:
            self._states[key] = event

    def state(self, key: str) -> str | None:
        """``accepted``, ``data`` (end of DATA sent, no answer recorded) or None (never got that far)."""
        if self._states is None:
            self._states = self._read()
        return self._states.get(key)

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return {}
        states: dict[str, str] = {}
        for line in text.splitlines():
            try:
                event = json.loads(line)
            except ValueError:  # a line torn by a crash
                continue
            if not isinstance(event, dict) or event.get("event") not in (DATA, ACCEPTED, REJECTED):
                continue
            key = str(event.get("key"))
            if states.get(key) != ACCEPTED:
                states[key] = event["event"]
        return states
