"""Immutable records read from the register, each knowing where it came from.

Every record carries its tab row (1-based, as staff see it) so any problem can be
reported as ``Factures!E12``. Money is `Decimal`, dates are `datetime.date`,
timestamps are timezone-aware. Records are frozen: the planner can share them
freely and a rule can never change what another rule sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Mapping

from relance.core.statuses import canonical as canonical_status

ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Bad input found in one cell or row; prints as ``Factures!E12 (Échéance): …``."""

    tab: str
    row: int | None
    column: str | None
    message: str
    cell: str | None = None  # A1 reference, e.g. "E12"
    invoice: str | None = None  # the invoice whose Alerte cell should show it
    client: str | None = None

    def __str__(self) -> str:
        where = self.tab
        if self.cell:
            where += f"!{self.cell}"
        elif self.row:
            where += f"!{self.row}:{self.row}"
        if self.column:
            where += f" ({self.column})"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Client:
    code: str
    name: str
    email: str = ""
    contact: str = ""
    cc: tuple[str, ...] = ()
    phone: str = ""
    language: str = "fr"
    segment: str = "Standard"
    b2b: bool = True
    account_manager: str = ""
    auto: bool = True
    address: str = ""
    siren: str = ""
    direct_debit: bool = False
    row: int = 0
    bank_aliases: tuple[str, ...] = ()  # names the client's bank transfers arrive under (« Noms bancaires »)

    @property
    def display_name(self) -> str:
        return self.name or self.code


CLOSED_STATUSES = ("Payée", "Annulée")  # Statut values that end an invoice, whatever remains


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    client: str
    due: date
    amount: Decimal
    issued: date | None = None
    currency: str = "EUR"
    paid: Decimal = ZERO
    paid_on: date | None = None
    status: str = ""
    payment_link: str = ""
    notes: str = ""
    row: int = 0
    client_note: str = ""  # Factures « Note au client »: printed under the invoice in every message
    order_ref: str = ""  # Factures « Référence commande »: the client's PO / service reference
    former: tuple[str, ...] = ()  # Factures « Ancien numéro »: numbers this invoice had (core/renumbering.py)
    new: bool = False  # « Ancien numéro » = Non: staff say it is a new invoice, not a renumbered one

    @property
    def remaining(self) -> Decimal:
        left = self.amount - self.paid
        return left if left > ZERO else ZERO

    @property
    def closed(self) -> bool:
        """Nothing more is owed: Statut Payée or Annulée, or nothing left to pay. The one definition
        the ladder, prescription, penalties, anonymisation and the Synthèse figures all use."""
        return self.status in CLOSED_STATUSES or self.remaining <= ZERO

    def days_late(self, today: date) -> int:
        return (today - self.due).days


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the bot remembers of an invoice it chased (the « Mémoire » tab), to recognise it renumbered."""
    number: str
    client: str
    amount: Decimal
    issued: date | None
    due: date


@dataclass(frozen=True, slots=True)
class Instalment:
    invoice: str
    number: int
    due: date
    amount: Decimal
    paid: bool = False
    row: int = 0


@dataclass(frozen=True, slots=True)
class JournalEntry:
    timestamp: datetime | None
    invoice: str = ""
    client: str = ""
    stage: str = ""
    channel: str = ""
    recipient: str = ""
    subject: str = ""
    status: str = ""
    key: str = ""
    message_id: str = ""
    author: str = ""
    comment: str = ""
    row: int = 0
    promised: date | None = None  # Promesse (date), filled by staff on a manual row
    promised_cell: str = ""  # that cell's text when it is not a readable date (the promise then waits for a human)

    def __post_init__(self) -> None:
        # « envoyé » or the old « sent », typed or read: one constant for every comparison (statuses.py)
        object.__setattr__(self, "status", canonical_status(self.status))

    @property
    def day(self) -> date | None:
        return self.timestamp.date() if self.timestamp else None


@dataclass(frozen=True, slots=True)
class Task:
    created: date | None
    client: str = ""
    invoices: tuple[str, ...] = ()
    reason: str = ""
    assignee: str = ""
    action: str = ""
    approved: bool = False
    done_on: date | None = None
    key: str = ""
    row: int = 0


@dataclass(frozen=True, slots=True)
class Register:
    """Everything the planner may look at, read once per run."""

    invoices: tuple[Invoice, ...] = ()
    clients: Mapping[str, Client] = field(default_factory=dict)
    journal: tuple[JournalEntry, ...] = ()
    tasks: tuple[Task, ...] = ()
    instalments: tuple[Instalment, ...] = ()
    holds: Mapping[str, str] = field(default_factory=dict)  # invoice -> why no reminder (bank match to decide)
    payments_up_to: date | None = None  # end date of the latest bank statement imported (freshness gate)
    chased: Mapping[str, Fingerprint] = field(default_factory=dict)  # invoices chased, as last recorded (Mémoire)


@dataclass(frozen=True, slots=True)
class RawTab:
    """One tab as read: ``rows[0]`` is the header row, ``rows[i]`` is sheet row i + 1."""

    title: str
    rows: list[list[object]]


RawTabs = dict[str, RawTab]  # canonical tab name (schema) -> what was read
