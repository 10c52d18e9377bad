"""The final Sheets write, kept under Google's 10 MiB request cap. Pure: no network.

Google refuses a request body over 10 MiB ("Request payload size exceeds the limit:
10485760 bytes"). A first run on a large register rewrites every bot cell of Factures,
which passes that at about 50 000 invoices (`python -m benchmarks.sheets_request_size`).
So the backend first drops the cells that already hold what it would write
(`unchanged_dropped`), then, if the batch is still too big, `split` cuts the changes into
parts that each fit, every part one atomic ``spreadsheets.batchUpdate`` still addressed
by key (its rows found again by a re-read just before it is sent):

1. the journal rows and tasks (the record of what was sent) first, halved until each
   part fits (tasks before the updates of tasks, which find them by key),
2. then the Factures cells, halved until each half fits,
3. the summary tabs (Synthèse, Historique) last, one per part if need be: a failure
   there costs nothing else.

A part that cannot be cut further and still does not fit is refused before anything of
the write is sent: `TooLarge`, in French. The backend then leaves the summary tabs out
(with a note) rather than lose the journal; for the journal, tasks and Factures this
cannot happen with Google's cap (a cell holds at most 50 000 characters, so one
invoice's bot cells stay far below 10 MiB).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable, Mapping

from relance.core import cells as cellmod
from relance.core import schema
from relance.adapters.backends import Changes
from relance.adapters.backends.gsheets_auth import SheetsError

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # Google's cap on a request body
MARGIN = 64 * 1024                     # headers are not counted, but keep clear of the edge
LIMIT = MAX_REQUEST_BYTES - MARGIN


class TooLarge(SheetsError):
    """A part of the write cannot fit in one request: nothing of it was sent."""


def request_bytes(requests: list[dict]) -> int:
    """The body gspread sends for a ``spreadsheets.batchUpdate`` (requests' ``json=``: ASCII JSON)."""
    return len(json.dumps({"requests": requests}, allow_nan=False))


def split(changes: Changes, size: Callable[[Changes], int], limit: int = LIMIT) -> list[Changes]:
    """`changes` as consecutive parts whose request each fits in `limit` bytes."""
    if size(changes) <= limit:
        return [changes]
    halves = _halves(changes)
    if halves is None:
        what = _describe(changes)
        raise TooLarge(f"écriture Google Sheets trop volumineuse : {what} dépasse à elle seule la limite de "
                       f"10 Mo par requête de Google ; rien de cette écriture n'a été envoyé. Réduisez la "
                       f"taille du registre (archivez les factures soldées) puis relancez.")
    return [part for half in halves for part in split(half, size, limit)]


def _halves(changes: Changes) -> tuple[Changes, Changes] | None:
    empty = Changes()
    summary = replace(empty, sheets=changes.sheets, layouts=changes.layouts)
    data = replace(changes, sheets={}, layouts=())
    if (changes.sheets or changes.layouts) and data:
        return data, summary
    tabs = [replace(empty, layouts=(layout,)) for layout in changes.layouts] + \
        [replace(empty, sheets={name: rows}) for name, rows in changes.sheets.items()]
    if not data and len(tabs) > 1:
        return tabs[0], replace(empty, layouts=changes.layouts[1:], sheets=changes.sheets) if changes.layouts \
            else replace(empty, sheets=dict(list(changes.sheets.items())[1:]))
    record = replace(empty, journal=changes.journal, tasks=changes.tasks, task_updates=changes.task_updates)
    if changes.invoices and (changes.journal or changes.tasks or changes.task_updates):
        return record, replace(empty, invoices=changes.invoices)
    if len(changes.invoices) > 1:
        keys = list(changes.invoices)
        middle = len(keys) // 2
        return (replace(empty, invoices={k: changes.invoices[k] for k in keys[:middle]}),
                replace(empty, invoices={k: changes.invoices[k] for k in keys[middle:]}))
    if len(changes.journal) > 1 and not (changes.tasks or changes.task_updates):
        middle = len(changes.journal) // 2
        return replace(empty, journal=changes.journal[:middle]), replace(empty, journal=changes.journal[middle:])
    if changes.journal and (changes.tasks or changes.task_updates):
        return replace(empty, journal=changes.journal), replace(empty, tasks=changes.tasks,
                                                                 task_updates=changes.task_updates)
    if len(changes.tasks) > 1:  # updates go last: the re-read before that part finds the new tasks by key
        middle = len(changes.tasks) // 2
        return (replace(empty, tasks=changes.tasks[:middle]),
                replace(empty, tasks=changes.tasks[middle:], task_updates=changes.task_updates))
    if changes.tasks and changes.task_updates:
        return replace(empty, tasks=changes.tasks), replace(empty, task_updates=changes.task_updates)
    if len(changes.task_updates) > 1:
        keys = list(changes.task_updates)
        middle = len(keys) // 2
        return (replace(empty, task_updates={k: changes.task_updates[k] for k in keys[:middle]}),
                replace(empty, task_updates={k: changes.task_updates[k] for k in keys[middle:]}))
    return None


def _describe(changes: Changes) -> str:
    if changes.sheets or changes.layouts:
        names = sorted(set(changes.sheets) | {layout.title for layout in changes.layouts})
        return "l'onglet " + ", ".join(names)
    if changes.invoices:
        return f"la facture {next(iter(changes.invoices))}"
    if changes.tasks or changes.task_updates:
        return "l'onglet Tâches"
    return "l'onglet Journal"


def unchanged_dropped(invoices: Mapping[str, Mapping[str, Any]], loaded: list[list[Any]] | None
                      ) -> dict[str, dict[str, Any]]:
    """Each invoice's bot cells minus those that already hold that value in Factures as loaded.
    An invoice keeps its key (with no cells) so that one no longer found is still reported."""
    if not loaded:
        return {k: dict(v) for k, v in invoices.items()}
    positions = schema.map_headers(schema.FACTURES, loaded[0])
    number = positions.get("invoice")
    if number is None:
        return {k: dict(v) for k, v in invoices.items()}
    seen: dict[str, list[Any] | None] = {}
    for row in loaded[1:]:
        key = cellmod.clean_text(row[number]) if number < len(row) else ""
        if key:
            seen[key] = None if key in seen else row  # a duplicated number: compare with nothing
    out: dict[str, dict[str, Any]] = {}
    for key, values in invoices.items():
        row = seen.get(key)
        out[key] = {column: value for column, value in values.items()
                    if row is None or column not in positions
                    or not _same(row[positions[column]] if positions[column] < len(row) else None, value)}
    return out


def _same(cell: Any, value: Any) -> bool:
    """Whether a cell as read (UNFORMATTED_VALUE) already holds what `to_cell(value)` would write."""
    from relance.adapters.backends.gsheets_write import to_cell
    wanted = to_cell(value)
    if cell in (None, "") or wanted in (None, ""):
        return cell in (None, "") and wanted in (None, "")
    if isinstance(wanted, bool) or isinstance(cell, bool):
        return cell is wanted
    if isinstance(wanted, (int, float)) and isinstance(cell, (int, float)):
        return float(cell) == float(wanted)
    return cell == wanted
