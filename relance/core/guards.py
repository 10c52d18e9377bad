"""Guards around a run: stale payment data, missed runs, staff edits during a run. Pure.

The worst failure users report is a reminder to a client who already paid, because
nobody recorded the payments for a week. So a run first asks how fresh the payment
data is: the later of the newest ``Date de règlement`` and the date staff type in
the Synthèse cell « Encaissements à jour au ». Older than
``schedule.max_payment_data_age`` business days, the run sends nothing, says so at
the top of Synthèse and opens a task for the manager.

Scheduled runs get dropped (GitHub delays or skips crons at busy times). The
heartbeat compares the last run recorded in Historique with today; a gap is
reported. The planner only ever moves an invoice one stage per run, so catching up
is one stage per invoice, never more.

Staff keep working while a run is under way. The run remembers the staff cells it
read for every invoice it acts on and compares them, just before the journal's
``pending`` rows are written, with what the register holds then: an invoice marked
paid, disputed or corrected meanwhile is neither sent nor overwritten, and is reported.

A new register is no exception: with no payment ever recorded and no declared date, nothing
proves the data is fresh, so a writing run sends nothing until staff type that date (a dry run
still shows what would go, with the same warning).

Example: last payment recorded on Monday 16/11, today Wednesday 25/11, limit 5
business days -> stale since 23/11: nothing is sent, task « Mettre à jour les encaissements ».
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable

from relance.core import cells, schema
from relance.core.actions import NewTask
from relance.core.journal import task_key
from relance.core.model import RawTab, Register
from relance.core.timing import Calendar

FRESHNESS_LABEL = "Encaissements à jour au"


@dataclass(frozen=True, slots=True)
class Freshness:
    up_to: date | None    # what the register says payments are recorded up to
    stale: bool
    message: str = ""


def declared_up_to(synthese: RawTab | None) -> date | None:
    """The date staff typed beside « Encaissements à jour au » in Synthèse (None if absent or unreadable)."""
    for row in (synthese.rows if synthese else []):
        if row and schema.normalise(row[0]) == schema.normalise(FRESHNESS_LABEL) and len(row) > 1:
            try:
                return cells.parse_date(row[1])
            except ValueError:
                return None
    return None


def payment_freshness(register: Register, synthese: RawTab | None, today: date, calendar: Calendar,
                      max_age: int) -> Freshness:
    """Is the payment data recent enough to chase clients? `max_age` 0 switches the gate off."""
    recorded = [i.paid_on for i in register.invoices if i.paid_on and i.paid_on <= today]
    candidates = [d for d in (max(recorded, default=None), declared_up_to(synthese), register.payments_up_to) if d]
    up_to = max(candidates, default=None)
    if not max_age:
        return Freshness(up_to, False)
    if up_to is None:  # a new register: no payment ever recorded, no date declared, so no evidence at all
        return Freshness(None, True, f"aucun règlement saisi et pas de date « {FRESHNESS_LABEL} » : aucune "
                                     f"relance envoyée tant que vous n'avez pas indiqué jusqu'à quelle date les "
                                     f"règlements reçus sont saisis (tapez-la dans Synthèse › {FRESHNESS_LABEL})")
    age = business_days_between(calendar, up_to, today)
    if age <= max_age:
        return Freshness(up_to, False)
    return Freshness(up_to, True, f"encaissements à jour au {up_to:%d/%m/%Y} seulement ({age} jours ouvrés) : "
                                  f"aucune relance envoyée tant que les règlements ne sont pas saisis "
                                  f"(puis tapez la date dans Synthèse › {FRESHNESS_LABEL})")


def freshness_task(today: date, freshness: Freshness, assignee: str) -> NewTask:
    return NewTask(task_key("encaissements", today.isoformat()), "", (),
                   f"Relances suspendues : {freshness.message}",
                   f"Saisir les règlements reçus, puis mettre la date du jour dans Synthèse › {FRESHNESS_LABEL}",
                   assignee)


def business_days_between(calendar: Calendar, start: date, end: date) -> int:
    """Business days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += calendar.is_business_day(day)
    return count


def heartbeat(last_run: date | None, today: date, calendar: Calendar) -> str:
    """A note when business days went by without a run ('' when the last run is the previous business day)."""
    if last_run is None or last_run >= today:
        return ""
    missed = business_days_between(calendar, last_run, today) - (1 if calendar.is_business_day(today) else 0)
    if missed <= 0:
        return ""
    return (f"dernière exécution le {last_run:%d/%m/%Y} : {missed} jour(s) ouvré(s) sans passage ; "
            f"rattrapage d'une étape au plus par facture")


STAFF_KEYS = tuple(c.key for c in schema.FACTURES.columns if c.owner == schema.STAFF)


def staff_cells(factures: RawTab | None) -> dict[str, tuple[Any, ...]]:
    """Staff-owned cells of each Factures row, by invoice number, as comparable text."""
    if factures is None or not factures.rows:
        return {}
    positions = schema.map_headers(schema.FACTURES, list(factures.rows[0]))
    key_index = positions.get("invoice")
    if key_index is None:
        return {}
    result: dict[str, tuple[Any, ...]] = {}
    for row in factures.rows[1:]:
        number = cells.clean_text(row[key_index] if key_index < len(row) else None)
        if number:
            result[number] = tuple(_comparable(row[positions[k]]) if k in positions and positions[k] < len(row)
                                   else "" for k in STAFF_KEYS)
    return result


def _comparable(value: Any) -> str:
    """A value read twice must compare equal whatever type the backend returned (1 vs 1.0, dates)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return cells.clean_text(value)


def changed_since(before: dict[str, tuple], after: dict[str, tuple], numbers: Iterable[str]) -> list[str]:
    """Invoices among `numbers` whose staff cells differ now (or whose row disappeared)."""
    return sorted(n for n in set(numbers) if before.get(n) != after.get(n))
