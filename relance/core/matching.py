"""Which invoice a bank credit pays. Pure: transactions + register in, matches out.

Banks do not tell us which invoice a transfer pays; the label usually does. So,
for each credit of a statement, in this order:

1. A label (or remittance information) naming one or more open invoices — found
   with ``[bank] invoice_pattern`` — is a **certain** match, however much it pays:
   the amount goes to the named invoices, oldest due date first, so a transfer
   below their total is a partial payment and one above it leaves a surplus noted.
2. Otherwise the payer's name is compared (rapidfuzz) with every client's Raison
   sociale and « Noms bancaires ». A known payer whose open invoices contain exactly
   one combination of balances equal to the amount is a **certain** match (one
   invoice, or one transfer for several); anything else for a known payer is
   **incertaine**, with the client's open invoices as candidates.
3. An unknown payer paying exactly the balance of some open invoices is
   **incertaine** with those invoices as candidates; otherwise **non rapprochée**.
4. Credits whose label says they are not invoice payments (``non_payment_labels``:
   internal transfers, refunds, interest) are **hors factures**: listed, never matched.

Uncertain matches are never counted as payments: they hold the candidates'
reminders until staff confirm or correct them in the ``Validé`` column.

Example: « VIR SEPA ACME SAS FACT F2026-001 F2026-002 » for 1 500,00 € with open
balances 1 000 + 800 -> certaine, F2026-001 1 000,00 and F2026-002 500,00 (partial).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import combinations
from typing import Iterable

from relance.core.config import BankConfig
from relance.core.model import ZERO, Invoice, Register

CERTAIN, UNCERTAIN, UNMATCHED, NOT_PAYMENT = "certaine", "incertaine", "non rapprochée", "hors factures"
MAX_COMBINATION = 4      # grouped payments without invoice numbers: look at subsets up to this size
MAX_OPEN_FOR_SUBSETS = 10  # ... among a client's this-many oldest open invoices (bounded work per credit)


@dataclass(frozen=True, slots=True)
class Transaction:
    """One booked line of a bank statement (credits are positive)."""

    id: str              # the bank's entry reference, else a stable hash of the line (see `stable_id`)
    booked: date
    amount: Decimal
    currency: str = "EUR"
    label: str = ""      # remittance information / libellé
    counterparty: str = ""  # payer name when the format gives it


@dataclass(frozen=True, slots=True)
class Statement:
    source: str
    end: date | None     # the statement's last day: payments are known up to then
    transactions: tuple[Transaction, ...]
    problems: tuple[str, ...] = ()  # lines that could not be read (file, line, why)


@dataclass(frozen=True, slots=True)
class Match:
    transaction: Transaction
    certainty: str
    allocations: tuple[tuple[str, Decimal], ...] = ()  # certain: invoice -> amount it pays
    candidates: tuple[str, ...] = ()                     # uncertain: invoices it may pay
    note: str = ""


def stable_id(account: str, booked: date, amount: Decimal, label: str, counterparty: str, occurrence: int = 0) -> str:
    """An id for a line the bank gave none: the same line in an overlapping statement gets the same id.
    `occurrence` separates identical lines of one statement (two equal transfers the same day)."""
    text = "|".join((account, booked.isoformat(), f"{amount:.2f}", " ".join(label.split()).casefold(),
                     " ".join(counterparty.split()).casefold(), str(occurrence)))
    return "H-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def number_key(text: str) -> str:
    """Invoice numbers compare without case, spaces or punctuation: « f 2026/001 » = « F2026-001 »."""
    return re.sub(r"[^0-9A-Z]", "", text.upper())


class Matcher:
    """Indexes built once per statement, so each of 10 000 credits costs lookups, not a scan of the register."""

    def __init__(self, register: Register, config: BankConfig):
        from rapidfuzz import fuzz, process, utils
        self._fuzz, self._process, self._utils = fuzz, process, utils
        self.config = config
        self.pattern = re.compile(config.invoice_pattern, re.IGNORECASE)
        self.non_payment = tuple(label.casefold() for label in config.non_payment_labels)
        open_ = [i for i in register.invoices if _open(i)]
        self.by_number = {number_key(i.number): i for i in open_}
        self.by_client: dict[str, list[Invoice]] = {}
        for invoice in sorted(open_, key=lambda i: (i.due, i.number)):
            self.by_client.setdefault(invoice.client, []).append(invoice)
        self.by_balance: dict[tuple[str, Decimal], list[Invoice]] = {}
        for invoice in open_:
            self.by_balance.setdefault((invoice.currency, invoice.remaining), []).append(invoice)
        self.names: list[str] = []
        self.name_client: list[str] = []
        for client in register.clients.values():
            for name in (client.name, *client.bank_aliases):
                if name.strip():
                    self.names.append(utils.default_process(name))
                    self.name_client.append(client.code)
        self._exact = {name: code for name, code in zip(self.names, self.name_client)}
        self._payers: dict[str, str] = {}

    def match(self, tx: Transaction) -> Match:
        text = f"{tx.label} {tx.counterparty}"
        if any(word in text.casefold() for word in self.non_payment):
            return Match(tx, NOT_PAYMENT, note="libellé d'un crédit qui n'est pas un règlement de facture")
        named = self._named_invoices(text, tx.currency)
        if named:
            return _allocate(tx, named)
        client = self._payer(tx.counterparty or tx.label)  # the payer field when the bank gives one
        if client:
            return self._by_client(tx, client)
        exact = self.by_balance.get((tx.currency, tx.amount), [])
        if exact:
            return Match(tx, UNCERTAIN, candidates=tuple(sorted(i.number for i in exact)),
                         note="émetteur inconnu ; montant égal au solde de ces factures")
        return Match(tx, UNMATCHED, note="ni n° de facture, ni client, ni solde correspondant")

    def _named_invoices(self, text: str, currency: str) -> list[Invoice]:
        found: dict[str, Invoice] = {}
        for token in self.pattern.findall(text):
            invoice = self.by_number.get(number_key(token if isinstance(token, str) else "".join(token)))
            if invoice and invoice.currency == currency:
                found[invoice.number] = invoice
        return sorted(found.values(), key=lambda i: (i.due, i.number))

    def _payer(self, text: str) -> str:
        """The client whose name or alias the text carries (exact first, then fuzzy); cached per text,
        since a month of statements repeats the same few hundred payers."""
        if not self.names:
            return ""
        key = self._utils.default_process(text)
        if key not in self._payers:
            exact = self._exact.get(key)
            if exact is not None:
                self._payers[key] = exact
            else:
                best = self._process.extractOne(key, self.names, scorer=self._fuzz.token_set_ratio, processor=None,
                                                score_cutoff=self.config.name_threshold)
                self._payers[key] = self.name_client[best[2]] if best else ""
        return self._payers[key]

    def _by_client(self, tx: Transaction, client: str) -> Match:
        invoices = [i for i in self.by_client.get(client, []) if i.currency == tx.currency]
        if not invoices:
            return Match(tx, UNCERTAIN, note=f"client {client} reconnu, sans facture ouverte en {tx.currency}")
        found = _combinations(invoices[:MAX_OPEN_FOR_SUBSETS], tx.amount)
        if len(found) == 1:
            return Match(tx, CERTAIN, tuple((i.number, i.remaining) for i in found[0]),
                         note=f"client {client} reconnu par son nom, montant égal au solde")
        why = "plusieurs combinaisons de factures possibles" if found else "montant différent des soldes"
        return Match(tx, UNCERTAIN, candidates=tuple(i.number for i in invoices),
                     note=f"client {client} reconnu par son nom ; {why}")


def match_all(register: Register, config: BankConfig, transactions: Iterable[Transaction]) -> list[Match]:
    """Match credits in order; each certain match lowers the balances the next credits see
    (two transfers paying one invoice in two halves are both recognised)."""
    matcher = Matcher(register, config)
    results = []
    for tx in transactions:
        if tx.amount <= ZERO:
            continue
        result = matcher.match(tx)
        results.append(result)
        if result.certainty == CERTAIN and result.allocations:
            matcher = _after(matcher, result)
    return results


def _after(matcher: Matcher, result: Match) -> Matcher:
    """The matcher with the balances a certain match just paid lowered (closed invoices leave the indexes)."""
    import dataclasses
    for number, part in result.allocations:
        key = number_key(number)
        old = matcher.by_number.get(key)
        if old is None:
            continue
        new = dataclasses.replace(old, paid=old.paid + part)
        matcher.by_balance[(old.currency, old.remaining)].remove(old)
        if _open(new):
            matcher.by_number[key] = new
            matcher.by_balance.setdefault((new.currency, new.remaining), []).append(new)
            matcher.by_client[new.client] = [new if i is old else i for i in matcher.by_client[new.client]]
        else:
            del matcher.by_number[key]
            matcher.by_client[new.client] = [i for i in matcher.by_client[new.client] if i is not old]
    return matcher


def _open(invoice: Invoice) -> bool:
    return not invoice.closed


def _allocate(tx: Transaction, invoices: list[Invoice]) -> Match:
    """Named invoices, oldest first, each paid up to its balance; what is left over is noted, not invented."""
    left, allocations = tx.amount, []
    for invoice in invoices:
        if left <= ZERO:
            break
        part = min(left, invoice.remaining)
        allocations.append((invoice.number, part))
        left -= part
    partial = [n for n, part in allocations if part < next(i.remaining for i in invoices if i.number == n)]
    notes = ["n° de facture dans le libellé"]
    if partial:
        notes.append("règlement partiel de " + ", ".join(partial))
    if left > ZERO:
        notes.append(f"trop-perçu de {left:.2f} {tx.currency} à traiter")
    unpaid = [i.number for i in invoices if i.number not in dict(allocations)]
    if unpaid:
        notes.append("rien pour " + ", ".join(unpaid))
    return Match(tx, CERTAIN, tuple(allocations), note=" ; ".join(notes))


def _combinations(invoices: list[Invoice], amount: Decimal) -> list[tuple[Invoice, ...]]:
    """Every set of invoices (up to MAX_COMBINATION) whose balances add up to `amount`; stops at two."""
    found: list[tuple[Invoice, ...]] = []
    cents = [int(i.remaining * 100) for i in invoices]  # exact: balances are in cents
    target = int(amount * 100)
    if sum(cents) < target:
        return found
    for size in range(1, min(MAX_COMBINATION, len(invoices)) + 1):
        for group in combinations(range(len(invoices)), size):
            if sum(cents[k] for k in group) == target:
                found.append(tuple(invoices[k] for k in group))
                if len(found) > 1:
                    return found
    return found
