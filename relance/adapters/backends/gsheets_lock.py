"""One run at a time on a Google Sheets register: a hidden ``Verrou`` tab.

Sheets has no compare-and-set, but an ``appendCells`` is serialised by Google: two
runs appending at the same moment get two rows, in an order both will read. So
each run appends a row (owner, taken at, expires at, a random token) and then
reads the tab; the *first live row* holds the lock. A row is live until it
expires or its token is marked abandoned. The loser appends an ``abandonné`` row
for its token (never an in-place write: rows may move when the holder releases)
and raises `RegisterLocked` naming the holder and the expiry. The holder releases
by deleting every row up to its own (all dead by then), so the tab stays short.

Cost: one ``spreadsheets.batchUpdate`` (``appendCells``, never shifted by staff notes
beside the tab, unlike ``values.append``) to take, one ``spreadsheets.batchUpdate`` to give
back. The check reads ``Verrou`` inside the run's own ``values.batchGet`` (the
rows read are kept for `load()`), so a locked run costs 8 requests, not 9. The
first run ever adds the tab (one more ``spreadsheets.batchUpdate``).

Limits: a run that outlives its TTL may see its lock taken over; it then deletes
rows by position at release, which may remove a newer row. Keep the TTL above
the longest run (30 minutes by default for a few hundred messages).
"""

from __future__ import annotations

import re
import secrets
import socket
from datetime import datetime, timedelta
from typing import Any, Callable

from relance.core import cells
from relance.adapters.lock import RunLocked, _alive, local_now, locked_message, when
from relance.adapters.backends.gsheets_auth import SheetsError
from relance.adapters.backends.gsheets_write import quote

VERROU = "Verrou"
HEADER = ["Propriétaire", "Pris le", "Expire le", "Jeton", "État"]
ABANDONED = "abandonné"


class Holder:
    """One row of the Verrou tab."""

    def __init__(self, row: list[Any]):
        values = [cells.clean_text(v) for v in row] + [""] * 5
        self.owner, self.token, self.state = values[0] or "inconnu", values[3], values[4]
        self.created, self.expires = _moment(values[1]), _moment(values[2])

    def live(self, now: datetime, abandoned: set[str]) -> bool:
        return (not self.state and self.token not in abandoned and self.expires is not None and self.expires > now
                and not self.dead_here())

    def dead_here(self) -> bool:
        """Taken by a process of this machine that no longer exists (a run killed by cron or a crash):
        as with the file lock, no need to wait for the expiry."""
        found = re.search(r"@(\S+) pid (\d+)$", self.owner)
        return bool(found) and found.group(1) == socket.gethostname() and not _alive(int(found.group(2)))


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.astimezone()


