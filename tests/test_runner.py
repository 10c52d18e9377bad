"""End to end on a register and the outbox: idempotence, bad input, recovery.

Every test runs twice, on an .xlsx register and on the same register in the local fake
Google Sheets server (`reg` fixture, tests/registers.py), and must give the same results."""

import email
import signal

import pytest
from datetime import timedelta
from decimal import Decimal
from email import policy as email_policy

from relance import runner

from relance.core.statuses import FAILED, SENT

from conftest import TODAY, at, status_codes


def inv(number, client="C1", late=3, amount="100.00", **kw):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=late), "amount": Decimal(amount), **kw}


def eml(path):
    with open(path, "rb") as handle:
        return email.message_from_binary_file(handle, policy=email_policy.default)


def run(policy, **kw):
    kw.setdefault("today", TODAY)
    kw.setdefault("now", at(TODAY))
    return runner.run(policy, **kw)


def test_a_run_sends_writes_back_and_a_second_run_sends_nothing(reg, workdir):
    reg.create([inv("F1"), inv("F2", late=10), inv("F3", client="C2"), inv("F4", late=-20)])
    first = run(reg.policy)
    assert sorted(m.key for m in first.sent) == ["2026-11-25/C1/amiable", "2026-11-25/C2/amiable"]
    files = sorted((workdir / "outbox").glob("*.eml"))
    assert len(files) == 2
    message = eml(files[0])
    assert message.get_body(("plain",)) and message.get_body(("html",))
    assert message["Message-ID"] == first.sent[0].message_id

    factures = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert factures["F1"]["Étape"] == "Relance amiable" and factures["F1"]["Relances envoyées"] == 1
    assert factures["F1"]["Dernière relance"] is not None
    assert factures["F1"]["Prochaine action"] == "Relance renforcée prévue le 02/12/2026"  # J+3 + the ladder's 7 days
    assert factures["F4"]["Étape"] is None and "Pré-relance prévue le" in factures["F4"]["Prochaine action"]
    journal = reg.rows("Journal")
    assert status_codes(r["Statut"] for r in journal) == ["pending"] * 3 + ["sent"] * 3
    assert {r["Clé"] for r in journal} == {"2026-11-25/C1/amiable", "2026-11-25/C2/amiable"}

    second = run(reg.policy, now=at(TODAY, 15))
    assert second.sent == [] and len(list((workdir / "outbox").glob("*.eml"))) == 2
    assert len(reg.rows("Journal")) == 6


def test_bad_rows_are_reported_in_alerte_and_the_rest_still_runs(reg):
    clients = [{"code": "C1", "email": "c1@example.com"}, {"code": "C2", "email": ""},
               {"code": "C3", "email": "pas-un-email"}]
    reg.create([inv("F1"), {**inv("F2"), "due": "31/02/2026"}, {**inv("F3"), "amount": "-5"},
                            inv("F4", client="C404"), inv("F5", client="C2"), inv("F6"), inv("F6", late=5),
                            inv("F7", client="C3")], clients=clients)
    report = run(reg.policy)
    assert [m.invoices for m in report.sent] == [("F1",)]
    alerts = {r["N° facture"]: r["Alerte"] or "" for r in reg.rows("Factures")}
    assert "Factures!D3 (Échéance): date illisible « 31/02/2026 »" in alerts["F2"]
    assert "Factures!E4 (Montant TTC): montant négatif" in alerts["F3"]
    assert "client inconnu « C404 »" in alerts["F4"]
    assert "sans email" in alerts["F5"]
    assert "en double (lignes 7, 8)" in alerts["F6"]
    assert "Clients!D4 (Email): adresse email invalide" in alerts["F7"]
    # F1 is healthy: its only alert is the 2026-H2 ECB rate, unconfirmed in the packaged table (no guess)
    assert alerts["F1"].startswith("intérêts à parfaire : taux BCE 2026-H2 non confirmé") and " | " not in alerts["F1"]
    printed = [str(p) for p in report.problems]
    assert any(p.startswith("Factures!D3 (Échéance)") for p in printed)


