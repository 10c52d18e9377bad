"""A local, in-process fake of the Google Sheets API v4 over real HTTP.

Why HTTP rather than a mocked gspread: the production code must be tested
with gspread *unmodified* -- its URL building, query parameters, JSON bodies
and error handling (``APIError`` from a Google-shaped error body) are part of
what we rely on.  The fake binds 127.0.0.1 on a free port and answers the
endpoints gspread 6.2 uses, so ``gspread.Client`` only needs its
``https://sheets.googleapis.com`` prefix rewritten (see
``relance.backends.sheets_transport`` and ``tests.fakes.gspread_local``).

Beyond storage it can misbehave on purpose: quota/5xx errors, hung
responses, unshared spreadsheets, a disabled API -- the situations an unpaid
invoice chaser must survive without double-sending reminders.

Usage::

    with FakeSheetsServer() as fake:
        sid = fake.create_spreadsheet("Registre", {"Factures": [["N°", "Montant"]]})
        gc = local_client(fake.base_url)
        gc.open_by_key(sid).worksheet("Factures").get_all_records()
        assert fake.count("values.get") == 1

Only the standard library is used.

What is proven, and what is only believed
-----------------------------------------
*Proven* on real traffic: ``tests/test_sheets_replay.py`` replays gspread's recordings of
Google (95 cassettes, tests/fixtures/gspread_cassettes/) and compares every answer of the
methods relance uses (spreadsheets.get, values.get/batchGet, values.append, and the
spreadsheets.batchUpdate requests relance sends); the fidelity table is in the CI log,
the few accepted differences are listed there with their reasons. That covers the
properties of a new spreadsheet, ``fields`` masks (defaults such as ``frozenRowCount: 0``
or ``hidden: false`` omitted), values.append's table detection (gspread #537), 400 bodies
(the bad value at the end of the message, ``details[].fieldViolations``), hiding the only
visible sheet refused, addSheet/updateSheetProperties/deleteDimension/addProtectedRange
replies.

*Believed*, from Google's documentation, no recording covering it:

- ``updateCells`` writing values (``userEnteredValue``; a ``stringValue`` is never parsed,
  a cell given as ``{}`` is cleared when ``fields`` names it; ``start`` writes the rows
  given, ``range`` every cell of the range):
  https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request#UpdateCellsRequest
- ``appendCells`` (rows from column A after the last row holding a value, rows inserted if
  the grid lacks room; "with data" is assumed to mean values, not formats or notes):
  https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request#AppendCellsRequest
- ``values.append`` with ``insertDataOption=INSERT_ROWS`` inserting as many rows as written
  after the table, the grid growing by that much:
  https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets.values/append#InsertDataOption
- ``appendDimension`` adding rows/columns at the end:
  https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request#AppendDimensionRequest
- ``addChart`` storing the spec as sent and answering it with a new ``chartId``:
  https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/request#AddChartRequest
- a multi-request ``spreadsheets.batchUpdate`` is all-or-nothing ("if any request is not
  valid, then the entire request will fail and nothing will be applied"):
  https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/batchUpdate
- 429 and 5xx bodies (``RESOURCE_EXHAUSTED`` with an ``ErrorInfo`` naming the quota metric,
  ``UNAVAILABLE``, ``INTERNAL``): https://developers.google.com/sheets/api/limits and
  https://cloud.google.com/apis/design/errors#handling_errors
- the 10 MiB cap on a request body (``MAX_REQUEST_BYTES``), answered 400 "Request payload
  size exceeds the limit: 10485760 bytes." as Google's API front end does:
  https://developers.google.com/sheets/api/limits ("a 2-MB maximum payload is recommended").
- protected ranges: a write by an account that is not among a non-warning range's
  editors is refused with 403 and "You are trying to edit a protected cell or object":
  https://developers.google.com/sheets/api/reference/rest/v4/spreadsheets/sheets#ProtectedRange
"""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Optional
from urllib.parse import parse_qs, unquote, urlsplit

from . import sheets_fields
from .sheets_batch import BatchUpdater, can_edit
from .sheets_controls import MAX_REQUEST_BYTES, Controls, _Fault  # noqa: F401 (re-export)
from .sheets_model import SheetsStore, Spreadsheet, _truthy
from .sheets_values import Formula, Renderer, SheetsError, cell_data  # noqa: F401 (re-export)

__all__ = ["FakeSheets", "FakeSheetsServer", "Formula", "RequestRecord", "SheetsError"]

