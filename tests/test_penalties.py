"""Worked examples of late-payment interest, computed by hand (legal-reference §4-§5), plus properties.

Every expected figure is derived in the comments: base × rate × days / 365, one line per half-year
segment, summed unrounded and rounded once to the cent (ROUND_HALF_UP).
Rates used (relance/data/rates.toml): ECB MRO on 1 Jan / 1 Jul, taux légal "autres cas".
"""

import doctest
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import relance.core.law.penalties
import relance.core.law.rate_table
from relance.core.law.penalties import (
    HalfYearRates,
    Penalty,
    RateTable,
    RateTableOutOfDate,
    contract_rate_floor,
    describe,
    half_year_of,
    late_penalty)

D = Decimal
NBSP, NNBSP = "\u00a0", "\u202f"  # babel: "5 000,00 €" is 5<NNBSP>000,00<NBSP>€ in French
CONFIRMED_2026_H2 = {"2026-H2": {"ecb_refi": "2.40", "legal_professional": "3.10"}}  # hypothetical, typed by a human


def test_doctests():
    for module in (relance.core.law.penalties, relance.core.law.rate_table):
        assert doctest.testmod(module).failed == 0


# (a) B2B, late across a 1 July boundary ------------------------------------------------------------------

def test_b2b_across_1_july():
    # 4 800,00 € due 10/06/2024, unpaid on 09/07/2024.
    # 11/06 → 30/06/2024: 20 days, 2024-H1 = BCE 4.50 + 10 = 14.50 %: 4800 × 0.1450 × 20 = 13 920 → /365 = 38.1369…
    # 01/07 → 09/07/2024:  9 days, 2024-H2 = BCE 4.25 + 10 = 14.25 %: 4800 × 0.1425 ×  9 =  6 156 → /365 = 16.8657…
    # total 20 076 / 365 = 55.00274 → 55.00 € (rounding each segment first would give 38.14 + 16.87 = 55.01)
    p = late_penalty(amount=D("4800.00"), due=date(2024, 6, 10), as_of=date(2024, 7, 9))
    assert [(s.start, s.end, s.days, s.rate) for s in p.segments] == [
        (date(2024, 6, 11), date(2024, 6, 30), 20, D("14.50")),
        (date(2024, 7, 1), date(2024, 7, 9), 9, D("14.25")),
    ]
    assert p.segments[0].rate_basis == "BCE 4,50 % + 10 pts (taux au 1er janvier 2024)"
    assert p.segments[1].rate_basis == "BCE 4,25 % + 10 pts (taux au 1er juillet 2024)"
    assert p.interest == D("55.00")
    assert p.indemnity == D("40")
    assert p.total == D("95.00")
    assert p.days_late == 29
    assert p.warnings == ()


# (b) B2B, late across a 1 January boundary; 365 days even in a leap year ---------------------------------

def test_b2b_across_1_january():
    # 2 500 € due 20/12/2023, unpaid on 10/01/2024.
    # 21/12 → 31/12/2023: 11 days at 2023-H2 = 4.00 + 10 = 14.00 %: 2500 × 0.14  × 11 = 3 850
    # 01/01 → 10/01/2024: 10 days at 2024-H1 = 4.50 + 10 = 14.50 %: 2500 × 0.145 × 10 = 3 625
    # (3 850 + 3 625) / 365 = 7 475 / 365 = 20.479 → 20.48 €
    p = late_penalty(amount=D("2500"), due=date(2023, 12, 20), as_of=date(2024, 1, 10))
    assert [(s.days, s.rate) for s in p.segments] == [(11, D("14.00")), (10, D("14.50"))]
    assert p.interest == D("20.48")
    assert p.days_late == 21


def test_whole_leap_year_still_divides_by_365():
    # 1 000 € due 31/12/2023, unpaid on 31/12/2024 (366 days late, 2024 is a leap year).
    # 2024-H1: 182 days (31+29+31+30+31+30) at 14.50 %: 1000 × 0.145 × 182 = 26 390
    # 2024-H2: 184 days at 14.25 %: 1000 × 0.1425 × 184 = 26 220
    # 52 610 / 365 = 144.137 → 144.14 € (with /366: 143.74)
    p = late_penalty(amount=D("1000"), due=date(2023, 12, 31), as_of=date(2024, 12, 31))
    assert [s.days for s in p.segments] == [182, 184]
    assert p.interest == D("144.14")
    assert p.days_late == 366


