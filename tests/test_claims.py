"""Penalties in the register: the Pénalités value of a row, worked by hand, and the fast path's figures.

Rates (relance/data/rates.toml): ECB MRO on 1 Jan / 1 Jul + 10 pts for B2B, taux légal « autres cas »
for consumers. Each expected figure is derived in the comments: base × rate × days / 365 per half-year,
summed unrounded, rounded once to the cent (ROUND_HALF_UP).
"""

import doctest
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relance.core.law.prescription
from relance.core import planner
from relance.messages.check import check_rates
from relance.core.law.claims import short_rate_alert, Claims, claim_lines, notice_dates, rate_notes
from relance.core.config import ConfigError, Policy, policy_from_dict
from relance.core.model import Invoice, JournalEntry
from relance.core.law.penalties import Penalty

from conftest import TODAY, at, client, invoice, register

D = Decimal
CONFIRMED = {"penalties": {"rates": {"2026-H2": {"ecb_refi": "2.40", "legal_professional": "3.10"}}}}


def cell(reg, number, today, policy=None):
    return planner.plan(reg, policy or Policy(), today).states[number]


def notice(number, day, client_code="C1"):
    return JournalEntry(at(day), invoice=number, client=client_code, stage="demeure", channel="email",
                        status="sent", key=f"{day}/{client_code}/demeure")


# Worked example 1: B2B, paid in full late, across a 1 January boundary ------------------------------------
# 2 400,00 € due 16/12/2024, paid 20/01/2025.
#   17/12-31/12/2024: 15 d at 2024-H2 = 4,25 + 10 = 14,25 %: 2400 × 14.25 × 15 / 36500 = 14.0547…
#   01/01-20/01/2025: 20 d at 2025-H1 = 3,15 + 10 = 13,15 %: 2400 × 13.15 × 20 / 36500 = 17.2931…
#   interest = 1 144 200 / 36 500 = 31.3479… -> 31,35 ; + 40 € indemnity = 71,35 €, fixed at the payment date.
def test_pénalités_of_a_b2b_row_paid_late_across_1_january():
    row = invoice("F1", due=date(2024, 12, 16), amount="2400.00", paid=D("2400.00"), paid_on=date(2025, 1, 20),
                  status="Payée")
    for today in (date(2025, 2, 1), date(2026, 1, 10)):  # what was owed stays owed, whatever the day
        state = cell(register([row]), "F1", today)
        assert state.penalties == D("71.35") and state.alert == ""


# Worked example 2: consumer, notice from the journal, partial payment midway -------------------------------
# 600,00 € due 10/09/2025, mise en demeure sent 15/10/2025, 200 € paid 20/10/2025, as of 14/11/2025.
# Interest at the taux légal « autres cas » 2025-H2 = 2,76 %, from the day after the notice:
#   16/10-20/10: 5 d on 600 (the payment day still accrues on the old balance): 600 × 2.76 × 5 / 36500 = 0.2268…
#   21/10-14/11: 25 d on 400: 400 × 2.76 × 25 / 36500 = 0.7561…
#   total = 35 880 / 36 500 = 0.98301… -> 0,98 €; never the 40 €.
def test_pénalités_of_a_consumer_row_from_the_notice_with_a_partial_payment():
    row = invoice("F1", due=date(2025, 9, 10), amount="600.00", paid=D("200.00"), paid_on=date(2025, 10, 20))
    consumer = client("C1", b2b=False, segment="Particulier")
    reg = register([row], clients=[consumer], journal=[notice("F1", date(2025, 10, 15))])
    assert cell(reg, "F1", date(2025, 11, 14)).penalties == D("0.98")
    before_notice = register([row], clients=[consumer])
    assert cell(before_notice, "F1", date(2025, 11, 14)).penalties == D("0.00")  # no notice, no interest


