"""`SheetLayout`s (Synthèse, Historique) as Google Sheets API requests. Pure: no network.

The Google Sheets backend calls `layout_requests` and puts the result in the
run's one ``spreadsheets.batchUpdate``, so the two tabs change atomically with
their charts. For each layout, in order:

1. ``updateCells`` over the whole tab, fields ``userEnteredValue,userEnteredFormat``
   and no rows: clears what the previous run wrote (values and formats);
2. ``updateCells`` from A1 with typed values, fields ``userEnteredValue``:
   ``numberValue`` for amounts, rates, days, counts and dates (serial numbers),
   ``stringValue`` for text, so a value is always data, never a formula (the
   same guarantee as writing RAW);
3. ``repeatCell`` per header row (bold, shaded), per title row (bold, larger) and
   per run of same-kind cells in a column (number format: ``1 234,56 €``,
   ``62,5 %``, ``45,2 j``, ``25/11/2026``), so a year of Historique costs one
   request per column, not one per cell;
4. ``updateDimensionProperties`` for column widths, ``updateSheetProperties``
   for frozen header rows;

then ``deleteEmbeddedObject`` for the charts the previous run left (Sheets keeps
charts, unlike openpyxl: pass their ids from the spreadsheet metadata the
backend reads once per run) and one ``addChart`` per chart (a COLUMN chart of
the aging buckets, a LINE chart of the DSO read from Historique).

The tabs must exist and `sheet_ids` must name them (an ``addSheet`` with a
chosen ``sheetId`` earlier in the same batch is fine).

Amounts leave as JSON numbers built from the Decimal's exact text (2 decimals,
rates 3), which is what the API accepts; no arithmetic happens in float.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from relance.core.cells import SERIAL_EPOCH
from relance.dashboard.layout import BAR, NUMBER_FORMATS, ChartSpec, Column, Days, Percent, SheetLayout, cell_kind

SHEETS_TYPES = {"money": "CURRENCY", "percent": "PERCENT", "days": "NUMBER", "count": "NUMBER", "date": "DATE",
                "datetime": "DATE_TIME"}
HEADER_BACKGROUND = {"red": 0.867, "green": 0.922, "blue": 0.969}  # #DDEBF7, as in the xlsx register
PIXELS_PER_CHAR, PIXELS_PER_CM = 7, 37.8


def serial(value: date) -> float | int:
    """A date (whole days) or wall-clock datetime (fraction of a day) as a spreadsheet serial number."""
    if isinstance(value, datetime):
        seconds = (value.replace(tzinfo=None) - SERIAL_EPOCH).total_seconds()
        return round(seconds / 86400, 8)
    return (value - SERIAL_EPOCH.date()).days


def extended_value(value: Any) -> dict:
    """A layout value as an API ``ExtendedValue`` ({} clears the cell)."""
    if value is None:
        return {}
    if isinstance(value, (Percent, Days)):
        value = value.value
    if isinstance(value, Decimal):
        return {"numberValue": float(value)}  # exact for ≤ 15 significant digits
    if isinstance(value, (date, datetime)):
        return {"numberValue": serial(value)}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"numberValue": value}
    return {"stringValue": str(value)}


def cell_data(value: Any) -> dict:
    """A layout value as an API ``CellData`` (its user-entered value only; formats come by ranges)."""
    extended = extended_value(value)
    return {"userEnteredValue": extended} if extended else {}


def _grid(sheet_id: int, row0: int, row1: int, col0: int, col1: int) -> dict:
    return {"sheetId": sheet_id, "startRowIndex": row0, "endRowIndex": row1, "startColumnIndex": col0,
            "endColumnIndex": col1}


def _repeat(grid: dict, cell_format: dict, fields: str) -> dict:
    return {"repeatCell": {"range": grid, "cell": {"userEnteredFormat": cell_format}, "fields": fields}}


def format_runs(layout: SheetLayout) -> list[tuple[int, int, int, str]]:
    """(column, first row, last row, kind) for each vertical run of same-kind numeric cells."""
    runs: list[tuple[int, int, int, str]] = []
    width = max((len(r) for r in layout.rows), default=0)
    for col in range(width):
        current: tuple[int, int, int, str] | None = None
        for r, row in enumerate(layout.rows):
            kind = cell_kind(row[col]) if col < len(row) else "empty"
            if kind in SHEETS_TYPES and current and current[3] == kind and current[2] == r - 1:
                current = (col, current[1], r, kind)
                continue
            if current:
                runs.append(current)
            current = (col, r, r, kind) if kind in SHEETS_TYPES else None
        if current:
            runs.append(current)
    return runs


def _layout_requests(layout: SheetLayout, sheet_id: int) -> list[dict]:
    rows = [{"values": [cell_data(v) for v in row]} for row in layout.rows]
    requests: list[dict] = [
        {"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue,userEnteredFormat"}},
        {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0}, "rows": rows,
                         "fields": "userEnteredValue"}},
    ]
    for r in sorted(layout.header_rows):
        requests.append(_repeat(_grid(sheet_id, r, r + 1, 0, max(len(layout.rows[r]), 1)),
                                {"textFormat": {"bold": True}, "backgroundColor": HEADER_BACKGROUND,
                                 "wrapStrategy": "WRAP"},
                                "userEnteredFormat(textFormat,backgroundColor,wrapStrategy)"))
    for r in sorted(layout.title_rows):
        requests.append(_repeat(_grid(sheet_id, r, r + 1, 0, 1),
                                {"textFormat": {"bold": True, "fontSize": 14 if r == 0 else 11}},
                                "userEnteredFormat.textFormat"))
    for col, first, last, kind in format_runs(layout):
        requests.append(_repeat(_grid(sheet_id, first, last + 1, col, col + 1),
                                {"numberFormat": {"type": SHEETS_TYPES[kind], "pattern": NUMBER_FORMATS[kind]}},
                                "userEnteredFormat.numberFormat"))
    for col, width in enumerate(layout.widths):
        requests.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col, "endIndex": col + 1},
            "properties": {"pixelSize": width * PIXELS_PER_CHAR}, "fields": "pixelSize"}})
    requests.append({"updateSheetProperties": {
        "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": layout.freeze_rows}},
        "fields": "gridProperties.frozenRowCount"}})
    return requests


def _source(column: Column, sheet_ids: Mapping[str, int]) -> dict:
    grid = _grid(sheet_ids[column.tab], column.first_row, column.last_row + 1, column.column, column.column + 1)
    return {"sourceRange": {"sources": [grid]}}


def chart_request(spec: ChartSpec, sheet_id: int, sheet_ids: Mapping[str, int]) -> dict:
    """``addChart`` with a basicChart spec: COLUMN (aging, €) or LINE (DSO, days), no legend."""
    axes = [{"position": "BOTTOM_AXIS", "title": spec.x_title},
            {"position": "LEFT_AXIS", "title": spec.y_title,  # from 0, as in xlsx: no cliff from a 3-day change
             "viewWindowOptions": {"viewWindowMode": "EXPLICIT", "viewWindowMin": 0}}]
    row, col = spec.anchor
    return {"addChart": {"chart": {
        "spec": {"title": spec.title, "basicChart": {
            "chartType": "COLUMN" if spec.kind == BAR else "LINE", "legendPosition": "NO_LEGEND",
            "axis": axes, "headerCount": 0,
            "domains": [{"domain": _source(spec.categories, sheet_ids)}],
            "series": [{"series": _source(spec.values, sheet_ids), "targetAxis": "LEFT_AXIS"}]}},
        "position": {"overlayPosition": {
            "anchorCell": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col},
            "widthPixels": round(spec.width_cm * PIXELS_PER_CM),
            "heightPixels": round(spec.height_cm * PIXELS_PER_CM)}},
    }}}


def layout_requests(layouts: Iterable[SheetLayout], sheet_ids: Mapping[str, int],
                    old_chart_ids: Iterable[int] = ()) -> list[dict]:
    """The ``requests`` of a ``spreadsheets.batchUpdate`` rewriting `layouts` with their charts."""
    layouts = tuple(layouts)
    requests = [{"deleteEmbeddedObject": {"objectId": chart_id}} for chart_id in old_chart_ids]
    for layout in layouts:
        requests += _layout_requests(layout, sheet_ids[layout.title])
    for layout in layouts:
        requests += [chart_request(spec, sheet_ids[layout.title], sheet_ids) for spec in layout.charts]
    return requests


def rewrite_requests(sheet_id: int, rows: list[list[Any]], cell: Callable[[Any], dict] = cell_data) -> list[dict]:
    """A bot-owned tab rewritten whole: every value cleared, then `rows` from A1 (values only: staff formats
    stay); `cell` turns a value into a ``CellData``."""
    return [{"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue"}},
            {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                             "rows": [{"values": [cell(v) for v in row]} for row in rows],
                             "fields": "userEnteredValue"}}]


def memory_requests(sheet_id: int, rows: list[list[Any]]) -> list[dict]:
    """The « Mémoire » tab (relance/core/memory.py) rewritten whole, hidden unless it holds an alert.

    As in the .xlsx register: staff see the tab only when they must act (restore the Journal or
    type « Oui » in « Reprise confirmée »). Values go as in the bot's other cells (gsheets_write:
    text stays text, the run's time as ``2026-11-25 10:00``), so `memory.read` reads them back."""
    from relance.adapters.backends.gsheets_write import cell_data as raw_cell, to_cell
    from relance.core.memory import alerting
    return rewrite_requests(sheet_id, rows, lambda v: raw_cell(to_cell(v))) + [
        {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "hidden": not alerting(rows)},
                                   "fields": "hidden"}}]
