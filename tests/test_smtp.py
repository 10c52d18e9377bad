"""SMTP sending against a local aiosmtpd server: headers, threading, attachments, failures.

Every test talks to a real SMTP server on 127.0.0.1 (tests/smtp_fake.py); retries use
tenacity's `wait_none`, so nothing ever sleeps.
"""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from tenacity import wait_none
from typer.testing import CliRunner

from relance import runner
from relance.cli import app
from relance.adapters.mailers import MailError, MailRefused, Message
from relance.adapters.mailers.smtp import PASSWORD_ENV, SmtpMailer, SmtpSettings

from conftest import TODAY, at, sheet_rows, xlsx_register, status_codes
from smtp_fake import SmtpServer, self_signed

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.usefixtures("frozen_clock")]  # aiosmtpd's own login_data notice

DUE = date(2026, 10, 5)  # a Monday: J+1, J+8 and J+30 are all business days
PDF = b"%PDF-1.4 facture F1\n%%EOF\n"


@pytest.fixture
def server():
    with SmtpServer(auth=True) as running:
        yield running


def smtp_policy(policy, server, **mail):
    mail = {"mailer": "smtp", "smtp_host": "127.0.0.1", "smtp_port": server.port, "smtp_security": "none",
            "smtp_user": "compta@example.fr", "sender": "compta@example.fr", **mail}
    return replace(policy, mail=replace(policy.mail, **mail))


def mailer(server, **kw):
    kw.setdefault("outbox", None)
    return SmtpMailer(SmtpSettings("127.0.0.1", server.port, "compta@example.fr", "none"), "s3cret",
                      wait=wait_none(), **kw)


def message(n: int, to: str = "", **kw) -> Message:
    return Message(key=f"2026-11-25/C{n}/amiable", message_id=f"<m{n}@example.fr>", sender="compta@example.fr",
                   to=(to or f"c{n}@example.com",), subject=f"Facture F{n}", text="Bonjour é\n", html="<p>é</p>",
                   date=at(TODAY), client=f"C{n}", invoices=(f"F{n}",), stage="amiable", **kw)


def inv(number, client="C1", late=3):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=late), "amount": Decimal("100")}


def journal(path):
    rows = sheet_rows(path, "Journal")
    return list(zip([r["Client"] for r in rows], status_codes(r["Statut"] for r in rows),
                    [r["Commentaire"] or "" for r in rows]))


def test_three_stages_of_one_invoice_thread_together_with_headers_and_attachments(workdir, workdir_policy,
                                                                                   server, monkeypatch):
    """The real runner on J+1, J+8 and J+30 (formal notice approved): one thread, both parts, the PDF."""
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    policy = smtp_policy(workdir_policy, server, sender="compta@example.fr")
    clients = [{"code": "C1", "name": "Client SA", "email": "ap@client.fr", "cc": "daf@client.fr"}]
    tasks = [{"created": DUE, "client": "C1", "invoices": "F1", "reason": "Mise en demeure à approuver : F1",
              "approved": "Oui", "key": "T/F1/demeure"}]
    path = xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": DUE, "amount": Decimal("1234.56")}],
                         clients, tasks=tasks)
    (workdir / "factures").mkdir()
    (workdir / "factures" / "F1.pdf").write_bytes(PDF)

    for offset in (1, 8, 30):
        day = DUE + timedelta(days=offset)
        with time_machine.travel(at(day), tick=False):  # over SMTP only the real day may be run
            report = runner.run(policy, today=day, now=at(day))
        assert len(report.sent) == 1 and not report.failed, report.failed

    first, second, third = server.messages
    assert [m["X-Relance-Key"].rpartition("/")[2] for m in server.messages] == ["amiable", "renforcee", "demeure"]
    assert first["In-Reply-To"] is None and first["References"] is None
    assert second["In-Reply-To"] == first["Message-ID"] and second["References"] == first["Message-ID"]
    assert third["In-Reply-To"] == second["Message-ID"]
    assert third["References"].split() == [first["Message-ID"], second["Message-ID"]]

    for received in server.messages:
        assert len(received.get_all("Message-ID")) == 1
        assert received["From"].addresses[0].display_name == "Atelier Dupont SARL"  # [company] name added
        assert received["Reply-To"] == "compta@example.fr"
        assert received["Cc"] == "daf@client.fr"
        assert received["List-Unsubscribe"] is None
        assert received.get_body(("plain",)).get_content().strip()
        html = received.get_body(("html",)).get_content()
        assert "F1" in html and "<img" not in html.lower()
        files = {part.get_filename(): part.get_content() for part in received.iter_attachments()}
        assert files["F1.pdf"] == PDF
    assert server.envelopes[0] == ("compta@example.fr", ["ap@client.fr", "daf@client.fr"])
    assert len(server.peers) == 3 and server.logins == ["compta@example.fr"] * 3  # one connection per run
    assert [r[1] for r in journal(path)] == ["pending", "sent"] * 3
    assert "queued as 42" in journal(path)[1][2]
    assert len(list((workdir / "outbox").glob("*.eml"))) == 3  # a copy of each message sent


