"""Protected ranges (issue 20, item 7): a bot column staff protected ("only me can edit") is
detected before any message leaves, and the message names the range that blocks."""

import pytest

from relance.adapters.backends.gsheets_auth import SheetsError
from relance.core import schema

from registers import ROBOT
from test_gsheets import FAST, inv, run

NEXT = schema.FACTURES.headers.index("Prochaine action")


def test_a_bot_column_only_staff_may_edit_stops_the_run_before_sending_and_names_the_range(sheets_reg, workdir):
    sheets_reg.create([inv("F1"), inv("F2", client="C2")])
    sheets_reg.fake.protect(sheets_reg.key, "Factures", columns=(NEXT, NEXT + 1), description="colonne de Julie")
    with pytest.raises(SheetsError) as error:
        run(sheets_reg.policy, backend=sheets_reg.backend(retry=FAST))
    text = str(error.value)
    assert f"Factures!{schema.column_letter(NEXT)}:{schema.column_letter(NEXT)}" in text and "« colonne de Julie »" in text and "« Prochaine action »" in text
    assert f"ajoutez {ROBOT} aux éditeurs" in text
    assert not (workdir / "outbox").exists() or not any((workdir / "outbox").rglob("*.eml"))  # nothing sent
    assert sheets_reg.rows("Journal") == []
    batches = [r.requests for r in sheets_reg.fake.requests if r.kind == "spreadsheets.batchUpdate"]
    assert batches == ["addSheet,updateCells", "appendCells", "deleteDimension"]  # the lock only (first ever)


def test_protections_the_robot_may_edit_or_that_only_warn_do_not_block(sheets_reg):
    sheets_reg.create([inv("F1"), inv("F2", client="C2")])
    sheets_reg.fake.protect(sheets_reg.key, "Factures", columns=(NEXT, NEXT + 1), editors=("julie@x.fr", ROBOT))
    sheets_reg.fake.protect(sheets_reg.key, "Factures", columns=(0, 3))  # staff columns: not ours to write
    sheets_reg.fake.protect(sheets_reg.key, "Journal", rows=(0, 1))      # the header row only
    report = run(sheets_reg.policy, backend=sheets_reg.backend(retry=FAST))
    assert len(report.sent) == 2
    assert [r["Statut"] for r in sheets_reg.rows("Journal")] == ["en cours", "en cours", "envoyé", "envoyé"]


def test_the_fake_refuses_a_write_into_a_range_the_account_may_not_edit(sheets_reg):
    """What Google does, and what the check above prevents (the run would fail after sending)."""
    sheets_reg.create([inv("F1")])
    sheets_reg.fake.protect(sheets_reg.key, "Journal")
    backend = sheets_reg.backend(retry=FAST)
    backend.load()
    backend._check_writable = lambda meta: None  # as the code was: no check before writing
    from relance.adapters.backends import Changes
    with pytest.raises(SheetsError, match="HTTP 400.*protected cell"):
        backend.apply(Changes(journal=({"client": "C1", "status": "pending", "key": "k"},)))
