"""Office staff attacking the register the way they really do (a copied column, a broken formula…):
each case is either read right or refused in French naming tab and column; never a silent wrong reading."""

from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from typer.testing import CliRunner

from relance.cli import app
from relance.core.model import RawTab
from relance.core.parse import RegisterError, parse_register
from relance.core.schema import CLIENTS, FACTURES

from conftest import TODAY, sheet_rows, xlsx_register

cli = CliRunner()


def inv(number, client="C1", late=3, amount="100.00", **kw):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=late), "amount": Decimal(amount), **kw}


def run(workdir, command="run"):
    args = [command, "--config", str(workdir / "config.toml")] + (["--date", TODAY.isoformat()] if command == "run" else [])
    result = cli.invoke(app, args)
    return result, " ".join(result.output.split())


def test_a_copied_decisive_column_under_the_same_header_is_refused_before_anything_is_sent(workdir):
    path = xlsx_register(workdir, [inv("F1"), inv("F2", client="C2")])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Factures"]
    extra = sheet.max_column + 1
    sheet.cell(1, extra, "statut ")  # a second « Statut », where staff now type the payments
    sheet.cell(2, extra, "Payée")
    workbook.save(path)
    result, out = run(workdir)
    assert result.exit_code == 1, out
    letter = openpyxl.utils.get_column_letter(extra)
    assert f"Factures : 2 colonnes « Statut » (colonnes I, {letter})" in out
    assert sheet_rows(path, "Journal") == [] and not list((workdir / "outbox").glob("*.eml"))


def test_twin_headers_of_a_client_choice_are_refused_whatever_the_backend():
    header = CLIENTS.headers + ["Relances  auto"]
    tabs = {"Factures": RawTab("Factures", [FACTURES.headers]),
            "Clients": RawTab("Clients", [header, ["C1", "Client", "", "c1@example.com"] + [None] * 11 + ["Non"]])}
    with pytest.raises(RegisterError, match="Clients : 2 colonnes « Relances auto » \\(colonnes K, P\\)"):
        parse_register(tabs)


def test_a_text_cell_holding_a_broken_or_uncomputed_formula_is_unknown_never_its_text(workdir):
    path = xlsx_register(workdir, [inv("F1"), inv("F2", client="C2"), inv("F3", client="C3")])
    workbook = openpyxl.load_workbook(path)
    workbook["Factures"]["A2"] = '="F"&"1"'  # no computed value: the number is unknown
    workbook["Clients"]["D3"] = "#N/A"  # C2's email: a VLOOKUP that failed (an error cell)
    workbook.save(path)
    result, out = run(workdir)
    assert result.exit_code == 0, out
    sent = {r["N° facture"] for r in sheet_rows(path, "Journal")}
    assert sent == {"F3"}  # neither a reminder for invoice « ="F"&"1" » nor a letter for C2
    assert 'Factures!A2 (N° facture): ="F"&"1" : formule sans valeur calculée' in out
    assert "Clients!D3 (Email): erreur de formule « #N/A »" in out
    alerts = {r["N° facture"]: r["Alerte"] for r in sheet_rows(path, "Factures")}
    assert "erreur de formule « #N/A »" in alerts["F2"]
    assert sheet_rows(path, "Tâches") == []  # no « courrier ou téléphone » task: C2's email is unknown, not absent


def test_error_values_in_identity_cells_hold_the_row_on_both_backends():
    tabs = {"Factures": RawTab("Factures", [FACTURES.headers, ["#REF!", "C1", None, TODAY, 100.0, "EUR"],
                                            ["F2", "C2", None, TODAY, 100.0, "EUR", None, None, None, None, "#N/A"],
                                            ["F3", "C1", None, TODAY, 100.0, "EUR"]]),
            "Clients": RawTab("Clients", [CLIENTS.headers,
                                          ["C1", "Client", "", "c1@example.com", "#VALUE!"] + [None] * 3 + ["B2B"],
                                          ["C2", "Client", "", "c2@example.com", None] + [None] * 3 + ["B2B"]])}
    register, problems = parse_register(tabs)
    said = [str(p) for p in problems]
    # F1's number is an error, C1 waits (its Email copie is an error); a Notes error only informs staff
    assert [i.number for i in register.invoices] == ["F2"] and register.invoices[0].notes == ""
    assert any("Factures!A2" in s and "#REF!" in s for s in said) and any("Clients!E2" in s for s in said)
    assert any("Factures!K3 (Notes)" in s for s in said)


def test_a_staff_tab_named_memoire_is_never_overwritten_and_nothing_is_sent_until_renamed(workdir):
    path = xlsx_register(workdir, [inv("F1")])
    workbook = openpyxl.load_workbook(path)
    mine = workbook.create_sheet("Mémoire")  # staff's own memo, made before relance created its tab
    mine["A1"], mine["B2"] = "Mes notes", "rappeler Dupont"
    workbook.save(path)
    result, out = run(workdir)
    assert "l'onglet « Mémoire » n'est pas celui de relance (il contient « Mes notes »)" in out
    assert sheet_rows(path, "Journal") == []  # without its record the journal cannot be vouched for
    kept = openpyxl.load_workbook(path)["Mémoire"]
    assert (kept["A1"].value, kept["B2"].value, kept.sheet_state) == ("Mes notes", "rappeler Dupont", "visible")


def test_a_staff_tab_named_historique_is_left_alone_and_said_until_renamed(workdir):
    path = xlsx_register(workdir, [inv("F1")])
    workbook = openpyxl.load_workbook(path)
    del workbook["Historique"]
    mine = workbook.create_sheet("Historique")  # staff's own history of calls, under relance's tab name
    mine.append(["Date", "Appel", "Résultat"])
    mine.append(["02/11/2026", "Dupont", "promet un virement"])
    workbook.save(path)
    result, out = run(workdir)
    assert "l'onglet « Historique » n'est pas celui de relance (il contient « Date »)" in out
    assert len(list((workdir / "outbox").glob("*.eml"))) == 1  # the reminders are not its business
    kept = openpyxl.load_workbook(path)["Historique"]
    assert [[c.value for c in row] for row in kept.iter_rows()] == [["Date", "Appel", "Résultat"],
                                                                    ["02/11/2026", "Dupont", "promet un virement"]]
    assert "Historique" in " ".join(run(workdir, "check")[1].split())

    workbook = openpyxl.load_workbook(path)
    workbook["Historique"].title = "Historique (bureau)"
    workbook.save(path)
    result, out = run(workdir)
    workbook = openpyxl.load_workbook(path)
    assert "n'est pas celui de relance" not in out
    assert workbook["Historique"]["B1"].value == "Exécution" and workbook["Historique (bureau)"]["B2"].value == "Dupont"


def test_a_staff_tab_named_synthese_is_never_rewritten(workdir):
    path = xlsx_register(workdir, [inv("F1")])
    workbook = openpyxl.load_workbook(path)
    del workbook["Synthèse"]
    mine = workbook.create_sheet("Synthèse")
    mine["A1"], mine["A2"], mine["B2"] = "Synthèse commerciale 2026", "CA", 125000
    workbook.save(path)
    result, out = run(workdir)
    assert "l'onglet « Synthèse » n'est pas celui de relance (il contient « Synthèse commerciale 2026 »)" in out
    kept = openpyxl.load_workbook(path)["Synthèse"]
    assert (kept["A1"].value, kept["A2"].value, kept["B2"].value, kept.max_row) == (
        "Synthèse commerciale 2026", "CA", 125000, 2)
