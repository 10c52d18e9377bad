"""Issue 15 items 1, 7: what staff built in the .xlsx survives a run, and drives it correctly.

Registers are made the way staff make them: formulas with the values Excel/LibreOffice computed,
Excel 2010+ drop-downs (x14 data validations, written by hand below as Excel writes them),
conditional formats, filters, comments, hidden columns. Runs go through the CLI.
"""

import re
import shutil
import subprocess
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
import pytest
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from typer.testing import CliRunner

from relance.cli import app
from relance.core import schema

from conftest import TODAY, sheet_rows, xlsx_register

cli = CliRunner()
FACTURES = "xl/worksheets/sheet1.xml"  # create_workbook's first tab
X14 = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
       'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
       '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
       '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
       '<x14:formula1><xm:f>Clients!$A$2:$A$100</xm:f></x14:formula1><xm:sqref>B2:B1000</xm:sqref>'
       '</x14:dataValidation></x14:dataValidations></ext></extLst>')


def invoke(*args):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


def inv(number, client="C1", late=3, amount="100.00", **kw):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=late), "amount": Decimal(amount), **kw}


def rewrite_part(path: Path, part: str, change) -> None:
    """Edit one part of the zip as text, the others copied: how a file saved by Excel looks."""
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            out.writestr(info, change(data.decode("utf-8")).encode("utf-8") if info.filename == part else data)


def canonical(xml: str) -> str:
    """Namespace declarations may move when a part is re-serialised: compare without them."""
    return re.sub(r'\s+xmlns:\w+="[^"]*"', "", xml)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def staff_register(workdir: Path) -> Path:
    """F1 paid through a formula (Montant réglé = =E2, cached 100), F2 unpaid; staff formatting around."""
    path = xlsx_register(workdir, [inv("F1"), inv("F2")], payments_up_to=TODAY + timedelta(days=14))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Factures"]
    sheet.conditional_formatting.add("E2:E100", CellIsRule(operator="greaterThan", formula=["1000"],
                                                         fill=PatternFill("solid", fgColor="FFC7CE")))
    sheet["K2"].comment = Comment("Appelé le 20/11", "Marie")
    sheet.column_dimensions["J"].hidden = True
    sheet.auto_filter.ref = "A1:Q3"
    sheet["G2"] = "=E2"
    workbook.save(path)
    rewrite_part(path, FACTURES, lambda xml: re.sub(r'<c r="G2"([^>]*)><f>E2</f><v\s*/?>(</v>)?</c>',
                                                    r'<c r="G2"\1><f>E2</f><v>100</v></c>', xml)
                 .replace("</worksheet>", X14 + "</worksheet>"))
    assert "<f>E2</f><v>100</v>" in parts(path)[FACTURES].decode()
    return path


def test_staff_formulas_keep_their_values_and_a_paid_client_is_never_reminded(workdir):
    path = staff_register(workdir)
    before = parts(path)
    for day in (TODAY, TODAY + timedelta(days=7), TODAY + timedelta(days=14)):
        result = invoke("run", "--config", workdir / "config.toml", "--date", day.isoformat())
        assert result.exit_code == 0, result.output
    journal = sheet_rows(path, "Journal")
    assert {r["N° facture"] for r in journal} == {"F2"}  # F1 was paid (by formula) from the start
    assert {r["Étape"] for r in journal if r["Statut"] == "envoyé"} == {"amiable", "renforcee"}
    after = parts(path)
    factures = after[FACTURES].decode()
    assert "<f>E2</f><v>100</v>" in factures  # formula and the value Excel computed, both kept
    assert canonical(X14) in canonical(re.search(r"<extLst>.*</extLst>", factures).group(0))  # x14 drop-down kept
    assert "<conditionalFormatting" in factures and "<autoFilter" in factures and 'hidden="1"' in factures
    assert "<legacyDrawing" in factures  # the comment's anchor
    comments = [n for n in before if "comments" in n or n.endswith(".vml")]
    assert comments and all(after[n] == before[n] for n in comments)
    untouched = [n for n in before if n.startswith("xl/theme") or n in ("xl/worksheets/sheet2.xml",
                                                                         "xl/worksheets/sheet3.xml")]
    assert untouched and all(after[n] == before[n] for n in untouched)  # Clients, Échéanciers: same bytes
    workbook = openpyxl.load_workbook(path, data_only=True)  # still a workbook openpyxl (and so Excel) opens
    assert workbook["Factures"]["G2"].value == 100


