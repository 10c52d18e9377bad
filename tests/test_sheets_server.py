"""Drive the fake Sheets server through real, unmodified gspread calls.

These tests pin the Google behaviours the relance backend depends on (value
input/render options, append placement, grid limits, errors, access control)
so that a green test against the fake means something against Google.
"""
from __future__ import annotations

import datetime as dt

import gspread
import pytest
import requests
from gspread.exceptions import APIError, SpreadsheetNotFound
from gspread.utils import ValueInputOption, ValueRenderOption
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.adapters.backends.sheets_transport import RewritingHTTPClient
from tests.fakes.gspread_local import local_client
from tests.fakes.sheets_server import FakeSheetsServer, Formula

ROBOT = "relance@proj.iam.gserviceaccount.com"
HEADER = ["Facture", "Client", "Montant", "Échéance"]


@pytest.fixture(scope="module")
def server():
    with FakeSheetsServer() as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    yield server
    server.release()


@pytest.fixture
def gc(fake):
    return local_client(fake.base_url)


@pytest.fixture
def register(fake):
    sid = fake.create_spreadsheet("Registre", {
        "Factures": [HEADER, ["F1", "ACME", 1200.5, dt.date(2024, 3, 15)],
                     ["F2", "Bob", 300, ""], ["F3", "Zoé", 75, dt.date(2024, 1, 2)]],
        "Tâches": [["a"]], "Synthèse": [["b", 2]], "Échéanciers": [], "Tab with spaces": [["c"]],
    })
    return sid


def ws_of(gc, sid, title="Factures"):
    return gc.open_by_key(sid).worksheet(title)


# ------------------------------------------------------------------ values
def test_round_trip_and_records(gc, fake, register):
    ws = ws_of(gc, register)
    assert ws.get_all_values()[:3] == [HEADER, ["F1", "ACME", "1200.5", "15/03/2024"],
                                       ["F2", "Bob", "300", ""]]
    assert ws.get_all_records()[1] == {"Facture": "F2", "Client": "Bob", "Montant": 300,
                                       "Échéance": ""}
    ws.update([["X", 1], ["Y", 2.25]], "E1")
    assert ws.get("E1:F2", value_render_option=ValueRenderOption.unformatted) == [["X", 1], ["Y", 2.25]]
    ws.update_cell(3, 2, "Robert")
    assert fake.get_values(register, "Factures")[2][:2] == ["F2", "Robert"]


def test_raw_keeps_formula_like_text(gc, register):
    ws = ws_of(gc, register)
    texts = ["=SUM(A1)", "+33", "-1", "@x", "12", "TRUE", "15/03/2024"]
    ws.update([texts], "A10", raw=True)
    for option in ValueRenderOption:
        assert ws.get("A10:G10", value_render_option=option) == [texts], option


def test_user_entered_interprets_like_the_ui(gc, register):
    ws = ws_of(gc, register)
    ws.update([["=1+1", "12", "1234.5", "TRUE", "'0123", "=C2*2", "=VLOOKUP(A1,B:C,2)", "12%"]],
              "A10", raw=False)
    rng = "A10:H10"
    assert ws.get(rng, value_render_option=ValueRenderOption.formula) == [
        ["=1+1", 12, 1234.5, True, "0123", "=C2*2", "=VLOOKUP(A1,B:C,2)", 0.12]]
    assert ws.get(rng, value_render_option=ValueRenderOption.unformatted) == [
        [2, 12, 1234.5, True, "0123", 2401, "#FAKE_FORMULA!", 0.12]]
    assert ws.get(rng) == [["2", "12", "1234.5", "TRUE", "0123", "2401", "#FAKE_FORMULA!", "12%"]]


def test_dates_entered_become_serial_numbers(gc, register):
    ws = ws_of(gc, register)
    ws.update([["15/03/2024", "2024-03-15", "31/02/2024"]], "A10",
              value_input_option=ValueInputOption.user_entered)
    assert ws.get("A10:C10", value_render_option=ValueRenderOption.unformatted) == [
        [45366, 45366, "31/02/2024"]]
    assert ws.get("A10:C10") == [["15/03/2024", "2024-03-15", "31/02/2024"]]
    assert ws.get("A10:B10", value_render_option=ValueRenderOption.unformatted,
                  date_time_render_option="FORMATTED_STRING") == [["15/03/2024", "2024-03-15"]]
    # helper-created date cells behave the same
    assert ws.acell("D2", value_render_option=ValueRenderOption.unformatted).value == 45366


