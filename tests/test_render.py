"""Templates: both languages, tone by segment, safety of the sandbox."""

from dataclasses import replace
from datetime import timedelta

import pytest

from relance.messages.check import check_templates
from relance.core.config import PathsConfig, Policy
from relance.core.planner import Line, Reminder
from relance.messages.render import Renderer, RenderError

from conftest import TODAY, at, client, invoice


def render(reminder, policy=None):
    return Renderer(policy or Policy()).render(reminder, TODAY, at(TODAY))


def one(stage="amiable", lang="fr", segment="Standard", **client_kw):
    c = client("C1", language=lang, segment=segment, contact="Sophie Martin", **client_kw)
    inv = invoice("F2026-001", due=TODAY - timedelta(days=12), amount="1234.56",
                  payment_link="https://pay.example/F2026-001")
    return Reminder(f"2026-11-25/C1/{stage}", c, stage, (Line(inv, stage, 12),), (c.email,))


@pytest.mark.parametrize("stage", ["pre", "amiable", "renforcee", "demeure", "recouvrement"])
@pytest.mark.parametrize("lang, money_text, date_text", [("fr", "1\u202f234,56\xa0€", "13/11/2026"),
                                                         ("en", "€1,234.56", "13/11/2026")])
def test_every_stage_in_both_languages_has_the_essentials(stage, lang, money_text, date_text):
    message = render(one(stage, lang))
    for part in (message.text, message.html):
        assert "F2026-001" in part
        assert money_text in part
        assert date_text in part
        assert "12 " in part  # days late
        assert "https://pay.example/F2026-001" in part
    assert "F2026-001" in message.subject
    assert message.html.lstrip().startswith("<!DOCTYPE html>")


def test_tone_follows_the_segment():
    assert "Bonjour Sophie Martin" in render(one(segment="Particulier")).text
    assert "sans doute par simple oubli" in render(one(segment="Stratégique")).text
    assert "Sauf erreur de notre part, le règlement" in render(one(segment="Standard")).text


def test_consumers_never_see_the_40_euro_indemnity():
    assert "40,00" in render(one("renforcee")).text
    consumer = render(one("renforcee", segment="Particulier", b2b=False)).text
    assert "40,00" not in consumer and "indemnité" not in consumer


def test_formal_notice_states_deadline_and_court_action():
    text = render(one("demeure")).text
    assert "mettons en demeure" in text
    assert "Objet" not in text  # the subject header says it; the body keeps the letter's tone
    assert "3 décembre 2026" in text  # today + 8 days
    assert "injonction de payer" in text


def test_consolidated_message_lists_each_invoice_and_the_total():
    c = client("C1")
    lines = (Line(invoice("F1", due=TODAY - timedelta(days=9), amount="100"), "renforcee", 9),
             Line(invoice("F2", due=TODAY - timedelta(days=2), amount="50.5"), "amiable", 2))
    text = render(Reminder("k", c, "renforcee", lines, (c.email,))).text
    assert "F1" in text and "F2" in text and "9 jours" in text and "2 jours" in text
    assert "Total : 150,50\xa0€" in text


def test_sheet_values_are_data_never_template_code():
    evil = one(segment="Particulier")  # the greeting prints the client's name
    evil = replace(evil, client=replace(evil.client, name="{{ 7*7 }} <script>alert(1)</script>", contact=""))
    message = render(evil)
    assert "{{ 7*7 }}" in message.text and "49" not in message.text
    assert "&lt;script&gt;" in message.html and "<script>" not in message.html


def test_deterministic_message_id_and_threading():
    first = render(one())
    again = render(one())
    assert first.message_id == again.message_id and first.message_id.endswith("@example.fr>")
    threaded = render(replace(one(), references=("<a@x>", "<b@x>")))
    assert threaded.in_reply_to == "<b@x>" and threaded.references == ("<a@x>", "<b@x>")


def test_staff_templates_override_and_errors_name_file_and_line(tmp_path):
    policy = replace(Policy(), base_dir=tmp_path, paths=PathsConfig(templates="tpl"))
    (tmp_path / "tpl" / "fr").mkdir(parents=True)
    (tmp_path / "tpl" / "fr" / "amiable.subject.j2").write_text("Rappel {{ invoice.number }}", encoding="utf-8")
    assert render(one(), policy).subject == "Rappel F2026-001"
    (tmp_path / "tpl" / "fr" / "amiable.txt.j2").write_text("Bonjour\n\n{{ invoice.numero }}\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"fr/amiable.txt.j2:3"):
        render(one(), policy)
    (tmp_path / "tpl" / "fr" / "amiable.txt.j2").write_text("Bonjour {% if %}\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"amiable.txt.j2:1"):
        render(one(), policy)
    problems = check_templates(policy)
    assert any("amiable.txt.j2:1" in str(p) for p in problems)


def test_sandbox_refuses_unsafe_attribute_access(tmp_path):
    policy = replace(Policy(), base_dir=tmp_path, paths=PathsConfig(templates="tpl"))
    (tmp_path / "tpl" / "fr").mkdir(parents=True)
    (tmp_path / "tpl" / "fr" / "amiable.txt.j2").write_text(
        "{{ invoice.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(RenderError):
        render(one(), policy)


def test_packaged_templates_pass_the_check():
    assert check_templates(Policy()) == []


def test_subject_cannot_carry_a_header_injection():
    evil = replace(one(), client=replace(one().client, name="X\r\nBcc: victim@example.com"))
    message = render(evil)
    assert "\n" not in message.subject and "\r" not in message.subject


def test_a_segment_can_have_its_own_template(tmp_path):
    policy = replace(Policy(), base_dir=tmp_path, paths=PathsConfig(templates="tpl"))
    (tmp_path / "tpl" / "fr").mkdir(parents=True)
    (tmp_path / "tpl" / "fr" / "amiable.strategique.txt.j2").write_text("Cher partenaire, {{ invoice.number }}",
                                                                        encoding="utf-8")
    assert render(one(segment="Stratégique"), policy).text.startswith("Cher partenaire, F2026-001")
    assert "Cher partenaire" not in render(one(segment="Standard"), policy).text


def test_a_template_edited_between_two_runs_of_one_process_is_compiled_afresh(tmp_path):
    """Compiled templates are shared across renderers (render.COMPILED): an edit must still show,
    and two folders holding a template of the same name never borrow each other's code."""
    first, second = (replace(Policy(), base_dir=tmp_path / d, paths=PathsConfig(templates="tpl")) for d in "ab")
    for policy, word in ((first, "Rappel"), (second, "Relance")):
        folder = policy.base_dir / "tpl" / "fr"
        folder.mkdir(parents=True)
        (folder / "amiable.subject.j2").write_text(word + " {{ invoice.number }}", encoding="utf-8")
    assert render(one(), first).subject == "Rappel F2026-001"
    assert render(one(), second).subject == "Relance F2026-001"
    (first.base_dir / "tpl" / "fr" / "amiable.subject.j2").write_text("Facture {{ invoice.number }} due",
                                                                       encoding="utf-8")
    assert render(one(), first).subject == "Facture F2026-001 due"
    assert render(one(), second).subject == "Relance F2026-001"
