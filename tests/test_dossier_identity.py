"""`relance dossier` selects by exact identity and writes only safe names into the zip."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from decimal import Decimal as D

from typer.testing import CliRunner

from relance.cli import app

from conftest import TODAY, xlsx_register

LATE = TODAY - timedelta(days=40)


def test_dossier_001_never_includes_client_fr_001_s_letter_and_names_are_safe(workdir):
    xlsx_register(workdir, [{"invoice": "A1", "client": "001", "due": LATE, "amount": D("100")},
                            {"invoice": "B1", "client": "FR_001", "due": LATE, "amount": D("200")},
                            {"invoice": "C1", "client": "../../evil", "due": LATE, "amount": D("300")}],
                  clients=[{"code": "001", "name": "Zéro Zéro Un", "email": "a@example.com"},
                           {"code": "FR_001", "name": "France 001", "email": "b@example.com"},
                           {"code": "../../evil", "name": "Evil", "email": "c@example.com"}])
    letters = workdir / "letters"
    letters.mkdir()
    (letters / "2026-11-20_FR_001_mise-en-demeure.pdf").write_bytes(b"%PDF FR_001's notice")
    (letters / "2026-11-20_001_mise-en-demeure.pdf").write_bytes(b"%PDF 001's notice")
    out = workdir / "d.zip"
    result = CliRunner().invoke(app, ["dossier", "001", "--config", str(workdir / "config.toml"), "--output",
                                      str(out), "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(out).namelist()
    assert any(n.endswith("lettres/2026-11-20_001_mise-en-demeure.pdf") for n in names)
    assert not any("FR_001" in n for n in names)

    evil = workdir / "e.zip"
    result = CliRunner().invoke(app, ["dossier", "../../evil", "--config", str(workdir / "config.toml"), "--output",
                                      str(evil), "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    for name in zipfile.ZipFile(evil).namelist():
        assert ".." not in name.split("/") and not name.startswith("/"), name
