"""The ``Encaissements`` tab: bank credits as recorded, and what they mean for the planner. Pure.

Every run (and ``relance plan``) reads this tab through `parse_register`, so the
planner sees bank payments the moment a statement is imported, before anyone
types them in Factures:

- a **certaine** match, or any row staff confirmed with ``Validé`` = Oui, pays its
  invoices: ``Montant réglé`` seen by the planner is the larger of what staff typed
  and what the bank matched (the larger, not the sum: staff often type the same
  transfer by hand, and counting it twice would stop reminders for money still due);
- ``Validé`` = invoice numbers (« F2026-003 ; F2026-004 ») reassigns the credit to
  those invoices (oldest first, each up to its balance): staff correct the bot;
- ``Validé`` = Non rejects the match: nothing is paid, nothing is held;
- an **incertaine** row not yet decided holds the reminders of its candidate
  invoices (`Register.holds`): a client who may have paid is not chased until a
  human says so. An unreadable ``Validé`` keeps the hold (never a permissive default);
- the latest « Relevé au » date feeds the freshness gate (guards.py), like the
  Synthèse cell « Encaissements à jour au ».
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from relance.core import cells, schema
from relance.core.matching import CERTAIN, UNCERTAIN, Match, number_key
from relance.core.model import ZERO, RawTab, Register, RowProblem

TAB = schema.ENCAISSEMENTS


@dataclass(frozen=True, slots=True)
class Receipt:
    transaction: str
    booked: date | None
    amount: Decimal
    currency: str
    invoices: tuple[tuple[str, Decimal | None], ...]  # certain: amounts; uncertain: candidates (None)
    certainty: str
    validated: str  # "" | "oui" | "non" | "invoices" | "illisible"
    corrected: tuple[str, ...] = ()
    statement_end: date | None = None
    row: int = 0


def format_invoices(match: Match) -> str:
    """« F1 : 100.00 ; F2 : 50.00 » for a certain match, « F1 ? ; F2 ? » for candidates."""
    if match.allocations:
        return " ; ".join(f"{number} : {amount:.2f}" for number, amount in match.allocations)
    return " ; ".join(f"{number} ?" for number in match.candidates)


def match_row(match: Match, statement_end: date | None) -> dict:
    tx = match.transaction
    return {"booked": tx.booked, "amount": tx.amount, "currency": tx.currency, "label": tx.label,
            "counterparty": tx.counterparty, "transaction": tx.id, "invoices": format_invoices(match),
            "certainty": match.certainty, "note": match.note, "statement_end": statement_end, "validated": ""}


def read_receipts(tab: RawTab | None, problems: list[RowProblem]) -> list[Receipt]:
    """The rows of Encaissements; an unreadable one is a problem naming its cell, and never counts as paid."""
    if tab is None or not tab.rows:
        return []
    positions = schema.map_headers(TAB, list(tab.rows[0]))
    if "transaction" not in positions:
        return []
    receipts = []
    for number, values in enumerate(tab.rows[1:], start=2):
        def get(key: str):
            index = positions.get(key)
            return values[index] if index is not None and index < len(values) else None
        txid = cells.clean_text(get("transaction"))
        if not txid:
            continue
        try:
            amount = cells.parse_amount(get("amount"))
            booked = cells.parse_date(get("booked"))
            end = cells.parse_date(get("statement_end"))
        except ValueError as exc:
            problems.append(RowProblem(TAB.name, number, None, f"ligne illisible, ignorée : {exc}"))
            amount = None
        invoices = _parse_invoices(cells.clean_text(get("invoices")))
        validated, corrected = _validated(cells.clean_text(get("validated")))
        if validated == "illisible":
            problems.append(RowProblem(TAB.name, number, "Validé",
                                       f"« {cells.clean_text(get('validated'))[:40]} » : attendu Oui, Non ou des "
                                       f"n° de facture ; les factures candidates restent suspendues"))
        receipts.append(Receipt(txid, booked, amount if amount is not None else ZERO,
                                cells.clean_text(get("currency")) or "EUR", invoices,
                                cells.clean_text(get("certainty")), validated, corrected, end, number))
        if amount is None:  # unreadable amount: hold whatever it names, pay nothing
            receipts[-1] = dataclasses.replace(receipts[-1], certainty=UNCERTAIN, validated="")
    return receipts


def _parse_invoices(text: str) -> tuple[tuple[str, Decimal | None], ...]:
    found = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        number, _, amount = part.partition(" : ")
        number = number.rstrip(" ?").strip()
        try:
            value = cells.parse_amount(amount) if amount else None
        except ValueError:
            value = None
        found.append((number, value))
    return tuple(found)


def _validated(text: str) -> tuple[str, tuple[str, ...]]:
    if not text:
        return "", ()
    folded = schema.normalise(text)
    if folded in ("oui", "yes", "ok", "valide"):
        return "oui", ()
    if folded in ("non", "no", "rejete", "faux"):
        return "non", ()
    numbers = tuple(p for p in re.split(r"[\s,;]+", text) if p)
    if numbers and all(any(ch.isdigit() for ch in p) for p in numbers):
        return "invoices", numbers
    return "illisible", ()


def bank_view(register: Register, receipts: list[Receipt]) -> Register:
    """The register as the bank says it is: payments applied, undecided candidates held (see module doc)."""
    if not receipts:
        return register
    by_key = {number_key(i.number): i for i in register.invoices}
    paid: dict[str, Decimal] = {}
    last: dict[str, date] = {}
    holds: dict[str, str] = dict(register.holds)
    for r in receipts:
        for number, amount in _allocations(r, by_key):
            paid[number] = paid.get(number, ZERO) + amount
            if r.booked and (number not in last or r.booked > last[number]):
                last[number] = r.booked
        if r.validated in ("", "illisible") and r.certainty == UNCERTAIN:
            when = f"{r.booked:%d/%m/%Y}" if r.booked else "?"
            for number, _ in r.invoices:
                holds.setdefault(number, f"encaissement du {when} ({r.amount:.2f} {r.currency}) peut-être pour "
                                         f"cette facture : confirmer dans Encaissements › Validé (ligne {r.row})")
    invoices = []
    for invoice in register.invoices:
        bank = paid.get(invoice.number)
        if bank is not None and bank > invoice.paid:
            paid_on = max(filter(None, (invoice.paid_on, last.get(invoice.number))), default=None)
            invoice = dataclasses.replace(invoice, paid=bank, paid_on=paid_on)
        invoices.append(invoice)
    ends = [r.statement_end for r in receipts if r.statement_end]
    up_to = max(ends + ([register.payments_up_to] if register.payments_up_to else []), default=None)
    return dataclasses.replace(register, invoices=tuple(invoices), holds=holds, payments_up_to=up_to)


def _allocations(r: Receipt, by_key: dict) -> list[tuple[str, Decimal]]:
    """What the receipt pays, invoice by invoice, once staff's `Validé` is taken into account."""
    if r.validated == "non":
        return []
    if r.validated == "invoices":
        left, out = r.amount, []
        named = sorted(filter(None, (by_key.get(number_key(n)) for n in r.corrected)), key=lambda i: (i.due, i.number))
        for invoice in named:
            part = min(left, invoice.remaining if invoice.remaining > ZERO else ZERO)
            if part > ZERO:
                out.append((invoice.number, part))
                left -= part
        return out
    if r.certainty == CERTAIN or (r.validated == "oui" and r.certainty == UNCERTAIN):
        amounts = [(n, a) for n, a in r.invoices if a is not None]
        if amounts:
            return amounts
        if r.validated == "oui" and len(r.invoices) == 1:  # one candidate confirmed: the whole credit
            return [(r.invoices[0][0], r.amount)]
        if r.validated == "oui":
            return _allocations(dataclasses.replace(r, validated="invoices",
                                                    corrected=tuple(n for n, _ in r.invoices)), by_key)
    return []
