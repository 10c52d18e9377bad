"""Where the bot writes in an .xlsx register: bot columns by key, appended rows, merged cells.

Works on what was just re-read (`RawTabs`, values) and on the zip being patched (`Package`):
rows are found by key *now*, appended after the last row holding a value (formatted but empty
rows left by "clear contents" cost nothing: the reader skipped them), and a merged range over a
cell the bot writes is reported before sending (`merge_conflicts`).
"""

from __future__ import annotations

from typing import Any, Iterator

from relance.adapters.backends import ApplyReport, Row, cells_by_key
from relance.adapters.backends.xlsx_patch import Package
from relance.core import cells, schema
from relance.core.model import RawTab, RawTabs

EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               b'<sheetData/></worksheet>')


def merged_ranges(package: Package, title: str) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Merged ranges of a tab (the sheet is split, not parsed whole: see `SheetPatch`)."""
    return package.sheet(title).merged_ranges()


def _header(raw: RawTab | None) -> list[Any]:
    return list(raw.rows[0]) if raw and raw.rows else []


def bot_columns(tab: schema.Tab, raw: RawTab | None, keys: list[str]) -> dict[str, int]:
    """1-based column of each key: where its header is, else the next free column after the header."""
    header = _header(raw)
    positions = {k: i + 1 for k, i in schema.map_headers(tab, header).items() if k in keys}
    last = max([i for i, v in enumerate(header, start=1) if cells.clean_text(v)], default=0)
    for key in keys:
        if key not in positions:
            last += 1
            positions[key] = last
    return positions


def merge_conflicts(package: Package, current: RawTabs) -> Iterator[tuple[str, str, bool]]:
    """(tab, range, mixed) of each merged range covering a cell the bot may write.

    Bot cells are the bot columns of Factures and Tâches (below the header) and every cell below
    the last row of Journal and Tâches (where rows are appended). A range holding only such cells
    is safe to unmerge (a merge keeps its value in the top-left cell only: nothing is lost);
    `mixed` = it also covers staff cells, which relance refuses to reshape before sending."""
    for tab in (schema.FACTURES, schema.JOURNAL, schema.TACHES):
        raw = current.get(tab.name)
        if raw is None:
            continue
        keys = [c.key for c in tab.bot_columns]
        bot = set(bot_columns(tab, raw, keys).values()) if keys else set()
        last = max(len(raw.rows), 1)
        appends = tab is not schema.FACTURES
        for ref, (min_col, min_row, max_col, max_row) in merged_ranges(package, raw.title):
            columns = set(range(min_col, max_col + 1))
            in_bot_columns = max_row >= 2 and bool(columns & bot)
            in_append_zone = appends and max_row > last
            if not (in_bot_columns or in_append_zone):
                continue
            safe = (min_row > last and appends) or (min_row >= 2 and columns <= bot)
            yield raw.title, ref, not safe


class TabWriter:
    """Bot writes into the data tabs of a `Package`, addressed from the values re-read just now."""

    def __init__(self, package: Package, current: RawTabs):
        self.package = package
        self.current = dict(current)

    def _raw(self, tab: schema.Tab) -> RawTab:
        """The tab as re-read; created (headers only) when staff deleted it."""
        raw = self.current.get(tab.name)
        if raw is None:
            self.package.put_sheet(tab.name, EMPTY_SHEET)
            patch = self.package.sheet(tab.name)
            for index, column in enumerate(tab.columns, start=1):
                patch.set(1, index, column.header)
            raw = RawTab(tab.name, [list(tab.headers)])
            self.current[tab.name] = raw
        return raw

    def _positions(self, tab: schema.Tab, raw: RawTab, keys: list[str]) -> dict[str, int]:
        positions = bot_columns(tab, raw, keys)
        header = _header(raw)
        patch = self.package.sheet(raw.title)
        for key, column in positions.items():
            if column > len(header) or not cells.clean_text(header[column - 1]):
                patch.set(1, column, tab.column(key).header)  # a bot column staff removed comes back at the end
        return positions

    def append(self, tab: schema.Tab, rows: tuple[Row, ...]) -> None:
        """Rows after the last row holding a value: linear in the rows written, whatever lies below."""
        raw = self._raw(tab)
        positions = self._positions(tab, raw, [c.key for c in tab.columns])
        patch = self.package.sheet(raw.title)
        number = max(len(raw.rows), 1)
        for row in rows:
            number += 1
            for key, value in row.items():
                if value not in (None, ""):
                    patch.set(number, positions[key], value)
            raw.rows.append([])  # a second append in the same write goes below

    def update_by_key(self, tab: schema.Tab, key_column: str, updates: dict,
                      allowed: list[str] | None = None) -> ApplyReport:
        """Set cells of the rows whose `key_column` holds each key *now*; keys no longer found are reported."""
        allowed = allowed or sorted({k for values in updates.values() for k in values})
        raw = self._raw(tab)
        positions = self._positions(tab, raw, allowed)
        key_index = schema.map_headers(tab, _header(raw)).get(key_column)
        rows_by_key: dict[str, list[int]] = {}
        if key_index is not None:
            for number, values in enumerate(raw.rows[1:], start=2):
                key = cells.clean_text(values[key_index]) if key_index < len(values) else ""
                if key:
                    rows_by_key.setdefault(key, []).append(number)
        found, report = cells_by_key(updates, rows_by_key, allowed)
        patch = self.package.sheet(raw.title)
        for number, column, value in found:
            patch.set(number, positions[column], value)
        return report

    def put_rows(self, name: str, rows: list[list[Any]]) -> None:
        """A bot-owned tab rewritten whole with plain values."""
        self.package.put_sheet(name, EMPTY_SHEET)
        patch = self.package.sheet(name)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values, start=1):
                if value is not None:
                    patch.set(r, c, value)
