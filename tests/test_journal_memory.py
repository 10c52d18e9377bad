"""Issue 15 item 5: the Journal is the memory; losing it (or rows of it) never means sending again.

Evidence kept outside the Journal: the bot's « Mémoire » tab (keys count, last key) and the
outbox copies (X-Relance-Key). Either one contradicting the Journal stops every send until the
Journal is restored or staff confirm in « Mémoire »."""

import shutil
from datetime import timedelta

import openpyxl
from typer.testing import CliRunner

from relance.cli import app
from relance.core import memory

from conftest import TODAY, sheet_rows, xlsx_register
from test_xlsx_staff import inv

cli = CliRunner()
LATER = TODAY + timedelta(days=8)


def run(workdir, day):
    return cli.invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", day.isoformat()])


def emls(workdir):
    return sorted(p.name for p in (workdir / "outbox").glob("*.eml"))


def edit(path, change):
    workbook = openpyxl.load_workbook(path)
    change(workbook)
    workbook.save(path)


def first_run(workdir):
    """Three reminders on TODAY; payments are declared recorded to the end of these tests' days, so that
    only the journal's memory can hold a later run back (not the freshness gate)."""
    path = xlsx_register(workdir, [inv("F1"), inv("F2", client="C2"), inv("F3", client="C3")],
                         payments_up_to=LATER + timedelta(days=5))
    assert run(workdir, TODAY).exit_code == 0
    assert len(emls(workdir)) == 3
    assert openpyxl.load_workbook(path)[memory.TAB].sheet_state == "hidden"
    return path


def test_a_deleted_journal_tab_stops_every_send_until_staff_confirm(workdir):
    path = first_run(workdir)
    edit(path, lambda wb: wb.remove(wb["Journal"]))
    refused = run(workdir, LATER)
    assert "Journal incomplet" in " ".join(refused.output.split()) and "Traceback" not in refused.output
    assert len(emls(workdir)) == 3  # nothing sent again
    tab = openpyxl.load_workbook(path)[memory.TAB]
    assert tab.sheet_state == "visible" and any("Journal incomplet" in str(c.value) for r in tab.iter_rows()
                                                for c in r)
    assert run(workdir, LATER + timedelta(days=1)).output.count("Journal incomplet") >= 1  # still refused
    assert len(emls(workdir)) == 3

    def confirm(wb):
        sheet = wb[memory.TAB]
        row = next(r for r in sheet.iter_rows() if r[0].value == memory.CONFIRM)
        row[1].value = "Oui"
    edit(path, confirm)
    accepted = run(workdir, LATER + timedelta(days=4))  # a Monday
    assert accepted.exit_code == 0 and "reprise confirmée" in accepted.output
    assert len(emls(workdir)) > 3  # a human accepted the loss: the ladder restarts from the journal as it is
    assert openpyxl.load_workbook(path)[memory.TAB].sheet_state == "hidden"
    assert "Journal incomplet" not in run(workdir, LATER + timedelta(days=5)).output  # the new reference holds


def test_journal_rows_removed_with_the_outbox_gone_are_caught_by_the_record(workdir):
    path = first_run(workdir)
    shutil.rmtree(workdir / "outbox")

    def drop_c2(wb):
        sheet = wb["Journal"]
        for row in range(sheet.max_row, 1, -1):
            if sheet.cell(row=row, column=3).value == "C2":
                sheet.delete_rows(row)
    edit(path, drop_c2)
    result = run(workdir, LATER)
    assert "Journal incomplet" in " ".join(result.output.split())
    assert not (workdir / "outbox").exists() or emls(workdir) == []


def test_journal_and_record_both_deleted_are_caught_by_the_sent_copies(workdir):
    path = first_run(workdir)
    edit(path, lambda wb: (wb.remove(wb["Journal"]), wb.remove(wb[memory.TAB])))
    checked = cli.invoke(app, ["check", "--config", str(workdir / "config.toml")])
    assert checked.exit_code == 1 and "Journal incomplet" in " ".join(checked.output.split())  # check says it too
    result = run(workdir, LATER)
    assert "Journal incomplet" in " ".join(result.output.split()) and "absent(s) du journal" in " ".join(result.output.split())
    assert len(emls(workdir)) == 3


def test_a_restored_journal_lets_the_ladder_go_on(workdir):
    path = first_run(workdir)
    backup = path.read_bytes()
    edit(path, lambda wb: wb.remove(wb["Journal"]))
    assert "Journal incomplet" in " ".join(run(workdir, LATER).output.split())
    path.write_bytes(backup)  # « version précédente du classeur »
    result = run(workdir, LATER)
    assert result.exit_code == 0 and "Journal incomplet" not in result.output
    stages = {r["Étape"] for r in sheet_rows(path, "Journal") if r["Statut"] == "envoyé"}
    assert stages == {"amiable", "renforcee"}  # the next stage, never amiable twice
