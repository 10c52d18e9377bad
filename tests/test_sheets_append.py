"""Journal and lock rows land where relance means them, whatever Google's append heuristics.

Google's ``values.append`` looks for a "table" in the range it is given; with a whole tab
and a blank column, it takes the last run of columns (gspread issue #537, modelled by the
fake, proven by the replay of gspread's recordings). A Journal with a blank column or
staff notes to the right would then get its rows shifted under the wrong headers, and
the "did it land?" check before a retry would miss them (a duplicate journal row)."""

from datetime import timedelta

import pytest
from tenacity import wait_none

from relance.core import schema
from relance.adapters.backends import Changes
from relance.adapters.backends.gsheets import GoogleSheetsBackend
from relance.adapters.backends.gsheets_api import RetryPolicy

from registers import register_tabs
from tests.fakes.gspread_local import local_client
from test_gsheets import inv

FAST = RetryPolicy(wait=wait_none(), sleep=lambda seconds: None)
HEADERS = schema.JOURNAL.headers


def direct(fake, key, timeout=None):
    return GoogleSheetsBackend(local_client(fake.base_url, timeout=timeout), key, retry=FAST)


def journal_with_staff_columns(fake):
    """Journal: an empty column staff inserted after « Client », and their own notes two columns
    right of the last bot column, filled on the existing (manual) row."""
    tabs = register_tabs([inv("F1")])
    header = HEADERS[:3] + [""] + HEADERS[3:] + ["", "Remarques équipe"]
    manual = ["2026-11-02 09:00", "F1", "C1", "", "", "téléphone", "", "", "manual", "", "", "Julie", "a promis"]
    manual += [""] * (len(HEADERS) - 12) + ["", "rappeler lundi"]   # later journal columns, then the staff notes
    tabs["Journal"] = [header, manual]
    return fake.create_spreadsheet("R", tabs)


def by_header(fake, key):
    rows = fake.get_values(key, "Journal")
    return [dict(zip(rows[0], row)) for row in rows[1:]]


@pytest.mark.parametrize("timeout", [False, True])
def test_journal_rows_land_under_their_headers_with_a_blank_column_and_staff_notes(fake_sheets, timeout):
    key = journal_with_staff_columns(fake_sheets)
    backend = direct(fake_sheets, key, timeout=0.3 if timeout else None)
    backend.load()
    if timeout:  # the first attempt lands but its answer is lost: the retry must see it landed
        fake_sheets.inject_timeout(count=1, delay=30, apply=True)
    backend.apply(Changes(journal=({"invoice": "F1", "client": "C1", "status": "pending", "key": "k1",
                                    "recipient": "c1@example.com"},)))
    fake_sheets.release()
    rows = by_header(fake_sheets, key)
    assert [(r["N° facture"], r["Statut"], r.get("Clé", "")) for r in rows] == [("F1", "manual", ""),
                                                                             ("F1", "pending", "k1")]
    assert rows[1]["Destinataire"] == "c1@example.com" and rows[1].get("Remarques équipe", "") == ""
    assert rows[0]["Remarques équipe"] == "rappeler lundi"


def test_the_lock_row_is_found_again_when_staff_wrote_beside_the_verrou_tab(fake_sheets):
    key = fake_sheets.create_spreadsheet("R", register_tabs([inv("F1")]))
    backend = direct(fake_sheets, key)
    lock = backend.run_lock("premier", timedelta(minutes=5))
    lock.acquire()
    lock.release()
    fake_sheets.set_values(key, "Verrou", [["ne pas effacer"]], start="H1")  # a note two columns right
    lock = direct(fake_sheets, key).run_lock("second", timedelta(minutes=5))
    lock.acquire()  # raised « la ligne de verrou … a disparu » when the row went under H
    rows = fake_sheets.get_values(key, "Verrou")
    assert rows[1][0] == "second" and rows[0][7] == "ne pas effacer"
    lock.release()
    assert len([r for r in fake_sheets.get_values(key, "Verrou") if any(r[:5])]) == 1  # header only


def test_pending_rows_follow_a_journal_column_staff_insert_while_the_run_decides(sheets_reg, workdir):
    """The ``pending`` rows are laid out under the Journal header: read again just before they go
    (with the Factures re-read, no request more), not the one loaded minutes earlier."""
    from conftest import TODAY, at
    from relance import runner
    sheets_reg.create([inv("F1")])

    class StaffInsertAJournalColumn(GoogleSheetsBackend):
        def load(self):
            tabs = super().load()
            sheets_reg.fake.insert_columns(sheets_reg.key, "Journal", 1)
            sheets_reg.fake.set_values(sheets_reg.key, "Journal", [["Service"]], start="B1")
            return tabs
    backend = StaffInsertAJournalColumn.from_policy(sheets_reg.policy)
    runner.run(sheets_reg.policy, backend=backend, today=TODAY, now=at(TODAY))
    rows = sheets_reg.rows("Journal")
    assert [(r["Statut"], r["Clé"], r["N° facture"], r["Service"]) for r in rows] == [
        ("en cours", "2026-11-25/C1/amiable", "F1", None), ("envoyé", "2026-11-25/C1/amiable", "F1", None)]
