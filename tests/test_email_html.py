"""The HTML part clients see: a real layout, clickable links, the same figures as the text part,
nothing remote, and the transfer block (IBAN + EPC QR) only when an IBAN is configured."""

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from email import message_from_bytes, policy as email_policy

import html5lib
import pytest

from relance.adapters.mailers import to_mime
from relance.core.actions import INSTALMENT_DUE, INSTALMENT_PRE
from relance.core.config import CompanyConfig, Policy
from relance.core.planner import Line, Reminder
from relance.messages.check import sample_reminder
from relance.messages.render import Renderer

from conftest import TODAY, at, client, invoice

STAGES = ["pre", "amiable", "renforcee", "demeure", "recouvrement", INSTALMENT_PRE, INSTALMENT_DUE]
IBAN = "FR76 3000 6000 0112 3456 7890 189"
MONEY = re.compile(r"\d{1,3}(?:\u202f\d{3})*,\d{2}\xa0(?:€|\$US)|(?:€|US\$)\d{1,3}(?:,\d{3})*\.\d{2}")


def parse(html: str):
    """html5lib in strict mode raises on any parse error a mail client would have to guess around."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)


def visible_text(html: str) -> str:
    return " ".join(" ".join(parse(html).find("body").itertext()).split())


def render(reminder, policy=None):
    return Renderer(policy or Policy()).render(reminder, TODAY, at(TODAY))


def two_invoices(stage="amiable", lang="fr", currencies=("EUR", "EUR")):
    c = client("C1", language=lang, contact="Sophie Martin")
    invs = (invoice("F2026-001", due=TODAY - timedelta(days=12), amount="1234.56", currency=currencies[0],
                    payment_link="https://pay.example/F2026-001"),
            invoice("F2026-002", due=TODAY - timedelta(days=3), amount="99.90", currency=currencies[1],
                    payment_link="https://pay.example/F2026-002?x=1&y=2"))
    return Reminder(f"k/{stage}", c, stage, tuple(Line(i, stage, i.days_late(TODAY)) for i in invs), (c.email,))


def with_company(**company):
    return replace(Policy(), company=replace(CompanyConfig(), **company))


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("iban", ["", IBAN])
def test_each_stage_html_parses_links_are_anchors_and_amounts_match_text(stage, lang, iban):
    message = render(sample_reminder(stage, lang, "Standard", TODAY), with_company(iban=iban))
    tree = parse(message.html)  # raises on a parse error
    hrefs = [a.get("href") for a in tree.iter("a")]
    for url in set(re.findall(r"https?://[^\s<>\"]+", message.text)):
        assert url in hrefs, f"{url} is not a link in the HTML part"
    html_text = visible_text(message.html)
    text = " ".join(message.text.split())
    assert sorted(set(MONEY.findall(html_text))) == sorted(set(MONEY.findall(text)))
    assert message.html.count("style=") > 10  # CSS inlined onto the tags (Gmail drops <style>)
    assert tree.find(".//table[@width='600']") is not None


def test_nothing_remote_no_tracking_pixel():
    message = render(two_invoices("renforcee"), with_company(iban=IBAN))
    tree = parse(message.html)
    for element in tree.iter():
        for attribute in ("src", "background", "srcset"):
            value = element.get(attribute)
            assert value is None or value.startswith("cid:"), (element.tag, value)
    assert "<link" not in message.html and "url(" not in message.html and "@import" not in message.html
    assert [i.get("src") for i in tree.iter("img")] == ["cid:qr-virement@relance"]


def test_table_total_in_bold_and_one_pay_button_only_for_a_single_link():
    message = render(two_invoices())
    tree = parse(message.html)
    bold = [" ".join("".join(b.itertext()).split()) for b in tree.iter("strong")]
    assert "1 334,46 €" in [b.replace("\u202f", " ").replace("\xa0", " ") for b in bold]
    assert "Total : 1\u202f334,46\xa0€" in message.text
    assert "class=\"button-link\"" not in message.html  # two links: each line has its own
    single = replace(two_invoices(), lines=two_invoices().lines[:1])
    assert render(single).html.count('class="button-link"') == 1


def test_totals_are_per_currency_never_summed():
    message = render(two_invoices(currencies=("EUR", "USD")), with_company(iban=IBAN))
    html_text = visible_text(message.html)
    assert "Total (EUR)" in html_text and "Total (USD)" in html_text
    assert "1\u202f334,46" not in html_text
    assert "cid:qr-virement@relance" not in message.html  # an EPC QR code is euro-only
    assert "FR76 3000 6000 0112 3456 7890 189" in html_text  # the IBAN still shows


def test_iban_shows_block_and_qr_with_amount_and_invoice_numbers():
    message = render(two_invoices("amiable"), with_company(iban=IBAN, bic="BNPAFRPP"))
    for part in (message.text, visible_text(message.html)):
        assert "FR76 3000 6000 0112 3456 7890 189" in part and "BNPAFRPP" in part
        assert "F2026-001 F2026-002" in part
    [qr] = message.inline
    assert qr.mimetype == "image/png" and qr.content.startswith(b"\x89PNG")
    from relance.messages.html import epc_qr_png
    assert qr.content == epc_qr_png(with_company(iban=IBAN, bic="BNPAFRPP"), Decimal("1334.46"), "F2026-001 F2026-002")
    mime = message_from_bytes(bytes(to_mime(message)), policy=email_policy.default)
    related = [p for p in mime.walk() if p.get_content_type() == "multipart/related"]
    assert related and any(p["Content-ID"] == "<qr-virement@relance>" for p in mime.walk())


def test_no_iban_no_transfer_block():
    message = render(two_invoices())
    assert "IBAN" not in message.text and "IBAN" not in message.html and message.inline == ()


def test_logo_is_embedded_inline(tmp_path):
    from relance.messages.html import epc_qr_png
    logo = tmp_path / "logo.png"
    logo.write_bytes(epc_qr_png(with_company(iban=IBAN), Decimal(1), "x"))  # any PNG will do
    policy = replace(with_company(logo="logo.png"), base_dir=tmp_path)
    message = render(two_invoices(), policy)
    assert 'src="cid:logo@relance"' in message.html
    assert [i.cid for i in message.inline] == ["logo@relance"]


def test_formal_notice_email_has_no_objet_line_in_its_body():
    message = render(two_invoices("demeure"))
    assert "Objet" not in message.text and "Objet" not in visible_text(message.html)
    assert "mettons en demeure" in message.text


def test_client_data_is_escaped_in_html():
    reminder = two_invoices()
    reminder = replace(reminder, client=replace(reminder.client, contact="<b>x</b>"))
    message = render(reminder)
    assert "<b>x</b>" not in message.html and "&lt;b&gt;x&lt;/b&gt;" in message.html
