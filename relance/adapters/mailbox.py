"""The reply-to mailbox over IMAP (imap-tools): read new mail, move what was handled, append Sent copies.

Thin on purpose: what a message means is decided in core/inbound.py. The password comes
only from ``RELANCE_IMAP_PASSWORD`` (an app password: see docs/listen.md). Handled
messages are *moved* to ``[listen] processed_folder`` rather than flagged with a
keyword, because not every server keeps custom keywords (pymap does not; some hosted
servers neither), while every server can move; staff find them there, and the task
points to them. A message is moved only after its journal row is written, and the row's
key is the message's Message-ID, so a crash in between journals nothing twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Iterator

from relance.core.config import ListenConfig


class MailboxError(Exception):
    """The mailbox cannot be reached or read; the message says what to check."""


@dataclass(frozen=True, slots=True)
class Fetched:
    uid: str
    data: bytes


class Mailbox:
    def __init__(self, config: ListenConfig, password: str | None = None, timeout: float = 30):
        self.config = config
        self.password = password if password is not None else os.environ.get("RELANCE_IMAP_PASSWORD", "")
        self.timeout = timeout
        self._box = None

    def __enter__(self) -> "Mailbox":
        from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
        kind = {"ssl": MailBox, "starttls": MailBoxStartTls, "none": MailBoxUnencrypted}[self.config.imap_security]
        if not self.password:
            raise MailboxError("mot de passe IMAP absent : définissez RELANCE_IMAP_PASSWORD (mot de passe "
                               "d'application, voir docs/listen.md)")
        try:
            self._box = kind(self.config.imap_host, self.config.imap_port, timeout=self.timeout).login(
                self.config.imap_user, self.password, initial_folder=None)
        except Exception as exc:  # imaplib/ssl/socket errors of every kind
            raise MailboxError(f"boîte {self.config.imap_user}@{self.config.imap_host}:{self.config.imap_port} "
                               f"inaccessible : {type(exc).__name__} : {exc}") from None
        return self

    def __exit__(self, *exc) -> None:
        if self._box is not None:
            try:
                self._box.logout()
            except Exception:  # already closed by the server: nothing to release
                pass

    def unread(self, folder: str, since: date | None = None) -> Iterator[Fetched]:
        """Messages of `folder` received since `since` (IMAP SINCE), raw, without touching \\Seen.
        Handled ones were moved away; the bound keeps a big inbox's old mail from being read every day."""
        from imap_tools import AND
        self._box.folder.set(folder)
        criteria = AND(date_gte=since) if since else AND(all=True)
        for message in self._box.fetch(criteria, mark_seen=False, bulk=500):
            yield Fetched(message.uid, message.obj.as_bytes())

    def move(self, uids: list[str], folder: str) -> None:
        if not uids:
            return
        self._ensure(folder)
        self._box.move(uids, folder)

    def message_ids(self, folder: str) -> set[str]:
        """Message-IDs already in `folder` (so a copy is appended once, whatever crashed before)."""
        if not self._ensure(folder):
            return set()
        self._box.folder.set(folder)
        found = set()
        for message in self._box.fetch(headers_only=True, mark_seen=False, bulk=500):
            for value in message.headers.get("message-id", ()):
                found.add(value.strip())
        return found

    def append(self, data: bytes, folder: str) -> None:
        from imap_tools import MailMessageFlags
        self._ensure(folder)
        self._box.append(data, folder, flag_set=[MailMessageFlags.SEEN])

    def _ensure(self, folder: str) -> bool:
        """True when `folder` existed; creates it otherwise."""
        if self._box.folder.exists(folder):
            return True
        self._box.folder.create(folder)
        return False
