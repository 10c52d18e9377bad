"""One clock per run: `--date D` is the instant of every decision and every stamp the run writes.

A rehearsal of several days with `relance run --date` must behave like the same days run for
real: the journal, `Dernière relance`, Historique and the Synthèse figures carry D (at the
send-window opening), never the machine's day, so the next stage is not held by a contact
"in the future" and a second run of the same day sends nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from typer.testing import CliRunner

from relance.cli import app
from relance.core.config import ScheduleConfig
from relance.core.timing import local_today, run_instant

from conftest import PARIS, TODAY, at, status_codes

DUE = TODAY - timedelta(days=1)   # amiable is due on TODAY (J+1), renforcée on J+8


def run(config, day: date, *extra: str):
    return CliRunner().invoke(app, ["run", "--config", str(config), "--date", day.isoformat(), *extra])


def journal_days(rows: list[dict]) -> list[str]:
    return [str(r["Horodatage"])[:10] for r in rows if status_codes([r["Statut"]])[0] == "sent"]


def no_freshness_gate(workdir) -> None:
    config = workdir / "config.toml"
    text = config.read_text(encoding="utf-8").replace("max_payment_data_age = 5", "max_payment_data_age = 0")
    config.write_text(text, encoding="utf-8")


def test_run_instant_is_the_real_time_today_and_the_window_opening_on_another_day():
    schedule = ScheduleConfig()
    wall = datetime(2026, 11, 30, 16, 42, tzinfo=PARIS)
    assert run_instant(schedule, None, wall) == wall
    assert run_instant(schedule, date(2026, 11, 30), wall) == wall
    assert run_instant(schedule, date(2026, 12, 7), wall) == datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
    # 23:30 UTC on 31/12 is already 1 January in Paris: "today" is the configured zone's day
    late = datetime.fromisoformat("2026-12-31T23:30:00+00:00")
    assert local_today(schedule, late) == date(2027, 1, 1)
    assert run_instant(schedule, date(2027, 1, 1), late).hour == 0


@pytest.mark.parametrize("machine_day", [date(2027, 1, 1), date(2028, 2, 29), date(2026, 12, 6)])
def test_a_rehearsed_fortnight_stamps_its_own_days_and_climbs_the_ladder(reg, workdir, machine_day):
    """J+1 amiable, J+8 renforcée, J+8 again: nothing; whatever the machine's own date."""
    no_freshness_gate(workdir)
    reg.create([{"invoice": "F1", "client": "C1", "due": DUE, "amount": Decimal("300.00")}])
    config = workdir / "config.toml"
    with time_machine.travel(at(machine_day, 15), tick=False):
        first = run(config, TODAY)
        assert first.exit_code == 0 and "1 message(s)" in first.output, first.output
        second = run(config, DUE + timedelta(days=8))
        assert second.exit_code == 0 and "1 message(s)" in second.output, second.output
        again = run(config, DUE + timedelta(days=8))
        assert again.exit_code == 0 and "1 message(s)" not in again.output, again.output
    journal = reg.rows("Journal")
    assert journal_days(journal) == [TODAY.isoformat(), (DUE + timedelta(days=8)).isoformat()]
    assert all(str(r["Horodatage"])[11:16] == "09:00" for r in journal if status_codes([r["Statut"]])[0] == "sent")
    invoice = reg.rows("Factures")[0]
    assert str(invoice["Dernière relance"]).startswith((DUE + timedelta(days=8)).isoformat())
    history = [str(r.get("Date") or r.get("Exécution") or next(iter(r.values()))) for r in reg.rows("Historique")]
    assert not any(h.startswith(machine_day.isoformat()) for h in history), history


def test_the_minimum_gap_counts_from_the_rehearsed_day(reg, workdir):
    """Two invoices of one client: amiable on TODAY, a second invoice due the next day is held by the gap."""
    no_freshness_gate(workdir)
    reg.create([{"invoice": "F1", "client": "C1", "due": DUE, "amount": Decimal("100.00")},
                {"invoice": "F2", "client": "C1", "due": TODAY, "amount": Decimal("200.00")}])
    config = workdir / "config.toml"
    with time_machine.travel(at(TODAY + timedelta(days=40), 15), tick=False):
        assert "1 message(s)" in run(config, TODAY).output
        next_day = run(config, TODAY + timedelta(days=1))
    assert next_day.exit_code == 0 and "1 message(s)" not in next_day.output, next_day.output
    assert len({r["Clé"] for r in reg.rows("Journal") if status_codes([r["Statut"]])[0] == "sent"}) == 1


def test_smtp_refuses_another_day_but_a_dry_run_rehearses_it(workdir):
    from conftest import xlsx_register
    no_freshness_gate(workdir)
    config = workdir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('mailer = "outbox"', 'mailer = "smtp"'),
                      encoding="utf-8")
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": DUE, "amount": Decimal("100.00")}])
    with time_machine.travel(at(TODAY + timedelta(days=3), 15), tick=False):
        refused = run(config, TODAY)
        rehearsed = run(config, TODAY, "--dry-run")
    said = " ".join(refused.output.split())
    assert refused.exit_code == 1 and "mailer SMTP" in said and "--dry-run" in said, refused.output
    assert len(refused.output.strip().splitlines()) <= 3   # one sentence, no traceback
    assert rehearsed.exit_code == 0 and "1 message(s)" in rehearsed.output, rehearsed.output
    assert len(list((workdir / "outbox" / "dry-run").glob("*.eml"))) == 1
