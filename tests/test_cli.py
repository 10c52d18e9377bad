"""The real commands, through typer's runner, on registers in temporary folders.

Commands that read or write a register run on both backends (`reg` fixture: .xlsx, and
the local fake Google Sheets server through the production credentials path)."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from relance.cli import app

from conftest import TODAY, sheet_rows, xlsx_register, status_codes
from registers import use_own_identity

ROOT = Path(__file__).resolve().parents[1]
cli = CliRunner()


def invoke(*args):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_demo_runs_end_to_end_offline(tmp_path):
    result = invoke("demo", "--dir", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    outbox = list((tmp_path / "demo" / "outbox").glob("*.eml"))
    assert len(outbox) >= 6
    assert "message(s) écrit(s)" in result.output and "problème(s)" in result.output
    rows = sheet_rows(tmp_path / "demo" / "registre.xlsx", "Factures")
    assert sum(1 for r in rows if r["Étape"]) >= 6
    assert any("31/02/2026" in (r["Alerte"] or "") for r in rows)
    again = invoke("demo", "--dir", tmp_path / "demo")  # rebuilds its own folder
    assert again.exit_code == 0


def test_demo_never_wipes_a_folder_it_did_not_create(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "precious.txt").write_text("keep", encoding="utf-8")
    result = cli.invoke(app, ["demo", "--dir", str(tmp_path / "mine")])
    assert result.exit_code == 1 and (tmp_path / "mine" / "precious.txt").exists()


def test_init_creates_register_and_config_then_refuses_to_overwrite(tmp_path):
    result = invoke("init", tmp_path / "compta.xlsx")
    assert result.exit_code == 0
    assert 'path = "compta.xlsx"' in (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert cli.invoke(app, ["init", str(tmp_path / "compta.xlsx")]).exit_code == 1
    check = invoke("check", "--config", tmp_path / "config.toml")
    assert check.exit_code == 1 and "[company] siren" in check.output  # init's sample identity must be replaced
    use_own_identity(tmp_path / "config.toml")
    check = invoke("check", "--config", tmp_path / "config.toml")
    assert check.exit_code == 0 and "Tout est en ordre" in check.output


def test_check_exits_1_and_lists_problems(reg, workdir):
    reg.create([{"invoice": "F1", "client": "C1", "due": "bientôt", "amount": Decimal(1)}])
    result = cli.invoke(app, ["check", "--config", str(workdir / "config.toml"), "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.output)
    assert problems[0]["cell"] == "D2" and "date illisible" in problems[0]["message"]


def test_config_errors_are_one_sentence_not_a_traceback(workdir):
    (workdir / "config.toml").write_text("[schedule]\ndaily_limt = 3\n", encoding="utf-8")
    result = cli.invoke(app, ["plan", "--config", str(workdir / "config.toml")])
    assert result.exit_code == 1 and "[schedule].daily_limt : clé inconnue" in result.output
    assert "Traceback" not in result.output


def test_plan_shows_tomorrow_without_touching_anything(reg, workdir):
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY, "amount": Decimal(10)}])
    before = reg.snapshot()
    result = invoke("plan", "--config", workdir / "config.toml", "--date", (TODAY + timedelta(days=1)).isoformat(),
                    "--format", "json")
    rows = [r for r in json.loads(result.output) if r["action"] != "note"]  # notes: e.g. a missing 2026-H2 rate
    assert [(r["invoice"], r["stage"]) for r in rows] == [("F1", "Relance amiable")]
    assert reg.snapshot() == before
    table = invoke("plan", "--config", workdir / "config.toml", "--date", TODAY.isoformat(), "--all")
    assert "F1" in table.output and "Pré-relance" in table.output
    bad = cli.invoke(app, ["plan", "--config", str(workdir / "config.toml"), "--date", "demain"])
    assert bad.exit_code == 1 and "AAAA-MM-JJ" in bad.output


def test_preview_prints_the_next_message(reg, workdir, tmp_path):
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY + timedelta(days=20),
                             "amount": Decimal("1234.5")}])
    result = invoke("preview", "F1", "--config", workdir / "config.toml", "--date", TODAY.isoformat(),
                    "--html", tmp_path / "m.html")
    assert result.exit_code == 0
    assert "Objet : Échéance prochaine de la facture F1" in result.output
    assert "1 234,50 €" in result.output.replace("\u202f", " ").replace("\xa0", " ")
    assert "<table" in (tmp_path / "m.html").read_text(encoding="utf-8")
    missing = cli.invoke(app, ["preview", "F404", "--config", str(workdir / "config.toml")])
    assert missing.exit_code == 1 and "introuvable" in missing.output


def test_run_with_date_and_dry_run(reg, workdir):
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=2), "amount": Decimal(10)}])
    dry = invoke("run", "--config", workdir / "config.toml", "--date", TODAY.isoformat(), "--dry-run")
    assert dry.exit_code == 0 and "APERÇU" in dry.output
    real = invoke("run", "--config", workdir / "config.toml", "--date", TODAY.isoformat())
    assert real.exit_code == 0 and "1 message(s)" in real.output
    assert status_codes(r["Statut"] for r in reg.rows("Journal")) == ["pending", "sent"]
    assert len(list((workdir / "outbox").glob("*.eml"))) == 1


def test_locked_workbook_is_refused_before_anything_is_sent(workdir):
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=2), "amount": Decimal(10)}])
    (workdir / ".~lock.registre.xlsx#").write_text("x", encoding="utf-8")
    result = cli.invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])
    assert result.exit_code == 1 and "fermez-le" in result.output
    assert not (workdir / "outbox").exists()


def commands() -> list[str]:
    return sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def test_every_command_has_help_in_french_with_an_example():
    for name in [*commands(), "rates", "rates set"]:
        result = invoke(*name.split(), "--help")
        assert result.exit_code == 0 and "Exemple : relance " in result.output, name
        text = " ".join(result.output.split())  # rich wraps to the terminal's width
        assert "Affiche cette aide et quitte." in text and "Show this message" not in text, name
        assert "Example" not in text and "[default:" not in text, name


def test_readme_documents_every_command_and_its_first_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = readme + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))
    for name in commands():
        assert f"relance {name}" in docs, name
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", readme, re.S)
    assert "relance demo" in blocks[0] and "pytest" in blocks[1]


def test_calendar_of_the_future_replays_the_policy_without_side_effects(reg, workdir):
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY, "amount": Decimal(10)},
                {"invoice": "F2", "client": "C1", "due": TODAY + timedelta(days=1), "amount": Decimal(20)}])
    before = reg.snapshot()
    result = invoke("plan", "--config", workdir / "config.toml", "--from", TODAY.isoformat(),
                    "--to", (TODAY + timedelta(days=40)).isoformat(), "--format", "json")
    rows = [(r["date"], r["invoice"], r["action"], r["stage"]) for r in json.loads(result.output)]
    assert rows[:4] == [("2026-11-25", "F1", "email", "Pré-relance"), ("2026-11-25", "F2", "email", "Pré-relance"),
                        # J+1 is the 26th, but the 3-day contact gap ends on Saturday 28th -> Monday 30th
                        ("2026-11-30", "F1", "email", "Relance amiable"), ("2026-11-30", "F2", "email", "Relance amiable")]
    assert ("2026-12-07", "F1", "email", "Relance renforcée") in rows  # 30/11 + the ladder's 7 days
    tasks = [(d, n) for d, n, a, _ in rows if a == "tâche"]
    assert tasks == [("2026-12-08", "F1, F2"),  # 3 reminders without reply: call the client
                     ("2026-12-29", "F1"), ("2026-12-29", "F2")]  # formal notices wait for approval
    assert not any(date.fromisoformat(d).weekday() >= 5 for d, *_ in rows)
    assert reg.snapshot() == before and not (workdir / "outbox").exists()
    table = invoke("plan", "--config", workdir / "config.toml", "--from", TODAY.isoformat(), "--to",
                   (TODAY + timedelta(days=40)).isoformat())
    assert "Calendrier du 25/11/2026" in table.output and "F1" in table.output


def test_printed_plan_stops_at_table_rows_and_says_how_many_more(monkeypatch):
    """A first run on a large register opens thousands of tasks: the console shows the first
    TABLE_ROWS and a count, the full list stays in `relance plan --format csv`."""
    import io

    from rich.console import Console

    from relance.cli import console as printers
    from relance.core.actions import NewTask, Plan
    from relance.core.config import Policy
    out = io.StringIO()
    monkeypatch.setattr(printers, "console", Console(file=out, width=200))
    tasks = tuple(NewTask(f"k{i}", f"C{i}", (f"F{i:05d}",), "Dossier de recouvrement", "Appeler")
                  for i in range(printers.TABLE_ROWS + 7))
    printers.print_plan(Plan(TODAY, tasks=tasks), Policy())
    text = out.getvalue()
    assert f"F{printers.TABLE_ROWS - 1:05d}" in text and f"F{printers.TABLE_ROWS:05d}" not in text
    assert "7 tâche(s) de plus" in text and "relance plan --format csv" in text
