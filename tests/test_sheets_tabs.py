"""Issue 15 item 4 on Google Sheets: tabs are matched like on xlsx (backends.match_tab). A staff tab
named « Summary » or « Log » beside Synthèse and Journal is neither read nor rewritten; « Invoices »
is used only when « Factures » is absent; two candidates for one tab are refused before sending."""

from datetime import timedelta
from decimal import Decimal

import pytest

from relance.adapters.backends import BackendError
from relance.adapters.backends.gsheets import GoogleSheetsBackend

from conftest import TODAY
from registers import register_tabs
from tests.fakes.gspread_local import local_client

INVOICES = [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3), "amount": Decimal("100.00")}]


def backend(fake, key):
    return GoogleSheetsBackend(local_client(fake.base_url), key)


def test_staff_tabs_with_english_names_are_neither_read_nor_rewritten(fake_sheets):
    tabs = register_tabs(INVOICES)
    staff = {"Summary": [["mes notes"], ["à garder"]], "Log": [["Horodatage", "Clé"], ["2026-01-01", "x"]]}
    key = fake_sheets.create_spreadsheet("R", {**staff, **tabs})
    raw = backend(fake_sheets, key).load()
    assert [r for r in raw["Journal"].rows[1:] if any(r)] == []       # the real Journal, not « Log »
    assert fake_sheets.get_values(key, "Summary") == staff["Summary"]
    assert fake_sheets.get_values(key, "Log") == staff["Log"]


def test_an_alias_is_used_only_when_the_canonical_tab_is_absent(fake_sheets):
    tabs = register_tabs(INVOICES)
    tabs["Invoices"] = tabs.pop("Factures")
    key = fake_sheets.create_spreadsheet("R", tabs)
    raw = backend(fake_sheets, key).load()
    assert raw["Factures"].rows[1][0] == "F1"


def test_two_candidates_for_one_tab_are_refused(fake_sheets):
    tabs = register_tabs(INVOICES)
    tabs["JOURNAL "] = [list(tabs["Journal"][0])]
    key = fake_sheets.create_spreadsheet("R", tabs)
    with pytest.raises(BackendError, match="ambigu"):
        backend(fake_sheets, key).load()
