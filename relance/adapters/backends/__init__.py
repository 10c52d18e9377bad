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
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol

from relance.core import schema
from relance.adapters.errors import BackendError, RegisterLocked
from relance.core.config import Policy
from relance.dashboard.layout import SheetLayout
from relance.core.model import RawTab, RawTabs

if TYPE_CHECKING:  # types only: the lock and anonymise modules are imported where they are used
    from relance.adapters.lock import RunLock
    from relance.documents.anonymise import Redaction

__all__ = ["BackendError", "RegisterLocked", "Backend", "Changes", "ApplyReport", "open_backend"]

Row = Mapping[str, Any]  # column key (schema) -> value




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


def match_tab(names: list[str], tab: schema.Tab) -> tuple[str | None, str | None]:
    """(the register's tab for `tab`, a note when it was found by alias), or BackendError when ambiguous.

    The canonical name wins (case, accents and spaces aside); an alias (« Invoices », « Log ») is used
    only when no tab carries the canonical name, and the note says so. A staff tab called « Summary » or
    « Log » beside `Synthèse`/`Journal` is therefore never read nor rewritten. The tabs relance writes
    whole (Synthèse, Historique: no columns declared) are matched by their own name only, never by alias:
    an English « Summary » tab belongs to staff. Two candidates for one tab are refused, never guessed."""
    canonical = [n for n in names if schema.normalise(n) == schema.normalise(tab.name)]
    if len(canonical) > 1:
        raise BackendError(f"onglets ambigus : {', '.join(repr(n) for n in canonical)} peuvent tous être "
                           f"« {tab.name} » ; renommez ou supprimez l'un d'eux. Rien n'a été envoyé.")
    if canonical:
        return canonical[0], None
    if not tab.columns:
        return None, None
    wanted = {schema.normalise(a) for a in tab.aliases}
    aliases = [n for n in names if schema.normalise(n) in wanted]
    if len(aliases) > 1:
        raise BackendError(f"onglets ambigus : {', '.join(repr(n) for n in aliases)} peuvent tous être "
                           f"« {tab.name} » (onglet « {tab.name} » absent) ; renommez l'un d'eux en « {tab.name} ». "
                           f"Rien n'a été envoyé.")
    if aliases:
        return aliases[0], f"onglet « {aliases[0]} » utilisé comme « {tab.name} » (aucun onglet « {tab.name} »)"
    return None, None


class Backend(Protocol):
    """Everything the runner and the commands ask of a register, and nothing else: both backends
    implement all of it (tests/test_conformance.py), so no caller probes with getattr/hasattr."""

    description: str          # where the register is, for people (« registre.xlsx », « Google Sheets <key> »)
    notes: list[str]          # what the last `apply` chose to say (e.g. Synthèse left as it was)
    can_redact: bool          # `redact` erases cells (xlsx) or refuses with a BackendError (Sheets, for now)
    keeps_memory: bool        # keeps the « Mémoire » record of the journal (core/memory.py)

    def load(self) -> RawTabs:
        """Every tab, as read."""
        ...

    def reread(self, tab_name: str) -> RawTab | None:
        """One tab as it is now (the staff-edit check just before ``pending`` rows); None when absent."""
        ...

    def check_writable(self, changes: Changes | None = None) -> None:
        """Before anything is sent: every bot cell can be written (merged cells, protections), else BackendError."""
        ...

    def apply(self, changes: Changes) -> ApplyReport:
        """Write the run's decisions: bot cells by key, rows appended, bot tabs rewritten."""
        ...

    def run_lock(self, owner: str, ttl: timedelta) -> "RunLock":
        """The lock that keeps two runs off this register."""
        ...

    def redact(self, todo: Iterable["Redaction"]) -> int:
        """Erase personal data in staff cells (`relance anonymise`); returns the number of cells erased."""
        ...


def open_backend(policy: Policy, read_only: bool = False) -> Backend:
    """The backend named in the policy; nothing is opened at import time. `read_only`: for commands
    that never write (an xlsx open in Excel is then read from a copy instead of refused)."""
    if policy.register.backend == "xlsx":
        from relance.adapters.backends.xlsx import XlsxBackend
        return XlsxBackend(policy.resolve(policy.register.path), read_only=read_only)
    from relance.adapters.backends.gsheets import GoogleSheetsBackend  # type: ignore[import-not-found]
    return GoogleSheetsBackend.from_policy(policy)
