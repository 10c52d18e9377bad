"""The letter for a client without email is written for paper (documents/postal.py)."""

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from relance.core.config import policy_from_dict
from relance.core.model import Instalment
from relance.core.planner import Line, Reminder
from relance.documents.postal import reminder_letter
from relance.messages.render import Renderer

from conftest import TODAY, at, client, invoice

POLICY = policy_from_dict({"company": {"phone": "04 72 00 00 00"}})


def letter_text(stage, lang="fr"):
    c = client("C7", email="", language=lang, contact="Luc Petit", address="16 avenue de la République, 69002 Lyon")
    inv = invoice("F7", client="C7", due=TODAY - timedelta(days=12), issued=TODAY - timedelta(days=40))
    instalment = Instalment("F7", 2, TODAY - timedelta(days=2), inv.amount) if stage.startswith("echeance") else None
    reminder = Reminder(f"k/{stage}", c, stage, (Line(inv, stage, 12, instalment),), ())
    content = reminder_letter(POLICY, Renderer(POLICY), reminder, TODAY).content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("stage", ["pre", "amiable", "renforcee", "echeance", "echeance_pre", "demeure"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_paper_letter_reads_as_a_letter(stage, lang):
    text = letter_text(stage, lang)
    flat = " ".join(text.split())
    assert "email" not in flat.replace("compta@example.fr", "").lower()  # no "répondez à cet email", no "PDF joint"
    assert "message" not in flat.lower() and "PDF" not in flat
    assert flat.count(POLICY.company.name) == 3  # letterhead, signature block, footer: never an email signature
    assert flat.count("12 rue de la Paix") == 1
    assert flat.count("Signature") == 1 and ("Bien cordialement" in flat or "Kind regards" in flat)
    assert "Atelier Dupont SARL –" not in flat.replace("Atelier Dupont SARL – SIREN", "")  # subject without it
    for line in text.splitlines():
        assert re.search(r"\w", line) or not line.strip(), f"stranded punctuation: {line!r}"
    if stage in ("amiable", "renforcee", "echeance"):
        assert "04 72 00 00 00 ou à compta@example.fr" in flat or "04 72 00 00 00 or at compta@example.fr" in flat


def test_the_email_keeps_its_email_wording():
    c = client("C1")
    reminder = Reminder("k", c, "amiable", (Line(invoice("F1", due=TODAY - timedelta(days=3)), "amiable", 3),),
                        (c.email,))
    text = Renderer(POLICY).render(reminder, TODAY, at(TODAY)).text
    assert "répondez simplement à cet email" in text and "Le service comptabilité" in text


def test_characters_the_letter_font_cannot_write_are_said_not_silently_dropped():
    """A client named in Chinese: DejaVu has no CJK glyphs, so the PDF would hold blanks; the letter says which
    characters are missing (issue 15 item 16), and a latin name gives no warning."""
    from relance.documents.letters import missing_characters, new_pdf, writer
    from relance.core.config import Policy
    pdf = new_pdf(Policy(), "t", "s", date(2026, 11, 25))
    writer(pdf)("Société 北京贸易 — café ✓")
    pdf.output()
    [warning] = missing_characters(pdf)
    assert "北" in warning and "京" in warning and "é" not in warning.split(":")[1].split("—")[0]
    latin = new_pdf(Policy(), "t", "s", date(2026, 11, 25))
    writer(latin)("Société Dupont — café")
    latin.output()
    assert missing_characters(latin) == []
