"""What the planner decides: plain, frozen values the shell carries out.

Kept apart from the rules so `render`, `runner` and the printers depend on the
shape of a decision, never on how it was reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Mapping

from relance.core.model import ZERO, Client, Instalment, Invoice, RowProblem

INSTALMENT_PRE, INSTALMENT_DUE = "echeance_pre", "echeance"
INSTALMENT_LABELS = {INSTALMENT_PRE: "Rappel d'échéance", INSTALMENT_DUE: "Échéance impayée"}


def stage_label(policy, stage: str) -> str:
    """Staff-facing name of a ladder stage or an instalment note."""
    return INSTALMENT_LABELS.get(stage) or policy.label(stage)


@dataclass(frozen=True, slots=True)
class Line:
    """One invoice inside a reminder, at its own stage (or one instalment of its plan)."""

    invoice: Invoice
    stage: str
    days_late: int
    instalment: Instalment | None = None

    @property
    def remaining(self) -> Decimal:
        return self.instalment.amount if self.instalment else self.invoice.remaining

    @property
    def journal_stage(self) -> str:
        """What the journal's Étape column records: the stage, or the stage, instalment number and due date
        (``echeance:1@2026-12-05``: a renegotiated plan numbered 1, 2, 3 again gets its own notes)."""
        if not self.instalment:
            return self.stage
        return f"{self.stage}:{self.instalment.number}@{self.instalment.due.isoformat()}"


@dataclass(frozen=True, slots=True)
class Reminder:
    """One message to one client: every invoice due for a reminder today."""

    key: str
    client: Client
    stage: str
    lines: tuple[Line, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    test: bool = False  # test mode (decision.test_mode): to the sandbox, subject « [TEST] », ladder untouched

    @property
    def total(self) -> Decimal:
        return sum((line.remaining for line in self.lines), ZERO)

    @property
    def invoices(self) -> tuple[str, ...]:
        return tuple(line.invoice.number for line in self.lines)

    @property
    def max_days_late(self) -> int:
        return max(line.days_late for line in self.lines)


@dataclass(frozen=True, slots=True)
class NewTask:
    """Work for a human; `stage` is set when opening the task *is* the stage."""

    key: str
    client: str
    invoices: tuple[str, ...]
    reason: str
    action: str
    assignee: str = ""
    stage: str = ""
    letter: bool = False  # a letter PDF goes with it (client without usable email)


@dataclass(frozen=True, slots=True)
class TaskUpdate:
    """An open task whose invoice list or reason changed: the row is updated, never duplicated."""

    key: str
    invoices: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Skip:
    invoice: str
    client: str
    reason: str


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """What the bot columns of one Factures row should show."""

    invoice: str
    stage: str = ""
    last_reminder: datetime | None = None
    next_action: str = ""
    reminders_sent: int = 0
    alert: str = ""
    penalties: Decimal | None = None  # interest + indemnity as of today (claims.py); None = none / no rate


@dataclass(frozen=True, slots=True)
class Plan:
    today: date
    reminders: tuple[Reminder, ...] = ()
    tasks: tuple[NewTask, ...] = ()
    skips: tuple[Skip, ...] = ()
    states: Mapping[str, InvoiceState] = field(default_factory=dict)
    problems: tuple[RowProblem, ...] = ()
    window_open: bool = True
    next_slot: datetime | None = None
    deferred: tuple[Reminder, ...] = ()
    task_updates: tuple[TaskUpdate, ...] = ()
    # the day's gates (decision.decide): what the run holds back and why, said in notes and Synthèse
    withheld: tuple[Reminder, ...] = ()   # due today but not sent: outside the send window, stale payments
    notes: tuple[str, ...] = ()
    banner: tuple[str, ...] = ()          # the notes Synthèse shows at its top
    paid_up_to: date | None = None
    stale_payments: bool = False
    test_mode: bool = False
    held: frozenset[str] = frozenset()    # invoices staff changed during the run: bot cells left alone
