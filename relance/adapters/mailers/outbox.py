"""The outbox mailer: one RFC 5322 `.eml` file per message, in a folder.

It is the default (nothing leaves the machine; open the files with any mail
client) and what `--dry-run` uses. Files are written atomically (temporary file,
then rename), so a file that exists is a message completely written: after a
crash, "the file exists" is a reliable answer to "was it sent?".
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from relance.adapters.files import atomic_write, safe_name
from relance.adapters.mailers import Message, MailError, SendReceipt, to_mime


def file_name(key: str) -> str:
    """Readable and unique: ``2026-11-25_C001_amiable_1a2b3c4d.eml``."""
    readable = safe_name(key)[:80]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return f"{readable}_{digest}.eml"


class OutboxMailer:
    """`overwrite=False` (real runs): a message whose file exists was already sent and is refused,
    so a bug that re-sends can never hide behind a file silently rewritten. Dry-runs overwrite."""

    def __init__(self, folder: Path, overwrite: bool = False):
        self.folder = Path(folder)
        self.overwrite = overwrite

    def path_for(self, key: str) -> Path:
        return self.folder / file_name(key)

    def send(self, message: Message) -> SendReceipt:
        target = self.path_for(message.key)
        if target.exists() and not self.overwrite:
            raise MailError(f"{target.name} existe déjà dans la boîte d'envoi : ce message est déjà parti")
        try:
            content = to_mime(message).as_bytes()
        except Exception as exc:  # a header or an address the email library cannot write: this message only
            raise MailError(f"message impossible à composer : {type(exc).__name__} : {exc}") from None
        try:
            atomic_write(target, content)
        except OSError as exc:
            raise MailError(f"écriture impossible dans la boîte d'envoi {self.folder} : {exc.strerror or exc}") from None
        return SendReceipt(message.message_id, f"écrit dans {target.name}", str(target))

    def was_sent(self, message_id: str, key: str) -> bool | None:
        return self.path_for(key).exists()

    def close(self) -> None:
        return None