# Worked example 3: today, 25/11/2026, the 2026-H2 ECB rate (2,40) is only reported by secondary sources.
# Without confirmation: no interest figure, only the 40 € (it needs no rate), a short Alerte naming the
# half-year; the line to add to config.toml is said once per run (rate_notes) and by relance check.
# Confirmed in config: 1 500,00 € due 26/10/2026, 30 d at 2,40 + 10 = 12,40 %:
#   1500 × 12.40 × 30 / 36500 = 15.2876… -> 15,29 ; + 40 € = 55,29 €.
def test_unconfirmed_rate_leaves_only_the_indemnity_in_the_cell_with_a_short_alert_until_config_confirms_it():
    reg = register([invoice("F1", due=TODAY - timedelta(days=30), amount="1500.00")])
    state = cell(reg, "F1", TODAY)
    assert state.penalties == D("40.00")
    assert state.alert == "intérêts à parfaire : taux BCE 2026-H2 non confirmé (voir relance check)"
    notes = rate_notes(reg, Policy(), TODAY)
    assert len(notes) == 1 and '[penalties.rates."2026-H2"] ecb_refi = "2.40"' in notes[0]
    assert "relance rates set 2026-H2 --bce 2.40" in notes[0] and "1 facture(s)" in notes[0]
    consumer = register([invoice("F1", due=TODAY - timedelta(days=30))], clients=[client("C1", b2b=False)],
                        journal=[notice("F1", TODAY - timedelta(days=20))])
    assert cell(consumer, "F1", TODAY).penalties is None  # no 40 € for a consumer: nothing has a figure
    assert cell(reg, "F1", TODAY, policy_from_dict(CONFIRMED)).penalties == D("55.29")
    allowed = policy_from_dict({"penalties": {"allow_unconfirmed_rates": True}})
    assert cell(reg, "F1", TODAY, allowed).penalties == D("55.29")


# Worked example 4: a contractual rate of 15 % is valid in 2025-H2 (floor 3 × 2,76 = 8,28 %).
# 1 000,00 € due 31/08/2025, as of 30/09/2025: 30 d: 1000 × 15 × 30 / 36500 = 12.3287… -> 12,33 + 40 = 52,33 €.
# In 2024-H1 the floor is 3 × 5,07 = 15,21 %: the clause is flagged and ECB + 10 = 14,50 % applies.
def test_contract_rate_from_config_and_its_floor():
    policy = policy_from_dict({"penalties": {"b2b_rate": "15"}})
    assert cell(register([invoice("F1", due=date(2025, 8, 31), amount="1000.00")]), "F1", date(2025, 9, 30),
                policy).penalties == D("52.33")
    old = register([invoice("F2", due=date(2024, 2, 1), amount="1000.00")])
    problems = check_rates(old, policy, date(2024, 3, 2))
    assert len(problems) == 1 and "L441-16" in problems[0].message and "F2" in problems[0].message


def test_nothing_is_claimed_when_not_late_or_not_claimable():
    today = date(2025, 11, 14)
    due = date(2025, 9, 10)
    rows = [invoice("ON-TIME", due=due, paid=D("100"), paid_on=due, status="Payée"),
            invoice("NOT-DUE", due=today),
            invoice("CANCELLED", due=due, status="Annulée"),
            invoice("PLAN", due=due, status="Échéancier"),
            invoice("USD", due=due, currency="USD"),
            invoice("NO-DATE", due=due, paid=D("100"), status="Payée")]
    states = planner.plan(register(rows), Policy(), today).states
    assert {n: s.penalties for n, s in states.items()} == {n.number: None for n in rows}


def test_check_reports_each_missing_rate_once_with_the_invoices():
    reg = register([invoice(f"F{i}", due=TODAY - timedelta(days=10 + i)) for i in range(7)])
    problems = check_rates(reg, Policy(), TODAY)
    assert len(problems) == 1
    assert problems[0].tab == "config.toml" and "2026-H2" in problems[0].message
    assert "F0, F1, F2, F3, F4 … (+2)" in problems[0].message
    assert check_rates(reg, policy_from_dict(CONFIRMED), TODAY) == []


@pytest.mark.parametrize("data, message", [
    ({"penalties": {"rates": {"2026-H2": {"ecb_refi": "deux"}}}}, "penalties.rates"),
    ({"penalties": {"rates": {"2026-S2": {"ecb_refi": "2.40"}}}}, "AAAA-H1"),
    ({"penalties": {"b2b_rate": "BCE+10"}}, "[penalties].b2b_rate : \"ecb+10\" ou un taux annuel contractuel"),
    ({"penalties": {"notice_deadline_days": 0}}, "[penalties].notice_deadline_days : un nombre entre 1 et 90 est attendu, trouvé 0"),
])
def test_rate_overrides_and_contract_rate_are_validated_with_the_key(data, message):
    with pytest.raises(ConfigError, match="penalties") as err:
        policy_from_dict(data)
    assert message in str(err.value)


def test_notice_date_is_the_first_formal_notice_sent_or_logged_by_hand():
    policy = Policy()
    rows = [notice("F1", date(2025, 10, 20)), notice("F1", date(2025, 10, 15)),
            JournalEntry(at(date(2025, 10, 1)), invoice="F1", stage="Mise en demeure", channel="courrier",
                         status="manual"),
            JournalEntry(at(date(2025, 9, 1)), invoice="F1", stage="demeure", status="test"),
            JournalEntry(at(date(2025, 9, 2)), invoice="F2", stage="renforcee", status="sent")]
    assert notice_dates(rows, policy.stages) == {"F1": date(2025, 10, 1)}


