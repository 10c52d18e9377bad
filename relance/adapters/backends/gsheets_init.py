"""`relance init --google`: turn an empty Google Sheet into a register, in one batch.

The same layout as the .xlsx `create_workbook`, as Sheets API requests: every tab
of design §2 with its header row (bold, staff headers blue, bot headers grey),
frozen; drop-down validations on the constrained columns; the bot columns
protected with a *warning* (staff may still edit, but are told the bot owns
them); the Étape column coloured by stage. Costs three requests: metadata, a
``values.batchGet`` of the header rows, and one ``spreadsheets.batchUpdate``.

An existing register is never touched: if a tab of ours already has a header row,
nothing is written. A default tab (``Sheet1``, ``Feuille 1``) is removed only when it
holds nothing at all (it is read whole: staff data may start far below row 2).
"""

from __future__ import annotations

import re
from typing import Any

from relance.core import cells, schema
from relance.core.config import STAGE_LABELS
from relance.adapters.backends import BackendError
from relance.adapters.backends.gsheets_write import Meta, quote

HEADER_BLUE = {"red": 0.867, "green": 0.922, "blue": 0.969}   # #DDEBF7, as in the xlsx register
BOT_GREY = {"red": 0.894, "green": 0.875, "blue": 0.925}      # #E4DFEC (schema.BOT_HEADER_RGB), as in xlsx
PIXELS_PER_CHAR = 7
DEFAULT_TAB = re.compile(r"^(sheet|feuille|feuil|hoja|blatt|tabelle|foglio)\s*\d+$", re.I)
STAGE_COLOURS = {  # background, and white text for the last one
    "pre": {"red": 0.867, "green": 0.922, "blue": 0.969},
    "amiable": {"red": 1.0, "green": 0.949, "blue": 0.8},
    "renforcee": {"red": 0.988, "green": 0.839, "blue": 0.667},
    "demeure": {"red": 0.957, "green": 0.6, "blue": 0.6},
    "recouvrement": {"red": 0.6, "green": 0.0, "blue": 0.0},
}
PROTECTION_NOTE = "Colonne tenue par relance : elle est réécrite à chaque exécution."


def initialise(backend: Any) -> list[str]:
    """Create the register in `backend`'s spreadsheet; returns the titles of the tabs it set up."""
    meta = backend.metadata()
    ours = {tab.name: meta.find(tab) for tab in schema.TABS}
    spare = [s for s in meta.sheets if DEFAULT_TAB.match(s.title) and s not in ours.values()]
    reads = [(name, info) for name, info in ours.items() if info is not None] + [(s.title, s) for s in spare]
    # our tabs: is there a header? A spare default tab: is there anything at all (data may start on row 40)?
    values = backend.api.batch_get([f"{quote(info.title)}!A1:Z2" if name in ours else quote(info.title)
                                    for name, info in reads])
    filled = {name for (name, _), rows in zip(reads, values) if any(cells.clean_text(v) for r in rows for v in r)}
    taken = sorted(name for name in filled if name in ours and any(t.name == name for t in schema.DATA_TABS))
    if taken:
        raise BackendError(f"le classeur contient déjà un registre (onglet(s) {', '.join(taken)} avec des en-têtes) : "
                           f"relance init --google ne modifie pas un registre existant ; vérifiez-le avec "
                           f"`relance check`.")
    removable = [s for s in spare if s.title not in filled]

    def build(retrying: bool) -> list[dict]:
        fresh = backend.metadata(refresh=retrying)
        if retrying and all(fresh.find(t) for t in schema.TABS):
            return []  # the first attempt went through
        return init_requests(fresh, removable)
    backend.api.batch_update(build)
    backend._meta = None  # tabs changed
    return [tab.name for tab in schema.TABS]


def init_requests(meta: Meta, removable: list) -> list[dict]:
    requests: list[dict] = []
    taken: list[int] = []
    for index, tab in enumerate(schema.TABS):
        info = meta.find(tab)
        if info is None:
            sheet_id = meta.new_id(taken)
            taken.append(sheet_id)
            requests.append({"addSheet": {"properties": {
                "sheetId": sheet_id, "title": tab.name, "index": index,
                "gridProperties": {"rowCount": 1000, "columnCount": max(26, len(tab.columns))}}}})
        else:
            sheet_id = info.id
        if tab.columns:
            requests += tab_requests(tab, sheet_id)
    requests += [{"deleteSheet": {"sheetId": s.id}} for s in removable]
    return requests


