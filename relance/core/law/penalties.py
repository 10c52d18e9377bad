"""Late-payment interest and the fixed recovery indemnity, as French law computes them.

The rule in plain words:

- **B2B** (Code de commerce L441-10 II): penalties run without any reminder from the day after the due date
  through the payment day, at the ECB main refinancing rate in force on 1 January (first half-year) or
  1 July (second half-year) plus 10 points. A contractual rate replaces it only if it is at least 3 × the
  taux de l'intérêt légal of that half-year. Plus 40 € per invoice paid late (D441-5).
- **B2C** (Code civil 1344-1, 1231-6): interest at the taux légal "autres cas" (the creditor is a
  professional) from the day after the mise en demeure; no notice, no interest; never the 40 €.

Conventions (legal-reference §4-§5, each a choice where the law is silent):

- simple interest, ``base × rate × days / 365``, 365 even in leap years;
- every accrual day takes the rate of its half-year: the period is cut at each 1 Jan / 1 Jul;
- a payment on day D goes to principal; day D still accrues on the old balance, the base drops on D + 1;
- segments stay unrounded; the total is rounded once, to the cent, ROUND_HALF_UP;
- a contractual rate below the floor is flagged (L441-16) and that half-year falls back to ECB + 10;
- a missing rate, or one only reported by secondary sources, raises `RateTableOutOfDate` instead of a
  guess (``allow_unconfirmed=True`` uses an unconfirmed rate and says so in ``Penalty.warnings``).

The rates come from `relance.rate_table` (the dated table in ``relance/data/rates.toml``, overridable
in config); its names are re-exported here.

Worked example: 1 000 € due 15 June 2025, still unpaid on 20 July 2025.
16-30 June is 15 days at 3.15 + 10 = 13.15 %; 1-20 July is 20 days at 2.15 + 10 = 12.15 %.
1000 × 13.15 % × 15 / 365 + 1000 × 12.15 % × 20 / 365 = (1972.5 + 2430) / 365 = 12.0616… → 12.06 €.

>>> from datetime import date
>>> from decimal import Decimal
>>> p = late_penalty(amount=Decimal("1000.00"), due=date(2025, 6, 15), as_of=date(2025, 7, 20))
>>> [(s.days, s.rate) for s in p.segments]
[(15, Decimal('13.15')), (20, Decimal('12.15'))]
>>> p.interest, p.indemnity, p.total, p.days_late
(Decimal('12.06'), Decimal('40'), Decimal('52.06'), 35)
>>> p.segments[1].rate_basis
'BCE 2,15 % + 10 pts (taux au 1er juillet 2025)'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_percent

from relance.core.law.rate_table import (
    RATE_NAMES,
    HalfYearRates,
    RateTable,
    RateTableOutOfDate,
    format_rate,
    half_year_of,
    reference_day)

__all__ = [  # the rate-table names are re-exported: callers import everything penalty-related from here
    "RATE_NAMES", "HalfYearRates", "Penalty", "RateTable", "RateTableOutOfDate", "Segment",
    "contract_rate_floor", "describe", "half_year_of", "late_penalty",
]

B2B_MARGIN = Decimal(10)  # L441-10 II: ECB rate "majoré de 10 points de pourcentage"
FLOOR_MULTIPLIER = Decimal(3)  # L441-10 II: a contract "ne peut fixer un taux inférieur à trois fois le taux légal"
DAY_COUNT = 365  # Bpifrance, Banque de France answer relayed by Service-Public (legal-reference §4)
ONE_DAY = timedelta(days=1)
_CENT = Decimal("0.01")


def _next_half_start(day: date) -> date:
    return date(day.year, 7, 1) if day.month <= 6 else date(day.year + 1, 1, 1)


def contract_rate_floor(half: str, rates: RateTable | None = None, *, allow_unconfirmed: bool = False) -> Decimal:
    """The lowest contractual penalty rate L441-10 II allows in `half`: 3 × taux légal "autres cas"."""
    table = rates if rates is not None else RateTable.load_default()
    legal, _ = table.require(half, "legal_professional", allow_unconfirmed=allow_unconfirmed)
    return FLOOR_MULTIPLIER * legal


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of accrual days sharing one base and one rate; its interest is left unrounded."""

    start: date  # first accrual day (inclusive)
    end: date  # last accrual day (inclusive)
    days: int
    base: Decimal  # amount on which interest runs
    rate: Decimal  # annual %
    rate_basis: str  # why this rate, in French, e.g. "BCE 2,15 % + 10 pts (taux au 1er juillet 2025)"
    interest: Decimal  # unrounded: base × rate / 100 × days / 365


