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