# (c) partial payments ---------------------------------------------------------------------------------------

def test_partial_payment_midway():
    # 3 000 € due 30/09/2025; 1 000 € paid on 20/10/2025; still 2 000 € due on 09/11/2025. Rate 2025-H2 12.15 %.
    # 01/10 → 20/10: 20 days on 3 000 (the payment day still accrues on the old balance): 3000 × 0.1215 × 20 = 7 290
    # 21/10 → 09/11: 20 days on 2 000: 2000 × 0.1215 × 20 = 4 860
    # 12 150 / 365 = 33.2877 → 33.29 €
    p = late_penalty(amount=D("3000"), due=date(2025, 9, 30), as_of=date(2025, 11, 9),
                     payments=[(date(2025, 10, 20), D("1000"))])
    assert [(s.start, s.end, s.days, s.base) for s in p.segments] == [
        (date(2025, 10, 1), date(2025, 10, 20), 20, D("3000")),
        (date(2025, 10, 21), date(2025, 11, 9), 20, D("2000")),
    ]
    assert p.interest == D("33.29")
    assert p.indemnity == D("40")
    assert p.days_late == 40


def test_balance_paid_later_stops_accrual():
    # same invoice, the remaining 2 000 € paid on 05/11/2025; computed in 2027 (beyond the rate table, which
    # does not matter: no day after the payment accrues, so no 2027 rate is needed).
    # 7 290 (as above) + 2000 × 0.1215 × 16 days (21/10 → 05/11) = 3 888 → 11 178 / 365 = 30.6247 → 30.62 €
    p = late_penalty(amount=D("3000"), due=date(2025, 9, 30), as_of=date(2027, 3, 1),
                     payments=[(date(2025, 11, 5), D("2000")), (date(2025, 10, 20), D("1000"))])
    assert [s.days for s in p.segments] == [20, 16]
    assert p.interest == D("30.62")
    assert p.days_late == 36  # 30/09 → 05/11
    assert p.indemnity == D("40")


def test_payment_before_due_only_reduces_the_base():
    # 3 000 € due 30/09/2025, 1 000 € paid on 15/09; 10 days late on 2 000: 2000 × 0.1215 × 10 / 365 = 6.6575 → 6.66
    p = late_penalty(amount=D("3000"), due=date(2025, 9, 30), as_of=date(2025, 10, 10),
                     payments=[(date(2025, 9, 15), D("1000"))])
    assert [(s.days, s.base) for s in p.segments] == [(10, D("2000"))]
    assert p.interest == D("6.66")


def test_payments_after_as_of_are_not_known_yet():
    p = late_penalty(amount=D("3000"), due=date(2025, 9, 30), as_of=date(2025, 11, 9),
                     payments=[(date(2025, 10, 20), D("1000")), (date(2025, 11, 10), D("2000"))])
    assert p.interest == D("33.29")  # as in test_partial_payment_midway


def test_overpayment_settles_the_invoice():
    p = late_penalty(amount=D("100"), due=date(2025, 9, 30), as_of=date(2025, 12, 31),
                     payments=[(date(2025, 10, 1), D("150"))])
    assert (p.days_late, [s.days for s in p.segments]) == (1, [1])


# (d) contractual rate: valid in one half-year, below the floor in another -----------------------------------

