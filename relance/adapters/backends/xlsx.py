"""The local .xlsx backend (openpyxl): the embedded default, no account needed.

Reading uses openpyxl's read-only, cached-values mode (fast, and a formula typed
by staff is read as the value Excel last computed). Writing re-opens the full
workbook so staff formatting, formulas and validations survive, touches only
bot-owned columns and appended rows, and saves atomically: a temporary file in
the same folder, then a rename, so a crash never leaves a half-written register.

A workbook open in Excel (``~$registre.xlsx``) or LibreOffice
(``.~lock.registre.xlsx#``) is refused before anything is sent: saving over it
would be lost when the user saves, or would fail on Windows.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from relance.core import cells, schema
from relance.documents.anonymise import Redaction, grouped, matching_rows
from relance.adapters.faults import crashpoint
from relance.adapters.files import umask_mode
from relance.core.model import RawTab, RawTabs
from relance.adapters.backends import ApplyReport, BackendError, Changes, RegisterLocked, Row, cells_by_key

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MONEY_FORMAT = '#,##0.00 "€"'
MAX_CELL_TEXT = 32_000  # Excel's limit is 32 767 characters per cell
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOT_FILL = PatternFill("solid", fgColor="F2F2F2")


def lock_files(path: Path) -> list[Path]:
    """Office lock files that exist for `path` (Excel ``~$``, LibreOffice ``.~lock.…#``)."""
    candidates = [path.with_name(f".~lock.{path.name}#"), path.with_name(f"~${path.name}"),
                  path.with_name(f"~${path.name[2:]}")]
    return [p for p in candidates if p.exists()]


def set_value(cell: Cell, value: Any) -> None:
    """Store `value` as data: text stays text even when it starts with ``=``."""
    if isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)  # wall time in the register's timezone; Excel has no zones
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, Decimal):
        cell.value = value
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
        cell.data_type = "s"  # openpyxl would otherwise turn "=…" into a formula
    else:
        cell.value = value


class XlsxBackend:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.description = str(self.path)

    def run_lock(self, owner: str, ttl):
        """One run at a time: ``.<workbook>.relance.lock`` beside the workbook (see relance/lock.py)."""
        from relance.adapters.lock import FileLock, lock_path
        return FileLock(lock_path(self.path), owner, ttl, register=self.path)  # one per register; no read-only

    def check_unlocked(self) -> None:
        locks = lock_files(self.path)
        if locks:
            raise RegisterLocked(
                f"{self.path.name} est ouvert dans Excel ou LibreOffice (fichier de verrou {locks[0].name}) : "
                f"fermez-le puis relancez. Rien n'a été envoyé.")

    def load(self, tabs: tuple[schema.Tab, ...] = schema.TABS) -> RawTabs:
        """Every tab of `tabs` found in the workbook (by name or alias), as cached values."""
        if not self.path.exists():
            raise BackendError(f"registre introuvable : {self.path} (créez-le avec `relance init {self.path.name}`)")
        self.check_unlocked()
        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise BackendError(f"{self.path} n'est pas un classeur .xlsx lisible : {exc}") from None
        try:
            found: RawTabs = {}
            for tab in tabs:
                title = schema.find_tab(workbook.sheetnames, tab)
                if title is None:
                    continue
                sheet = workbook[title]
                sheet.reset_dimensions()
                rows = [list(row) for row in sheet.iter_rows(values_only=True)]
                found[tab.name] = RawTab(title, rows)
            return found
        finally:
            workbook.close()

    def redact(self, todo: Iterable[Redaction]) -> int:
        """Erase personal data in staff columns for `relance anonymise`; returns the cells changed.

        The one exception to "the bot writes only its own columns", kept narrow on purpose: it only sets
        the cells a `Redaction` names (rows found by key *now*, as invoice writes are), to empty or to a
        fixed text, and nothing but `relance anonymise` (after confirmation) calls it.
        """
        groups = grouped(todo)
        if not groups:
            return 0
        self.check_unlocked()
        workbook = openpyxl.load_workbook(self.path)
        tabs = {t.name: t for t in schema.TABS}
        changed = 0
        for (tab, key_column), by_key in groups.items():
            title = schema.find_tab(workbook.sheetnames, tabs[tab])
            if title is None:
                continue
            sheet = workbook[title]
            rows = [(n, [c.value for c in sheet[n]]) for n in range(2, sheet.max_row + 1)]
            for number, index, value in matching_rows(tabs[tab], key_column, by_key, [c.value for c in sheet[1]],
                                                      rows):
                cell = sheet.cell(row=number, column=index + 1)
                if cells.clean_text(cell.value) == value:
                    continue
                if value:
                    set_value(cell, value)
                else:
                    cell.value = None
                changed += 1
        if changed:
            save_atomically(workbook, self.path)
        return changed

    def reread(self, tab_name: str) -> RawTab | None:
        """One tab as it is *now* (the safe write-back compares it with what the run read)."""
        return self.load(tuple(t for t in schema.TABS if t.name == tab_name)).get(tab_name)

    def apply(self, changes: Changes) -> ApplyReport:
        if not changes:
            return ApplyReport()
        self.check_unlocked()
        workbook = openpyxl.load_workbook(self.path)
        report = ApplyReport()
        if changes.journal:
            append_rows(sheet_for(workbook, schema.JOURNAL), schema.JOURNAL, changes.journal)
        if changes.tasks:
            append_rows(sheet_for(workbook, schema.TACHES), schema.TACHES, changes.tasks)
        if changes.task_updates:
            update_by_key(sheet_for(workbook, schema.TACHES), schema.TACHES, "key", changes.task_updates)
        if changes.invoices:
            report = update_invoices(sheet_for(workbook, schema.FACTURES), changes.invoices)
        for name, rows in changes.sheets.items():
            rewrite_sheet(workbook, name, rows)
        if changes.layouts:
            from relance.adapters.backends.xlsx_summary import write_layouts
            write_layouts(workbook, changes.layouts)
        save_atomically(workbook, self.path)
        return report


