"""SMTP after a crash and SMTP credentials: a pending row is "sent" only with the server's 250 on record.

The receipt ledger (relance/adapters/mailers/receipts.py) is written before the end of
DATA leaves and right after the server's 250, each line fsynced. These tests build the
state a killed run leaves (a ``pending`` row, with or without ledger lines) and run the
real CLI against a local aiosmtpd server.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance.cli import app
from relance.adapters.mailers.receipts import ACCEPTED, DATA, ReceiptLedger

from conftest import TODAY, at, sheet_rows, xlsx_register, status_codes
from smtp_fake import SmtpServer

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.usefixtures("frozen_clock")]

KEY = "2026-11-25/C1/amiable"


def inv(number, client="C1", late=3):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=late), "amount": Decimal("100")}


def pending(key=KEY):
    return {"timestamp": at(TODAY, 9), "invoice": "F1", "client": "C1", "stage": "amiable", "channel": "email",
            "status": "pending", "key": key, "message_id": "<relance.x@example.fr>", "author": "bot"}


def smtp_config(workdir, port, user=""):
    config = (workdir / "config.toml").read_text(encoding="utf-8")
    config = config.replace('mailer = "outbox"', 'mailer = "smtp"').replace(
        'smtp_host = "smtp.example.fr"', 'smtp_host = "127.0.0.1"').replace(
        "smtp_port = 587", f"smtp_port = {port}").replace('smtp_security = "starttls"', 'smtp_security = "none"')
    config = config.replace('smtp_user = "compta@example.fr"', f'smtp_user = "{user}"')
    (workdir / "config.toml").write_text(config, encoding="utf-8")


def cli_run(workdir, env=None):
    return CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()],
                              env=env or {})


def emails(path):
    return [(r["Statut"], r["Commentaire"] or "") for r in sheet_rows(path, "Journal") if r["Canal"] == "email"]


def test_a_run_killed_before_the_first_send_is_resent_not_marked_sent(workdir):
    """The issue's break: pending rows, nothing reached the server; the next run used to mark them sent."""
    path = xlsx_register(workdir, [inv("F1")], journal=[pending()])
    with SmtpServer() as server:
        smtp_config(workdir, server.port)
        result = cli_run(workdir)
        assert result.exit_code == 0, result.output
        assert [m["X-Relance-Key"] for m in server.messages] == [KEY]  # it now really leaves, once
    statuses = [s for s, _ in emails(path)]
    assert status_codes(statuses) == ["pending", "failed", "pending", "sent"]
    assert ReceiptLedger(workdir / "outbox").state(KEY) == ACCEPTED


def test_a_message_whose_end_of_data_left_without_a_recorded_250_is_uncertain_and_held(workdir):
    path = xlsx_register(workdir, [inv("F1")], journal=[pending()])
    ReceiptLedger(workdir / "outbox").record(DATA, KEY, "<relance.x@example.fr>")
    with SmtpServer() as server:
        smtp_config(workdir, server.port)
        result = cli_run(workdir)
        assert result.exit_code == 0, result.output
        assert server.messages == []  # never twice
    assert status_codes(s for s, _ in emails(path)) == ["pending", "uncertain"]  # never "sent" without proof
    assert "Envoi incertain" in sheet_rows(path, "Tâches")[0]["Motif"]
    assert "envoi incertain" in sheet_rows(path, "Factures")[0]["Alerte"]


def test_a_recorded_250_settles_the_pending_row_as_sent(workdir):
    path = xlsx_register(workdir, [inv("F1")], journal=[pending()])
    ReceiptLedger(workdir / "outbox").record(DATA, KEY, "<relance.x@example.fr>")
    ReceiptLedger(workdir / "outbox").record(ACCEPTED, KEY, "<relance.x@example.fr>", "250 queued")
    with SmtpServer() as server:
        smtp_config(workdir, server.port)
        assert cli_run(workdir).exit_code == 0
        assert server.messages == []
    assert status_codes(s for s, _ in emails(path)) == ["pending", "sent"]


def test_a_torn_last_ledger_line_reads_as_not_accepted(tmp_path):
    ledger = ReceiptLedger(tmp_path)
    ledger.record(DATA, KEY, "<m>")
    with open(ledger.path, "a", encoding="utf-8") as handle:
        handle.write('{"event": "accepted", "key": "2026-11-')  # killed mid-write
    assert ReceiptLedger(tmp_path).state(KEY) == DATA


def test_an_accented_password_logs_in_utf8_and_never_shows(workdir):
    """smtplib encodes AUTH as ASCII: 'é' raised UnicodeEncodeError mid-run."""
    secret = "Mot-de-passé-ÉTÉ"
    path = xlsx_register(workdir, [inv("F1")])
    with SmtpServer(auth=True) as server:
        server.handler.password = secret.encode("utf-8")
        smtp_config(workdir, server.port, user="compta@example.fr")
        result = cli_run(workdir, {"RELANCE_SMTP_PASSWORD": secret})
        assert result.exit_code == 0, result.output
        assert server.logins == ["compta@example.fr"] and len(server.messages) == 1
    assert status_codes(s for s, _ in emails(path)) == ["pending", "sent"]
    assert secret not in result.output


def test_an_unexpected_mailer_error_is_that_message_s_failure_and_hides_the_password(workdir, monkeypatch):
    from relance.adapters.mailers import smtp
    secret = "s3cret-Zx"

    def boom(self, *args, **kwargs):
        raise ValueError(f"bad state with {secret}")

    monkeypatch.setattr(smtp.SmtpMailer, "_deliver", boom)
    path = xlsx_register(workdir, [inv("F1"), inv("F2", "C2")])
    with SmtpServer(auth=True) as server:
        server.handler.password = secret.encode()
        smtp_config(workdir, server.port, user="compta@example.fr")
        result = cli_run(workdir, {"RELANCE_SMTP_PASSWORD": secret})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert status_codes(s for s, _ in emails(path)) == ["pending", "pending", "failed", "failed"]
    assert all("erreur inattendue ValueError" in c and secret not in c for s, c in emails(path) if s == "failed")
    assert secret not in result.output


def test_an_unexpected_crash_never_prints_locals(workdir, monkeypatch):
    """typer's pretty tracebacks print every local variable (the password among them) unless told not to."""
    from relance.cli.app import app as typer_app
    assert typer_app.pretty_exceptions_show_locals is False


def test_the_smtp_summary_names_the_copy_folder_never_none(workdir):
    xlsx_register(workdir, [inv("F1")])
    with SmtpServer() as server:
        smtp_config(workdir, server.port)
        result = cli_run(workdir)
    assert result.exit_code == 0 and "None" not in result.output
    assert "1 message(s) envoyé(s), copie dans" in result.output and "outbox" in result.output


def test_a_refusal_at_the_end_of_data_is_recorded_as_not_sent(tmp_path):
    """A 554 to the end of DATA: the server does not have it; after a crash it is resent, not 'uncertain'."""
    from tenacity import wait_none
    from relance.adapters.mailers import MailError
    from relance.adapters.mailers.smtp import SmtpMailer, SmtpSettings
    from test_smtp import message
    with SmtpServer() as server:
        server.data_answer.append("554 5.7.1 Message refusé")
        smtp = SmtpMailer(SmtpSettings("127.0.0.1", server.port, "", "none"), outbox=tmp_path, wait=wait_none())
        with pytest.raises(MailError):
            smtp.send(message(1))
    fresh = SmtpMailer(SmtpSettings("127.0.0.1", 1, "", "none"), outbox=tmp_path)
    assert fresh.was_sent("<m1@example.fr>", message(1).key) is False
