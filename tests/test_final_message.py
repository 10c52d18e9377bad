"""The end of a run whose final write fails after messages left: say what left, what was not saved, exit 3.

Never « Rien n'a été envoyé » with exit 1 when clients already got their emails
(LibreOffice opened mid-run, disk full at the final save, a Sheets 503 storm).
"""

from __future__ import annotations

import errno
from datetime import timedelta
from decimal import Decimal

from typer.testing import CliRunner

from relance.cli import app
from relance.adapters.mailers import outbox

from conftest import TODAY, sheet_rows, xlsx_register, status_codes


def inv(number, client="C1", late=3):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=late), "amount": Decimal("100")}


def cli_run(workdir):
    return CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])


def test_libreoffice_opened_mid_run_says_what_left_and_exits_3(workdir, monkeypatch):
    path = xlsx_register(workdir, [inv("F1"), inv("F2", "C2")])
    real = outbox.OutboxMailer.send

    def send_then_open_libreoffice(self, message):
        (workdir / ".~lock.registre.xlsx#").write_text("julie,poste-compta", encoding="utf-8")
        return real(self, message)

    monkeypatch.setattr(outbox.OutboxMailer, "send", send_then_open_libreoffice)
    result = cli_run(workdir)
    assert result.exit_code == 3, result.output
    assert "Rien n'a été envoyé" not in result.output
    assert "Registre non mis à jour" in result.output and "ouvert dans Excel ou LibreOffice" in result.output
    assert "2 message(s) sont bien partis : 2026-11-25/C1/amiable, 2026-11-25/C2/amiable" in result.output
    assert "Le prochain passage régularisera" in result.output and "Traceback" not in result.output

    (workdir / ".~lock.registre.xlsx#").unlink()
    monkeypatch.setattr(outbox.OutboxMailer, "send", real)
    again = CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date",
                                     TODAY.isoformat()])
    assert again.exit_code == 0, again.output
    statuses = [r["Statut"] for r in sheet_rows(path, "Journal") if r["Canal"] == "email"]
    assert status_codes(statuses) == ["pending", "pending", "sent", "sent"]  # settled from the .eml files, nothing resent
    assert len(list((workdir / "outbox").glob("*.eml"))) == 2


def test_a_full_disk_at_the_final_save_is_not_nothing_sent(workdir, monkeypatch):
    from relance.adapters.backends import xlsx
    xlsx_register(workdir, [inv("F1")])
    real, calls = xlsx.save_atomically, []

    def full_the_second_time(workbook, target):
        calls.append(target)
        if len(calls) == 2:  # the pending rows are saved; the final save finds the disk full
            raise xlsx.BackendError(f"enregistrement de {target} impossible : {errno.errorcode[errno.ENOSPC]}")
        return real(workbook, target)

    monkeypatch.setattr(xlsx, "save_atomically", full_the_second_time)
    result = cli_run(workdir)
    assert result.exit_code == 3, result.output
    assert "1 message(s) sont bien partis : 2026-11-25/C1/amiable" in result.output
    assert "ENOSPC" in result.output and "Rien n'a été envoyé" not in result.output


def test_a_fault_while_preparing_the_final_write_still_says_what_left(workdir, monkeypatch):
    """Between the last send and the final write (tasks, postal letters, bot columns) an unforeseen error
    was « erreur inattendue », exit 1, which means nothing left: it is exit 3 naming what left."""
    from relance import runner
    xlsx_register(workdir, [inv("F1")])

    def broken(*args, **kwargs):
        raise RuntimeError("police de caractères introuvable")

    monkeypatch.setattr(runner, "letters_for_tasks", broken)
    result = cli_run(workdir)
    said = " ".join(result.output.split())
    assert result.exit_code == 3, said
    assert "1 message(s) sont bien partis : 2026-11-25/C1/amiable" in said and "police de caractères" in said
    assert "inattendue" not in said and "Rien n'a été envoyé" not in said
