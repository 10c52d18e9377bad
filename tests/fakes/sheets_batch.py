"""``spreadsheets.batchUpdate`` for the fake Google Sheets API.

Why: relance's "init/format the register" path uses structural requests
(add tabs, freeze the header, validation drop-downs, protected columns,
conditional formats, charts).  The fake stores what was asked so tests can
assert on it, answers with the same ``replies`` shapes as Google, and applies
the batch atomically (one bad request -> nothing applied, HTTP 400) because
code that retries a half-applied batch is a real failure mode.
"""
from __future__ import annotations

import copy
from typing import Any, Optional

from .sheets_model import CELL_LIMIT, Sheet, SheetsStore, Spreadsheet, trim
from .sheets_values import Cell, Renderer, bad_request, parse_raw

# Requests that change cell data: the atomic snapshot must copy rows for them.
DATA_KINDS = {"insertDimension", "deleteDimension", "updateCells", "sortRange", "appendCells"}
# Formatting-only requests whose reply is empty: accepted and recorded on the sheet.
RECORDED_KINDS = {"repeatCell", "updateDimensionProperties", "autoResizeDimensions",
                  "updateBorders", "mergeCells", "unmergeCells", "setBasicFilter",
                  "clearBasicFilter", "updateProtectedRange"}


def expand_fields(fields: str) -> list[str]:
    """``"title,gridProperties(frozenRowCount,rowCount)"`` -> dotted paths."""
    out, depth, cur = [], 0, ""
    for ch in fields + ",":
        if ch == "," and depth == 0:
            cur = cur.strip()
            if cur:
                if "(" in cur:
                    head, inner = cur.split("(", 1)
                    out.extend(f"{head.replace('/', '.')}.{p}" for p in expand_fields(inner[:-1]))
                else:
                    out.append(cur.replace("/", "."))  # gspread sends "gridProperties/rowCount"
            cur = ""
            continue
        depth += (ch == "(") - (ch == ")")
        cur += ch
    return out


def apply_mask(target: dict, source: dict, fields: Optional[str], where: str) -> None:
    """Copy the masked fields from ``source`` into ``target`` (absent -> cleared)."""
    if not fields:
        raise bad_request(f"{where}At least one field must be specified in 'fields'.")
    if fields.strip() == "*":
        target.update(copy.deepcopy(source))
        return
    for path in expand_fields(fields):
        parts = path.split(".")
        src: Any = source
        for p in parts:
            src = src.get(p) if isinstance(src, dict) else None
        tgt = target
        for p in parts[:-1]:
            tgt = tgt.setdefault(p, {})
        if src is None:
            tgt.pop(parts[-1], None)
        else:
            tgt[parts[-1]] = copy.deepcopy(src)


PROTECTED = ("You are trying to edit a protected cell or object. Please contact the spreadsheet owner to "
             "remove protection if you need to edit.")


def can_edit(protected: dict, email: Optional[str]) -> bool:
    """Whether `email` may write in a protected range (None: the owner, as anonymous test clients are)."""
    editors = protected.get("editors") or {}
    return (email is None or bool(protected.get("warningOnly")) or email in (editors.get("users") or [])
            or bool(editors.get("domainUsersCanEdit")))


def _omit_defaults(props: dict) -> None:
    """Google never returns a sheet property at its default (``hidden: false``, ``frozenRowCount: 0``)."""
    for key in ("hidden", "rightToLeft", "hideGridlines"):
        if props.get(key) is False:
            del props[key]
    grid = props.get("gridProperties", {})
    for key in ("frozenRowCount", "frozenColumnCount", "rowGroupControlAfter", "columnGroupControlAfter",
                "hideGridlines"):
        if grid.get(key) in (0, False):
            del grid[key]


