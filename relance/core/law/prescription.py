"""Prescription: the last day a claim can be brought to court, and the warning before it.

The rule in plain words (legal-reference §3.5):
- between businesses, 5 years from the due date (Code de commerce L110-4 I; a simplification);
- a professional against a consumer, 2 years (Code de la consommation L218-2), counted from the
  **invoice date** (the service was done by then; the courts start the clock at its completion, which is
  earlier than the due date), or from the due date when the invoice date is blank (then said in the alert);
- the term ends at the end of its last day (C. civ. 2229): the claim is time-barred only from the next day.
- A mise en demeure, even by registered letter, does not interrupt it; a court claim (an injonction de
  payer once served), an enforcement measure or the debtor's acknowledgement of the debt — a partial
  payment is one — does (C. civ. 2240-2244), and a new period starts then.

From ``[penalties] prescription_warning_days`` (90) before the last day, the invoice's Alerte says so and a
task (key ``T/<invoice>/prescription``, opened once) asks a human to act. Invoices paid in full or
``Annulée`` are left alone; disputed or paused ones are not (that is where prescription bites).

Example: B2B invoice due 15 March 2022, unpaid on 1 January 2027 -> last day to act 15 March 2027,
73 days left: Alerte + task "Prescription après le 15/03/2027 : F1"; from 16 March 2027, "probablement
prescrite".
Consumer invoice dated 1 December 2024 (due 31 December): last day 1 December 2026.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from relance.core import journal as jr
from relance.core.model import Client, Invoice

YEARS_B2B = 5  # C. com. L110-4 I
YEARS_B2C = 2  # C. consom. L218-2


@dataclass(frozen=True, slots=True)
class PrescriptionAlert:
    deadline: date  # last day to act (C. civ. 2229): time-barred from the next day
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


INTERRUPTS = ("une action en justice (injonction de payer signifiée), une mesure d'exécution ou une "
              "reconnaissance de la dette par le client (un paiement partiel en est une)")


def start_date(invoice: Invoice, client: Client) -> tuple[date, str]:
    """Where the period starts, and how the alert names it."""
    if client.b2b:
        return invoice.due, "5 ans après l'échéance, art. L110-4 C. com."
    if invoice.issued:
        return invoice.issued, "2 ans après la date de facture, art. L218-2 C. consom."
    return invoice.due, "2 ans après l'échéance faute de date de facture, art. L218-2 C. consom."


def prescription_alert(invoice: Invoice, client: Client, today: date, warning_days: int = 90) -> PrescriptionAlert | None:
    """The alert and task for `invoice` if it is within `warning_days` of its last day to act (or past it)."""
    years = YEARS_B2B if client.b2b else YEARS_B2C
    start = invoice.due if client.b2b else (invoice.issued or invoice.due)
    if (today - start).days < 365 * years - warning_days - 2:  # cheap test first: 100 000 rows per plan
        return None
    if invoice.closed:
        return None
    start, basis = start_date(invoice, client)
    last_day = add_years(start, years)  # C. civ. 2229: acquired when the last day of the term has ended
    left = (last_day - today).days
    if left > warning_days:
        return None
    when = last_day.strftime("%d/%m/%Y")
    if left >= 0:
        days = "aujourd'hui" if left == 0 else f"dans {left} jour{'s' if left > 1 else ''}"
        alert = (f"Prescription après le {when} (dernier jour pour agir, {days} ; {basis}) : seule {INTERRUPTS} "
                 f"l'interrompt, pas une mise en demeure")
    else:
        barred = (last_day + timedelta(days=1)).strftime("%d/%m/%Y")
        alert = (f"Créance probablement prescrite depuis le {barred} ({basis}), sauf si {INTERRUPTS} l'a "
                 f"interrompue avant : voir avec un avocat avant toute action")
    return PrescriptionAlert(
        last_day, alert, jr.task_key(invoice.number, "prescription"),
        f"Prescription après le {when} : {invoice.number}",
        f"Faire signifier une injonction de payer ou obtenir une reconnaissance de dette écrite au plus tard le "
        f"{when} (relance dossier {client.code})")
