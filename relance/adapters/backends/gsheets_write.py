"""What one `apply` writes to Google Sheets, computed from fresh reads. Pure: no network.

The backend re-reads Factures' header and key column, Journal and Tâches just
before writing; `plan_write` turns `Changes` plus those reads into:

- cell writes, as ``updateCells`` requests (one rectangle per run of rows writing the same columns;
  staff columns between bot columns are never inside one), new rows as ``appendCells``;
- the structure they need first (a missing Journal or Tâches tab, rows or columns beyond the
  grid), built from the spreadsheet metadata by `structure_requests`.
The backend sends both, with the summary tabs, in one atomic ``spreadsheets.batchUpdate``.

Factures rows are found by invoice number *as read just now*, so a sort or an inserted row during
the run never sends a write to the wrong invoice. New Journal/Tâches rows go after the last row
holding anything. Values are written as data: text is a ``stringValue`` (``=SUM(A1)`` stays text,
the guarantee of ``valueInputOption=RAW``), Decimals become JSON numbers from their exact text,
dates and timestamps ISO text (``2026-11-25``, ``2026-11-25 10:00``), which `relance.cells`
reads back and which sorts correctly as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping

from relance.core import cells as cellmod
from relance.core import schema
from relance.adapters.backends import ApplyReport, Changes, cells_by_key

MAX_CELL_TEXT = 50_000  # Google's limit per cell
NEW_TAB_ROWS, NEW_TAB_COLUMNS = 1000, 26
GRID_END = re.compile(r"!\$?[A-Z]+\$?\d+:\$?([A-Z]+)\$?(\d+)$")
Cells = dict[tuple[int, int], Any]  # (1-based row, 0-based column) -> value


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def to_cell(value: Any) -> Any:
    """A Python value as a RAW cell value (text, number or boolean; '' clears)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")  # wall time in the register's timezone
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else str(value)  # shortest repr: no 1234.5600001
    if isinstance(value, (int, float)):
        return value
    return str(value)[:MAX_CELL_TEXT]


def cell_data(value: Any) -> dict:
    """A RAW cell value as the API's ``CellData``: text is a ``stringValue``, stored as typed, never
    parsed, so ``=SUM(A1)`` stays text exactly as with ``valueInputOption=RAW``; '' clears the cell."""
    if value is None or (isinstance(value, str) and not value):
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (int, float)):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": str(value)}}


@dataclass(frozen=True, slots=True)
class SheetInfo:
    id: int
    title: str
    rows: int
    cols: int
    charts: tuple[int, ...] = ()
    locked: tuple["Locked", ...] = ()  # protected ranges this account may not edit


@dataclass(frozen=True, slots=True)
class Locked:
    """A protected range the robot may not write (0-based, end-exclusive; None: unbounded)."""
    rows: tuple[int, int | None]
    cols: tuple[int, int | None]
    description: str = ""

    def touches(self, rows: tuple[int, int | None], cols: tuple[int, int | None]) -> bool:
        def overlap(a: tuple[int, int | None], b: tuple[int, int | None]) -> bool:
            return (a[1] is None or b[0] < a[1]) and (b[1] is None or a[0] < b[1])
        return overlap(self.rows, rows) and overlap(self.cols, cols)

    def a1(self, title: str) -> str:
        """``Factures!N2:N`` style, for staff."""
        first = schema.column_letter(self.cols[0])
        last = schema.column_letter(self.cols[1] - 1) if self.cols[1] is not None else ""
        top = str(self.rows[0] + 1) if self.rows[0] or self.rows[1] is not None else ""
        bottom = str(self.rows[1]) if self.rows[1] is not None else ""
        return f"{title}!{first}{top}:{last or first}{bottom}"


