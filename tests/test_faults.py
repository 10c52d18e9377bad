"""Faults a run must survive, each with a clear message: full disk, uncertain sends, secrets kept secret."""

import errno
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from relance import runner
from relance.cli import app
from relance.adapters.mailers import outbox

from conftest import TODAY, at, sheet_rows, xlsx_register, status_codes
from smtp_fake import SmtpServer


def inv(number, client="C1", late=3):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=late), "amount": Decimal("100")}


def test_a_full_disk_fails_the_messages_clearly_and_the_next_run_sends_them(workdir, workdir_policy, monkeypatch):
    path = xlsx_register(workdir, [inv("F1"), inv("F2", "C2")])
    real = outbox.atomic_write

    def full(target, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outbox, "atomic_write", full)
    report = runner.run(workdir_policy, today=TODAY, now=at(TODAY))
    assert report.sent == [] and len(report.failed) == 2
    assert all("écriture impossible dans la boîte d'envoi" in error and "No space left" in error
               for _, error in report.failed)
    assert status_codes(r["Statut"] for r in sheet_rows(path, "Journal")).count("failed") == 2
    monkeypatch.setattr(outbox, "atomic_write", real)
    again = runner.run(workdir_policy, today=TODAY, now=at(TODAY, 11))
    assert sorted(m.client for m in again.sent) == ["C1", "C2"]


def pending_row(key="2026-11-25/C1/amiable"):
    return {"timestamp": at(TODAY, 9), "invoice": "F1", "client": "C1", "stage": "amiable", "channel": "email",
            "status": "pending", "key": key, "message_id": "<x@y>", "author": "bot"}


class Unsure:
    """A mailer that cannot tell whether an interrupted message arrived (SMTP without an outbox copy)."""

    def __init__(self, folder):
        self.folder, self.sent = folder, []

    def send(self, message):
        from relance.adapters.mailers import SendReceipt
        self.sent.append(message)
        return SendReceipt(message.message_id, "250 OK")

    def was_sent(self, mid, key):
        return None

    def close(self):
        pass


def test_on_uncertain_task_never_resends_and_resend_does(workdir, workdir_policy):
    path = xlsx_register(workdir, [inv("F1")], journal=[pending_row()])
    cautious = Unsure(workdir / "outbox")
    runner.run(workdir_policy, today=TODAY, now=at(TODAY), mailer=cautious)
    assert cautious.sent == [] and "incertain" in sheet_rows(path, "Tâches")[0]["Motif"]

    path = xlsx_register(workdir, [inv("F1")], journal=[pending_row()])
    bold = Unsure(workdir / "outbox")
    policy = replace(workdir_policy, mail=replace(workdir_policy.mail, on_uncertain="resend"))
    runner.run(policy, today=TODAY, now=at(TODAY), mailer=bold)
    assert [m.key for m in bold.sent] == ["2026-11-25/C1/amiable"] and sheet_rows(path, "Tâches") == []


def everything_written(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_the_smtp_password_never_appears_in_output_journal_or_files(workdir, frozen_clock):
    secret = "Wr0ng-S3cr3t-ZZ9"
    xlsx_register(workdir, [inv("F1")])
    with SmtpServer(auth=True) as server:  # accepts only "s3cret": our password is refused
        config = (workdir / "config.toml").read_text(encoding="utf-8")
        config = config.replace('mailer = "outbox"', 'mailer = "smtp"').replace(
            'smtp_host = "smtp.example.fr"', 'smtp_host = "127.0.0.1"').replace(
            "smtp_port = 587", f"smtp_port = {server.port}").replace('smtp_security = "starttls"',
                                                                     'smtp_security = "none"')
        (workdir / "config.toml").write_text(config, encoding="utf-8")
        result = CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date",
                                          TODAY.isoformat()], env={"RELANCE_SMTP_PASSWORD": secret})
    assert "535" in result.output or "identification" in result.output
    assert secret not in result.output and secret not in repr(result.exception)
    assert secret.encode() not in everything_written(workdir)
