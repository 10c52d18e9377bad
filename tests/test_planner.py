"""The ladder, its boundaries and its stop conditions, at the level of the pure planner."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.core import planner
from relance.core.config import Policy, ScheduleConfig
from relance.core.model import RowProblem, Task

from conftest import TODAY, approved, at, client, invoice, manual, register, sent

EVERY_DAY = replace(Policy(), schedule=ScheduleConfig(business_days_only=False, min_days_between_contacts=0))


def J(n: int) -> date:
    """The due date that makes TODAY be J+n."""
    return TODAY - timedelta(days=n)


def stages_today(reg, policy=EVERY_DAY, today=TODAY):
    result = planner.plan(reg, policy, today)
    return {line.invoice.number: line.stage for r in result.reminders for line in r.lines}, result


# (days after due today, stages already sent as (stage, days after due when sent), expected stage today or None)
BOUNDARIES = [
    (-6, [], None), (-5, [], "pre"), (-4, [], "pre"),
    (0, [("pre", -5)], None), (1, [("pre", -5)], "amiable"), (2, [("pre", -5)], "amiable"),
    (0, [], "pre"), (1, [], "amiable"),
    (7, [("amiable", 1)], None), (8, [("amiable", 1)], "renforcee"), (9, [("amiable", 1)], "renforcee"),
    (29, [("amiable", 1), ("renforcee", 8)], None),
    (45 - 1, [("amiable", 1), ("renforcee", 8), ("demeure", 30)], None),
]


@pytest.mark.parametrize("late, history, expected", BOUNDARIES)
def test_stage_boundaries(late, history, expected):
    due = J(late)
    journal = [sent("F1", stage, due + timedelta(days=d)) for stage, d in history]
    got, _ = stages_today(register([invoice("F1", due=due)], journal=journal))
    assert got.get("F1") == expected


@pytest.mark.parametrize("late, expected_task", [(29, False), (30, True), (31, True)])
def test_formal_notice_boundary_opens_an_approval_task(late, expected_task):
    due = J(late)
    journal = [sent("F1", "amiable", due + timedelta(days=1)), sent("F1", "renforcee", due + timedelta(days=8))]
    got, result = stages_today(register([invoice("F1", due=due)], journal=journal))
    assert got == {}  # never sent without approval
    assert [t.key for t in result.tasks] == (["T/F1/demeure"] if expected_task else [])


@pytest.mark.parametrize("late, expected", [(29, None), (30, "demeure"), (31, "demeure")])
def test_formal_notice_goes_once_approved(late, expected):
    due = J(late)
    journal = [sent("F1", "amiable", due + timedelta(days=1)), sent("F1", "renforcee", due + timedelta(days=8))]
    got, _ = stages_today(register([invoice("F1", due=due)], journal=journal, tasks=[approved("F1")]))
    assert got.get("F1") == expected


def test_approval_task_is_created_once():
    due = J(31)
    journal = [sent("F1", "amiable", due + timedelta(days=1)), sent("F1", "renforcee", due + timedelta(days=8))]
    waiting = Task(TODAY - timedelta(days=1), invoices=("F1",), approved=False, key="T/F1/demeure")
    _, result = stages_today(register([invoice("F1", due=due)], journal=journal, tasks=[waiting]))
    assert result.tasks == ()
    assert "attente d'approbation" in result.states["F1"].next_action


@pytest.mark.parametrize("late, expected_task", [(44, False), (45, True), (46, True)])
def test_collection_stage_is_a_task(late, expected_task):
    due = J(late)
    journal = [sent("F1", s, due + timedelta(days=d)) for s, d in (("amiable", 1), ("renforcee", 8), ("demeure", 30))]
    got, result = stages_today(register([invoice("F1", due=due)], journal=journal))
    assert got == {}
    staged = [(t.key, t.stage) for t in result.tasks if t.stage]  # (3 reminders unanswered also open a call task)
    assert staged == ([("T/F1/recouvrement", "recouvrement")] if expected_task else [])


def test_a_late_discovery_never_skips_a_stage():
    got, result = stages_today(register([invoice("F1", due=J(60))]))
    assert got == {"F1": "amiable"}


def test_catch_up_keeps_the_ladder_spacing():
    due = J(27)
    journal = [sent("F1", "amiable", due + timedelta(days=20))]  # amiable went late, 7 days ago
    got, _ = stages_today(register([invoice("F1", due=due)], journal=journal))
    assert got == {"F1": "renforcee"}
    journal = [sent("F1", "amiable", due + timedelta(days=21))]  # only 6 days ago
    got, result = stages_today(register([invoice("F1", due=due)], journal=journal))
    assert got == {} and "26/11/2026" in result.states["F1"].next_action


def test_the_ladder_ends_after_the_last_stage():
    due = J(90)
    journal = [sent("F1", s, due + timedelta(days=d))
               for s, d in (("amiable", 1), ("renforcee", 8), ("demeure", 30), ("recouvrement", 45))]
    got, result = stages_today(register([invoice("F1", due=due)], journal=journal))
    assert got == {} and result.tasks == ()
    assert result.states["F1"].stage == "Dossier de recouvrement"


@pytest.mark.parametrize("changes, reason", [
    ({"status": "Payée"}, "payée"),
    ({"status": "Annulée"}, "annulée"),
    ({"status": "Litige"}, "litige"),
    ({"status": "Pause"}, "pause"),
    ({"status": "Échéancier"}, "échéancier"),
    ({"paid": Decimal("100.00")}, "payée"),
    ({"paid": Decimal("150.00")}, "payée"),
    ({"paid": Decimal("10.00"), "paid_on": TODAY}, "paiement reçu aujourd'hui"),
])
def test_stop_conditions(changes, reason):
    got, result = stages_today(register([invoice("F1", due=J(10), **changes)]))
    assert got == {}
    assert reason in result.states["F1"].next_action.lower()


def test_client_opted_out():
    got, result = stages_today(register([invoice("F1", due=J(10))], clients=[client("C1", auto=False)]))
    assert got == {} and "désactivées" in result.states["F1"].next_action


def test_partial_payment_reminds_the_remainder():
    got, result = stages_today(register([invoice("F1", due=J(3), amount="1000.00", paid=Decimal("400"),
                                                 paid_on=J(1))]))
    assert got == {"F1": "amiable"}
    assert result.reminders[0].total == Decimal("600.00")


def test_one_consolidated_message_per_client_highest_stage_wins():
    invoices = [invoice("F1", due=J(2)), invoice("F2", due=J(9)), invoice("F3", client="C2", due=J(2))]
    journal = [sent("F2", "amiable", J(9) + timedelta(days=1), key="old")]
    got, result = stages_today(register(invoices, journal=journal))
    assert got == {"F1": "amiable", "F2": "renforcee", "F3": "amiable"}
    by_client = {r.client.code: r for r in result.reminders}
    assert set(by_client) == {"C1", "C2"}
    assert by_client["C1"].stage == "renforcee"
    assert by_client["C1"].invoices == ("F2", "F1")  # oldest due first
    assert by_client["C1"].key == "2026-11-25/C1/renforcee"
    assert by_client["C1"].references == ("<F2.amiable@x>",)


def test_nothing_twice_the_same_day():
    reg = register([invoice("F1", due=J(3))], journal=[sent("F1", "amiable", TODAY, key="2026-11-25/C1/amiable")])
    got, result = stages_today(reg, Policy())
    assert got == {}
    assert result.states["F1"].reminders_sent == 1


def test_minimum_gap_between_contacts_counts_manual_calls():
    policy = replace(EVERY_DAY, schedule=ScheduleConfig(business_days_only=False, min_days_between_contacts=3))
    reg = register([invoice("F1", due=J(3))], journal=[manual("C1", TODAY - timedelta(days=2))])
    got, result = stages_today(reg, policy)
    assert got == {} and "prochain contact possible le 26/11/2026" in result.states["F1"].next_action
    reg = register([invoice("F1", due=J(3))], journal=[manual("C1", TODAY - timedelta(days=3))])
    got, _ = stages_today(reg, policy)
    assert got == {"F1": "amiable"}


@pytest.mark.parametrize("today, next_day", [
    (date(2026, 11, 28), "30/11/2026"),   # Saturday -> Monday
    (date(2026, 7, 14), "15/07/2026"),    # Fête nationale
    (date(2026, 12, 25), "28/12/2026"),   # Christmas, a Friday
])
def test_no_sending_on_weekends_and_holidays(today, next_day):
    got, result = stages_today(register([invoice("F1", due=today - timedelta(days=3))]), Policy(), today)
    assert got == {}
    assert next_day in result.states["F1"].next_action


def test_an_offset_landing_on_a_weekend_moves_to_the_next_business_day():
    due = date(2026, 11, 27)  # Friday: amiable J+1 is Saturday -> Monday 30th
    journal = [sent("F1", "pre", date(2026, 11, 23))]
    _, result = stages_today(register([invoice("F1", due=due)], journal=journal), Policy(), date(2026, 11, 27))
    assert result.states["F1"].next_action == "Relance amiable prévue le 30/11/2026"
    got, _ = stages_today(register([invoice("F1", due=due)], journal=journal), Policy(), date(2026, 11, 30))
    assert got == {"F1": "amiable"}


def test_send_window_is_checked_against_now():
    reg = register([invoice("F1", due=J(3))])
    evening = planner.plan(reg, Policy(), TODAY, at(TODAY, 19))
    assert not evening.window_open and evening.next_slot == at(TODAY + timedelta(days=1), 9)
    morning = planner.plan(reg, Policy(), TODAY, at(TODAY, 10))
    assert morning.window_open and morning.reminders


def test_missing_email_is_an_alert_not_a_crash():
    got, result = stages_today(register([invoice("F1", due=J(3))], clients=[client("C1", email="")]))
    assert got == {} and "sans email" in result.states["F1"].alert


def test_row_problems_reach_the_alert_column():
    problems = [RowProblem("Clients", 2, "Email", "adresse email invalide « x »", "D2", client="C1")]
    result = planner.plan(register([invoice("F1", due=J(3))]), EVERY_DAY, TODAY, problems=problems)
    assert "Clients!D2 (Email): adresse email invalide" in result.states["F1"].alert


def test_daily_limit_sends_the_oldest_first_and_defers_the_rest():
    policy = replace(EVERY_DAY, schedule=ScheduleConfig(business_days_only=False, daily_limit=2,
                                                        min_days_between_contacts=0))
    invoices = [invoice(f"F{i}", client=f"C{i}", due=J(1 + i)) for i in range(4)]
    result = planner.plan(register(invoices), policy, TODAY)
    assert [r.client.code for r in result.reminders] == ["C3", "C2"]
    assert [r.client.code for r in result.deferred] == ["C1", "C0"]
    assert "limite quotidienne" in result.states["F0"].next_action


def test_planning_is_deterministic():
    invoices = [invoice(f"F{i}", client=f"C{i % 3}", due=J(i)) for i in range(-6, 40)]
    reg = register(invoices)
    assert planner.plan(reg, EVERY_DAY, TODAY) == planner.plan(reg, EVERY_DAY, TODAY)


def test_strategic_clients_have_their_account_manager_in_cc():
    strategic = client("C1", segment="Stratégique", account_manager="am@example.fr", cc=("boss@c1.fr",))
    _, result = stages_today(register([invoice("F1", due=J(3))], clients=[strategic]))
    assert result.reminders[0].cc == ("boss@c1.fr", "am@example.fr")
    _, result = stages_today(register([invoice("F1", due=J(3))], clients=[replace(strategic, segment="Standard")]))
    assert result.reminders[0].cc == ("boss@c1.fr",)


def test_open_escalation_task_is_updated_not_duplicated():
    journal = [sent(n, s, J(28) + timedelta(days=d), key=f"k{n}{s}") for n in ("F1", "F2")
               for s, d in (("pre", -5), ("amiable", 1), ("renforcee", 8))]
    reg = register([invoice("F1", due=J(28)), invoice("F2", due=J(28))], journal=journal,
                   tasks=[Task(TODAY, client="C1", invoices=("F1",), key="T/C1/sans-reponse/debut")])
    _, result = stages_today(reg)
    assert [t.key for t in result.tasks if "sans-reponse" in t.key] == []
    assert [(u.key, u.invoices) for u in result.task_updates] == [("T/C1/sans-reponse/debut", ("F1", "F2"))]


def test_calendar_updates_an_open_task_once_as_the_run_does():
    """The run rewrites the task's row once; the calendar must not announce the same update every day after."""
    from relance.core.forecast import simulate
    journal = [sent(n, s, J(28) + timedelta(days=d), key=f"k{n}{s}") for n in ("F1", "F2")
               for s, d in (("pre", -5), ("amiable", 1), ("renforcee", 8))]
    reg = register([invoice("F1", due=J(28)), invoice("F2", due=J(28))], journal=journal,
                   tasks=[Task(TODAY, client="C1", invoices=("F1",), key="T/C1/sans-reponse/debut")])
    days = list(simulate(reg, EVERY_DAY, TODAY, TODAY + timedelta(days=3)))
    assert [(d.today, u.invoices) for d in days for u in d.task_updates] == [(TODAY, ("F1", "F2"))]
