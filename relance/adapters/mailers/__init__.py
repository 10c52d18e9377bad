"""Mailers: a `Message` goes in, a `SendReceipt` comes out.

`Mailer` is a small Protocol so the runner never knows whether mail becomes an
.eml file (outbox, the default and the dry-run) or leaves over SMTP. The MIME
building is shared here so both produce byte-identical messages: text part, HTML
alternative, one deterministic Message-ID, threading headers, no tracking pixel,
no remote image, no List-Unsubscribe (these are transactional messages).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Protocol

from relance.messages.message import Attachment, Message, SendReceipt, one_line

__all__ = ["Attachment", "Message", "SendReceipt", "one_line", "Mailer", "MailError", "MailUncertain", "to_mime"]


class MailError(Exception):
    """A message could not be sent; `str()` is the server's or the system's answer."""


class MailUncertain(MailError):
    """The connection broke after the whole message reached the server but before its answer.

    The server may have delivered it: the runner counts it as sent and opens a task for a
    human to check, because sending it again could make the client receive it twice."""


class Mailer(Protocol):
    """Everything the runner asks of a mailer (both mailers pass tests/test_conformance.py)."""

    folder: Path | None  # where a copy of every message sent is kept (.eml), None when nowhere

    def send(self, message: Message) -> SendReceipt:
        """Deliver (or store) the message; raises `MailError`, or `MailUncertain` when it may have left."""
        ...

    def was_sent(self, message_id: str, key: str) -> bool | None:
        """True/False when the mailer can tell (outbox), None when it cannot (SMTP)."""
        ...

    def close(self) -> None:
        """End the session (SMTP: QUIT); the runner calls it once, after the last send."""
        ...


def _address(text: str) -> str:
    name, addr = parseaddr(one_line(text))
    return formataddr((name, addr)) if name else addr


def to_mime(message: Message) -> EmailMessage:
    """The RFC 5322 message both mailers send or store."""
    mime = EmailMessage()
    mime["From"] = _address(message.sender)
    mime["To"] = ", ".join(_address(a) for a in message.to)
    if message.cc:
        mime["Cc"] = ", ".join(_address(a) for a in message.cc)
    if message.reply_to:
        mime["Reply-To"] = _address(message.reply_to)
    mime["Subject"] = one_line(message.subject)
    mime["Date"] = format_datetime(message.date)
    mime["Message-ID"] = message.message_id
    if message.in_reply_to:
        mime["In-Reply-To"] = message.in_reply_to
    if message.references:
        mime["References"] = " ".join(message.references)
    mime["X-Relance-Key"] = one_line(message.key)
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    if message.inline:
        html_part = mime.get_body(("html",))
        for image in message.inline:
            maintype, _, subtype = image.mimetype.partition("/")
            html_part.add_related(image.content, maintype=maintype, subtype=subtype, cid=f"<{image.cid}>",
                                  filename=image.filename or None, disposition="inline")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.mimetype.partition("/")
        mime.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return mime