@dataclass(frozen=True, slots=True)
class Penalty:
    """What an invoice owes for being late, with the segments that justify the figure."""

    interest: Decimal  # sum of the segments, rounded once to the cent, ROUND_HALF_UP
    indemnity: Decimal  # fixed recovery indemnity (40 €) or 0
    segments: tuple[Segment, ...]
    warnings: tuple[str, ...]  # French, for the operator (below-floor clause, unconfirmed rate)
    days_late: int  # due date → payment in full or as_of, 0 if not late
    b2b: bool = True  # B2B penalties (L441-10) or B2C legal interest: decides the wording in describe()

    @property
    def total(self) -> Decimal:
        return self.interest + self.indemnity


def _amount(value: object, what: str) -> Decimal:
    """Money and rates are Decimal (or int); a float would already carry a binary rounding error."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{what} = {value!r} : attendu un Decimal (jamais un float pour de l'argent)")
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} = {value} : un montant ou un taux négatif (ou infini) n'a pas de sens ici")
    return value


def _settled_on(amount: Decimal, payments: Sequence[tuple[date, Decimal]]) -> date | None:
    """The day cumulative payments reach `amount` (date.min if nothing was owed), else None."""
    if amount == 0:
        return date.min
    paid = Decimal(0)
    for day, value in payments:
        paid += value
        if paid >= amount:
            return day
    return None


def _periods(start: date, end: date, payments: Sequence[tuple[date, Decimal]]) -> Iterator[tuple[date, date]]:
    """Cut [start, end] at each 1 Jan / 1 Jul and on the day after each payment (when the base drops)."""
    cuts = {day + ONE_DAY for day, _ in payments}
    boundary = _next_half_start(start)
    while boundary <= end:
        cuts.add(boundary)
        boundary = _next_half_start(boundary)
    first = start
    for cut in sorted(c for c in cuts if start < c <= end):
        yield first, cut - ONE_DAY
        first = cut
    if first <= end:
        yield first, end


def late_penalty(
    *,
    amount: Decimal,
    due: date,
    as_of: date,
    payments: Sequence[tuple[date, Decimal]] = (),
    b2b: bool = True,
    contract_rate: Decimal | None = None,
    notice_date: date | None = None,
    b2c_interest_from_due: bool = False,
    fixed_indemnity: Decimal = Decimal("40"),
    rates: RateTable | None = None,
    allow_unconfirmed: bool = False,
) -> Penalty:
    """Interest and indemnity owed on one invoice of `amount` (TTC) due on `due`, as known on `as_of`.

    Args:
        payments: (date, amount) received, in any order; those after `as_of` are not known yet and ignored.
        b2b: L441-10 penalties + indemnity; otherwise B2C legal interest from `notice_date` only.
        contract_rate: annual % from the CGV (B2B); used in each half-year where it reaches the floor.
        notice_date: date of the mise en demeure (B2C); ignored in B2B, where no reminder is needed.
        b2c_interest_from_due: the consumer contract makes exigibility itself the notice (C. civ. 1344).
        rates: defaults to the packaged table; pass ``load_default().with_overrides(config)`` to override.
        allow_unconfirmed: compute with rates reported by secondary sources only, with a warning.

    Raises:
        RateTableOutOfDate: a rate needed for an accrual day is missing or unconfirmed.
        ValueError, TypeError: a negative amount or payment, or a float.
    """
    amount = _amount(amount, "amount")
    fixed_indemnity = _amount(fixed_indemnity, "fixed_indemnity")
    contract = None if contract_rate is None else _amount(contract_rate, "contract_rate")
    known = sorted((day, _amount(value, f"paiement du {day}")) for day, value in payments)
    known = [(day, value) for day, value in known if day <= as_of]
    table = rates if rates is not None else RateTable.load_default()
    settled = _settled_on(amount, known)
    end = as_of if settled is None else min(as_of, settled)
    days_late = max(0, (end - due).days)
    warnings: list[str] = []
    if b2b or b2c_interest_from_due:
        start: date | None = due + ONE_DAY
    else:
        start = None if notice_date is None else max(notice_date, due) + ONE_DAY
    if not b2b and contract is not None:
        warnings.append("taux contractuel ignoré pour un client particulier : intérêts au taux légal "
                        "(C. civ. 1231-6)")

    def need(half: str, rate: str) -> Decimal:
        value, warning = table.require(half, rate, allow_unconfirmed=allow_unconfirmed)
        if warning and warning not in warnings:
            warnings.append(warning)
        return value

    def rate_for(half: str) -> tuple[Decimal, str]:
        if not b2b:
            legal = need(half, "legal_professional")
            return legal, f"taux légal {format_rate(legal)} %"
        legal = None if contract is None else need(half, "legal_professional")
        if legal is not None and contract >= FLOOR_MULTIPLIER * legal:
            return contract, f"taux contractuel {format_rate(contract)} %"
        ecb = need(half, "ecb_refi")
        if legal is not None:
            warnings.append(
                f"{half} : le taux contractuel de {format_rate(contract)} % est inférieur au plancher de "
                f"{format_rate(FLOOR_MULTIPLIER * legal)} % (3 × taux légal {format_rate(legal)} %, "
                f"art. L441-10 II C. com.) ; clause exposée à l'amende de l'art. L441-16 C. com. "
                f"Taux appliqué pour ce semestre : BCE + 10 pts = {format_rate(ecb + B2B_MARGIN)} %.")
        return ecb + B2B_MARGIN, f"BCE {format_rate(ecb)} % + 10 pts (taux au {reference_day(half)})"

    segments: list[Segment] = []
    by_half: dict[str, tuple[Decimal, str]] = {}
    with localcontext() as ctx:
        ctx.prec = 34  # independent of the caller's context; far beyond the cent
        for first, last in _periods(start, end, known) if start else ():
            half = half_year_of(first)
            if half not in by_half:
                by_half[half] = rate_for(half)
            rate, basis = by_half[half]
            base = amount - sum((v for d, v in known if d < first), Decimal(0))
            days = (last - first).days + 1
            segments.append(Segment(first, last, days, base, rate, basis, base * rate * days / (100 * DAY_COUNT)))
        interest = sum((s.interest for s in segments), Decimal(0)).quantize(_CENT, rounding=ROUND_HALF_UP)
    indemnity = fixed_indemnity if b2b and days_late > 0 else Decimal(0)
    return Penalty(interest, indemnity, tuple(segments), tuple(warnings), days_late, b2b)


_TEXTS = {  # wording of describe(), by language
    "fr": {
        "b2b": "Pénalités de retard", "b2c": "Intérêts de retard au taux légal",
        "segment": "{label} du {start} au {end} : {days} j × {rate} × {base} / 365 = {interest}",
        "total_b2b": "Total des pénalités de retard : {amount}",
        "total_b2c": "Total des intérêts de retard : {amount}",
        "indemnity": "Indemnité forfaitaire pour frais de recouvrement (art. D441-5 C. com.) : {amount}",
        "date": "dd/MM/yyyy", "percent": "#,##0.00##\u00a0%",
    },
    "en": {
        "b2b": "Late-payment penalties", "b2c": "Late-payment interest at the French legal rate",
        "segment": "{label} from {start} to {end}: {days} × {rate} × {base} / 365 = {interest}",
        "total_b2b": "Total late-payment penalties: {amount}",
        "total_b2c": "Total late-payment interest: {amount}",
        "indemnity": "Fixed compensation for recovery costs (art. D441-5 French Commercial Code): {amount}",
        "date": "medium", "percent": "#,##0.00##%",
    },
}


def describe(p: Penalty, locale: str = "fr") -> list[str]:
    """Lines for a letter or an email: one per segment (its own interest shown to the cent), a total when
    there are several segments (the total is rounded once, so it may differ by 0.01 € from the sum of the
    lines), then the indemnity. Warnings are for the operator and are not included.
    """
    lang = Locale.parse(locale).language
    if lang not in _TEXTS:
        raise ValueError(f"langue « {locale} » non prise en charge : {', '.join(_TEXTS)}")
    t, kind = _TEXTS[lang], "b2b" if p.b2b else "b2c"

    def money(value: Decimal) -> str:
        return format_currency(value.quantize(_CENT, rounding=ROUND_HALF_UP), "EUR", locale=locale)

    def day(value: date) -> str:
        return format_date(value, t["date"], locale=locale)

    lines = [
        t["segment"].format(
            label=t[kind], start=day(s.start), end=day(s.end), base=money(s.base), interest=money(s.interest),
            days=s.days if lang == "fr" else f"{s.days} day{'s' if s.days != 1 else ''}",
            rate=format_percent(s.rate / 100, t["percent"], locale=locale, decimal_quantization=False))
        for s in p.segments
    ]
    if len(p.segments) > 1:
        lines.append(t[f"total_{kind}"].format(amount=money(p.interest)))
    if p.indemnity:
        lines.append(t["indemnity"].format(amount=money(p.indemnity)))
    return lines