def test_the_account_manager_of_a_strategic_client_gets_a_copy(workdir, workdir_policy, server, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    clients = [{"code": "C1", "email": "ap@grandcompte.fr", "segment": "Stratégique",
                "account_manager": "paul@atelier.fr"}]
    xlsx_register(workdir, [inv("F1", late=3)], clients)
    report = runner.run(smtp_policy(workdir_policy, server), today=TODAY, now=at(TODAY))
    assert len(report.sent) == 1
    assert server.messages[0]["Cc"] == "paul@atelier.fr"
    assert server.envelopes == [("compta@example.fr", ["ap@grandcompte.fr", "paul@atelier.fr"])]


def test_one_connection_for_all_the_messages_of_a_run(server):
    smtp = mailer(server)
    receipts = [smtp.send(message(n)) for n in range(1, 4)]
    smtp.close()
    assert len(server.messages) == 3 and len(server.peers) == 1 and server.logins == ["compta@example.fr"]
    assert all("250 2.0.0 Ok: queued as 42" in r.detail for r in receipts)


def test_a_temporarily_refused_recipient_fails_only_that_message_and_is_retried_next_run(
        workdir, workdir_policy, server, monkeypatch):
    """4xx: retried on the next run (a 5xx is a permanent refusal: tests/test_refusal.py)."""
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    server.refuse["c2@example.com"] = "450 4.2.1 <c2@example.com>: Boîte occupée"
    path = xlsx_register(workdir, [inv("F1"), inv("F2", client="C2"), inv("F3", client="C3")])
    policy = smtp_policy(workdir_policy, server)
    report = runner.run(policy, today=TODAY, now=at(TODAY))
    assert sorted(m.client for m in report.sent) == ["C1", "C3"]
    assert [(m.client, why) for m, why in report.failed] == [
        ("C2", "destinataire(s) refusé(s) temporairement par le serveur (nouvel essai au prochain passage) : "
               "c2@example.com : 450 4.2.1 <c2@example.com>: Boîte occupée")]
    assert ("C2", "failed", report.failed[0][1]) in journal(path)
    assert len(server.messages) == 2 and len(server.peers) == 1

    server.refuse.clear()  # the address was fixed: the next run sends it, and only it
    again = runner.run(policy, today=TODAY, now=at(TODAY, 14))
    assert [m.client for m in again.sent] == ["C2"] and len(server.messages) == 3


@pytest.mark.parametrize("reply", ["552 5.2.2 <c2@example.com>: Mailbox full",
                                   "550 5.2.2 <c2@example.com>: Boîte pleine"])
def test_a_full_mailbox_is_a_temporary_refusal_not_a_refused_address(server, reply):
    """RFC 5321 4.5.3.1.10: a 552 to RCPT (and RFC 3463's X.2.2, mailbox full) is to be tried again, as
    docs/faults.md says of « boîte pleine »: never the client's address declared refused and switched to letters."""
    server.refuse["c2@example.com"] = reply
    with pytest.raises(MailError) as caught:
        mailer(server).send(message(2))
    assert not isinstance(caught.value, MailRefused)
    assert "temporairement" in str(caught.value) and reply in str(caught.value)
    server.refuse["old@example.com"] = reply.replace("c2@", "old@")
    receipt = mailer(server).send(message(1, cc=("old@example.com",)))  # a full Cc: sent to the others, not refused
    assert "adresse refusée" not in receipt.detail and "old@example.com" in receipt.detail


def test_a_partly_refused_message_is_sent_and_says_who_was_refused(server):
    server.refuse["old@example.com"] = "550 5.1.1 gone"
    receipt = mailer(server).send(message(1, cc=("old@example.com",)))
    assert server.envelopes == [("compta@example.fr", ["c1@example.com"])]
    assert "adresse refusée par le serveur : old@example.com (550 5.1.1 gone)" in receipt.detail


@pytest.mark.parametrize("where, answer", [("mail_answer", "421 4.7.0 Trop de connexions, réessayez"),
                                           ("mail_answer", "451 4.3.0 Erreur temporaire"),
                                           ("data_answer", "554 5.7.1 Message refusé (spam)"),
                                           ("data_answer", "451 4.7.1 Greylisting")])
def test_a_server_error_fails_that_message_only_with_the_servers_answer(server, where, answer):
    getattr(server, where).append(answer)
    smtp = mailer(server)
    with pytest.raises(MailError) as refused:
        smtp.send(message(1))
    assert answer in str(refused.value)
    smtp.send(message(2))  # the next one goes through (a new connection after a 421)
    assert [m["Message-ID"] for m in server.messages] == ["<m2@example.fr>"]


@pytest.mark.parametrize("drop", [("MAIL", 2), ("RCPT", 2)])
def test_a_connection_dropped_mid_run_is_reopened_without_duplicates(workdir, workdir_policy, server, drop):
    """The server hangs up before the 2nd message could reach it: reconnect, send it, go on."""
    server.drop_at.add(drop)
    path = xlsx_register(workdir, [inv("F1"), inv("F2", client="C2"), inv("F3", client="C3")])
    report = runner.run(smtp_policy(workdir_policy, server), today=TODAY, now=at(TODAY), mailer=mailer(server))
    assert len(report.sent) == 3 and not report.failed
    assert sorted(m["To"] for m in server.messages) == ["c1@example.com", "c2@example.com", "c3@example.com"]
    assert len(server.peers) == 2
    assert [r[1] for r in journal(path)].count("sent") == 3


def test_a_drop_after_the_whole_message_left_is_never_resent_and_asks_a_human(workdir, workdir_policy, server):
    """The server got the message but hung up before its 250: it may be delivered, so no retry."""
    server.drop_at.add(("DATA", 1))
    path = xlsx_register(workdir, [inv("F1"), inv("F2", client="C2")])
    policy = smtp_policy(workdir_policy, server)
    report = runner.run(policy, today=TODAY, now=at(TODAY), mailer=mailer(server))
    assert len(server.messages) == 2 and len({m["Message-ID"] for m in server.messages}) == 2
    assert len(report.sent) == 1 and len(report.uncertain) == 1 and not report.failed  # no 250: not "sent"
    uncertain = [row for row in journal(path) if row[1] == "uncertain" and "incertaine" in row[2]]
    assert len(uncertain) == 1
    tasks = sheet_rows(path, "Tâches")
    assert len(tasks) == 1 and tasks[0]["Motif"].startswith("Envoi incertain 2026-11-25/")
    assert runner.run(policy, today=TODAY, now=at(TODAY, 15), mailer=mailer(server)).sent == []


def test_drops_on_every_attempt_fail_that_message_after_bounded_retries(server):
    server.drop_at.update({("MAIL", 1), ("MAIL", 2), ("MAIL", 3)})
    smtp = mailer(server, attempts=3)
    with pytest.raises(MailError, match=r"connexion perdue .* \(3 essais\)"):
        smtp.send(message(1))
    smtp.send(message(2))
    assert [m["Message-ID"] for m in server.messages] == ["<m2@example.fr>"]


def test_a_server_out_of_service_fails_the_run_fast_without_retrying_each_message():
    """A server that greets with 421 (or does not answer) gets three tries, then the run stops asking."""
    import socketserver
    import threading

    greetings = []

    class Busy(socketserver.BaseRequestHandler):
        def handle(self):
            greetings.append(1)
            self.request.sendall(b"421 4.3.2 Service indisponible\r\n")

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Busy) as busy:
        threading.Thread(target=busy.serve_forever, args=(0.01,), daemon=True).start()
        smtp = SmtpMailer(SmtpSettings("127.0.0.1", busy.server_address[1], "", "none"), wait=wait_none())
        with pytest.raises(MailError, match=r"connexion à 127.0.0.1:\d+ impossible : \(421.*\(3 essais\)"):
            smtp.send(message(1))
        with pytest.raises(MailError, match="pas de nouvel essai"):
            smtp.send(message(2))
        busy.shutdown()
    assert len(greetings) == 3


