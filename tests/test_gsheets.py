"""The Google Sheets backend against the local fake Sheets API: request budget, RAW writes,
rows addressed by invoice number, bounded retries, round trips, structure it adds."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from tenacity import wait_none

from relance.core import cells, schema
from relance import runner
from relance.adapters.backends import BackendError, Changes
from relance.adapters.backends.gsheets import GoogleSheetsBackend
from relance.adapters.backends.gsheets_api import RetryPolicy
from relance.adapters.mailers.outbox import OutboxMailer
from relance.core.parse import parse_register
from relance.core.schema import JOURNAL

from relance.core.statuses import SENT

from conftest import PARIS, TODAY, at, status_codes
from registers import register_tabs, sheets_requests
from tests.fakes.gspread_local import local_client

FAST = RetryPolicy(wait=wait_none(), sleep=lambda seconds: None)
SIX = {"spreadsheets.get": 1, "values.batchGet": 3, "spreadsheets.batchUpdate": 2}  # pending rows: appendCells
LOCK = {"spreadsheets.batchUpdate": 2}  # take (appendCells to Verrou), give back (delete rows)

COL = {name: i for i, name in enumerate(schema.FACTURES.headers)}  # positions as create_workbook lays them


def plus(*counts: dict) -> dict:
    total: dict = {}
    for count in counts:
        for kind, n in count.items():
            total[kind] = total.get(kind, 0) + n
    return {kind: n for kind, n in total.items() if n}


def inv(number, client="C1", late=3, amount="100.00", **kw):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=late), "amount": Decimal(amount), **kw}


def add_lock_tab(sheets_reg):
    """The first lock ever adds the hidden Verrou tab (once per register): get that out of the way."""
    lock = sheets_reg.backend().run_lock("init", timedelta(minutes=1))
    lock.acquire()
    lock.release()


def direct(fake, key, timeout=None, retry=FAST):
    """A backend on the fake without credentials (anonymous client), fast retries."""
    return GoogleSheetsBackend(local_client(fake.base_url, timeout=timeout), key, retry=retry)


def values(fake, key, tab):
    rows = fake.get_values(key, tab)
    return {row[0]: dict(zip(rows[0], row)) for row in rows[1:] if row}


def run(policy, **kw):
    kw.setdefault("today", TODAY)
    kw.setdefault("now", at(TODAY))
    return runner.run(policy, **kw)


# ------------------------------------------------------------------ the request budget
@pytest.mark.parametrize("count", [10, 5000])
def test_a_run_costs_six_requests_whatever_the_number_of_invoices(sheets_reg, count):
    """6 requests for the run (metadata, read, staff re-check, pending, re-read, write) + 2 for its lock."""
    late = max(count // 100, 2)  # a few messages; every invoice still gets its bot columns written
    invoices = [inv(f"F{i:05}", client=f"C{i % (count // 5 or 1):04}", late=3 if i < late else -30)
                for i in range(count)]
    sheets_reg.create(invoices)
    add_lock_tab(sheets_reg)
    sheets_reg.fake.reset_counts()
    report = run(sheets_reg.policy)
    assert len(report.sent) == len({i["client"] for i in invoices[:late]})
    assert sheets_requests(sheets_reg.fake) == plus(SIX, LOCK)
    assert sum(1 for r in sheets_reg.fake.requests if r.requests == "appendCells") == 2  # lock, pending rows
    factures = values(sheets_reg.fake, sheets_reg.key, "Factures")
    assert len(factures) == count and factures["F00000"]["Étape"] == "Relance amiable"
    assert factures[f"F{count - 1:05}"]["Prochaine action"].startswith("Pré-relance prévue le")
    assert status_codes(r["Statut"] for r in sheets_reg.rows("Journal")).count("sent") == late

    sheets_reg.fake.reset_counts()
    assert run(sheets_reg.policy, now=at(TODAY, 15)).sent == []  # nothing to send: no re-check, no pending
    assert sheets_requests(sheets_reg.fake) == plus(SIX, LOCK, {"values.batchGet": -1, "spreadsheets.batchUpdate": -1})


# ------------------------------------------------------------------ data, never formulas
@pytest.mark.parametrize("text", ["=1+1", "+33 6 12 34 56 78", "-2", "@SUM(A1)", '=HYPERLINK("http://x")'])
def test_formula_looking_values_stay_text(fake_sheets, text):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]))
    backend = direct(fake_sheets, key)
    backend.load()
    backend.apply(Changes(journal=({"comment": text, "client": text, "status": "manual"},)))  # append path
    backend.apply(Changes(invoices={"F1": {"alert": text}}, tasks=({"reason": text, "key": "T/1"},)))
    stored = [fake_sheets.sheet(key, "Journal").rows[1][11], fake_sheets.sheet(key, "Factures").rows[1][COL["Alerte"]],
              fake_sheets.sheet(key, "Tâches").rows[1][3]]
    assert stored == [text] * 3 and all(type(v) is str for v in stored)  # a str cell, not a formula cell
    assert fake_sheets.get_values(key, "Factures", render="FORMULA")[1][COL["Alerte"]] == text
    tabs = direct(fake_sheets, key).load()
    assert tabs["Journal"].rows[1][11] == text and tabs["Factures"].rows[1][COL["Alerte"]] == text


def test_decimals_dates_and_timestamps_round_trip_without_float_noise(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]))
    backend = direct(fake_sheets, key)
    stamp = datetime(2026, 11, 25, 10, 7, tzinfo=PARIS)
    backend.apply(Changes(invoices={"F1": {"penalties": Decimal("1234.56"), "last_reminder": stamp,
                                           "reminders_sent": 2, "next_action": "Relance le 02/12/2026"}},
                          tasks=({"created": TODAY, "key": "T/1", "reason": "x"},)))
    row = fake_sheets.get_values(key, "Factures")[1]
    assert row[COL["Pénalités"]] == 1234.56 and repr(row[COL["Pénalités"]]) == "1234.56" and row[COL["Dernière relance"]] == "2026-11-25 10:07" and row[COL["Relances envoyées"]] == 2
    assert fake_sheets.get_values(key, "Tâches")[1][0] == "2026-11-25"
    assert cells.parse_amount(row[COL["Pénalités"]]) == Decimal("1234.56")
    assert cells.parse_datetime(row[COL["Dernière relance"]]) == stamp.replace(tzinfo=None)
    register, problems = parse_register(direct(fake_sheets, key).load())
    assert problems == [] and register.tasks[0].created == TODAY and register.invoices[0].amount == Decimal("100.00")


# ------------------------------------------------------------------ rows addressed by number
def test_writes_follow_the_invoice_when_staff_sort_and_insert_rows_during_the_run(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv(f"F{i}") for i in range(1, 6)]))
    backend = direct(fake_sheets, key)
    backend.load()
    fake_sheets.reorder_rows(key, "Factures", lambda row: row[0], reverse=True)   # staff sort Z→A
    fake_sheets.insert_rows(key, "Factures", 3, [["F9", "C1", "", 46000, 9]])     # and insert a row
    report = backend.apply(Changes(invoices={f"F{i}": {"next_action": f"action F{i}"} for i in range(1, 6)}
                                   | {"F404": {"stage": "x"}}))
    assert report.updated_rows == 5 and report.missing_invoices == ("F404",)
    rows = fake_sheets.get_values(key, "Factures")
    assert [r[0] for r in rows[1:]] == ["F5", "F9", "F4", "F3", "F2", "F1"]
    for row in rows[1:]:
        action = row[COL["Prochaine action"]] if len(row) > COL["Prochaine action"] else ""
        assert action == ("" if row[0] == "F9" else f"action {row[0]}")


def test_writes_follow_the_invoice_column_when_staff_move_it_during_the_run(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1"), inv("F2")]))
    backend = direct(fake_sheets, key)
    backend.load()
    moved = [[row[1], row[0], *row[2:]] for row in fake_sheets.get_values(key, "Factures")]  # swap A and B
    fake_sheets.set_values(key, "Factures", moved)
    fake_sheets.reset_counts()
    backend.apply(Changes(invoices={"F2": {"alert": "à voir"}}))
    rows = fake_sheets.get_values(key, "Factures")
    alerts = [(r[1], r[COL["Alerte"]] if len(r) > COL["Alerte"] else "") for r in rows[1:]]
    assert alerts == [("F1", ""), ("F2", "à voir")]
    assert fake_sheets.count("values.batchGet") == 2  # the re-read found the column moved: one more read


def test_a_sort_while_messages_are_being_sent_never_misplaces_a_write(sheets_reg, workdir):
    sheets_reg.create([inv("F1", late=3), inv("F2", client="C2", late=10), inv("F3", client="C3", late=-20)])

    class SortingMailer(OutboxMailer):
        def send(self, message):
            sheets_reg.fake.reorder_rows(sheets_reg.key, "Factures", lambda row: row[0], reverse=True)
            return super().send(message)

    run(sheets_reg.policy, mailer=SortingMailer(workdir / "outbox"))
    factures = {r["N° facture"]: r for r in sheets_reg.rows("Factures")}
    assert factures["F1"]["Étape"] == factures["F2"]["Étape"] == "Relance amiable"
    assert factures["F3"]["Étape"] is None and factures["F3"]["Prochaine action"].startswith("Pré-relance")


# ------------------------------------------------------------------ retries
def test_a_storm_of_five_429_is_survived_with_exponential_backoff(sheets_reg):
    sheets_reg.create([inv("F1"), inv("F2", client="C2")])
    slept = []
    backend = sheets_reg.backend(retry=RetryPolicy(sleep=slept.append))  # default waits, recorded instead of slept
    sheets_reg.fake.inject(status=429, count=5, match="/v4/")  # Sheets calls, not the token endpoint
    report = run(sheets_reg.policy, backend=backend)
    statuses = [r.status for r in sheets_reg.fake.requests if r.kind != "oauth.token"]
    assert len(report.sent) == 2 and statuses[:6] == [429] * 5 + [200]
    assert len(slept) == 5 and all(2 ** i <= s <= 2 ** i + 1 for i, s in enumerate(slept))  # 1, 2, 4, 8, 16 s + jitter
    assert status_codes(r["Statut"] for r in sheets_reg.rows("Journal")) == ["pending"] * 2 + ["sent"] * 2


def test_a_run_that_still_fails_writes_nothing_half_done_to_factures(sheets_reg):
    sheets_reg.create([inv("F1"), inv("F2", client="C2")])
    add_lock_tab(sheets_reg)
    before = sheets_reg.rows("Factures")
    sheets_reg.fake.inject(status=503, count=FAST.attempts, match="updateCells")  # the final write
    report = run(sheets_reg.policy, backend=sheets_reg.backend(retry=FAST))
    assert "service indisponible, HTTP 503" in report.unsaved and len(report.sent) == 2  # they left: said so
    assert sheets_reg.rows("Factures") == before
    assert status_codes(r["Statut"] for r in sheets_reg.rows("Journal")) == ["pending", "pending"]  # the next run settles them
    sheets_reg.fake.clear_faults()
    report = run(sheets_reg.policy, now=at(TODAY, 11))
    assert report.sent == [] and sum(f"→ {SENT}" in n for n in report.notes) == 2


def test_a_lock_that_could_not_be_given_back_is_said_at_the_end_of_the_run(sheets_reg):
    """A storm that outlasts the run's last write and hits the release: the report says the lock was kept
    (it expires on its own), instead of a clean ending while the next run may be refused for 30 minutes."""
    sheets_reg.create([inv("F1")])
    add_lock_tab(sheets_reg)
    sheets_reg.fake.inject(status=503, count=FAST.attempts, match="deleteDimension")  # the release, only
    report = run(sheets_reg.policy, backend=sheets_reg.backend(retry=FAST))
    assert len(report.sent) == 1 and not report.unsaved
    assert any(n.startswith("verrou non libéré (il expirera seul)") and "HTTP 503" in n for n in report.notes)


@pytest.mark.parametrize("landed,appends", [(True, 1), (False, 2)])
def test_an_append_that_timed_out_is_sent_again_only_if_it_did_not_land(fake_sheets, landed, appends):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]))
    backend = direct(fake_sheets, key, timeout=0.3)
    backend.load()
    fake_sheets.inject_timeout(count=1, delay=30, match="appendCells", apply=landed)
    backend.apply(Changes(journal=({"client": "C1", "status": "pending", "key": "k1"},)))
    fake_sheets.release()
    assert [r[8] for r in fake_sheets.get_values(key, "Journal")[1:]] == ["k1"]  # once, either way
    assert fake_sheets.count("spreadsheets.batchUpdate") == appends
    assert fake_sheets.count("values.batchGet") == 2  # the load, and the check before re-sending


def test_client_errors_are_not_retried(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]))
    fake_sheets.inject(status=400, count=1, message="Unable to parse range: nope")
    with pytest.raises(BackendError, match="HTTP 400.*Unable to parse range"):
        direct(fake_sheets, key).load()
    assert fake_sheets.count() == 1


# ------------------------------------------------------------------ structure the writes need
def test_missing_journal_tab_and_bot_headers_are_added_and_tasks_updated_by_key(fake_sheets):
    tabs = register_tabs([inv("F1")], tasks=[{"reason": "ancienne", "key": "T/0"}])
    del tabs["Journal"]
    tabs["Factures"] = [row[:COL["Pénalités"]] for row in tabs["Factures"]]  # no Pénalités, no Alerte
    key = fake_sheets.create_spreadsheet("R", tabs)
    backend = direct(fake_sheets, key)
    backend.load()
    backend.apply(Changes(journal=({"client": "C1", "status": "pending", "key": "k"},)))  # no tab: general path
    backend.apply(Changes(invoices={"F1": {"alert": "voir"}}, tasks=({"reason": "nouvelle", "key": "T/1"},),
                          task_updates={"T/0": {"reason": "mise à jour"}, "T/1": {"invoices": "F1"}}))
    journal = fake_sheets.get_values(key, "Journal")
    assert journal[0][:3] == ["Horodatage", "N° facture", "Client"] and journal[1][8] == "k"
    assert fake_sheets.get_values(key, "Factures")[0][COL["Pénalités"]:] == ["Pénalités", "Alerte"]
    assert values(fake_sheets, key, "Factures")["F1"]["Alerte"] == "voir"
    tasks = [(r[3], r[2], r[8]) for r in fake_sheets.get_values(key, "Tâches")[1:]]
    assert tasks == [("mise à jour", "", "T/0"), ("nouvelle", "F1", "T/1")]


def test_journal_rows_land_after_the_last_used_row_and_the_grid_grows(fake_sheets):
    tabs = register_tabs([inv("F1")], journal=[{"comment": "staff note", "status": "manual"}])
    key = fake_sheets.create_spreadsheet("R", tabs, grid={"Journal": (2, len(JOURNAL.columns))})
    backend = direct(fake_sheets, key)
    backend.load()
    fake_sheets.set_values(key, "Journal", [["", "", "", "", "", "", "", "manual", "", "", "", "ajoutée"]],
                           start="A3")  # staff add a row during the run
    backend.apply(Changes(journal=tuple({"status": "sent", "key": f"k{i}"} for i in range(3)),
                          invoices={"F1": {"stage": "x"}}))
    rows = fake_sheets.get_values(key, "Journal")[1:]
    keys = list(zip(status_codes(r[7] for r in rows), [r[8] if len(r) > 8 else "" for r in rows]))
    assert keys == [("manual", ""), ("manual", ""), ("sent", "k0"), ("sent", "k1"), ("sent", "k2")]
    assert fake_sheets.sheet(key, "Journal").row_count == 6


def test_bot_tabs_rewritten_whole_and_a_stale_chart_never_costs_the_journal(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]) | {"Synthèse": [["ancien"] * 3] * 5})
    backend = direct(fake_sheets, key)
    backend.apply(Changes(sheets={"Synthèse": [["Encours", Decimal("12.50")], ["Factures", 3]]}))
    assert fake_sheets.get_values(key, "Synthèse") == [["Encours", 12.5], ["Factures", 3]]

    from relance.dashboard.layout import BAR, ChartSpec, Column, SheetLayout
    layout = SheetLayout("Synthèse", (("Tranche", "Montant"), ("0-30", Decimal("5"))), charts=(
        ChartSpec(BAR, "Balance", Column("Synthèse", 0, 1, 1), Column("Synthèse", 1, 1, 1), "Montant", (0, 4)),))
    backend.apply(Changes(layouts=(layout,)))
    backend.metadata()  # cached: a chart deleted by hand now makes the next deleteEmbeddedObject fail
    fake_sheets.sheet(key, "Synthèse").charts.clear()
    backend.apply(Changes(layouts=(layout,), journal=({"status": "sent", "key": "k"},)))
    assert [r[8] for r in fake_sheets.get_values(key, "Journal")[1:]] == ["k"]
    assert any("Synthèse non mis à jour" in n and "No embedded object" in n for n in backend.notes)


def test_summary_tabs_are_added_written_by_a_run_and_their_charts_do_not_pile_up(sheets_reg):
    tabs = register_tabs([inv("F1", issued=TODAY - timedelta(days=33))])
    del tabs["Synthèse"], tabs["Historique"]
    sheets_reg.create([], tabs=tabs)
    run(sheets_reg.policy)
    run(sheets_reg.policy, now=at(TODAY, 15))
    tomorrow = TODAY + timedelta(days=1)
    run(sheets_reg.policy, today=tomorrow, now=at(tomorrow))
    history = sheets_reg.rows("Historique")
    assert [cells.parse_date(r["Date"]) for r in history] == [TODAY, tomorrow]
    assert history[0]["Encours clients"] == 100
    assert len(sheets_reg.fake.sheet(sheets_reg.key, "Synthèse").charts) == 2


def test_rows_deleted_by_staff_during_the_run_do_not_break_the_write(fake_sheets):
    """The grid shrinks under the bot's feet; the re-read's answered range tells its size now."""
    tabs = register_tabs([inv("F1")], journal=[{"comment": "a", "status": "manual"},
                                               {"comment": "b", "status": "manual"}])
    key = fake_sheets.create_spreadsheet("R", tabs, grid={"Journal": (3, len(JOURNAL.columns))})
    backend = direct(fake_sheets, key)
    backend.load()
    fake_sheets.delete_rows(key, "Journal", 3)
    backend.apply(Changes(journal=({"status": "sent", "key": "k0"}, {"status": "sent", "key": "k1"}),
                          invoices={"F1": {"stage": "x"}}))
    assert status_codes(r[7] for r in fake_sheets.get_values(key, "Journal")[1:]) == ["manual", "sent", "sent"]
    assert fake_sheets.sheet(key, "Journal").row_count == 4


def test_a_chart_deleted_by_hand_during_a_run_costs_the_summary_not_the_journal(sheets_reg, workdir):
    sheets_reg.create([inv("F1")])
    run(sheets_reg.policy)
    later = TODAY + timedelta(days=7)

    class ChartDeletingMailer(OutboxMailer):
        def send(self, message):
            sheets_reg.fake.sheet(sheets_reg.key, "Synthèse").charts.clear()
            return super().send(message)

    report = run(sheets_reg.policy, today=later, now=at(later), mailer=ChartDeletingMailer(workdir / "outbox"))
    assert [m.stage for m in report.sent] == ["renforcee"]
    assert status_codes(r["Statut"] for r in sheets_reg.rows("Journal"))[-1] == "sent"
    assert sheets_reg.rows("Factures")[0]["Étape"] == "Relance renforcée"
    assert any(n.startswith("onglet Synthèse non mis à jour") for n in report.notes)


# ------------------------------------------------------------------ guards (relance/guards.py) on Sheets
class StaffEditsDuringTheRun(GoogleSheetsBackend):
    """Between the read and the first write, staff mark F1 paid and fix F3's amount, in the shared sheet."""

    fake = None

    def reread(self, tab_name):
        rows = self.fake.get_values(self.key, "Factures")
        for number, row in enumerate(rows[1:], start=2):
            if row[0] == "F1":
                self.fake.set_values(self.key, "Factures", [["Payée"]], start=f"I{number}")
            if row[0] == "F3":
                self.fake.set_values(self.key, "Factures", [[999]], start=f"E{number}")
        return super().reread(tab_name)