def test_french_locale_numbers_and_leading_plus_trap(gc, fake):
    sid = fake.create_spreadsheet("FR", {"S": [["h"]]}, locale="fr_FR")
    ws = gc.open_by_key(sid).sheet1
    ws.update([["1 234,5", "12.5", "+33 6 12 34 56 78", "+33", "- relancé", 0.25]], "A2", raw=False)
    assert ws.get("A2:F2", value_render_option=ValueRenderOption.unformatted) == [
        [1234.5, "12.5", "#ERROR!", 33, "#ERROR!", 0.25]]
    assert ws.get("A2:F2") == [["1234,5", "12.5", "#ERROR!", "33", "#ERROR!", "0,25"]]
    assert ws.get("C2", value_render_option=ValueRenderOption.formula) == [["+33 6 12 34 56 78"]]


def test_batch_get_non_ascii_titles(gc, fake, register):
    sh = gc.open_by_key(register)
    res = sh.values_batch_get(["Tâches!A1", "'Synthèse'!A:B", "Échéanciers", "'Tab with spaces'"])
    ranges = [vr["range"] for vr in res["valueRanges"]]
    assert ranges == ["Tâches!A1", "Synthèse!A1:B1000", "Échéanciers!A1:Z1000",
                      "'Tab with spaces'!A1:Z1000"]
    assert [vr.get("values") for vr in res["valueRanges"]] == [[["a"]], [["b", "2"]], None, [["c"]]]
    assert sh.worksheet("Échéanciers").get_all_values() == [[]]
    assert fake.count("values.batchGet") == 1
    assert any("Échéanciers" in r.path for r in fake.requests if r.kind == "values.get")


def test_a1_variants_and_trimming(gc, fake):
    sid = fake.create_spreadsheet("T", {"Data": [["a", "b", "", ""], [], ["c"], [], []],
                                        "It's": [["q"]]})
    sh = gc.open_by_key(sid)
    assert sh.values_get("A1:D5") == {"range": "Data!A1:D5", "majorDimension": "ROWS",
                                      "values": [["a", "b"], [], ["c"]]}
    assert sh.values_get("Data!2:5")["range"] == "Data!A2:Z5"
    assert sh.values_get("Data!A2:C")["values"] == [[], ["c"]]
    assert "values" not in sh.values_get("Data!D1:D5")
    assert sh.values_get("'It''s'!A1") == {"range": "'It''s'!A1", "majorDimension": "ROWS",
                                           "values": [["q"]]}
    cols = sh.values_get("Data!A1:B3", params={"majorDimension": "COLUMNS"})["values"]
    assert cols == [["a", "", "c"], ["b"]]
    with pytest.raises(APIError, match="exceeds grid limits"):
        sh.values_get("Data!A1:A1001")
    with pytest.raises(APIError, match="Unable to parse range"):
        sh.values_get("Nope!A1")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(min_size=1, max_size=30))
def test_raw_strings_round_trip_exactly(gc, register, text):
    ws = ws_of(gc, register, "Tâches")
    ws.update([[text]], "B2", raw=True)
    for option in ValueRenderOption:
        assert ws.get("B2", value_render_option=option) == [[text]]


# ------------------------------------------------------------------ append
def test_append_overwrite_goes_into_first_gap(gc, fake):
    sid = fake.create_spreadsheet("A", {"S": [["h1", "h2"], ["a", 1], [], ["below-gap"]]})
    res = gc.open_by_key(sid).sheet1.append_row(["new", 2])
    assert res["tableRange"] == "S!A1:B2"
    assert res["updates"]["updatedRange"] == "S!A3:B3"
    assert fake.get_values(sid, "S") == [["h1", "h2"], ["a", 1], ["new", 2], ["below-gap"]]


