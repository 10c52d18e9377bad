"""The Google Sheets backend (gspread): the register staff share, in a constant number of requests.

Google counts requests, not cells (60 a minute per user), and a per-row loop of
gspread calls is both slow and quota-bound (one request per cell written: about
1 000 for a 1 000-invoice register, `python -m benchmarks`). So a run costs the same handful of
requests whether the register holds 10 invoices or 50 000:

====  ============================  ====================================================
 #    request                       what for
====  ============================  ====================================================
 1    ``spreadsheets.get``          tab titles, ids, grid sizes, chart ids (once a run)
 2    ``values.batchGet``           every tab, UNFORMATTED_VALUE / SERIAL_NUMBER
 3    ``values.batchGet``           Factures again just before sending (`reread`: the
                                    runner drops messages whose invoice staff changed)
 4    ``spreadsheets.batchUpdate``  the ``pending`` journal rows (``appendCells``), before sending
 5    ``values.batchGet``           Factures header + invoice-number column, Journal,
                                    Tâches: where rows are *now*
 6    ``spreadsheets.batchUpdate``  one atomic write: grid room or missing tabs, then
                                    every cell (journal ``sent``/``failed`` rows, tasks,
                                    task updates, Factures bot columns), then Synthèse and
                                    Historique with their charts
====  ============================  ====================================================

With nothing to send, #3 and #4 are skipped (4 requests). Cells go in #6 as
``updateCells`` with ``userEnteredValue`` (text is a ``stringValue``: never a
formula, the guarantee of ``valueInputOption=RAW``) rather than in a separate
``values.batchUpdate``: one request less, and Factures, the journal rows and the
summary land together or not at all, so a run that fails leaves nothing half
written, the ``pending`` rows written before anything left settling it next time
(design §4). Should #6 fail for a reason other than Google being unavailable (a
chart deleted by hand meanwhile), it is sent again without the summary: the summary
never costs the journal. Only cells that changed since the load are written, and a #6
over Google's 10 MiB cap is cut into parts that each fit (gsheets_split.py), each
atomic, its rows found again by a re-read; a retried #6 is planned again from a re-read.

The run lock (`run_lock`, a hidden ``Verrou`` tab, gsheets_lock.py) adds one
``spreadsheets.batchUpdate`` (``appendCells``) before #2 and one after #6; its
check reads ``Verrou`` within #2. A locked run costs 8 requests.

Every call is retried boundedly (gsheets_api.py); credential and sharing mistakes
become one French sentence (gsheets_auth.py). ``RELANCE_SHEETS_API_URL`` sends
everything to another server (the local fake used by the tests).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from relance.core import memory, schema
from relance.core.config import Policy
from relance.core.model import RawTab, RawTabs
from relance.core.perf import paused_gc
from relance.adapters.backends import ApplyReport, BackendError, Changes
from relance.adapters.backends.gsheets_api import TIMEOUT, RetryPolicy, SheetsApi
from relance.adapters.backends.gsheets_auth import (
    ServiceAccount,
    SheetsError,
    credentials_path,
    load_credentials,
    spreadsheet_key)
from relance.adapters.backends.gsheets_split import LIMIT, TooLarge, request_bytes, split, unchanged_dropped
from relance.adapters.backends.gsheets_write import (
    Meta,
    TabRead,
    WritePlan,
    added_sheet_ids,
    append_values,
    contains_rows,
    landed,
    plan_write,
    quote,
    structure_requests)


READ_TABS = schema.TABS + (memory.MEMORY_TAB,)  # as the xlsx backend loads them
REDACT_XLSX_ONLY = "relance anonymise ne sait effacer que dans un registre .xlsx pour l'instant."


class GoogleSheetsBackend:
    """A register in Google Sheets. Build it with `from_policy` (production) or from any
    ``gspread.Client`` (tests: one talking to the local fake, no credentials)."""

    def __init__(self, client: Any, key: str, *, account: str = "", retry: RetryPolicy | None = None,
                 description: str = ""):
        self.api = SheetsApi(client, key, account, retry)
        self.key, self.account = key, account
        self.description = description or f"Google Sheets {key}"
        self.notes: list[str] = []
        self.can_redact = False  # `relance anonymise` erases in .xlsx registers only, for now
        self.keeps_memory = True  # the « Mémoire » tab (core/memory.py): read with the others, rewritten whole
        self._meta: Meta | None = None
        self._headers: dict[str, list[Any]] = {}  # canonical tab name -> header row as last read
        self._factures: list[list[Any]] | None = None  # Factures as loaded: cells already right are not rewritten
        self._heights: dict[str, int] = {}  # canonical tab name -> rows as loaded (appends land below)
        self.request_limit = LIMIT  # bytes per batchUpdate body (Google: 10 MiB)
        self._prefetched: RawTabs | None = None

    @classmethod
    def from_policy(cls, policy: Policy, retry: RetryPolicy | None = None) -> "GoogleSheetsBackend":
        """Credentials from ``register.credentials_file`` or ``$GOOGLE_APPLICATION_CREDENTIALS``."""
        key = spreadsheet_key(policy.register.spreadsheet)
        configured = policy.register.credentials_file
        account = load_credentials(credentials_path(policy.resolve(configured) if configured else None))
        return cls.connect(account, key, retry=retry, description=f"Google Sheets {key}")

    @classmethod
    def connect(cls, account: ServiceAccount, key: str, **kwargs: Any) -> "GoogleSheetsBackend":
        import gspread

        from relance.adapters.backends.sheets_transport import RewritingHTTPClient
        client = gspread.Client(auth=account.credentials, http_client=RewritingHTTPClient)
        client.set_timeout(TIMEOUT)
        return cls(client, key, account=account.email, **kwargs)

    # ------------------------------------------------------------------ reading
    def metadata(self, refresh: bool = False) -> Meta:
        if self._meta is None or refresh:
            self._meta = Meta(self.api.metadata())
        return self._meta

    def read_tabs(self, extra: tuple[str, ...] = ()) -> tuple[RawTabs, list[list[list[Any]]]]:
        """Every register tab, the bot's « Mémoire » record (and the `extra` ranges) in one ``values.batchGet``."""
        meta = self.metadata()
        found = [(tab, info) for tab in READ_TABS if (info := meta.find(tab)) is not None]
        with paused_gc():  # decoding 500 000 rows of JSON: the cyclic collector alone took 3 of 4 s
            values = self.api.batch_get([quote(info.title) for _, info in found] + list(extra))
            tabs: RawTabs = {}
            for (tab, info), rows in zip(found, values):
                tabs[tab.name] = _raw(info.title, rows)
                self._headers[tab.name] = list(tabs[tab.name].rows[0]) if rows else []
                self._heights[tab.name] = len(rows)
            self._factures = tabs[schema.FACTURES.name].rows if schema.FACTURES.name in tabs else None
        return tabs, values[len(found):]

    def load(self) -> RawTabs:
        if self._prefetched is not None:  # read by the run lock a moment ago, in the same request
            tabs, self._prefetched = self._prefetched, None
            return tabs
        return self.read_tabs()[0]

    # ------------------------------------------------------------------ writing
    def apply(self, changes: Changes) -> ApplyReport:
        if not changes:
            return ApplyReport()
        meta = self.metadata()
        self._check_writable(meta)
        if self._append_journal(changes, meta):
            return ApplyReport()
        changes = replace(changes, invoices=unchanged_dropped(changes.invoices, self._factures))
        reads = self._reread(changes, meta)
        def size(part: Changes) -> int:
            return request_bytes(self._requests(part, plan_write(part, meta, reads), meta))
        try:
            parts = split(changes, size, self.request_limit)
        except TooLarge as exc:  # refused before sending; the summary never costs the journal
            if not (changes.layouts or changes.sheets):
                raise
            self.notes.append(f"onglet Synthèse non mis à jour : {exc}")
            parts = split(replace(changes, sheets={}, layouts=()), size, self.request_limit)
        missing: list[str] = []
        updated = 0
        for number, part in enumerate(parts):
            if number:  # the previous part changed the grid, and staff may have sorted: where rows are now
                meta = self.metadata()
                reads = self._reread(part, meta)
            report = self._write(part, plan_write(part, meta, reads))
            updated, missing = updated + report.updated_rows, missing + list(report.missing_invoices)
        if len(parts) > 1:
            self.notes.append(f"écriture Google Sheets envoyée en {len(parts)} parties (limite de 10 Mo par requête)")
        return ApplyReport(updated, tuple(missing))

    def _check_writable(self, meta: Meta) -> None:
        """Refuse, before anything is sent, when staff protected a range ("only me can edit") over cells
        the run writes: Factures' and Tâches' bot columns, the rows appended to Journal and Tâches.
        The first write of a run is the ``pending`` rows, before any message leaves: a run that could
        not record what it sent never sends. (Warning-only protections, as `init --google` sets, and
        ranges listing the robot among their editors do not block.)"""
        for tab in (schema.FACTURES, schema.JOURNAL, schema.TACHES):
            info = meta.find(tab)
            if info is None or not info.locked:
                continue
            header = self._headers.get(tab.name) or []
            areas = [((1, None), (index, index + 1), f"la colonne « {column.header} »")
                     for column in tab.bot_columns
                     if (index := schema.map_headers(tab, header).get(column.key)) is not None]
            if tab is not schema.FACTURES:
                areas.append(((self._heights.get(tab.name, 1), None), (0, None), "les nouvelles lignes"))
            for rows, cols, what in areas:
                blocking = next((lock for lock in info.locked if lock.touches(rows, cols)), None)
                if blocking is not None:
                    named = f" (« {blocking.description} »)" if blocking.description else ""
                    who = self.account or "le compte de service du robot"
                    raise SheetsError(
                        f"onglet {info.title} : la plage protégée {blocking.a1(info.title)}{named} empêche {who} "
                        f"d'écrire {what} ; écriture refusée avant tout envoi. Dans Google Sheets, menu Données › "
                        f"« Protéger les feuilles et les plages » : ajoutez {who} aux éditeurs de cette plage (ou "
                        f"choisissez « Afficher un avertissement »), puis relancez.")

    def _append_journal(self, changes: Changes, meta: Meta) -> bool:
        """Journal rows alone go in one ``appendCells`` when the tab and its headers are there."""
        only_journal = changes.journal and not (changes.invoices or changes.tasks or changes.task_updates
                                                or changes.sheets or changes.layouts)
        info = meta.find(schema.JOURNAL)
        header = self._headers.get(schema.JOURNAL.name)
        if not (only_journal and info and header):
            return False
        rows = append_values(schema.JOURNAL, header, changes.journal)
        if rows is None:
            return False

        def already_there() -> bool:
            return contains_rows(self.api.batch_get([quote(info.title)])[0], rows)
        self.api.append_rows(info.id, rows, already_there)  # the grid size is read again (`_reread`) before writing
        return True

    def _reread(self, changes: Changes, meta: Meta) -> dict[str, TabRead]:
        """Where things are now: Factures' header and invoice numbers, Journal and Tâches whole."""
        wanted: list[tuple[schema.Tab, str | None, list[str]]] = []
        factures = meta.find(schema.FACTURES) if changes.invoices else None
        column = self._key_column(schema.FACTURES, self._headers.get(schema.FACTURES.name), "invoice")
        if factures:
            ranges = [f"{quote(factures.title)}!1:1", f"{quote(factures.title)}!{column}:{column}"] \
                if column else [quote(factures.title)]
            wanted.append((schema.FACTURES, "invoice", ranges))
        for tab, needed, key in ((schema.JOURNAL, changes.journal, None),
                                 (schema.TACHES, changes.tasks or changes.task_updates, "key")):
            info = meta.find(tab) if needed else None
            if info:
                wanted.append((tab, key, [quote(info.title)]))
        answers = iter(self.api.value_ranges([r for _, _, ranges in wanted for r in ranges]))
        reads = {}
        for tab, key, ranges in wanted:
            title = meta.find(tab).title  # type: ignore[union-attr]
            answer = next(answers)
            rows = answer.get("values", [])
            if len(ranges) == 2:  # header row + key column: put the keys back under their header
                keys = next(answers)
                meta.saw(answer.get("range", ""), rows=False)
                meta.saw(keys.get("range", ""), cols=False)
                rows = self._factures_rows(title, rows[0] if rows else [], keys.get("values", []), column)  # type: ignore[arg-type]
            else:
                meta.saw(answer.get("range", ""))
            reads[tab.name] = TabRead.from_rows(title, tab, rows, key)
            self._headers[tab.name] = reads[tab.name].header
        return reads

    @staticmethod
    def _key_column(tab: schema.Tab, header: list[Any] | None, key: str) -> str | None:
        index = schema.map_headers(tab, header or []).get(key)
        return None if index is None else schema.column_letter(index)

    def _factures_rows(self, title: str, header: list[Any], keys: list[list[Any]], column: str) -> list[list[Any]]:
        """Rows holding only the invoice number, in its column; if staff moved that column since the
        load, one more read of the column where it is now (rare, so not counted in the budget)."""
        now = self._key_column(schema.FACTURES, header, "invoice")
        if now is None:
            return [header]
        if now != column:
            keys = self.api.batch_get([f"{quote(title)}!{now}:{now}"])[0]
        index = schema.map_headers(schema.FACTURES, header)["invoice"]
        return [header] + [[None] * index + (row[:1] if row else []) for row in keys[1:]]

    def _write(self, changes: Changes, plan: WritePlan) -> ApplyReport:
        """The final request: room for the writes, the cells, then Synthèse and Historique, atomically.

        Its cells are addressed by row number, so a retry is planned again from a re-read: staff may
        have sorted Factures or added a Journal row during the wait, and rows are found by key again.
        An attempt whose answer was lost may have landed (the batch is atomic): if the re-read shows
        its rows, nothing is sent again."""
        current = {"plan": plan}

        def build(retrying: bool, summary: bool = True) -> list[dict]:
            meta = self.metadata(refresh=retrying)  # after a timeout the batch may have landed: start afresh
            if retrying:
                reads = self._reread(changes, meta)
                if landed(changes, reads):
                    return []
                current["plan"] = plan_write(changes, meta, reads)
            requests = self._requests(changes, current["plan"], meta, summary)
            if request_bytes(requests) > self.request_limit:  # grown since it was cut (staff rows): refused, not sent
                raise TooLarge("écriture Google Sheets trop volumineuse après relecture (limite de 10 Mo par "
                               "requête de Google) ; rien de cette partie n'a été envoyé : relancez.")
            return requests
        try:
            sent = self.api.batch_update(build)  # nothing is sent when nothing is needed
        except SheetsError as exc:
            if not (changes.layouts or changes.sheets) or exc.status not in (400, 404, 409):
                raise
            self.notes.append(f"onglet Synthèse non mis à jour : {exc}")
            sent = self.api.batch_update(lambda retrying: build(True, summary=False))
        if sent is not None:
            self._meta = None  # tabs, grids or charts changed: read again if this run writes again
        return current["plan"].report

    def check_writable(self, changes: Changes | None = None) -> None:
        """Before anything is sent: nothing to check yet beyond what `apply` verifies (see the Backend Protocol)."""

    def _requests(self, changes: Changes, plan: WritePlan, meta: Meta, summary: bool = True) -> list[dict]:
        """Room for the writes, the cells, then Synthèse and Historique with their charts."""
        needs = [(t.title, *t.size(), False) for t in plan.targets]
        layouts = changes.layouts if summary else ()
        sheets = changes.sheets if summary else {}
        for title, rows in [(layout.title, layout.rows) for layout in layouts] + list(sheets.items()):
            info = meta.find(_tab(title))
            needs.append((info.title if info else title, len(rows), max(map(len, rows), default=0), False))
        requests = structure_requests(meta, needs)
        ids = {info.title: info.id for info in meta.sheets} | added_sheet_ids(requests)
        requests += plan.requests(ids)
        if layouts or sheets:
            requests += _summary_requests(meta, requests, layouts, sheets)
        return requests

    def reread(self, tab_name: str) -> RawTab | None:
        """One tab as it is now, for the runner's check of staff edits made during the run
        (guards.py) just before the ``pending`` rows: one ``values.batchGet``, which also reads the
        Journal header again: the ``pending`` rows are laid out under it, and a column staff insert
        in Journal while the run decides would otherwise put their key under another header (a
        send the next run could not recognise, so sent twice)."""
        meta = self.metadata()
        info, journal = meta.find(_tab(tab_name)), meta.find(schema.JOURNAL)
        if info is None:
            return None
        extra = [f"{quote(journal.title)}!1:1"] if journal is not None and journal is not info else []
        values = self.api.batch_get([quote(info.title)] + extra)
        if extra:
            self._headers[schema.JOURNAL.name] = [None if v == "" else v for v in (values[1] or [[]])[0]]
        return _raw(info.title, values[0])

    def redact(self, todo) -> int:
        """Not yet on Google Sheets: refused with a sentence, before anything is touched."""
        raise BackendError(REDACT_XLSX_ONLY)

    # ------------------------------------------------------------------ run lock
    def run_lock(self, owner: str, ttl: timedelta):
        """One run at a time, through a hidden ``Verrou`` tab (see gsheets_lock.py)."""
        from relance.adapters.backends.gsheets_lock import SheetsRunLock
        return SheetsRunLock(self, owner, ttl)

    def initialise(self) -> list[str]:
        """`relance init --google`: tabs, headers, drop-downs, frozen header, protected bot columns."""
        from relance.adapters.backends.gsheets_init import initialise
        return initialise(self)