class SheetsRunLock:
    def __init__(self, backend: Any, owner: str, ttl: timedelta, clock: Callable[[], datetime] = local_now):
        self.backend, self.owner, self.ttl, self.clock = backend, owner, ttl, clock
        self._row: int | None = None
        self._token = ""
        self._sheet_id: int | None = None

    def acquire(self) -> str:
        """Take the lock or raise; the register is read in the same request (kept for `load`)."""
        backend, api = self.backend, self.backend.api
        self._sheet_id = self._ensure_tab()
        now = self.clock()
        self._token = token = secrets.token_hex(8)
        row = [self.owner, now.isoformat(timespec="seconds"), (now + self.ttl).isoformat(timespec="seconds"), token]
        api.append_rows(self._sheet_id, [row], lambda: self._position(api.batch_get([quote(VERROU)])[0]) is not None)
        try:
            tabs, (rows,) = backend.read_tabs(extra=(quote(VERROU),))
        except SheetsError:  # our row is there, the run will not start: never leave it blocking the next one
            self._abandon()
            raise
        mine = self._position(rows)
        if mine is None:
            raise SheetsError(f"onglet {VERROU} : la ligne de verrou de cette exécution a disparu (modifiée à la "
                              f"main ?) ; relancez.")
        abandoned = {Holder(r).token for r in rows[1:] if Holder(r).state == ABANDONED}
        before = [Holder(r) for r in rows[1:mine - 1]]
        holder = next((h for h in before if h.live(now, abandoned)), None)
        if holder is not None:
            self._abandon()
            raise RunLocked(locked_message(holder.owner, holder.created or now, holder.expires or now,
                                           f"(onglet {VERROU} du classeur)"))
        backend._prefetched = tabs
        self._row = mine
        stale = [h for h in before if not h.state and h.token not in abandoned]
        if stale:
            last = stale[-1]
            since = f", expiré depuis le {when(last.expires)}" if last.expires else ""
            return f"verrou abandonné repris ({last.owner}{since})"
        return ""

    def _abandon(self) -> None:
        """An ``abandonné`` row for our token (an append: rows may move), best effort."""
        try:
            self.backend.api.append_rows(self._sheet_id, [[self.owner, "", "", self._token, ABANDONED]],
                                         lambda: False)
        except SheetsError as exc:
            self.backend.notes.append(f"verrou non libéré (il expirera seul) : {exc}")

    def release(self) -> None:
        """Delete our row and every (dead) row before it; a failure leaves the lock to expire."""
        if self._row is None:
            return
        row, self._row = self._row, None
        api = self.backend.api

        def build(retrying: bool) -> list[dict]:
            end = self._position(api.batch_get([quote(VERROU)])[0]) if retrying else row
            if end is None:  # already deleted by the attempt that timed out
                return []
            return [{"deleteDimension": {"range": {"sheetId": self._sheet_id, "dimension": "ROWS",
                                                   "startIndex": 1, "endIndex": end}}}]
        try:
            api.batch_update(build)
        except SheetsError as exc:
            self.backend.notes.append(f"verrou non libéré (il expirera seul) : {exc}")

    def refresh(self) -> None:
        """Push our row's expiry to now + ttl (`lock.Heartbeat` calls it every ttl/3 while the run lasts), so
        a long run's lock never expires under it. The row is found again by its token: rows may have moved."""
        if self._row is None:
            return
        api = self.backend.api

        def build(retrying: bool) -> list[dict]:
            row = self._position(api.batch_get([quote(VERROU)])[0])
            if row is None:  # released meanwhile, or deleted by hand: nothing to refresh
                return []
            expires = (self.clock() + self.ttl).isoformat(timespec="seconds")
            return [{"updateCells": {"start": {"sheetId": self._sheet_id, "rowIndex": row - 1, "columnIndex": 2},
                                     "rows": [{"values": [{"userEnteredValue": {"stringValue": expires}}]}],
                                     "fields": "userEnteredValue"}}]
        api.batch_update(build)

    def _position(self, rows: list[list[Any]]) -> int | None:
        """1-based row holding our token (not an abandon marker)."""
        for number, row in enumerate(rows, start=1):
            holder = Holder(row)
            if holder.token == self._token and holder.state != ABANDONED:
                return number
        return None

    def _ensure_tab(self) -> int:
        """The Verrou tab's id, creating it hidden (with its header) the first time."""
        backend = self.backend
        info = next((s for s in backend.metadata().sheets if s.title == VERROU), None)
        if info is not None:
            return info.id

        def build(retrying: bool) -> list[dict]:
            meta = backend.metadata(refresh=retrying)
            if any(s.title == VERROU for s in meta.sheets):
                return []
            sheet_id = meta.new_id()
            return [{"addSheet": {"properties": {"sheetId": sheet_id, "title": VERROU, "hidden": True,
                                                 "gridProperties": {"rowCount": 2, "columnCount": len(HEADER)}}}},
                    {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                                     "rows": [{"values": [{"userEnteredValue": {"stringValue": h}}
                                                          for h in HEADER]}],
                                     "fields": "userEnteredValue"}}]
        try:
            backend.api.batch_update(build)
        except SheetsError as exc:
            if exc.status != 400:  # 400: another run created it at the same moment
                raise
        info = next((s for s in backend.metadata(refresh=True).sheets if s.title == VERROU), None)
        if info is None:
            raise SheetsError(f"impossible de créer l'onglet {VERROU} (verrou d'exécution).")
        return info.id
