"""Prescription: the day a claim can no longer be brought to court, and the warning before it.

The rule in plain words (legal-reference §3.5):
- between businesses, 5 years (Code de commerce L110-4 I);
- a professional against a consumer, 2 years (Code de la consommation L218-2);
- counted here from the invoice's due date: a simplification, since the legal starting point can be
  earlier (the day the service was completed), so staff should act well before the date shown.
- A mise en demeure, even by registered letter, does not interrupt it; a court claim (an injonction de
  payer once served), an enforcement measure or the debtor's written acknowledgement of the debt does
  (C. civ. 2240-2244).

From ``[penalties] prescription_warning_days`` (90) before that date, the invoice's Alerte says so and a
task (key ``T/<invoice>/prescription``, opened once) asks a human to act. Invoices paid in full or
``Annulée`` are left alone; disputed or paused ones are not (that is where prescription bites).

Example: B2B invoice due 15 March 2022, unpaid on 1 January 2027 -> time-barred from 15 March 2027,
73 days left: Alerte + task "Prescription le 15/03/2027 : F1".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from relance.core import journal as jr
from relance.core.model import Client, Invoice

YEARS_B2B = 5  # C. com. L110-4 I
YEARS_B2C = 2  # C. consom. L218-2


@dataclass(frozen=True, slots=True)
class PrescriptionAlert:
    deadline: date  # first day the claim is time-barred
    alert: str  # for the Alerte column
    task_key: str
    reason: str  # Motif of the task
    action: str  # Action demandée


def add_years(day: date, years: int) -> date:
    """Same day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def prescription_alert(invoice: Invoice, client: Client, today: date, warning_days: int = 90) -> PrescriptionAlert | None:
    """The alert and task for `invoice` if it is within `warning_days` of prescription (or past it)."""
    years = YEARS_B2B if client.b2b else YEARS_B2C
    if (today - invoice.due).days < 365 * years - warning_days - 2:  # cheap test first: 100 000 rows per plan
        return None
    if invoice.closed:
        return None
    deadline = add_years(invoice.due, years)
    left = (deadline - today).days
    if left > warning_days:
        return None
    basis = ("5 ans après l'échéance, art. L110-4 C. com." if client.b2b
             else "2 ans après l'échéance, art. L218-2 C. consom.")
    when = deadline.strftime("%d/%m/%Y")
    if left > 0:
        alert = (f"Prescription le {when} (dans {left} jour{'s' if left > 1 else ''} ; {basis}) : seule une "
                 f"injonction de payer signifiée ou une reconnaissance de dette écrite l'interrompt, "
                 f"pas une mise en demeure")
    else:
        alert = f"Créance probablement prescrite depuis le {when} ({basis}) : voir avec un avocat avant toute action"
    return PrescriptionAlert(
        deadline, alert, jr.task_key(invoice.number, "prescription"), f"Prescription le {when} : {invoice.number}",
        f"Faire signifier une injonction de payer ou obtenir une reconnaissance de dette écrite avant le {when} "
        f"(relance dossier {client.code})")
