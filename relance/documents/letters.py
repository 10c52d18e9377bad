"""The formal notice (mise en demeure) as an A4 PDF, one per client, ready for a registered letter.

What it says (legal-reference §3.8; the law imposes no form, C. civ. 1344 asks for a clear demand):
creditor (name, SIREN, address) and debtor (name, address, SIREN), place and date, the words « mise en
demeure » in the subject, each invoice (number, date, due date, amount, paid, remaining), the
penalties and the 40 € indemnity with how they were computed, the total claimed, the final deadline
(``[penalties] notice_deadline_days``, 8 by default), how to pay, what follows without payment (an
injonction de payer), and a signature block.

When a rate is missing or unconfirmed in the rate table, the letter prints no interest figure (never
a guess): it claims the principal and the indemnity, and the interest "à compter du …, montant à
parfaire" (to be determined). The notice stays valid, since its legal effect does not depend on the
interest figure; ``relance check`` and the Alerte column ask for the rate meanwhile. With
``allow_unconfirmed_rates = true`` the unconfirmed figure is printed.

The same inputs give the same bytes (creation date = the letter's date, embedded DejaVu Sans shipped in
``relance/data/fonts``), so the SHA-256 kept in the journal identifies the letter sent.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from fpdf.errors import FPDFException

from relance.core.law.claims import Claim, Claims, claim_lines
from relance.core.config import Policy
from relance.core.iban import iban_problems
from relance.documents.names import safe_name
from relance.core.journal import task_key
from relance.messages.message import Attachment, Message
from relance.core.model import ZERO, Client, Invoice, Register
from relance.core.money import totals as currency_totals
from relance.core.rules.instalments import settled
from relance.core.planner import Reminder
from relance.core.law.rate_table import half_year_of
from relance.messages.render import LOCALES, long_date, money, short_date
from relance.documents.notice_words import notice_lang, rate_basis, within_days, words
from relance.documents.letter_page import (  # noqa: F401  (re-exported for tests)
    Pdf, address_lines, legal_mentions, letterhead, missing_characters, new_pdf, signature, unbreakable, writer)

LETTER_CHANNEL = "letter+email"


class LetterError(Exception):
    """The letter could not be built or saved; the formal notice must not go out without it."""


@dataclass(frozen=True, slots=True)
class Letter:
    client: str
    filename: str
    content: bytes
    invoices: tuple[str, ...]
    totals: tuple[tuple[str, Decimal], ...]  # claimed per currency (principal + penalties that have a figure)
    warnings: tuple[str, ...] = ()  # for the operator: missing address, interest without a figure

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def letter_filename(client: str, today: date, draft: bool = False) -> str:
    """``2026-11-25_C010_mise-en-demeure.pdf`` (``…_projet.pdf`` for an unapproved draft)."""
    return f"{today.isoformat()}_{safe_name(client, 'client')}_mise-en-demeure{'_projet' if draft else ''}.pdf"


def _basis(claims: list[Claim], lang: str = "fr") -> str:
    """How the figures were computed, in one paragraph: rule, day count, rate of each half-year."""
    w = words(lang)
    rates = dict.fromkeys(w["rate"].format(half=half_year_of(s.start), basis=rate_basis(s.rate_basis, lang))
                          for c in claims if c.penalty for s in c.penalty.segments)
    if not rates:
        return ""
    return w["basis"].format(kind=w["basis_b2b" if claims[0].b2b else "basis_b2c"], rates=w["rates_joiner"].join(rates))


def transfer_block(pdf: Pdf, policy: Policy, invoices, total: Decimal, lang: str = "fr") -> None:
    """IBAN/BIC and, for a euro total, the EPC QR code (the same as in the emails), beside the text."""
    from relance.core.iban import format_iban
    from relance.messages.html import EPC_MAX, epc_qr_png
    company, text, w = policy.company, writer(pdf), words(lang)
    reference = " ".join(i.number for i in invoices)[:140]
    euro = all(i.currency == "EUR" for i in invoices) and Decimal("0.01") <= total <= EPC_MAX
    if pdf.will_page_break(40):  # the block and its QR code stay together
        pdf.add_page()
    top = pdf.get_y()
    text(w["transfer"], bold=True)
    lines = [w["beneficiary"].format(name=company.name), w["iban"].format(iban=format_iban(company.iban)),
             *([w["bic"].format(bic=company.bic)] if company.bic else []), w["reference"].format(reference=reference)]
    if euro:
        lines.append(w["scan"])
    pdf.set_font("DejaVu", "", 10)
    for line in lines:
        pdf.multi_cell(120, 5, line, new_x="LMARGIN", new_y="NEXT")
    if euro:
        pdf.image(io.BytesIO(epc_qr_png(policy, total, reference, scale=6)), x=150, y=top, w=32, h=32)
        pdf.set_y(max(pdf.get_y(), top + 34))
    text("")


def formal_notice(policy: Policy, client: Client, invoices: list[Invoice] | tuple[Invoice, ...], today: date,
                  claims: Claims | None = None, *, draft: bool = False) -> Letter:
    """The mise en demeure PDF for `client` about `invoices`, dated `today` (pure: returns bytes), in the
    client's language (`notice_words`: "en" English, anything else French; staff warnings stay French)."""
    claims = claims or Claims(policy)
    company, settings = policy.company, policy.penalties
    lang = notice_lang(client.language)
    w = words(lang)
    items = [claims.claim(invoice, client, today) for invoice in invoices]
    principal = currency_totals((c.invoice.currency, c.principal) for c in items)  # never added across currencies
    interest = sum((c.interest for c in items), ZERO)  # penalties are euro figures (claims.py: EUR only)
    indemnities = sum((c.penalty.indemnity if c.penalty else c.indemnity for c in items), ZERO)
    total = currency_totals([*principal, ("EUR", interest + indemnities)]) if interest or indemnities else principal
    pending = [c for c in items if c.error]
    warnings = [f"{c.invoice.number} : intérêts sans montant (« à parfaire ») : taux manquant ou non confirmé, "
                f"voir son Alerte ou relance check" for c in pending]
    if not client.address:
        warnings.append(f"client {client.code} sans adresse (onglet Clients, colonne Adresse) : "
                        f"complétez-la avant l'envoi recommandé")

    def cash(amount: Decimal, currency: str = "EUR") -> str:
        return money(amount, currency, lang)

    numbers = ", ".join(i.number for i in invoices)
    several = len(invoices) > 1
    pdf = new_pdf(policy, w["title"].format(name=client.display_name, numbers=numbers), w["meta_subject"], today)
    text = writer(pdf)
    if draft:  # for staff: stays French
        text("PROJET – NON APPROUVÉ (Approuvée ≠ Oui dans l'onglet Tâches) : ne pas envoyer", 11, True)
        pdf.ln(3)
    letterhead(pdf, policy, client, today, lang)
    text(w["registered"], 9)
    text(w["subject"].format(s="s" if several else "", numbers=numbers), 11, True)
    pdf.ln(3)
    text(w["greeting"])
    pdf.ln(2)
    text(w["unpaid_many" if several else "unpaid_one"])
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 9)
    for width, head in zip(w["widths"], w["headers"]):
        pdf.cell(width, 6, head, border=1, align="C")
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    for invoice in invoices:
        row = (invoice.number, short_date(invoice.issued, lang) if invoice.issued else "",
               short_date(invoice.due, lang),
               cash(invoice.amount, invoice.currency), cash(invoice.paid, invoice.currency),
               cash(invoice.remaining, invoice.currency))
        for i, (width, value) in enumerate(zip(w["widths"], row)):
            pdf.cell(width, 6, value, border=1, align="R" if i >= 3 else "L")
        pdf.ln()
    pdf.ln(3)
    penalty_lines = [(c.invoice.number, claim_lines(c, LOCALES[lang])) for c in items]
    if any(lines for _, lines in penalty_lines):
        text(w["penalties_as_of"].format(day=short_date(today) if lang == "fr" else long_date(today, lang)), bold=True)
        for number, lines in penalty_lines:
            if lines:
                text(w["invoice"].format(number=number), 9)
                for line in lines:
                    pdf.set_x(26)
                    pdf.set_font("DejaVu", "", 9)
                    pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
        basis = _basis(items, lang)
        if basis:
            pdf.ln(1)
            text(basis, 8, height=4)
        pdf.ln(3)
    text(w["principal"].format(amount=amounts(principal, lang)))
    b2b = any(c.b2b for c in items)
    kind = "b2b" if b2b else "b2c"
    undetermined = w[f"undetermined_{kind}"] if pending else ""
    if b2b or interest or pending:  # a consumer before any notice owes no interest yet: no line
        figure = w["to_be_determined"] if pending and not interest else cash(interest) + undetermined
        text(w[f"interest_{kind}"].format(figure=figure))
    if indemnities:
        text(w["indemnities"].format(amount=cash(indemnities)))
    text(w["total"].format(amount=amounts(total, lang), undetermined=undetermined), 11, True)
    pdf.ln(3)
    text(w["demand_many" if len(total) > 1 else "demand_one"].format(
        amount=amounts(total, lang), within=within_days(settings.notice_deadline_days, lang)))
    pdf.ln(2)
    ways = [w["online"].format(number=i.number, link=i.payment_link) for i in invoices if i.payment_link]
    if ways or not company.iban or iban_problems(company.iban, company.bic):
        contact = w["contact"].format(email=company.email)
        text(w["payment"].format(ways=w["ways_joiner"].join(ways) if ways else contact))
        pdf.ln(2)
    if company.iban and not iban_problems(company.iban, company.bic):  # a wrong account is never printed
        transfer_block(pdf, policy, invoices, dict(total).get("EUR", ZERO), lang)
    text(w[f"running_{kind}"])
    pdf.ln(2)
    text(w["consequence"])
    pdf.ln(2)
    with pdf.unbreakable() as doc:  # the signature never stands alone on a page: it moves with the closing words
        closing = writer(doc)
        closing(w["notice_value"])
        doc.ln(3)
        closing(w["closing"])
        signature(doc, policy, lang)
    content = bytes(pdf.output())
    warnings += missing_characters(pdf)
    return Letter(client.code, letter_filename(client.code, today, draft), content,
                  tuple(i.number for i in invoices), total, tuple(warnings))


