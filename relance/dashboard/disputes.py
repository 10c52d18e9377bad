"""Disputes (litiges) and how fast the first reminder goes out: two things a manager asks first.

Why apart from the other KPIs: a disputed invoice is stopped (the planner never chases it),
so it vanishes from every "reminder" figure while its money still sits in the outstanding;
and the reminder delay measures the tool's own promptness (due date -> first reminder
after it), the lever staff control. Each figure is defined once, in `DISPUTE_FIGURES`,
with the sentence the Synthèse tab and ``relance summary`` print.

Worked example: two invoices in Litige, 300 € due 40 days ago and 100 € due 10 days ago ->
2 litiges, 400,00 €, average age (40 + 10) / 2 = 25,0 days. An invoice due on 1 March whose
first post-due reminder went on 4 March counts 3 days in the reminder delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from relance.core.journal import SENT, JournalIndex
from relance.core.model import CENT, ZERO, Register
from relance.dashboard.figures import COUNT, DAY_STEP, DAYS, MONEY, Kpi, ratio

DISPUTE = "Litige"

DISPUTE_FIGURES: tuple[Kpi, ...] = (
    Kpi("count", "Litiges en cours", COUNT,
        "Factures au Statut « Litige » avec un reste dû (toutes devises) : elles ne sont plus relancées."),
    Kpi("amount", "Montant en litige", MONEY, "Reste dû (EUR) de ces factures."),
    Kpi("average_age", "Âge moyen des litiges", DAYS,
        "Moyenne de (aujourd'hui − échéance) sur ces factures ; une facture pas encore échue compte 0 jour."),
    Kpi("reminder_delay", "Délai moyen de relance", DAYS,
        "Moyenne de (date de la première relance envoyée après l'échéance − échéance), sur les factures "
        "ayant reçu une telle relance (lignes « sent » du Journal ; pré-relances exclues)."),
    Kpi("reminded", "Factures mesurées (délai)", COUNT,
        "Nombre de factures entrant dans le délai moyen de relance."),
)


@dataclass(frozen=True, slots=True)
class Disputes:
    count: int = 0
    amount: Decimal = ZERO
    average_age: Decimal | None = None
    reminder_delay: Decimal | None = None
    reminded: int = 0


def measure_disputes(frame: pd.DataFrame, register: Register, index: JournalIndex, first_reminder_rank: int,
                     today: date) -> Disputes:
    """`frame` is `summary.invoice_frame`; `first_reminder_rank` the ladder rank of the first post-due stage."""
    disputed = frame[(frame["status"] == DISPUTE) & frame["remaining"].map(lambda r: r > 0).astype(bool)]
    ages = disputed["days_late"].clip(lower=0)
    amount = sum(disputed.loc[disputed["eur"], "remaining"], ZERO).quantize(CENT)
    due = {i.number: i.due for i in register.invoices}
    first: dict[str, date] = {}
    for entry in index.entries:
        if entry.status != SENT or not entry.invoice or entry.invoice not in due or entry.day is None:
            continue
        rank = index.rank(entry.stage)
        if rank is None or rank < first_reminder_rank or entry.day < due[entry.invoice]:
            continue
        if entry.invoice not in first or entry.day < first[entry.invoice]:
            first[entry.invoice] = entry.day
    delays = [(day - due[number]).days for number, day in first.items()]
    return Disputes(count=len(disputed), amount=amount, average_age=ratio(int(ages.sum()), len(disputed), DAY_STEP),
                    reminder_delay=ratio(sum(delays), len(delays), DAY_STEP), reminded=len(delays))