def test_a_refused_login_is_not_retried_for_every_message(server):
    smtp = SmtpMailer(SmtpSettings("127.0.0.1", server.port, "compta@example.fr", "none"), "wrong",
                      wait=wait_none())
    with pytest.raises(MailError, match=f"refuse l'identification de compta@example.fr : 535 .*{PASSWORD_ENV}"):
        smtp.send(message(1))
    with pytest.raises(MailError, match="pas de nouvel essai"):
        smtp.send(message(2))
    assert len(server.peers) == 1 and server.messages == []


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_encrypted_connections_log_in_and_deliver(tmp_path, security):
    server_tls, client_tls = self_signed(tmp_path)
    with SmtpServer(tls=server_tls, implicit_tls=security == "ssl", auth=True) as server:
        smtp = SmtpMailer(SmtpSettings("127.0.0.1", server.port, "compta@example.fr", security), "s3cret",
                          tls=client_tls, wait=wait_none())
        smtp.send(message(1))
        smtp.close()
        assert server.logins == ["compta@example.fr"] and len(server.messages) == 1


def test_an_untrusted_certificate_is_refused(tmp_path):
    server_tls, _ = self_signed(tmp_path)
    with SmtpServer(tls=server_tls, auth=True) as server:
        smtp = SmtpMailer(SmtpSettings("127.0.0.1", server.port, "compta@example.fr", "starttls"), "s3cret",
                          wait=wait_none())
        with pytest.raises(MailError, match="connexion chiffrée impossible"):
            smtp.send(message(1))
        assert server.logins == [] and server.messages == []


def test_the_outbox_copy_answers_was_sent(server, tmp_path):
    smtp = mailer(server, outbox=tmp_path / "outbox")
    receipt = smtp.send(message(1))
    assert receipt.path and (tmp_path / "outbox").joinpath(receipt.path).exists()
    assert smtp.was_sent("<m1@example.fr>", message(1).key) is True
    assert smtp.was_sent("<m2@example.fr>", message(2).key) is False  # never reached the end of DATA


def test_a_missing_password_stops_before_anything_is_sent(workdir, workdir_policy, monkeypatch):
    """Never a prompt (CI has no terminal): a clear error, exit 1, not even a pending row."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    config = workdir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('mailer = "outbox"', 'mailer = "smtp"'),
                      encoding="utf-8")
    path = xlsx_register(workdir, [inv("F1")])
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--date", TODAY.isoformat()])
    said = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 1
    assert f"mot de passe SMTP absent : définissez la variable d'environnement {PASSWORD_ENV}" in said
    assert "Rien n'a été envoyé" in said
    assert sheet_rows(path, "Journal") == []
    assert not (workdir / ".registre.xlsx.relance.lock").exists()