def _drop_nulls(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj


def _typed_value(cell: dict, locale_pattern: str) -> Any:
    uev = cell.get("userEnteredValue")
    if not uev:
        return None
    if "formulaValue" in uev:
        return Cell(formula=uev["formulaValue"])
    value = next(iter(uev.values()))
    fmt = (cell.get("userEnteredFormat") or {}).get("numberFormat") or {}
    if fmt.get("type") in ("DATE", "DATE_TIME") and isinstance(value, (int, float)):
        return Cell(value, fmt=(fmt["type"], fmt.get("pattern") or locale_pattern))
    return parse_raw(value)


class BatchUpdater:
    """Applies one ``spreadsheets.batchUpdate`` body to a spreadsheet."""

    def __init__(self, store: SheetsStore):
        self.store = store
        self.caller: Optional[str] = None  # the account sending the batch (set by the server)

    def run(self, ss: Spreadsheet, body: dict) -> dict:
        reqs = _drop_nulls(body.get("requests"))  # JSON null == field absent, as in proto3
        if not isinstance(reqs, list) or not reqs:
            raise bad_request("Must specify at least one request.")
        kinds = []
        for i, req in enumerate(reqs):
            keys = [k for k, v in (req or {}).items() if v is not None]
            if len(keys) != 1:
                raise bad_request(f"Invalid requests[{i}]: exactly one request kind is required")
            kind = keys[0]
            if not hasattr(self, "do_" + kind) and kind not in RECORDED_KINDS:
                raise bad_request(f"Invalid JSON payload received. Unknown name \"{kind}\" at "
                                  f"'requests[{i}]': Cannot find field. "
                                  f"(fake Sheets server: request kind not implemented)")
            kinds.append(kind)
        snapshot = self._snapshot(ss, deep_rows=bool(DATA_KINDS.intersection(kinds)))
        replies = []
        try:
            for i, (req, kind) in enumerate(zip(reqs, kinds)):
                where = f"Invalid requests[{i}].{kind}: "
                handler = getattr(self, "do_" + kind, None)
                if handler is None:
                    self._record(ss, kind, req[kind], where)
                    replies.append({})
                else:
                    replies.append(handler(ss, req[kind], where))
        except Exception:
            self._restore(ss, snapshot)
            raise
        ss.touch()
        return {"spreadsheetId": ss.id, "replies": replies}

    # ------------------------------------------------------------ atomicity
    @staticmethod
    def _snapshot(ss: Spreadsheet, deep_rows: bool):
        states = [(sh, copy.deepcopy({k: v for k, v in vars(sh).items() if k != "rows"}),
                   [r[:] for r in sh.rows] if deep_rows else list(sh.rows)) for sh in ss.sheets]
        return copy.deepcopy(ss.props), list(ss.sheets), states

    @staticmethod
    def _restore(ss: Spreadsheet, snapshot) -> None:
        props, sheets, states = snapshot
        ss.props, ss.sheets = props, sheets
        for sh, meta, rows in states:
            vars(sh).update(meta)
            sh.rows = rows

    # ------------------------------------------------------------ helpers
    def _grid_sheet(self, ss: Spreadsheet, grid_range: Optional[dict], where: str) -> Sheet:
        return ss.by_id((grid_range or {}).get("sheetId", 0), where)

    @staticmethod
    def _rect(sheet: Sheet, gr: dict) -> tuple[int, int, int, int]:
        return (gr.get("startRowIndex", 0), gr.get("startColumnIndex", 0),
                gr.get("endRowIndex", sheet.row_count), gr.get("endColumnIndex", sheet.col_count))

    def _record(self, ss: Spreadsheet, kind: str, req: dict, where: str) -> None:
        target = (req.get("range") or (req.get("filter") or {}).get("range")
                  or req.get("dimensions") or {"sheetId": req.get("sheetId", 0)})
        if isinstance(target, dict) and "protectedRangeId" not in target:
            self._grid_sheet(ss, target, where).formatting.append({kind: copy.deepcopy(req)})

    def _check_title(self, ss: Spreadsheet, title: Any, where: str, me: Optional[Sheet] = None):
        if not isinstance(title, str) or not title.strip():
            raise bad_request(f"{where}Sheet title must not be empty.")
        other = ss.find_title(title)
        if other is not None and other is not me:
            raise bad_request(f"{where}A sheet with the name \"{title}\" already exists. "
                              f"Please enter another name.")

    # ------------------------------------------------------------ sheets
    def do_addSheet(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        props = copy.deepcopy(req.get("properties") or {})
        taken = {s.title.casefold() for s in ss.sheets}
        n = len(ss.sheets) + 1
        while f"sheet{n}" in taken:
            n += 1
        title = props.pop("title", None) or f"Sheet{n}"
        self._check_title(ss, title, where)
        sheet_id = props.pop("sheetId", None)
        if sheet_id is None:
            sheet_id = self.store.new_object_id()
        elif any(s.id == sheet_id for s in ss.sheets):
            raise bad_request(f"{where}A sheet with the id {sheet_id} already exists.")
        gp = props.pop("gridProperties", None) or {}
        index = min(props.pop("index", len(ss.sheets)), len(ss.sheets))
        sheet_type = props.pop("sheetType", "GRID")
        sheet = Sheet(sheet_id, title, index, 0, 0, sheet_type)
        ss.sheets.insert(index, sheet)
        self.store.grow(ss, sheet, gp.pop("rowCount", 1000), gp.pop("columnCount", 26), where)
        sheet.grid.update({k: v for k, v in gp.items() if v})
        sheet.props.update(props)
        ss.reindex()
        return {"addSheet": {"properties": copy.deepcopy(sheet.props)}}

    def do_deleteSheet(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        sheet = ss.by_id(req.get("sheetId"), where)
        if len(ss.sheets) == 1:
            raise bad_request(f"{where}You can't remove all the sheets in a document.")
        ss.sheets.remove(sheet)
        ss.reindex()
        return {}

    def do_duplicateSheet(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        src = ss.by_id(req.get("sourceSheetId"), where)
        title = req.get("newSheetName") or f"Copy of {src.title}"
        self._check_title(ss, title, where)
        new_id = req.get("newSheetId")
        if new_id is None:
            new_id = self.store.new_object_id()
        elif any(s.id == new_id for s in ss.sheets):
            raise bad_request(f"{where}A sheet with the id {new_id} already exists.")
        if ss.total_cells() + src.row_count * src.col_count > CELL_LIMIT:
            raise bad_request(f"{where}This action would increase the number of cells in the "
                              f"workbook above the limit of {CELL_LIMIT} cells.")
        new = Sheet(new_id, title, 0)
        for key, val in vars(src).items():
            setattr(new, key, copy.deepcopy(val))
        new.props.update({"sheetId": new_id, "title": title})
        ss.sheets.insert(min(req.get("insertSheetIndex", len(ss.sheets)), len(ss.sheets)), new)
        ss.reindex()
        return {"duplicateSheet": {"properties": copy.deepcopy(new.props)}}

    def do_updateSheetProperties(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        props = req.get("properties") or {}
        sheet = ss.by_id(props.get("sheetId", 0), where)
        new = copy.deepcopy(sheet.props)
        apply_mask(new, props, req.get("fields"), where)
        new["sheetId"] = sheet.id
        self._check_title(ss, new.get("title"), where, me=sheet)
        gp = new.setdefault("gridProperties", {})
        rows, cols = gp.get("rowCount", sheet.row_count), gp.get("columnCount", sheet.col_count)
        if gp.get("frozenRowCount", 0) >= rows > 0:
            raise bad_request(f"{where}You can't freeze all visible rows on the sheet.")
        gp["rowCount"], gp["columnCount"] = sheet.row_count, sheet.col_count
        if new.get("hidden") and not sheet.props.get("hidden") and \
                not any(not s.props.get("hidden") for s in ss.sheets if s is not sheet):
            raise bad_request(f"{where}You can't hide all the sheets in a document.")
        _omit_defaults(new)
        index = new.get("index", sheet.props["index"])
        sheet.props = new
        self.store.grow(ss, sheet, rows, cols, where)
        old = ss.sheets.index(sheet)
        if index != old:  # Google counts the target index "before the move"
            ss.sheets.remove(sheet)
            ss.sheets.insert(min(index - (index > old), len(ss.sheets)), sheet)
        ss.reindex()
        return {}

    def do_updateSpreadsheetProperties(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        apply_mask(ss.props, req.get("properties") or {}, req.get("fields"), where)
        return {}

    # ------------------------------------------------------------ rules & objects
    def do_setDataValidation(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        gr = req.get("range") or {}
        sheet = self._grid_sheet(ss, gr, where)
        sheet.data_validations = [v for v in sheet.data_validations if v["range"] != gr]
        if req.get("rule"):
            sheet.data_validations.append({"range": copy.deepcopy(gr),
                                           "rule": copy.deepcopy(req["rule"])})
        return {}

    def do_addProtectedRange(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        pr = copy.deepcopy(req.get("protectedRange") or {})
        if "range" not in pr and "namedRangeId" not in pr:
            raise bad_request(f"{where}A protected range must specify a range or named range.")
        sheet = self._grid_sheet(ss, pr.get("range"), where)
        # As Google answers (cassettes test_add_protected_range_*): the id first, sheetId 0 and
        # warningOnly false omitted (proto3 defaults), the requester always able to edit (it
        # becomes an editor), editors ``{}`` in the reply.
        rng = {k: v for k, v in (pr.get("range") or {}).items() if not (k == "sheetId" and v == 0)}
        stored: dict = {"protectedRangeId": pr.get("protectedRangeId") or self.store.new_object_id()}
        if "range" in pr:
            stored["range"] = rng
        for key in ("namedRangeId", "description", "unprotectedRanges"):
            if pr.get(key):
                stored[key] = pr[key]
        if pr.get("warningOnly"):
            stored["warningOnly"] = True
        stored["requestingUserCanEdit"] = True
        editors = pr.get("editors") or {}
        users = list(editors.get("users") or [])
        if self.caller and self.caller not in users:
            users.append(self.caller)
        stored["editors"] = {k: v for k, v in (("users", users), ("groups", editors.get("groups")),
                                              ("domainUsersCanEdit", editors.get("domainUsersCanEdit"))) if v}
        sheet.protected_ranges.append(stored)
        reply = copy.deepcopy(stored)
        reply["editors"] = {}
        return {"addProtectedRange": {"protectedRange": reply}}

    def do_deleteProtectedRange(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        pid = req.get("protectedRangeId")
        for sheet in ss.sheets:
            for pr in sheet.protected_ranges:
                if pr["protectedRangeId"] == pid:
                    sheet.protected_ranges.remove(pr)
                    return {}
        raise bad_request(f"{where}No protected range with id: {pid}")

    def do_addConditionalFormatRule(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        rule = copy.deepcopy(req.get("rule") or {})
        if not rule.get("ranges"):
            raise bad_request(f"{where}Conditional format rule must have at least one range.")
        if not (rule.get("booleanRule") or rule.get("gradientRule")):
            raise bad_request(f"{where}Conditional format rule must have a booleanRule or "
                              f"a gradientRule.")
        sheet = self._grid_sheet(ss, rule["ranges"][0], where)
        sheet.conditional_formats.insert(req.get("index", len(sheet.conditional_formats)), rule)
        return {}

    def do_deleteConditionalFormatRule(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        sheet = ss.by_id(req.get("sheetId", 0), where)
        index = req.get("index", 0)
        if not 0 <= index < len(sheet.conditional_formats):
            raise bad_request(f"{where}No conditional format on sheet: {sheet.id} at index: {index}")
        return {"deleteConditionalFormatRule": {"rule": sheet.conditional_formats.pop(index)}}

    def do_addChart(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        chart = copy.deepcopy(req.get("chart") or {})
        chart.setdefault("chartId", self.store.new_object_id())
        pos = chart.setdefault("position", {"newSheet": True})
        anchor = (pos.get("overlayPosition") or {}).get("anchorCell")
        if anchor is not None:
            sheet = ss.by_id(anchor.get("sheetId", 0), where)
        elif "sheetId" in pos:
            sheet = ss.by_id(pos["sheetId"], where)
        else:
            n = 1
            while ss.find_title(f"Chart{n}"):
                n += 1
            sheet = Sheet(self.store.new_object_id(), f"Chart{n}", len(ss.sheets), 0, 0, "OBJECT")
            ss.sheets.append(sheet)
            chart["position"] = {"sheetId": sheet.id}
        sheet.charts.append(chart)
        return {"addChart": {"chart": copy.deepcopy(chart)}}

    def do_deleteEmbeddedObject(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        for sheet in ss.sheets:
            for chart in sheet.charts:
                if chart["chartId"] == req.get("objectId"):
                    sheet.charts.remove(chart)
                    return {}
        raise bad_request(f"{where}No embedded object with id: {req.get('objectId')}")

    # ------------------------------------------------------------ dimensions & cells
    def do_insertDimension(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        dr = req.get("range") or {}
        sheet = ss.by_id(dr.get("sheetId", 0), where)
        start, end = dr.get("startIndex", 0), dr.get("endIndex", 0)
        if end <= start:
            raise bad_request(f"{where}Invalid dimension range: startIndex must be < endIndex")
        if dr.get("dimension") == "COLUMNS":
            self.store.grow(ss, sheet, sheet.row_count, sheet.col_count + end - start, where)
            for row in sheet.rows:
                if start < len(row):
                    row[start:start] = [None] * (end - start)
        else:
            self.store.insert_blank_rows(ss, sheet, start, end - start)
        return {}

    def do_deleteDimension(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        dr = req.get("range") or {}
        sheet = ss.by_id(dr.get("sheetId", 0), where)
        cols = dr.get("dimension") == "COLUMNS"
        size = sheet.col_count if cols else sheet.row_count
        start, end = dr.get("startIndex", 0), dr.get("endIndex", size)
        if end - start >= size:
            what = "columns" if cols else "rows"
            raise bad_request(f"{where}You can't delete all the {what} on the sheet.")
        if cols:
            for row in sheet.rows:
                del row[start:end]
                trim(row)
            sheet.grid["columnCount"] = size - (end - start)
        else:
            del sheet.rows[start:end]
            sheet.grid["rowCount"] = size - (end - start)
        return {}

    def do_appendDimension(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        sheet = ss.by_id(req.get("sheetId", 0), where)
        n = req.get("length", 0)
        cols = req.get("dimension") == "COLUMNS"
        self.store.grow(ss, sheet, sheet.row_count + (0 if cols else n),
                        sheet.col_count + (n if cols else 0), where)
        return {}

    def do_updateCells(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        fields = req.get("fields") or ""
        if "note" in fields.split(",") or fields.strip() == "*":
            self._notes(ss, req, where)
        if "userEnteredValue" not in fields and fields.strip() != "*":
            sheet = self._grid_sheet(ss, req.get("range") or req.get("start"), where)
            sheet.formatting.append({"updateCells": copy.deepcopy(req)})
            return {}
        pattern = ss.locale.date_pattern
        cells = [[_typed_value(c or {}, pattern) for c in (row.get("values") or [])]
                 for row in (req.get("rows") or [])]
        if "start" in req:
            start = req["start"]
            sheet = ss.by_id(start.get("sheetId", 0), where)
            r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
            r1 = r0 + len(cells)
            c1 = c0 + max((len(r) for r in cells), default=0)
        else:
            sheet = self._grid_sheet(ss, req.get("range"), where)
            r0, c0, r1, c1 = self._rect(sheet, req.get("range") or {})
            cells = [(cells[i] if i < len(cells) else []) for i in range(r1 - r0)]
            cells = [r + [None] * (c1 - c0 - len(r)) for r in cells]
        if r1 > sheet.row_count or c1 > sheet.col_count:
            raise bad_request(f"{where}Range exceeds grid limits. Max rows: {sheet.row_count}, "
                              f"max columns: {sheet.col_count}")
        self._check_protected(sheet, r0, c0, r1, c1, where)
        self.store._write(sheet, r0, c0, cells)
        return {}

    def do_appendCells(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        """Rows written from column A after the last row holding a value, the grid growing by the
        rows needed (Google: "Adds new cells after the last row with data in a sheet, inserting new
        rows into the sheet if necessary", AppendCellsRequest). Not recorded in any cassette: which
        rows count as "with data" (a row holding only formatting, a note) is assumed to be values only."""
        if not req.get("fields"):
            raise bad_request(f"{where}At least one field must be specified in 'fields'.")
        sheet = ss.by_id(req.get("sheetId", 0), where)
        rows = req.get("rows") or []
        start = sheet.data_height()
        if start + len(rows) > sheet.row_count:
            self.store.grow(ss, sheet, start + len(rows), sheet.col_count, where)
        return self.do_updateCells(ss, {"start": {"sheetId": sheet.id, "rowIndex": start, "columnIndex": 0},
                                        "rows": rows, "fields": req["fields"]}, where)

    def _check_protected(self, sheet: Sheet, r0: int, c0: int, r1: int, c1: int, where: str) -> None:
        """A write by an account that may not edit a (non-warning) protected range it touches is refused."""
        for protected in sheet.protected_ranges:
            g = protected.get("range") or {}
            if can_edit(protected, self.caller):
                continue
            if g.get("startRowIndex", 0) < r1 and r0 < g.get("endRowIndex", 1 << 30) and \
                    g.get("startColumnIndex", 0) < c1 and c0 < g.get("endColumnIndex", 1 << 30):
                raise bad_request(f"{where}{PROTECTED}")

    def _notes(self, ss: Spreadsheet, req: dict, where: str) -> None:
        """``fields: note``: each cell's note set, or cleared where the cell gives none."""
        rows = req.get("rows") or []
        if "start" in req:
            sheet = ss.by_id(req["start"].get("sheetId", 0), where)
            r0, c0 = req["start"].get("rowIndex", 0), req["start"].get("columnIndex", 0)
            r1, c1 = r0 + len(rows), c0 + max((len(r.get("values") or []) for r in rows), default=0)
        else:
            sheet = self._grid_sheet(ss, req.get("range"), where)
            r0, c0, r1, c1 = self._rect(sheet, req.get("range") or {})
        for r in range(r0, r1):
            values = (rows[r - r0].get("values") or []) if r - r0 < len(rows) else []
            for c in range(c0, c1):
                note = (values[c - c0] or {}).get("note") if c - c0 < len(values) else None
                if note:
                    sheet.notes[(r, c)] = note
                else:
                    sheet.notes.pop((r, c), None)

    def do_sortRange(self, ss: Spreadsheet, req: dict, where: str) -> dict:
        gr = req.get("range") or {}
        sheet = self._grid_sheet(ss, gr, where)
        r0, c0, r1, c1 = self._rect(sheet, gr)
        r1 = min(r1, len(sheet.rows))
        rend = Renderer("UNFORMATTED_VALUE", "SERIAL_NUMBER", ss.locale, sheet.cell)
        segs = [(sheet.rows[r] + [None] * c1)[c0:c1] for r in range(r0, r1)]

        def key_for(col):
            def key(seg):
                v, _ = rend.effective(seg[col - c0])
                if isinstance(v, bool):
                    return (2, v)
                if isinstance(v, (int, float)):
                    return (0, v)
                return (1, str(v).casefold())
            return key

        for spec in reversed(req.get("sortSpecs") or [{"dimensionIndex": c0}]):
            col = spec.get("dimensionIndex", c0)
            full = [s for s in segs if s[col - c0] is not None]
            empty = [s for s in segs if s[col - c0] is None]
            full.sort(key=key_for(col), reverse=spec.get("sortOrder") == "DESCENDING")
            segs = full + empty
        self.store._write(sheet, r0, c0, segs)
        return {}