def test_contract_rate_checked_per_half_year():
    # 12 % in the CGV; 1 000 € due 21/12/2024, unpaid on 10/01/2025.
    # 2024-H2: floor 3 × 4.92 = 14.76 > 12 → clause not valid, ECB+10 = 4.25 + 10 = 14.25 % (with a warning)
    #          22/12 → 31/12: 10 days: 1000 × 0.1425 × 10 = 1 425
    # 2025-H1: floor 3 × 3.71 = 11.13 ≤ 12 → 12 %: 01/01 → 10/01: 10 days: 1000 × 0.12 × 10 = 1 200
    # 2 625 / 365 = 7.1918 → 7.19 €
    p = late_penalty(amount=D("1000"), due=date(2024, 12, 21), as_of=date(2025, 1, 10), contract_rate=D("12"))
    assert [(s.rate, s.rate_basis) for s in p.segments] == [
        (D("14.25"), "BCE 4,25 % + 10 pts (taux au 1er juillet 2024)"),
        (D("12"), "taux contractuel 12,00 %"),
    ]
    assert p.interest == D("7.19")
    assert len(p.warnings) == 1
    warning = p.warnings[0]
    for part in ("2024-H2", "12,00 %", "14,76 %", "L441-16", "14,25 %"):
        assert part in warning


def test_contract_rate_examples_of_the_reference():
    # legal-reference §5: 12 % is valid in 2025-H2 (floor 8.28), not in 2024-H1 (floor 15.21).
    assert contract_rate_floor("2025-H2") == D("8.28")
    assert contract_rate_floor("2024-H1") == D("15.21")
    valid = late_penalty(amount=D("1000"), due=date(2025, 9, 1), as_of=date(2025, 9, 11), contract_rate=D("12"))
    assert [s.rate for s in valid.segments] == [D("12")] and valid.warnings == ()
    invalid = late_penalty(amount=D("1000"), due=date(2024, 3, 1), as_of=date(2024, 3, 11), contract_rate=D("12"))
    assert [s.rate for s in invalid.segments] == [D("14.50")] and "2024-H1" in invalid.warnings[0]


def test_contract_rate_above_default():
    # 15 % in 2025-H2 (floor 8.28): 2 000 € due 31/08/2025, 30 days: 2000 × 0.15 × 30 / 365 = 24.6575 → 24.66 €
    p = late_penalty(amount=D("2000"), due=date(2025, 8, 31), as_of=date(2025, 9, 30), contract_rate=D("15"))
    assert p.interest == D("24.66")


# (e) B2C -------------------------------------------------------------------------------------------------

def test_b2c_runs_from_the_notice_at_the_professional_legal_rate():
    # 1 200 € due 31/05/2025, mise en demeure 20/06/2025, unpaid on 15/07/2025. Creditor is a professional:
    # taux légal "autres cas", not "particulier" (7.21 / 6.65).
    # 21/06 → 30/06: 10 days at 2025-H1 3.71 %: 1200 × 0.0371 × 10 = 445.2
    # 01/07 → 15/07: 15 days at 2025-H2 2.76 %: 1200 × 0.0276 × 15 = 496.8
    # 942 / 365 = 2.5808 → 2.58 €; no 40 € for a consumer.
    p = late_penalty(amount=D("1200"), due=date(2025, 5, 31), as_of=date(2025, 7, 15), b2b=False,
                     notice_date=date(2025, 6, 20))
    assert [(s.days, s.rate, s.rate_basis) for s in p.segments] == [
        (10, D("3.71"), "taux légal 3,71 %"), (15, D("2.76"), "taux légal 2,76 %")]
    assert (p.interest, p.indemnity, p.total) == (D("2.58"), D("0"), D("2.58"))
    assert p.days_late == 45


def test_b2c_without_notice_owes_nothing_unless_the_contract_says_so():
    kwargs = dict(amount=D("1200"), due=date(2025, 5, 31), as_of=date(2025, 7, 15), b2b=False)
    none = late_penalty(**kwargs)
    assert (none.interest, none.indemnity, none.segments) == (D("0.00"), D("0"), ())
    # exigibility as notice (C. civ. 1344): 01/06 → 30/06: 30 days at 3.71 %: 1200 × 0.0371 × 30 = 1 335.6
    # + 496.8 (July, as above) = 1 832.4 / 365 = 5.0203 → 5.02 €
    assert late_penalty(**kwargs, b2c_interest_from_due=True).interest == D("5.02")


def test_b2c_never_charges_the_indemnity():
    p = late_penalty(amount=D("1200"), due=date(2025, 5, 31), as_of=date(2025, 7, 15), b2b=False,
                     notice_date=date(2025, 6, 20), fixed_indemnity=D("40"))
    assert p.indemnity == 0


