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
from relance.messages.render import money, short_date
from relance.documents.letter_page import (  # noqa: F401  (re-exported for tests)
    Pdf, address_lines, legal_mentions, letterhead, missing_characters, new_pdf, signature, unbreakable, writer)

LETTER_CHANNEL = "letter+email"
_WIDTHS = (30, 22, 22, 32, 30, 34)  # invoice table columns, mm (170 = A4 minus 2 × 20 mm margins)


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


_WORDS = {8: "huit", 10: "dix", 15: "quinze", 30: "trente"}


def within_days(days: int) -> str:
    """« sous huit jours à compter de la réception » (the debtor's time runs from receipt, not from our date)."""
    return f"sous {_WORDS.get(days, str(days))} jours à compter de la réception de la présente"


def _basis(claims: list[Claim]) -> str:
    """How the figures were computed, in one paragraph: rule, day count, rate of each half-year."""
    rates = dict.fromkeys(f"{half_year_of(s.start)} : {s.rate_basis}"
                          for c in claims if c.penalty for s in c.penalty.segments)
    if not rates:
        return ""
    kind = ("pénalités de retard de l'article L441-10 II du Code de commerce" if claims[0].b2b
            else "intérêts au taux légal (articles 1231-6 et 1344-1 du Code civil)")
    return (f"Base de calcul : {kind} ; intérêts simples sur le montant TTC restant dû, du lendemain de "
            f"l'échéance (ou de la mise en demeure) jusqu'au jour de la présente inclus, nombre de jours × taux "
            f"annuel / 365 ; taux par semestre : {' ; '.join(rates)}.")


def transfer_block(pdf: Pdf, policy: Policy, invoices, total: Decimal) -> None:
    """IBAN/BIC and, for a euro total, the EPC QR code (the same as in the emails), beside the text."""
    from relance.core.iban import format_iban
    from relance.messages.html import EPC_MAX, epc_qr_png
    company, text = policy.company, writer(pdf)
    reference = " ".join(i.number for i in invoices)[:140]
    euro = all(i.currency == "EUR" for i in invoices) and Decimal("0.01") <= total <= EPC_MAX
    if pdf.will_page_break(40):  # the block and its QR code stay together
        pdf.add_page()
    top = pdf.get_y()
    text("Règlement par virement", bold=True)
    lines = [f"Bénéficiaire : {company.name}", f"IBAN : {format_iban(company.iban)}",
             *([f"BIC : {company.bic}"] if company.bic else []), f"Référence : {reference}"]
    if euro:
        lines.append("Ou scannez le code ci-contre avec l'application de votre banque.")
    pdf.set_font("DejaVu", "", 10)
    for line in lines:
        pdf.multi_cell(120, 5, line, new_x="LMARGIN", new_y="NEXT")
    if euro:
        pdf.image(io.BytesIO(epc_qr_png(policy, total, reference, scale=6)), x=150, y=top, w=32, h=32)
        pdf.set_y(max(pdf.get_y(), top + 34))
    text("")


