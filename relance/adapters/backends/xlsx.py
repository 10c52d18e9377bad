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
import shutil
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from relance.core import cells, memory, schema
from relance.documents.anonymise import Redaction, grouped, matching_rows
from relance.adapters.faults import crashpoint
from relance.adapters.files import umask_mode
from relance.core.model import RawTab, RawTabs
from relance.adapters.backends import ApplyReport, BackendError, Changes, RegisterLocked, Row, match_tab
from relance.adapters.backends.xlsx_read import read_tab

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MONEY_FORMAT = '#,##0.00 "€"'
MAX_REGISTER_MB = 20  # measured 6.5 MB (60 000 invoices): 26 s CPU, 0.5 GB peak (benchmarks/xlsx_cost.py)
MAX_CELL_TEXT = 32_000  # Excel's limit is 32 767 characters per cell
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOT_FILL = PatternFill("solid", fgColor=schema.BOT_HEADER_RGB)


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
    def __init__(self, path: Path, read_only: bool = False):
        self.path = Path(path)
        self.description = str(self.path)
        self.notes: list[str] = []  # the Backend protocol: nothing to say after a local write
        self.can_redact = True
        self.keeps_memory = True  # the « Mémoire » tab (relance/core/memory.py)
        self.read_only = read_only  # plan, summary, preview, check: a workbook open in Excel is read from a copy

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

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _open_read(self) -> Any:
        if not self.path.exists():
            raise BackendError(f"registre introuvable : {self.path} (créez-le avec `relance init {self.path.name}`)")
        check_size(self.path)
        try:
            return openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise BackendError(f"registre illisible : {self.path} est endommagé ou n'est pas un classeur .xlsx (ouvrez-le dans Excel ou "
                               f"LibreOffice et enregistrez-le à nouveau, ou restaurez une sauvegarde) : {exc}") from None

    def load(self, tabs: tuple[schema.Tab, ...] = schema.TABS + (memory.MEMORY_TAB,),
             keys_only: bool = False) -> RawTabs:
        """Every tab of `tabs` found in the workbook (by name, else by alias), as cached values.

        `keys_only` (what a write needs): the header, the rows' places and the key column only."""
        if self.read_only and self.path.exists() and lock_files(self.path):
            return self._load_copy(tabs)
        self.check_unlocked()
        workbook = self._open_read()
        try:
            found: RawTabs = {}
            for tab in tabs:
                title, note = match_tab(workbook.sheetnames, tab)
                if note:
                    self._note(note)
                if title is not None:
                    columns = _key_column(tab) if keys_only else None
                    found[tab.name] = read_tab(workbook, title, cut=bool(tab.columns), columns=columns)
            return found
        except BackendError:
            raise
        except Exception as exc:  # corrupt sheet XML inside a valid zip, …
            raise BackendError(f"registre illisible : {self.path} est endommagé ou n'est pas un classeur .xlsx (ouvrez-le dans Excel ou "
                               f"LibreOffice et enregistrez-le à nouveau, ou restaurez une sauvegarde) : {type(exc).__name__} : "
                               f"{exc}") from None
        finally:
            workbook.close()

    def _load_copy(self, tabs: tuple[schema.Tab, ...]) -> RawTabs:
        """Read a temporary copy: Excel on Windows denies other programs the open file, and a read-only
        command must work while staff have the register open (only writing runs refuse). The copy shows
        the last *saved* state, as the file itself would."""
        with tempfile.TemporaryDirectory(prefix="relance-") as folder:
            copy = Path(folder) / self.path.name
            try:
                shutil.copyfile(self.path, copy)
            except OSError as exc:
                raise BackendError(f"{self.path} ouvert dans Excel ou LibreOffice et illisible même en copie : "
                                   f"{exc.strerror or exc} ; fermez-le puis relancez.") from None
            return XlsxBackend(copy, read_only=False).load(tabs)

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
        tabs = {t.name: t for t in schema.TABS}
        current = self.load(tuple(tabs[name] for name in {tab for tab, _ in groups}))
        written: dict[tuple[str, int, int], str] = {}  # a cell named twice counts once
        with _Writer(self) as writer:
            changed = 0
            for (tab, key_column), by_key in groups.items():
                raw = current.get(tab)
                if raw is None:
                    continue
                header = raw.rows[0] if raw.rows else []
                rows = [(n, list(values)) for n, values in enumerate(raw.rows[1:], start=2)]
                patch = writer.package.sheet(raw.title)
                for number, index, value in matching_rows(tabs[tab], key_column, by_key, list(header), rows):
                    values = raw.rows[number - 1] if number - 1 < len(raw.rows) else []
                    old = written.get((raw.title, number, index), values[index] if index < len(values) else None)
                    if cells.clean_text(old) == value:
                        continue
                    patch.set(number, index + 1, value or None)
                    written[(raw.title, number, index)] = value
                    changed += 1
            if changed:
                writer.save()
        return changed

    def reread(self, tab_name: str) -> RawTab | None:
        """One tab as it is *now* (the safe write-back compares it with what the run read)."""
        return self.load(tuple(t for t in schema.TABS if t.name == tab_name)).get(tab_name)

    def check_writable(self, changes: Changes | None = None) -> None:
        """Before anything is sent: every cell the run will write can be written (merged cells)."""
        from relance.adapters.backends.xlsx_cells import merge_conflicts
        self.check_unlocked()
        current = self.load(WRITTEN_TABS, keys_only=True)
        with _Writer(self) as writer:
            refused = [f"{title}!{ref}" for title, ref, mixed in merge_conflicts(writer.package, current) if mixed]
        if refused:
            raise BackendError(
                f"cellules fusionnées sur des colonnes écrites par relance : {', '.join(refused[:10])} — "
                f"défusionnez-les (Format > Fusionner les cellules) puis relancez. Rien n'a été envoyé.")

    def apply(self, changes: Changes) -> ApplyReport:
        if not changes:
            return ApplyReport()
        try:
            return self._apply(changes)
        except (BackendError, OSError):
            raise
        except Exception as exc:  # a sheet part lxml cannot read, …: a sentence, never a traceback
            raise BackendError(f"{self.path.name} : écriture impossible ({type(exc).__name__} : {exc}) ; le classeur "
                               f"n'a pas été modifié, le prochain passage reprendra à partir du journal.") from None

    def _apply(self, changes: Changes) -> ApplyReport:
        from relance.adapters.backends.xlsx_cells import TabWriter, merge_conflicts
        self.check_unlocked()
        current = self.load(WRITTEN_TABS, keys_only=True)
        report = ApplyReport()
        with _Writer(self) as writer:
            for title, ref, _ in merge_conflicts(writer.package, current):  # after sending: never raise
                writer.package.sheet(title).unmerge([ref])
                self._note(f"{title}!{ref} : cellules fusionnées défusionnées (relance écrit dans ces cellules)")
            tab_writer = TabWriter(writer.package, current)
            if changes.journal:
                tab_writer.append(schema.JOURNAL, changes.journal)
            if changes.tasks:
                tab_writer.append(schema.TACHES, changes.tasks)
            if changes.task_updates:
                tab_writer.update_by_key(schema.TACHES, "key", changes.task_updates)
            if changes.invoices:
                bot_keys = [c.key for c in schema.FACTURES.bot_columns]
                report = tab_writer.update_by_key(schema.FACTURES, "invoice", changes.invoices, allowed=bot_keys)
            for name, rows in changes.sheets.items():
                tab_writer.put_rows(name, rows)
                if name == memory.TAB:  # shown only while it holds an alert for staff to act on
                    writer.package.set_hidden(name, not memory.alerting(rows))
            if changes.layouts:
                from relance.adapters.backends.xlsx_summary import transplant
                transplant(writer.package, changes.layouts)
            writer.save()
        return report