def test_lines_without_a_rate_claim_interest_without_a_figure_but_keep_the_indemnity():
    claims = Claims(Policy())
    late = invoice("F1", due=date(2026, 10, 26))
    lines = claim_lines(claims.claim(late, client("C1"), TODAY))
    assert lines[0] == "Pénalités de retard (art. L441-10 C. com.) à compter du 27/10/2026 : montant à parfaire"
    assert lines[1].startswith("Indemnité forfaitaire") and lines[1].endswith("40,00\xa0€")
    consumer = claims.claim(late, client("C1", b2b=False), TODAY, notice=date(2026, 11, 2))
    assert claim_lines(consumer, "en_GB") == [
        "Interest at the applicable French statutory rate from 3 Nov 2026: amount to be determined"]


# The planner's fast path must give late_penalty's figure to the cent, and the same error text.
@settings(max_examples=300, deadline=None)
@given(due=st.dates(date(2015, 1, 1), date(2026, 12, 31)), amount=st.decimals("0.01", "99999.99", places=2),
       paid_share=st.sampled_from([0, 0, 25, 100]), paid_after=st.integers(-20, 400), b2b=st.booleans(),
       notice_after=st.one_of(st.none(), st.integers(-5, 300)), today_after=st.integers(-10, 900),
       contract=st.sampled_from(["ecb+10", "ecb+10", "9", "15"]), confirmed=st.booleans())
def test_fast_pénalités_equal_late_penalty(due, amount, paid_share, paid_after, b2b, notice_after, today_after,
                                           contract, confirmed):
    paid = (amount * paid_share / 100).quantize(D("0.01"))
    row = Invoice("F1", "C1", due, amount, paid=paid, paid_on=due + timedelta(days=paid_after) if paid else None)
    journal = [notice("F1", due + timedelta(days=notice_after))] if notice_after is not None else []
    reg = register([row], clients=[client("C1", b2b=b2b)], journal=journal)
    data = {"penalties": {"b2b_rate": contract, **(CONFIRMED["penalties"] if confirmed else {})}}
    claims = Claims(policy_from_dict(data), reg)
    today = due + timedelta(days=today_after)
    expected = claims.penalty(row, reg.clients["C1"], today)
    total, error = claims.cell(row, today)
    if isinstance(expected, str):  # no rate: the 40 € alone has a figure (B2B)
        indemnity = claims.claim(row, reg.clients["C1"], today).indemnity
        assert (total, error) == (indemnity + D("0.00") if indemnity else None, short_rate_alert(expected))
    else:
        assert (total, error) == ((expected.total, "") if isinstance(expected, Penalty) else (None, ""))


def test_prescription_doctest_and_alerts():
    assert doctest.testmod(relance.core.law.prescription).failed == 0
    today = date(2027, 1, 1)
    b2b = invoice("F1", due=date(2022, 3, 15), status="Litige")  # disputed: exactly where prescription bites
    first = planner.plan(register([b2b]), Policy(), today)
    assert "Prescription après le 15/03/2027 (dernier jour pour agir, dans 73 jours ; 5 ans après l'échéance" \
        in first.states["F1"].alert
    assert [(t.key, t.reason) for t in first.tasks] == [("T/F1/prescription", "Prescription après le 15/03/2027 : F1")]
    opened = replace(register([b2b]), tasks=(replace(_task(first.tasks[0])),))
    assert planner.plan(opened, Policy(), today).tasks == ()  # created once
    consumer = register([invoice("F2", due=date(2024, 12, 1))], clients=[client("C1", b2b=False)])
    assert "Prescription après le 01/12/2026" in planner.plan(consumer, Policy(), date(2026, 10, 1)).states["F2"].alert
    assert planner.plan(consumer, Policy(), date(2026, 8, 1)).states["F2"].alert == ""  # 122 days left: not yet
    assert "probablement prescrite depuis le 02/12/2026" in planner.plan(consumer, Policy(),
                                                                        date(2026, 12, 2)).states["F2"].alert
    paid = register([invoice("F3", due=date(2020, 1, 1), paid=D("100.00"), paid_on=date(2020, 2, 1))])
    assert "Prescription" not in planner.plan(paid, Policy(), today).states["F3"].alert
    assert relance.core.law.prescription.add_years(date(2024, 2, 29), 5) == date(2029, 2, 28)


def _task(new):
    from relance.core.model import Task
    return Task(TODAY, client=new.client, invoices=new.invoices, reason=new.reason, key=new.key)
