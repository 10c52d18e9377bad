"""The formal notice's wording, per language: one layout (`letters.formal_notice`), two vocabularies.

The client's language (Clients › Langue) chooses the table: "en" gives English, anything else French.
The French phrases are the letter's historical text, byte for byte (the SHA-256 kept in the journal
identifies a letter). The English letter cites the same French texts (the law that applies stays French).
Messages for staff (warnings, the draft banner) are not here: they stay French.
"""

from __future__ import annotations

import re

FR = {
    "title": "Mise en demeure de payer – {name} – {numbers}",
    "meta_subject": "Mise en demeure de payer",
    "registered": "Lettre recommandée avec accusé de réception",
    "subject": "Objet : Mise en demeure de payer – facture{s} {numbers}",
    "greeting": "Madame, Monsieur,",
    "unpaid_one": "Malgré nos relances, la facture suivante reste impayée à ce jour :",
    "unpaid_many": "Malgré nos relances, les factures suivantes restent impayées à ce jour :",
    "headers": ("N° facture", "Date", "Échéance", "Montant TTC", "Réglé", "Reste dû"),
    "widths": (30, 22, 22, 32, 30, 34),  # invoice table columns, mm (170 = A4 minus 2 × 20 mm margins)
    "penalties_as_of": "Pénalités de retard et indemnités, arrêtées au {day} :",
    "invoice": "Facture {number} :",
    "basis": ("Base de calcul : {kind} ; intérêts simples sur le montant TTC restant dû, du lendemain de "
              "l'échéance (ou de la mise en demeure) jusqu'au jour de la présente inclus, nombre de jours × taux "
              "annuel / 365 ; taux par semestre : {rates}."),
    "basis_b2b": "pénalités de retard de l'article L441-10 II du Code de commerce",
    "basis_b2c": "intérêts au taux légal (articles 1231-6 et 1344-1 du Code civil)",
    "rate": "{half} : {basis}",
    "rates_joiner": " ; ",
    "principal": "Principal restant dû : {amount}",
    "undetermined_b2b": " (hors pénalités à parfaire)",
    "undetermined_b2c": " (hors intérêts à parfaire)",
    "to_be_determined": "montant à parfaire",
    "interest_b2b": "Pénalités de retard : {figure}",
    "interest_b2c": "Intérêts au taux légal : {figure}",
    "indemnities": "Indemnités forfaitaires pour frais de recouvrement : {amount}",
    "total": "Total réclamé à ce jour : {amount}{undetermined}",
    "demand_one": "Par la présente, nous vous mettons en demeure de nous régler la somme de {amount} {within}.",
    "demand_many": "Par la présente, nous vous mettons en demeure de nous régler les sommes de {amount} {within}.",
    "within": "sous {days} jours à compter de la réception de la présente",
    "numbers": {8: "huit", 10: "dix", 15: "quinze", 30: "trente"},
    "online": "en ligne ({number}) : {link}",
    "ways_joiner": " ; ",
    "contact": "contactez-nous à {email}",
    "payment": "Règlement : {ways}.",
    "transfer": "Règlement par virement",
    "beneficiary": "Bénéficiaire : {name}",
    "iban": "IBAN : {iban}",
    "bic": "BIC : {bic}",
    "reference": "Référence : {reference}",
    "scan": "Ou scannez le code ci-contre avec l'application de votre banque.",
    "running_b2b": ("Les pénalités de retard (article L441-10 II du Code de commerce) continuent de courir jusqu'au "
                    "complet paiement ; l'indemnité forfaitaire pour frais de recouvrement (article D441-5) est due "
                    "de plein droit pour chaque facture payée en retard."),
    "running_b2c": ("Conformément à l'article 1344-1 du Code civil, la présente mise en demeure fait courir les "
                    "intérêts au taux légal sur les sommes dues."),
    "consequence": ("À défaut de paiement intégral dans ce délai, nous déposerons, sans autre avis, une requête en "
                    "injonction de payer auprès de la juridiction compétente (articles 1405 et suivants du Code de "
                    "procédure civile)."),
    "notice_value": "La présente lettre vaut mise en demeure au sens de l'article 1344 du Code civil.",
    "closing": "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
}

