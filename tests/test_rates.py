"""A missing rate: the 40 € still counted, interest « à parfaire », one alert per run; `relance rates`."""

from datetime import timedelta

from typer.testing import CliRunner

from relance.cli import app
from relance.core.config import Policy
from relance.core.planner import Line, Reminder
from relance.messages.render import Renderer

from conftest import TODAY, at, client, invoice, sheet_rows, xlsx_register

NBSP = "\xa0"
cli = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace(NBSP, " ").split())


def test_penalty_lines_never_contradict_when_the_rate_is_missing():
    """2026-H2's ECB rate is unconfirmed in the packaged table: three late B2B invoices."""
    c = client("C1")
    lines = tuple(Line(invoice(f"F{i}", due=TODAY - timedelta(days=20 + i)), "renforcee", 20 + i) for i in range(3))
    text = flat(Renderer(Policy()).render(Reminder("k", c, "renforcee", lines, (c.email,)), TODAY, at(TODAY)).text)
    assert text.count("montant à parfaire") == 3
    assert text.count("Indemnité forfaitaire pour frais de recouvrement (art. D441-5 C. com.) : 40,00 €") == 3
    assert "Total des pénalités" not in text
    assert "Sous-total chiffré à ce jour (hors pénalités à parfaire) : 120,00 €" in text


def late_register(workdir, count=4):
    return xlsx_register(workdir, [{"invoice": f"F{i}", "client": "C1", "due": TODAY - timedelta(days=10 + i),
                                    "amount": "100"} for i in range(count)])


def test_one_alert_per_run_for_a_missing_rate_with_the_config_line(workdir):
    path = late_register(workdir)
    result = cli.invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])
    out = flat(result.output)
    line = '[penalties.rates."2026-H2"] ecb_refi = "2.40"'
    assert out.count(line) == 1, out
    rows = sheet_rows(path, "Factures")
    assert all(r["Alerte"] == "intérêts à parfaire : taux BCE 2026-H2 non confirmé (voir relance check)"
               for r in rows)
    assert all(r["Pénalités"] == 40 for r in rows)  # the indemnity needs no rate
    banner = [r[0] for r in sheet_rows_raw(path, "Synthèse") if r[0] and line in str(r[0])]
    assert len(banner) == 1 and "4 facture(s)" in banner[0]


def sheet_rows_raw(path, tab):
    import openpyxl
    return list(openpyxl.load_workbook(path)[tab].iter_rows(values_only=True))


def test_check_names_the_missing_rate_once(workdir):
    late_register(workdir)
    result = cli.invoke(app, ["check", "--config", str(workdir / "config.toml")])
    assert result.exit_code == 1
    assert flat(result.output).count('[penalties.rates."2026-H2"]') == 1, result.output