def save_atomically(workbook: openpyxl.Workbook, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".relance-", suffix=".xlsx")
    os.close(fd)
    try:
        workbook.save(tmp)
        crashpoint("classeur écrit (temporaire)")
        os.chmod(tmp, umask_mode(path))  # the file's own mode, or the umask's for a new one (never 0600)
        os.replace(tmp, path)
        crashpoint("classeur remplacé")
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BackendError(f"enregistrement de {path} impossible : {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sheet_for(workbook: openpyxl.Workbook, tab: schema.Tab) -> Worksheet:
    """The tab (by name or alias), created with its headers when missing."""
    title = schema.find_tab(workbook.sheetnames, tab)
    if title is not None:
        return workbook[title]
    sheet = workbook.create_sheet(tab.name)
    write_headers(sheet, tab)
    return sheet


def header_positions(sheet: Worksheet, tab: schema.Tab, keys: Iterable[str]) -> dict[str, int]:
    """1-based column of each key; a missing bot column gets a new header at the end."""
    header = [c.value for c in sheet[1]] if sheet.max_row >= 1 else []
    found = schema.map_headers(tab, header)
    positions = {k: i + 1 for k, i in found.items()}
    last = max([i for i, v in enumerate(header, start=1) if v not in (None, "")], default=0)
    for key in keys:
        if key not in positions:
            last += 1
            cell = sheet.cell(row=1, column=last)
            set_value(cell, tab.column(key).header)
            cell.font = Font(bold=True)
            positions[key] = last
    return positions


def last_used_row(sheet: Worksheet) -> int:
    for row in range(sheet.max_row, 1, -1):
        if any(cells.clean_text(c.value) for c in sheet[row]):
            return row
    return 1


def append_rows(sheet: Worksheet, tab: schema.Tab, rows: tuple[Row, ...]) -> None:
    keys = [c.key for c in tab.columns]
    positions = header_positions(sheet, tab, keys)
    row_number = last_used_row(sheet)
    for row in rows:
        row_number += 1
        for key, value in row.items():
            if value not in (None, ""):
                set_value(sheet.cell(row=row_number, column=positions[key]), value)


def update_invoices(sheet: Worksheet, updates: dict) -> ApplyReport:
    """Write bot columns, each row found by its invoice number *now*, not when read."""
    bot_keys = [c.key for c in schema.FACTURES.bot_columns]
    return update_by_key(sheet, schema.FACTURES, "invoice", updates, allowed=bot_keys)


def update_by_key(sheet: Worksheet, tab: schema.Tab, key_column: str, updates: dict,
                  allowed: list[str] | None = None) -> ApplyReport:
    """Set cells of the rows whose `key_column` holds each key; keys no longer found are reported."""
    allowed = allowed or sorted({k for values in updates.values() for k in values})
    positions = header_positions(sheet, tab, allowed)
    key_col = positions[key_column]
    rows_by_key: dict[str, list[int]] = {}
    for row in range(2, sheet.max_row + 1):
        key = cells.clean_text(sheet.cell(row=row, column=key_col).value)
        if key:
            rows_by_key.setdefault(key, []).append(row)
    found, report = cells_by_key(updates, rows_by_key, allowed)
    for row, column, value in found:
        set_value(sheet.cell(row=row, column=positions[column]), value)
    return report


def rewrite_sheet(workbook: openpyxl.Workbook, name: str, rows: list[list[Any]]) -> Worksheet:
    """Replace a bot-owned tab (Synthèse, Historique) with `rows`."""
    tab = next((t for t in schema.TABS if t.name == name), schema.Tab(name, ()))
    title = schema.find_tab(workbook.sheetnames, tab)
    index = workbook.sheetnames.index(title) if title else None
    if title:
        del workbook[title]
    sheet = workbook.create_sheet(name, index)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                set_value(sheet.cell(row=r, column=c), value)
    return sheet


def write_headers(sheet: Worksheet, tab: schema.Tab) -> None:
    """Header row in bold, frozen, sized, with drop-downs for the constrained columns."""
    for index, column in enumerate(tab.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        set_value(cell, column.header)
        cell.font = Font(bold=True)
        cell.fill = BOT_FILL if column.owner == schema.BOT else HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = max(column.width, len(column.header) + 2)
        if column.choices:
            validation = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"',
                                        allow_blank=True, showErrorMessage=True,
                                        errorTitle=column.header, error="Choisissez une valeur de la liste.")
            validation.add(f"{get_column_letter(index)}2:{get_column_letter(index)}100000")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def create_workbook(path: Path, rows: dict[str, list[Row]] | None = None) -> None:
    """A new register with every tab of design §2, optionally filled (the demo)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for tab in schema.DATA_TABS:
        sheet = workbook.create_sheet(tab.name)
        write_headers(sheet, tab)
        for r, row in enumerate((rows or {}).get(tab.name, []), start=2):
            for c, column in enumerate(tab.columns, start=1):
                value = row.get(column.key)
                if value not in (None, ""):
                    set_value(sheet.cell(row=r, column=c), value)
    for tab in (schema.SYNTHESE, schema.HISTORIQUE):
        workbook.create_sheet(tab.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_atomically(workbook, path)
