"""What leaves: a `Message` (with its `Attachment`s) and the `SendReceipt` a mailer returns.

Plain values, kept in the messages layer so the core, `render` and the documents build and
read messages without importing a mailer; the mailers (adapters) turn them into MIME.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/pdf"


@dataclass(frozen=True, slots=True)
class Message:
    key: str
    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    date: datetime
    cc: tuple[str, ...] = ()
    reply_to: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    client: str = ""
    invoices: tuple[str, ...] = ()
    stage: str = ""
    inline: tuple = ()  # relance.messages.html.InlineImage: logo, transfer QR (multipart/related, cid:)


@dataclass(frozen=True, slots=True)
class SendReceipt:
    message_id: str
    detail: str = ""
    path: str = ""
    extra: dict = field(default_factory=dict)


def one_line(text: str) -> str:
    """Header-safe text: CR/LF and other control characters can never add a header."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", text).strip()