def formal_notice(policy: Policy, client: Client, invoices: list[Invoice] | tuple[Invoice, ...], today: date,
                  claims: Claims | None = None, *, draft: bool = False) -> Letter:
    """The mise en demeure PDF for `client` about `invoices`, dated `today` (pure: returns bytes)."""
    claims = claims or Claims(policy)
    company, settings = policy.company, policy.penalties
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

    numbers = ", ".join(i.number for i in invoices)
    pdf = new_pdf(policy, f"Mise en demeure de payer – {client.display_name} – {numbers}",
                  "Mise en demeure de payer", today)
    text = writer(pdf)
    if draft:
        text("PROJET – NON APPROUVÉ (Approuvée ≠ Oui dans l'onglet Tâches) : ne pas envoyer", 11, True)
        pdf.ln(3)
    letterhead(pdf, policy, client, today)
    text("Lettre recommandée avec accusé de réception", 9)
    text(f"Objet : Mise en demeure de payer – facture{'s' if len(invoices) > 1 else ''} {numbers}", 11, True)
    pdf.ln(3)
    text("Madame, Monsieur,")
    pdf.ln(2)
    several = len(invoices) > 1
    text(f"Malgré nos relances, {'les factures suivantes restent impayées' if several else 'la facture suivante reste impayée'} "
         f"à ce jour :")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 9)
    for width, head in zip(_WIDTHS, ("N° facture", "Date", "Échéance", "Montant TTC", "Réglé", "Reste dû")):
        pdf.cell(width, 6, head, border=1, align="C")
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    for invoice in invoices:
        row = (invoice.number, short_date(invoice.issued) if invoice.issued else "", short_date(invoice.due),
               money(invoice.amount, invoice.currency), money(invoice.paid, invoice.currency),
               money(invoice.remaining, invoice.currency))
        for i, (width, value) in enumerate(zip(_WIDTHS, row)):
            pdf.cell(width, 6, value, border=1, align="R" if i >= 3 else "L")
        pdf.ln()
    pdf.ln(3)
    penalty_lines = [(c.invoice.number, claim_lines(c, "fr_FR")) for c in items]
    if any(lines for _, lines in penalty_lines):
        text(f"Pénalités de retard et indemnités, arrêtées au {short_date(today)} :", bold=True)
        for number, lines in penalty_lines:
            if lines:
                text(f"Facture {number} :", 9)
                for line in lines:
                    pdf.set_x(26)
                    pdf.set_font("DejaVu", "", 9)
                    pdf.multi_cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
        basis = _basis(items)
        if basis:
            pdf.ln(1)
            text(basis, 8, height=4)
        pdf.ln(3)
    text(f"Principal restant dû : {amounts(principal)}")
    b2b = any(c.b2b for c in items)
    undetermined = (" (hors pénalités à parfaire)" if b2b else " (hors intérêts à parfaire)") if pending else ""
    if b2b or interest or pending:  # a consumer before any notice owes no interest yet: no line
        figure = "montant à parfaire" if pending and not interest else money(interest) + undetermined
        text(f"{'Pénalités de retard' if b2b else 'Intérêts au taux légal'} : {figure}")
    if indemnities:
        text(f"Indemnités forfaitaires pour frais de recouvrement : {money(indemnities)}")
    text(f"Total réclamé à ce jour : {amounts(total)}{undetermined}",
         11, True)
    pdf.ln(3)
    text(f"Par la présente, nous vous mettons en demeure de nous régler "
         f"{'les sommes' if len(total) > 1 else 'la somme'} de {amounts(total)} "
         f"{within_days(settings.notice_deadline_days)}.")
    pdf.ln(2)
    ways = [f"en ligne ({i.number}) : {i.payment_link}" for i in invoices if i.payment_link]
    if ways or not company.iban or iban_problems(company.iban, company.bic):
        text("Règlement : " + (" ; ".join(ways) if ways else f"contactez-nous à {company.email}") + ".")
        pdf.ln(2)
    if company.iban and not iban_problems(company.iban, company.bic):  # a wrong account is never printed
        transfer_block(pdf, policy, invoices, dict(total).get("EUR", ZERO))
    if b2b:
        text("Les pénalités de retard (article L441-10 II du Code de commerce) continuent de courir jusqu'au "
             "complet paiement ; l'indemnité forfaitaire pour frais de recouvrement (article D441-5) est due de "
             "plein droit pour chaque facture payée en retard.")
    else:
        text("Conformément à l'article 1344-1 du Code civil, la présente mise en demeure fait courir les intérêts "
             "au taux légal sur les sommes dues.")
    pdf.ln(2)
    text("À défaut de paiement intégral dans ce délai, nous déposerons, sans autre avis, une requête en "
         "injonction de payer auprès de la juridiction compétente (articles 1405 et suivants du Code de "
         "procédure civile).")
    pdf.ln(2)
    with pdf.unbreakable() as doc:  # the signature never stands alone on a page: it moves with the closing words
        closing = writer(doc)
        closing("La présente lettre vaut mise en demeure au sens de l'article 1344 du Code civil.")
        doc.ln(3)
        closing("Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.")
        signature(doc, policy)
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
