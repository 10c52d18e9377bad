"""A permanent refusal (SMTP 5xx to RCPT) is not retried daily: Alerte, a task, letters until the address changes.

A temporary one (4xx) is retried on the next run, as any failure.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from tenacity import wait_none

from relance import runner
from relance.adapters.mailers.smtp import SmtpMailer, SmtpSettings

from conftest import TODAY, at, sheet_rows, xlsx_register
from smtp_fake import SmtpServer

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning")]

REFUSAL = "550 5.1.1 Utilisateur inconnu"


def inv(number, client="C1", late=3):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=late), "amount": Decimal("100")}


def smtp_policy(policy, server):
    return replace(policy, mail=replace(policy.mail, mailer="smtp", smtp_host="127.0.0.1", smtp_port=server.port,
                                        smtp_security="none", smtp_user=""))


def run_on(policy, server, day, workdir, **kw):
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", server.port, "", "none"), outbox=workdir / "outbox",
                        wait=wait_none())
    with time_machine.travel(at(day, 10), tick=False):
        return runner.run(policy, today=day, now=at(day, 10), mailer=mailer, **kw)


def test_a_refused_address_gets_an_alert_a_task_and_a_letter_and_is_not_retried(reg, workdir):
    reg.create([inv("F1"), inv("F2", client="C2")])
    with SmtpServer() as server:
        server.refuse["c1@example.com"] = REFUSAL
        policy = smtp_policy(reg.policy, server)
        report = run_on(policy, server, TODAY, workdir)
        assert [m["X-Relance-Key"] for m in server.messages] == ["2026-11-25/C2/amiable"]
        assert len(report.failed) == 1 and "adresse refusée par le serveur : c1@example.com" in report.failed[0][1]
        f1 = next(r for r in reg.rows("Factures") if r["N° facture"] == "F1")
        assert "adresse refusée par le serveur : c1@example.com (550 5.1.1" in f1["Alerte"]
        tasks = [r for r in reg.rows("Tâches") if r["Client"] == "C1"]
        motifs = " | ".join(t["Motif"] for t in tasks)
        assert "Adresse refusée par le serveur : c1@example.com" in motifs
        assert "par courrier ou téléphone (adresse refusée)" in motifs  # the stage falls back to a letter
        assert list((workdir / "letters").glob("*C1*amiable*.pdf"))

        next_day = TODAY + timedelta(days=1)
        count = len(server.messages)
        again = run_on(policy, server, next_day, workdir)
        assert len(server.messages) == count and not again.failed  # not retried daily
        f1 = next(r for r in reg.rows("Factures") if r["N° facture"] == "F1")
        assert "adresse refusée" in f1["Alerte"]
        assert [r["Motif"] for r in reg.rows("Tâches")].count(
            "Adresse refusée par le serveur : c1@example.com (C1)") == 1  # one task, not one a day


def test_a_new_address_in_clients_clears_the_refusal(workdir, workdir_policy):
    path = xlsx_register(workdir, [inv("F1", late=3)])
    with SmtpServer() as server:
        server.refuse["c1@example.com"] = REFUSAL
        policy = smtp_policy(workdir_policy, server)
        run_on(policy, server, TODAY, workdir)
        assert server.messages == []
        book = openpyxl.load_workbook(path)
        sheet = book["Clients"]
        column = [c.value for c in sheet[1]].index("Email") + 1
        sheet.cell(row=2, column=column, value="compta@c1.example.com")
        book.save(path)
        day = TODAY + timedelta(days=7)  # the letter counted as amiable: renforcée is due on 02/12
        report = run_on(policy, server, day, workdir)
        assert [m["To"] for m in server.messages] == ["compta@c1.example.com"], report.plan.skips
        assert "adresse refusée" not in (sheet_rows(path, "Factures")[0]["Alerte"] or "")


def test_a_temporary_refusal_is_retried_on_the_next_run(workdir, workdir_policy):
    path = xlsx_register(workdir, [inv("F1")])
    with SmtpServer() as server:
        server.refuse["c1@example.com"] = "450 4.2.1 Boîte occupée, réessayez"
        policy = smtp_policy(workdir_policy, server)
        report = run_on(policy, server, TODAY, workdir)
        assert len(report.failed) == 1 and "temporairement" in report.failed[0][1]
        assert "adresse refusée" not in (sheet_rows(path, "Factures")[0]["Alerte"] or "")
        del server.refuse["c1@example.com"]
        with time_machine.travel(at(TODAY, 11), tick=False):
            mailer = SmtpMailer(SmtpSettings("127.0.0.1", server.port, "", "none"), outbox=workdir / "outbox",
                                wait=wait_none())
            again = runner.run(policy, today=TODAY, now=at(TODAY, 11), mailer=mailer)
        assert len(again.sent) == 1 and len(server.messages) == 1