def test_dry_run_writes_only_to_the_outbox(reg, workdir):
    reg.create([inv("F1")])
    before = reg.snapshot()
    report = run(reg.policy, dry_run=True)
    assert len(report.sent) == 1
    assert reg.snapshot() == before
    assert len(list((workdir / "outbox" / "dry-run").glob("*.eml"))) == 1
    assert not list((workdir / "outbox").glob("*.eml"))


def test_outside_the_send_window_nothing_leaves(reg):
    reg.create([inv("F1")])
    report = run(reg.policy, now=at(TODAY, 20))
    assert report.sent == [] and any("prochain créneau : 26/11/2026 09:00" in n for n in report.notes)


def test_a_run_killed_after_pending_is_finished_by_the_next(reg, workdir):
    """Pending rows whose .eml exists become sent; those never written are planned again."""
    reg.create([inv("F1"), inv("F2", client="C2")])
    backend = reg.backend()

    class Crash(Exception):
        pass

    class CrashingMailer:
        def __init__(self, inner):
            self.inner, self.count, self.folder = inner, 0, inner.folder

        def send(self, message):
            if self.count == 1:
                raise Crash()
            self.count += 1
            return self.inner.send(message)

        def was_sent(self, mid, key):
            return self.inner.was_sent(mid, key)

        def close(self):
            pass

    from relance.adapters.mailers.outbox import OutboxMailer
    try:
        run(reg.policy, backend=backend, mailer=CrashingMailer(OutboxMailer(workdir / "outbox")))
    except Crash:
        pass
    assert status_codes(r["Statut"] for r in reg.rows("Journal")) == ["pending", "pending"]
    report = run(reg.policy, now=at(TODAY, 11))
    assert [m.client for m in report.sent] == ["C2"]  # only the one that never left
    assert any(f"→ {SENT}" in n for n in report.notes) and any(f"→ {FAILED}" in n for n in report.notes)
    assert len(list((workdir / "outbox").glob("*.eml"))) == 2
    statuses = list(zip([r["Client"] for r in reg.rows("Journal")], status_codes(r["Statut"] for r in reg.rows("Journal"))))
    assert statuses.count(("C1", "sent")) == 1 and statuses.count(("C2", "sent")) == 1


def test_uncertain_send_is_never_counted_as_sent_asks_a_human_and_holds_the_ladder(reg, workdir):
    reg.create([inv("F1")], journal=[{
        "timestamp": at(TODAY, 9), "invoice": "F1", "client": "C1", "stage": "amiable", "channel": "email",
        "status": "pending", "key": "2026-11-25/C1/amiable", "message_id": "<x@y>", "author": "bot"}])

    class Unsure:
        folder = workdir / "outbox"

        def send(self, message):
            raise AssertionError("must not send again")

        def was_sent(self, mid, key):
            return None

        def close(self):
            pass

    report = run(reg.policy, mailer=Unsure())
    assert report.sent == []
    tasks = reg.rows("Tâches")
    assert len(tasks) == 1 and "incertain" in tasks[0]["Motif"]
    rows = reg.rows("Journal")
    assert [r["Statut"] for r in rows if r["Canal"] == "email"] == ["pending", "incertain"]  # no proof it left
    later = TODAY + timedelta(days=10)  # renforcée would be due: the ladder waits for a human
    report = run(reg.policy, today=later, now=at(later), mailer=Unsure())
    assert report.sent == [] and "envoi incertain" in report.plan.states["F1"].alert
    assert reg.rows("Factures")[0]["Étape"] in (None, "")  # not counted as amiable sent


