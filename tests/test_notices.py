"""Penalty lines in the reinforced reminder and the formal notice, and the formal-notice PDF.

Worked example used throughout (computed by hand): 1 000,00 € due 15/06/2025, unpaid on 20/07/2025.
  16/06-30/06: 15 d at 2025-H1 = 3,15 + 10 = 13,15 %: 1000 × 13.15 × 15 / 36500 = 5.4041… -> line shows 5,40 €
  01/07-20/07: 20 d at 2025-H2 = 2,15 + 10 = 12,15 %: 1000 × 12.15 × 20 / 36500 = 6.6575… -> line shows 6,66 €
  interest = 4402.5 / 365 = 12.0616… -> 12,06 € ; + 40 € indemnity = 52,06 € ; claimed 1 052,06 €.
"""

import email
import hashlib
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from email import policy as email_policy

import pytest
from pypdf import PdfReader

from relance import runner
from relance.core.config import Policy, policy_from_dict
from relance.documents.letters import LetterError, formal_notice, letters_for
from relance.core.planner import Line, Reminder
from relance.messages.render import Renderer

from conftest import TODAY, at, client, invoice, register, sheet_rows, xlsx_register, status_codes

D = Decimal
DAY = date(2025, 7, 20)
NBSP, NNBSP = "\u00a0", "\u202f"


def plain(text: str) -> str:
    return text.replace(NNBSP, " ").replace(NBSP, " ")


def debtor(**kw):
    kw.setdefault("contact", "Marie Blanc")
    kw.setdefault("address", "3 place de la Gare, 69002 Lyon")
    kw.setdefault("siren", "987654321")
    return client("C010", name="Café de la Gare", **kw)


def late_invoice(**kw):
    return invoice("F1", client="C010", due=date(2025, 6, 15), amount="1000.00", issued=date(2025, 5, 15), **kw)


def text_of(stage, lang="fr", today=DAY, **client_kw):
    c = debtor(language=lang, **client_kw)
    inv = late_invoice()
    reminder = Reminder(f"{today}/C010/{stage}", c, stage, (Line(inv, stage, (today - inv.due).days),), (c.email,))
    return plain(Renderer(Policy()).render(reminder, today, datetime(2025, 7, 20, 10)).text)


def test_reinforced_reminder_shows_each_segment_the_total_and_the_indemnity():
    text = text_of("renforcee")
    assert ("Pénalités de retard du 16/06/2025 au 30/06/2025 : 15 j × 13,15 % × 1 000,00 € / 365 = 5,40 €"
            in text)
    assert ("Pénalités de retard du 01/07/2025 au 20/07/2025 : 20 j × 12,15 % × 1 000,00 € / 365 = 6,66 €"
            in text)
    assert "Total des pénalités de retard : 12,06 €" in text
    assert "Indemnité forfaitaire pour frais de recouvrement (art. D441-5 C. com.) : 40,00 €" in text
    english = text_of("renforcee", "en")
    assert "Total late-payment penalties: €12.06" in english and "recovery costs" in english


def test_formal_notice_email_claims_principal_penalties_and_indemnity():
    text = text_of("demeure")
    assert "Montant restant dû : 1 000,00 €" in text
    assert "Total réclamé : 1 052,06 €" in text
    assert "au plus tard le 28 juillet 2025" in text  # 20/07 + notice_deadline_days (8)
    assert "jointe en PDF" in text


def test_consumers_get_no_indemnity_line_and_interest_only_from_the_notice():
    for lang in ("fr", "en"):
        for stage in ("renforcee", "demeure"):
            text = text_of(stage, lang, b2b=False, segment="Particulier")
            assert "40,00" not in text and "40.00" not in text and "D441-5" not in text
            assert "/ 365" not in text  # the notice is this very message: no interest has run yet


