"""The manager's daily digest: what the bot did and what waits for a human. Pure: register in, message text out.

One email to ``[digest] to`` (never a client: `check_recipient` refuses a client's address),
HTML with a plain-text part, built from the register only, so it says the same thing
whichever run or machine sends it:

- today's reminders sent and failed (Journal), addresses refused (open « Adresse email en
  échec » tasks), replies waiting for an answer (open « Le client a répondu » tasks),
  formal notices waiting for approval (open ``…/demeure`` tasks not approved), bank
  credits to decide (Encaissements: incertaine or non rapprochée, Validé blank), tasks
  overdue (open more than `OVERDUE_AFTER_DAYS` days), and the freshness of payment data.

Sent only when something changed: its `fingerprint` (the facts, not the date) is journaled
with it, and a digest whose fingerprint equals the last one sent is not sent again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date

from jinja2 import Environment

from relance.core import journal as jr
from relance.core.matching import UNCERTAIN, UNMATCHED
from relance.core.model import Register
from relance.core.receipts import Receipt

STAGE = "synthèse du jour"
OVERDUE_AFTER_DAYS = 3


@dataclass(frozen=True)
class DigestFacts:
    day: date
    sent: list[str] = field(default_factory=list)          # "C1 : Relance amiable (F1, F2)"
    failed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    freshness: str = ""

    @property
    def fingerprint(self) -> str:
        facts = {k: v for k, v in asdict(self).items() if k != "day"}
        return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @property
    def empty(self) -> bool:
        return not any((self.sent, self.failed, self.refused, self.replies, self.approvals, self.payments,
                        self.overdue, self.freshness))


def gather(register: Register, receipts: list[Receipt], today: date, freshness: str) -> DigestFacts:
    sent: dict[str, set[str]] = {}
    failed: dict[str, set[str]] = {}
    final = {e.key for e in register.journal if e.status == jr.SENT}
    for e in register.journal:
        if e.channel != "email" or not e.timestamp or e.timestamp.date() != today or e.stage == STAGE:
            continue
        label = f"{e.client} : {e.subject}"
        if e.status == jr.SENT:
            sent.setdefault(label, set()).add(e.invoice)
        elif e.status == jr.FAILED and e.key not in final:
            failed.setdefault(f"{label} — {e.comment}", set()).add(e.invoice)
    facts = DigestFacts(today, _lines(sent), _lines(failed), freshness=freshness)
    for task in register.tasks:
        if task.done_on:
            continue
        what = f"{task.client or '—'} : {task.reason}" + (f" (à {task.assignee})" if task.assignee else "")
        if "/adresse/" in task.key:
            facts.refused.append(what)
        elif "/reponse/" in task.key:
            facts.replies.append(what)
        elif task.key.endswith("/demeure") and not task.approved:
            facts.approvals.append(what)
        if task.created and (today - task.created).days > OVERDUE_AFTER_DAYS:
            facts.overdue.append(f"{what}, ouverte le {task.created:%d/%m/%Y}")
    for r in receipts:
        if r.certainty in (UNCERTAIN, UNMATCHED) and r.validated in ("", "illisible"):
            when = f"{r.booked:%d/%m/%Y}" if r.booked else "?"
            facts.payments.append(f"{when} {r.amount:.2f} {r.currency} ({r.certainty}, Encaissements ligne {r.row})")
    return facts


def _lines(groups: dict[str, set[str]]) -> list[str]:
    return [f"{label} ({', '.join(sorted(filter(None, invoices)))})" for label, invoices in sorted(groups.items())]


SECTIONS = (("sent", "Relances envoyées aujourd'hui"), ("failed", "Envois en échec"),
            ("refused", "Adresses refusées"), ("replies", "Réponses de clients en attente"),
            ("approvals", "Mises en demeure à approuver"), ("payments", "Encaissements à rapprocher"),
            ("overdue", f"Tâches ouvertes depuis plus de {OVERDUE_AFTER_DAYS} jours"))

_TEXT = """Synthèse relance du {{ day }}
{% if freshness %}
Encaissements : {{ freshness }}
{% endif %}{% for title, items in sections %}
{{ title }} : {{ items|length }}
{% for item in items %}  - {{ item }}
{% endfor %}{% endfor %}
-- 
relance (message automatique, ne pas répondre)
"""

_HTML = """<!doctype html><html lang="fr"><body style="font-family:sans-serif">
<h2>Synthèse relance du {{ day }}</h2>
{% if freshness %}<p><strong>Encaissements :</strong> {{ freshness }}</p>{% endif %}
{% for title, items in sections %}<h3>{{ title }} : {{ items|length }}</h3>
{% if items %}<ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>{% endif %}
{% endfor %}<p style="color:#666">relance (message automatique, ne pas répondre)</p>
</body></html>"""


def render(facts: DigestFacts) -> tuple[str, str, str]:
    """(subject, text, html); the HTML is autoescaped: labels come from the sheet and from clients' mail."""
    env = Environment(autoescape=True, keep_trailing_newline=True)
    context = {"day": f"{facts.day:%d/%m/%Y}", "freshness": facts.freshness,
               "sections": [(title, getattr(facts, name)) for name, title in SECTIONS]}
    waiting = sum(len(getattr(facts, n)) for n in ("failed", "refused", "replies", "approvals", "payments"))
    subject = f"relance — synthèse du {facts.day:%d/%m/%Y} : {len(facts.sent)} envoi(s), {waiting} point(s) à traiter"
    text = Environment(autoescape=False, keep_trailing_newline=True).from_string(_TEXT).render(context)
    return subject, text, env.from_string(_HTML).render(context)


def check_recipient(to: str, register: Register) -> str:
    """'' when `to` may receive the digest; the reason otherwise (a client's address never does)."""
    wanted = to.strip().lower()
    for client in register.clients.values():
        if wanted and (wanted == client.email.lower() or wanted in (c.lower() for c in client.cc)):
            return f"[digest] to = {to} est l'adresse du client {client.code} : la synthèse n'est jamais " \
                   f"envoyée à un client"
    return ""


def last_fingerprint(register: Register) -> str:
    rows = [e for e in register.journal if e.stage == STAGE and e.status == jr.SENT]
    return rows[-1].comment.rsplit(" ", 1)[-1] if rows else ""
