"""Litiges (count, amount, average age) and the average reminder delay, in Synthèse and `relance summary`."""

import json
from datetime import timedelta
from decimal import Decimal

from typer.testing import CliRunner

from relance.cli import app
from relance.core.config import Policy
from relance.dashboard.summary import compute

from conftest import TODAY, invoice, register, sent

cli = CliRunner()


def test_disputes_and_reminder_delay_worked_example():
    invoices = [invoice("L1", due=TODAY - timedelta(days=40), amount="300", status="Litige"),
                invoice("L2", due=TODAY - timedelta(days=10), amount="100", status="Litige"),
                invoice("L3", due=TODAY + timedelta(days=5), amount="50", status="Litige", currency="USD"),
                invoice("L4", due=TODAY - timedelta(days=3), amount="70", status="Litige", paid=Decimal(70)),
                invoice("R1", due=TODAY - timedelta(days=20), amount="10"),
                invoice("R2", due=TODAY - timedelta(days=30), amount="10")]
    journal = [sent("R1", "pre", TODAY - timedelta(days=25)),  # before the due date: not a reminder after it
               sent("R1", "amiable", TODAY - timedelta(days=17)), sent("R1", "renforcee", TODAY - timedelta(days=10)),
               sent("R2", "amiable", TODAY - timedelta(days=25))]
    disputes = compute(register(invoices, journal=journal), Policy(), TODAY).disputes
    assert disputes.count == 3  # L4 is paid; L3 counts but its USD is not added to euros
    assert disputes.amount == Decimal("400.00")
    assert disputes.average_age == Decimal("16.7")  # (40 + 10 + 0) / 3
    assert disputes.reminder_delay == Decimal("4.0")  # R1: 3 days, R2: 5 days
    assert disputes.reminded == 2


def test_no_dispute_no_reminder_gives_unknown_not_zero():
    disputes = compute(register([invoice("F1")]), Policy(), TODAY).disputes
    assert disputes.count == 0 and disputes.average_age is None and disputes.reminder_delay is None


def test_summary_command_and_synthese_tab_show_them(reg, workdir):
    reg.create([{"invoice": "L1", "client": "C1", "due": TODAY - timedelta(days=40), "amount": Decimal(300),
                 "status": "Litige"},
                {"invoice": "F2", "client": "C1", "due": TODAY - timedelta(days=2), "amount": Decimal(10)}])
    config = str(workdir / "config.toml")
    result = cli.invoke(app, ["summary", "--config", config, "--date", TODAY.isoformat(), "--format", "json"])
    data = json.loads(result.output)
    assert data["disputes"]["count"] == 1 and Decimal(str(data["disputes"]["amount"])) == Decimal("300.00")
    table = cli.invoke(app, ["summary", "--config", config, "--date", TODAY.isoformat()])
    assert "Litiges en cours" in table.output and "Délai moyen de relance" in table.output
    run = cli.invoke(app, ["run", "--config", config, "--date", TODAY.isoformat()])
    assert run.exit_code == 0, run.output
    labels = [row for row in reg.rows("Synthèse")]
    flat = " ".join(str(v) for row in labels for v in (row.values() if isinstance(row, dict) else row) if v)
    assert "Litiges en cours" in flat and "Délai moyen de relance" in flat and "Montant en litige" in flat
