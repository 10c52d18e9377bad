"""Promises to pay: staff log them, the bot waits.

A manual Journal row (``Statut = manual``) whose comment says « promesse » (or
"promise") and carries a date pauses the reminders of its invoice — or of every
invoice of the client when the row names no invoice — until that date plus
``[promises] grace_days``. A promise still unpaid after that is *broken*: the
ladder resumes at its next stage and the Alerte column says so.

Example: « Promesse de paiement 30/11 » logged on 20/11/2026, grace 3 days ->
no reminder through 03/12/2026; on 04/12 the next stage goes out, alert
« promesse du 30/11/2026 non tenue ».
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from relance.core.model import Invoice, JournalEntry
from relance.core.rules.context import Context

WORDS = re.compile(r"promesse|promise|promis", re.I)
DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?")


@dataclass(frozen=True, slots=True)
class Promise:
    promised: date
    logged: date
    until: date  # last day of the pause (promised + grace)


def promised_date(entry: JournalEntry) -> date | None:
    """The date in a promise comment; a date without a year is the next one after the row's day."""
    if not entry.day or not WORDS.search(entry.comment):
        return None
    match = DATE.search(entry.comment)
    if not match:
        return None
    try:
        if match.group(1):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        day, month, year = int(match.group(4)), int(match.group(5)), match.group(6)
        if year:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        candidate = date(entry.day.year, month, day)
        return candidate if candidate >= entry.day - timedelta(days=31) else date(entry.day.year + 1, month, day)
    except ValueError:
        return None


def latest_promise(ctx: Context, invoice: Invoice) -> Promise | None:
    best: Promise | None = None
    for entry in ctx.journal.manual.get(invoice.client, ()):
        if entry.invoice and entry.invoice != invoice.number:
            continue
        promised = promised_date(entry)
        if promised and entry.day and (best is None or entry.day >= best.logged):
            best = Promise(promised, entry.day, promised + timedelta(days=ctx.policy.promises.grace_days))
    return best
