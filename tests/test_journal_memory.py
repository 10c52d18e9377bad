"""Issue 15 item 5: the Journal is the memory; losing it (or rows of it) never means sending again.

Evidence kept outside the Journal: the bot's « Mémoire » tab (keys count, last key) and the
outbox copies (X-Relance-Key). Either one contradicting the Journal stops every send until the
Journal is restored or staff confirm in « Mémoire ». The same on both backends (`reg`: the .xlsx
register and the local fake Google Sheets server): a shared register is where a tab gets deleted."""

import shutil
from datetime import timedelta

import openpyxl
from typer.testing import CliRunner

from relance.cli import app
from relance.core import memory

from conftest import TODAY, sheet_rows
from test_xlsx_staff import inv

cli = CliRunner()
LATER = TODAY + timedelta(days=8)


def run(workdir, day):
    return cli.invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", day.isoformat()])


def said(result) -> str:
    return " ".join(result.output.split())


def emls(workdir):
    return sorted(p.name for p in (workdir / "outbox").glob("*.eml"))


def edit(path, change):
    workbook = openpyxl.load_workbook(path)
    change(workbook)
    workbook.save(path)


# ------------------------------------------------------------------ staff's hands, on either backend
def drop_tab(reg, name):
    """Staff delete a tab (right click › Supprimer)."""
    if reg.kind == "xlsx":
        edit(reg.path, lambda wb: wb.remove(wb[name]))
    else:
        reg.fake.delete_sheet(reg.key, name)


def drop_journal_rows(reg, client):
    """Staff delete the Journal rows of one client."""
    if reg.kind == "xlsx":
        def drop(wb):
            sheet = wb["Journal"]
            for row in range(sheet.max_row, 1, -1):
                if sheet.cell(row=row, column=3).value == client:
                    sheet.delete_rows(row)
        edit(reg.path, drop)
        return
    values = reg.fake.get_values(reg.key, "Journal")
    column = values[0].index("Client")
    for number in range(len(values), 1, -1):
        if values[number - 1][column:column + 1] == [client]:
            reg.fake.delete_rows(reg.key, "Journal", number)


def memory_rows(reg):
    if reg.kind == "xlsx":
        return [list(r) for r in openpyxl.load_workbook(reg.path)[memory.TAB].iter_rows(values_only=True)]
    return reg.fake.get_values(reg.key, memory.TAB)


def memory_hidden(reg) -> bool:
    if reg.kind == "xlsx":
        return openpyxl.load_workbook(reg.path)[memory.TAB].sheet_state == "hidden"
    return bool(reg.fake.sheet(reg.key, memory.TAB).props.get("hidden"))


def confirm(reg):
    """Staff type « Oui » beside « Reprise confirmée » in the Mémoire tab."""
    number = next(n for n, row in enumerate(memory_rows(reg), start=1) if row[:1] == [memory.CONFIRM])
    if reg.kind == "xlsx":
        edit(reg.path, lambda wb: wb[memory.TAB].cell(row=number, column=2, value="Oui"))
    else:
        reg.fake.set_values(reg.key, memory.TAB, [["Oui"]], start=f"B{number}")


def first_run(reg):
    """Three reminders on TODAY; payments are declared recorded to the end of these tests' days, so that
    only the journal's memory can hold a later run back (not the freshness gate)."""
    reg.create([inv("F1"), inv("F2", client="C2"), inv("F3", client="C3")], payments_up_to=LATER + timedelta(days=5))
    assert run(reg.workdir, TODAY).exit_code == 0
    assert len(emls(reg.workdir)) == 3
    rows = {row[0]: row[1:2] for row in memory_rows(reg) if row}
    assert rows[memory.KEYS] == [3] and rows[memory.LAST][0]  # the record, written by the run
    assert memory_hidden(reg)  # out of staff's way while all is well
    return reg


def test_a_deleted_journal_tab_stops_every_send_until_staff_confirm(reg):
    workdir = first_run(reg).workdir
    drop_tab(reg, "Journal")
    refused = run(workdir, LATER)
    assert "Journal incomplet" in said(refused) and "Traceback" not in refused.output
    assert refused.exit_code == 0  # as any run whose problems are reported (row problems): not a crash
    assert len(emls(workdir)) == 3  # nothing sent again
    assert not memory_hidden(reg) and any("Journal incomplet" in str(v) for r in memory_rows(reg) for v in r)
    assert run(workdir, LATER + timedelta(days=1)).output.count("Journal incomplet") >= 1  # still refused
    assert len(emls(workdir)) == 3

    confirm(reg)
    accepted = run(workdir, LATER + timedelta(days=4))  # a Monday
    assert accepted.exit_code == 0 and "reprise confirmée" in accepted.output
    assert len(emls(workdir)) > 3  # a human accepted the loss: the ladder restarts from the journal as it is
    assert memory_hidden(reg)
    assert "Journal incomplet" not in run(workdir, LATER + timedelta(days=5)).output  # the new reference holds


def test_journal_rows_removed_with_the_outbox_gone_are_caught_by_the_record(reg):
    workdir = first_run(reg).workdir
    shutil.rmtree(workdir / "outbox")
    drop_journal_rows(reg, "C2")
    result = run(workdir, LATER)
    assert "Journal incomplet" in said(result) and "il en contenait 3" in said(result)
    assert not (workdir / "outbox").exists() or emls(workdir) == []


def test_journal_and_record_both_deleted_are_caught_by_the_sent_copies(reg):
    workdir = first_run(reg).workdir
    drop_tab(reg, "Journal")
    drop_tab(reg, memory.TAB)
    checked = cli.invoke(app, ["check", "--config", str(workdir / "config.toml")])
    assert checked.exit_code == 1 and "Journal incomplet" in " ".join(checked.output.split())  # check says it too
    result = run(workdir, LATER)
    assert "Journal incomplet" in " ".join(result.output.split()) and "absent(s) du journal" in " ".join(result.output.split())
    assert len(emls(workdir)) == 3


def test_a_restored_journal_lets_the_ladder_go_on(workdir):
    from registers import XlsxRegister
    path = first_run(XlsxRegister(workdir)).path
    backup = path.read_bytes()
    edit(path, lambda wb: wb.remove(wb["Journal"]))
    assert "Journal incomplet" in " ".join(run(workdir, LATER).output.split())
    path.write_bytes(backup)  # « version précédente du classeur »
    result = run(workdir, LATER)
    assert result.exit_code == 0 and "Journal incomplet" not in result.output
    stages = {r["Étape"] for r in sheet_rows(path, "Journal") if r["Statut"] == "envoyé"}
    assert stages == {"amiable", "renforcee"}  # the next stage, never amiable twice
