"""Issue 15 item 4: the register's own tabs, matched exactly; staff tabs never read as ours nor rewritten."""

import zipfile

import openpyxl
from typer.testing import CliRunner

from relance.adapters.backends import match_tab
from relance.cli import app
from relance.core import schema

from conftest import TODAY, sheet_rows, xlsx_register
from test_xlsx_staff import inv

cli = CliRunner()


def flat(result):
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def run(workdir):
    return cli.invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])


def sheet_parts(path):
    """Tab title -> bytes of its worksheet part."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    titles = workbook.sheetnames
    workbook.close()
    with zipfile.ZipFile(path) as z:
        return {t: z.read(f"xl/worksheets/sheet{i}.xml") for i, t in enumerate(titles, start=1)}


def test_staff_tabs_with_english_names_are_neither_read_nor_rewritten(workdir):
    path = xlsx_register(workdir, [inv("F1")])
    workbook = openpyxl.load_workbook(path)
    staff = {"Summary": [["Mes notes", "à garder"]], "History": [["2025", "bilan"]],
             "Log": [["Horodatage", "N° facture", "Client", "Étape", "Canal", "Destinataire", "Objet", "Statut",
                      "Clé"], [None, "F1", "C1", "amiable", "email", "x", "y", "sent", "2026-11-25/C1/amiable"]],
             "Invoices": [["N° facture", "Client", "Échéance", "Montant TTC"], ["X9", "C1", "01/01/2026", 999]]}
    for index, (title, rows) in enumerate(staff.items()):
        sheet = workbook.create_sheet(title, index)  # first in workbook order, where an alias search looks first
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    before = sheet_parts(path)
    result = run(workdir)
    assert result.exit_code == 0, result.output
    after = sheet_parts(path)
    assert all(after[t] == before[t] for t in staff)  # byte for byte
    assert [r["N° facture"] for r in sheet_rows(path, "Journal")] == ["F1", "F1"]  # the Log row is not our journal
    assert "X9" not in result.output
    assert openpyxl.load_workbook(path)["Synthèse"]["A1"].value  # ours is written
    assert openpyxl.load_workbook(path).sheetnames[:4] == list(staff)


def test_an_alias_is_used_only_when_the_canonical_tab_is_absent_and_said(workdir):
    path = xlsx_register(workdir, [inv("F1")])
    workbook = openpyxl.load_workbook(path)
    workbook["Factures"].title = "Invoices"
    workbook.save(path)
    result = run(workdir)
    assert result.exit_code == 0, result.output
    assert "« Invoices » utilisé comme « Factures »" in " ".join(result.output.split())
    assert sheet_rows(path, "Invoices")[0]["Étape"] == "Relance amiable"


def test_an_ambiguous_register_is_refused_with_the_tabs_named(workdir):
    path = xlsx_register(workdir, [inv("F1")])
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("JOURNAL ")
    workbook.save(path)
    result = run(workdir)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "'Journal'" in flat(result) and "'JOURNAL '" in flat(result)
    assert not (workdir / "outbox").exists() or not list((workdir / "outbox").glob("*.eml"))


def test_tab_matching_rules():
    assert match_tab(["Summary", "Synthèse"], schema.SYNTHESE) == ("Synthèse", None)
    assert match_tab(["Summary"], schema.SYNTHESE) == (None, None)  # written whole: never by alias
    assert match_tab(["Log", "Journal"], schema.JOURNAL) == ("Journal", None)
    title, note = match_tab(["Log"], schema.JOURNAL)
    assert title == "Log" and "Log" in note
    assert match_tab(["Taches"], schema.TACHES) == ("Taches", None)  # accents aside, the canonical name


def test_a_corrupt_sheet_inside_a_valid_zip_is_a_sentence_not_a_traceback(workdir):
    path = xlsx_register(workdir, [inv("F1")])
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as out:
        for info, data in items:
            out.writestr(info, data[:len(data) // 2] if info.filename == "xl/worksheets/sheet1.xml" else data)
    result = run(workdir)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "registre.xlsx" in "".join(result.output.split())  # rich wraps long paths
