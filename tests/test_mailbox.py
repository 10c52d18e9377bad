"""The mailbox, against a real IMAP server (pymap) on 127.0.0.1, on both register backends:
a reply pauses the client and opens a task, a bounce switches to letters, an auto-reply changes
nothing, Sent copies appear, and nothing is journaled twice across a crash."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relance.cli import app
from relance.core.inbound import AUTO_REPLY, BOUNCE, REPLY, classify
from relance.core.model import JournalEntry

from conftest import TODAY, at, client, invoice, register
from imap_server import imap  # noqa: F401 (fixture)

MAIL = Path(__file__).parent / "fixtures" / "mail"
cli = CliRunner()


def invoke(*args):
    result = cli.invoke(app, [str(a) for a in args], catch_exceptions=False)
    result.text = " ".join(result.output.split())
    return result


def fixture(name: str, **ids: str) -> bytes:
    text = (MAIL / name).read_text(encoding="utf-8")
    for key, value in ids.items():
        text = text.replace("{" + key + "}", value)
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def parsed(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


# ---------------------------------------------------------------- classification (pure)

BOOK = register([invoice("F2026-001", "C1"), invoice("F2026-003", "C2")],
                clients=[client("C1", email="compta@acme.example"), client("C2", email="c2@example.com")],
                journal=[JournalEntry(at(TODAY), invoice="F2026-001", client="C1", stage="amiable", status="sent",
                                      key="k1", message_id="<relance.c1@atelier>")])


def test_a_reply_is_recognised_by_its_references_and_keeps_the_clients_first_lines_only():
    item = classify(parsed(fixture("reply.eml", OUR_ID="<relance.c1@atelier>")), BOOK)
    assert (item.kind, item.client, item.invoices) == (REPLY, "C1", ("F2026-001",))
    assert item.excerpt.startswith("Bonjour, Le virement a été fait vendredi") and ">" not in item.excerpt
    assert item.key == "R/<CAF=reply-0001@mail.acme.example>"


def test_a_reply_to_an_unknown_message_falls_back_to_the_senders_address():
    assert classify(parsed(fixture("reply.eml", OUR_ID="<other@x>")), BOOK).client == "C1"


def test_auto_replies_and_bounces_are_told_apart_and_other_mail_is_not_ours():
    auto = classify(parsed(fixture("auto-reply.eml", OUR_ID="<relance.c1@atelier>")), BOOK)
    assert auto.kind == AUTO_REPLY
    bounce = classify(parsed(fixture("bounce.eml", OUR_ID_C2="<x@y>")), BOOK)
    assert (bounce.kind, bounce.client, bounce.failed) == (BOUNCE, "C2", ("c2@example.com",))
    assert classify(parsed(fixture("newsletter.eml")), BOOK).kind == ""


def test_flufl_bounce_finds_the_failed_address_of_the_real_dsn():
    from relance.shells.mailroom import bounce_addresses
    assert bounce_addresses(email.message_from_bytes(fixture("bounce.eml", OUR_ID_C2="<x@y>"))) == \
        frozenset({"c2@example.com"})


# ---------------------------------------------------------------- against the IMAP server, both backends

def registre(reg, workdir, imap):
    late = TODAY - timedelta(days=12)
    reg.create([{"invoice": "F2026-001", "client": "C1", "due": late, "amount": Decimal("1200.00")},
                {"invoice": "F2026-003", "client": "C2", "due": late, "amount": Decimal("1000.00")},
                {"invoice": "F2026-005", "client": "C3", "due": late, "amount": Decimal("400.00")}],
               clients=[{"code": "C1", "name": "ACME SAS", "email": "compta@acme.example"},
                        {"code": "C2", "name": "Boulangerie Martin", "email": "c2@example.com",
                         "address": "1 rue du Four, 75006 Paris"},
                        {"code": "C3", "name": "Garage Leroy", "email": "c3@example.com"}])
    with open(workdir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(imap.config())
    first = invoke("run", "--config", workdir / "config.toml", "--date", TODAY)
    assert first.exit_code == 0, first.output
    ids = {r["Client"]: r["Message-ID"] for r in reg.rows("Journal") if r["Statut"] == "envoyé"}
    imap.deliver(fixture("reply.eml", OUR_ID=ids["C1"]))
    imap.deliver(fixture("bounce.eml", OUR_ID_C2=ids["C2"]))
    imap.deliver(fixture("auto-reply.eml", OUR_ID=ids["C3"]))
    imap.deliver(fixture("newsletter.eml"))


def test_replies_bounces_and_auto_replies_change_what_the_next_run_does(reg, workdir, imap):
    registre(reg, workdir, imap)
    config = workdir / "config.toml"
    read = invoke("courrier", "--config", config, "--date", TODAY + timedelta(days=1))
    assert read.exit_code == 0, read.output
    assert "réponses : 1 · réponses automatiques : 1 · adresses en échec : 1" in read.text
    assert "copies ajoutées aux envoyés : 3" in read.text
    journal = {r["Étape"]: r for r in reg.rows("Journal") if r["Auteur"] == "client"}
    assert journal["réponse"]["Client"] == "C1" and "virement a été fait vendredi" in journal["réponse"]["Commentaire"]
    assert journal["adresse invalide"]["Destinataire"] == "c2@example.com"
    assert journal["réponse automatique"]["Statut"] == "reçu"
    reasons = [t["Motif"] for t in reg.rows("Tâches")]
    assert any(r.startswith("Le client a répondu") for r in reasons)
    assert any(r.startswith("Adresse email en échec : c2@example.com") for r in reasons)
    assert imap.subjects("INBOX") == ["Nos offres de novembre"]  # ours moved, the rest left alone
    assert len(imap.subjects("Relance")) == 3 and len(imap.subjects("Sent")) == 3

    again = invoke("courrier", "--config", config, "--date", TODAY + timedelta(days=1))
    assert "réponses : 0" in again.text and "copies ajoutées aux envoyés : 0" in again.text

    later = TODAY + timedelta(days=7)  # Wednesday 02/12: renforcée is due for everyone
    run = invoke("run", "--config", config, "--date", later)
    assert run.exit_code == 0, run.output
    emailed = {r["Client"] for r in reg.rows("Journal") if r["Statut"] == "envoyé" and r["Canal"] == "email"
               and str(r["Clé"]).startswith(later.isoformat())}
    assert emailed == {"C3"}  # C1 answered (paused), C2 bounced (letters), C3's out-of-office changes nothing
    factures = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert "a répondu le 26/11/2026" in factures["F2026-001"]["Prochaine action"]
    assert "adresse en échec" in factures["F2026-003"]["Alerte"]
    letters = [t for t in reg.rows("Tâches") if t["Client"] == "C2" and "par courrier" in t["Motif"]]
    assert letters and "letters/2026-12-02_C2_renforcee.pdf" in letters[0]["Action demandée"]


def test_a_crash_between_the_journal_and_the_move_never_journals_a_reply_twice(reg, workdir, imap):
    from relance.adapters.mailbox import Mailbox
    from relance.core.config import load_policy
    from relance.shells.mailroom import read_mail
    registre(reg, workdir, imap)
    policy = load_policy(workdir / "config.toml")

    class Crashing(Mailbox):
        def move(self, uids, folder):
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        read_mail(policy, today=TODAY, mailbox=Crashing(policy.listen))
    assert len(imap.subjects("INBOX")) == 4  # nothing moved
    report = read_mail(policy, today=TODAY)
    assert report.already == 3 and not report.handled
    rows = [r for r in reg.rows("Journal") if r["Auteur"] == "client"]
    assert sorted(r["Étape"] for r in rows) == ["adresse invalide", "réponse", "réponse automatique"]
    assert len([t for t in reg.rows("Tâches") if t["Motif"].startswith("Le client a répondu")]) == 1


@pytest.mark.slow  # a scale script at its smallest size: once a session (the real date)
def test_the_mailbox_benchmark_runs_at_a_tiny_size():
    from benchmarks.mailbox_1k import main
    figures = main(["--size", "20"])
    assert figures["read"] == 20 and figures["handled"] == {"réponse": 2, "adresse invalide": 1,
                                                           "réponse automatique": 1}
    assert figures["read_again"] == 16 and figures["handled_again"] == 0


def test_mail_older_than_the_look_back_window_is_not_read(imap, workdir):
    from datetime import datetime, timezone

    from relance.adapters.mailbox import Mailbox
    from relance.core.config import load_policy
    with open(workdir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(imap.config())
    policy = load_policy(workdir / "config.toml")
    with imap.box() as box:
        box.append(fixture("newsletter.eml"), "INBOX", dt=datetime(2026, 1, 5, 9, tzinfo=timezone.utc))
        box.append(fixture("reply.eml", OUR_ID="<x@y>"), "INBOX", dt=datetime(2026, 11, 26, 9, tzinfo=timezone.utc))
    with Mailbox(policy.listen) as mailbox:
        read = [parsed(f.data)["Subject"] for f in mailbox.unread("INBOX", TODAY - timedelta(days=60))]
    assert read == ["RE\xa0: Rappel : facture F2026-001 échue"]  # the old newsletter is skipped