class Meta:
    """The spreadsheet's tabs as ``spreadsheets.get`` described them."""

    def __init__(self, answer: Mapping[str, Any]):
        self.sheets: list[SheetInfo] = []
        for sheet in answer.get("sheets", []):
            props, grid = sheet.get("properties", {}), sheet.get("properties", {}).get("gridProperties", {})
            locked = tuple(Locked((r.get("startRowIndex", 0), r.get("endRowIndex")),
                                  (r.get("startColumnIndex", 0), r.get("endColumnIndex")), p.get("description", ""))
                           for p in sheet.get("protectedRanges", []) if "range" in p
                           and not p.get("warningOnly") and not p.get("requestingUserCanEdit")
                           for r in [p["range"]])
            self.sheets.append(SheetInfo(props.get("sheetId", 0), props.get("title", ""), grid.get("rowCount", 0),
                                         grid.get("columnCount", 0),
                                         tuple(c["chartId"] for c in sheet.get("charts", []) if "chartId" in c),
                                         locked))

    @property
    def titles(self) -> list[str]:
        return [s.title for s in self.sheets]

    def find(self, tab: schema.Tab) -> SheetInfo | None:
        """The sheet for `tab` by the register's rule (`backends.match_tab`): the canonical name first, an
        English alias only when it is absent, tabs relance writes whole by their own name only, and two
        candidates refused: a staff « Summary » or « Log » tab is never read nor rewritten as ours."""
        from relance.adapters.backends import match_tab
        title, _ = match_tab(self.titles, tab)
        return next((s for s in self.sheets if s.title == title), None) if title else None

    def saw(self, answered: str, rows: bool = True, cols: bool = True) -> None:
        """Grid size from the range a read answered: a whole tab (``'Journal'!A1:L1042``) answers
        with its whole grid, so staff rows added or deleted since the metadata are accounted for."""
        match = GRID_END.search(answered)
        if not match:
            return
        title = answered[:match.start()]
        title = title[1:-1].replace("''", "'") if title.startswith("'") else title
        width = 0
        for letter in match.group(1):
            width = width * 26 + ord(letter) - 64
        height = int(match.group(2))
        self.sheets = [replace(s, rows=height if rows else s.rows, cols=width if cols else s.cols)
                       if s.title == title else s for s in self.sheets]

    def new_id(self, taken: Iterable[int] = ()) -> int:
        used = {s.id for s in self.sheets} | set(taken)
        candidate = 1_000_001
        while candidate in used:
            candidate += 1
        return candidate


@dataclass
class TabRead:
    """A tab as re-read before writing: header, rows per key value, last row holding anything."""

    title: str
    header: list[Any]
    rows_by_key: dict[str, list[int]] = field(default_factory=dict)
    last_row: int = 0
    rows: list[list[Any]] = field(default_factory=list, repr=False)  # as read (did a lost write land?)

    @classmethod
    def from_rows(cls, title: str, tab: schema.Tab, rows: list[list[Any]], key: str | None) -> "TabRead":
        header = list(rows[0]) if rows else []
        read = cls(title, header, rows=rows)
        index = schema.map_headers(tab, header).get(key) if key else None
        for number, row in enumerate(rows, start=1):
            if any(cellmod.clean_text(v) for v in row):
                read.last_row = number
                if index is not None and number > 1 and index < len(row):
                    value = cellmod.clean_text(row[index])
                    if value:
                        read.rows_by_key.setdefault(value, []).append(number)
        return read


