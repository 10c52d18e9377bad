"""The workbook staff open: bot columns recognisable and explained, widths that fit, charts from 0."""

import openpyxl
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from relance.adapters.backends.gsheets_init import BOT_GREY, tab_requests
from relance.adapters.backends.sheets_summary import chart_request
from relance.cli import app
from relance.core import schema
from relance.dashboard.layout import ChartSpec



def test_every_bot_header_is_coloured_and_noted_in_every_tab_of_the_xlsx(tmp_path):
    assert CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "demo")]).exit_code == 0
    workbook = openpyxl.load_workbook(tmp_path / "demo" / "registre.xlsx")
    bots = 0
    for tab in schema.DATA_TABS:
        sheet = workbook[tab.name]
        for index, column in enumerate(tab.columns, start=1):
            cell = sheet.cell(row=1, column=index)
            if column.owner == schema.BOT:
                bots += 1
                assert cell.fill.fgColor.rgb.endswith(schema.BOT_HEADER_RGB), (tab.name, column.header)
                assert cell.comment is not None and cell.comment.text == schema.BOT_NOTE
            else:
                assert not cell.fill.fgColor.rgb.endswith(schema.BOT_HEADER_RGB) and cell.comment is None
    assert bots >= 7  # six in Factures, Clé in Tâches
    factures = workbook["Factures"]
    headers = [c.value for c in factures[1]]
    for header in ("Étape", "Prochaine action"):
        letter = get_column_letter(headers.index(header) + 1)
        longest = max(len(str(c.value or "")) for c in factures[letter])
        assert factures.column_dimensions[letter].width >= min(longest, 40), (header, longest)
    assert all(chart.y_axis.scaling.min == 0 for chart in workbook["Synthèse"]._charts)


def test_google_sheets_bot_headers_get_the_same_colour_and_note():
    colour = tuple(round(int(schema.BOT_HEADER_RGB[i:i + 2], 16) / 255, 3) for i in (0, 2, 4))
    assert tuple(BOT_GREY[k] for k in ("red", "green", "blue")) == colour
    for tab in (schema.FACTURES, schema.TACHES):
        requests = tab_requests(tab, 7)
        header = requests[0]["updateCells"]
        assert "note" in header["fields"]
        notes = {c["userEnteredValue"]["stringValue"]: c.get("note") for c in header["rows"][0]["values"]}
        for column in tab.columns:
            assert notes[column.header] == (schema.BOT_NOTE if column.owner == schema.BOT else None)


def test_sheets_charts_start_at_zero():
    from relance.dashboard.layout import Column
    spec = ChartSpec("LINE", "DSO", Column("Historique", 0, 1, 9), Column("Historique", 6, 1, 9), "DSO", (2, 8))
    axis = chart_request(spec, 1, {"Historique": 2})["addChart"]["chart"]["spec"]["basicChart"]["axis"]
    left = next(a for a in axis if a["position"] == "LEFT_AXIS")
    assert left["viewWindowOptions"]["viewWindowMin"] == 0