def test_append_insert_rows_shifts_following_data(gc, fake):
    sid = fake.create_spreadsheet("A", {"S": [["h"], ["a"], [], ["below-gap"]]},
                                  grid={"S": (4, 3)})
    sh = gc.open_by_key(sid)
    res = sh.values_append("S!A1", params={"valueInputOption": "RAW",
                                           "insertDataOption": "INSERT_ROWS"},
                           body={"values": [["x"], ["y"]]})
    assert res["updates"]["updatedRange"] == "S!A3:A4"
    assert fake.get_values(sid, "S") == [["h"], ["a"], ["x"], ["y"], [], ["below-gap"]]
    assert fake.sheet(sid, "S").row_count == 6


def test_append_grows_grid_and_handles_empty_sheet(gc, fake):
    sid = fake.create_spreadsheet("A", {"S": [["h"]], "Empty": []}, grid={"S": (1, 1)})
    sh = gc.open_by_key(sid)
    res = sh.worksheet("S").append_rows([["a", "b", "c"]])
    assert res["updates"]["updatedRange"] == "S!A2:C2"
    assert (fake.sheet(sid, "S").row_count, fake.sheet(sid, "S").col_count) == (2, 3)
    res = sh.worksheet("Empty").append_row(["first"])
    assert "tableRange" not in res and res["updates"]["updatedRange"] == "Empty!A1"


# ------------------------------------------------------------------ grid limits
def test_grid_limits_update_grows_batch_update_refuses(gc, fake):
    sid = fake.create_spreadsheet("G", {"S": [["h"]]}, grid={"S": (5, 2)})
    sh = gc.open_by_key(sid)
    with pytest.raises(APIError, match="exceeds grid limits") as err:
        sh.values_batch_update({"valueInputOption": "RAW",
                                "data": [{"range": "S!A1", "values": [["ok"]]},
                                         {"range": "S!A6", "values": [["x"]]}]})
    assert err.value.code == 400
    assert fake.get_values(sid, "S") == [["h"]]  # all-or-nothing
    sh.values_update("S!A6", params={"valueInputOption": "RAW"}, body={"values": [["x", 1, 2]]})
    assert (fake.sheet(sid, "S").row_count, fake.sheet(sid, "S").col_count) == (6, 3)
    with pytest.raises(APIError, match=r"tried writing to row \[3\]"):
        sh.values_update("S!A1:B2", params={"valueInputOption": "RAW"},
                         body={"values": [[1], [2], [3]]})


