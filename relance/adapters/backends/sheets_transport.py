"""gspread HTTP client whose Google endpoints can be redirected by environment.

Why: the Sheets backend must be testable end-to-end against a local fake
(``tests/fakes/sheets_server.py``) without monkeypatching gspread.  Setting
``RELANCE_SHEETS_API_URL=http://127.0.0.1:PORT`` makes every request that
gspread sends to ``https://sheets.googleapis.com`` go there instead.  Drive
calls (``https://www.googleapis.com/...``: ``Client.open(title)``, file
metadata) follow ``RELANCE_DRIVE_API_URL``, defaulting to the Sheets URL when
only that one is set -- so a test run never leaks a request to Google.
With neither variable set the client is exactly gspread's ``HTTPClient``.

It composes with gspread's retrying client through the MRO::

    class RetryingClient(RewritingHTTPClient, gspread.http_client.BackOffHTTPClient): ...
"""
from __future__ import annotations

import os
from typing import Any, Optional

from gspread.http_client import HTTPClient

SHEETS_ENV = "RELANCE_SHEETS_API_URL"
DRIVE_ENV = "RELANCE_DRIVE_API_URL"
SHEETS_PREFIX = "https://sheets.googleapis.com"
DRIVE_PREFIX = "https://www.googleapis.com"


class RewritingHTTPClient(HTTPClient):
    """``gspread.http_client.HTTPClient`` that rewrites Google URL prefixes.

    Constructed like gspread's client (``RewritingHTTPClient(auth, session)``,
    which is what ``gspread.Client(..., http_client=RewritingHTTPClient)``
    does).  The target URLs come from the class attributes ``sheets_base_url``
    / ``drive_base_url`` when a subclass sets them, else from the environment
    at construction time.
    """

    sheets_base_url: Optional[str] = None
    drive_base_url: Optional[str] = None

    def __init__(self, auth: Any, session: Any = None) -> None:
        super().__init__(auth, session)
        sheets = self.sheets_base_url or os.environ.get(SHEETS_ENV) or None
        drive = self.drive_base_url or os.environ.get(DRIVE_ENV) or sheets
        self._rewrites = [(prefix, base.rstrip("/")) for prefix, base in
                          ((SHEETS_PREFIX, sheets), (DRIVE_PREFIX, drive)) if base]

    def rewrite(self, url: str) -> str:
        """Return ``url`` with a known Google prefix replaced by its target."""
        for prefix, base in self._rewrites:
            if url.startswith(prefix + "/") or url == prefix:
                return base + url[len(prefix):]
        return url

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any):  # type: ignore[override]
        return super().request(method, self.rewrite(endpoint), *args, **kwargs)
