"""What a message arriving in the reply-to mailbox means. Pure: parsed email + register in, rows out.

Three kinds matter, tested in this order (a bounce or an out-of-office also
carries In-Reply-To, so « is it ours? » comes last):

- **bounce** — a delivery status notification (``multipart/report;
  report-type=delivery-status``, RFC 3464) or what flufl.bounce recognises in the
  many non-standard ones: the failed address is journaled (« adresse invalide »,
  Statut ``reçu``) and, while the client's Email still holds it, the client is
  treated as having no email (letter + task channel) with an Alerte (`bounced_view`);
- **auto-reply** — RFC 3834 ``Auto-Submitted`` other than ``no``, or the usual
  out-of-office headers and subjects: journaled (Statut ``reçu``), nothing else;
- **reply** — ``In-Reply-To``/``References`` naming one of our Message-IDs (from the
  Journal), else a sender whose address is a client's Email: journaled ``réponse``
  (Statut ``manual``: a reply is a contact and ends a silence) with the subject and
  first lines; the planner pauses the client for ``[listen] pause_after_reply_days``
  and a task « Répondre au client » is opened.

Anything else (newsletters, staff mail) is left alone. Every row's key is built from
the incoming Message-ID, so a message read twice (a crash between the journal write
and the IMAP flag) is journaled once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from relance.core import journal as jr
from relance.core.actions import NewTask
from relance.core.model import Register, RowProblem
from relance.core.statuses import RECEIVED  # noqa: F401  (the journal status of auto-replies and bounces)

REPLY, AUTO_REPLY, BOUNCE = "réponse", "réponse automatique", "adresse invalide"
OUT_OF_OFFICE = re.compile(r"^(r[ée]ponse automatique|absence|absent|out of office|automatic reply|auto[- ]?reply|"
                           r"autoreply|abwesenheit|i am out|je suis absent)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Inbound:
    kind: str                 # REPLY | AUTO_REPLY | BOUNCE | "" (not for us)
    key: str                  # journal key, from the incoming Message-ID
    client: str = ""
    invoices: tuple[str, ...] = ()
    sender: str = ""
    subject: str = ""
    excerpt: str = ""
    failed: tuple[str, ...] = ()  # bounces: the addresses that failed


def message_index(register: Register) -> dict[str, list]:
    """Our Message-IDs -> their journal rows, built once per mailbox pass (1 000 messages x 1 000 rows)."""
    index: dict[str, list] = {}
    for e in register.journal:
        if e.message_id and e.status in (jr.SENT, jr.PENDING):
            index.setdefault(e.message_id, []).append(e)
    return index


def classify(message: EmailMessage, register: Register, failed: frozenset[str] = frozenset(),
             index: dict[str, list] | None = None) -> Inbound:
    """`failed`: addresses a bounce scanner (flufl.bounce, in the adapter) found in `message`;
    `index`: `message_index(register)`, when classifying many messages."""
    message_id = (message.get("Message-ID") or "").strip()
    subject = _clean(str(message.get("Subject") or ""))
    sender = parseaddr(str(message.get("From") or ""))[1].lower()
    key = "R/" + (message_id or hashlib.sha256(message.as_bytes()).hexdigest()[:24])
    ours = _our_references(message, index if index is not None else message_index(register))
    if _is_bounce(message) or failed:
        addresses = tuple(sorted(failed)) or _dsn_recipients(message)
        client = _client_by_email(register, addresses) or ours[0]
        return Inbound(BOUNCE, key, client, ours[1], sender, subject, "", addresses)
    client, invoices = ours
    if not client:
        client = _client_by_email(register, (sender,))
    if not client:
        return Inbound("", key, sender=sender, subject=subject)
    if _is_auto_reply(message, subject):
        return Inbound(AUTO_REPLY, key, client, invoices, sender, subject)
    return Inbound(REPLY, key, client, invoices, sender, subject, excerpt(message))


def _is_bounce(message: EmailMessage) -> bool:
    return message.get_content_type() == "multipart/report" and \
        (message.get_param("report-type") or "").lower() == "delivery-status"


def _dsn_recipients(message: EmailMessage) -> tuple[str, ...]:
    """Final-Recipient of each failed recipient in the delivery-status part (RFC 3464)."""
    found = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload():  # the stdlib parses each recipient block as a header set
            action = str(block.get("Action") or "").lower()
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            if action == "failed" and ";" in recipient:
                found.append(recipient.split(";", 1)[1].strip().lower())
    return tuple(dict.fromkeys(found))


def _is_auto_reply(message: EmailMessage, subject: str) -> bool:
    auto = str(message.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond") or message.get("X-Auto-Response-Suppress"):
        return True
    if str(message.get("Precedence") or "").lower() in ("auto_reply", "bulk", "junk"):
        return True
    return bool(OUT_OF_OFFICE.match(subject))


def _our_references(message: EmailMessage, index: dict[str, list]) -> tuple[str, tuple[str, ...]]:
    """The client and invoices of our messages this one answers (In-Reply-To, then References)."""
    ids = re.findall(r"<[^<>\s]+>", f"{message.get('In-Reply-To') or ''} {message.get('References') or ''}")
    rows = [e for mid in dict.fromkeys(ids) for e in index.get(mid, ())]
    if not rows:
        return "", ()
    return rows[-1].client, tuple(dict.fromkeys(e.invoice for e in rows if e.invoice))


def _client_by_email(register: Register, addresses: tuple[str, ...]) -> str:
    wanted = {a.lower() for a in addresses if a}
    for client in register.clients.values():
        if client.email.lower() in wanted or any(c.lower() in wanted for c in client.cc):
            return client.code
    return ""


def excerpt(message: EmailMessage, lines: int = 4) -> str:
    """The first lines the client wrote, without the quoted reminder below them."""
    body = message.get_body(("plain",)) if message.is_multipart() else message
    try:
        text = body.get_content() if body is not None else ""
    except (KeyError, LookupError):
        text = ""
    kept = []
    for line in text.splitlines():
        if line.startswith(">") or re.match(r"^(le .+ a écrit|on .+ wrote)\s*:?$", line.strip(), re.IGNORECASE):
            break
        if line.strip():
            kept.append(line.strip())
        if len(kept) >= lines:
            break
    return _clean(" ".join(kept))[:300]


def _clean(text: str) -> str:
    return " ".join(text.split())


def journal_row(item: Inbound, now: datetime) -> dict:
    comment = {REPLY: item.excerpt, AUTO_REPLY: "réponse automatique : rien ne change",
               BOUNCE: "adresse en échec : " + ", ".join(item.failed)}[item.kind]
    return {"timestamp": now, "invoice": item.invoices[0] if item.invoices else "", "client": item.client,
            "stage": item.kind, "channel": "email", "recipient": ", ".join(item.failed) or item.sender,
            "subject": item.subject[:200], "status": jr.MANUAL if item.kind == REPLY else RECEIVED, "key": item.key,
            "message_id": item.key[2:] if item.key.startswith("R/<") else "", "author": "client",
            "comment": comment}


def task_for(item: Inbound, register: Register, assignee: str) -> NewTask | None:
    client = register.clients.get(item.client)
    who = (client.account_manager if client else "") or assignee
    if item.kind == REPLY:
        return NewTask(jr.task_key(item.client, f"reponse/{item.key[2:]}"), item.client, item.invoices,
                       f"Le client a répondu : « {item.subject[:80]} »", "Répondre au client ; les relances "
                       "sont suspendues quelques jours", who)
    if item.kind == BOUNCE:
        return NewTask(jr.task_key(item.client, f"adresse/{','.join(item.failed)}"), item.client, item.invoices,
                       f"Adresse email en échec : {', '.join(item.failed)}",
                       "Corriger l'Email dans Clients ; en attendant, relances par courrier", who)
    return None


def bounced_view(register: Register, problems: list[RowProblem]) -> Register:
    """Clients whose current Email bounced: no email channel (letter + task) and an Alerte, until staff
    type another address (the bounce names the address, so a corrected Email is used at once)."""
    failed = {e.recipient.lower() for e in register.journal if e.stage == BOUNCE and e.recipient}
    if not failed:
        return register
    failed = {a.strip() for text in failed for a in text.split(",")}
    clients = dict(register.clients)
    for code, client in register.clients.items():
        if client.email and client.email.lower() in failed:
            problems.append(RowProblem("Clients", client.row, "Email", f"{client.email} : adresse en échec "
                                       f"(message non distribuable) ; relances par courrier tant qu'elle n'est pas "
                                       f"corrigée", cell=None, client=code))
            clients[code] = dataclasses.replace(client, email="")
    return dataclasses.replace(register, clients=clients)


def reply_pauses(register: Register) -> dict[str, datetime]:
    """Client -> when they last answered (journal rows « réponse »)."""
    last: dict[str, datetime] = {}
    for e in register.journal:
        if e.stage == REPLY and e.client and e.timestamp and (e.client not in last or e.timestamp > last[e.client]):
            last[e.client] = e.timestamp
    return last


__all__ = ["classify", "Inbound", "journal_row", "task_for", "bounced_view", "reply_pauses", "getaddresses"]