# (f) paid on the due date, paid the day after -------------------------------------------------------------

def test_paid_on_the_due_date_owes_nothing():
    p = late_penalty(amount=D("1000"), due=date(2025, 3, 31), as_of=date(2025, 5, 1),
                     payments=[(date(2025, 3, 31), D("1000"))])
    assert (p.interest, p.indemnity, p.days_late, p.segments, p.total) == (D("0.00"), D("0"), 0, (), D("0.00"))


def test_paid_the_day_after_owes_one_day_and_the_indemnity():
    # 1 day at 2025-H1 13.15 %: 1000 × 0.1315 × 1 / 365 = 0.3603 → 0.36 €, plus 40 €
    p = late_penalty(amount=D("1000"), due=date(2025, 3, 31), as_of=date(2025, 5, 1),
                     payments=[(date(2025, 4, 1), D("1000"))])
    assert (p.interest, p.indemnity, p.days_late, p.total) == (D("0.36"), D("40"), 1, D("40.36"))
    assert [(s.start, s.end) for s in p.segments] == [(date(2025, 4, 1), date(2025, 4, 1))]


def test_rounding_is_half_up():
    # 1,25 € due 31/12/2019, 73 days at 2020-H1 10.00 % (73/365 = 1/5): 1.25 × 0.10 / 5 = 0.025 exactly → 0.03
    p = late_penalty(amount=D("1.25"), due=date(2019, 12, 31), as_of=date(2020, 3, 13))
    assert p.segments[0].days == 73
    assert p.segments[0].interest == D("0.025")
    assert p.interest == D("0.03")


# (g) 2026-H2: ECB unconfirmed, taux légal missing ---------------------------------------------------------

B2B_2026_H2 = dict(amount=D("5000"), due=date(2026, 6, 30), as_of=date(2026, 11, 25))


def test_2026_h2_refuses_the_unconfirmed_ecb_rate_by_default():
    with pytest.raises(RateTableOutOfDate) as raised:
        late_penalty(**B2B_2026_H2)
    e = raised.value
    assert (e.half, e.rate, e.value) == ("2026-H2", "ecb_refi", D("2.40"))
    message = str(e)
    for part in ("2026-H2", "non confirmé", '[penalties.rates."2026-H2"]', 'ecb_refi = "2.40"', "sources",
                 "allow_unconfirmed"):
        assert part in message


def test_2026_h2_with_override_or_allow_unconfirmed():
    # 01/07 → 25/11/2026: 31+31+30+31+25 = 148 days at 2.40 + 10 = 12.40 %:
    # 5000 × 0.124 × 148 = 91 760 / 365 = 251.397 → 251.40 €
    overridden = late_penalty(**B2B_2026_H2, rates=RateTable.load_default().with_overrides(CONFIRMED_2026_H2))
    assert (overridden.interest, overridden.days_late, overridden.warnings) == (D("251.40"), 148, ())
    allowed = late_penalty(**B2B_2026_H2, allow_unconfirmed=True)
    assert allowed.interest == D("251.40")
    assert len(allowed.warnings) == 1 and "2026-H2" in allowed.warnings[0] and "confirmé" in allowed.warnings[0]


def test_2026_h2_b2c_raises_because_the_legal_rate_is_missing():
    kwargs = dict(amount=D("5000"), due=date(2026, 6, 30), as_of=date(2026, 8, 30), b2b=False,
                  notice_date=date(2026, 7, 31))
    with pytest.raises(RateTableOutOfDate) as raised:
        late_penalty(**kwargs, allow_unconfirmed=True)
    assert (raised.value.half, raised.value.rate, raised.value.value) == ("2026-H2", "legal_professional", None)
    assert "absent" in str(raised.value) and 'legal_professional = "x.xx"' in str(raised.value)
    # with the (hypothetical) rate typed in config: 30 days at 3.10 %: 5000 × 0.031 × 30 = 4 650 / 365 → 12.74 €
    rates = RateTable.load_default().with_overrides(CONFIRMED_2026_H2)
    assert late_penalty(**kwargs, rates=rates).interest == D("12.74")


