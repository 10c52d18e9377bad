"""In-memory spreadsheets and the ``spreadsheets.values.*`` semantics.

Why: tests of the relance Sheets backend need a server whose *observable*
behaviour matches Google's on the points that bite in production -- where
``values.append`` lands, which ranges grow the grid and which are refused,
how empty cells are trimmed -- without network access.  This module holds the
state and those rules; HTTP routing, auth and fault injection live in
``sheets_server``, ``spreadsheets.batchUpdate`` requests in ``sheets_batch``.
"""
from __future__ import annotations

import copy
import datetime as _dt
import random
import string
import threading
from typing import Any, Callable, Iterable, Optional, Sequence, Union

from .sheets_defaults import DEFAULT_FORMAT, SPREADSHEET_THEME
from .sheets_values import (DATETIME_RENDER, INPUT_OPTIONS, SKIP, VALUE_RENDER, Cell,
                            Locale, Renderer, SheetsError, bad_request, format_range, invalid_value,
                            from_python, index_to_col, parse_cells, parse_raw,
                            parse_user_entered, split_sheet)

CELL_LIMIT = 10_000_000  # Google's per-workbook cell limit


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def trim(row: list) -> list:
    """Drop trailing empty cells in place; returns the row."""
    while row and row[-1] is None:
        row.pop()
    return row


class Sheet:
    """One tab: properties as the API shows them plus a list-of-lists cell store.

    ``rows`` may be shorter than ``rowCount`` and each row shorter than
    ``columnCount``; missing cells are empty.  Invariant relied on for speed:
    a row never ends with ``None``, so ``bool(row)`` means "row holds a value".
    """

    def __init__(self, sheet_id: int, title: str, index: int, rows: int = 1000,
                 cols: int = 26, sheet_type: str = "GRID"):
        self.props: dict = {"sheetId": sheet_id, "title": title, "index": index,
                            "sheetType": sheet_type,
                            "gridProperties": {"rowCount": rows, "columnCount": cols}}
        self.rows: list[list] = []
        self.protected_ranges: list[dict] = []
        self.conditional_formats: list[dict] = []
        self.charts: list[dict] = []
        self.data_validations: list[dict] = []  # {"range": GridRange, "rule": ...}
        self.formatting: list[dict] = []  # accepted-but-ignored requests (repeatCell, ...)
        self.notes: dict[tuple[int, int], str] = {}  # (row, col) -> note; not moved by row inserts

    @property
    def id(self) -> int:
        return self.props["sheetId"]

    @property
    def title(self) -> str:
        return self.props["title"]

    @property
    def grid(self) -> dict:
        return self.props.setdefault("gridProperties", {"rowCount": 0, "columnCount": 0})

    @property
    def row_count(self) -> int:
        return self.grid.get("rowCount", 0)

    @property
    def col_count(self) -> int:
        return self.grid.get("columnCount", 0)

    def cell(self, r: int, c: int):
        if r < len(self.rows):
            row = self.rows[r]
            if c < len(row):
                return row[c]
        return None

    def data_height(self) -> int:
        """Number of rows up to the last one holding a value."""
        n = len(self.rows)
        while n and not self.rows[n - 1]:  # rows never end with None (see _write)
            n -= 1
        return n

    def to_json(self) -> dict:
        out: dict = {"properties": copy.deepcopy(self.props)}
        for key, val in (("protectedRanges", self.protected_ranges),
                         ("conditionalFormats", self.conditional_formats),
                         ("charts", self.charts)):
            if val:
                out[key] = copy.deepcopy(val)
        return out