EN = {
    "title": "Formal notice to pay – {name} – {numbers}",
    "meta_subject": "Formal notice to pay",
    "registered": "Registered letter with acknowledgement of receipt",
    "subject": "Subject: FORMAL NOTICE to pay – invoice{s} {numbers}",
    "greeting": "Dear Sir or Madam,",
    "unpaid_one": "Despite our reminders, the following invoice remains unpaid to date:",
    "unpaid_many": "Despite our reminders, the following invoices remain unpaid to date:",
    "headers": ("Invoice", "Date", "Due date", "Amount incl. VAT", "Paid", "Outstanding"),
    "widths": (28, 22, 22, 34, 30, 34),  # « Amount incl. VAT » needs 33 mm
    "penalties_as_of": "Late-payment penalties and compensation, calculated as at {day}:",
    "invoice": "Invoice {number}:",
    "basis": ("Basis of calculation: {kind}; simple interest on the outstanding amount including VAT, from the day "
              "after the due date (or after the formal notice) up to and including the date of this letter, number "
              "of days × annual rate / 365; rate per half-year: {rates}."),
    "basis_b2b": "late-payment penalties under Article L441-10 II of the French Commercial Code",
    "basis_b2c": "interest at the statutory rate (Articles 1231-6 and 1344-1 of the French Civil Code)",
    "rate": "{half}: {basis}",
    "rates_joiner": "; ",
    "principal": "Outstanding principal: {amount}",
    "undetermined_b2b": " (excluding penalties to be determined)",
    "undetermined_b2c": " (excluding interest to be determined)",
    "to_be_determined": "amount to be determined",
    "interest_b2b": "Late-payment penalties: {figure}",
    "interest_b2c": "Interest at the statutory rate: {figure}",
    "indemnities": "Fixed compensation for recovery costs: {amount}",
    "total": "Total claimed to date: {amount}{undetermined}",
    "demand_one": "We hereby give you formal notice to pay us the sum of {amount} {within}.",
    "demand_many": "We hereby give you formal notice to pay us the sums of {amount} {within}.",
    "within": "within {days} days of receipt of this letter",
    "numbers": {8: "eight", 10: "ten", 15: "fifteen", 30: "thirty"},
    "online": "online ({number}): {link}",
    "ways_joiner": "; ",
    "contact": "contact us at {email}",
    "payment": "Payment: {ways}.",
    "transfer": "Payment by bank transfer",
    "beneficiary": "Beneficiary: {name}",
    "iban": "IBAN: {iban}",
    "bic": "BIC: {bic}",
    "reference": "Reference: {reference}",
    "scan": "Or scan the code opposite with your banking app.",
    "running_b2b": ("Late-payment penalties (Article L441-10 II of the French Commercial Code) continue to accrue "
                    "until payment in full; the fixed compensation for recovery costs (Article D441-5 of the French "
                    "Commercial Code) is due by operation of law for each invoice paid late."),
    "running_b2c": ("In accordance with Article 1344-1 of the French Civil Code, this formal notice causes interest at "
                    "the statutory rate to run on the sums due."),
    "consequence": ("Failing payment in full within this period, we will apply for an injunction to pay (injonction "
                    "de payer) before the competent court without further notice (Articles 1405 et seq. of the "
                    "French Code of Civil Procedure)."),
    "notice_value": ("This letter constitutes formal notice within the meaning of Article 1344 of the French "
                     "Civil Code."),
    "closing": "Yours faithfully,",
}

WORDS = {"fr": FR, "en": EN}


def notice_lang(language: str) -> str:
    """The letter's language for a client's Langue: "en" gives English, anything else French."""
    return "en" if language == "en" else "fr"


def words(lang: str) -> dict:
    return WORDS[notice_lang(lang)]


def within_days(days: int, lang: str = "fr") -> str:
    """« sous huit jours à compter de la réception de la présente » / "within eight days of receipt of this
    letter" (the debtor's time runs from receipt, not from our date)."""
    w = words(lang)
    return w["within"].format(days=w["numbers"].get(days, str(days)))


_MONTHS = {"janvier": "January", "juillet": "July"}


def rate_basis(basis: str, lang: str = "fr") -> str:
    """A segment's rate basis (French, from `penalties`) in the letter's language: « BCE 2,15 % + 10 pts (taux
    au 1er juillet 2025) » -> "ECB 2.15% + 10 points (rate on 1 July 2025)"; unknown forms are left as they are."""
    if notice_lang(lang) == "fr":
        return basis
    ecb = re.fullmatch(r"BCE ([\d.,]+) % \+ 10 pts \(taux au 1er (janvier|juillet) (\d{4})\)", basis)
    if ecb:
        return f"ECB {ecb[1].replace(',', '.')}% + 10 points (rate on 1 {_MONTHS[ecb[2]]} {ecb[3]})"
    flat = re.fullmatch(r"taux (légal|contractuel) ([\d.,]+) %", basis)
    if flat:
        kind = "statutory" if flat[1] == "légal" else "contractual"
        return f"{kind} rate {flat[2].replace(',', '.')}%"
    return basis
