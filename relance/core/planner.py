"""Who gets what today. Pure: no I/O, no clock; every rule lives here or in `relance.rules`.

``plan(register, policy, today, now)`` looks at every invoice, the journal (what
was already sent) and the tasks (what humans approved), and returns a `Plan`: the
consolidated reminders to send, the tasks to open or update, the invoices skipped
with their reason, and what each invoice's bot columns should show. The same call
serves ``relance plan`` (print it) and ``relance run`` (do it), so what staff
preview is what happens.

Per invoice (`rules.ladder.decide`): stop conditions, payment plans, promises to
pay, the next stage of the ladder and its day, approval and human stages.
Then per client: one consolidated message a day listing every invoice due (the
highest stage sets the tone; instalment notes go on a day without a ladder
message), at most one contact every ``min_days_between_contacts`` days (manual
calls in the journal count), escalation tasks after reminders without reply.
Then the ``daily_limit``: the most overdue and biggest go first, the rest wait.

Example: J+8, B2B, nothing paid, ``amiable`` sent on J+1 -> ``renforcee`` today,
in one message with the client's other late invoices.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Iterable

from relance.core import journal as jr
from relance.core.actions import (
    INSTALMENT_DUE,
    INSTALMENT_PRE,
    stage_label as label,
    InvoiceState,
    Line,
    NewTask,
    Plan,
    Reminder,
    Skip,
    TaskUpdate)
from relance.core.config import Policy
from relance.core.model import Register, RowProblem
from relance.core.perf import paused_gc
from relance.core.rules.context import Context
from relance.core.rules.escalation import escalations
from relance.core.rules.ladder import Decision, decide, fmt_day, next_stage, stop_reason

__all__ = ["plan", "next_reminder", "Line", "Reminder", "NewTask", "TaskUpdate", "Skip", "InvoiceState", "Plan",
           "label"]


def _recipients(ctx: Context, code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    client = ctx.register.clients[code]
    cc = list(client.cc)
    segment = ctx.policy.segments.get(client.segment)
    if segment and segment.cc_account_manager and client.account_manager and client.account_manager not in cc:
        cc.append(client.account_manager)
    return (client.email,), tuple(cc)


def _blocked(ctx: Context, code: str) -> str:
    """Why the client may not be contacted today ('' when it may)."""
    last = ctx.journal.last_contact(code)
    gap = ctx.policy.schedule.min_days_between_contacts
    if last == ctx.today:
        return "client déjà contacté aujourd'hui"
    if last and gap and (ctx.today - last).days < gap:
        free = ctx.calendar.next_business_day(last + timedelta(days=gap))
        return f"dernier contact le {fmt_day(last)} : prochain contact possible le {fmt_day(free)}"
    return ""


def _consolidate(ctx: Context, decisions: list[Decision]) -> list[Reminder]:
    """One message per client: ladder lines, or else instalment lines. Held-back invoices get a reason."""
    ladder: dict[str, list[Decision]] = defaultdict(list)
    plans: dict[str, list[Decision]] = defaultdict(list)
    for d in decisions:
        if d.due_stage:
            ladder[d.invoice.client].append(d)
        elif d.plan_lines:
            plans[d.invoice.client].append(d)
    reminders = []
    for code in sorted(set(ladder) | set(plans)):
        due = ladder.get(code) or plans[code]
        blocked = _blocked(ctx, code)
        if code in ladder:
            lines = [Line(d.invoice, d.due_stage, d.invoice.days_late(ctx.today)) for d in due]
            stage = max((d.due_stage for d in due), key=ctx.stage_pos.__getitem__)
        else:
            lines = [line for d in due for line in d.plan_lines]
            stage = INSTALMENT_DUE if any(l.stage == INSTALMENT_DUE for l in lines) else INSTALMENT_PRE
        key = jr.message_key(ctx.today, code, stage)
        if not blocked and key in ctx.journal.sent_keys:
            blocked = "message du jour déjà envoyé"
        if not blocked and key in ctx.journal.uncertain_keys:
            blocked = "message du jour incertain : en attente de vérification"
        for d in plans.get(code, ()) if code in ladder else ():
            d.plan_lines, d.reason = [], "échéancier : un seul message par jour, rappel au prochain envoi"
        if blocked:
            for d in due:
                d.due_stage, d.plan_lines, d.reason = None, [], blocked
            continue
        lines.sort(key=lambda l: (l.instalment.due if l.instalment else l.invoice.due, l.invoice.number))
        references = tuple(dict.fromkeys(mid for d in due for mid in ctx.journal.history(d.invoice.number).message_ids))
        to, cc = _recipients(ctx, code)
        reminders.append(Reminder(key, ctx.register.clients[code], stage, tuple(lines), to, cc, references))
    return reminders


def _state(ctx: Context, d: Decision, sending: bool) -> InvoiceState:
    history = ctx.journal.history(d.invoice.number)
    stage_label = ctx.labels[d.next_stage] if d.next_stage else ""
    if sending:
        what = stage_label or ", ".join(sorted({label(ctx.policy, l.stage) for l in d.plan_lines}))
        next_action = f"{what} : aujourd'hui"
    elif stage_label and not d.reason.startswith(stage_label):
        next_action = f"{stage_label} : {d.reason}"
    else:
        next_action = d.reason
    penalties, rate_alert = ctx.claims.cell(d.invoice, ctx.today)
    alerts = [*d.alerts, rate_alert] if rate_alert else d.alerts
    return InvoiceState(d.invoice.number, ctx.labels.get(history.stage, history.stage), history.last_sent,
                        next_action, history.count, " | ".join(dict.fromkeys(alerts)) if alerts else "", penalties)


def plan(register: Register, policy: Policy, today: date, now: datetime | None = None,
         problems: Iterable[RowProblem] = ()) -> Plan:
    """Decide everything for `today`. `now` (aware) checks the send window; None = assume open."""
    with paused_gc():
        return _plan(register, policy, today, now, tuple(problems))


def _plan(register: Register, policy: Policy, today: date, now: datetime | None,
          problems: tuple[RowProblem, ...]) -> Plan:
    ctx = Context(register, policy, today, problems)
    decisions = [decide(ctx, invoice) for invoice in register.invoices]
    reminders = _consolidate(ctx, decisions)
    reminders.sort(key=lambda r: (-r.max_days_late, -r.total, r.client.code))
    reminders, deferred = reminders[:policy.schedule.daily_limit], reminders[policy.schedule.daily_limit:]
    held = {n for r in deferred for n in r.invoices}
    for d in decisions:
        if d.invoice.number in held:
            d.due_stage, d.plan_lines = None, []
            d.reason = "reporté au prochain envoi (limite quotidienne atteinte)"
    sending = {n for r in reminders for n in r.invoices}
    escalated, updates = escalations(ctx, decisions) if ctx.business_today else ([], [])
    tasks = {t.key: t for d in decisions for t in d.tasks if t.key not in ctx.task_keys}
    tasks.update({t.key: t for t in escalated})
    states = {d.invoice.number: _state(ctx, d, d.invoice.number in sending) for d in decisions}
    skips = tuple(Skip(d.invoice.number, d.invoice.client, d.reason) for d in decisions
                  if d.invoice.number not in sending)
    window_open, next_slot = True, None
    if now is not None and not ctx.calendar.in_window(now):
        window_open, next_slot = False, ctx.calendar.next_slot(now)
    return Plan(today, tuple(reminders), tuple(tasks.values()), skips, states, problems, window_open, next_slot,
                tuple(deferred), tuple(updates))


def next_reminder(register: Register, policy: Policy, today: date, number: str) -> Reminder | None:
    """The single-invoice reminder `number` would get at its next email stage (for previews)."""
    ctx = Context(register, policy, today)
    invoice = next((i for i in register.invoices if i.number == number), None)
    if invoice is None or stop_reason(invoice, register.clients[invoice.client], today):
        return None
    client = register.clients[invoice.client]
    found = next_stage(ctx, invoice, ctx.journal.history(number), client.segment)
    if found is None or found[0].channel == "task":
        return None
    to, cc = _recipients(ctx, client.code)
    line = Line(invoice, found[0].key, invoice.days_late(today))
    return Reminder(jr.message_key(today, client.code, found[0].key), client, found[0].key, (line,),
                    to if client.email else (), cc)