class Spreadsheet:
    """A spreadsheet: properties, ordered tabs and who it is shared with."""

    def __init__(self, sid: str, title: str, locale: str, time_zone: str,
                 shared_with: Optional[Iterable[str]] = None):
        self.id = sid
        self.props = {"title": title, "locale": locale, "autoRecalc": "ON_CHANGE",
                      "timeZone": time_zone,
                      "defaultFormat": copy.deepcopy(DEFAULT_FORMAT),
                      "spreadsheetTheme": copy.deepcopy(SPREADSHEET_THEME)}
        self.sheets: list[Sheet] = []
        self.shared_with: Optional[set[str]] = set(shared_with) if shared_with is not None else None
        self.created = self.modified = _now()

    @property
    def locale(self) -> Locale:
        return Locale(self.props.get("locale", "en_US"))

    def touch(self) -> None:
        self.modified = _now()

    def reindex(self) -> None:
        for i, sh in enumerate(self.sheets):
            sh.props["index"] = i

    def total_cells(self, ignore: Optional[Sheet] = None) -> int:
        return sum(s.row_count * s.col_count for s in self.sheets if s is not ignore)

    def find_title(self, title: str) -> Optional[Sheet]:
        for sh in self.sheets:
            if sh.title == title:
                return sh
        folded = title.casefold()
        for sh in self.sheets:
            if sh.title.casefold() == folded:
                return sh
        return None

    def by_id(self, sheet_id: Any, where: str = "") -> Sheet:
        for sh in self.sheets:
            if sh.id == sheet_id:
                return sh
        raise bad_request(f"{where}No grid with id: {sheet_id}")

    def resolve(self, rng: str):
        """A1 text -> (sheet, r0, c0, r1|None, c1|None, is_anchor).

        ``is_anchor`` is true for a single cell or a whole sheet: writes may
        extend past it.  Other ranges bound the write.
        """
        title, cells = split_sheet(rng)
        if title is None:
            sheet = self.find_title(cells) if cells else None
            if sheet is not None:
                return sheet, 0, 0, None, None, True
            if not self.sheets:
                raise bad_request(f"Unable to parse range: {rng}")
            sheet = self.sheets[0]
        else:
            sheet = self.find_title(title)
            if sheet is None:
                raise bad_request(f"Unable to parse range: {rng}")
        if cells is None:
            return sheet, 0, 0, None, None, True
        r0, c0, r1, c1 = parse_cells(cells, rng)
        return sheet, r0, c0, r1, c1, ":" not in cells

    def to_json(self) -> dict:
        return {"spreadsheetId": self.id, "properties": copy.deepcopy(self.props),
                "sheets": [s.to_json() for s in self.sheets],
                "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.id}/edit"}


def _enum(value: Optional[str], allowed: Sequence[str], name: str, default: str) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise invalid_value(name, value)
    return value


