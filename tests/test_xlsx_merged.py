"""Issue 15 item 2: merged cells where the bot writes never raise after the emails left.

A range made only of cells the bot writes (bot columns, rows below the journal) is unmerged
and said; a range that also covers staff cells is refused before anything is sent, naming it."""

import openpyxl
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from relance.cli import app
from relance.core.schema import FACTURES

from conftest import TODAY, sheet_rows, xlsx_register
from test_xlsx_staff import inv

cli = CliRunner()
COL = {h: get_column_letter(i + 1) for i, h in enumerate(FACTURES.headers)}  # letters as create_workbook lays them
STAGE, NEXT, ALERT, NOTES, LAST = COL["Étape"], COL["Prochaine action"], COL["Alerte"], COL["Notes"], \
    COL["Dernière relance"]


def flat(result):
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def run(workdir, day=TODAY):
    return cli.invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", day.isoformat()])


def merge(path, tab, *ranges):
    workbook = openpyxl.load_workbook(path)
    for ref in ranges:
        workbook[tab].merge_cells(ref)
    workbook.save(path)


def test_merged_bot_cells_are_unmerged_and_the_run_goes_on(workdir):
    path = xlsx_register(workdir, [inv("F1"), inv("F2"), inv("F3", client="C2")])
    merge(path, "Factures", f"{STAGE}2:{STAGE}3", f"{NEXT}3:{ALERT}4")  # Étape over two rows, Prochaine action..Alerte
    merge(path, "Journal", "A5:L9")  # below the journal: where rows are appended
    result = run(workdir)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and f"{STAGE}2:{STAGE}3" in flat(result) and "A5:L9" in flat(result)
    workbook = openpyxl.load_workbook(path)
    assert workbook["Factures"].merged_cells.ranges == set() and workbook["Journal"].merged_cells.ranges == set()
    factures = {r["N° facture"]: r for r in sheet_rows(path, "Factures")}
    assert all(factures[n]["Étape"] == "Relance amiable" for n in ("F1", "F2", "F3"))
    assert len(sheet_rows(path, "Journal")) == 6
    again = run(workdir)
    assert again.exit_code == 0 and len(sheet_rows(path, "Journal")) == 6  # and nothing is sent twice


def test_a_merge_over_staff_and_bot_cells_is_refused_before_sending(workdir):
    path = xlsx_register(workdir, [inv("F1"), inv("F2")])
    staff_and_bot = f"{NOTES}2:{LAST}2"   # Notes … (staff) merged with Étape, Dernière relance (bot)
    merge(path, "Factures", staff_and_bot)
    before = path.read_bytes()
    result = run(workdir)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"Factures!{staff_and_bot}" in flat(result) and "Rien n'a été envoyé" in flat(result)
    assert not list((workdir / "outbox").glob("*.eml")) and path.read_bytes() == before
    workbook = openpyxl.load_workbook(path)
    workbook["Factures"].unmerge_cells(staff_and_bot)  # staff fix it as told
    workbook.save(path)
    assert run(workdir).exit_code == 0 and len(list((workdir / "outbox").glob("*.eml"))) == 1