@dataclass
class Target:
    """Where one tab's writes go: its cells, and the tab itself if it must be created."""

    tab: schema.Tab
    title: str
    read: TabRead | None
    cells: Cells = field(default_factory=dict)
    create: bool = False

    def header(self) -> list[Any]:
        """The header row as it will be: as read, plus headers this plan adds."""
        header = list(self.read.header if self.read else [])
        for (row, col), value in self.cells.items():
            if row == 1:
                header += [None] * (col + 1 - len(header))
                header[col] = value
        return header

    def positions(self, keys: Iterable[str]) -> dict[str, int]:
        """0-based column of each key; a missing header is written after the last one."""
        header = self.header()
        found = schema.map_headers(self.tab, header)
        last = max([i for i, v in enumerate(header) if cellmod.clean_text(v)], default=-1)
        for key in keys:
            if key not in found:
                last += 1
                found[key] = last
                self.cells[(1, last)] = self.tab.column(key).header
        return found

    def next_row(self) -> int:
        last = max([r for r, _ in self.cells] + [self.read.last_row if self.read else 0, 1])
        return last + 1

    def append(self, rows: Iterable[Mapping[str, Any]]) -> dict[str, list[int]]:
        """New rows after the last used one; returns their rows by ``key`` (Clé) value."""
        positions = self.positions([c.key for c in self.tab.columns])
        added: dict[str, list[int]] = {}
        number = self.next_row()
        for row in rows:
            for key, value in row.items():
                if value not in (None, ""):
                    self.cells[(number, positions[key])] = to_cell(value)
            if row.get("key"):
                added.setdefault(str(row["key"]), []).append(number)
            number += 1
        return added

    def update(self, updates: Mapping[str, Mapping[str, Any]], allowed: Iterable[str] | None = None,
               extra_rows: Mapping[str, list[int]] | None = None) -> ApplyReport:
        """Set cells of the rows whose key column holds each key; keys no longer found are reported."""
        allowed = list(allowed or sorted({k for values in updates.values() for k in values}))
        positions = self.positions(allowed)
        known = dict(self.read.rows_by_key if self.read else {})
        for key, rows in (extra_rows or {}).items():
            known[key] = known.get(key, []) + rows
        found, report = cells_by_key(updates, known, allowed)
        for row, column, value in found:
            self.cells[(row, positions[column])] = to_cell(value)
        return report

    def requests(self, sheet_id: int) -> list[dict]:
        """The cells as ``updateCells`` requests (``userEnteredValue`` only: staff formatting stays).
        An ``updateCells`` sets every cell of its rectangle, so over existing rows one request covers
        consecutive rows writing the same columns, one per run of adjacent columns: a staff column
        between two bot columns is never in a rectangle. New rows go in one ``appendCells`` (after the
        last row holding a value *when Google applies it*: a Journal line staff type between the re-read
        and this write is never overwritten), or, under a header this write adds, one rectangle."""
        by_row: dict[int, dict[int, Any]] = {}
        for (row, col), value in self.cells.items():
            by_row.setdefault(row, {})[col] = value
        first_new = (self.read.last_row if self.read else 0) + 1
        new = "append" if self.read is not None and 1 not in by_row else "new"
        out: list[dict] = []
        run: list[int] = []
        shape: Any = None
        for row in sorted(by_row):
            this = new if row >= first_new else frozenset(by_row[row])
            if run and (row != run[-1] + 1 or this != shape):
                out += self._rectangles(sheet_id, run, shape, by_row)
                run = []
            run.append(row)
            shape = this
        if run:
            out += self._rectangles(sheet_id, run, shape, by_row)
        return out

    @staticmethod
    def _rectangles(sheet_id: int, rows: list[int], shape: Any, by_row: dict[int, dict[int, Any]]) -> list[dict]:
        if shape == "append":
            width = max(c for r in rows for c in by_row[r]) + 1
            return [{"appendCells": {"sheetId": sheet_id, "fields": "userEnteredValue", "rows": [
                {"values": [cell_data(by_row[r].get(c)) for c in range(width)]} for r in rows]}}]
        if shape == "new":
            columns = [(min(c for r in rows for c in by_row[r]), max(c for r in rows for c in by_row[r]))]
        else:
            columns = []
            for col in sorted(shape):
                if columns and col == columns[-1][1] + 1:
                    columns[-1] = (columns[-1][0], col)
                else:
                    columns.append((col, col))
        return [{"updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": rows[0] - 1, "columnIndex": first},
            "rows": [{"values": [cell_data(by_row[r].get(c)) for c in range(first, last + 1)]} for r in rows],
            "fields": "userEnteredValue"}} for first, last in columns]

    def size(self) -> tuple[int, int]:
        """Rows and columns the grid needs for these writes."""
        return (max((r for r, _ in self.cells), default=0), max((c + 1 for _, c in self.cells), default=0))


@dataclass
class WritePlan:
    targets: list[Target]
    report: ApplyReport

    def requests(self, sheet_ids: Mapping[str, int]) -> list[dict]:
        return [request for target in self.targets for request in target.requests(sheet_ids[target.title])]


def target(meta: Meta, reads: Mapping[str, TabRead], tab: schema.Tab) -> Target:
    info = meta.find(tab)
    if info is None:
        return Target(tab, tab.name, None, create=True)
    return Target(tab, info.title, reads.get(tab.name))


