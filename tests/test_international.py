"""Accented and IDN addresses: IDNA domains, SMTPUTF8 when offered, otherwise unusable before sending."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from email import message_from_string, policy as email_policy

import pytest
import time_machine
from tenacity import wait_none

from relance import runner
from relance.adapters.mailers.smtp import SmtpMailer, SmtpSettings

from conftest import TODAY, at, sheet_rows, xlsx_register
from smtp_fake import SmtpServer

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def setup(workdir, email):
    clients = [{"code": "C1", "name": "Société Élan", "email": email}]
    return xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3),
                                    "amount": Decimal("100")}], clients)


def smtp_run(policy, server, workdir):
    policy = replace(policy, mail=replace(policy.mail, mailer="smtp", smtp_host="127.0.0.1", smtp_port=server.port,
                                          smtp_security="none", smtp_user=""))
    mailer = SmtpMailer(SmtpSettings("127.0.0.1", server.port, "", "none"), outbox=workdir / "outbox",
                        wait=wait_none())
    with time_machine.travel(at(TODAY, 10), tick=False):
        return runner.run(policy, today=TODAY, now=at(TODAY, 10), mailer=mailer)


def test_an_idn_domain_travels_as_idna_without_smtputf8(workdir, workdir_policy):
    setup(workdir, "jean@société.fr")
    with SmtpServer(smtputf8=False) as server:
        report = smtp_run(workdir_policy, server, workdir)
        assert len(report.sent) == 1, report.failed
        assert server.envelopes[0][1] == ["jean@xn--socit-esab.fr"]
        assert server.messages[0]["To"] == "jean@xn--socit-esab.fr"


def test_an_accented_local_part_without_smtputf8_is_unusable_before_sending(workdir, workdir_policy):
    path = setup(workdir, "josé@example.fr")
    with SmtpServer(smtputf8=False) as server:
        report = smtp_run(workdir_policy, server, workdir)
        assert server.messages == [] and server.counts["MAIL"] == 0  # nothing attempted
    assert len(report.failed) == 1 and "SMTPUTF8" in report.failed[0][1]
    alert = sheet_rows(path, "Factures")[0]["Alerte"]
    assert "adresse refusée par le serveur : josé@example.fr" in alert and "SMTPUTF8" in alert
    assert any("courrier" in t["Motif"] for t in sheet_rows(path, "Tâches"))  # the letter path, not a daily failure


def test_an_accented_local_part_goes_with_smtputf8_when_offered(workdir, workdir_policy):
    setup(workdir, "josé@société.fr")
    with SmtpServer(smtputf8=True) as server:
        report = smtp_run(workdir_policy, server, workdir)
        assert len(report.sent) == 1, report.failed
        assert server.envelopes[0][1] == ["josé@xn--socit-esab.fr"]


def test_the_outbox_writes_valid_address_headers(workdir, workdir_policy):
    setup(workdir, "josé@société.fr")
    report = runner.run(workdir_policy, today=TODAY, now=at(TODAY, 10))
    assert len(report.sent) == 1
    (eml,) = (workdir / "outbox").glob("*.eml")
    raw = eml.read_bytes()
    assert b"=?utf-8?" not in raw.split(b"\n\n", 1)[0].split(b"Subject:")[0]  # no encoded-word inside an address
    parsed = message_from_string(raw.decode("utf-8"), policy=email_policy.default)  # RFC 6532: UTF-8 headers
    (address,) = parsed["To"].addresses
    assert (address.username, address.domain) == ("josé", "xn--socit-esab.fr") and not parsed.defects
