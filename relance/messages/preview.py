"""`relance preview INVOICE`: the message its client would get at its next stage.

Staff preview an invoice that is not due yet as often as one that is, so when
today's plan has no message for it, the invoice alone is rendered at the stage
the planner would send next.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from relance.core import planner
from relance.core.config import Policy
from relance.messages.message import Message
from relance.core.model import Register, RowProblem
from relance.messages.render import Renderer, RenderError


class PreviewError(Exception):
    pass


def preview_message(register: Register, policy: Policy, number: str, today: date,
                    problems: tuple[RowProblem, ...] | list[RowProblem] = ()) -> Message:
    todays = planner.plan(register, policy, today, None, problems)
    reminder = next((r for r in todays.reminders if number in r.invoices), None)
    if reminder is None:
        reminder = planner.next_reminder(register, policy, today, number)
    if reminder is None:
        invoice = next((i for i in register.invoices if i.number == number), None)
        if invoice is None:
            known = [str(p) for p in problems if p.invoice == number]
            raise PreviewError(f"facture {number} introuvable" + (f" ({known[0]})" if known else ""))
        reason = todays.states.get(number)
        raise PreviewError(f"aucun message prévu pour {number} : {reason.next_action if reason else 'rien à relancer'}")
    now = datetime.combine(today, policy.schedule.send_window[0], tzinfo=ZoneInfo(policy.schedule.timezone))
    try:
        return Renderer(policy).render(reminder, today, now)
    except RenderError as exc:
        raise PreviewError(str(exc)) from None
