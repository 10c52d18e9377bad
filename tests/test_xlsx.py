"""The xlsx backend: reads by header name, writes only bot columns, never formulas."""

from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill

from relance.adapters.backends import Changes, RegisterLocked
from relance.adapters.backends.xlsx import XlsxBackend, create_workbook

from conftest import xlsx_register


def test_new_register_has_every_tab_header_dropdown_and_frozen_row(tmp_path):
    path = tmp_path / "r.xlsx"
    create_workbook(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Factures", "Clients", "Échéanciers", "Journal", "Tâches", "Synthèse", "Historique"]
    factures = wb["Factures"]
    assert [c.value for c in factures[1]][:4] == ["N° facture", "Client", "Date facture", "Échéance"]
    assert factures.freeze_panes == "A2"
    lists = {str(dv.sqref): dv.formula1 for dv in factures.data_validations.dataValidation}
    assert lists == {"I2:I100000": '"Payée,Annulée,Litige,Pause,Échéancier,Prélèvement rejeté"'}
    clients = {dv.formula1 for dv in wb["Clients"].data_validations.dataValidation}
    assert '"Standard,Stratégique,Particulier"' in clients and '"fr,en"' in clients
    assert factures.column_dimensions["A"].width >= 12


def test_english_headers_and_reordered_columns_are_read(tmp_path):
    path = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoices"
    ws.append(["Amount", "Due date", "Customer", "Invoice number", "Status", "Paid", "Payment date"])
    ws.append(["1 234,56 €", "25/11/2026", "C1", "F1"])
    wb.create_sheet("Customers").append(["Client code", "E-mail", "Kind", "Auto reminders", "Direct debit"])
    wb["Customers"].append(["C1", "c1@example.com", "B2B"])
    wb.save(path)
    tabs = XlsxBackend(path).load()
    from relance.core.parse import parse_register
    register, problems = parse_register(tabs)
    assert problems == []
    assert register.invoices[0].amount == Decimal("1234.56") and register.invoices[0].due == date(2026, 11, 25)


def test_writes_touch_only_bot_columns_and_keep_staff_formatting_and_formulas(tmp_path):
    path = xlsx_register(tmp_path, [{"invoice": "F1", "client": "C1", "due": date(2026, 11, 20), "amount": Decimal("10")},
                                    {"invoice": "F2", "client": "C1", "due": date(2026, 11, 21), "amount": Decimal("20")}])
    wb = openpyxl.load_workbook(path)
    ws = wb["Factures"]
    ws["K2"] = '=CONCAT("voir ", A2)'                # a staff formula in Notes
    ws["E2"].font = Font(bold=True, color="FF0000")  # staff formatting on the amount
    ws["E2"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["E2"].number_format = '0.00 "EUR"'
    wb.save(path)
    before = [[c.value for c in row[:11]] for row in openpyxl.load_workbook(path)["Factures"].iter_rows()]

    XlsxBackend(path).apply(Changes(invoices={"F1": {"stage": "Relance amiable", "alert": "=HYPERLINK(\"x\")",
                                                     "reminders_sent": 1, "invoice": "HACK", "amount": 0}}))
    after_wb = openpyxl.load_workbook(path)
    ws = after_wb["Factures"]
    assert [[c.value for c in row[:11]] for row in ws.iter_rows()] == before  # staff columns untouched
    assert ws["K2"].value == '=CONCAT("voir ", A2)' and ws["K2"].data_type == "f"
    assert ws["E2"].font.bold and ws["E2"].fill.fgColor.rgb.endswith("FFFF00") and ws["E2"].number_format == '0.00 "EUR"'
    headers = [c.value for c in ws[1]]
    alert = ws.cell(row=2, column=headers.index("Alerte") + 1)
    assert alert.value == '=HYPERLINK("x")' and alert.data_type == "s"  # text, never a formula
    assert ws.cell(row=2, column=headers.index("Étape") + 1).value == "Relance amiable"
    assert ws.cell(row=3, column=headers.index("Étape") + 1).value is None


@pytest.mark.parametrize("value", ["=1+1", "+33 6 12 34 56 78", "-2", "@SUM(A1)"])
def test_formula_looking_values_are_stored_as_text(tmp_path, value):
    path = xlsx_register(tmp_path, [])
    XlsxBackend(path).apply(Changes(journal=({"comment": value, "client": value, "status": "manual"},)))
    ws = openpyxl.load_workbook(path)["Journal"]
    cell = ws["L2"]
    assert cell.value == value and cell.data_type == "s"
    assert XlsxBackend(path).load()["Journal"].rows[1][11] == value


def test_rows_are_addressed_by_invoice_number_even_after_staff_sorted_them(tmp_path):
    path = xlsx_register(tmp_path, [{"invoice": f"F{i}", "client": "C1", "due": date(2026, 11, 1),
                                     "amount": Decimal(i)} for i in range(1, 6)])
    backend = XlsxBackend(path)
    backend.load()
    wb = openpyxl.load_workbook(path)   # meanwhile, staff sort the tab in reverse and insert a row
    ws = wb["Factures"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    ws.delete_rows(2, len(rows))
    ws.append(["F9", "C1", None, date(2026, 11, 1), 9])
    for row in reversed(rows):
        ws.append(row)
    wb.save(path)
    report = backend.apply(Changes(invoices={f"F{i}": {"next_action": f"action F{i}"} for i in range(1, 6)}))
    assert report.updated_rows == 5 and report.missing_invoices == ()
    ws = openpyxl.load_workbook(path)["Factures"]
    headers = [c.value for c in ws[1]]
    col = headers.index("Prochaine action")
    for row in ws.iter_rows(min_row=2, values_only=True):
        assert row[col] == (None if row[0] == "F9" else f"action {row[0]}")


def test_vanished_invoice_is_reported_not_written_elsewhere(tmp_path):
    path = xlsx_register(tmp_path, [{"invoice": "F1", "client": "C1", "due": date(2026, 11, 1), "amount": Decimal(1)}])
    report = XlsxBackend(path).apply(Changes(invoices={"F404": {"stage": "x"}}))
    assert report.missing_invoices == ("F404",)


@pytest.mark.parametrize("lock", [".~lock.registre.xlsx#", "~$registre.xlsx"])
def test_open_workbook_is_refused_with_a_clear_message(tmp_path, lock):
    path = xlsx_register(tmp_path, [])
    (tmp_path / lock).write_text("owner", encoding="utf-8")
    with pytest.raises(RegisterLocked, match="ouvert dans Excel ou LibreOffice"):
        XlsxBackend(path).load()
    with pytest.raises(RegisterLocked):
        XlsxBackend(path).apply(Changes(journal=({"comment": "x"},)))


def test_missing_journal_tab_is_created_on_first_write(tmp_path):
    path = xlsx_register(tmp_path, [])
    wb = openpyxl.load_workbook(path)
    del wb["Journal"]
    wb.save(path)
    assert "Journal" not in XlsxBackend(path).load()
    XlsxBackend(path).apply(Changes(journal=({"comment": "hello", "status": "manual"},)))
    rows = XlsxBackend(path).load()["Journal"].rows
    assert rows[0][0] == "Horodatage" and "hello" in rows[1]


def test_missing_or_damaged_file_is_a_clear_error(tmp_path):
    from relance.adapters.backends import BackendError
    with pytest.raises(BackendError, match="relance init"):
        XlsxBackend(tmp_path / "nope.xlsx").load()
    (tmp_path / "bad.xlsx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(BackendError, match="pas un classeur"):
        XlsxBackend(tmp_path / "bad.xlsx").load()


def test_task_rows_are_updated_in_place_by_their_key(tmp_path):
    path = xlsx_register(tmp_path, [], tasks=[{"client": "C1", "invoices": "F1", "reason": "old", "key": "T/C1/x",
                                               "assignee": "Julie"}])
    XlsxBackend(path).apply(Changes(task_updates={"T/C1/x": {"invoices": "F1, F2", "reason": "new"}}))
    rows = XlsxBackend(path).load()["Tâches"].rows
    assert len(rows) == 2 and rows[1][2] == "F1, F2" and rows[1][3] == "new" and rows[1][4] == "Julie"
