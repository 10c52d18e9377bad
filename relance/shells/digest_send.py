"""`relance digest`: the imperative shell that sends the manager's digest (messages/digest.py).

    load + parse -> gather the facts (pure) -> same fingerprint as the last digest sent? stop
                 -> render -> send through the configured mailer -> journal the send (key + fingerprint)

Run after `relance run` (the Action does): it reports that run. Sent at most once per
change: the fingerprint of the facts is journaled, so a second invocation with nothing new
sends nothing, and a run that changes something (a reminder sent, a reply read) sends again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from relance.adapters.backends import Backend, Changes, open_backend
from relance.adapters.mailers import Mailer, Message
from relance.core import guards
from relance.core import journal as jr
from relance.core.config import Policy
from relance.core.parse import parse_register
from relance.core.receipts import read_receipts
from relance.core.timing import Calendar
from relance.messages.digest import STAGE, check_recipient, gather, last_fingerprint, render


class DigestRefused(Exception):
    """The digest would go to a client, or has nowhere to go."""


@dataclass
class DigestReport:
    sent: bool
    reason: str
    message: Message | None = None


def send_digest(policy: Policy, *, today: date, backend: Backend | None = None, mailer: Mailer | None = None,
                now: datetime | None = None) -> DigestReport:
    if not policy.digest.to:
        raise DigestRefused("aucun destinataire : renseignez [digest] to dans config.toml")
    backend = backend or open_backend(policy)
    raw = backend.load()
    register, _ = parse_register(raw, policy.schedule.timezone, today)
    refused = check_recipient(policy.digest.to, register)
    if refused:
        raise DigestRefused(refused)
    fresh = guards.payment_freshness(register, raw.get("Synthèse"), today, Calendar(policy.schedule),
                                     policy.schedule.max_payment_data_age)
    state = fresh.message or (f"à jour au {fresh.up_to:%d/%m/%Y}" if fresh.up_to else "")
    facts = gather(register, read_receipts(raw.get("Encaissements"), []), today, state)
    if facts.fingerprint == last_fingerprint(register):
        return DigestReport(False, "rien de nouveau depuis la dernière synthèse")
    subject, text, html = render(facts)
    now = now or datetime.combine(today, time(18), tzinfo=ZoneInfo(policy.schedule.timezone))
    key = f"DIGEST/{today.isoformat()}/{facts.fingerprint}"
    domain = parseaddr(policy.mail.sender)[1].rpartition("@")[2]
    message = Message(key, jr.message_id(key, domain), policy.mail.sender, (policy.digest.to,), subject, text, html,
                      now, stage=STAGE)
    if mailer is None:
        from relance.runner import open_mailer
        mailer = open_mailer(policy, dry_run=False)
    try:
        mailer.send(message)
    finally:
        mailer.close()
    backend.apply(Changes(journal=({"timestamp": now, "stage": STAGE, "channel": "email",
                                    "recipient": policy.digest.to, "subject": subject, "status": jr.SENT,
                                    "key": key, "message_id": message.message_id, "author": jr.BOT,
                                    "comment": f"empreinte {facts.fingerprint}"},)))
    return DigestReport(True, "envoyée", message)
