"""What a message carries besides its text: PDFs found by invoice number, and a From with a name."""

import pytest

from relance.adapters.attachments import safe_name, with_invoices
from relance.core.config import MailConfig, PathsConfig, Policy
from relance.adapters.mailers import Attachment, Message
from relance.messages.render import sender

from conftest import TODAY, at


@pytest.fixture
def folders(tmp_path):
    policy = Policy(paths=PathsConfig(invoices="factures"), base_dir=tmp_path)
    (tmp_path / "factures").mkdir()
    return policy, tmp_path


@pytest.mark.parametrize("number, name", [("F2026-101", "F2026-101"), ("F2026/101", "F2026_101"),
                                          ("../../etc/passwd", "etc_passwd"), (" FA 12 ", "FA_12"),
                                          ("..", "_")])
def test_invoice_numbers_become_plain_file_names(number, name):
    assert safe_name(number) == name


def message_for(*numbers, attachments=()):
    return Message(key="2026-11-25/C1/amiable", message_id="<m@x>", sender="compta@example.fr",
                   to=("c1@example.com",), subject="Relance", text="t", html="h", date=at(TODAY), client="C1",
                   invoices=numbers, stage="amiable", attachments=attachments)


def test_each_invoice_pdf_that_exists_is_attached_and_carried_attachments_are_kept(folders):
    policy, root = folders
    (root / "factures" / "F1.pdf").write_bytes(b"%PDF F1")
    (root / "factures" / "F2026_7.pdf").write_bytes(b"%PDF F7")
    letter = Attachment("2026-11-25_C1_mise-en-demeure.pdf", b"%PDF lettre")
    message, problems = with_invoices(message_for("F1", "F2026/7", "F9", attachments=(letter,)), policy)
    assert [(a.filename, a.content, a.mimetype) for a in message.attachments] == [
        ("2026-11-25_C1_mise-en-demeure.pdf", b"%PDF lettre", "application/pdf"),
        ("F1.pdf", b"%PDF F1", "application/pdf"), ("F2026_7.pdf", b"%PDF F7", "application/pdf")]
    assert problems == []
    untouched = message_for("F404")
    assert with_invoices(untouched, policy) == (untouched, [])


@pytest.mark.parametrize("configured, shown", [
    ("compta@example.fr", "Atelier Dupont SARL <compta@example.fr>"),
    ("Service comptable <compta@example.fr>", "Service comptable <compta@example.fr>"),
])
def test_from_always_shows_a_name(configured, shown):
    assert sender(Policy(mail=MailConfig(sender=configured))) == shown
