"""What the Pénalités column costs the planner: `plan()` on 100 000 invoices, and `Claims.cell` alone.

Run: python -m benchmarks.penalties_100k
The register mixes what a real one holds: half paid (some late), 5 % partly paid, 10 % consumer clients,
due dates over 15 months. Printed: plan time with the column, time in Claims.cell (cold: a new Claims, as each plan does), and
plan time with the column switched off, for comparison. Best of 3 runs.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from relance.core import planner
from relance.core.law.claims import Claims
from relance.core.config import Policy, policy_from_dict
from relance.core.model import Client, Invoice, Register

from benchmarks.planner_time import best_of

TODAY = date(2026, 11, 25)
CONFIRMED = {"penalties": {"rates": {"2026-H2": {"ecb_refi": "2.40", "legal_professional": "2.50"}}}}


def sample(n: int = 100_000, seed: int = 1) -> Register:
    rnd = random.Random(seed)
    clients = {f"C{i}": Client(f"C{i}", f"Client {i}", f"c{i}@example.fr", b2b=i % 10 != 0) for i in range(5000)}
    invoices = []
    for i in range(n):
        due = TODAY + timedelta(days=rnd.randint(-400, 60))
        amount = Decimal("100.00") + i % 977
        paid, paid_on, status = Decimal(0), None, ""
        roll = rnd.random()
        if roll < 0.5:
            paid, paid_on, status = amount, due + timedelta(days=rnd.randint(-5, 30)), "Payée"
        elif roll < 0.55:
            paid, paid_on = Decimal("10.00"), due + timedelta(days=rnd.randint(1, 20))
        invoices.append(Invoice(f"F{i}", f"C{i % 5000}", due, amount, paid=paid, paid_on=paid_on, status=status))
    return Register(tuple(invoices), clients)


def main() -> None:
    register = sample()
    for label, policy in (("2026-H2 confirmed in config", policy_from_dict(CONFIRMED)),
                          ("packaged table (2026-H2 unconfirmed)", Policy())):
        plan_s = best_of(3, lambda: planner.plan(register, policy, TODAY))
        claims = Claims(policy, register)
        cells_s = best_of(3, lambda: [claims.cell(i, TODAY) for i in register.invoices])  # warm: shapes cached
        cold_s = best_of(3, lambda: (lambda c: [c.cell(i, TODAY) for i in register.invoices])(Claims(policy, register)))
        figures = sum(1 for i in register.invoices if claims.cell(i, TODAY)[0] is not None)
        print(f"{label}: plan {plan_s:.2f} s for {len(register.invoices)} invoices; Claims.cell "
              f"{cold_s:.2f} s cold ({cells_s:.2f} s warm); {figures} Pénalités figures")
    original = Claims.cell
    Claims.cell = lambda self, invoice, today: (None, "")  # the planner without the column, for comparison
    try:
        print(f"without Pénalités: plan {best_of(3, lambda: planner.plan(register, Policy(), TODAY)):.2f} s")
    finally:
        Claims.cell = original


if __name__ == "__main__":
    main()
