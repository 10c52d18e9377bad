"""Google's 10 MiB request cap (issue 20, item 6): the fake enforces it; relance writes only
the cells that changed, cuts a write that is still too big into parts that fit (each atomic,
addressed by key), and refuses before sending a part that cannot fit."""

import json

import pytest

from relance.adapters.backends import Changes
from relance.adapters.backends.gsheets_split import MAX_REQUEST_BYTES, TooLarge

from registers import register_tabs
from test_gsheets import FAST, add_lock_tab, direct, inv, run, values
from tests.fakes.sheets_server import FakeSheets

SMALL = 40_000  # bytes: a cap the tests can pass with a few hundred invoices


def test_the_fake_refuses_a_body_over_10_mib_as_google_does():
    fake = FakeSheets(reject_unknown_tokens=False)
    sid = fake.create_spreadsheet("R", {"Factures": []})
    body = json.dumps({"requests": [{"updateCells": {"start": {"sheetId": 0}, "fields": "userEnteredValue",
                                                     "rows": [{"values": [{"note": "x" * MAX_REQUEST_BYTES}]}]}}]})
    status, raw = fake.handle("POST", f"/v4/spreadsheets/{sid}:batchUpdate", {}, body.encode())
    assert status == 400 and json.loads(raw)["error"]["message"] == \
        "Request payload size exceeds the limit: 10485760 bytes."


def test_cells_that_already_hold_the_value_are_not_written_again(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1"), inv("F2")]))
    backend = direct(fake_sheets, key)
    backend.load()
    backend.apply(Changes(invoices={"F1": {"next_action": "appeler"}, "F2": {"next_action": "écrire"}}))
    backend = direct(fake_sheets, key)
    backend.load()
    fake_sheets.reset_counts()
    report = backend.apply(Changes(invoices={"F1": {"next_action": "appeler"}, "F2": {"next_action": "écrire"},
                                             "F404": {"next_action": "x"}}))
    assert fake_sheets.count("spreadsheets.batchUpdate") == 0  # nothing changed: nothing sent
    assert report.missing_invoices == ("F404",)  # an invoice gone is still reported


def test_a_run_too_big_for_one_request_is_written_in_parts_that_each_fit(sheets_reg):
    invoices = [inv(f"F{i:04}", client=f"C{i % 40:02}", late=3 if i < 40 else -30) for i in range(400)]
    sheets_reg.create(invoices)
    add_lock_tab(sheets_reg)
    sheets_reg.fake.max_request_bytes = SMALL
    backend = sheets_reg.backend(retry=FAST)
    backend.request_limit = SMALL - 2_000
    sheets_reg.fake.reset_counts()
    report = run(sheets_reg.policy, backend=backend)
    assert len(report.sent) == 40
    assert all(r.status == 200 for r in sheets_reg.fake.requests if r.kind != "oauth.token")
    assert sheets_reg.fake.count("spreadsheets.batchUpdate") > 4  # lock, pending rows, several parts, unlock
    assert any("en " in n and "parties" in n for n in backend.notes)
    factures = values(sheets_reg.fake, sheets_reg.key, "Factures")
    assert factures["F0000"]["Étape"] == "Relance amiable"
    assert all(factures[f"F{i:04}"]["Prochaine action"].startswith("Pré-relance") for i in range(40, 400))
    assert [r["Statut"] for r in sheets_reg.rows("Journal")].count("envoyé") == 40


def test_a_part_that_cannot_fit_is_refused_before_anything_of_it_is_sent(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1"), inv("F2")]))
    backend = direct(fake_sheets, key)
    backend.load()
    backend.request_limit = 5_000
    fake_sheets.reset_counts()
    with pytest.raises(TooLarge, match="la facture F2 dépasse à elle seule la limite de 10 Mo"):
        backend.apply(Changes(journal=({"client": "C1", "status": "sent", "key": "k"},),
                              invoices={"F1": {"next_action": "x"}, "F2": {"alert": "é" * 2_000}}))
    assert fake_sheets.count("spreadsheets.batchUpdate") == 0  # not even the parts that fit
    assert values(fake_sheets, key, "Factures")["F1"].get("Prochaine action", "") == ""


def test_a_summary_tab_too_big_for_a_request_is_left_out_and_never_costs_the_journal(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]))
    backend = direct(fake_sheets, key)
    backend.load()
    backend.request_limit = 5_000
    backend.apply(Changes(journal=({"client": "C1", "status": "sent", "key": "k"},),
                          invoices={"F1": {"next_action": "x"}},
                          sheets={"Historique": [[f"ligne {i}", i] for i in range(2_000)]}))
    assert values(fake_sheets, key, "Factures")["F1"]["Prochaine action"] == "x"
    assert [r[8] for r in fake_sheets.get_values(key, "Journal")[1:]] == ["k"]
    assert any(n.startswith("onglet Synthèse non mis à jour : écriture Google Sheets trop volumineuse")
               for n in backend.notes)


def test_thousands_of_new_tasks_are_cut_too_and_updates_find_the_new_tasks_by_key(fake_sheets):
    """Measured: a first run on 150 000 invoices opens ~42 000 tasks, alone over 10 MiB."""
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")], tasks=[{"reason": "ancienne", "key": "T/0"}]))
    backend = direct(fake_sheets, key)
    backend.load()
    backend.request_limit = 6_000
    tasks = tuple({"reason": f"appeler le client {i}", "key": f"T/{i}", "invoices": "F1"} for i in range(1, 121))
    backend.apply(Changes(journal=({"client": "C1", "status": "sent", "key": "k"},), tasks=tasks,
                          task_updates={"T/0": {"reason": "mise à jour"}, "T/120": {"invoices": "F1, F2"}}))
    rows = fake_sheets.get_values(key, "Tâches")[1:]
    assert [r[8] for r in rows] == [f"T/{i}" for i in range(121)]  # each once, in order
    assert rows[0][3] == "mise à jour" and rows[120][2] == "F1, F2"
    assert all(r.status == 200 for r in fake_sheets.requests)