def test_override_confirms_only_what_it_gives():
    rates = RateTable.load_default().with_overrides({"2026-H2": {"legal_professional": "3.10"}})
    row = rates["2026-H2"]
    assert (row.ecb_refi, row.legal_professional, row.confirmed, row.unconfirmed) == (
        D("2.40"), D("3.10"), False, frozenset({"ecb_refi"}))
    with pytest.raises(RateTableOutOfDate, match="ecb_refi"):  # the ECB figure is still unconfirmed
        late_penalty(**B2B_2026_H2, rates=rates)
    # a valid contract rate (12 ≥ 3 × 3.10 = 9.30) needs no ECB rate: 5000 × 0.12 × 148 / 365 = 243.29
    assert late_penalty(**B2B_2026_H2, rates=rates, contract_rate=D("12")).interest == D("243.29")


def test_half_year_beyond_the_table_names_the_fix():
    with pytest.raises(RateTableOutOfDate) as raised:
        late_penalty(amount=D("100"), due=date(2026, 12, 31), as_of=date(2027, 1, 5),
                     rates=RateTable.load_default().with_overrides(CONFIRMED_2026_H2))
    assert raised.value.half == "2027-H1" and '[penalties.rates."2027-H1"]' in str(raised.value)
    assert "1er janvier 2027" in str(raised.value)


# (h) regression pitfalls (legal-reference §7) ---------------------------------------------------------------

def test_table_pitfalls():
    t = RateTable.load_default()
    assert t["2022-H2"].ecb_refi == D("0.00")  # the hike to 0.50 took effect on 27/07/2022, after 1 July
    assert t["2018-H1"].legal_professional == D("0.89")  # not 0.88 (bpifrance, aeccompta)
    assert t["2019-H1"].legal_professional == D("0.86")  # not 0.76
    assert t["2023-H2"].legal_consumer == D("6.82")  # not 6.83 (francetransactions)
    assert t["2025-H2"].ecb_refi == D("2.15")  # MRO, not the 2.00 deposit rate
    assert t["2016-H1"].ecb_refi == D("0.05")  # the cut to 0.00 took effect on 16/03/2016
    assert t["2024-H2"].ecb_refi == D("4.25")  # Irish DETE cross-check


def test_2022_h2_computes_at_10_percent():
    # 1 000 € due 31/07/2022, 30 days at 0.00 + 10 = 10.00 %: 1000 × 0.10 × 30 / 365 = 8.219 → 8.22 € (not 8.63)
    p = late_penalty(amount=D("1000"), due=date(2022, 7, 31), as_of=date(2022, 8, 30))
    assert p.segments[0].rate_basis == "BCE 0,00 % + 10 pts (taux au 1er juillet 2022)"
    assert p.interest == D("8.22")


def test_default_is_ecb_plus_10_not_legal_rate_based():
    # 2024-H1: ECB 4.50 + 10 = 14.50, neither 3 × 5.07 = 15.21 (the floor) nor 5.07 + 10 = 15.07.
    # 2025-H2: 2.15 + 10 = 12.15, not 2.00 + 10 (deposit rate).
    assert late_penalty(amount=D("1"), due=date(2024, 3, 1), as_of=date(2024, 3, 2)).segments[0].rate == D("14.50")
    assert late_penalty(amount=D("1"), due=date(2025, 9, 1), as_of=date(2025, 9, 2)).segments[0].rate == D("12.15")


# the rate table --------------------------------------------------------------------------------------------

def test_table_covers_2015_h1_to_2026_h2_with_sources():
    t = RateTable.load_default()
    halves = [f"{y}-H{n}" for y in range(2015, 2027) for n in (1, 2)]
    assert list(t) == halves
    assert t.updated is not None and t.updated.year == 2026
    for half in halves:
        row = t[half]
        assert isinstance(row, HalfYearRates) and row.half == half and row.ecb_refi is not None
        assert row.sources and all(s.startswith("http") for s in row.sources)
        if half != "2026-H2":
            assert row.confirmed and row.legal_consumer is not None and row.legal_professional is not None
    last = t["2026-H2"]
    assert (last.ecb_refi, last.confirmed, last.legal_consumer, last.legal_professional) == (D("2.40"), False, None, None)