def test_without_a_confirmed_rate_interest_is_claimed_without_a_figure():
    text = text_of("demeure", today=TODAY)  # 2026-H2: ECB rate unconfirmed
    assert "Pénalités de retard (art. L441-10 C. com.) à compter du 16/06/2025 : montant à parfaire" in text
    assert "Total réclamé (hors pénalités à parfaire) : 1 040,00 €" in text
    assert "/ 365" not in text


def pdf_text(content: bytes) -> str:
    return plain("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def test_letter_pdf_contains_every_mandatory_element():
    policy = policy_from_dict({"company": {"iban": "FR76 3000 6000 0112 3456 7890 189", "city": "Lyon"}})
    letter = formal_notice(policy, debtor(), [late_invoice(payment_link="https://pay.example/F1")], DAY)
    assert letter.filename == "2025-07-20_C010_mise-en-demeure.pdf"
    assert letter.content.startswith(b"%PDF") and b"/FontFile2" in letter.content  # embedded TrueType font
    text = pdf_text(letter.content)
    for expected in [
        # creditor identity, debtor identity and address
        "Atelier Dupont SARL", "SIREN 123456789", "12 rue de la Paix", "75002 Paris",
        "Café de la Gare", "Marie Blanc", "3 place de la Gare", "69002 Lyon", "SIREN 987654321",
        # date and place, the words « mise en demeure » in the subject, sending method
        "Fait à Lyon, le 20 juillet 2025", "Objet : Mise en demeure de payer – facture F1",
        "Lettre recommandée avec accusé de réception",
        # invoice list: number, date, due date, amount, paid, remaining
        "N° facture Date Échéance Montant TTC Réglé Reste dû", "F1 15/05/2025 15/06/2025 1 000,00 € 0,00 € 1 000,00 €",
        # penalties and indemnity with the computation basis
        "15 j × 13,15 % × 1 000,00 € / 365 = 5,40 €", "20 j × 12,15 % × 1 000,00 € / 365 = 6,66 €",
        "Indemnité forfaitaire pour frais de recouvrement (art. D441-5 C. com.) : 40,00 €",
        "2025-H1 : BCE 3,15 % + 10 pts (taux au 1er janvier 2025)", "/ 365",
        # total claimed, final deadline, how to pay
        "Total réclamé à ce jour : 1 052,06 €", "sous huit jours à compter de la réception de la présente",
        "FR76 3000 6000 0112 3456 7890 189", "https://pay.example/F1",
        # injonction de payer, signature block
        "injonction de payer", "Pour Atelier Dupont SARL", "Signature :",
    ]:
        assert expected in " ".join(text.split()), expected


def test_letter_is_byte_identical_for_the_same_inputs_and_dated_by_today():
    first = formal_notice(Policy(), debtor(), [late_invoice()], DAY)
    again = formal_notice(Policy(), debtor(), [late_invoice()], DAY)
    later = formal_notice(Policy(), debtor(), [late_invoice()], DAY + timedelta(days=1))
    assert first.sha256 == again.sha256 == hashlib.sha256(again.content).hexdigest()
    assert later.sha256 != first.sha256
    assert b"/CreationDate (D:20250720000000+02'00')" in first.content


def test_letter_without_a_rate_prints_no_interest_figure_and_says_so():
    letter = formal_notice(Policy(), debtor(), [late_invoice()], TODAY)
    text = " ".join(pdf_text(letter.content).split())
    assert "à compter du 16/06/2025 : montant à parfaire" in text
    assert "Total réclamé à ce jour : 1 040,00 € (hors pénalités à parfaire)" in text
    assert "Pénalités de retard : montant à parfaire" in text
    assert "/ 365" not in text and letter.warnings == (
        "F1 : intérêts sans montant (« à parfaire ») : taux manquant ou non confirmé, voir son Alerte ou relance check",)


def test_consumer_letter_has_legal_interest_from_the_notice_and_no_indemnity():
    text = " ".join(pdf_text(formal_notice(Policy(), debtor(b2b=False), [late_invoice()], DAY).content).split())
    assert "intérêts au taux légal" in text and "1344-1" in text
    assert "Indemnité" not in text and "Pénalités" not in text and "Total réclamé à ce jour : 1 000,00 €" in text


def test_letter_command_refuses_what_must_not_be_claimed():
    invoices = [late_invoice(), invoice("F2", client="C010", due=DAY + timedelta(days=3)),
                invoice("F3", client="C010", due=date(2025, 6, 1), paid=D("100.00"))]
    reg = register(invoices, clients=[debtor()])
    with pytest.raises(LetterError) as err:
        letters_for(reg, Policy(), ["F1", "F2", "F3", "F9"], DAY)
    message = str(err.value)
    assert "F1 : mise en demeure non approuvée (tâche T/F1/demeure" in message
    assert "F2 : pas encore échue" in message and "F3 : rien à réclamer" in message and "F9 : facture introuvable" in message
    drafts = letters_for(reg, Policy(), ["F1"], DAY, draft=True)
    assert drafts[0].filename.endswith("_projet.pdf") and "PROJET – NON APPROUVÉ" in pdf_text(drafts[0].content)


def test_approved_formal_notice_goes_out_with_its_letter_and_the_journal_keeps_the_hash(workdir, workdir_policy):
    late = TODAY - timedelta(days=40)
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": late, "amount": D("900.00")}],
                  clients=[{"code": "C1", "name": "Client Un", "email": "c1@example.com", "address": "1 rue A, Paris"}],
                  journal=[{"timestamp": at(late + timedelta(days=1)), "invoice": "F1", "client": "C1",
                            "stage": "renforcee", "channel": "email", "status": "sent", "key": "k1"}],
                  tasks=[{"client": "C1", "invoices": "F1", "key": "T/F1/demeure", "approved": "Oui"}])
    report = runner.run(workdir_policy, today=TODAY, now=at(TODAY))
    assert [m.stage for m in report.sent] == ["demeure"]
    letter = workdir / "letters" / "2026-11-25_C1_mise-en-demeure.pdf"
    digest = hashlib.sha256(letter.read_bytes()).hexdigest()
    with open(next((workdir / "outbox").glob("*.eml")), "rb") as handle:
        mail = email.message_from_binary_file(handle, policy=email_policy.default)
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == letter.name and attachment.get_content() == letter.read_bytes()
    rows = [r for r in sheet_rows(workdir / "registre.xlsx", "Journal") if r["Étape"] == "demeure"]
    assert status_codes(r["Statut"] for r in rows) == ["pending", "sent"]
    for row in rows:
        assert f"lettre LRAR à envoyer : letters/{letter.name} sha256={digest}" in row["Commentaire"]