def tab_requests(tab: schema.Tab, sheet_id: int) -> list[dict]:
    """Header, formats, validations, protections (and Factures' stage colours) for one data tab."""
    width = len(tab.columns)
    header = [{"userEnteredValue": {"stringValue": c.header}, **({"note": schema.BOT_NOTE} if c.owner == schema.BOT else {})}
              for c in tab.columns]
    requests: list[dict] = [
        {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                         "rows": [{"values": header}], "fields": "userEnteredValue,note"}},
        {"repeatCell": {"range": _grid(sheet_id, 0, 1, 0, width),
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}, "backgroundColor": HEADER_BLUE}},
                        "fields": "userEnteredFormat(textFormat,backgroundColor)"}},
        {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
                                   "fields": "gridProperties.frozenRowCount"}},
    ]
    for col, column in enumerate(tab.columns):
        requests.append({"updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": col, "endIndex": col + 1},
            "properties": {"pixelSize": max(column.width, len(column.header) + 2) * PIXELS_PER_CHAR},
            "fields": "pixelSize"}})
        if column.choices:
            requests.append({"setDataValidation": {"range": _grid(sheet_id, 1, None, col, col + 1), "rule": {
                "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in column.choices]},
                "strict": True, "showCustomUi": True,
                "inputMessage": f"{column.header} : choisissez une valeur de la liste."}}})
        if column.owner == schema.BOT:
            requests.append({"repeatCell": {"range": _grid(sheet_id, 0, 1, col, col + 1),
                                            "cell": {"userEnteredFormat": {"backgroundColor": BOT_GREY}},
                                            "fields": "userEnteredFormat.backgroundColor"}})
            requests.append({"addProtectedRange": {"protectedRange": {
                "range": _grid(sheet_id, 0, None, col, col + 1), "warningOnly": True,
                "description": f"{tab.name} · {column.header} — {PROTECTION_NOTE}"}}})
    if tab is schema.FACTURES:
        requests += stage_colours(sheet_id, [c.key for c in tab.columns].index("stage"))
    return requests


def stage_colours(sheet_id: int, col: int) -> list[dict]:
    """Conditional formats of Étape: one colour per stage label, darker as the stage gets serious."""
    rules = []
    for index, (key, colour) in enumerate(STAGE_COLOURS.items()):
        cell_format: dict[str, Any] = {"backgroundColor": colour}
        if key == "recouvrement":
            cell_format["textFormat"] = {"foregroundColor": {"red": 1.0, "green": 1.0, "blue": 1.0}, "bold": True}
        rules.append({"addConditionalFormatRule": {"index": index, "rule": {
            "ranges": [_grid(sheet_id, 1, None, col, col + 1)],
            "booleanRule": {"condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": STAGE_LABELS[key]}]},
                            "format": cell_format}}}})
    return rules


def _grid(sheet_id: int, row0: int, row1: int | None, col0: int, col1: int) -> dict:
    grid = {"sheetId": sheet_id, "startRowIndex": row0, "startColumnIndex": col0, "endColumnIndex": col1}
    if row1 is not None:
        grid["endRowIndex"] = row1
    return grid


def google_config_text(spreadsheet: str, credentials_file: str = "") -> str:
    """The default config.toml, pointed at a Google Sheets register."""
    import json

    from relance.core.config import default_config_text
    text = re.sub(r'(?m)^backend = "xlsx"', 'backend = "gsheets"', default_config_text(), count=1)
    text = re.sub(r'(?m)^# spreadsheet = "[^"\n]*"', lambda _: f"spreadsheet = {json.dumps(spreadsheet)}", text,
                  count=1)
    if credentials_file:
        text = re.sub(r'(?m)^# credentials_file = "[^"\n]*"',
                      lambda _: f"credentials_file = {json.dumps(credentials_file)}", text, count=1)
    return text