def test_half_year_rates_built_by_hand():
    row = HalfYearRates("2031-H1", D("3"), None, D("1"), confirmed=False, sources=())
    assert row.unconfirmed == {"ecb_refi", "legal_professional"}  # confirmed=False covers every rate present
    with pytest.raises(RateTableOutOfDate):
        RateTable({"2031-H1": row}).require("2031-H1", "legal_professional")
    assert RateTable({"2031-H1": row}).require("2031-H1", "legal_professional", allow_unconfirmed=True)[0] == D("1")


def test_half_year_of():
    assert half_year_of(date(2026, 6, 30)) == "2026-H1"
    assert half_year_of(date(2026, 7, 1)) == RateTable.half_year_of(date(2026, 7, 1)) == "2026-H2"


def test_table_is_immutable_and_overrides_copy():
    t = RateTable.load_default()
    with pytest.raises(AttributeError):
        t.updated = None
    with pytest.raises(TypeError):
        t["2026-H2"] = t["2026-H1"]  # type: ignore[index]
    t.with_overrides(CONFIRMED_2026_H2)
    assert t["2026-H2"].legal_professional is None


def test_from_mapping_and_override_inputs():
    t = RateTable.from_mapping({"2030-H1": {"ecb_refi": "1,5", "legal_professional": 2, "sources": "https://x"}})
    row = t["2030-H1"]
    assert (row.ecb_refi, row.legal_professional, row.legal_consumer, row.sources) == (D("1.5"), D("2"), None,
                                                                                       ("https://x",))
    assert RateTable.from_mapping({"2030-H2": {"ecb_refi": 2.4}})["2030-H2"].ecb_refi == D("2.4")  # TOML float
    with pytest.raises(ValueError, match="ecb_rate"):
        RateTable.from_mapping({"2030-H1": {"ecb_rate": "2.40"}})  # typo: unknown key
    with pytest.raises(ValueError, match="AAAA-H1"):
        RateTable.from_mapping({"2030-S1": {"ecb_refi": "2.40"}})
    with pytest.raises(ValueError, match="legal_professional"):
        RateTable.from_mapping({"2030-H1": {"legal_professional": "-1"}})
    with pytest.raises(ValueError, match="ecb_refi"):
        RateTable.from_mapping({"2030-H1": {"ecb_refi": "deux"}})


# bad inputs ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error", [
    (dict(amount=D("-1")), ValueError),
    (dict(payments=[(date(2025, 10, 1), D("-5"))]), ValueError),
    (dict(fixed_indemnity=D("-40")), ValueError),
    (dict(contract_rate=D("-3")), ValueError),
    (dict(amount=100.0), TypeError),
    (dict(payments=[(date(2025, 10, 1), 5.0)]), TypeError),
])
def test_bad_inputs_are_refused(kwargs, error):
    args = dict(amount=D("100"), due=date(2025, 9, 30), as_of=date(2025, 10, 30)) | kwargs
    with pytest.raises(error):
        late_penalty(**args)


# describe() ------------------------------------------------------------------------------------------------

def test_describe_french_and_english():
    p = late_penalty(**B2B_2026_H2, rates=RateTable.load_default().with_overrides(CONFIRMED_2026_H2))
    assert describe(p) == [
        f"Pénalités de retard du 01/07/2026 au 25/11/2026 : 148 j × 12,40{NBSP}% × 5{NNBSP}000,00{NBSP}€ / 365"
        f" = 251,40{NBSP}€",
        f"Indemnité forfaitaire pour frais de recouvrement (art. D441-5 C. com.) : 40,00{NBSP}€",
    ]
    assert describe(p, locale="en") == [
        "Late-payment penalties from Jul 1, 2026 to Nov 25, 2026: 148 days × 12.40% × €5,000.00 / 365 = €251.40",
        "Fixed compensation for recovery costs (art. D441-5 French Commercial Code): €40.00",
    ]