def test_test_mode_attaches_the_letter_but_keeps_no_file_to_post(workdir, workdir_policy):
    from dataclasses import replace
    late = TODAY - timedelta(days=40)
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": late, "amount": D("900.00")}],
                  journal=[{"timestamp": at(late + timedelta(days=1)), "invoice": "F1", "client": "C1",
                            "stage": "renforcee", "channel": "email", "status": "sent", "key": "k1"}],
                  tasks=[{"client": "C1", "invoices": "F1", "key": "T/F1/demeure", "approved": "Oui"}])
    policy = replace(workdir_policy, mail=replace(workdir_policy.mail, test_recipient="sandbox@example.com"))
    report = runner.run(policy, today=TODAY, now=at(TODAY))
    assert [len(m.attachments) for m in report.sent] == [1]
    assert not (workdir / "letters").exists()
    rows = [r for r in sheet_rows(workdir / "registre.xlsx", "Journal") if r["Statut"] == "test"]
    assert rows and "lettre jointe, non enregistrée" in rows[0]["Commentaire"]
    assert "LRAR" not in rows[0]["Commentaire"]


FRENCH_WORDS = ("mise en demeure", "Mise en demeure", "sous huit jours", "Pénalités", "Madame", "Objet",
                "Règlement", "Bénéficiaire", "Référence", "à parfaire", "Principal restant dû", "juillet", "Fait à")


