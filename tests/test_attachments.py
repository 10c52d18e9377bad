"""What a message carries besides its text: PDFs found by invoice number, and a From with a name."""

from dataclasses import replace
from datetime import timedelta

import pytest

from relance.attachments import attachments_for, letter_pdf, safe_name, with_attachments
from relance.config import MailConfig, PathsConfig, Policy
from relance.planner import Line, Reminder
from relance.render import Renderer, sender

from conftest import TODAY, at, client, invoice


@pytest.fixture
def folders(tmp_path):
    policy = Policy(paths=PathsConfig(invoices="factures", letters="letters"), base_dir=tmp_path)
    (tmp_path / "factures").mkdir()
    (tmp_path / "letters").mkdir()
    return policy, tmp_path


@pytest.mark.parametrize("number, name", [("F2026-101", "F2026-101"), ("F2026/101", "F2026_101"),
                                          ("../../etc/passwd", "etc_passwd"), (" FA 12 ", "FA_12"),
                                          ("..", "_")])
def test_invoice_numbers_become_plain_file_names(number, name):
    assert safe_name(number) == name


def test_each_invoice_pdf_that_exists_is_attached_and_letters_only_at_the_letter_stage(folders):
    policy, root = folders
    (root / "factures" / "F1.pdf").write_bytes(b"%PDF F1")
    (root / "factures" / "F2026_7.pdf").write_bytes(b"%PDF F7")
    (root / "letters" / "F1-demeure.pdf").write_bytes(b"%PDF lettre F1")
    (root / "letters" / "F3-demeure.pdf").write_bytes(b"%PDF lettre F3")
    found = attachments_for(policy, {"F1": "demeure", "F2026/7": "amiable", "F3": "renforcee", "F9": "amiable"})
    assert [(a.filename, a.content, a.mimetype) for a in found] == [
        ("F1.pdf", b"%PDF F1", "application/pdf"), ("F1-demeure.pdf", b"%PDF lettre F1", "application/pdf"),
        ("F2026_7.pdf", b"%PDF F7", "application/pdf")]
    assert letter_pdf(policy, "F3", "demeure") == root / "letters" / "F3-demeure.pdf"


def test_attachments_a_message_already_carries_are_kept(folders):
    policy, root = folders
    (root / "factures" / "F1.pdf").write_bytes(b"%PDF F1")
    reminder = Reminder("2026-11-25/C1/amiable", client("C1"), "amiable",
                        (Line(invoice("F1", due=TODAY - timedelta(days=2)), "amiable", 2),), ("c1@example.com",))
    message = Renderer(policy).render(reminder, TODAY, at(TODAY))
    from relance.mailers import Attachment
    carried = replace(message, attachments=(Attachment("lettre.pdf", b"%PDF"),))
    assert [a.filename for a in with_attachments(carried, policy, {"F1": "amiable"}).attachments] == [
        "lettre.pdf", "F1.pdf"]
    assert with_attachments(message, policy, {"F404": "amiable"}) is message


@pytest.mark.parametrize("configured, shown", [
    ("compta@example.fr", "Atelier Dupont SARL <compta@example.fr>"),
    ("Service comptable <compta@example.fr>", "Service comptable <compta@example.fr>"),
])
def test_from_always_shows_a_name(configured, shown):
    assert sender(Policy(mail=MailConfig(sender=configured))) == shown
