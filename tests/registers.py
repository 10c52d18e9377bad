"""The same register in a .xlsx file or in the local fake Google Sheets server.

The integration tests take a `reg` fixture parametrised over both backends: they
build a register from rows keyed by schema column keys, run the real code
(`runner.run`, the CLI) through the config file, and read tabs back as dicts keyed
by header, the way a human reads them. The Google Sheets side goes through the
production path (`GoogleSheetsBackend.from_policy`): a service-account JSON with
a freshly generated RSA key whose ``token_uri`` is the fake's token endpoint, and
``RELANCE_SHEETS_API_URL`` pointing gspread at the fake.
"""

from __future__ import annotations

import functools

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from relance.core import schema
from relance.core.config import Policy, load_policy

ROBOT = "relance-bot@relance-test.iam.gserviceaccount.com"


def staff_value(value: Any) -> Any:
    """A cell as staff would have typed it into Google Sheets (numbers, dates, text)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if value is None:
        return ""
    return value


def tab_values(tab: schema.Tab, rows: list[dict]) -> list[list[Any]]:
    return [tab.headers] + [[staff_value(row.get(c.key)) for c in tab.columns] for row in rows]


def test_clients(invoices: list[dict], clients: list[dict] | None) -> list[dict]:
    """Clients rows for a test register: one per client code of `invoices` when not given, and each a
    business (`Type` B2B) unless the row says otherwise: a blank Type is a problem since the identity
    work, so a test about a blank or odd Type passes ``"kind": ""`` (or its value) explicitly."""
    if clients is None:
        codes = sorted({str(i.get("client", "C1")) for i in invoices})
        clients = [{"code": c, "name": f"Client {c}", "email": f"{c.lower()}@example.com"} for c in codes]
    return [{"kind": "B2B", **c} for c in clients]


FRESH = "today"  # default of `payments_up_to`: the tests' TODAY


def freshness_rows(payments_up_to: Any = FRESH) -> list[list[Any]]:
    """Synthèse rows declaring « Encaissements à jour au »: a test register says its payment data is fresh
    as of TODAY (a new register without it sends nothing); ``payments_up_to=None`` opts out."""
    if payments_up_to == FRESH:
        from conftest import TODAY
        payments_up_to = TODAY
    return [["Encaissements à jour au", payments_up_to]] if payments_up_to else []


def register_tabs(invoices: list[dict], clients: list[dict] | None = None, journal=(), tasks=(),
                  payments_up_to: Any = FRESH) -> dict:
    """The tabs of `create_workbook`, as rows for `FakeSheets.create_spreadsheet`."""
    clients = test_clients(invoices, clients)
    content = {"Factures": list(invoices), "Clients": clients, "Journal": list(journal), "Tâches": list(tasks)}
    tabs = {tab.name: tab_values(tab, content.get(tab.name, [])) for tab in schema.DATA_TABS}
    tabs.update({schema.SYNTHESE.name: freshness_rows(payments_up_to), schema.HISTORIQUE.name: []})
    return tabs


OWN_IDENTITY = {'name = "Atelier Dupont SARL"': 'name = "Menuiserie Martin SAS"',
                'siren = "123456789"': 'siren = "732829320"',
                'address = "12 rue de la Paix, 75002 Paris"': 'address = "3 rue des Tanneurs, 69001 Lyon"',
                "compta@example.fr": "compta@menuiserie-martin.fr"}


def use_own_identity(config: Path) -> None:
    """Replace the sample [company] identity written by `init` with a real-looking one (what staff must do
    before `relance check` passes)."""
    text = config.read_text(encoding="utf-8")
    for sample, own in OWN_IDENTITY.items():
        text = text.replace(sample, own)
    config.write_text(text, encoding="utf-8")


@functools.cache
def robot_private_key() -> str:
    """One RSA key per test process, 1024 bits: the fake token server checks nothing about it, and
    google-auth validates a 2048-bit key in 35 ms at every Sheets run (400 runs in the suite)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def service_account_info(token_uri: str, email: str = ROBOT) -> dict:
    pem = robot_private_key()
    return {"type": "service_account", "project_id": "relance-test", "private_key_id": "0" * 40,
            "private_key": pem, "client_email": email, "client_id": "1" * 21, "token_uri": token_uri}