# ------------------------------------------------------------------ errors & access
@pytest.mark.parametrize("status,google_status", [(429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"),
                                                  (503, "UNAVAILABLE")])
def test_injected_errors_reach_gspread(gc, fake, register, status, google_status):
    ws = ws_of(gc, register)
    fake.inject(status=status, count=1, match="values.get")
    with pytest.raises(APIError) as err:
        ws.get_all_values()
    assert err.value.code == status and err.value.error["status"] == google_status
    assert ws.get_all_values()[0] == HEADER
    assert fake.count("values.get") == 2
    assert [r.status for r in fake.requests if r.kind == "values.get"] == [status, 200]


def test_timeout_injection_without_sleeping(fake, register):
    slow = local_client(fake.base_url, timeout=0.2)
    sh = slow.open_by_key(register)
    fake.inject_timeout(count=1, delay=30, match="values.update", apply=True)
    with pytest.raises(requests.exceptions.ReadTimeout):
        sh.worksheet("Factures").update_cell(2, 2, "landed anyway")
    fake.release()
    assert fake.get_values(register, "Factures")[1][1] == "landed anyway"
    fake.inject_timeout(count=1, delay=30, match="values.get")
    with pytest.raises(requests.exceptions.ReadTimeout):
        sh.worksheet("Factures").get_all_values()
    fake.release()


def test_access_control(fake):
    sid = fake.create_spreadsheet("Privé", {"S": [["x"]]}, shared_with=[ROBOT])
    fake.register_token("good", ROBOT)
    fake.register_token("other", "intrus@proj.iam.gserviceaccount.com")
    assert local_client(fake.base_url, token="good").open_by_key(sid).sheet1.acell("A1").value == "x"
    intruder = local_client(fake.base_url, token="other")
    with pytest.raises(PermissionError) as err:
        intruder.open_by_key(sid)
    assert err.value.__cause__.error == {"code": 403, "status": "PERMISSION_DENIED",
                                         "message": "The caller does not have permission"}
    with pytest.raises(APIError) as err:
        local_client(fake.base_url, token="forged").http_client.values_get(sid, "S!A1")
    assert err.value.code == 401
    with pytest.raises(SpreadsheetNotFound):
        local_client(fake.base_url).open_by_key("does-not-exist")
    assert fake.requests[-1].status == 404


def test_api_disabled(gc, fake, register):
    fake.api_disabled = True
    with pytest.raises(APIError) as err:
        gc.http_client.values_get(register, "Factures")
    error = err.value.error
    assert err.value.code == 403 and error["status"] == "PERMISSION_DENIED"
    assert "has not been used in project" in error["message"]
    assert any(d.get("reason") == "SERVICE_DISABLED" for d in error["details"])


# ------------------------------------------------------------------ counting & staff edits
def test_request_counting(gc, fake, register):
    sh = gc.open_by_key(register)
    ws = sh.worksheet("Factures")
    ws.get_all_records()
    ws.update_cell(2, 2, "x")
    sh.values_batch_update({"valueInputOption": "RAW", "data": [{"range": "Factures!E1", "values": [[1]]}]})
    assert fake.count("spreadsheets.get") == 2  # open_by_key + worksheet()
    assert (fake.count("values.get"), fake.count("values.update"),
            fake.count("values.batchUpdate")) == (1, 1, 1)
    assert fake.count() == 5
    method, path, query = fake.requests[-1]
    assert (method, path, query) == ("POST", f"/v4/spreadsheets/{register}/values:batchUpdate", {})
    fake.reset_counts()
    assert fake.count() == 0


def test_reorder_rows_between_read_and_write(gc, fake, register):
    ws = ws_of(gc, register)
    row_of_f1 = next(i for i, r in enumerate(ws.get_all_values(), 1) if r[0] == "F1")
    fake.reorder_rows(register, "Factures", lambda r: r[1], reverse=True)  # staff sorts by client
    assert [r[0] for r in fake.get_values(register, "Factures")[1:]] == ["F3", "F2", "F1"]
    ws.update_cell(row_of_f1, 2, "stale write")  # the naive pattern hits the wrong invoice
    assert fake.get_values(register, "Factures")[row_of_f1 - 1][0] == "F3"
    fake.reorder_rows(register, "Factures", [2, 1, 0])
    assert [r[0] for r in ws.get_all_values()[1:]] == ["F1", "F2", "F3"]


# ------------------------------------------------------------------ spreadsheets.batchUpdate
def test_structural_batch_update(gc, fake, register):
    sh = gc.open_by_key(register)
    new = sh.add_worksheet("Journal", rows=10, cols=5)
    assert new.id != 0 and new.row_count == 10
    sid0 = sh.sheet1.id
    rng = {"sheetId": sid0, "startRowIndex": 1, "startColumnIndex": 1, "endColumnIndex": 2}
    res = sh.batch_update({"requests": [
        {"updateSheetProperties": {"properties": {"sheetId": sid0, "title": "Factures 2024",
                                                  "gridProperties": {"frozenRowCount": 1}},
                                   "fields": "title,gridProperties.frozenRowCount"}},
        {"setDataValidation": {"range": rng, "rule": {"condition": {
            "type": "ONE_OF_LIST", "values": [{"userEnteredValue": "payée"}]}, "strict": True}}},
        {"addProtectedRange": {"protectedRange": {"range": rng, "description": "ne pas toucher",
                                                  "warningOnly": True}}},
        {"addConditionalFormatRule": {"index": 0, "rule": {"ranges": [rng], "booleanRule": {
            "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "x"}]},
            "format": {"textFormat": {"bold": True}}}}}},
        {"addChart": {"chart": {"spec": {"title": "Encours"}, "position": {
            "overlayPosition": {"anchorCell": {"sheetId": sid0, "rowIndex": 0, "columnIndex": 6}}}}}},
        {"repeatCell": {"range": rng, "cell": {"userEnteredFormat": {}}, "fields": "userEnteredFormat"}},
    ]})
    replies = res["replies"]
    assert replies[0] == {} and replies[1] == {} and replies[3] == {} and replies[5] == {}
    assert replies[2]["addProtectedRange"]["protectedRange"]["warningOnly"] is True
    assert isinstance(replies[2]["addProtectedRange"]["protectedRange"]["protectedRangeId"], int)
    assert isinstance(replies[4]["addChart"]["chart"]["chartId"], int)
    meta = sh.fetch_sheet_metadata()["sheets"][0]
    assert meta["properties"]["title"] == "Factures 2024"
    assert meta["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert len(meta["protectedRanges"]) == len(meta["conditionalFormats"]) == len(meta["charts"]) == 1
    assert fake.sheet(register, "Factures 2024").data_validations[0]["rule"]["strict"] is True
    assert sh.worksheet("Factures 2024").frozen_row_count == 1
    assert gc.open_by_key(register).worksheet("Journal").append_row(["ok"])


def test_batch_update_is_atomic_and_rejects_unknown_requests(gc, fake, register):
    sh = gc.open_by_key(register)
    with pytest.raises(APIError, match="Invalid JSON payload") as err:
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "X"}}},
                                      {"frobnicate": {}}]})
    assert err.value.code == 400
    with pytest.raises(APIError, match="already exists"):
        sh.batch_update({"requests": [{"addSheet": {"properties": {"title": "X"}}},
                                      {"addSheet": {"properties": {"title": "Factures"}}}]})
    assert [w.title for w in sh.worksheets()] == ["Factures", "Tâches", "Synthèse", "Échéanciers",
                                                  "Tab with spaces"]