WRITE_KINDS = {"values.update", "values.batchUpdate", "values.append", "values.clear",
               "values.batchClear", "spreadsheets.batchUpdate", "spreadsheets.create",
               "sheets.copyTo"}
DEFAULT_MESSAGES = {
    429: "Quota exceeded for quota metric '{rw} requests' and limit '{rw} requests per minute "
         "per user' of service 'sheets.googleapis.com' for consumer "
         "'project_number:{project}'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}


class RequestRecord(tuple):
    """``(method, path, query)`` as a tuple, plus ``.kind`` and ``.status``.

    ``path`` is URL-decoded; ``query`` maps names to lists of values.
    """

    def __new__(cls, method: str, path: str, query: dict, kind: str):
        self = super().__new__(cls, (method, path, query))
        self.kind, self.status = kind, None
        self.requests = ""  # a batchUpdate's request kinds, "appendCells,updateCells" (faults can match them)
        return self

    method = property(lambda self: self[0])
    path = property(lambda self: self[1])
    query = property(lambda self: self[2])

    def __repr__(self) -> str:
        return f"RequestRecord({self[0]} {self[1]} {self.kind} -> {self.status})"


class FakeSheets(Controls, SheetsStore):
    """The fake's state and request dispatcher (no sockets; see FakeSheetsServer)."""

    def __init__(self, *, api_disabled: bool = False, project_number: str = "123456789012",
                 reject_unknown_tokens: bool = True, seed: int = 20240615):
        super().__init__(seed)
        self.api_disabled = api_disabled
        self.project_number = project_number
        self.reject_unknown_tokens = reject_unknown_tokens
        self.tokens: dict[str, str] = {}
        self.revoked_accounts: set[str] = set()
        self.requests: list[RequestRecord] = []
        self._faults: list[_Fault] = []
        self._batch = BatchUpdater(self)
        self.max_request_bytes = MAX_REQUEST_BYTES  # Google's cap on a request body (tests may lower it)

    # ------------------------------------------------------------ test controls
    @staticmethod
    def route(method: str, path: str) -> tuple[str, Optional[str], Optional[str]]:
        """(kind, spreadsheet id, range or other path argument) for a raw path."""
        if path.startswith("/v4/spreadsheets"):
            rest = path[len("/v4/spreadsheets"):]
            if rest in ("", "/"):
                return ("spreadsheets.create" if method == "POST" else "unknown"), None, None
            m = re.match(r"^/([^/:]+)(.*)$", rest)
            if not m:
                return "unknown", None, None
            sid, tail = unquote(m.group(1)), m.group(2)
            simple = {("GET", ""): "spreadsheets.get",
                      ("POST", ":batchUpdate"): "spreadsheets.batchUpdate",
                      ("GET", "/values:batchGet"): "values.batchGet",
                      ("POST", "/values:batchUpdate"): "values.batchUpdate",
                      ("POST", "/values:batchClear"): "values.batchClear"}
            if (method, tail) in simple:
                return simple[method, tail], sid, None
            if tail.startswith("/values/"):
                seg = tail[len("/values/"):]
                for suffix, kind in ((":append", "values.append"), (":clear", "values.clear")):
                    if seg.endswith(suffix) and method == "POST":
                        return kind, sid, unquote(seg[:-len(suffix)])
                kind = {"GET": "values.get", "PUT": "values.update"}.get(method, "unknown")
                return kind, sid, unquote(seg)
            m = re.match(r"^/sheets/(\d+):copyTo$", tail)
            if m and method == "POST":
                return "sheets.copyTo", sid, m.group(1)
        elif path == "/token" and method == "POST":
            return "oauth.token", None, None
        elif path.startswith("/drive/v3/files") and method == "GET":
            rest = path[len("/drive/v3/files"):]
            if rest in ("", "/"):
                return "drive.files.list", None, None
            m = re.match(r"^/([^/]+)$", rest)
            if m:
                return "drive.files.get", unquote(m.group(1)), None
        return "unknown", None, None

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        """Answer one HTTP request: returns (status, JSON bytes)."""
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        kind, sid, arg = self.route(method, parts.path)
        rec = RequestRecord(method, unquote(parts.path), query, kind)
        if kind == "spreadsheets.batchUpdate":
            try:
                rec.requests = ",".join(next(iter(r), "") for r in json.loads(body).get("requests") or [])
            except (ValueError, AttributeError, TypeError):
                pass
        with self.lock:
            self.requests.append(rec)
            fault = next((f for f in self._faults if f.matches(rec)), None)
            if fault is not None:
                fault.count -= 1
        status, payload = 200, None
        if body is not None and len(body) > self.max_request_bytes:
            err = SheetsError(400, f"Request payload size exceeds the limit: {self.max_request_bytes} bytes.")
            status, payload = err.code, err.body()
        elif fault is not None and fault.status is not None:
            rw = "Write" if kind in WRITE_KINDS else "Read"
            message = fault.message or DEFAULT_MESSAGES.get(fault.status, "Injected error.").format(
                rw=rw, project=self.project_number)
            err = SheetsError(fault.status, message)
            if fault.status == 429:
                err.details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com",
                                "metadata": {"service": "sheets.googleapis.com",
                                             "quota_metric": f"sheets.googleapis.com/{rw.lower()}_requests"}}]
            status, payload = err.code, err.body()
        elif fault is not None and fault.cut:
            status, payload = self._process(method, kind, sid, arg, query, headers, body)
            rec.status = status
            whole = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            return status, whole[:len(whole) // 2]
        elif fault is not None:  # timeout
            if fault.apply:
                status, payload = self._process(method, kind, sid, arg, query, headers, body)
            fault.event.wait(fault.delay)
            if not fault.apply:
                err = SheetsError(503, DEFAULT_MESSAGES[503])
                status, payload = err.code, err.body()
        else:
            status, payload = self._process(method, kind, sid, arg, query, headers, body)
        rec.status = status
        try:
            return status, json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                                      check_circular=False).encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates sent by a client: escape them
            return status, json.dumps(payload).encode("ascii")

    def _caller(self, headers: Any) -> Optional[str]:
        auth = headers.get("Authorization") if headers is not None else None
        if not auth:
            return None
        token = auth.split(" ", 1)[1].strip() if " " in auth else auth
        if token in self.tokens:
            return self.tokens[token]
        if self.reject_unknown_tokens:
            raise SheetsError(401, "Request had invalid authentication credentials. Expected "
                                   "OAuth 2 access token, login cookie or other valid "
                                   "authentication credential. See https://developers.google."
                                   "com/identity/sign-in/web/devconsole-project.")
        return None

    def _disabled_error(self) -> SheetsError:
        p = self.project_number
        url = f"https://console.developers.google.com/apis/api/sheets.googleapis.com/overview?project={p}"
        return SheetsError(
            403, f"Google Sheets API has not been used in project {p} before or it is disabled. "
                 f"Enable it by visiting {url} then retry. If you enabled this API recently, wait "
                 f"a few minutes for the action to propagate to our systems and retry.",
            "PERMISSION_DENIED",
            [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
              "domain": "googleapis.com",
              "metadata": {"service": "sheets.googleapis.com", "consumer": f"projects/{p}"}},
             {"@type": "type.googleapis.com/google.rpc.Help",
              "links": [{"description": "Google developers console API activation",
                         "url": url}]}])

    def _open(self, sid: Optional[str], email: Optional[str]) -> Spreadsheet:
        ss = self.spreadsheets.get(sid or "")
        if ss is None:
            raise SheetsError(404, "Requested entity was not found.")
        if email is not None and ss.shared_with is not None and email not in ss.shared_with:
            raise SheetsError(403, "The caller does not have permission")
        return ss

    def _token(self, body: bytes) -> tuple[int, dict]:
        """OAuth 2 JWT-bearer grant, as google-auth sends it for a service account whose
        ``token_uri`` points here: the assertion's ``iss`` (the account's email) gets a
        fresh token registered with :meth:`register_token`.  The signature is not
        checked (the fake has no way to know the public key), only the shape."""
        import base64
        form = {k: v[0] for k, v in parse_qs(body.decode("ascii", "replace")).items()}
        try:
            claims_part = form["assertion"].split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
            email = claims["iss"]
        except (KeyError, IndexError, ValueError):
            return 400, {"error": "invalid_request", "error_description": "Invalid assertion."}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}
        if email in self.revoked_accounts:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        with self.lock:
            token = f"ya29.fake-{len(self.tokens) + 1}"
            self.tokens[token] = email
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _process(self, method, kind, sid, arg, query, headers, body) -> tuple[int, dict]:
        if kind == "oauth.token":
            return self._token(body)
        try:
            if self.api_disabled and not kind.startswith("drive."):
                raise self._disabled_error()
            email = self._caller(headers)
            try:
                data = json.loads(body) if body else {}
            except ValueError:
                raise SheetsError(400, "Invalid JSON payload received. Unexpected token.")
            q1 = {k: v[0] for k, v in query.items() if v}
            with self.lock:
                return 200, self._dispatch(kind, sid, arg, query, q1, data or {}, email)
        except SheetsError as err:
            return err.code, err.body()
        except Exception as exc:  # a bug in the fake must be visible, not a hang
            return 500, SheetsError(500, f"Internal error encountered. (fake: {exc!r})").body()

    def _dispatch(self, kind, sid, arg, query, q1, data, email) -> dict:
        if kind == "unknown":
            raise SheetsError(404, "Method not found.")
        if kind == "spreadsheets.create":
            return self._create(data, email)
        if kind.startswith("drive."):
            return self._drive(kind, sid, q1, email)
        ss = self._open(sid, email)
        if kind == "spreadsheets.get":
            return self._spreadsheets_get(ss, query, q1, email)
        if kind == "spreadsheets.batchUpdate":
            self._batch.caller = email
            return self._batch.run(ss, data)
        if kind == "values.get":
            return self.values_get(ss, arg, q1)
        if kind == "values.batchGet":
            return self.values_batch_get(ss, query.get("ranges", []), q1)
        if kind == "values.update":
            return self.values_update(ss, arg, q1, data)
        if kind == "values.batchUpdate":
            return self.values_batch_update(ss, data)
        if kind == "values.append":
            return self.values_append(ss, arg, q1, data)
        if kind == "values.clear":
            return {"spreadsheetId": ss.id, "clearedRange": self.values_clear(ss, arg)}
        if kind == "values.batchClear":
            for rng in data.get("ranges") or []:
                self.read_rect(ss, rng)  # validate all first: all-or-nothing
            return {"spreadsheetId": ss.id,
                    "clearedRanges": [self.values_clear(ss, r) for r in data.get("ranges") or []]}
        if kind == "sheets.copyTo":
            return self._copy_to(ss, int(arg), data, email)
        raise SheetsError(404, "Method not found.")

    # ------------------------------------------------------------ endpoint helpers
    def _spreadsheets_get(self, ss: Spreadsheet, query: dict, q1: dict, email: Optional[str] = None) -> dict:
        out = self._spreadsheet_answer(ss, query, q1)
        for sheet in out.get("sheets", []):  # computed for whoever asks, as Google does
            for protected in sheet.get("protectedRanges", []):
                protected["requestingUserCanEdit"] = can_edit(protected, email)
        return sheets_fields.apply(out, sheets_fields.parse(q1["fields"])) if q1.get("fields") else out

    def _spreadsheet_answer(self, ss: Spreadsheet, query: dict, q1: dict) -> dict:
        out = ss.to_json()
        ranges = query.get("ranges", [])
        with_data = _truthy(q1.get("includeGridData")) or "data" in q1.get("fields", "")
        if not ranges and not with_data:
            return out
        wanted: dict[int, list] = {}
        for rng in ranges:
            sheet, *rect = self.read_rect(ss, rng)
            wanted.setdefault(sheet.id, []).append(rect)
        sheets = []
        for sheet, sj in zip(ss.sheets, out["sheets"]):
            if ranges and sheet.id not in wanted:
                continue
            if with_data:
                rects = wanted.get(sheet.id) or [(0, 0, sheet.row_count, sheet.col_count)]
                sj["data"] = [self._grid_data(ss, sheet, *r) for r in rects]
            sheets.append(sj)
        out["sheets"] = sheets
        return out

    @staticmethod
    def _grid_data(ss, sheet, r0, c0, r1, c1) -> dict:
        fmt = Renderer("FORMATTED_VALUE", "SERIAL_NUMBER", ss.locale, sheet.cell)
        raw = Renderer("UNFORMATTED_VALUE", "SERIAL_NUMBER", ss.locale, sheet.cell)
        rows = []
        height = max([len(sheet.rows)] + [r + 1 for r, _ in sheet.notes])
        for r in range(r0, min(r1, height)):
            cells = []
            for c in range(c0, c1):
                cd = cell_data(sheet.cell(r, c), fmt, raw)
                if (r, c) in sheet.notes:
                    cd["note"] = sheet.notes[(r, c)]
                for dv in sheet.data_validations:
                    g = dv["range"]
                    if g.get("startRowIndex", 0) <= r < g.get("endRowIndex", 1 << 30) and \
                            g.get("startColumnIndex", 0) <= c < g.get("endColumnIndex", 1 << 30):
                        cd["dataValidation"] = dv["rule"]
                cells.append(cd)
            while cells and not cells[-1]:
                cells.pop()
            rows.append({"values": cells} if cells else {})
        while rows and not rows[-1]:
            rows.pop()
        out: dict = {"rowData": rows} if rows else {}
        if r0:
            out["startRow"] = r0
        if c0:
            out["startColumn"] = c0
        return out

    def _create(self, data: dict, email: Optional[str]) -> dict:
        props = data.get("properties") or {}
        tabs = {}
        grid = {}
        for i, sh in enumerate(data.get("sheets") or []):
            p = sh.get("properties") or {}
            title = p.get("title") or f"Sheet{i + 1}"
            tabs[title] = []
            gp = p.get("gridProperties") or {}
            grid[title] = (gp.get("rowCount", 1000), gp.get("columnCount", 26))
        sid = self.create_spreadsheet(props.get("title") or "Untitled spreadsheet", tabs or None,
                                      locale=props.get("locale", "en_GB"),
                                      time_zone=props.get("timeZone", "Europe/Paris"),
                                      shared_with=[email] if email else None, grid=grid)
        return self.spreadsheets[sid].to_json()

    def _copy_to(self, ss: Spreadsheet, sheet_id: int, data: dict, email) -> dict:
        import copy as _copy
        src = ss.by_id(sheet_id)
        dest = self._open(data.get("destinationSpreadsheetId"), email)
        reply = self._batch.run(dest, {"requests": [{"addSheet": {"properties": {
            "title": f"Copy of {src.title}", "gridProperties": {
                "rowCount": src.row_count, "columnCount": src.col_count}}}}]})
        new = dest.by_id(reply["replies"][0]["addSheet"]["properties"]["sheetId"])
        new.rows = _copy.deepcopy(src.rows)
        return _copy.deepcopy(new.props)

    def _drive(self, kind: str, file_id: Optional[str], q1: dict, email: Optional[str]) -> dict:
        def visible(ss: Spreadsheet) -> bool:
            return email is None or ss.shared_with is None or email in ss.shared_with

        def meta(ss: Spreadsheet) -> dict:
            return {"id": ss.id, "name": ss.props["title"], "createdTime": ss.created,
                    "modifiedTime": ss.modified,
                    "mimeType": "application/vnd.google-apps.spreadsheet"}

        if kind == "drive.files.get":
            ss = self.spreadsheets.get(file_id or "")
            if ss is None or not visible(ss):
                msg = f"File not found: {file_id}."
                err = SheetsError(404, msg)
                err.body = lambda: {"error": {"code": 404, "message": msg, "errors": [
                    {"domain": "global", "reason": "notFound", "message": msg,
                     "locationType": "parameter", "location": "fileId"}]}}
                raise err
            return meta(ss)
        m = re.search(r'name\s*=\s*"((?:[^"\\]|\\.)*)"', q1.get("q", ""))
        files = [meta(ss) for ss in self.spreadsheets.values()
                 if visible(ss) and (m is None or ss.props["title"] == m.group(1))]
        return {"kind": "drive#fileList", "incompleteSearch": False, "files": files}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Google; needs Content-Length
    server_version = "ESF"
    sys_version = ""
    disable_nagle_algorithm = True  # avoid 40 ms delayed-ACK stalls per request

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            status, payload = self.server.fake.handle(self.command, self.path, self.headers, body)
        except Exception as exc:  # never leave the client hanging on a fake bug
            status = 500
            payload = json.dumps(SheetsError(500, f"Internal error encountered. (fake: {exc!r})")
                                 .body()).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # client timed out and left
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeSheetsServer(FakeSheets):
    """:class:`FakeSheets` served over HTTP on 127.0.0.1 in a background thread.

    Use as a context manager (``with FakeSheetsServer() as fake``) or call
    :meth:`start`/:meth:`stop`.  ``base_url`` replaces ``https://sheets.googleapis.com``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        self._addr = (host, port)
        self._httpd: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("FakeSheetsServer is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeSheetsServer":
        if self._httpd is None:
            self._httpd = _Server(self._addr, _Handler)
            self._httpd.fake = self
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            kwargs={"poll_interval": 0.05},
                                            name="fake-sheets", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> "FakeSheetsServer":
        return self.start()

    def __exit__(self, *exc: Iterable) -> None:
        self.stop()