def sheet_dicts(values: list[list[Any]]) -> list[dict]:
    """Rows under the header as dicts; empty cells are None, blank rows skipped (like `sheet_rows`)."""
    if not values:
        return []
    header = values[0]
    out = []
    for row in values[1:]:
        cells = [None if v == "" else v for v in row] + [None] * (len(header) - len(row))
        if any(v is not None for v in cells):
            out.append(dict(zip(header, cells)))
    return out


class XlsxRegister:
    kind = "xlsx"

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.path = workdir / "registre.xlsx"

    def create(self, invoices: list[dict], clients: list[dict] | None = None, journal=(), tasks=(),
               payments_up_to: Any = FRESH) -> None:
        from conftest import xlsx_register
        xlsx_register(self.workdir, invoices, clients, journal, tasks, payments_up_to)

    @property
    def policy(self) -> Policy:
        return load_policy(self.workdir / "config.toml")

    def rows(self, tab: str) -> list[dict]:
        from conftest import sheet_rows
        return sheet_rows(self.path, tab)

    def snapshot(self) -> Any:
        return self.path.read_bytes()

    def backend(self):
        from relance.adapters.backends.xlsx import XlsxBackend
        return XlsxBackend(self.path)


class SheetsRegister:
    kind = "gsheets"

    def __init__(self, workdir: Path, fake: Any, account: dict):
        self.workdir, self.fake = workdir, fake
        (workdir / "service-account.json").write_text(json.dumps(account), encoding="utf-8")
        self.key = ""

    def create(self, invoices: list[dict], clients: list[dict] | None = None, journal=(), tasks=(),
               tabs: dict | None = None, payments_up_to: Any = FRESH) -> str:
        from relance.adapters.backends.gsheets_init import google_config_text
        tabs = tabs if tabs is not None else register_tabs(invoices, clients, journal, tasks, payments_up_to)
        self.key = self.fake.create_spreadsheet("Registre", tabs, shared_with=[ROBOT])
        url = f"https://docs.google.com/spreadsheets/d/{self.key}/edit#gid=0"
        (self.workdir / "config.toml").write_text(google_config_text(url, "service-account.json"), encoding="utf-8")
        return self.key

    @property
    def policy(self) -> Policy:
        return load_policy(self.workdir / "config.toml")

    def rows(self, tab: str) -> list[dict]:
        return sheet_dicts(self.fake.get_values(self.key, tab))

    def snapshot(self) -> Any:
        ss = self.fake.spreadsheet(self.key)
        return {s.title: self.fake.get_values(self.key, s.title, render="FORMULA") for s in ss.sheets}

    def backend(self, **kwargs: Any):
        from relance.adapters.backends.gsheets import GoogleSheetsBackend
        return GoogleSheetsBackend.from_policy(self.policy, **kwargs)


def sheets_requests(fake: Any) -> dict[str, int]:
    """Requests to the Sheets API by kind (the OAuth token request is not one)."""
    counts: dict[str, int] = {}
    for record in list(fake.requests):
        if record.kind != "oauth.token":
            counts[record.kind] = counts.get(record.kind, 0) + 1
    return counts


@pytest.fixture(scope="session")
def sheets_server():
    from tests.fakes.sheets_server import FakeSheetsServer
    with FakeSheetsServer() as fake:
        yield fake


@pytest.fixture
def fake_sheets(sheets_server, monkeypatch):
    """The session's fake Sheets server, emptied, with gspread pointed at it."""
    sheets_server.reset()
    monkeypatch.setenv("RELANCE_SHEETS_API_URL", sheets_server.base_url)
    monkeypatch.delenv("RELANCE_DRIVE_API_URL", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    yield sheets_server
    sheets_server.release()


@pytest.fixture(scope="session")
def robot_account(sheets_server) -> dict:
    """A service-account key (fresh RSA key) whose tokens come from the fake."""
    return service_account_info(sheets_server.base_url + "/token")


@pytest.fixture(params=["xlsx", "gsheets"])
def reg(request, workdir):
    """An empty register of each kind in `workdir`; call ``reg.create(invoices, ...)``."""
    if request.param == "xlsx":
        return XlsxRegister(workdir)
    fake = request.getfixturevalue("fake_sheets")
    return SheetsRegister(workdir, fake, request.getfixturevalue("robot_account"))



@pytest.fixture
def sheets_reg(workdir, fake_sheets, robot_account) -> SheetsRegister:
    """A register in the fake Google Sheets server only (backend-specific tests)."""
    return SheetsRegister(workdir, fake_sheets, robot_account)