def test_a_formula_without_computed_value_makes_the_row_unknown_not_unpaid(workdir):
    path = xlsx_register(workdir, [inv("F1"), inv("F2", client="C2")])
    workbook = openpyxl.load_workbook(path)
    workbook["Factures"]["G2"] = "=E2"  # written by a tool that does not compute: no cached value
    workbook["Factures"]["I3"] = "=\"Litige\""
    workbook.save(path)
    result = invoke("run", "--config", workdir / "config.toml", "--date", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert sheet_rows(path, "Journal") == []  # neither is reminded: their payment/status is unknown
    factures = {r["N° facture"]: r for r in sheet_rows(path, "Factures")}
    assert "formule sans valeur calculée" in factures["F1"]["Alerte"]
    assert "Factures!G2" in factures["F1"]["Alerte"] or "G2" in factures["F1"]["Alerte"]
    assert "formule sans valeur calculée" in factures["F2"]["Alerte"]
    assert "formule sans valeur" in " ".join(result.output.split())


def test_bot_cells_are_written_raw_and_keep_staff_formatting(workdir):
    path = xlsx_register(workdir, [inv("F1", notes="=1+1")])
    workbook = openpyxl.load_workbook(path)
    alert, stage = (f"{get_column_letter(schema.FACTURES.headers.index(h) + 1)}2" for h in ("Alerte", "Étape"))
    workbook["Factures"][alert].fill = PatternFill("solid", fgColor="FFFF00")  # staff colour a bot cell
    workbook.save(path)
    assert invoke("run", "--config", workdir / "config.toml", "--date", TODAY.isoformat()).exit_code == 0
    sheet = openpyxl.load_workbook(path)["Factures"]
    assert sheet[stage].value == "Relance amiable" and sheet[stage].data_type == "s"
    assert sheet[alert].fill.fgColor.rgb.endswith("FFFF00")
    journal = openpyxl.load_workbook(path)["Journal"]
    assert all(c.data_type != "f" for row in journal.iter_rows() for c in row)  # RAW, never a formula


@pytest.mark.slow  # LibreOffice, an outside program, 3 s: once a session (the real date)
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) not installed")
def test_round_trip_on_a_workbook_saved_by_libreoffice(workdir, tmp_path):
    """LibreOffice writes shared strings, its own styles and formula attributes: runs keep its formulas,
    values, drop-downs and conditional formats, and LibreOffice reads the result back."""
    source = xlsx_register(workdir, [inv("F1"), inv("F2")])
    workbook = openpyxl.load_workbook(source)
    sheet = workbook["Factures"]
    sheet["G2"] = "=E2"
    sheet.conditional_formatting.add("E2:E100", CellIsRule(operator="greaterThan", formula=["1000"],
                                                         fill=PatternFill("solid", fgColor="FFC7CE")))
    workbook.save(source)
    subprocess.run(["soffice", "--headless", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(source)],
                   check=True, capture_output=True, timeout=120)
    shutil.copy(tmp_path / "lo" / "registre.xlsx", source)
    before = parts(source)
    assert "xl/sharedStrings.xml" in before and "<v>100</v>" in before[FACTURES].decode()
    for day in (TODAY, TODAY + timedelta(days=7)):
        result = invoke("run", "--config", workdir / "config.toml", "--date", day.isoformat())
        assert result.exit_code == 0, result.output
    assert {r["N° facture"] for r in sheet_rows(source, "Journal")} == {"F2"}
    factures = parts(source)[FACTURES].decode()
    assert re.search(r'<c r="G2"[^>]*><f[^>]*>E2</f><v>100</v></c>', factures)
    assert "<dataValidation " in factures and "<conditionalFormatting" in factures
    subprocess.run(["soffice", "--headless", "--convert-to", "csv", "--outdir", str(tmp_path / "csv"), str(source)],
                   check=True, capture_output=True, timeout=120)
    rows = (tmp_path / "csv" / "registre.csv").read_text(encoding="latin-1").splitlines()
    assert rows[1].startswith("F1,C1") and ",100," in rows[1]
    assert rows[2].startswith("F2,C1") and "Relance renforc" in rows[2]  # LibreOffice reads our cells


def test_rows_append_below_the_last_value_whatever_formatted_empty_rows_follow(workdir):
    from benchmarks.xlsx_cost import cleared_register
    from relance.adapters.backends import Changes
    from relance.adapters.backends.xlsx import XlsxBackend
    path = workdir / "registre.xlsx"
    cleared_register(path, 3000)  # Journal: 3 rows, then 3 000 formatted empty rows
    backend = XlsxBackend(path)
    backend.apply(Changes(journal=({"invoice": "N1", "status": "manual", "key": "n1"},)))
    sheet = openpyxl.load_workbook(path)["Journal"]
    assert sheet["B5"].value == "N1" and sheet.max_row == 3004  # right below, the formatting kept
    assert sheet["A3000"].style_id == sheet["A6"].style_id != 0


def test_a_register_past_the_size_limit_is_refused_before_anything_is_read(workdir, monkeypatch):
    xlsx_register(workdir, [inv("F1")])
    monkeypatch.setenv("RELANCE_XLSX_MAX_MB", "0.001")
    result = invoke("run", "--config", workdir / "config.toml", "--date", TODAY.isoformat())
    assert result.exit_code == 1 and "RELANCE_XLSX_MAX_MB" in " ".join(result.output.split()) and "Traceback" not in result.output
    assert not (workdir / "outbox").exists()


def test_runs_after_runs_keep_the_package_whole_and_the_same_size(workdir):
    """Synthèse's drawing and charts are replaced each run: no orphan part, no dangling relationship."""
    path = xlsx_register(workdir, [inv("F1"), inv("F2", client="C2")])
    counts = []
    for day in (TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=2), TODAY + timedelta(days=5)):
        assert invoke("run", "--config", workdir / "config.toml", "--date", day.isoformat()).exit_code == 0
        found = parts(path)
        counts.append(len(found))
        for name in [n for n in found if n.endswith(".rels")]:
            base = name.replace("_rels/", "").removesuffix(".rels")
            folder = base.rsplit("/", 1)[0] if "/" in base else ""
            for target, mode in re.findall(r'Target="([^"]+)"(?:\s+TargetMode="(\w+)")?', found[name].decode()):
                if mode != "External":
                    resolved = target.lstrip("/") if target.startswith("/") else \
                        str(Path(folder, target)).replace("\\", "/")
                    assert resolved in found, f"{name} -> {target}"
    assert len(set(counts[1:])) == 1, counts
    assert openpyxl.load_workbook(path)["Synthèse"]._charts  # the charts are there
