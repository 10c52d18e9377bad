"""Properties of the planner over generated registers, replayed day after day (relance.forecast)."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from relance.core import planner
from relance.core.config import Policy
from relance.core.forecast import simulate
from relance.core.model import Client, Invoice, Register, Task

START = date(2026, 11, 2)
STATUSES = ["", "", "", "", "Payée", "Litige", "Pause", "Annulée"]
LADDER = [s.key for s in Policy().stages]


@st.composite
def registers(draw):
    n_clients = draw(st.integers(1, 5))
    clients = {}
    for i in range(n_clients):
        code = f"C{i}"
        clients[code] = Client(code, code, email=draw(st.sampled_from([f"{code}@x.fr", f"{code}@x.fr", ""])),
                               segment=draw(st.sampled_from(["Standard", "Standard", "Stratégique", "Particulier"])),
                               auto=draw(st.booleans()) or draw(st.booleans()), account_manager="am@x.fr")
    invoices = []
    for k in range(draw(st.integers(1, 12))):
        amount = Decimal(draw(st.integers(10, 9000)))
        paid = draw(st.sampled_from([Decimal(0), Decimal(0), amount, amount / 2]))
        invoices.append(Invoice(f"F{k}", draw(st.sampled_from(sorted(clients))),
                                START + timedelta(days=draw(st.integers(-90, 40))), amount,
                                paid=paid.quantize(Decimal("0.01")), status=draw(st.sampled_from(STATUSES)),
                                paid_on=START - timedelta(days=1) if paid else None))
    approved = tuple(Task(START, invoices=(i.number,), approved=True, key=f"T/{i.number}/demeure")
                     for i in invoices if draw(st.booleans()))
    return Register(tuple(invoices), clients, (), approved, ())


def stopped(invoice, client):
    return invoice.status in ("Payée", "Litige", "Pause", "Annulée") or invoice.remaining <= 0 or not client.auto


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registers())
def test_replayed_ladder_properties(register):
    per_client_day = defaultdict(int)
    stages_seen = defaultdict(list)
    for day_plan in simulate(register, Policy(), START, START + timedelta(days=75)):
        for reminder in day_plan.reminders:
            per_client_day[(reminder.client.code, day_plan.today)] += 1
            assert day_plan.today.weekday() < 5  # never on a weekend
            for line in reminder.lines:
                invoice = line.invoice
                assert not stopped(invoice, register.clients[invoice.client])  # nothing for closed invoices
                stages_seen[invoice.number].append(line.stage)
        for task in day_plan.tasks:
            if task.stage:
                for number in task.invoices:
                    stages_seen[number].append(task.stage)
    assert all(count == 1 for count in per_client_day.values())  # one message per client per day
    for number, stages in stages_seen.items():
        ranks = [LADDER.index(s) for s in stages]
        assert ranks == sorted(set(ranks)), (number, stages)  # each stage once, in order
        overdue = [r for r in ranks if Policy().stages[r].offset_days > 0]
        assert overdue == list(range(overdue[0], overdue[0] + len(overdue))) if overdue else True  # no skip
        assert not overdue or LADDER[overdue[0]] == "amiable"  # the first late stage is the first one


@settings(max_examples=30, deadline=None)
@given(registers(), st.integers(0, 60))
def test_planning_is_deterministic(register, offset):
    day = START + timedelta(days=offset)
    assert planner.plan(register, Policy(), day) == planner.plan(register, Policy(), day)
