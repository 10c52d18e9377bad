"""Property: for any register and any moment, `relance run` does exactly what `relance plan --format json
--cells` announced for that moment: the same messages (key, recipients, invoices), the same tasks, the
same bot cells. On both backends (`reg`), through the CLI, the wall clock frozen at a random day and hour
(so the send window, weekends, stale payment data and the contact gap all get their turn)."""

import json
import shutil
from datetime import datetime, time, timedelta
from decimal import Decimal
from email import policy as email_policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import time_machine
from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from relance.cli import app

from conftest import TODAY

cli = CliRunner()
PARIS = ZoneInfo("Europe/Paris")
STATUSES = ["", "", "", "", "Payée", "Litige", "Pause"]
EARLIER_STAGES = ["pre_relance", "amiable", "renforcee"]


@st.composite
def registers(draw):
    codes = [f"C{i}" for i in range(draw(st.integers(1, 4)))]
    clients = [{"code": c, "name": f"Client {c}", "email": draw(st.sampled_from([f"{c.lower()}@x.fr"] * 3 + [""])),
                "segment": draw(st.sampled_from(["Standard", "Standard", "Stratégique", "Particulier"])),
                "address": "1 rue de la Paix, 75002 Paris"} for c in codes]
    invoices, journal = [], []
    for k in range(draw(st.integers(1, 8))):
        amount = Decimal(draw(st.integers(10, 9000)))
        paid = draw(st.sampled_from([Decimal(0), Decimal(0), Decimal(0), amount, (amount / 2).quantize(Decimal(1))]))
        client = draw(st.sampled_from(codes))
        invoices.append({"invoice": f"F{k}", "client": client, "due": TODAY + timedelta(days=draw(st.integers(-60, 10))),
                         "amount": amount, "paid": paid or None, "status": draw(st.sampled_from(STATUSES)),
                         "paid_on": TODAY - timedelta(days=draw(st.sampled_from([0, 1, 2, 15]))) if paid else None})
        if draw(st.booleans()):  # an earlier reminder, some days ago
            sent_at = datetime.combine(TODAY - timedelta(days=draw(st.integers(1, 20))), time(9, 30), tzinfo=PARIS)
            stage = draw(st.sampled_from(EARLIER_STAGES))
            key = f"{sent_at.date().isoformat()}/{client}/{stage}"
            journal.append({"timestamp": sent_at.replace(tzinfo=None), "invoice": f"F{k}", "client": client,
                            "stage": stage, "channel": "email", "status": "sent", "key": key,
                            "message_id": f"<{key}@x.fr>", "author": "relance"})
    day = TODAY + timedelta(days=draw(st.integers(-2, 9)))  # mostly business days, within the send window
    hour = draw(st.sampled_from([10, 11, 14, 16, 10, 11, 7, 19]))
    moment = datetime.combine(day, time(hour, draw(st.sampled_from([0, 30]))), tzinfo=PARIS)
    return clients, invoices, journal, moment


def cli_json(*args):
    result = cli.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=registers())
def test_run_does_exactly_what_plan_announced(reg, workdir, case):
    clients, invoices, journal, moment = case
    for folder in ("outbox", "letters"):
        shutil.rmtree(workdir / folder, ignore_errors=True)
    reg.create(invoices, clients, journal)
    config = workdir / "config.toml"
    before = {r["Clé"] for r in reg.rows("Tâches")}
    journal_before = len(reg.rows("Journal"))
    with time_machine.travel(moment, tick=False):
        announced = cli_json("plan", "--config", config, "--format", "json", "--cells")
        result = cli.invoke(app, ["run", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output

    emails = {(r["message"], r["invoice"]) for r in announced if r["action"] == "email"}
    new_rows = reg.rows("Journal")[journal_before:]
    sent = {(r["Clé"], r["N° facture"]) for r in new_rows if r["Canal"] == "email" and r["Statut"] in ("sent", "envoyé", "test")}
    assert sent == emails
    recipients = {r["message"]: r["to"] for r in announced if r["action"] == "email"}
    outbox = [BytesParser(policy=email_policy.default).parse(p.open("rb")) for p in (workdir / "outbox").glob("*.eml")]
    assert {m["X-Relance-Key"]: m["To"] for m in outbox} == recipients

    tasks = {r["message"] for r in announced if r["action"] == "tâche"}
    assert {r["Clé"] for r in reg.rows("Tâches")} - before == tasks

    cells = {r["invoice"]: r for r in announced if r["action"] == "colonnes"}
    written = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert set(cells) == set(written)
    for number, row in written.items():
        expected = cells[number]
        assert (row["Étape"] or "") == expected["stage"], number
        assert (row["Prochaine action"] or "") == expected["next_action"], number
        assert (row["Alerte"] or "") == expected["alert"], number
        assert int(row["Relances envoyées"] or 0) == int(expected["reminders_sent"] or 0), number
        assert Decimal(str(row["Pénalités"] or 0)) == Decimal(expected["penalties"] or 0), number
