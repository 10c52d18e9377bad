"""The few Sheets API calls relance makes, each retried boundedly and safely.

gspread's own `BackOffHTTPClient` retries 429/5xx without end (over an hour of
sleep measured) and retries ``values.append`` blindly, which can duplicate journal
rows. Here, every call goes through gspread's plain `HTTPClient` and a tenacity
loop: at most `ATTEMPTS` tries, exponential backoff with jitter, and only on
errors worth retrying (408, 429, 5xx, timeouts, dropped connections). The wait is
injectable so tests never sleep.

Reads are idempotent and simply re-sent. An ``append_rows`` that failed in a way that
may have reached Google (anything but a 429) is re-sent only after re-reading the
tab shows its rows are not there. A ``spreadsheets.batchUpdate`` is rebuilt by its
caller (`batch_update` takes a function) from fresh metadata, since e.g. adding a
tab or deleting a chart twice fails; the batch is atomic, so it either landed whole
or not at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from relance.adapters.faults import crashpoint
from relance.adapters.backends import BackendError
from relance.adapters.backends.gsheets_auth import explain

ATTEMPTS = 8                       # 7 waits: 1+2+4+8+16+32+32 s at most, plus jitter
TIMEOUT = (10, 120)                # connect, read (seconds)
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
READ_OPTIONS = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
                "majorDimension": "ROWS"}


def transient(exc: BaseException) -> bool:
    """Worth another try: quota, server trouble, timeouts, a dropped connection."""
    from gspread.exceptions import APIError
    if isinstance(exc, APIError):
        return exc.code in RETRY_STATUSES
    import requests
    from google.auth.exceptions import RefreshError, TransportError
    if isinstance(exc, RefreshError):  # the token endpoint, busy (a refused key is not retryable)
        return bool(getattr(exc, "retryable", False))
    return isinstance(exc, (requests.Timeout, requests.ConnectionError, TransportError)) or cut_short(exc)


def cut_short(exc: BaseException) -> bool:
    """An answer that ended mid-JSON (a proxy or a dropped connection): a transport error like any
    other, retried, and one that may have landed (the request reached Google)."""
    import json

    import requests
    return isinstance(exc, (requests.exceptions.JSONDecodeError, json.JSONDecodeError))


def may_have_landed(exc: BaseException) -> bool:
    """Whether a failed write may nevertheless have been applied (all but a quota refusal)."""
    from gspread.exceptions import APIError
    return not (isinstance(exc, APIError) and exc.code == 429)


@dataclass
class RetryPolicy:
    attempts: int = ATTEMPTS
    wait: Any = field(default_factory=lambda: wait_exponential_jitter(initial=1, max=32, jitter=1))
    sleep: Callable[[float], None] = time.sleep


class SheetsApi:
    """One spreadsheet, through gspread's HTTP client; errors come out as `BackendError`s in French."""

    def __init__(self, client: Any, key: str, account: str = "", retry: RetryPolicy | None = None):
        self.http = client.http_client
        self.key, self.account = key, account
        self.retry = retry or RetryPolicy()

    def _retrying(self) -> Retrying:
        return Retrying(stop=stop_after_attempt(self.retry.attempts), wait=self.retry.wait,
                        retry=retry_if_exception(transient), sleep=self.retry.sleep, reraise=True)

    def _call(self, send: Callable[[], Any], already_done: Callable[[], bool] | None = None) -> Any:
        """`send()` with retries. When a failure may have landed and `already_done` is given,
        it is asked before re-sending; a true answer ends the call (returns None)."""
        uncertain = False
        try:
            for attempt in self._retrying():
                with attempt:
                    if uncertain and already_done is not None and already_done():
                        return None
                    try:
                        answer = send()
                        crashpoint("requête Sheets")
                        return answer
                    except Exception as exc:
                        uncertain = uncertain or (transient(exc) and may_have_landed(exc))
                        raise
        except Exception as exc:
            if isinstance(exc, BackendError):
                raise
            raise explain(exc, self.key, self.account, self.retry.attempts) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # -------------------------------------------------------------- the calls
    def metadata(self) -> dict:
        """Tabs (title, id, grid size, hidden), chart ids and the protected ranges this account may not
        edit: the only ``spreadsheets.get`` of a run."""
        params = {"fields": "spreadsheetId,properties.title,sheets(properties,charts.chartId,"
                            "protectedRanges(range,description,warningOnly,requestingUserCanEdit))"}
        return self._call(lambda: self.http.fetch_sheet_metadata(self.key, params=params))

    def value_ranges(self, ranges: list[str]) -> list[dict]:
        """``values.batchGet``: per range, ``range`` (a whole tab reads as its whole grid, which tells
        its size) and ``values`` (unformatted: numbers as numbers, dates as serial numbers)."""
        if not ranges:
            return []
        answer = self._call(lambda: self.http.values_batch_get(self.key, list(ranges), params=dict(READ_OPTIONS)))
        return list(answer.get("valueRanges", []))

    def batch_get(self, ranges: list[str]) -> list[list[list[Any]]]:
        return [vr.get("values", []) for vr in self.value_ranges(ranges)]

    def append_rows(self, sheet_id: int, rows: list[list[Any]], landed: Callable[[], bool]) -> dict | None:
        """Rows written from column A after the tab's last row holding a value: one
        ``spreadsheets.batchUpdate`` with an ``appendCells`` (RAW: text is a ``stringValue``).

        Not ``values.append``: that one looks for a "table" in the tab and, with a blank column or
        staff notes to the right, writes the rows under other columns (gspread issue #537, in
        tests/test_sheets_replay.py). Like ``values.append``, Google serialises it: two runs
        appending at the same moment get two rows. `landed()` is asked before a re-send."""
        from relance.adapters.backends.gsheets_write import cell_data
        request = {"appendCells": {"sheetId": sheet_id, "fields": "userEnteredValue",
                                   "rows": [{"values": [cell_data(v) for v in row]} for row in rows]}}
        return self._call(lambda: self.http.batch_update(self.key, {"requests": [request]}), landed)

    def batch_update(self, build: Callable[[bool], list[dict]]) -> dict | None:
        """One ``spreadsheets.batchUpdate`` of ``build(retrying)``; on a retry that may follow an applied
        batch, `build(True)` must return requests valid against the spreadsheet as it now is."""
        state = {"retrying": False}

        def send() -> Any:
            requests = build(state["retrying"])
            state["retrying"] = True
            return self.http.batch_update(self.key, {"requests": requests}) if requests else None
        return self._call(send)

