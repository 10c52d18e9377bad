"""Promises to pay: staff log them, the bot waits — on a date it read for sure, or not at all.

A manual Journal row (``Statut = manual``) pauses the reminders of its invoice — or of every
invoice of the client when the row names no invoice — until the promised date plus
``[promises] grace_days``. A promise still unpaid after that is *broken*: the ladder resumes
at its next stage and the Alerte column says so.

Where the promised date comes from, most reliable first:

1. the ``Promesse (date)`` column, filled on purpose by staff;
2. the comment, only when it is unambiguous: it mentions a promise (« promesse », « promis »,
   "promise") and exactly one date follows that word — « Appel 25/11 : promesse 04/12 » gives
   04/12 (25/11 is the day of the call), « promesse de paiement le 4 décembre » gives 4/12.
   A date without a year is the next one after the row's day.

A comment that mentions a promise without a date that can be read for sure (no date after the
word, two dates after it, « 31/11 », an unreadable ``Promesse (date)``) is never guessed: the
invoice's Alerte asks a human to fill ``Promesse (date)``, and no reminder goes meanwhile —
reminding a client who was promised a delay is worse than waiting a day for a human.
« pas de promesse », « aucune promesse », « refuse toute promesse » are not promises.

Example: « Promesse de paiement 30/11 » logged on 20/11/2026, grace 3 days -> no reminder
through 03/12/2026; on 04/12 the next stage goes out, alert « promesse du 30/11/2026 non tenue ».
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from babel.dates import get_month_names

from relance.core.model import Invoice, JournalEntry
from relance.core.rules.context import Context

WORDS = re.compile(r"promesse|promise|promis", re.I)
NOT_A_PROMISE = re.compile(r"\b(?:pas\s+de|aucune|sans|refus\w*(?:\s+toute)?|no)\s+promesses?\b", re.I)
NUMERIC = r"(\d{4})-(\d{1,2})-(\d{1,2})|\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?\b"


@lru_cache(maxsize=1)
def _months() -> dict[str, int]:
    """French and English month names and abbreviations (Babel's), accents optional: "décembre", "dec."."""
    names: dict[str, int] = {}
    for locale in ("fr_FR", "en_GB"):
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=locale).items():
                name = name.lower().rstrip(".")
                names[name] = number
                names[name.translate(str.maketrans("éèûô", "eeuo"))] = number
    return names


@lru_cache(maxsize=1)
def _dates() -> re.Pattern[str]:
    months = "|".join(sorted(map(re.escape, _months()), key=len, reverse=True))
    return re.compile(rf"{NUMERIC}|\b(\d{{1,2}})(?:er)?\s+({months})\.?(?:\s+(\d{{4}}))?\b", re.I)


@dataclass(frozen=True, slots=True)
class Promise:
    promised: date | None  # None: a promise whose date could not be read for sure
    logged: date
    until: date | None  # last day of the pause (promised + grace); None while the date is unclear
    unclear: str = ""  # French, for the Alerte: why the date was not read, where to fill it


def _when(match: re.Match[str], logged: date) -> date | None:
    """The date of one match (None when impossible, e.g. 31/11); no year: the next one after `logged`."""
    g = match.groups()
    try:
        if g[0]:
            return date(int(g[0]), int(g[1]), int(g[2]))
        if g[3]:
            day, month, year = int(g[3]), int(g[4]), g[5]
        else:
            day, month, year = int(g[6]), _months()[g[7].lower().rstrip(".")], g[8]
        if year:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        candidate = date(logged.year, month, day)
        return candidate if candidate >= logged - timedelta(days=31) else date(logged.year + 1, month, day)
    except ValueError:
        return None


def read_promise(entry: JournalEntry) -> tuple[date | None, str]:
    """(promised date, '') ; (None, why) for a promise without a sure date ; (None, '') for no promise."""
    if not entry.day:
        return None, ""
    if entry.promised:
        return entry.promised, ""
    where = f"Journal ligne {entry.row}" if entry.row else "Journal"
    if entry.promised_cell:
        return None, (f"promesse de paiement ({where}) : Promesse (date) illisible « {entry.promised_cell[:20]} » ; "
                      f"corrigez-la, pas de relance d'ici là")
    comment = entry.comment
    word = WORDS.search(comment)
    if not word or NOT_A_PROMISE.search(comment):
        return None, ""
    after = list(_dates().finditer(comment, word.end()))
    days = [_when(m, entry.day) for m in after]
    if len(after) == 1 and days[0] is not None:
        return days[0], ""
    why = "plusieurs dates" if len(after) > 1 else "date impossible" if after else "aucune date après « promesse »"
    return None, (f"promesse de paiement sans date sûre ({where}, {why} : « {comment[:60]} ») : remplissez "
                  f"la colonne Promesse (date) ; pas de relance d'ici là")


def promised_date(entry: JournalEntry) -> date | None:
    """The promised date of a staff row, when it is read for sure (see the module doc)."""
    return read_promise(entry)[0]


def latest_promise(ctx: Context, invoice: Invoice) -> Promise | None:
    """The most recently logged promise about `invoice` (or its client), clear or not."""
    best: Promise | None = None
    for entry in ctx.journal.manual.get(invoice.client, ()):
        if entry.invoice and entry.invoice != invoice.number:
            continue
        promised, unclear = read_promise(entry)
        if (promised or unclear) and entry.day and (best is None or entry.day >= best.logged):
            until = promised + timedelta(days=ctx.policy.promises.grace_days) if promised else None
            best = Promise(promised, entry.day, until, unclear)
    return best
