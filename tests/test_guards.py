"""Stale payment data, missed runs and staff edits during a run (relance.guards), pure and end to end."""

from datetime import date, timedelta
from decimal import Decimal

import openpyxl

from relance.core import guards
from relance import runner
from relance.adapters.backends.xlsx import XlsxBackend
from relance.core.config import Policy
from relance.core.model import RawTab
from relance.core.timing import Calendar

from conftest import TODAY, at, invoice, register, sheet_rows, xlsx_register

CAL = Calendar(Policy().schedule)


def synthese(up_to):
    return RawTab("Synthèse", [["Synthèse des relances au 24/11/2026"], ["Encaissements à jour au", up_to]])


def test_fresh_when_a_recent_payment_or_the_declared_date_is_recent():
    old = register([invoice("F1", due=TODAY - timedelta(days=40), paid=Decimal(1), paid_on=date(2026, 11, 16))])
    stale = guards.payment_freshness(old, None, TODAY, CAL, 5)
    # 16/11 (Monday) -> 25/11: 17, 18, 19, 20, 23, 24, 25 = 7 business days > 5
    assert stale.stale and stale.up_to == date(2026, 11, 16) and "7 jours ouvrés" in stale.message
    declared = guards.payment_freshness(old, synthese("24/11/2026"), TODAY, CAL, 5)
    assert not declared.stale and declared.up_to == date(2026, 11, 24)
    assert not guards.payment_freshness(old, None, TODAY, CAL, 0).stale  # 0 switches the gate off
    unknown = guards.payment_freshness(register([invoice("F1")]), None, TODAY, CAL, 5)  # no evidence at all
    assert unknown.stale and unknown.up_to is None and "aucun règlement saisi" in unknown.message


def test_heartbeat_counts_business_days_without_a_run():
    assert guards.heartbeat(date(2026, 11, 24), TODAY, CAL) == ""
    assert guards.heartbeat(date(2026, 11, 20), date(2026, 11, 23), CAL) == ""  # Friday -> Monday is no gap
    note = guards.heartbeat(date(2026, 11, 19), TODAY, CAL)  # Thursday -> Wednesday: 20, 23, 24 missed
    assert note.startswith("dernière exécution le 19/11/2026 : 3 jour(s) ouvré(s) sans passage")


def test_stale_payments_stop_sending_open_a_task_and_warn_in_synthese(workdir, workdir_policy):
    path = xlsx_register(workdir, [
        {"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3), "amount": Decimal(100)},
        {"invoice": "F0", "client": "C1", "due": TODAY - timedelta(days=40), "amount": Decimal(50),
         "paid": Decimal(50), "paid_on": date(2026, 11, 10), "status": "Payée"}], payments_up_to=None)
    report = runner.run(workdir_policy, today=TODAY, now=at(TODAY))
    assert report.sent == [] and report.stale_payments
    tasks = sheet_rows(path, "Tâches")
    assert len(tasks) == 1 and tasks[0]["Motif"].startswith("Relances suspendues : encaissements à jour au 10/11/2026")
    top = openpyxl.load_workbook(path)["Synthèse"]["A1"].value
    assert top.startswith("⚠ encaissements à jour au 10/11/2026")
    # staff record the payments and type the date: the next run sends, and keeps their date
    wb = openpyxl.load_workbook(path)
    sheet = wb["Synthèse"]
    row = next(r for r in range(1, 10) if sheet.cell(row=r, column=1).value == "Encaissements à jour au")
    sheet.cell(row=row, column=2).value = TODAY
    wb.save(path)
    again = runner.run(workdir_policy, today=TODAY, now=at(TODAY, 11))
    assert [m.invoices for m in again.sent] == [("F1",)] and not again.stale_payments
    assert len(sheet_rows(path, "Tâches")) == 1  # the task is not opened twice the same day
    kept = openpyxl.load_workbook(path)["Synthèse"]
    row = next(r for r in range(1, 10) if kept.cell(row=r, column=1).value == "Encaissements à jour au")
    assert kept.cell(row=row, column=2).value.date() == TODAY


class StaffEditsDuringTheRun(XlsxBackend):
    """Between the read and the first write, staff mark F1 paid and fix F3's amount."""

    def reread(self, tab_name):
        wb = openpyxl.load_workbook(self.path)
        ws = wb["Factures"]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "F1":
                row[8].value = "Payée"
            if row[0].value == "F3":
                row[4].value = 999
        wb.save(self.path)
        return super().reread(tab_name)


def test_an_invoice_staff_change_during_the_run_is_neither_sent_nor_overwritten(workdir, workdir_policy):
    invoices = [{"invoice": n, "client": c, "due": TODAY - timedelta(days=3), "amount": Decimal(100)}
                for n, c in (("F1", "C1"), ("F2", "C2"), ("F3", "C3"), ("F4", "C3"))]
    path = xlsx_register(workdir, invoices)
    report = runner.run(workdir_policy, today=TODAY, now=at(TODAY), backend=StaffEditsDuringTheRun(path))
    assert [m.invoices for m in report.sent] == [("F2",)]  # F3 and F4 share C3's message: held together
    assert any(n.startswith("F1 modifiée dans le registre pendant l'exécution") for n in report.notes)
    rows = {r["N° facture"]: r for r in sheet_rows(path, "Factures")}
    assert rows["F1"]["Statut"] == "Payée" and rows["F1"]["Prochaine action"] is None  # not overwritten
    assert rows["F3"]["Montant TTC"] == 999 and rows["F3"]["Prochaine action"] is None
    assert rows["F2"]["Étape"] == "Relance amiable"
    assert {r["N° facture"] for r in sheet_rows(path, "Journal")} == {"F2"}  # nothing journaled for the others
