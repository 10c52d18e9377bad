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


def test_rates_prints_the_table_in_force_with_each_rows_source(workdir):
    result = cli.invoke(app, ["rates", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()],
                        env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") > 5}
    assert "2,15" in rows["2025-H2"] and "2,76" in rows["2025-H2"] and "rates.toml" in rows["2025-H2"]
    assert "non confirmé" in rows["2026-H2"] and "manquant" in rows["2026-H2"]


def test_rates_set_writes_config_keeps_its_comments_and_check_accepts_it(workdir):
    config = workdir / "config.toml"
    late_register(workdir)
    before = config.read_text(encoding="utf-8")
    result = cli.invoke(app, ["rates", "set", "2026-H2", "--bce", "2.40", "--legal-pro", "3,10", "--legal-other",
                              "6.50", "--source", "https://www.ecb.europa.eu/x", "--config", str(config)])
    assert result.exit_code == 0, result.output
    after = config.read_text(encoding="utf-8")
    block = ('[penalties.rates.2026-H2]\necb_refi = "2.40"\nlegal_consumer = "6.50"\nlegal_professional = "3.10"\n'
             'sources = ["https://www.ecb.europa.eu/x"]\n\n')
    assert after.replace(block, "", 1) == before  # the block added, every other line and comment kept
    shown = cli.invoke(app, ["rates", "--config", str(config), "--date", TODAY.isoformat()], env={"COLUMNS": "200"})
    row = next(line for line in shown.output.splitlines() if "2026-H2" in line)
    assert "confirmé" in row and "non confirmé" not in row and "config.toml" in row and "3,10" in row
    checked = cli.invoke(app, ["check", "--config", str(config)])
    assert "2026-H2" not in checked.output, checked.output  # (a later half-year may still be missing)
    ran = cli.invoke(app, ["run", "--config", str(config), "--date", TODAY.isoformat()])
    assert ran.exit_code == 0, ran.output
    # 100 € due 15/11/2026, 10 days at 2,40 + 10 = 12,40 %: 100 × 12.40 × 10 / 36500 = 0,34 + 40 €
    assert {r["N° facture"]: r["Pénalités"] for r in sheet_rows(workdir / "registre.xlsx", "Factures")}["F0"] == 40.34


def test_rates_set_refuses_what_the_rate_table_would_refuse(workdir):
    config = workdir / "config.toml"
    before = config.read_text(encoding="utf-8")
    for args in (["2026-H3", "--bce", "2.40"], ["2026-H2", "--bce", "deux"], ["2026-H2"],
                 ["2026-H2", "--legal-pro", "-1"]):
        result = cli.invoke(app, ["rates", "set", *args, "--config", str(config)])
        assert result.exit_code == 1 and "Erreur" in result.output, (args, result.output)
    assert config.read_text(encoding="utf-8") == before


def test_plan_says_the_missing_rate_once(workdir):
    late_register(workdir)
    result = cli.invoke(app, ["plan", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])
    assert flat(result.output).count('[penalties.rates."2026-H2"] ecb_refi = "2.40"') == 1, result.output
