"""All business rules: who gets what today. Pure: no I/O, no clock.

``plan(register, policy, today, now)`` looks at every invoice, the journal (what
was already sent) and the tasks (what humans approved), and returns a `Plan`:
the consolidated reminders to send, the tasks to open, the invoices skipped with
their reason, and the bot columns each invoice should show. The same call serves
``relance plan`` (print it) and ``relance run`` (do it), so what staff preview is
what happens.

The ladder, per invoice (offsets from the due date J, see config.toml):
  pre (J-5) -> amiable (J+1) -> renforcee (J+8) -> demeure (J+30, approved) -> recouvrement (J+45, task)
- A stage is never skipped: the next stage is always the one after the highest
  stage already sent. An invoice discovered 60 days late gets ``amiable`` today,
  then ``renforcee`` 7 days later (the ladder's own spacing), and so on.
- Stages before the due date (offset <= 0) are courtesy notes: once the invoice
  is past due they are passed over, never sent late.
- Nothing is sent for an invoice that is paid in full, Annulée, Litige, Pause or
  Échéancier, for a client with ``Relances auto = Non``, nor on the day a payment
  was recorded (the payment may settle it; the next run decides).

Then, per client: one consolidated message a day listing every invoice due for a
reminder (the highest stage sets the tone), at most one contact every
``min_days_between_contacts`` days (manual calls in the journal count), only on
business days. Example: J+8, B2B, nothing paid, ``amiable`` sent on J+1 ->
``renforcee`` today in one message with the client's other late invoices.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Iterable, Mapping

from . import journal as jr
from .claims import Claims
from .config import Policy, Stage
from .model import ZERO, Client, Invoice, Register, RowProblem
from .prescription import prescription_alert
from .timing import Calendar


@dataclass(frozen=True, slots=True)
class Line:
    """One invoice inside a reminder, at its own stage."""

    invoice: Invoice
    stage: str
    days_late: int

    @property
    def remaining(self) -> Decimal:
        return self.invoice.remaining


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


@dataclass(slots=True)
class _Decision:
    """The per-invoice verdict before per-client rules apply."""

    invoice: Invoice
    due_stage: str | None = None
    next_stage: str | None = None
    next_day: date | None = None
    reason: str = ""
    alerts: list[str] = field(default_factory=list)
    tasks: list[NewTask] = field(default_factory=list)


STOP_STATUSES = {"Payée": "payée", "Annulée": "annulée", "Litige": "en litige", "Pause": "en pause",
                 "Échéancier": "sous échéancier (relances d'échéances à part)"}


def fmt_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


class _Context:
    """Indexes built once per plan, so each invoice costs dictionary lookups only."""

    def __init__(self, register: Register, policy: Policy, today: date, problems: Iterable[RowProblem]):
        self.register, self.policy, self.today = register, policy, today
        self.calendar = Calendar(policy.schedule)
        self.journal = jr.JournalIndex(register.journal, [(s.key, s.label) for s in policy.stages])
        self.stage_pos = {s.key: i for i, s in enumerate(policy.stages)}
        self.task_keys = {t.key for t in register.tasks if t.key} | {
            e.key for e in register.journal if e.channel == "tâche" and e.status == jr.SENT}
        self.approved = {t.key for t in register.tasks if t.key and t.approved}
        self.alerts: dict[str, list[str]] = defaultdict(list)
        by_client: dict[str, list[str]] = defaultdict(list)
        for p in problems:
            if p.invoice and p.tab == "Factures":
                self.alerts[p.invoice].append(str(p))
            elif p.client and p.tab == "Clients":
                by_client[p.client].append(str(p))
        for invoice in register.invoices:
            self.alerts[invoice.number].extend(by_client.get(invoice.client, ()))
        self.business_today = self.calendar.is_business_day(today)
        self.claims = Claims(policy, register)  # rate table read once per plan


def _stop_reason(invoice: Invoice, client: Client, today: date) -> str:
    if invoice.status in STOP_STATUSES:
        return STOP_STATUSES[invoice.status]
    if invoice.remaining <= 0:
        return "payée"
    if not client.auto:
        return "relances auto désactivées pour ce client"
    if invoice.paid_on == today:
        return "paiement reçu aujourd'hui"
    return ""


def _next_stage(ctx: _Context, invoice: Invoice, history: jr.History) -> tuple[Stage, date] | None:
    """The stage after the highest one sent, and the first day it may go."""
    stages = ctx.policy.stages
    index = ctx.stage_pos[history.stage] + 1 if history.stage in ctx.stage_pos else 0
    while index < len(stages) and stages[index].offset_days <= 0 and ctx.today > invoice.due:
        index += 1
    if index >= len(stages):
        return None
    stage = stages[index]
    day = invoice.due + timedelta(days=stage.offset_days)
    if history.stage_day and history.stage in ctx.stage_pos:
        previous = stages[ctx.stage_pos[history.stage]]
        gap = stage.offset_days - previous.offset_days if previous.offset_days > 0 else 1
        day = max(day, history.stage_day + timedelta(days=gap))
    return stage, ctx.calendar.next_business_day(day)


def _decide(ctx: _Context, invoice: Invoice) -> _Decision:
    decision = _Decision(invoice, alerts=list(ctx.alerts.get(invoice.number, ())))
    client = ctx.register.clients[invoice.client]
    if late := prescription_alert(invoice, client, ctx.today, ctx.policy.penalties.prescription_warning_days):
        decision.alerts.append(late.alert)
        decision.tasks.append(NewTask(late.task_key, client.code, (invoice.number,), late.reason, late.action))
    stop = _stop_reason(invoice, client, ctx.today)
    if stop:
        decision.reason = stop
        return decision
    history = ctx.journal.history(invoice.number)
    found = _next_stage(ctx, invoice, history)
    if found is None:
        decision.reason = "échelle de relance terminée"
        return decision
    stage, day = found
    decision.next_stage, decision.next_day = stage.key, day
    if day > ctx.today or not ctx.business_today:
        decision.reason = f"{stage.label} prévue le {fmt_day(max(day, ctx.calendar.next_business_day(ctx.today)))}"
        return decision
    if stage.channel == "task":
        key = jr.task_key(invoice.number, stage.key)
        decision.tasks.append(NewTask(key, client.code, (invoice.number,), f"{stage.label} : {invoice.number}",
                                      f"Transmettre le dossier au recouvrement (relance dossier {client.code})",
                                      stage=stage.key))
        decision.reason = f"{stage.label} : tâche créée"
        return decision
    if stage.requires_approval:
        key = jr.task_key(invoice.number, stage.key)
        if key not in ctx.approved:
            if key not in ctx.task_keys:
                decision.tasks.append(NewTask(key, client.code, (invoice.number,),
                                              f"{stage.label} à approuver : {invoice.number}",
                                              "Vérifier le dossier puis mettre Approuvée = Oui"))
            decision.reason = f"{stage.label} en attente d'approbation (onglet Tâches)"
            return decision
    if not client.email:
        decision.alerts.append(f"client {client.code} sans email valide : {stage.label} impossible par email")
        decision.reason = "pas d'email"
        return decision
    decision.due_stage = stage.key
    return decision


def _consolidate(ctx: _Context, decisions: list[_Decision]) -> list[Reminder]:
    """Group due invoices per client into one message, applying the contact rules.

    An invoice held back by a client rule loses its `due_stage` and gets the reason."""
    by_client: dict[str, list[_Decision]] = defaultdict(list)
    for d in decisions:
        if d.due_stage:
            by_client[d.invoice.client].append(d)
    reminders = []
    gap = ctx.policy.schedule.min_days_between_contacts
    for code, due in sorted(by_client.items()):
        client = ctx.register.clients[code]
        last = ctx.journal.last_contact(code)
        blocked = ""
        if last == ctx.today:
            blocked = "client déjà contacté aujourd'hui"
        elif last and gap and (ctx.today - last).days < gap:
            free = ctx.calendar.next_business_day(last + timedelta(days=gap))
            blocked = f"dernier contact le {fmt_day(last)} : prochain contact possible le {fmt_day(free)}"
        stage = max((d.due_stage for d in due), key=ctx.stage_pos.__getitem__)
        key = jr.message_key(ctx.today, code, stage)
        if not blocked and key in ctx.journal.sent_keys:
            blocked = "message du jour déjà envoyé"
        if blocked:
            for d in due:
                d.due_stage, d.reason = None, blocked
            continue
        due.sort(key=lambda d: (d.invoice.due, d.invoice.number))
        lines = tuple(Line(d.invoice, d.due_stage, d.invoice.days_late(ctx.today)) for d in due)
        references = tuple(dict.fromkeys(mid for d in due
                                         for mid in ctx.journal.history(d.invoice.number).message_ids))
        reminders.append(Reminder(key, client, stage, lines, (client.email,), client.cc, references))
    return reminders


def _state(ctx: _Context, d: _Decision, sending: bool) -> InvoiceState:
    history = ctx.journal.history(d.invoice.number)
    label = ctx.policy.label(d.next_stage) if d.next_stage else ""
    if sending:
        next_action = f"{label} : aujourd'hui"
    elif label and not d.reason.startswith(label):
        next_action = f"{label} : {d.reason}"
    else:
        next_action = d.reason
    penalties, rate_alert = ctx.claims.cell(d.invoice, ctx.today)
    return InvoiceState(d.invoice.number, ctx.policy.label(history.stage) if history.stage else "",
                        history.last_sent, next_action, history.count,
                        " | ".join([*d.alerts, rate_alert] if rate_alert else d.alerts), penalties)


def plan(register: Register, policy: Policy, today: date, now: datetime | None = None,
         problems: Iterable[RowProblem] = ()) -> Plan:
    """Decide everything for `today`. `now` (aware) checks the send window; None = assume open."""
    problems = tuple(problems)
    ctx = _Context(register, policy, today, problems)
    decisions = [_decide(ctx, invoice) for invoice in register.invoices]
    reminders = _consolidate(ctx, decisions)
    reminders.sort(key=lambda r: (-r.max_days_late, -r.total, r.client.code))
    limit = policy.schedule.daily_limit
    reminders, deferred = reminders[:limit], reminders[limit:]
    held = {n for r in deferred for n in r.invoices}
    for d in decisions:
        if d.invoice.number in held:
            d.due_stage, d.reason = None, "reporté au prochain envoi (limite quotidienne atteinte)"
    sending = {n for r in reminders for n in r.invoices}
    skips = tuple(Skip(d.invoice.number, d.invoice.client, d.reason) for d in decisions if not d.due_stage)
    tasks = tuple({t.key: t for d in decisions for t in d.tasks if t.key not in ctx.task_keys}.values())
    states = {d.invoice.number: _state(ctx, d, d.invoice.number in sending) for d in decisions}
    window_open, next_slot = True, None
    if now is not None and not ctx.calendar.in_window(now):
        window_open, next_slot = False, ctx.calendar.next_slot(now)
    return Plan(today, tuple(reminders), tasks, skips, states, problems, window_open, next_slot,
                tuple(deferred))


def next_reminder(register: Register, policy: Policy, today: date, number: str) -> Reminder | None:
    """The single-invoice reminder `number` would get at its next email stage (for previews)."""
    ctx = _Context(register, policy, today, ())
    invoice = next((i for i in register.invoices if i.number == number), None)
    if invoice is None or _stop_reason(invoice, register.clients[invoice.client], today):
        return None
    found = _next_stage(ctx, invoice, ctx.journal.history(number))
    if found is None or found[0].channel == "task":
        return None
    client = register.clients[invoice.client]
    line = Line(invoice, found[0].key, invoice.days_late(today))
    return Reminder(jr.message_key(today, client.code, found[0].key), client, found[0].key, (line,),
                    (client.email,) if client.email else (), client.cc)
