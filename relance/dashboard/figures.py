"""How a manager's figure is defined and rounded, shared by every summary module.

A `Kpi` carries the one sentence saying how the figure is computed: the Synthèse
tab, ``relance summary`` and the README print that sentence, so what a manager
reads is what the code does. `ratio` is the only way a rate or an average is
made: `Decimal`, rounded half-up, and unknown (None) rather than 0 when there
is nothing to divide by.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

RATE_STEP, DAY_STEP = Decimal("0.001"), Decimal("0.1")
MONEY, PERCENT, DAYS, COUNT = "money", "percent", "days", "count"


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str       # `Summary` attribute, CSV/JSON key
    label: str     # what the tab and the terminal call it
    kind: str      # MONEY, PERCENT, DAYS or COUNT
    formula: str   # one line: how it is computed


def ratio(part: Decimal | int, whole: Decimal | int, step: Decimal = RATE_STEP) -> Decimal | None:
    """part ÷ whole rounded half-up to `step`; None when `whole` is zero (a rate of nothing is not 0 %)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(step, ROUND_HALF_UP)