def english(letter) -> str:
    text = " ".join(pdf_text(letter.content).split())
    for word in FRENCH_WORDS:
        assert word not in text, word
    return text


def test_english_client_gets_the_formal_notice_in_english():
    policy = policy_from_dict({"company": {"iban": "FR76 3000 6000 0112 3456 7890 189", "city": "Lyon"}})
    inv = invoice("F1", client="C010", due=date(2025, 6, 15), amount="1234.56", issued=date(2025, 5, 15),
                  payment_link="https://pay.example/F1")
    letter = formal_notice(policy, debtor(language="en"), [inv], DAY)
    assert letter.filename == "2025-07-20_C010_mise-en-demeure.pdf"  # the file name stays as it is
    text = english(letter)
    for expected in [
        "Lyon, 20 July 2025", "For the attention of Marie Blanc", "Registered letter with acknowledgement of receipt",
        "Subject: FORMAL NOTICE to pay – invoice F1", "Dear Sir or Madam,",
        "Invoice Date Due date Amount incl. VAT Paid Outstanding", "F1 15/05/2025 15/06/2025 €1,234.56 €0.00 €1,234.56",
        "calculated as at 20 July 2025", "15 days × 13.15% × €1,234.56 / 365 = €6.67",
        "Article L441-10 II of the French Commercial Code", "2025-H1: ECB 3.15% + 10 points (rate on 1 January 2025)",
        "Fixed compensation for recovery costs: €40.00", "Total claimed to date: €1,289.45",
        "within eight days of receipt of this letter", "Payment by bank transfer", "Beneficiary: Atelier Dupont SARL",
        "IBAN: FR76 3000 6000 0112 3456 7890 189", "Reference: F1", "https://pay.example/F1",
        "we will apply for an injunction to pay (injonction de payer) before the competent court without further "
        "notice", "For Atelier Dupont SARL", "Signature:",
    ]:
        assert expected in text, expected
    meta = PdfReader(io.BytesIO(letter.content)).metadata
    assert meta.title == "Formal notice to pay – Café de la Gare – F1" and meta.subject == "Formal notice to pay"


def test_english_consumer_and_undetermined_interest_stay_english_and_staff_warnings_stay_french():
    consumer = english(formal_notice(Policy(), debtor(language="en", b2b=False), [late_invoice()], DAY))
    assert "In accordance with Article 1344-1 of the French Civil Code, this formal notice causes interest" in consumer
    assert "compensation" not in consumer and "Total claimed to date: €1,000.00" in consumer
    letter = formal_notice(Policy(), debtor(language="en", address=""), [late_invoice()], TODAY)
    text = english(letter)
    assert "Paris, 25 November 2026" in text and "Address not provided" in text
    assert "Late-payment penalties: amount to be determined" in text
    assert "Total claimed to date: €1,040.00 (excluding penalties to be determined)" in text
    assert letter.warnings[0].startswith("F1 : intérêts sans montant") and "sans adresse" in letter.warnings[1]


def test_french_letter_is_unchanged_by_the_english_wording():
    other = " ".join(pdf_text(formal_notice(Policy(), debtor(language="de"), [late_invoice()], DAY).content).split())
    assert "Objet : Mise en demeure de payer – facture F1" in other and "FORMAL NOTICE" not in other  # not "en": French
    # No pinned digest: the bytes depend on the fpdf2 release a fresh clone installs (same inputs, same bytes
    # within one install is tested above); the French wording is what must not move.
    french = " ".join(pdf_text(formal_notice(Policy(), debtor(), [late_invoice()], DAY).content).split())
    for sentence in ("Objet : Mise en demeure de payer", "sous huit jours à compter de la réception de la présente",
                     "injonction de payer"):
        assert sentence in french