def test_describe_several_segments_and_b2c():
    b2b = describe(late_penalty(amount=D("4800.00"), due=date(2024, 6, 10), as_of=date(2024, 7, 9)))
    assert b2b[0].endswith(f"20 j × 14,50{NBSP}% × 4{NNBSP}800,00{NBSP}€ / 365 = 38,14{NBSP}€")
    assert b2b[1].endswith(f"9 j × 14,25{NBSP}% × 4{NNBSP}800,00{NBSP}€ / 365 = 16,87{NBSP}€")
    assert b2b[2] == f"Total des pénalités de retard : 55,00{NBSP}€"  # rounded once: not 38,14 + 16,87
    b2c = describe(late_penalty(amount=D("1200"), due=date(2025, 5, 31), as_of=date(2025, 7, 15), b2b=False,
                                notice_date=date(2025, 6, 20)))
    assert b2c[0].startswith("Intérêts de retard au taux légal du 21/06/2025 au 30/06/2025 : 10 j × 3,71")
    assert b2c[-1] == f"Total des intérêts de retard : 2,58{NBSP}€" and len(b2c) == 3  # no indemnity line
    assert describe(late_penalty(amount=D("1"), due=date(2025, 1, 1), as_of=date(2025, 1, 1))) == []
    with pytest.raises(ValueError):
        describe(Penalty(D(0), D(0), (), (), 0), locale="de")


# properties ------------------------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 6, 30))  # all confirmed half-years
MONEY = st.decimals(min_value=0, max_value=D("1000000"), places=2, allow_nan=False, allow_infinity=False)
CONTRACT = st.sampled_from([None, D("5"), D("12"), D("20")])
PAYMENTS = st.lists(st.tuples(DAYS, MONEY), max_size=4)


@given(MONEY, DAYS, DAYS, DAYS, PAYMENTS, st.booleans(), CONTRACT, st.none() | DAYS)
def test_interest_is_monotonic_in_as_of(amount, due, as_of_1, as_of_2, payments, b2b, contract, notice):
    early, late = sorted((as_of_1, as_of_2))
    kwargs = dict(amount=amount, due=due, payments=payments, b2b=b2b, contract_rate=contract, notice_date=notice)
    first, second = late_penalty(**kwargs, as_of=early), late_penalty(**kwargs, as_of=late)
    assert first.interest <= second.interest
    assert first.indemnity <= second.indemnity
    assert first.days_late <= second.days_late


@given(MONEY, MONEY, DAYS, DAYS, st.booleans(), CONTRACT, st.none() | DAYS)
def test_splitting_an_invoice_keeps_the_interest(a, b, due, as_of, b2b, contract, notice):
    kwargs = dict(due=due, as_of=as_of, b2b=b2b, contract_rate=contract, notice_date=notice)
    whole = late_penalty(amount=a + b, **kwargs).interest
    parts = late_penalty(amount=a, **kwargs).interest + late_penalty(amount=b, **kwargs).interest
    assert abs(whole - parts) <= D("0.01")


@given(MONEY, DAYS, DAYS, PAYMENTS, st.booleans(), CONTRACT, st.none() | DAYS)
def test_nothing_owed_before_the_due_date(amount, due, as_of, payments, b2b, contract, notice):
    assume(as_of <= due)
    p = late_penalty(amount=amount, due=due, as_of=as_of, payments=payments, b2b=b2b, contract_rate=contract,
                     notice_date=notice)
    assert (p.interest, p.indemnity, p.days_late, p.segments) == (0, 0, 0, ())


@settings(max_examples=200)
@given(MONEY, DAYS, DAYS, PAYMENTS, st.booleans(), CONTRACT, st.none() | DAYS)
def test_interest_never_negative_and_segments_add_up(amount, due, as_of, payments, b2b, contract, notice):
    p = late_penalty(amount=amount, due=due, as_of=as_of, payments=payments, b2b=b2b, contract_rate=contract,
                     notice_date=notice)
    assert p.interest >= 0 and all(s.interest >= 0 and s.base > 0 and s.days > 0 for s in p.segments)
    assert p.interest == sum((s.interest for s in p.segments), D(0)).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    if b2b:  # every late day before full payment accrues exactly once
        assert sum(s.days for s in p.segments) == p.days_late
        assert p.indemnity == (40 if p.days_late else 0)
    else:
        assert p.indemnity == 0
