"""Evidence of what left, outside the register: the ``X-Relance-Key`` of every .eml in the outbox.

The outbox mailer writes each message there, and the SMTP mailer a copy of each accepted one
(relance/adapters/mailers). Read by the shell for the journal-memory guard (relance/core/memory.py):
a key on disk that the Journal does not hold means the Journal lost rows.
"""

from __future__ import annotations

from email import policy as email_policy
from email.parser import BytesHeaderParser
from pathlib import Path

HEAD_BYTES = 16_384  # headers come first; a message body can be megabytes of PDF


def sent_keys(folder: Path) -> set[str]:
    """Keys of the messages copied in `folder` (its sub-folders, such as dry-run/, are not sends)."""
    keys: set[str] = set()
    if not folder.is_dir():
        return keys
    parser = BytesHeaderParser(policy=email_policy.default)
    for path in folder.glob("*.eml"):
        try:
            with path.open("rb") as handle:
                head = handle.read(HEAD_BYTES)
        except OSError:
            continue
        key = str(parser.parsebytes(head).get("X-Relance-Key", "") or "").strip()
        if key:
            keys.add(key)
    return keys
