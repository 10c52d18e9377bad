"""Payment plans: the invoice's ladder is suspended, each instalment is chased on its own.

An invoice with rows in the Échéanciers tab follows its plan instead of the ladder:
a friendly note ``pre_days`` before each unpaid instalment, a reminder
``reminder_days`` after it, and, once an instalment is ``missed_after_days`` late,
an alert, a task and (``resume_ladder_on_missed``) the invoice's own ladder again
on the remaining balance. Journal rows record ``echeance_pre:2@2026-12-10`` / ``echeance:2@…``
so each note goes once per instalment (of this plan: a renegotiated plan starts afresh).

When the ladder resumes, it claims what remains (`settled`): instalments marked
``Réglé = Oui`` are money received, deducted like ``Montant réglé``. ``Montant réglé``
is the invoice's total received (as everywhere else), so when it already covers the
paid instalments it is taken as including them (no double deduction); when it is
smaller it can only be another payment, and both are deducted. Example: 3 000 € in
three instalments, n°1 Réglé = Oui, n°2 missed -> 2 000 € claimed (1 500 € if
``Montant réglé`` says 500 €, 2 000 € if it says 1 000 €).

Example: instalment n°2 of 1 000 € due 10/12, pre_days 5 -> « Rappel d'échéance »
on 05/12; still unpaid on 11/12 -> « Échéance impayée »; on 21/12 -> missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from relance.core.actions import INSTALMENT_DUE, INSTALMENT_PRE, Line, NewTask
from relance.core.journal import task_key
from relance.core.model import Instalment, Invoice
from relance.core.rules.context import Context


@dataclass(slots=True)
class PlanReview:
    lines: list[Line] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    tasks: list[NewTask] = field(default_factory=list)
    missed: bool = False
    next_text: str = ""


def settled(invoice: Invoice, instalments: Iterable[Instalment]) -> Invoice:
    """`invoice` with its paid instalments counted as received (see the module doc): what is claimed."""
    plan_paid = sum((i.amount for i in instalments if i.paid and i.invoice == invoice.number), Decimal(0))
    if not plan_paid:
        return invoice
    paid = invoice.paid if invoice.paid >= plan_paid else invoice.paid + plan_paid
    return replace(invoice, paid=min(paid, invoice.amount))


def review(ctx: Context, invoice: Invoice) -> PlanReview:
    config, today = ctx.policy.payment_plans, ctx.today
    result = PlanReview()
    def sent(stage: str, inst) -> bool:
        return ctx.journal.instalment_sent(invoice.number, stage, inst.number, inst.due, config.pre_days)
    unpaid = sorted((i for i in ctx.instalments[invoice.number] if not i.paid), key=lambda i: (i.due, i.number))
    for inst in unpaid:
        late = (today - inst.due).days
        if late > config.missed_after_days:
            result.missed = True
            result.alerts.append(f"échéance n°{inst.number} du {inst.due:%d/%m/%Y} impayée depuis {late} jours")
            key = task_key(invoice.number, f"echeance-{inst.number}")
            if key not in ctx.task_keys:
                result.tasks.append(NewTask(key, invoice.client, (invoice.number,),
                                            f"Échéance n°{inst.number} manquée : {invoice.number}",
                                            "Appeler le client ; revoir ou dénoncer l'échéancier",
                                            ctx.assignee(invoice.client)))
        elif late >= config.reminder_days and not sent(INSTALMENT_DUE, inst):
            result.lines.append(Line(invoice, INSTALMENT_DUE, late, inst))
        elif -config.pre_days <= late <= 0 and not (sent(INSTALMENT_PRE, inst) or sent(INSTALMENT_DUE, inst)):
            result.lines.append(Line(invoice, INSTALMENT_PRE, late, inst))
        elif not result.next_text and late < -config.pre_days:
            day = ctx.calendar.next_business_day(inst.due - timedelta(days=config.pre_days))
            result.next_text = f"Rappel d'échéance n°{inst.number} le {day:%d/%m/%Y}"
    if not unpaid:
        result.next_text = "échéancier soldé : mettez Statut = Payée"
    return result