def _raw(title: str, rows: list[list[Any]]) -> RawTab:
    """Values as read, empty cells as None (as the xlsx backend gives them). In place: the decoded
    answer is ours alone, and a copy of 500 000 rows would hold another 150 MB at the peak."""
    for row in rows:
        if "" in row:
            row[:] = [None if v == "" else v for v in row]
    return RawTab(title, rows)


def _tab(name: str) -> schema.Tab:
    return next((t for t in READ_TABS if t.name == name), schema.Tab(name, ()))


def _summary_requests(meta: Meta, structure: list[dict], layouts: tuple, sheets: dict) -> list[dict]:
    """Synthèse/Historique layouts (with their charts) and bot tabs rewritten whole. Tabs are
    named by their canonical names; one missing is added by `structure` (same batch, before)."""
    from relance.adapters.backends.sheets_summary import layout_requests, memory_requests, rewrite_requests
    names = {layout.title for layout in layouts} | set(sheets) | {schema.SYNTHESE.name, schema.HISTORIQUE.name}
    ids = {name: info.id for name in names if (info := meta.find(_tab(name))) is not None}
    ids.update(added_sheet_ids(structure))
    old_charts = [chart for layout in layouts if (info := meta.find(_tab(layout.title))) for chart in info.charts]
    requests = layout_requests(layouts, ids, old_charts) if layouts else []
    for name, rows in sheets.items():
        if name == memory.TAB:  # its own wording of dates, shown only while staff must act (as in .xlsx)
            requests += memory_requests(ids[name], rows)
            continue
        requests += rewrite_requests(ids[name], rows)
    return requests
