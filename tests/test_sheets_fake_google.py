"""The fake answers like Google where relance's code could be misled: field masks, omitted
defaults, refusals with Google's error bodies (each proven by a recording, see test_sheets_replay)."""

import json

from tests.fakes.sheets_server import FakeSheets


def call(fake, method, path, body=None):
    status, raw = fake.handle(method, path, {}, json.dumps(body).encode() if body is not None else b"")
    return status, json.loads(raw)


def batch(fake, sid, *requests):
    return call(fake, "POST", f"/v4/spreadsheets/{sid}:batchUpdate", {"requests": list(requests)})


def test_fields_masks_are_applied_and_defaults_omitted():
    fake = FakeSheets(reject_unknown_tokens=False)
    sid = fake.create_spreadsheet("R", {"Factures": [["N°"]], "Journal": []})
    batch(fake, sid, {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                                                "fields": "gridProperties.frozenRowCount"}})
    batch(fake, sid, {"updateSheetProperties": {"properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 0}},
                                                "fields": "gridProperties.frozenRowCount"}})
    status, answer = call(fake, "GET", f"/v4/spreadsheets/{sid}?fields=spreadsheetId,properties.title,"
                                       f"sheets(properties,charts.chartId)")
    assert status == 200 and set(answer) == {"spreadsheetId", "properties", "sheets"}
    assert answer["properties"] == {"title": "R"}
    assert answer["sheets"][0] == {"properties": {"sheetId": 0, "title": "Factures", "index": 0, "sheetType": "GRID",
                                                  "gridProperties": {"rowCount": 1000, "columnCount": 26}}}
    status, answer = call(fake, "GET", f"/v4/spreadsheets/{sid}?fields=sheets.properties.tabColorStyle")
    assert answer == {"sheets": [{"properties": {}}, {"properties": {}}]}


def test_hiding_the_only_visible_sheet_is_refused_like_google():
    fake = FakeSheets(reject_unknown_tokens=False)
    sid = fake.create_spreadsheet("R", {"Factures": [], "Verrou": []})
    hide = lambda sheet_id: {"updateSheetProperties": {"properties": {"sheetId": sheet_id, "hidden": True},  # noqa: E731
                                                       "fields": "hidden"}}
    verrou = fake.sheet(sid, "Verrou").id
    assert batch(fake, sid, hide(verrou))[0] == 200
    status, answer = batch(fake, sid, hide(0))
    assert status == 400 and answer["error"]["message"] == ("Invalid requests[0].updateSheetProperties: "
                                                            "You can't hide all the sheets in a document.")
    assert not fake.sheet(sid, "Factures").props.get("hidden")


def test_a_bad_value_is_named_at_the_end_of_the_message_with_field_violations():
    fake = FakeSheets(reject_unknown_tokens=False)
    sid = fake.create_spreadsheet("R", {"Factures": []})
    status, answer = call(fake, "PUT", f"/v4/spreadsheets/{sid}/values/Factures!A1?valueInputOption=RAW",
                          {"values": ["X"]})
    message = "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), \"X\""
    assert status == 400 and answer["error"]["message"] == message
    assert answer["error"]["details"] == [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                           "fieldViolations": [{"field": "data.values", "description": message}]}]
