"""One conformance suite per adapter Protocol: both backends (xlsx, Google Sheets through the fake
server) do everything `Backend` declares, both mailers (outbox, SMTP against a local server) do
everything `Mailer` declares. The runner relies on exactly these members and probes for nothing."""

import inspect
from datetime import timedelta
from decimal import Decimal

import pytest
from tenacity import wait_none

from relance.adapters.backends import Backend, BackendError, Changes
from relance.adapters.lock import RunLocked
from relance.adapters.mailers import Mailer, Message, SendReceipt
from relance.adapters.mailers.outbox import OutboxMailer
from relance.adapters.mailers.smtp import SmtpMailer, SmtpSettings

from conftest import TODAY, at
from smtp_fake import SmtpServer


def protocol_members(protocol) -> set[str]:
    """Methods and attributes a Protocol declares (its own, not object's)."""
    own = {n for n, v in vars(protocol).items() if not n.startswith("_") and inspect.isfunction(v)}
    return own | set(getattr(protocol, "__annotations__", {}))


# ------------------------------------------------------------------ backends
@pytest.fixture
def backend(reg):
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY, "amount": Decimal(100)}])
    return reg.backend()


def test_backend_declares_what_the_runner_uses():
    assert protocol_members(Backend) >= {"description", "notes", "can_redact", "load", "reread", "apply",
                                         "run_lock", "redact"}


def test_backend_has_every_protocol_member(backend):
    for name in protocol_members(Backend):
        assert hasattr(backend, name), name
    assert isinstance(backend.description, str) and backend.description
    assert isinstance(backend.notes, list) and isinstance(backend.can_redact, bool)


def test_backend_load_reread_and_apply(backend):
    tabs = backend.load()
    assert {"Factures", "Clients", "Journal", "Tâches"} <= set(tabs)
    assert backend.reread("Factures").rows == tabs["Factures"].rows
    assert backend.reread("Onglet inconnu") is None
    row = {"timestamp": at(TODAY), "invoice": "F1", "client": "C1", "stage": "amiable", "channel": "email",
           "status": "sent", "key": "2026-11-25/C1/amiable", "author": "relance"}
    report = backend.apply(Changes(invoices={"F1": {"next_action": "Relance amiable : 26/11/2026"},
                                             "F9": {"next_action": "x"}}, journal=(row,)))
    assert report.missing_invoices == ("F9",)  # a key found nowhere is reported, never written elsewhere
    after = backend.load()
    assert len(after["Journal"].rows) == len(tabs["Journal"].rows) + 1
    header = list(after["Factures"].rows[0])
    assert after["Factures"].rows[1][header.index("Prochaine action")] == "Relance amiable : 26/11/2026"


def test_backend_run_lock_keeps_a_second_run_out(backend, reg):
    first = backend.run_lock("julie@poste-compta pid 1", timedelta(minutes=5))
    first.acquire()
    try:
        with pytest.raises(RunLocked):
            reg.backend().run_lock("paul@poste-compta pid 2", timedelta(minutes=5)).acquire()
    finally:
        first.release()
    again = reg.backend().run_lock("paul@poste-compta pid 2", timedelta(minutes=5))
    again.acquire()
    again.release()


def test_backend_redact_erases_or_refuses_in_one_sentence(backend, reg):
    from relance.documents.anonymise import Redaction
    todo = [Redaction("Clients", "code", "C1", {"email": ""})]
    if backend.can_redact:
        assert backend.redact(todo) == 1
        assert reg.rows("Clients")[0]["Email"] is None
    else:
        with pytest.raises(BackendError, match="xlsx"):
            backend.redact(todo)
        assert reg.rows("Clients")[0]["Email"] == "c1@example.com"


# ------------------------------------------------------------------ mailers
@pytest.fixture(params=["outbox", "smtp"])
def mailer(request, tmp_path):
    if request.param == "outbox":
        yield OutboxMailer(tmp_path / "outbox")
        return
    with SmtpServer(auth=True) as server:
        yield SmtpMailer(SmtpSettings("127.0.0.1", server.port, "compta@example.fr", "none"), "s3cret",
                         outbox=tmp_path / "outbox", wait=wait_none())


def message(n: int = 1) -> Message:
    return Message(key=f"2026-11-25/C{n}/amiable", message_id=f"<m{n}@example.fr>", sender="compta@example.fr",
                   to=(f"c{n}@example.com",), subject=f"Facture F{n}", text="Bonjour\n", html="<p>Bonjour</p>",
                   date=at(TODAY), client=f"C{n}", invoices=(f"F{n}",), stage="amiable")


def test_mailer_declares_what_the_runner_uses():
    assert protocol_members(Mailer) >= {"folder", "send", "was_sent", "close"}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # aiosmtpd's own login_data notice
def test_mailer_sends_keeps_a_copy_vouches_for_it_and_closes(mailer, tmp_path):
    for name in protocol_members(Mailer):
        assert hasattr(mailer, name), name
    assert mailer.was_sent("<m1@example.fr>", "2026-11-25/C1/amiable") in (False, None)  # nothing sent yet
    receipt = mailer.send(message())
    assert isinstance(receipt, SendReceipt) and receipt.message_id == "<m1@example.fr>"
    assert mailer.was_sent("<m1@example.fr>", "2026-11-25/C1/amiable") is True  # its .eml copy vouches
    assert mailer.folder == tmp_path / "outbox" and len(list(mailer.folder.glob("*.eml"))) == 1
    mailer.close()
    mailer.close()  # twice is harmless: the runner closes in a finally
