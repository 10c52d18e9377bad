"""The formal-notice PDF as the client reads it: signature never alone, legal footer, signatory,
deadline from receipt, IBAN + QR code when configured."""

import io
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from relance.core.config import CompanyConfig, Policy
from relance.documents.letters import formal_notice

from conftest import client, invoice

DAY = date(2025, 7, 20)
IBAN = "FR7630006000011234567890189"


def pages(content: bytes) -> list[str]:
    return [" ".join(p.extract_text().replace("\u202f", " ").replace("\xa0", " ").split())
            for p in PdfReader(io.BytesIO(content)).pages]


def debtor(language="fr"):
    return client("C010", name="Café de la Gare", address="3 place de la Gare, 69002 Lyon", siren="987654321",
                  language=language)


def invoices(n):
    return [invoice(f"F{k:03d}", client="C010", due=date(2025, 6, 15) - timedelta(days=k), amount="1000.00",
                    issued=date(2025, 5, 15)) for k in range(n)]


def company(**kw):
    return replace(Policy(), company=replace(CompanyConfig(), **kw))


@pytest.mark.parametrize("iban", ["", IBAN])
def test_signature_block_never_stands_alone_on_a_page(iban):
    policy = company(iban=iban)
    for n in (1, 2, 8, 9, 10, 17, 18, 19):  # around each page break (the signature was alone at 1, 9 and 18)
        text = pages(formal_notice(policy, debtor(), invoices(n), DAY).content)
        [page] = [p for p in text if "Signature :" in p]
        assert "salutations distinguées" in page, n
        assert "Pour Atelier Dupont SARL" in page, n


@pytest.mark.parametrize("iban, counts", [("", (1, 8, 16)), (IBAN, (7, 15))])
def test_english_signature_block_never_stands_alone_on_a_page(iban, counts):
    policy = company(iban=iban)
    for n in counts:  # where the English closing words and signature are pushed to the next page together
        text = pages(formal_notice(policy, debtor("en"), invoices(n), DAY).content)
        [page] = [p for p in text if "Signature:" in p]
        assert page.startswith("This letter constitutes formal notice"), n
        assert "Yours faithfully," in page and "For Atelier Dupont SARL" in page, n


def test_footer_has_legal_mentions_and_signatory_is_configurable():
    policy = company(legal_form="SARL", capital="10 000 €", rcs="RCS Paris 123 456 789", vat="FR12123456789",
                     signatory="Claire Dupont", signatory_title="Gérante")
    text = pages(formal_notice(policy, debtor(), invoices(1), DAY).content)
    assert "Atelier Dupont SARL au capital de 10 000 € – RCS Paris 123 456 789" in text[0]
    assert "TVA FR12123456789" in text[0]
    assert "Claire Dupont Gérante" in text[-1]
    assert "Le service comptabilité" not in text[-1]


def test_deadline_runs_from_receipt():
    text = " ".join(pages(formal_notice(Policy(), debtor(), invoices(1), DAY).content))
    assert "sous huit jours à compter de la réception de la présente" in text
    assert "au plus tard le" not in text


def test_iban_and_qr_code_only_when_configured():
    without = formal_notice(Policy(), debtor(), invoices(2), DAY).content
    assert "IBAN" not in " ".join(pages(without)) and b"/Subtype /Image" not in without
    letter = formal_notice(company(iban=IBAN, bic="BNPAFRPP"), debtor(), invoices(2), DAY).content
    text = " ".join(pages(letter))
    assert "IBAN : FR76 3000 6000 0112 3456 7890 189" in text and "BIC : BNPAFRPP" in text
    assert "Référence : F000 F001" in text
    assert b"/Subtype /Image" in letter


def test_check_validates_iban_bic_and_logo(workdir):
    from typer.testing import CliRunner
    from relance.cli import app
    from conftest import xlsx_register
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": DAY, "amount": "1"}])
    config = workdir / "config.toml"
    text = config.read_text(encoding="utf-8")
    bad = re.sub(r"\[company\][^\n]*\n", lambda _: '[company]\niban = "FR76 3000 6000 0112 3456 7890 188"\nbic = "ZZ"\nlogo = "logo.png"\n', text, count=1)
    config.write_text(bad, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--config", str(config)])
    out = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "n'est pas un IBAN valide" in out and "n'est pas un BIC valide" in out and "logo : fichier introuvable" in out
    good = re.sub(r"\[company\][^\n]*\n", lambda _: f'[company]\niban = "{IBAN}"\n', text, count=1)
    config.write_text(good, encoding="utf-8")
    assert "IBAN" not in CliRunner().invoke(app, ["check", "--config", str(config)]).output
