"""`relance preview INVOICE`: the message its client would get at its next stage.

Staff preview an invoice that is not due yet as often as one that is, so when
today's plan has no message for it, the invoice alone is rendered at the stage
the planner would send next, rendered as of the day it would go (days late and penalties
of that day), and the preview says which stage and which day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from relance.core import planner
from relance.core.actions import Plan, Reminder
from relance.core.config import Policy
from relance.core.decision import test_mode
from relance.messages.message import Message
from relance.core.model import Register, RowProblem
from relance.core.rules.context import Context
from relance.core.rules.ladder import next_stage
from relance.messages.render import Renderer, RenderError


class PreviewError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Preview:
    """The message, its stage's name and the day it would go (``today`` when today's plan sends it), and the
    reminder it renders (the shell attaches what the run attaches: the formal-notice letter, invoice PDFs)."""
    message: Message
    stage: str
    day: date
    today: date
    reminder: Reminder | None = None
    held: str = ""  # due today but held back by the day's gates (send window, payments not up to date…): why

    def when(self) -> str:
        """« Relance amiable — partirait aujourd'hui (25/11/2026) » / « … — partirait le 02/12/2026 » /
        « … — à envoyer aujourd'hui (25/11/2026) mais retenue : <why> »."""
        shown = self.day.strftime("%d/%m/%Y")
        if self.held:
            return f"{self.stage} — à envoyer aujourd'hui ({shown}) mais retenue : {self.held}"
        return f"{self.stage} — partirait " + (f"aujourd'hui ({shown})" if self.day == self.today else f"le {shown}")


def preview_message(register: Register, policy: Policy, number: str, today: date,
                    problems: tuple[RowProblem, ...] | list[RowProblem] = ()) -> Message:
    return preview(register, policy, number, today, problems).message


def _next_day(register: Register, policy: Policy, today: date, number: str) -> date:
    """First business day the invoice's next stage may go (the planner's own rule), today at the earliest."""
    ctx = Context(register, policy, today)
    invoice = next(i for i in register.invoices if i.number == number)
    found = next_stage(ctx, invoice, ctx.journal.history(number), register.clients[invoice.client].segment)
    return max(found[1], today) if found else today


def preview(register: Register, policy: Policy, number: str, today: date,
            problems: tuple[RowProblem, ...] | list[RowProblem] = (), decided: Plan | None = None) -> Preview:
    """`relance preview`: today's message for `number`, else the next one, rendered as of the day it would go.

    `decided`: the day as `run` would decide it (`decision.decide`, the shell gathers its inputs). A message
    due today that the day's gates hold back (outside the send window, payments not up to date, a journal
    that lost rows) is shown with why, never announced as leaving today."""
    todays = decided or planner.plan(register, policy, today, None, problems)
    reminder = next((r for r in todays.reminders if number in r.invoices), None)
    day, held = today, ""
    if reminder is None and decided is not None:
        reminder = next((r for r in decided.withheld if number in r.invoices), None)
        if reminder is not None:
            held = decided.notes[0] if decided.notes else "retenue par les garde-fous du jour"
    if reminder is None:
        reminder = planner.next_reminder(register, policy, today, number)
        if reminder is not None:
            day = _next_day(register, policy, today, number)
            reminder = planner.next_reminder(register, policy, day, number) or reminder
    if reminder is None:
        invoice = next((i for i in register.invoices if i.number == number), None)
        if invoice is None:
            known = [str(p) for p in problems if p.invoice == number]
            raise PreviewError(f"facture {number} introuvable" + (f" ({known[0]})" if known else ""))
        reason = todays.states.get(number)
        raise PreviewError(f"aucun message prévu pour {number} : {reason.next_action if reason else 'rien à relancer'}")
    if policy.mail.test_recipient and not reminder.test:  # the run sends the sandbox copy: same recipient, [TEST]
        reminder = test_mode(reminder, policy.mail.test_recipient)
    now = datetime.combine(day, policy.schedule.send_window[0], tzinfo=ZoneInfo(policy.schedule.timezone))
    try:
        message = Renderer(policy).render(reminder, day, now)
    except RenderError as exc:
        raise PreviewError(str(exc)) from None
    return Preview(message, policy.label(reminder.stage), day, today, reminder, held)