WRITTEN_TABS = (schema.FACTURES, schema.JOURNAL, schema.TACHES)
WRITE_KEYS = {schema.FACTURES.name: "invoice", schema.TACHES.name: "key"}  # rows are found by these


def _key_column(tab: schema.Tab):
    """For `read_tab(columns=…)`: the 1-based column holding `tab`'s write key, from its header."""
    def columns(header: list[Any]) -> set[int]:
        key = WRITE_KEYS.get(tab.name)
        index = schema.map_headers(tab, header).get(key) if key else None
        return {index + 1} if index is not None else set()
    return columns


class _Writer:
    """The register's zip opened for patching; `save` writes it atomically beside the original."""

    def __init__(self, backend: XlsxBackend):
        self.backend = backend

    def __enter__(self) -> "_Writer":
        from relance.adapters.backends.xlsx_patch import Package
        try:
            self.package = Package(self.backend.path)
        except Exception as exc:  # not a zip, corrupt workbook.xml, …
            raise BackendError(f"registre illisible : {self.backend.path} est endommagé ou n'est pas un classeur .xlsx : {type(exc).__name__} : "
                               f"{exc}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.package.close()

    def save(self) -> None:
        save_atomically(self.package, self.backend.path)


def check_size(path: Path) -> None:
    """Refuse a register past `MAX_REGISTER_MB` (env ``RELANCE_XLSX_MAX_MB``) before reading it: issue 20 item 12."""
    limit = float(os.environ.get("RELANCE_XLSX_MAX_MB") or MAX_REGISTER_MB)
    size = path.stat().st_size / 1_000_000
    if size > limit:
        raise BackendError(f"{path.name} pèse {size:.1f} Mo, au-delà de la limite de {limit:g} Mo fixée pour un "
                           f"registre : archivez les factures soldées et le journal ancien dans un autre classeur, "
                           f"ou relevez la limite (variable RELANCE_XLSX_MAX_MB). Rien n'a été envoyé.")


def save_atomically(workbook: Any, path: Path) -> None:
    """`workbook` (an openpyxl workbook or a patched `Package`) saved beside `path`, then renamed over it."""
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
        if column.owner == schema.BOT:
            cell.comment = Comment(schema.BOT_NOTE, "relance", width=220, height=40)
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
