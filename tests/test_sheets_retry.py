"""A retried positional write is correct for the sheet as it is *now* (issue 15, item 11).

The final ``spreadsheets.batchUpdate`` addresses rows by number. After a 503 the backend
waits, and staff may sort Factures or add a Journal row meanwhile: the retry must be
rebuilt from a re-read (rows found by key again), and must not write twice what an
attempt whose answer was lost had already written."""

from tenacity import wait_none

from relance.adapters.backends import Changes
from relance.adapters.backends.gsheets import GoogleSheetsBackend
from relance.adapters.backends.gsheets_api import RetryPolicy

from registers import register_tabs
from tests.fakes.gspread_local import local_client
from test_gsheets import inv, values


def backend_acting_between_attempts(fake, key, staff, timeout=None):
    """Fast retries; `staff()` runs during the wait before each retry (what people do meanwhile)."""
    retry = RetryPolicy(wait=wait_none(), sleep=lambda seconds: staff())
    return GoogleSheetsBackend(local_client(fake.base_url, timeout=timeout), key, retry=retry)


def test_a_sort_during_the_wait_before_a_retry_never_sends_a_write_to_another_invoice(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv(f"F{i}") for i in range(1, 6)]))
    backend = backend_acting_between_attempts(
        fake_sheets, key, lambda: fake_sheets.reorder_rows(key, "Factures", lambda row: row[0], reverse=True))
    backend.load()
    fake_sheets.inject(status=503, count=1, match="updateCells")  # the final write, once
    backend.apply(Changes(invoices={f"F{i}": {"next_action": f"action F{i}"} for i in range(1, 6)}))
    factures = values(fake_sheets, key, "Factures")
    assert [factures[f"F{i}"]["Prochaine action"] for i in range(1, 6)] == [f"action F{i}" for i in range(1, 6)]
    assert fake_sheets.count("spreadsheets.batchUpdate") == 2


def test_a_staff_journal_row_added_during_the_wait_is_kept_and_bot_rows_go_after_it(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]))
    staff_row = ["2026-11-20 09:00", "F1", "C1", "", "téléphone", "", "", "manual", "", "", "Julie", "a promis"]
    backend = backend_acting_between_attempts(
        fake_sheets, key, lambda: fake_sheets.set_values(key, "Journal", [staff_row], start="A2"))
    backend.load()
    fake_sheets.inject(status=503, count=1, match="updateCells")
    backend.apply(Changes(journal=({"invoice": "F1", "client": "C1", "status": "sent", "key": "k1"},),
                          invoices={"F1": {"next_action": "x"}}))
    rows = fake_sheets.get_values(key, "Journal")[1:]
    assert [(r[7], r[8] if len(r) > 8 else "") for r in rows] == [("manual", ""), ("sent", "k1")]
    assert rows[0][11] == "a promis"


def test_a_final_write_whose_answer_was_lost_is_not_written_twice(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]))
    backend = backend_acting_between_attempts(fake_sheets, key, fake_sheets.release, timeout=0.3)
    backend.load()
    fake_sheets.inject_timeout(count=1, delay=30, match="updateCells", apply=True)  # applied, answer lost
    backend.apply(Changes(journal=({"invoice": "F1", "client": "C1", "status": "sent", "key": "k1"},),
                          tasks=({"reason": "appeler", "key": "T/1"},), invoices={"F1": {"next_action": "x"}}))
    fake_sheets.release()
    assert [r[8] for r in fake_sheets.get_values(key, "Journal")[1:]] == ["k1"]
    assert [r[8] for r in fake_sheets.get_values(key, "Tâches")[1:]] == ["T/1"]


def test_a_staff_journal_row_typed_between_the_re_read_and_the_final_write_is_never_overwritten(fake_sheets):
    """New bot rows are an ``appendCells`` inside the final batch: they land after the last row Google
    holds when it applies the batch, not at the row number the re-read, a moment earlier, made free."""
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]))
    staff_row = ["2026-11-20 09:00", "F1", "C1", "", "téléphone", "", "", "manual", "", "", "Julie", "a promis"]

    class StaffTypeAJournalLine(GoogleSheetsBackend):
        def _reread(self, changes, meta):
            reads = super()._reread(changes, meta)
            fake_sheets.set_values(key, "Journal", [staff_row], start="A2")
            return reads
    backend = StaffTypeAJournalLine(local_client(fake_sheets.base_url), key)
    backend.load()
    backend.apply(Changes(journal=({"invoice": "F1", "client": "C1", "status": "sent", "key": "k1"},),
                          invoices={"F1": {"next_action": "x"}}))
    rows = fake_sheets.get_values(key, "Journal")[1:]
    assert [(r[7], r[8] if len(r) > 8 else "") for r in rows] == [("manual", ""), ("sent", "k1")]
    assert rows[0][10:12] == ["Julie", "a promis"]
