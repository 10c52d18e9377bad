"""Synthèse and Historique as a manager opens them: xlsx formats and charts, Sheets requests, CLI, runner."""

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, LineChart
from openpyxl.utils.cell import range_to_tuple
from typer.testing import CliRunner

from relance.core import cells
from relance import runner
from relance.adapters.backends import Changes
from relance.adapters.backends.sheets_summary import layout_requests
from relance.adapters.backends.xlsx import MONEY_FORMAT, XlsxBackend
from relance.cli import app
from relance.dashboard.layout import NUMBER_FORMATS
from relance.dashboard.summary import BUCKETS, KPIS, HistoryRow, RunResult, compute
from relance.dashboard.summary_layout import DSO_COLUMN, HISTORY_COLUMNS, layouts, read_history

from conftest import TODAY, at, client, invoice, register, sent, sheet_rows, xlsx_register, status_codes

ROOT = Path(__file__).resolve().parents[1]
cli = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`relance demo` once for the module: (folder, workbook as openpyxl loads it back)."""
    folder = tmp_path_factory.mktemp("demo") / "d"
    result = cli.invoke(app, ["demo", "--dir", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder, openpyxl.load_workbook(folder / "registre.xlsx")


def referenced(workbook, ref: str) -> list:
    title, (min_col, min_row, max_col, max_row) = range_to_tuple(ref)
    sheet = workbook[title]
    return [sheet.cell(row=r, column=c).value for r in range(min_row, max_row + 1)
            for c in range(min_col, max_col + 1)]


def label_row(sheet, label: str) -> int:
    return next(row[0].row for row in sheet.iter_rows() if row[0].value == label)


def title_cell(sheet):
    """The title « Synthèse des relances au … », below the banner lines (e.g. a missing rate) if any."""
    return next(row[0] for row in sheet.iter_rows() if str(row[0].value or "").startswith("Synthèse des relances"))


def test_demo_workbook_has_synthese_with_aging_bar_chart_and_dso_line_chart(demo):
    _, wb = demo
    synthese = wb["Synthèse"]
    bars = [c for c in synthese._charts if isinstance(c, BarChart)]
    lines = [c for c in synthese._charts if isinstance(c, LineChart)]
    assert len(bars) == 1 and len(lines) == 1
    bar, line = bars[0], lines[0]
    assert bar.type == "col" and len(bar.series) == 1
    assert referenced(wb, bar.series[0].cat.strRef.f) == list(BUCKETS)
    amounts = referenced(wb, bar.series[0].val.numRef.f)
    total_row = label_row(synthese, "Total")
    assert sum(Decimal(repr(a)) for a in amounts) == Decimal(repr(synthese.cell(row=total_row, column=2).value))

    dso_ref, days_ref = line.series[0].val.numRef.f, line.series[0].cat.numRef.f
    assert dso_ref.startswith("'Historique'!$G$") and days_ref.startswith("'Historique'!$A$")
    assert wb["Historique"].cell(row=1, column=DSO_COLUMN + 1).value == "DSO (90 jours)"
    days = referenced(wb, days_ref)
    assert len(days) == 13 and days == sorted(days)  # eleven sample weeks, the previous business day, the demo run
    assert days[-1].strftime("%d/%m/%Y") == title_cell(synthese).value[-10:]  # the last point is the run's day
    dso_row = label_row(synthese, "DSO (90 jours)")
    assert referenced(wb, dso_ref)[-1] == synthese.cell(row=dso_row, column=2).value  # today's point = the KPI


def test_demo_synthese_is_formatted_for_a_french_manager(demo):
    _, wb = demo
    synthese, history = wb["Synthèse"], wb["Historique"]
    kinds = {k.label: k.kind for k in KPIS}
    first = label_row(synthese, "Indicateur") + 1
    for row in synthese.iter_rows(min_row=first, max_row=first + len(KPIS) - 1):
        label, value = row[0].value, row[1]
        assert value.number_format == {"money": MONEY_FORMAT, "percent": "0.0 %", "days": '0.0 "j"',
                                       "count": "#,##0"}[kinds[label]], label
    assert synthese.cell(row=label_row(synthese, "Indicateur"), column=1).font.b
    assert title_cell(synthese).font.b
    assert history["A1"].font.b and history.freeze_panes == "A2"
    assert history["A2"].number_format == "dd/mm/yyyy" and history["B2"].number_format == "dd/mm/yyyy hh:mm"
    for sheet in (synthese, history):
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, float):  # no 1234.5600001: cents, or a rate to 0.1 %
                    places = -Decimal(repr(cell.value)).as_tuple().exponent
                    assert places <= (3 if "%" in cell.number_format else 2), (cell.coordinate, cell.value)
                assert cell.data_type != "f", cell.coordinate


def test_historique_round_trips_exactly_through_the_workbook(tmp_path, policy):
    path = xlsx_register(tmp_path, [])
    rows = (HistoryRow(TODAY - timedelta(days=7), at(TODAY - timedelta(days=7)), Decimal("1234.56"),
                       Decimal("1000.10"), Decimal("0.810"), Decimal("4500.00"), Decimal("98.7"), Decimal("80.0"),
                       Decimal("12.3"), Decimal("0.333"), Decimal("0.667"), 7, 6, 2, 3, 1, 2, 9, 4),
            HistoryRow(TODAY, None, Decimal("10.00")))  # a day without a run: its run cells stay empty
    history, synthese = layouts(compute(register([]), policy, TODAY + timedelta(days=1), history_rows=rows))
    XlsxBackend(path).apply(Changes(layouts=(history, synthese)))
    back = read_history(XlsxBackend(path).load()["Historique"])
    assert back[:2] == rows


def test_read_history_survives_a_damaged_tab():
    from relance.core.model import RawTab
    raw = RawTab("Historique", [["Encours clients", "Date", "DSO (90 jours)"], [5, "pas une date", 3],
                                ["abc", "20/11/2026", "n/a"], [None, None, None]])
    assert read_history(raw) == (HistoryRow(date(2026, 11, 20)),)
    assert read_history(RawTab("Historique", [["autre chose"]])) == ()


def summary_for_sheets(policy):
    clients = [client("C1", name="=HYPERLINK(\"http://x\")")]  # a formula-looking name stays text
    reg = register([invoice("F1", due=TODAY - timedelta(days=40), issued=TODAY - timedelta(days=70),
                            amount="1234.56")], clients, [sent("F1", "amiable", TODAY - timedelta(days=39))])
    rows = (HistoryRow(TODAY - timedelta(days=7), dso=Decimal("90.0")),)
    return compute(reg, policy, TODAY, RunResult(at(TODAY), sent=1), rows)


def test_sheets_requests_rewrite_both_tabs_with_formats_and_add_both_charts(policy):
    history, synthese = layouts(summary_for_sheets(policy))
    ids = {"Historique": 11, "Synthèse": 22}
    requests = layout_requests((history, synthese), ids, old_chart_ids=[5, 6])
    json.dumps(requests)  # plain JSON: no Decimal, no date object
    kinds = [next(iter(r)) for r in requests]
    assert kinds[:2] == ["deleteEmbeddedObject"] * 2 and requests[1]["deleteEmbeddedObject"] == {"objectId": 6}
    assert kinds.count("addChart") == 2 and kinds[-2:] == ["addChart", "addChart"]
    assert "formulaValue" not in json.dumps(requests)

    clears = [r["updateCells"] for r in requests if "updateCells" in r and "rows" not in r["updateCells"]]
    assert clears == [{"range": {"sheetId": sid}, "fields": "userEnteredValue,userEnteredFormat"} for sid in (11, 22)]
    writes = {r["updateCells"]["start"]["sheetId"]: r["updateCells"] for r in requests
              if "updateCells" in r and "rows" in r["updateCells"]}
    assert writes[22]["fields"] == "userEnteredValue" and len(writes[22]["rows"]) == len(synthese.rows)
    kpi_row = writes[22]["rows"][6]["values"]  # row 7: Encours clients (after the title, « Encaissements à jour au »…)
    assert kpi_row[0] == {"userEnteredValue": {"stringValue": "Encours clients"}}
    assert kpi_row[1] == {"userEnteredValue": {"numberValue": 1234.56}}
    debtor = next(r["values"] for r in writes[22]["rows"]
                  if r["values"] and r["values"][0] == {"userEnteredValue": {"stringValue": "C1"}})
    assert debtor[1] == {"userEnteredValue": {"stringValue": "=HYPERLINK(\"http://x\")"}}
    first_day = writes[11]["rows"][1]["values"][0]["userEnteredValue"]["numberValue"]
    assert cells.parse_date(first_day) == TODAY - timedelta(days=7)  # a serial number Sheets shows as a date

    formats = [r["repeatCell"] for r in requests if "repeatCell" in r
               and "numberFormat" in r["repeatCell"]["cell"]["userEnteredFormat"]]
    money = next(f for f in formats if f["range"]["sheetId"] == 22 and f["range"]["startRowIndex"] <= 6 <
                 f["range"]["endRowIndex"] and f["range"]["startColumnIndex"] == 1)
    assert money["cell"]["userEnteredFormat"]["numberFormat"] == {"type": "CURRENCY",
                                                                   "pattern": NUMBER_FORMATS["money"]}
    assert money["fields"] == "userEnteredFormat.numberFormat"
    dso_column = [f for f in formats if f["range"]["sheetId"] == 11 and f["range"]["startColumnIndex"] == DSO_COLUMN]
    assert len(dso_column) == 1 and dso_column[0]["range"]["startRowIndex"] == 1  # one request per column run
    bold = [r["repeatCell"] for r in requests if "repeatCell" in r
            and r["repeatCell"]["cell"]["userEnteredFormat"].get("textFormat", {}).get("bold")]
    assert {"sheetId": 11, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0,
            "endColumnIndex": len(HISTORY_COLUMNS)} in [b["range"] for b in bold]

    bar, line = (r["addChart"]["chart"] for r in requests[-2:])
    assert bar["spec"]["basicChart"]["chartType"] == "COLUMN" and line["spec"]["basicChart"]["chartType"] == "LINE"
    aging = bar["spec"]["basicChart"]["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert aging["sheetId"] == 22 and aging["endRowIndex"] - aging["startRowIndex"] == len(BUCKETS)
    assert [synthese.rows[i][0] for i in range(aging["startRowIndex"], aging["endRowIndex"])] == list(BUCKETS)
    dso = line["spec"]["basicChart"]["series"][0]["series"]["sourceRange"]["sources"][0]
    assert dso == {"sheetId": 11, "startRowIndex": 1, "endRowIndex": 3, "startColumnIndex": DSO_COLUMN,
                   "endColumnIndex": DSO_COLUMN + 1}
    assert bar["position"]["overlayPosition"]["anchorCell"]["sheetId"] == 22


def test_a_run_writes_both_tabs_and_a_second_run_the_same_day_replaces_its_row(workdir, workdir_policy):
    path = xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3),
                                    "issued": TODAY - timedelta(days=33), "amount": Decimal("100.00")}])
    runner.run(workdir_policy, today=TODAY, now=at(TODAY))
    runner.run(workdir_policy, today=TODAY, now=at(TODAY, 15))
    history = sheet_rows(path, "Historique")
    assert len(history) == 1 and history[0]["Messages envoyés"] == 0  # the afternoon run sent nothing new
    assert history[0]["Encours clients"] == 100 and history[0]["DSO (90 jours)"] == 90  # 100 / 100 of sales × 90
    tomorrow = TODAY + timedelta(days=1)
    runner.run(workdir_policy, today=tomorrow, now=at(tomorrow))
    assert [r["Date"].date() for r in sheet_rows(path, "Historique")] == [TODAY, tomorrow]
    synthese = openpyxl.load_workbook(path)["Synthèse"]
    assert len(synthese._charts) == 2  # recreated with the tab, not piled up


def test_a_failing_summary_never_costs_the_journal(workdir, workdir_policy, monkeypatch):
    import relance.dashboard.summary_layout
    path = xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3),
                                    "amount": Decimal("100.00")}])

    def broken(*args):
        raise ZeroDivisionError("boom")
    monkeypatch.setattr(relance.dashboard.summary_layout, "run_layouts", broken)
    report = runner.run(workdir_policy, today=TODAY, now=at(TODAY))
    assert status_codes(r["Statut"] for r in sheet_rows(path, "Journal")) == ["pending", "sent"]
    assert any("Synthèse non mis à jour" in note and "boom" in note for note in report.notes)


def test_summary_command_prints_table_csv_and_json_without_writing(demo, tmp_path):
    folder, wb = demo
    config, register_file = folder / "config.toml", folder / "registre.xlsx"
    before = register_file.read_bytes()
    day = wb["Historique"].cell(row=wb["Historique"].max_row, column=1).value.date().isoformat()
    base = ["summary", "--config", str(config), "--date", day]
    table = cli.invoke(app, base, catch_exceptions=False)
    assert table.exit_code == 0
    assert all(k.label in table.output for k in KPIS) and "Balance âgée" in table.output
    assert "Dernière exécution" in table.output and "message(s) envoyé(s)" in table.output

    as_json = json.loads(cli.invoke(app, [*base, "--format", "json"]).output)
    kpis = {k["key"]: k["value"] for k in as_json["kpis"]}
    synthese = wb["Synthèse"]
    assert Decimal(kpis["outstanding"]) == Decimal(repr(synthese.cell(row=label_row(synthese, "Encours clients"),
                                                                      column=2).value))
    assert as_json["last_run"]["sent"] >= 6 and len(as_json["aging"]) == 5 and len(as_json["trend"]) == 12

    out = tmp_path / "kpi.csv"
    written = cli.invoke(app, [*base, "--format", "csv", "--output", str(out)])
    assert written.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")), delimiter=";"))
    assert [r["key"] for r in rows if r["section"] == "indicateur"] == [k.key for k in KPIS]
    assert {r["section"] for r in rows} >= {"balance_agee", "etape", "debiteur", "tache", "derniere_execution"}
    assert register_file.read_bytes() == before

    bad = cli.invoke(app, ["summary", "--config", str(config), "--format", "xml"])
    assert bad.exit_code == 1 and "table, csv ou json" in bad.output
    assert cli.invoke(app, ["summary", "--config", str(config), "--output", str(out)]).exit_code == 1


def test_readme_lists_every_kpi_and_the_number_formats_agree():
    readme = (ROOT / "docs" / "summary.md").read_text(encoding="utf-8")
    assert "# Managers' summary" in readme
    for kpi in KPIS:
        assert kpi.label in readme, kpi.label
    assert NUMBER_FORMATS["money"] == MONEY_FORMAT


def test_sheets_requests_are_accepted_by_the_fake_server_and_charts_do_not_pile_up(policy):
    """The same requests through real gspread to the local fake Sheets API, twice (two runs)."""
    from gspread.utils import ValueRenderOption

    from tests.fakes.gspread_local import local_client
    from tests.fakes.sheets_server import FakeSheetsServer

    history, synthese = layouts(summary_for_sheets(policy))
    with FakeSheetsServer() as fake:
        key = fake.create_spreadsheet("Registre", {"Factures": [["N° facture"]], "Synthèse": [["ancien"] * 9] * 80,
                                                   "Historique": []})
        spreadsheet = local_client(fake.base_url).open_by_key(key)
        ids = {ws.title: ws.id for ws in spreadsheet.worksheets()}
        for _ in range(2):
            meta = spreadsheet.fetch_sheet_metadata()
            old = [c["chartId"] for s in meta["sheets"] for c in s.get("charts", [])]
            spreadsheet.batch_update({"requests": layout_requests((history, synthese), ids, old)})
        meta = spreadsheet.fetch_sheet_metadata()
        charts = {s["properties"]["title"]: s.get("charts", []) for s in meta["sheets"]}
        assert [c["spec"]["basicChart"]["chartType"] for c in charts["Synthèse"]] == ["COLUMN", "LINE"]
        values = spreadsheet.worksheet("Synthèse").get_all_values(value_render_option=ValueRenderOption.unformatted)
        assert values[6][:2] == ["Encours clients", 1234.56]
        assert len(values) == len(synthese.rows) and "ancien" not in {v for row in values for v in row}
        assert spreadsheet.worksheet("Historique").row_values(1)[0] == "Date"
