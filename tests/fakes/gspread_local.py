"""Connect an unmodified gspread client to the local fake Sheets server.

Why a subclass and not monkeypatching: production code reaches the fake the
same way (``relance.backends.sheets_transport.RewritingHTTPClient`` driven by
``RELANCE_SHEETS_API_URL``), so tests exercise the real transport path.
"""
from __future__ import annotations

from typing import Optional, Union

import gspread
import requests

from relance.adapters.backends.sheets_transport import RewritingHTTPClient


class LocalHTTPClient(RewritingHTTPClient):
    """Rewriting client bound to one fake (``sheets_base_url`` set per fake)."""


def local_http_client_class(base_url: str) -> type[LocalHTTPClient]:
    """A LocalHTTPClient subclass whose Sheets and Drive URLs point at ``base_url``."""
    return type("LocalHTTPClient", (LocalHTTPClient,),
                {"sheets_base_url": base_url, "drive_base_url": base_url})


def local_client(base_url: str, timeout: Optional[Union[float, tuple]] = None,
                 token: Optional[str] = None) -> gspread.Client:
    """``gspread.Client`` talking to the fake at ``base_url``.

    ``timeout`` goes to ``Client.set_timeout``; ``token`` (registered with
    ``fake.register_token``) is sent as ``Authorization: Bearer <token>`` to
    act as a given service account.
    """
    session = requests.Session()
    if token is not None:
        session.headers["Authorization"] = f"Bearer {token}"
    client = gspread.Client(auth=None, session=session,
                            http_client=local_http_client_class(base_url))
    if timeout is not None:
        client.set_timeout(timeout)
    return client
