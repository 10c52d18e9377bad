"""The managers' KPIs on a register small enough to compute by hand (worked numbers in comments)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from relance.core.model import JournalEntry, Task
from relance.dashboard.summary import KPIS, HistoryRow, RunResult, compute, ratio

from conftest import TODAY, at, client, invoice, register, sent


def T(days: int):
    """TODAY + days (negative = in the past). TODAY is Wednesday 25/11/2026."""
    return TODAY + timedelta(days=days)


def journal_row(number, stage, day, status, client_="C1"):
    return JournalEntry(at(day, 9), invoice=number, client=client_, stage=stage, channel="email", status=status,
                        key=f"{day}/{client_}/{stage}")


#        number client issued due     amount     paid / paid_on / status      days late  stage (Journal)
INVOICES = [
    invoice("F01", "C1", issued=T(-20), due=T(0), amount="1000.00"),                     # 0   none
    invoice("F02", "C1", issued=T(-40), due=T(-10), amount="500.00",
            paid=D("200.00"), paid_on=T(-5)),                                              # 10  amiable
    invoice("F03", "C2", issued=T(-75), due=T(-45), amount="2000.00"),                   # 45  demeure
    invoice("F04", "C3", issued=T(-130), due=T(-100), amount="1200.00", status="Litige"),  # 100 renforcée
    invoice("F05", "C2", issued=T(-90), due=T(-90), amount="800.00"),                    # 90  none (failed row)
    invoice("F06", "C3", issued=T(-60), due=T(-30), amount="600.00",
            paid=D("600.00"), paid_on=T(-20), status="Payée"),                             # settled 10 late, amiable
    invoice("F07", "C4", issued=T(-89), due=T(-20), amount="400.00",
            paid=D("400.00"), paid_on=T(-25)),                                             # settled 5 early, pre only
    invoice("F08", "C4", issued=T(-200), due=T(-170), amount="1500.00",
            paid=D("1500.00"), paid_on=T(-110), status="Payée"),                           # settled 60 late, demeure
    invoice("F09", "C1", issued=T(-400), due=T(-375), amount="700.00",
            paid=D("700.00"), paid_on=T(-365), status="Payée"),                            # settled 10 late, amiable
    invoice("F10", "C2", issued=T(-30), due=T(0), amount="900.00", status="Annulée"),    # cancelled, amiable
    invoice("F11", "C5", issued=T(-10), due=T(-5), amount="300.00", currency="USD"),     # 5   none, USD
    invoice("F12", "C5", due=T(-30), amount="250.00"),                                   # 30  none, no issue date
]
JOURNAL = [
    sent("F02", "amiable", T(-9)),
    sent("F03", "amiable", T(-44), "C2"), sent("F03", "renforcee", T(-37), "C2"), sent("F03", "demeure", T(-15), "C2"),
    sent("F04", "amiable", T(-99), "C3"), sent("F04", "renforcee", T(-92), "C3"),
    journal_row("F05", "renforcee", T(-60), "failed", "C2"),      # a failed send reaches no stage
    sent("F06", "amiable", T(-29), "C3"),
    journal_row("F06", "demeure", T(-1), "test", "C3"),           # test mode never moves the ladder
    sent("F07", "pre", T(-25), "C4"),                             # a courtesy note, not a reminder
    sent("F08", "amiable", T(-169), "C4"), sent("F08", "Mise en demeure", T(-140), "C4"),  # stage typed as label
    sent("F09", "amiable", T(-374)),
    sent("F10", "amiable", T(-1), "C2"),
]
TASKS = [
    Task(T(-3), "C2", ("F03",), "Mise en demeure à approuver : F03", approved=True, key="T/F03/demeure", row=2),
    Task(T(-10), "C1", ("F02",), "Appeler", done_on=T(-2), row=3),
    Task(None, "C5", ("F12",), "Date facture manquante", row=4),
]


@pytest.fixture
def example(policy):
    clients = [client(c, name=f"Société {c}") for c in ("C1", "C2", "C3", "C4", "C5")]
    return compute(register(INVOICES, clients, JOURNAL, TASKS), policy, TODAY)


def test_every_kpi_on_the_hand_computed_register(example):
    s = example
    # open = neither Payée nor Annulée, something remaining: F01 F02 F03 F04 F05 F11 F12 (F07 is fully paid)
    assert s.open_invoices == 7
    # EUR remaining: F01 1000 + F02 300 (500 − 200) + F03 2000 + F04 1200 (Litige still owed) + F05 800 + F12 250
    assert s.outstanding == D("5550.00")
    # past due (≥ 1 day): all but F01 (due today) -> 5550 − 1000
    assert s.overdue == D("4550.00")
    assert s.overdue_invoices == 6  # F02 F03 F04 F05 F11 (USD counts in numbers) F12
    # 4550 / 5550 = 0.81981… -> 0.820
    assert s.overdue_rate == D("0.820")
    # issued J−89…J, EUR, not cancelled: F01 1000 + F02 500 + F03 2000 + F06 600 + F07 400 (J−89, the edge)
    # (F05 issued J−90 is out, F10 cancelled, F11 USD, F12 undated)
    assert s.sales_90d == D("4500.00")
    # DSO = 5550 / 4500 × 90 = 111.0 days, of which 4550 / 4500 × 90 = 91.0 days of lateness
    assert s.dso == D("111.0") and s.dso_overdue == D("91.0")
    # settled with a payment date in J−364…J: F06 (+10), F07 (−5 -> 0), F08 (+60); F09 paid J−365 is out
    assert s.settled_invoices == 3
    # (10 + 0 + 60) / 3 = 23.33… -> 23.3 days
    assert s.avg_days_late == D("23.3")
    # paid on or before due: F07 only -> 1 / 3 = 0.333
    assert s.on_time_share == D("0.333")
    # reached a reminder after due (amiable or higher, sent): F02 F03 F04 F06 F08 F09 = 6
    # (F05's row failed, F07 got only the pre-reminder, F10 is cancelled, F06's demeure row is a test)
    assert s.reminded_invoices == 6
    # settled below the formal notice: F06 and F09 (F08 reached « Mise en demeure ») -> 2 / 6 = 0.333
    assert s.amicable_invoices == 2 and s.amicable_rate == D("0.333")
    assert s.open_tasks_count == 2  # the approved one (not done) and the undated one
    assert {k.key for k in KPIS} <= {name for name in dir(s)}


def test_aging_stages_top_debtors_tasks_and_notes(example):
    s = example
    # days late of open invoices: F01 0, F02 10, F12 30, F11 5 (USD), F03 45, F05 90, F04 100
    assert [(b.label, b.amount, b.count) for b in s.aging] == [
        ("Non échu", D("1000.00"), 1),
        ("1–30 j", D("550.00"), 3),      # F02 300 + F12 250; F11 counted, not added (USD)
        ("31–60 j", D("2000.00"), 1),
        ("61–90 j", D("800.00"), 1),     # 90 days is still 61–90
        ("> 90 j", D("1200.00"), 1),
    ]
    assert sum(b.amount for b in s.aging) == s.outstanding
    assert [(b.label, b.amount, b.count) for b in s.stages] == [
        ("Aucune relance", D("2050.00"), 4),  # F01 1000 + F05 800 + F12 250, and F11
        ("Pré-relance", D("0.00"), 0),
        ("Relance amiable", D("300.00"), 1),
        ("Relance renforcée", D("1200.00"), 1),
        ("Mise en demeure", D("2000.00"), 1),
        ("Dossier de recouvrement", D("0.00"), 0),
    ]
    assert [(d.client, d.name, d.amount, d.overdue, d.invoices, d.max_days_late) for d in s.top_debtors] == [
        ("C2", "Société C2", D("2800.00"), D("2800.00"), 2, 90),   # F03 2000 + F05 800
        ("C1", "Société C1", D("1300.00"), D("300.00"), 2, 10),    # F01 1000 (due today) + F02 300
        ("C3", "Société C3", D("1200.00"), D("1200.00"), 1, 100),
        ("C5", "Société C5", D("250.00"), D("250.00"), 1, 30),     # the USD invoice is not added
    ]
    assert [t.reason for t in s.open_tasks] == ["Mise en demeure à approuver : F03", "Date facture manquante"]
    assert any("1 facture(s) ouverte(s) en USD" in n for n in s.notes)
    assert any("1 facture(s) sans date facture" in n for n in s.notes)


def test_top_debtors_keep_the_ten_largest(policy):
    invoices = [invoice(f"F{i}", f"C{i:02d}", due=T(-i), amount=f"{100 * i}.00") for i in range(1, 13)]
    s = compute(register(invoices), policy, TODAY)
    assert [d.client for d in s.top_debtors] == [f"C{i:02d}" for i in range(12, 2, -1)]


def test_a_rate_of_nothing_is_unknown_not_zero(policy):
    s = compute(register([]), policy, TODAY)
    assert (s.outstanding, s.overdue, s.sales_90d) == (D("0.00"),) * 3
    assert s.overdue_rate is s.dso is s.avg_days_late is s.on_time_share is s.amicable_rate is None
    assert [b.count for b in s.aging] == [0] * 5 and s.top_debtors == ()


def test_rates_round_half_up_to_a_tenth_of_a_percent():
    assert ratio(2, 3) == D("0.667") and ratio(1, 16) == D("0.063") and ratio(1, 8) == D("0.125")
    assert ratio(5, 0) is None


def test_history_keeps_one_row_per_day_and_finds_the_last_run(policy):
    reg = register([invoice("F1", due=T(-3), issued=T(-33))])
    earlier = RunResult(at(T(-7)), sent=4, failed=1, tasks=2, skipped=9, problems=3)
    rows = (HistoryRow(T(-7), at(T(-7)), D("80.00"), sent=4, failed=1, tasks=2, skipped=9, problems=3),
            HistoryRow(T(0), at(T(0), 8), D("1.00"), sent=1),   # this morning's run: replaced
            HistoryRow(T(-14), None, D("90.00")))                # unordered on purpose
    s = compute(reg, policy, TODAY, history_rows=rows)
    assert [r.day for r in s.history] == [T(-14), T(-7), T(0)]
    assert s.history[-1].outstanding == D("100.00") and s.history[-1].sent is None
    assert s.last_run == RunResult(at(T(0), 8), 1, 0, 0, 0, 0)   # without a run, the latest recorded one
    now = RunResult(at(T(0), 15), sent=2)
    s = compute(reg, policy, TODAY, last_run=now, history_rows=rows)
    assert s.last_run == now and s.history[-1].sent == 2 and len(s.history) == 3
    assert compute(reg, policy, TODAY, history_rows=rows[:1]).last_run == earlier


def test_trend_is_the_last_reading_of_each_of_the_last_twelve_weeks(policy):
    # TODAY is a Wednesday; weeks start on Monday. 13 weeks ago falls out, two readings in one week keep the later.
    days = [T(-7 * 13), T(-7 * 11 - 2), T(-7 * 11 + 1), T(-7)]
    rows = tuple(HistoryRow(d, dso=D(i)) for i, d in enumerate(days))
    s = compute(register([]), policy, TODAY, history_rows=rows)
    assert [r.day for r in s.trend()] == [T(-7 * 11 + 1), T(-7), TODAY]
