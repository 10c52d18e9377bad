"""`relance plan` announces what `relance run` does that day: the day's gates (send window, stale
payment data, test mode) are decided in the pure core (relance/core/decision.py), not in the runner.

Through the CLI, on both backends (`reg` fixture)."""

import json
from datetime import date, timedelta
from decimal import Decimal

import time_machine
from typer.testing import CliRunner

from relance.cli import app

from conftest import TODAY, at

cli = CliRunner()


def invoke(*args):
    result = cli.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code in (0, 2), result.output
    return result


def plan_json(workdir, *args):
    return json.loads(invoke("plan", "--config", workdir / "config.toml", "--format", "json", *args).output)


def late(number="F1", client="C1", days=3, **kw):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=days), "amount": Decimal(100), **kw}


def test_plan_after_the_send_window_says_hors_creneau_and_run_sends_nothing(reg, workdir):
    reg.create([late()])
    with time_machine.travel(at(TODAY, 20), tick=False):  # 20:00 in Paris: the window closed at 18:00
        rows = plan_json(workdir)
        assert [r["action"] for r in rows if r["invoice"] == "F1"] == ["retenu"]
        notes = [r["reason"] for r in rows if r["action"] == "note"]
        assert notes and notes[0].startswith("hors créneau d'envoi") and "26/11/2026" in notes[0]
        table = invoke("plan", "--config", workdir / "config.toml").output
        assert "hors créneau" in table and "1 message(s) retenu(s)" in table
        run = invoke("run", "--config", workdir / "config.toml")
        assert "0 message(s)" in run.output
    assert not list((workdir / "outbox").glob("*.eml"))
    assert reg.rows("Journal") == []


def test_plan_with_stale_payment_data_announces_no_email_and_the_task_run_opens(reg, workdir):
    reg.create([late(), late("F0", days=40, paid=Decimal(100), paid_on=date(2026, 11, 10), status="Payée")], payments_up_to=None)
    rows = plan_json(workdir, "--date", TODAY.isoformat())
    assert not [r for r in rows if r["action"] == "email"]
    assert [r["invoice"] for r in rows if r["action"] == "retenu"] == ["F1"]
    tasks = [r for r in rows if r["action"] == "tâche"]
    assert len(tasks) == 1 and tasks[0]["reason"].startswith("Relances suspendues : encaissements à jour au 10/11")
    invoke("run", "--config", workdir / "config.toml", "--date", TODAY.isoformat())
    assert [t["Clé"] for t in reg.rows("Tâches")] == [tasks[0]["message"]]
    assert not list((workdir / "outbox").glob("*.eml"))


def test_plan_in_test_mode_announces_the_sandbox_address_and_the_test_keys_run_uses(reg, workdir):
    from email import policy as email_policy
    from email.parser import BytesParser
    reg.create([late(), late("F2", "C2")])
    config = workdir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('test_recipient = ""',
                                                                 'test_recipient = "sandbox@example.fr"'),
                      encoding="utf-8")
    rows = [r for r in plan_json(workdir, "--date", TODAY.isoformat()) if r["action"] == "email"]
    assert {r["to"] for r in rows} == {"sandbox@example.fr"}
    assert all(r["message"].startswith("TEST/") for r in rows)
    invoke("run", "--config", config, "--date", TODAY.isoformat())
    sent = [BytesParser(policy=email_policy.default).parse(p.open("rb")) for p in (workdir / "outbox").glob("*.eml")]
    assert sorted(m["X-Relance-Key"] for m in sent) == sorted(r["message"] for r in rows)
    assert all(m["Subject"].startswith("[TEST] ") for m in sent)
    assert [r for r in plan_json(workdir, "--date", TODAY.isoformat()) if r["action"] == "email"] == []


def test_calendar_does_not_promise_sends_while_payment_data_is_stale(reg, workdir):
    reg.create([late(), late("F0", days=40, paid=Decimal(100), paid_on=date(2026, 11, 10), status="Payée")], payments_up_to=None)
    rows = plan_json(workdir, "--from", TODAY.isoformat(), "--to", (TODAY + timedelta(days=1)).isoformat())
    first = [r["action"] for r in rows if r["date"] == TODAY.isoformat() and r["invoice"] == "F1"]
    assert first == ["retenu"]  # as `run --date` would: held until payments are recorded


def test_plan_cells_are_the_bot_columns_run_writes(reg, workdir):
    reg.create([late(), late("F2", "C2", days=20), late("F3", "C3", days=-5)])
    rows = plan_json(workdir, "--date", TODAY.isoformat(), "--cells")
    cells = {r["invoice"]: r for r in rows if r["action"] == "colonnes"}
    invoke("run", "--config", workdir / "config.toml", "--date", TODAY.isoformat())
    written = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert set(cells) == set(written) == {"F1", "F2", "F3"}
    for number, row in written.items():
        assert (row["Prochaine action"] or "") == cells[number]["next_action"]
        assert (row["Étape"] or "") == cells[number]["stage"]
        assert int(row["Relances envoyées"] or 0) == int(cells[number]["reminders_sent"] or 0)
