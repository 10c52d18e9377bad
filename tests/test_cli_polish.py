"""CLI polish: --version, one CSV convention, honest dry runs, read-only commands beside Excel,
error messages printed as typed (no rich markup), paths never split mid-name."""

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance.cli import app

from conftest import TODAY, xlsx_register

cli = CliRunner()


def test_version():
    result = cli.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("relance ") and result.output.strip()[-1].isdigit()


def _register(workdir):
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=2),
                             "amount": Decimal("1234.56")},
                            {"invoice": "2026.11", "client": "C1", "due": TODAY - timedelta(days=2),
                             "amount": Decimal("10")}])
    return str(workdir / "config.toml")


def test_every_csv_uses_semicolons_and_decimal_commas(workdir):
    config = _register(workdir)
    plan = cli.invoke(app, ["plan", "--config", config, "--date", TODAY.isoformat(), "--format", "csv"])
    summary = cli.invoke(app, ["summary", "--config", config, "--date", TODAY.isoformat(), "--format", "csv"])
    for output in (plan.output, summary.output):
        header = output.splitlines()[0]
        assert ";" in header and "," not in header
    rows = list(csv.DictReader(io.StringIO(plan.output), delimiter=";"))
    assert {r["invoice"]: r["remaining"] for r in rows if r["action"] != "note"} == {"F1": "1234,56", "2026.11": "10,00"}  # ids stay as typed
    figures = {r["key"]: r["value"] for r in csv.DictReader(io.StringIO(summary.output), delimiter=";")}
    assert figures["outstanding"] == "1244,56"
    as_json = json.loads(cli.invoke(app, ["plan", "--config", config, "--date", TODAY.isoformat(),
                                          "--format", "json"]).output)
    assert {r["remaining"] for r in as_json if r["action"] != "note"} == {"1234.56", "10.00"}  # JSON keeps the dot for programs


def test_a_dry_run_never_says_tasks_were_opened(workdir):
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=2),
                             "amount": Decimal("9000")}])  # above the threshold: a human task at renforcée
    config = str(workdir / "config.toml")
    day = (TODAY + timedelta(days=7)).isoformat()
    assert cli.invoke(app, ["run", "--config", config, "--date", TODAY.isoformat()]).exit_code == 0
    dry = cli.invoke(app, ["run", "--config", config, "--date", day, "--dry-run"])
    assert "tâche(s) à ouvrir" in dry.output and "ouverte(s)" not in dry.output, dry.output


def test_read_only_commands_work_while_the_workbook_is_open_and_runs_refuse(workdir):
    config = _register(workdir)
    (workdir / "~$registre.xlsx").write_text("x", encoding="utf-8")
    before = (workdir / "registre.xlsx").read_bytes()
    for args in (["plan"], ["summary"], ["preview", "F1"]):
        result = cli.invoke(app, [*args, "--config", config, "--date", TODAY.isoformat()])
        assert result.exit_code == 0 and "fermez-le" not in result.output, (args, result.output)
    assert "F1" in cli.invoke(app, ["plan", "--config", config, "--date", TODAY.isoformat()]).output
    check = cli.invoke(app, ["check", "--config", config])
    assert "fermez-le" not in check.output and "problème" in check.output  # read, not refused
    run = cli.invoke(app, ["run", "--config", config, "--date", TODAY.isoformat()])
    assert run.exit_code == 1 and "fermez-le" in run.output
    assert (workdir / "registre.xlsx").read_bytes() == before


def test_error_messages_are_printed_as_typed_never_as_markup(tmp_path):
    weird = tmp_path / "a[/x]b" / "[bold]dossier-avec-un-nom-tres-long-qui-ne-doit-pas-etre-coupe-au-milieu"
    weird.mkdir(parents=True)
    (weird / "config.toml").write_text("[schedul]\nx = 1\n", encoding="utf-8")
    result = cli.invoke(app, ["plan", "--config", str(weird / "config.toml")], terminal_width=80)
    assert result.exit_code == 1
    assert "[schedul]" in result.output
    assert "Traceback" not in result.output
    missing = cli.invoke(app, ["plan", "--config", str(weird / "nope.toml")], terminal_width=80)
    assert missing.exit_code == 1
    joined = missing.output.replace("\n", "")
    assert str(weird / "nope.toml") in joined
    assert "dossier-avec-un-nom-tres-long-qui-ne-doit-pas-etre-coupe-au-milieu" in missing.output  # not split


@pytest.mark.parametrize("args, french", [
    (["fooo"], "commande inconnue « fooo »"),
    (["run", "--dryrun"], "option inconnue : --dryrun"),
    (["preview"], "argument manquant : FACTURE"),
    (["plan", "--format"], "l'option --format attend une valeur"),
    (["run", "extra"], "argument en trop : extra"),
])
def test_command_line_mistakes_are_told_in_french(args, french):
    """A typo on the command line is one French sentence (typer/click would say « No such option »),
    with the French usage line and exit code 2, like any usage error."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert french in result.output
    for english in ("Usage:", "Error", "Try ", "No such", "Missing", "Got unexpected", "requires"):
        assert english not in result.output


def test_help_paragraphs_are_not_cut_where_the_source_was():
    """The source's line breaks are not the screen's: a paragraph reads as one, list lines and examples
    stay one per line (typer's rich mode would print the docstring's breaks mid-sentence)."""
    from relance.cli.options import reflow
    doc = """Envoie les relances du jour, ouvre les tâches
    et reporte étapes.

    Codes de sortie :
    0 terminé ;
    75 un autre passage tient le verrou
    (réessayez plus tard).

    Exemple : relance run
    Exemple : relance run --dry-run
    """
    assert reflow(doc) == ("Envoie les relances du jour, ouvre les tâches et reporte étapes.\n\n"
                           "Codes de sortie :\n0 terminé ;\n75 un autre passage tient le verrou (réessayez plus tard)."
                           "\n\nExemple : relance run\nExemple : relance run --dry-run")
    result = CliRunner().invoke(app, ["plan", "--help"], prog_name="relance")
    assert "Utilisation : relance plan" in result.output
    examples = [line.strip() for line in result.output.splitlines() if "Exemple :" in line]
    assert len(examples) == 2 and all(line.startswith("Exemple : relance plan") for line in examples)


def test_ctrl_c_outside_the_sends_says_what_it_means_in_french(monkeypatch):
    import sys

    def interrupted(*_):
        raise KeyboardInterrupt
    monkeypatch.setattr(sys.modules["relance.cli.app"], "_policy", interrupted)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 130
    assert "Interrompu (Ctrl-C)" in result.output and "sans rien envoyer deux fois" in result.output
    assert "Aborted" not in result.output
