"""Backends: where the register lives (local .xlsx or Google Sheets).

A backend is a thin adapter with two verbs: `load()` returns every tab as read,
`apply(changes)` writes what the run decided. It knows nothing of business rules.
Writes touch only bot-owned columns, address Factures rows by invoice number
(re-read just before writing, so staff may sort or insert rows during a run) and
store every value as data, never as a formula. The one exception is `XlsxBackend.redact`,
used only by `relance anonymise` to erase personal data in staff columns (see relance/anonymise.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from relance.core.config import Policy
from relance.dashboard.layout import SheetLayout
from relance.core.model import RawTabs

Row = Mapping[str, Any]  # column key (schema) -> value


class BackendError(Exception):
    """The register cannot be read or written; the message says what to do."""


class RegisterLocked(BackendError):
    """Somebody has the workbook open (Excel/LibreOffice lock file), or another run holds it."""


@dataclass(frozen=True, slots=True)
class Changes:
    invoices: Mapping[str, Row] = field(default_factory=dict)  # invoice number -> bot columns
    journal: tuple[Row, ...] = ()                               # rows appended to Journal
    tasks: tuple[Row, ...] = ()                                 # rows appended to Tâches
    task_updates: Mapping[str, Row] = field(default_factory=dict)  # task key (Clé) -> bot cells to update
    sheets: Mapping[str, list[list[Any]]] = field(default_factory=dict)  # bot-owned tabs, rewritten whole
    layouts: tuple[SheetLayout, ...] = ()  # bot-owned tabs with formats and charts (Synthèse, Historique), whole

    def __bool__(self) -> bool:
        return bool(self.invoices or self.journal or self.tasks or self.task_updates or self.sheets
                    or self.layouts)


@dataclass(frozen=True, slots=True)
class ApplyReport:
    updated_rows: int = 0
    missing_invoices: tuple[str, ...] = ()  # numbers no longer found at write time


def cells_by_key(updates: Mapping[str, Row], rows_by_key: Mapping[str, list[int]],
                 allowed: list[str]) -> tuple[list[tuple[int, str, Any]], ApplyReport]:
    """(row, column key, value) for each allowed cell of each update, at every row holding its key
    (None becomes '' to clear the cell); keys found in no row are reported, never written elsewhere."""
    found: list[tuple[int, str, Any]] = []
    written, missing = 0, []
    for key, values in updates.items():
        rows = rows_by_key.get(key)
        if not rows:
            missing.append(key)
            continue
        for row in rows:
            found += [(row, column, "" if value is None else value) for column, value in values.items()
                      if column in allowed]
            written += 1
    return found, ApplyReport(written, tuple(missing))


class Backend(Protocol):
    description: str

    def load(self) -> RawTabs: ...

    def apply(self, changes: Changes) -> ApplyReport: ...


def open_backend(policy: Policy, read_only: bool = False) -> Backend:
    """The backend named in the policy; nothing is opened at import time. `read_only`: for commands
    that never write (an xlsx open in Excel is then read from a copy instead of refused)."""
    if policy.register.backend == "xlsx":
        from relance.adapters.backends.xlsx import XlsxBackend
        return XlsxBackend(policy.resolve(policy.register.path), read_only=read_only)
    from relance.adapters.backends.gsheets import GoogleSheetsBackend  # type: ignore[import-not-found]
    return GoogleSheetsBackend.from_policy(policy)