def test_an_invoice_staff_change_during_the_run_is_neither_sent_nor_overwritten(sheets_reg):
    sheets_reg.create([inv(n, client=c) for n, c in (("F1", "C1"), ("F2", "C2"), ("F3", "C3"), ("F4", "C3"))])
    backend = StaffEditsDuringTheRun.from_policy(sheets_reg.policy)  # the production path, one method changed
    backend.fake = sheets_reg.fake
    report = run(sheets_reg.policy, backend=backend)
    assert [m.invoices for m in report.sent] == [("F2",)]  # F3 and F4 share C3's message: held together
    rows = {r["N° facture"]: r for r in sheets_reg.rows("Factures")}
    assert rows["F1"]["Statut"] == "Payée" and rows["F1"]["Prochaine action"] is None
    assert rows["F3"]["Montant TTC"] == 999 and rows["F3"]["Prochaine action"] is None
    assert rows["F2"]["Étape"] == "Relance amiable"
    assert {r["N° facture"] for r in sheets_reg.rows("Journal")} == {"F2"}


def test_stale_payments_are_flagged_in_synthese_and_the_date_staff_type_there_is_read_back(sheets_reg):
    sheets_reg.create([inv("F1"), inv("F0", late=40, amount="50", paid=Decimal(50), paid_on=TODAY - timedelta(days=15),
                                      status="Payée")], payments_up_to=None)
    report = run(sheets_reg.policy)
    assert report.sent == [] and report.stale_payments
    synthese = sheets_reg.fake.get_values(sheets_reg.key, "Synthèse")
    assert synthese[0][0].startswith("⚠ encaissements à jour au 10/11/2026")
    row = next(i for i, r in enumerate(synthese, start=1) if r and r[0] == "Encaissements à jour au")
    sheets_reg.fake.set_values(sheets_reg.key, "Synthèse", [["25/11/2026"]], start=f"B{row}",
                               value_input_option="USER_ENTERED")  # staff type the date: a date serial
    again = run(sheets_reg.policy, now=at(TODAY, 11))
    assert [m.invoices for m in again.sent] == [("F1",)] and not again.stale_payments
    assert len(sheets_reg.rows("Tâches")) == 1


def test_a_lock_left_by_a_dead_process_of_this_machine_is_taken_over_at_once():
    from relance.adapters.backends.gsheets_lock import Holder
    import socket
    from datetime import datetime, timedelta
    now = datetime.now().astimezone()
    later = (now + timedelta(minutes=20)).isoformat()
    dead = Holder(["julie@" + socket.gethostname() + " pid 999999", now.isoformat(), later, "tok"])
    alive = Holder(["julie@" + socket.gethostname() + f" pid {__import__('os').getpid()}", now.isoformat(), later, "t"])
    elsewhere = Holder(["runner@github-vm pid 999999", now.isoformat(), later, "t2"])
    assert not dead.live(now, set()) and alive.live(now, set()) and elsewhere.live(now, set())
