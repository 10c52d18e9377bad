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

from relance.core.journal import REFUSED_NOTE
from relance.messages.message import Attachment, Message, SendReceipt, one_line

__all__ = ["Attachment", "Message", "SendReceipt", "one_line", "Mailer", "MailError", "MailUncertain", "to_mime"]


class MailError(Exception):
    """A message could not be sent; `str()` is the server's or the system's answer."""


class MailUncertain(MailError):
    """The connection broke after the whole message reached the server but before its answer.

    The server may have delivered it: the runner counts it as sent and opens a task for a
    human to check, because sending it again could make the client receive it twice."""


class MailRefused(MailError):
    """The server refused the recipient(s) for good (5xx to RCPT): sending again tomorrow would fail again.

    `addresses` maps each refused address to the server's answer. The runner journals it with
    `refusal_note`, and the planner (journal.JournalIndex.refused) stops emailing that address."""

    def __init__(self, message: str, addresses: dict[str, str]):
        super().__init__(message)
        self.addresses = addresses


def refusal_note(addresses: dict[str, str]) -> str:
    """``adresse refusée par le serveur : a@b.fr (550 5.1.1 Utilisateur inconnu)``: what the journal keeps."""
    return REFUSED_NOTE + " ; ".join(f"{address} ({reply})" for address, reply in addresses.items())


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


def ascii_domain(address: str) -> str:
    """``jean@société.fr`` -> ``jean@xn--socit-esab.fr`` (IDNA, UTS 46): an accented domain travels in
    plain ASCII, in the envelope and in the headers. ValueError when the domain cannot be encoded."""
    import idna
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError as exc:
        raise ValueError(f"domaine « {domain} » impossible à encoder (IDNA) : {exc}") from None


def needs_smtputf8(address: str) -> bool:
    """An accented local part (``josé@…``) can only travel with SMTPUTF8 (RFC 6531)."""
    return not ascii_domain(address).isascii()


def _address(text: str) -> str:
    name, addr = parseaddr(one_line(text))
    try:
        addr = ascii_domain(addr)
    except ValueError:
        pass  # left as is: the SMTP mailer refuses it before sending, with the reason
    return formataddr((name, addr)) if name else addr


def to_mime(message: Message) -> EmailMessage:
    """The RFC 5322 message both mailers send or store (RFC 6532 UTF-8 headers when an address needs it)."""
    from email import policy
    international = any(needs_smtputf8(parseaddr(a)[1]) for a in (message.sender, *message.to, *message.cc))
    mime = EmailMessage(policy=policy.SMTPUTF8) if international else EmailMessage()
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
