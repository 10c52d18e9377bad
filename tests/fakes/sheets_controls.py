"""Test controls of the fake Sheets server: identities, faults, staff protections, counters.

Kept apart from the request handling (sheets_server.py) so each stays readable; `FakeSheets`
inherits them. Every control takes the store's lock: tests drive the fake from their own
thread while it answers on the server's.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Iterable, Optional

if TYPE_CHECKING:
    from .sheets_server import RequestRecord

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # Google's cap on a request body


class _Fault:
    def __init__(self, status: Optional[int], count: int, match: Optional[str],
                 message: Optional[str], delay: float = 0.0, apply: bool = False, cut: bool = False):
        self.status, self.count, self.match, self.message = status, count, match, message
        self.delay, self.apply, self.cut = delay, apply, cut
        self.event = threading.Event()

    def matches(self, rec: "RequestRecord") -> bool:
        return self.count > 0 and (self.match is None or self.match in rec.kind
                                   or self.match in rec.path or self.match in rec.requests)


class Controls:
    """Mixed into `FakeSheets`; expects ``lock``, ``requests``, ``tokens``, ``_faults`` and the store."""

    def register_token(self, token: str, email: str) -> None:
        """Requests with ``Authorization: Bearer <token>`` act as ``email``."""
        self.tokens[token] = email

    def revoke(self, email: str) -> None:
        """The token endpoint refuses this service account (a deleted key or account)."""
        with self.lock:
            self.revoked_accounts.add(email)

    def inject(self, status: int = 429, count: int = 1, match: Optional[str] = None,
               message: Optional[str] = None) -> None:
        """Make the next ``count`` requests whose kind, decoded path or batchUpdate request
        kinds (``"appendCells"``) contain ``match`` (all requests if None) fail with
        ``status`` and a Google body."""
        with self.lock:
            self._faults.append(_Fault(status, count, match, message))

    def protect(self, sid: str, tab: str, *, columns: Optional[tuple[int, int]] = None,
                rows: Optional[tuple[int, int]] = None, editors: Iterable[str] = ("julie@atelier-dupont.fr",),
                description: str = "") -> None:
        """Staff protect a range ("only me can edit"): 0-based, end-exclusive ``columns``/``rows``
        (None: all). The robot is not among ``editors`` unless named."""
        sheet = self.sheet(sid, tab)
        rng: dict = {"sheetId": sheet.id} if sheet.id else {}
        for (start, end), first, last in ((rows or (None, None), "startRowIndex", "endRowIndex"),
                                          (columns or (None, None), "startColumnIndex", "endColumnIndex")):
            if start is not None:
                rng[first], rng[last] = start, end
        protected = {"protectedRangeId": self.new_object_id(), "range": rng, "requestingUserCanEdit": True,
                     "editors": {"users": list(editors)}}
        if description:
            protected["description"] = description
        with self.lock:
            sheet.protected_ranges.append(protected)

    def inject_cut(self, count: int = 1, match: Optional[str] = None) -> None:
        """Apply the next ``count`` matching requests, then answer 200 with only the first half of
        the JSON (a connection cut mid-answer by a proxy, as seen in the field)."""
        with self.lock:
            self._faults.append(_Fault(None, count, match, None, cut=True))

    def inject_timeout(self, count: int = 1, delay: float = 30.0, match: Optional[str] = None,
                       apply: bool = False) -> None:
        """Hold the next ``count`` matching responses for ``delay`` seconds or until
        :meth:`release`.  With ``apply=True`` the request is executed first (the
        write lands, only the answer is late -- the dangerous case); otherwise
        nothing is executed and the late answer is a 503."""
        with self.lock:
            self._faults.append(_Fault(None, count, match, None, delay, apply))

    def release(self) -> None:
        """Wake every held response now (call in teardown instead of sleeping)."""
        with self.lock:
            for fault in self._faults:
                fault.event.set()

    def clear_faults(self) -> None:
        self.release()
        with self.lock:
            self._faults = []

    def reset(self) -> None:
        """Forget everything (spreadsheets, log, faults, tokens, switches): lets one
        server be shared by many tests (module/session-scoped fixture)."""
        self.clear_faults()
        with self.lock:
            self.spreadsheets.clear()
            self.requests.clear()
            self.tokens.clear()
            self.revoked_accounts.clear()
            self.api_disabled = False
            self.max_request_bytes = MAX_REQUEST_BYTES

    def count(self, kind: Optional[str] = None) -> int:
        """Number of requests received (of ``kind``, e.g. ``"values.batchGet"``),
        failed and injected ones included."""
        with self.lock:
            return sum(1 for r in self.requests if kind is None or r.kind == kind)

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()

    # ------------------------------------------------------------ dispatch