def _input_option(value: Optional[str]) -> str:
    if value is None:
        raise bad_request("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    return _enum(value, INPUT_OPTIONS, "value_input_option", "RAW")


class SheetsStore:
    """All spreadsheets, with test helpers and the values.* operations.

    Every public method takes the store lock, so tests may call helpers while
    the HTTP server thread is serving requests.
    """

    def __init__(self, seed: int = 20240615):
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.lock = threading.RLock()
        self._rng = random.Random(seed)

    # ------------------------------------------------------------ ids
    def new_spreadsheet_id(self) -> str:
        alphabet = string.ascii_letters + string.digits + "-_"
        return "1" + "".join(self._rng.choice(alphabet) for _ in range(43))

    def new_object_id(self) -> int:
        return self._rng.randrange(1, 2 ** 31 - 1)

    # ------------------------------------------------------------ helpers for tests
    def create_spreadsheet(self, title: str, tabs: Optional[dict[str, list[list]]] = None, *,
                           locale: str = "en_GB", time_zone: str = "Europe/Paris",
                           shared_with: Optional[Iterable[str]] = None,
                           grid: Optional[dict[str, tuple[int, int]]] = None,
                           value_input_option: str = "RAW",
                           spreadsheet_id: Optional[str] = None) -> str:
        """Create a spreadsheet; ``tabs`` maps tab titles to rows of Python values.

        Values are stored as-is (RAW) unless ``value_input_option`` is
        ``"USER_ENTERED"``; ``datetime.date``/``datetime`` become date cells and
        :class:`~tests.fakes.sheets_values.Formula` a formula cell either way.
        ``grid`` overrides (rowCount, columnCount) per tab; by default a tab is
        at least 1000 x 26 like a new Google sheet (narrower if that would
        pass the 10M-cell limit).  ``shared_with=None`` means anyone may access.
        """
        with self.lock:
            sid = spreadsheet_id or self.new_spreadsheet_id()
            ss = Spreadsheet(sid, title, locale, time_zone, shared_with)
            for i, (name, rows) in enumerate((tabs or {"Sheet1": []}).items()):
                width = max((len(r) for r in rows), default=0)
                nrows, ncols = max(1000, len(rows)), max(26, width)
                if nrows * ncols > CELL_LIMIT // 2:
                    nrows, ncols = max(len(rows), 1), max(width, 1)
                if grid and name in grid:
                    nrows, ncols = grid[name]
                    if nrows < len(rows) or ncols < width:
                        raise ValueError(f"grid {grid[name]} of tab {name!r} is smaller than "
                                         f"its data ({len(rows)} x {width})")
                sheet = Sheet(0 if i == 0 else self.new_object_id(), name, i, nrows, ncols)
                sheet.rows = self._convert(rows, ss.locale, value_input_option)
                ss.sheets.append(sheet)
            self.spreadsheets[sid] = ss
            return sid

    def spreadsheet(self, sid: str) -> Spreadsheet:
        try:
            return self.spreadsheets[sid]
        except KeyError:
            raise KeyError(f"no spreadsheet {sid!r} in the fake") from None

    def sheet(self, sid: str, tab: str) -> Sheet:
        sheet = self.spreadsheet(sid).find_title(tab)
        if sheet is None:
            raise KeyError(f"no tab {tab!r} in spreadsheet {sid!r}")
        return sheet

    def share(self, sid: str, *emails: str) -> None:
        """Restrict access to ``emails`` (plus those already shared)."""
        with self.lock:
            ss = self.spreadsheet(sid)
            ss.shared_with = (ss.shared_with or set()) | set(emails)

    def get_values(self, sid: str, tab: str, render: str = "UNFORMATTED_VALUE") -> list[list]:
        """What values.get on the whole tab would return (effective values by default)."""
        with self.lock:
            ss, sheet = self.spreadsheet(sid), self.sheet(sid, tab)
            return self._render(ss, sheet, 0, 0, sheet.row_count, sheet.col_count,
                                render, "SERIAL_NUMBER", "ROWS")

    def set_values(self, sid: str, tab: str, rows: list[list], *, start: Optional[str] = None,
                   value_input_option: str = "RAW") -> None:
        """Replace the tab's content with ``rows`` (or write a block at ``start``,
        e.g. ``"C5"``), growing the grid if needed -- as if staff typed it."""
        with self.lock:
            ss, sheet = self.spreadsheet(sid), self.sheet(sid, tab)
            cells = self._convert(rows, ss.locale, value_input_option)
            r0 = c0 = 0
            if start is None:
                sheet.rows = []
            else:
                r0, c0, _, _ = parse_cells(start, start)
            height, width = r0 + len(cells), c0 + max((len(r) for r in cells), default=0)
            self.grow(ss, sheet, max(sheet.row_count, height), max(sheet.col_count, width))
            self._write(sheet, r0, c0, cells)
            ss.touch()

    def reorder_rows(self, sid: str, tab: str,
                     order: Union[Sequence[int], Callable[[list], Any]], *,
                     header_rows: int = 1, reverse: bool = False) -> None:
        """Shuffle the data rows below ``header_rows`` like staff sorting the tab.

        ``order`` is either a permutation (``new[i] = old[order[i]]``, indices
        relative to the first data row) or a key function called with each
        row's effective values (padded to the data width).
        """
        with self.lock:
            ss, sheet = self.spreadsheet(sid), self.sheet(sid, tab)
            height = sheet.data_height()
            data = sheet.rows[header_rows:height]
            if callable(order):
                width = max((len(r) for r in data), default=0)
                rend = Renderer("UNFORMATTED_VALUE", "SERIAL_NUMBER", ss.locale, sheet.cell)
                keyed = [([rend.render(row[c]) if c < len(row) else "" for c in range(width)], row)
                         for row in data]
                keyed.sort(key=lambda kr: order(kr[0]), reverse=reverse)
                new = [row for _, row in keyed]
            else:
                if sorted(order) != list(range(len(data))):
                    raise ValueError(f"order must be a permutation of range({len(data)})")
                new = [data[i] for i in order]
            sheet.rows[header_rows:height] = new
            ss.touch()

    def insert_rows(self, sid: str, tab: str, before_row: int, rows: list[list]) -> None:
        """Insert rows before 1-based ``before_row`` (staff inserting a line)."""
        with self.lock:
            ss, sheet = self.spreadsheet(sid), self.sheet(sid, tab)
            cells = self._convert(rows, ss.locale, "RAW")
            self.insert_blank_rows(ss, sheet, before_row - 1, len(cells))
            self._write(sheet, before_row - 1, 0, cells)

    def insert_columns(self, sid: str, tab: str, before_col: int, count: int = 1) -> None:
        """Insert ``count`` blank columns before 0-based ``before_col`` (staff: « Insérer une colonne »)."""
        with self.lock:
            ss, sheet = self.spreadsheet(sid), self.sheet(sid, tab)
            self.grow(ss, sheet, sheet.row_count, sheet.col_count + count)
            for row in sheet.rows:
                if before_col < len(row):
                    row[before_col:before_col] = [None] * count
            ss.touch()

    def delete_columns(self, sid: str, tab: str, start_col: int, count: int = 1) -> None:
        """Delete ``count`` columns from 0-based ``start_col`` (staff: « Supprimer la colonne »)."""
        with self.lock:
            ss, sheet = self.spreadsheet(sid), self.sheet(sid, tab)
            for row in sheet.rows:
                del row[start_col:start_col + count]
                trim(row)
            sheet.grid["columnCount"] = max(sheet.col_count - count, 1)
            ss.touch()

    def delete_sheet(self, sid: str, tab: str) -> None:
        """Remove the tab ``tab`` (staff deleting a tab by hand)."""
        with self.lock:
            ss, sheet = self.spreadsheet(sid), self.sheet(sid, tab)
            ss.sheets.remove(sheet)
            ss.reindex()
            ss.touch()

    def delete_rows(self, sid: str, tab: str, start_row: int, count: int = 1) -> None:
        """Delete ``count`` rows starting at 1-based ``start_row``."""
        with self.lock:
            ss, sheet = self.spreadsheet(sid), self.sheet(sid, tab)
            del sheet.rows[start_row - 1:start_row - 1 + count]
            sheet.grid["rowCount"] = max(sheet.row_count - count, 1)
            ss.touch()

    # ------------------------------------------------------------ low level
    @staticmethod
    def _convert(rows: list[list], loc: Locale, value_input_option: str) -> list[list]:
        """Helper input -> stored rows (fast for big, plain registers)."""
        plain = {str, int, float, bool, type(None)}
        cache: dict = {}  # share identical date cells between rows

        def conv(v):
            if isinstance(v, _dt.date):
                key = (type(v), v)
                if key not in cache:
                    cache[key] = from_python(v, loc)
                return cache[key]
            return from_python(v, loc)

        out = []
        for row in rows:
            if value_input_option == "USER_ENTERED":
                new = [v if isinstance(v, Cell) else
                       parse_user_entered(v if isinstance(v, str) else conv(v), loc)
                       for v in row]
                new = [None if v is SKIP else v for v in new]
            elif set(map(type, row)) <= plain and "" not in row:
                new = list(row)
            else:
                new = [v if (type(v) is str and v) or type(v) in (int, float) else conv(v)
                       for v in row]
            while new and new[-1] is None:
                new.pop()
            out.append(new)
        return out

    def grow(self, ss: Spreadsheet, sheet: Sheet, rows: int, cols: int, where: str = "") -> None:
        """Resize the grid, refusing to pass the workbook cell limit like Google."""
        if rows == sheet.row_count and cols == sheet.col_count:
            return
        if rows * cols > sheet.row_count * sheet.col_count and \
                ss.total_cells(ignore=sheet) + rows * cols > CELL_LIMIT:
            raise bad_request(f"{where}This action would increase the number of cells in the "
                              f"workbook above the limit of {CELL_LIMIT} cells.")
        shrinking = rows < sheet.row_count or cols < sheet.col_count
        sheet.grid["rowCount"], sheet.grid["columnCount"] = rows, cols
        if shrinking and (len(sheet.rows) > rows or any(len(r) > cols for r in sheet.rows)):
            sheet.rows = [trim(r[:cols]) for r in sheet.rows[:rows]]  # new lists: snapshot-safe

    def insert_blank_rows(self, ss: Spreadsheet, sheet: Sheet, at: int, count: int) -> None:
        self.grow(ss, sheet, sheet.row_count + count, sheet.col_count)
        if at < len(sheet.rows):
            sheet.rows[at:at] = [[] for _ in range(count)]
        ss.touch()

    @staticmethod
    def _write(sheet: Sheet, r0: int, c0: int, cells: list[list]) -> None:
        rows = sheet.rows
        if len(rows) < r0 + len(cells):
            rows.extend([] for _ in range(r0 + len(cells) - len(rows)))
        for i, vals in enumerate(cells):
            if not vals:
                continue
            row = rows[r0 + i]
            end = c0 + len(vals)
            if len(row) < end:
                row.extend([None] * (end - len(row)))
            if SKIP in vals:
                for j, v in enumerate(vals):
                    if v is not SKIP:
                        row[c0 + j] = v
            else:
                row[c0:end] = vals
            while row and row[-1] is None:
                row.pop()

    @staticmethod
    def exceeds(rng: str, sheet: Sheet) -> SheetsError:
        return bad_request(f"Range ({rng}) exceeds grid limits. Max rows: {sheet.row_count}, "
                           f"max columns: {sheet.col_count}")

    def read_rect(self, ss: Spreadsheet, rng: str):
        """Resolve a range for reading/clearing: clamp open ends, refuse overflow."""
        sheet, r0, c0, r1, c1, _ = ss.resolve(rng)
        if (r1 is not None and r1 > sheet.row_count) or (c1 is not None and c1 > sheet.col_count) \
                or r0 >= max(sheet.row_count, 1) or c0 >= max(sheet.col_count, 1):
            raise self.exceeds(rng, sheet)
        return sheet, r0, c0, sheet.row_count if r1 is None else r1, \
            sheet.col_count if c1 is None else c1

    def _render(self, ss, sheet, r0, c0, r1, c1, vro, dtro, major) -> list[list]:
        rend = Renderer(vro, dtro, ss.locale, sheet.cell)
        row_fn = rend.row
        out = [row_fn(row[c0:c1]) for row in sheet.rows[r0:r1]]
        while out and not out[-1]:
            out.pop()
        if major == "COLUMNS" and out:
            width = max(len(r) for r in out)
            cols = []
            for c in range(width):
                col = [r[c] if c < len(r) else "" for r in out]
                while col and col[-1] == "":
                    col.pop()
                cols.append(col)
            while cols and not cols[-1]:
                cols.pop()
            out = cols
        return out

    def value_range(self, ss: Spreadsheet, rng: str, query: dict) -> dict:
        vro = _enum(query.get("valueRenderOption"), VALUE_RENDER, "value_render_option",
                    "FORMATTED_VALUE")
        dtro = _enum(query.get("dateTimeRenderOption"), DATETIME_RENDER,
                     "date_time_render_option", "SERIAL_NUMBER")
        major = _enum(query.get("majorDimension"), ("ROWS", "COLUMNS"), "major_dimension", "ROWS")
        sheet, r0, c0, r1, c1 = self.read_rect(ss, rng)
        out = {"range": format_range(sheet.title, r0, c0, r1, c1), "majorDimension": major}
        values = self._render(ss, sheet, r0, c0, r1, c1, vro, dtro, major)
        if values:
            out["values"] = values
        return out

    # ------------------------------------------------------------ values.* endpoints
    def values_get(self, ss: Spreadsheet, rng: str, query: dict) -> dict:
        return self.value_range(ss, rng, query)

    def values_batch_get(self, ss: Spreadsheet, ranges: list[str], query: dict) -> dict:
        out: dict = {"spreadsheetId": ss.id}
        if ranges:
            out["valueRanges"] = [self.value_range(ss, r, query) for r in ranges]
        return out

    def _parse_payload(self, ss: Spreadsheet, values: Any, major: Optional[str], vio: str) -> list[list]:
        if values is None:
            return []
        if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
            bad = values if not isinstance(values, list) else next(r for r in values if not isinstance(r, list))
            raise invalid_value("data.values", bad, "google.protobuf.ListValue")
        major = _enum(major, ("ROWS", "COLUMNS"), "major_dimension", "ROWS")
        if major == "COLUMNS" and values:
            height = max(len(c) for c in values)
            values = [[c[i] if i < len(c) else None for c in values] for i in range(height)]
        loc = ss.locale
        if vio == "RAW":
            return [[parse_raw(v, f"[{i}][{j}]") for j, v in enumerate(row)]
                    for i, row in enumerate(values)]
        return [[parse_user_entered(v, loc, f"[{i}][{j}]") for j, v in enumerate(row)]
                for i, row in enumerate(values)]

    def _plan(self, ss: Spreadsheet, rng: str, cells: list[list], grow: bool):
        """Check a write before doing it; returns (sheet, r0, c0, nrows, ncols)."""
        sheet, r0, c0, r1, c1, anchor = ss.resolve(rng)
        nrows, ncols = len(cells), max((len(r) for r in cells), default=0)
        if not anchor:
            if r1 is not None and r0 + nrows > r1:
                raise bad_request(f"Requested writing within range [{rng}], but tried writing "
                                  f"to row [{r1 + 1}]")
            if c1 is not None and c0 + ncols > c1:
                raise bad_request(f"Requested writing within range [{rng}], but tried writing "
                                  f"to column [{index_to_col(c1)}]")
        if (r0 + nrows > sheet.row_count or c0 + ncols > sheet.col_count) and not grow:
            raise self.exceeds(rng, sheet)
        return sheet, r0, c0, nrows, ncols

    def _apply(self, ss, plan, cells, query_like: dict) -> dict:
        sheet, r0, c0, nrows, ncols = plan
        out: dict = {"spreadsheetId": ss.id}
        if not nrows or not ncols:
            return out
        self.grow(ss, sheet, max(sheet.row_count, r0 + nrows), max(sheet.col_count, c0 + ncols))
        self._write(sheet, r0, c0, cells)
        ss.touch()
        rng = format_range(sheet.title, r0, c0, r0 + nrows, c0 + ncols)
        out.update({"updatedRange": rng, "updatedRows": sum(1 for r in cells if r),
                    "updatedColumns": ncols,
                    "updatedCells": sum(1 for r in cells for v in r if v is not SKIP)})
        if _truthy(query_like.get("includeValuesInResponse")):
            out["updatedData"] = self.value_range(ss, rng, {
                "valueRenderOption": query_like.get("responseValueRenderOption"),
                "dateTimeRenderOption": query_like.get("responseDateTimeRenderOption")})
        return out

    def values_update(self, ss: Spreadsheet, rng: str, query: dict, body: dict) -> dict:
        vio = _input_option(query.get("valueInputOption"))
        cells = self._parse_payload(ss, body.get("values"), body.get("majorDimension"), vio)
        plan = self._plan(ss, rng, cells, grow=True)
        return self._apply(ss, plan, cells, query)

    def values_batch_update(self, ss: Spreadsheet, body: dict) -> dict:
        vio = _input_option(body.get("valueInputOption"))
        work = []
        for item in body.get("data") or []:
            cells = self._parse_payload(ss, item.get("values"), item.get("majorDimension"), vio)
            work.append((self._plan(ss, item.get("range") or "", cells, grow=False), cells))
        responses = [self._apply(ss, plan, cells, body) for plan, cells in work]
        out: dict = {"spreadsheetId": ss.id}
        done = [r for r in responses if "updatedRange" in r]
        if done:
            out.update({"totalUpdatedRows": sum(r["updatedRows"] for r in done),
                        "totalUpdatedColumns": sum(r["updatedColumns"] for r in done),
                        "totalUpdatedCells": sum(r["updatedCells"] for r in done),
                        "totalUpdatedSheets": len({p[0].id for p, _ in work if p[3]})})
        out["responses"] = responses
        return out

    def values_append(self, ss: Spreadsheet, rng: str, query: dict, body: dict) -> dict:
        """Find the table in ``rng``, then write right below it, from the table's first column.

        Google's rule, as recorded (gspread cassettes ``test_append_row_with_empty_value*``,
        gspread issue #537): a table starts at the first row of the range holding a value and
        continues through *contiguous* non-empty rows (a blank row ends it, so appending to a
        sheet with a gap writes into the gap). Across, a table is a run of adjacent columns
        holding values: a blank column splits it. Given a whole tab, Google takes the *last*
        run (row ``[x, "", y]`` -> ``tableRange "Sheet1!C1"``, new row at ``C2:E2``); given a
        cell or range, the first run at or after its first column. INSERT_ROWS inserts fresh
        rows; OVERWRITE (default) writes over whatever is there and grows the grid when needed.
        """
        vio = _input_option(query.get("valueInputOption"))
        option = _enum(query.get("insertDataOption"), ("OVERWRITE", "INSERT_ROWS"),
                       "insert_data_option", "OVERWRITE")
        cells = self._parse_payload(ss, body.get("values"), body.get("majorDimension"), vio)
        sheet, r0, c0, r1, c1, _ = ss.resolve(rng)
        whole_tab = split_sheet(rng)[1] is None
        rows = sheet.rows
        lim_r = min(len(rows), sheet.row_count if r1 is None else r1)
        lim_c = sheet.col_count if c1 is None else c1
        start = next((r for r in range(r0, lim_r)
                      if any(v is not None for v in rows[r][c0:lim_c])), None)
        out: dict = {"spreadsheetId": ss.id}
        if start is None:
            at_r, at_c = r0, c0
        else:
            try:  # first blank row after the table start (C-speed scan; blank == [])
                end = rows.index([], start)
            except ValueError:
                end = len(rows)
            width = min(max(map(len, rows[start:end])), lim_c)
            used = [any(j < len(row) and row[j] is not None for row in rows[start:end]) for j in range(width)]
            runs: list[tuple[int, int]] = []
            for j in range(c0, width):
                if used[j]:
                    if runs and runs[-1][1] == j:
                        runs[-1] = (runs[-1][0], j + 1)
                    else:
                        runs.append((j, j + 1))
            at_c, stop = runs[-1] if whole_tab else runs[0]
            out["tableRange"] = format_range(sheet.title, start, at_c, end, stop)
            at_r = end
        target = format_range(sheet.title, at_r, at_c, at_r + 1, at_c + 1)
        if option == "INSERT_ROWS" and cells:
            self.insert_blank_rows(ss, sheet, at_r, len(cells))
        plan = self._plan(ss, target, cells, grow=True)
        out["updates"] = self._apply(ss, plan, cells, query)
        return out

    def values_clear(self, ss: Spreadsheet, rng: str) -> str:
        sheet, r0, c0, r1, c1 = self.read_rect(ss, rng)
        for row in sheet.rows[r0:r1]:
            for j in range(c0, min(c1, len(row))):
                row[j] = None
            while row and row[-1] is None:
                row.pop()
        ss.touch()
        return format_range(sheet.title, r0, c0, r1, c1)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)