def plan_write(changes: Changes, meta: Meta, reads: Mapping[str, TabRead]) -> WritePlan:
    """Every cell `changes` sets in Factures, Journal and Tâches, addressed as of `reads`."""
    targets: list[Target] = []
    report = ApplyReport()
    if changes.journal:
        journal = target(meta, reads, schema.JOURNAL)
        journal.append(changes.journal)
        targets.append(journal)
    if changes.tasks or changes.task_updates:
        tasks = target(meta, reads, schema.TACHES)
        added = tasks.append(changes.tasks) if changes.tasks else {}
        if changes.task_updates:
            tasks.update(changes.task_updates, extra_rows=added)
        targets.append(tasks)
    if changes.invoices:
        factures = target(meta, reads, schema.FACTURES)
        if factures.create:  # never create Factures behind staff's back: nothing to address
            report = ApplyReport(0, tuple(changes.invoices))
        else:
            report = factures.update(changes.invoices, [c.key for c in schema.FACTURES.bot_columns])
            targets.append(factures)
    return WritePlan(targets, report)


def landed(changes: Changes, reads: Mapping[str, TabRead]) -> bool:
    """Whether a write of `changes` that may have been applied (its answer lost) is in `reads`:
    its journal rows are there, consecutive, or else every task it adds is there by key.
    (A write of Factures cells alone is simply sent again: rewriting them is harmless.)"""
    journal, tasks = reads.get(schema.JOURNAL.name), reads.get(schema.TACHES.name)
    if changes.journal and journal is not None:
        rows = append_values(schema.JOURNAL, journal.header, changes.journal)
        return rows is not None and contains_rows(journal.rows, rows)
    if changes.tasks and tasks is not None:
        keys = [str(t["key"]) for t in changes.tasks if t.get("key")]
        return bool(keys) and all(k in tasks.rows_by_key for k in keys)
    return False


def structure_requests(meta: Meta, needs: Iterable[tuple[str, int, int, bool]]) -> list[dict]:
    """``addSheet``/``appendDimension`` so each (title, rows, columns, hidden) need fits the grid."""
    requests: list[dict] = []
    taken: list[int] = []
    for title, rows, cols, hidden in needs:
        info = next((s for s in meta.sheets if s.title == title), None)
        if info is None:
            sheet_id = meta.new_id(taken)
            taken.append(sheet_id)
            props: dict[str, Any] = {"sheetId": sheet_id, "title": title, "gridProperties": {
                "rowCount": max(NEW_TAB_ROWS, rows), "columnCount": max(NEW_TAB_COLUMNS, cols)}}
            if hidden:
                props["hidden"] = True
            requests.append({"addSheet": {"properties": props}})
            continue
        if rows > info.rows:
            requests.append({"appendDimension": {"sheetId": info.id, "dimension": "ROWS",
                                                 "length": rows - info.rows}})
        if cols > info.cols:
            requests.append({"appendDimension": {"sheetId": info.id, "dimension": "COLUMNS",
                                                 "length": cols - info.cols}})
    return requests


def added_sheet_ids(requests: Iterable[dict]) -> dict[str, int]:
    return {r["addSheet"]["properties"]["title"]: r["addSheet"]["properties"]["sheetId"]
            for r in requests if "addSheet" in r}


def append_values(tab: schema.Tab, header: list[Any], rows: Iterable[Mapping[str, Any]]) -> list[list[Any]] | None:
    """`rows` laid out under `header`, from column A, for ``appendCells``; None when a needed column has no header
    (the general write path then adds it)."""
    positions = schema.map_headers(tab, header)
    out = []
    for row in rows:
        values: dict[int, Any] = {}
        for key, value in row.items():
            if value in (None, ""):
                continue
            if key not in positions:
                return None
            values[positions[key]] = to_cell(value)
        out.append([values.get(c, "") for c in range(max(values, default=-1) + 1)])
    return out


def contains_rows(table: list[list[Any]], rows: list[list[Any]]) -> bool:
    """Whether `rows` appear, consecutive, in `table` (did an append that timed out land?)."""
    def norm(row: list[Any]) -> tuple:  # trailing blanks dropped
        values = ["" if v is None else v for v in row]
        return tuple(values[:max((i + 1 for i, v in enumerate(values) if v != ""), default=0)])
    wanted, have = [norm(r) for r in rows], [norm(r) for r in table]
    return any(have[i:i + len(wanted)] == wanted for i in range(len(have) - len(wanted) + 1)
               if have[i] == wanted[0]) if wanted else True