def test_row_insertion_and_deletion_via_gspread(gc, fake, register):
    ws = ws_of(gc, register)
    ws.insert_row(["F0", "Avant"], index=2)
    ws.delete_rows(4)
    assert [r[0] for r in fake.get_values(register, "Factures")] == ["Facture", "F0", "F1", "F3"]


# ------------------------------------------------------------------ transport
def test_env_var_rewriting_client_reaches_the_fake(fake, register, monkeypatch):
    monkeypatch.setenv("RELANCE_SHEETS_API_URL", fake.base_url)
    monkeypatch.delenv("RELANCE_DRIVE_API_URL", raising=False)
    client = gspread.Client(auth=None, session=requests.Session(), http_client=RewritingHTTPClient)
    assert client.open_by_key(register).worksheet("Tâches").get_all_values() == [["a"]]
    assert client.open("Registre").id == register  # Drive files.list is served too
    assert fake.count("drive.files.list") == 1
    monkeypatch.delenv("RELANCE_SHEETS_API_URL")
    plain = RewritingHTTPClient(None, requests.Session())
    url = "https://sheets.googleapis.com/v4/spreadsheets/x"
    assert plain.rewrite(url) == url


def test_formula_helper_and_user_entered_helper(fake):
    sid = fake.create_spreadsheet("H", {"S": [["=1+1", "12", Formula("=TODAY()", 45366)]]},
                                  value_input_option="USER_ENTERED")
    assert fake.get_values(sid, "S") == [[2, 12, 45366]]
    assert fake.get_values(sid, "S", render="FORMULA") == [["=1+1", 12, "=TODAY()"]]


def test_gspread_sheet_management_helpers(gc, fake, register):
    """gspread sends "gridProperties/rowCount" masks and JSON nulls; both must work."""
    sh = gc.open_by_key(register)
    ws = sh.worksheet("Factures")
    ws.resize(rows=3)
    ws.freeze(rows=1)
    assert fake.sheet(register, "Factures").grid == {"rowCount": 3, "columnCount": 26,
                                                     "frozenRowCount": 1}
    assert [r[0] for r in fake.get_values(register, "Factures")] == ["Facture", "F1", "F2"]
    dup = ws.duplicate(new_sheet_name="Copie")
    assert fake.get_values(register, "Copie") == fake.get_values(register, "Factures")
    sh.del_worksheet(dup)
    ws.update_index(2)  # "before the move" index, as documented by Google
    assert [w.title for w in sh.worksheets()][:3] == ["Tâches", "Factures", "Synthèse"]
    ws.sort((2, "des"))
    assert [r[1] for r in fake.get_values(register, "Factures")] == ["Client", "Bob", "ACME"]
