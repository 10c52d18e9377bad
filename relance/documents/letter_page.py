"""The page every relance letter shares: A4, embedded Unicode font, the company's letterhead, legal
footer and signature block, French typography. The formal notice (`letters`) and the postal reminder
(`postal`) write their own body between letterhead and signature.

Same inputs, same bytes: the creation date is the letter's date and the DejaVu fonts are shipped in
``relance/data/fonts``, so a letter's SHA-256 kept in the journal identifies it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from importlib.resources import files
from zoneinfo import ZoneInfo

from fpdf import FPDF

from relance.core.config import Policy
from relance.core.model import Client
from relance.messages.render import long_date


def _font(name: str) -> str:
    return str(files("relance.data") / "fonts" / name)


class Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("DejaVu", "", 7)
        self.multi_cell(0, 3.5, f"{self.footer_text} – page {self.page_no()}/{{nb}}", align="C")


def legal_mentions(policy: Policy) -> str:
    """The company's legal identity for the footer: « Atelier Dupont SARL au capital de 10 000 € – RCS Paris
    123 456 789 – SIREN 123456789 – TVA FR12 123456789 » (Code de commerce R123-237 asks these on letters)."""
    company = policy.company
    name = f"{company.name}" + (f", {company.legal_form}" if company.legal_form and company.legal_form not in
                                company.name else "") + (f" au capital de {company.capital}" if company.capital else "")
    parts = [name, company.rcs, f"SIREN {company.siren}" if company.siren and company.siren not in company.rcs.replace(
        " ", "") else "", f"TVA {company.vat}" if company.vat else ""]
    return " – ".join(p for p in parts if p)


def address_lines(text: str) -> list[str]:
    """An address typed on one line ("12 rue X, 75002 Paris") printed as an envelope block."""
    return [part.strip() for raw in text.splitlines() for part in raw.split(", ") if part.strip()]


def missing_characters(pdf: FPDF) -> list[str]:
    """Characters the embedded DejaVu font cannot draw (Chinese, Japanese… names): fpdf2 leaves a blank
    there, so the operator is told which ones, rather than posting a letter with a hole in a name."""
    found = sorted({chr(code) for font in pdf.fonts.values() for code in getattr(font, "missing_glyphs", ())})
    if not found:
        return []
    return [f"caractères que la police du PDF ne sait pas écrire, laissés en blanc : {' '.join(found)} — "
            f"écrivez ce nom ou cette adresse en caractères latins dans le registre, ou complétez la lettre à la main"]


def new_pdf(policy: Policy, title: str, subject: str, today: date) -> Pdf:
    """An A4 page with the embedded Unicode font, dated `today` (same inputs, same bytes)."""
    company = policy.company
    pdf = Pdf(orientation="P", unit="mm", format="A4")
    pdf.footer_text = legal_mentions(policy)
    pdf.set_creation_date(datetime.combine(today, time(), tzinfo=ZoneInfo(policy.schedule.timezone)))
    pdf.set_title(title)
    pdf.set_author(company.name)
    pdf.set_subject(subject)
    pdf.set_creator("relance")
    pdf.set_producer("relance")
    pdf.add_font("DejaVu", "", _font("DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", _font("DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    return pdf


_BEFORE_PUNCTUATION = re.compile(r" ([:;?!»€])")


def unbreakable(value: str) -> str:
    """French typography on paper: a no-break space before « : ; ? ! » € » and after « , so a line never
    starts with a stranded colon (« parvenu⏎: »)."""
    return _BEFORE_PUNCTUATION.sub("\u00a0\\1", value).replace("« ", "«\u00a0")


def writer(pdf: Pdf):
    """A paragraph printer: ``text(value, size, bold, height, align)``."""
    def text(value: str, size: float = 10, bold: bool = False, height: float = 5, align: str = "L") -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, height, unbreakable(value), align=align, new_x="LMARGIN", new_y="NEXT")
    return text


def letterhead(pdf: Pdf, policy: Policy, client: Client, today: date, lang: str = "fr") -> None:
    """Creditor block, debtor address block (window envelope side), place and date."""
    company, text = policy.company, writer(pdf)
    text(company.name, 11, True)
    for line in [*address_lines(company.address), *([f"SIREN {company.siren}"] if company.siren else []),
                 company.email, company.phone]:
        if line:
            text(line, 9, height=4.5)
    top = max(pdf.get_y() + 6, 50)
    pdf.set_xy(110, top)
    attention = "For the attention of" if lang == "en" else "À l'attention de"
    nowhere = "Address not provided" if lang == "en" else "Adresse non renseignée"
    debtor = [client.display_name, *([f"{attention} {client.contact}"] if client.contact else []),
              *(address_lines(client.address) or [nowhere]),
              *([f"SIREN {client.siren}"] if client.siren else [])]
    for i, line in enumerate(debtor):
        pdf.set_x(110)
        pdf.set_font("DejaVu", "B" if i == 0 else "", 10)
        pdf.multi_cell(80, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 30) + 6)
    text(f"{company.city}, {long_date(today, 'en')}" if lang == "en" else
         f"Fait à {company.city}, le {long_date(today)}", align="R")
    pdf.ln(3)


def signature(pdf: Pdf, policy: Policy, lang: str = "fr") -> None:
    """Signatory block: ``[company] signatory`` / ``signatory_title``, else the accounts department."""
    company = policy.company
    default = "Accounts receivable" if lang == "en" else "Le service comptabilité"
    who = [company.signatory or default, *([company.signatory_title] if company.signatory_title else [])]
    closing = (f"For {company.name}", *who, "", "Signature:") if lang == "en" else \
        (f"Pour {company.name}", *who, "", "Signature :")
    pdf.ln(8)
    for i, line in enumerate(closing):
        pdf.set_x(110)
        pdf.set_font("DejaVu", "B" if i == 0 else "", 10)
        pdf.cell(80, 5, line, new_x="LMARGIN", new_y="NEXT")