def amounts(totals: tuple[tuple[str, Decimal], ...], lang: str = "fr") -> str:
    """« 630,50 € et 220,00 $US »: one amount per currency, in a sentence (never one sum)."""
    shown = [money(amount, currency, lang) for currency, amount in totals] or [money(ZERO, "EUR", lang)]
    joiner = " et " if lang == "fr" else " and "
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + joiner + shown[-1]


def notice_stage(policy: Policy) -> str:
    """Key of the formal-notice stage (the ``letter+email`` channel), "demeure" by default."""
    return next((s.key for s in policy.stages if s.channel == LETTER_CHANNEL), "demeure")


def letters_for(register: Register, policy: Policy, numbers: list[str], today: date, *,
                draft: bool = False) -> list[Letter]:
    """One letter per client for `numbers` (``relance letter``), refusing what must not be claimed.

    Refused, with a French sentence (LetterError): an unknown invoice, one not past due, paid, cancelled,
    and, unless `draft`, one whose task ``T/<invoice>/demeure`` is not ``Approuvée = Oui``.
    """
    by_number = {i.number: i for i in register.invoices}
    approved = {t.key for t in register.tasks if t.approved}
    stage = notice_stage(policy)
    refused, chosen = [], []
    for number in dict.fromkeys(numbers):
        invoice = by_number.get(number)
        if invoice is not None:  # a payment plan's paid instalments are not claimed again
            invoice = settled(invoice, register.instalments)
        if invoice is None:
            refused.append(f"{number} : facture introuvable (ou écartée pour une erreur, voir relance check)")
        elif invoice.status == "Annulée" or invoice.remaining <= 0:
            refused.append(f"{number} : rien à réclamer ({invoice.status or 'soldée'})")
        elif invoice.due >= today:
            refused.append(f"{number} : pas encore échue (échéance le {short_date(invoice.due)})")
        elif not draft and task_key(number, stage) not in approved:
            refused.append(f"{number} : mise en demeure non approuvée (tâche {task_key(number, stage)} : "
                           f"mettre Approuvée = Oui, ou ajouter --draft pour un projet)")
        else:
            chosen.append(invoice)
    if refused:
        raise LetterError("\n".join(refused))
    claims = Claims(policy, register)
    by_client: dict[str, list[Invoice]] = {}
    for invoice in chosen:
        by_client.setdefault(invoice.client, []).append(invoice)
    return [formal_notice(policy, register.clients[code], sorted(items, key=lambda i: (i.due, i.number)), today,
                          claims, draft=draft) for code, items in sorted(by_client.items())]