def test_test_mode_sends_everything_to_the_sandbox_without_advancing_the_ladder(reg, workdir):
    from dataclasses import replace
    reg.create([inv("F1"), inv("F2", client="C2")])
    policy = replace(reg.policy, mail=replace(reg.policy.mail, test_recipient="sandbox@example.fr"))
    report = run(policy)
    assert {m.to for m in report.sent} == {("sandbox@example.fr",)}
    assert all(m.subject.startswith("[TEST] ") for m in report.sent)
    assert all(message["To"] == "sandbox@example.fr" for message in map(eml, (workdir / "outbox").glob("*.eml")))
    factures = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert factures["F1"]["Étape"] is None and factures["F1"]["Relances envoyées"] == 0
    assert run(policy, now=at(TODAY, 12)).sent == []  # idempotent in test mode too
    assert len(run(reg.policy, now=at(TODAY, 13)).sent) == 2  # the real ladder is intact


def test_a_client_without_email_gets_a_letter_and_a_call_or_post_task(reg):
    import pypdf
    reg.create([inv("F1", "C1")], clients=[{"code": "C1", "name": "Menuiserie Petit", "email": "",
                                              "address": "3 rue du Bois, 69002 Lyon"}])
    report = run(reg.policy)
    assert report.sent == []
    task = reg.rows("Tâches")[0]
    assert "courrier ou téléphone" in task["Motif"] and "courrier : letters/2026-11-25_C1_amiable.pdf" in task[
        "Action demandée"]
    pdf = reg.workdir / "letters" / "2026-11-25_C1_amiable.pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    assert "Menuiserie Petit" in text and "3 rue du Bois" in text and "F1" in text
    assert any(r["Canal"] == "tâche" and r["Étape"] == "amiable" for r in reg.rows("Journal"))


def test_an_instalment_reminder_goes_once_and_is_journaled_with_its_number(workdir, workdir_policy):
    import openpyxl
    from conftest import sheet_rows, xlsx_register
    path = xlsx_register(workdir, [inv("F1", late=40, amount="3000.00", status="Échéancier")])
    wb = openpyxl.load_workbook(path)
    wb["Échéanciers"].append(["F1", 1, TODAY - timedelta(days=2), 1000, "Non"])
    wb.save(path)
    first = run(workdir_policy)
    assert [m.stage for m in first.sent] == ["echeance"]
    assert {r["Étape"] for r in sheet_rows(path, "Journal")} == {f"echeance:1@{TODAY - timedelta(days=2)}"}
    later = run(workdir_policy, today=TODAY + timedelta(days=5), now=at(TODAY + timedelta(days=5)))
    assert later.sent == []  # the same instalment is not reminded again (missed after 10 days: then a task)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_term_while_sending_finishes_the_message_sends_no_other_and_says_so(reg, workdir, signum):
    """A staff member's Ctrl-C, a scheduler's TERM: the message in flight completes and is journaled
    « envoyé », the others are journaled « échec » and go with the next run, never twice."""
    import os
    from relance.adapters.mailers.outbox import OutboxMailer
    reg.create([inv("F1"), inv("F2", client="C2"), inv("F3", client="C3")])

    class Interrupted(OutboxMailer):
        def send(self, message):
            receipt = super().send(message)
            os.kill(os.getpid(), signum)  # delivered while this message is being recorded
            return receipt

    report = run(reg.policy, mailer=Interrupted(workdir / "outbox"))
    assert [m.client for m in report.sent] == ["C1"] and [m.client for m, _ in report.failed] == ["C2", "C3"]
    assert report.notes[0].startswith("passage interrompu (")
    assert "1 message(s) parti(s) avant, 2 non envoyé(s)" in report.notes[0]
    assert status_codes(r["Statut"] for r in reg.rows("Journal")) == ["pending"] * 3 + ["sent", "failed", "failed"]
    later = run(reg.policy, now=at(TODAY, 11))
    assert sorted(m.client for m in later.sent) == ["C2", "C3"]
    assert len(list((workdir / "outbox").glob("*.eml"))) == 3  # each client once


def test_the_previous_signal_handlers_are_back_after_a_run(reg):
    reg.create([inv("F1")])
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    run(reg.policy)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
