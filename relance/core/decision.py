"""The day's decision, whole: what `relance run` will do and `relance plan` announces. Pure.

`planner.plan` decides per invoice and per client (ladder, promises, contact gaps,
daily limit). A run then has gates that hold the whole day back or reshape it, and
they used to live in the runner, so `plan` could list reminders `run` would not
send. They live here now, in the order a run applies them:

1. the send window (``hors créneau`` : nothing leaves outside it, see `timing.Calendar.in_window`);
2. the freshness of the payment data (`guards.payment_freshness`: stale -> nothing leaves, a task);
3. the heartbeat (`guards.heartbeat`: missed runs are reported; the ladder catches up one stage);
4. test mode (``[mail] test_recipient``: every message to the sandbox, keyed ``TEST/…``, once a day);
5. the journal's memory (`memory.check`, gathered by the shell): a journal that lost rows holds the day;
6. after the shell re-read the staff cells, `hold_edited`: an invoice staff changed during the run
   is neither sent nor has its bot cells rewritten.

The shell gathers the inputs (`Inputs`), calls `decide`, and carries the `Plan` out.

Example: ``decide(register, policy, today, now=at(saturday))`` -> ``plan.reminders == ()``,
``plan.withheld`` holds what the ladder wanted, ``plan.notes[0]`` starts with « hors créneau ».
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from relance.core import guards
from relance.core import journal as jr
from relance.core.actions import Plan, Reminder
from relance.core.config import Policy
from relance.core.law.claims import rate_notes
from relance.core.model import RawTab, Register, RowProblem
from relance.core.planner import plan as plan_invoices
from relance.core.timing import Calendar

TEST_PREFIX = "TEST/"


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the shell read, besides the register: values only, so `decide` stays pure."""

    synthese: RawTab | None = None       # for « Encaissements à jour au »
    last_run: date | None = None         # the newest day of Historique (heartbeat)
    assume_payments_current: bool = False  # the calendar's later days: staff keep payments up to date
    journal_refusal: str = ""            # core/memory.py: the journal lost rows; nothing leaves until restored
    rehearsal: bool = False              # a dry run: a new register without payment data may still rehearse


def decide(register: Register, policy: Policy, today: date, now: datetime | None,
           problems: Iterable[RowProblem] = (), inputs: Inputs = Inputs()) -> Plan:
    """Everything a run on `today` at `now` will do (None = the window is assumed open)."""
    result = plan_invoices(register, policy, today, now, problems)
    calendar = Calendar(policy.schedule)
    notes: list[str] = []
    banner: list[str] = []
    withheld: tuple[Reminder, ...] = ()
    tasks = result.tasks
    if not result.window_open:
        when = result.next_slot.strftime("%d/%m/%Y %H:%M") if result.next_slot else "?"
        notes.append(f"hors créneau d'envoi : rien n'est envoyé maintenant (prochain créneau : {when})")
        withheld = result.reminders
    synthese = None if inputs.assume_payments_current else inputs.synthese
    max_age = 0 if inputs.assume_payments_current else policy.schedule.max_payment_data_age
    fresh = guards.payment_freshness(register, synthese, today, calendar, max_age)
    stale = fresh.stale and not (fresh.up_to is None and inputs.rehearsal)
    if fresh.stale and not stale:  # a new register: rehearsals still work
        notes.append(f"à blanc seulement : un vrai passage n'enverrait rien ({fresh.message})")
    elif stale:
        notes.append(fresh.message)
        banner.append(fresh.message)
        withheld = result.reminders
        task = guards.freshness_task(today, fresh, policy.escalation.assignee)
        if task.key not in {t.key for t in register.tasks}:
            tasks = tasks + (task,)
    if inputs.journal_refusal:
        notes.append(inputs.journal_refusal)
        banner.append(inputs.journal_refusal)
        withheld = result.reminders
    for note in rate_notes(register, policy, today):  # a missing rate: said once per day, not on every row
        notes.append(note)
        banner.append(note)
    missed = guards.heartbeat(inputs.last_run, today, calendar)
    if missed:
        notes.append(missed)
        banner.append(missed)
    reminders = () if withheld else result.reminders
    recipient = policy.mail.test_recipient
    if recipient:
        done = {e.key for e in register.journal if e.status == jr.TEST}
        reminders = tuple(r for r in map(lambda r: test_mode(r, recipient), reminders) if r.key not in done)
    return dataclasses.replace(result, reminders=reminders, tasks=tasks, withheld=withheld, notes=tuple(notes),
                               banner=tuple(banner), paid_up_to=fresh.up_to,
                               stale_payments=stale,
                               test_mode=bool(recipient))


def test_mode(reminder: Reminder, recipient: str) -> Reminder:
    """The sandbox copy of a reminder: own key (the real ladder never sees it), one recipient, no copies."""
    return dataclasses.replace(reminder, key=TEST_PREFIX + reminder.key, to=(recipient,), cc=(), test=True)


def hold_edited(day: Plan, read: RawTab | None, reread: RawTab | None) -> Plan:
    """The staff-edit guard: drop the reminders whose invoices' staff cells changed since the read.

    A reminder is one message: one changed invoice holds its whole message, and the bot cells of
    every invoice held are left as they are (staff are working on them)."""
    numbers = {n for r in day.reminders for n in r.invoices}
    if not numbers or reread is None:
        return day
    changed = set(guards.changed_since(guards.staff_cells(read), guards.staff_cells(reread), numbers))
    if not changed:
        return day
    notes = tuple(f"{number} modifiée dans le registre pendant l'exécution : ni envoyée ni réécrite, "
                  f"elle sera revue au prochain passage" for number in sorted(changed))
    kept = tuple(r for r in day.reminders if not changed & set(r.invoices))
    held = changed | {n for r in day.reminders if changed & set(r.invoices) for n in r.invoices}
    return dataclasses.replace(day, reminders=kept, held=frozenset(held), notes=day.notes + notes)