def letter_note(letter: Letter, folder: str) -> str:
    """The journal's proof: ``lettre LRAR à envoyer : letters/….pdf sha256=…``."""
    return f"lettre LRAR à envoyer : {folder.rstrip('/')}/{letter.filename} sha256={letter.sha256}"


def attach_letter(policy: Policy, reminder: Reminder, message: Message, today: date,
                  keep: bool) -> tuple[Message, str, Letter | None]:
    """For a ``letter+email`` stage: the message with the letter attached, the journal note, and the
    letter the run must save in the letters folder (its apply step writes it, never this function).

    The letter covers the invoices at that stage. `keep` False (dry run, test mode): nothing to save,
    and the note says the letter was not kept, so nobody posts it.
    Other stages: the message unchanged, no note, nothing to save.
    """
    if not any(s.key == reminder.stage and s.channel == LETTER_CHANNEL for s in policy.stages):
        return message, "", None
    invoices = [line.invoice for line in reminder.lines if line.stage == reminder.stage]
    try:
        letter = formal_notice(policy, reminder.client, invoices, today)
    except (OSError, FPDFException) as exc:
        raise LetterError(f"mise en demeure de {reminder.client.code} non envoyée, lettre impossible : "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    attachment = Attachment(letter.filename, letter.content, "application/pdf")
    note = (letter_note(letter, policy.paths.letters) if keep else
            f"lettre jointe, non enregistrée (test ou aperçu) : {letter.filename} sha256={letter.sha256}")
    if letter.warnings:
        note += " · " + " · ".join(letter.warnings)
    return replace(message, attachments=message.attachments + (attachment,)), note, letter if keep else None
