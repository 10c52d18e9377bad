"""Totals per currency: amounts in different currencies are never added together.

A client owing 150 € + 220 $US + 480,50 € owes « 630,50 € » and « 220,00 $US », never
« 850,50 € »: adding them needs an exchange rate of a given day, which the register does not
have, and a creditor may only claim each invoice in the currency it was issued in. Every
place that shows a total (messages, letters, the collection dossier, the plan output) goes
through `totals`, so the rule lives here once.

Order: euros first (the company's own currency), then the others in alphabetical order, so
the same invoices always print the same lines.

>>> from decimal import Decimal as D
>>> totals([("EUR", D("150")), ("USD", D("220")), ("EUR", D("480.50"))])
(('EUR', Decimal('630.50')), ('USD', Decimal('220')))
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

HOME = "EUR"


def totals(amounts: Iterable[tuple[str, Decimal]]) -> tuple[tuple[str, Decimal], ...]:
    """``(currency, amount)`` pairs summed per currency, euros first then alphabetical."""
    found: dict[str, Decimal] = {}
    for currency, amount in amounts:
        code = (currency or HOME).upper()
        found[code] = found.get(code, Decimal(0)) + amount
    return tuple(sorted(found.items(), key=lambda item: (item[0] != HOME, item[0])))
