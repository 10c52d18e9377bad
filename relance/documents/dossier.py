"""`relance dossier CLIENT`: one zip with what a collection agency or a lawyer needs for one client.

An injonction de payer request must state the exact amount with a breakdown and its legal basis, and
list the documents attached (CPC 1407; legal-reference §3.6). The zip holds:

- ``decompte.csv``: per invoice, principal, late-payment penalties, 40 € indemnity, total, computation
  basis, and a totals row: the dated statement separating principal, penalties and indemnity;
- ``factures.csv``: every invoice of the client as the register has it;
- ``journal.csv``: every journal row about the client (reminders, calls, tasks, letters);
- ``messages/*.eml``: every message sent, found in the outbox by its X-Relance-Key or Message-ID;
- ``lettres/*.pdf``: the formal notices, with ``lettres.csv`` comparing each file's SHA-256 with the
  one the journal recorded when it went out;
- ``LISEZMOI.txt``: creditor, debtor, totals, contents, and what to add by hand (contract or CGV,
  delivery notes, the registered letter's acknowledgement of receipt).

CSV files are for French spreadsheets: ``;`` separator, decimal comma, UTF-8 with BOM. The zip is
deterministic (entries sorted, dated `today`), so the same register gives the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from email import policy as email_policy
from email.parser import BytesHeaderParser
from pathlib import Path

from relance.core.law.claims import Claims
from relance.documents.letters import amounts
from relance.core.config import Policy
from relance.documents.names import safe_name
from relance.core.model import ZERO, Client, Invoice, JournalEntry, Register
from relance.core.money import totals as currency_totals
from relance.core.rules.instalments import settled

PROOF = re.compile(r"lettre LRAR à envoyer : (\S+) sha256=([0-9a-f]{64})")


class DossierError(Exception):
    pass


@dataclass
class Dossier:
    client: Client
    filename: str
    content: bytes
    totals: tuple[tuple[str, Decimal], ...]  # per currency, never one sum across currencies
    entries: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y %H:%M" if isinstance(value, datetime) else "%d/%m/%Y")


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def client_journal(register: Register, client: str) -> list[JournalEntry]:
    """Journal rows naming the client, or one of its invoices (staff often fill only one of the two)."""
    numbers = {i.number for i in register.invoices if i.client == client}
    return [e for e in register.journal if e.client == client or e.invoice in numbers]


def decompte(register: Register, policy: Policy, client: Client, today: date,
             claims: Claims | None = None) -> tuple[list[list[str]], tuple[tuple[str, Decimal], ...], list[str]]:
    """Rows of the statement, the total claimed per currency, and warnings (interest without a figure).

    Amounts in different currencies are never added: one TOTAL row per currency (« TOTAL USD »),
    a single « TOTAL » row when every invoice is in the same currency."""
    claims = claims or Claims(policy, register)
    rows, sums, warnings = [], {}, []
    mine = (settled(i, register.instalments) for i in register.invoices if i.client == client.code)
    for invoice in sorted(mine, key=lambda i: (i.due, i.number)):  # paid instalments are not claimed again
        claim = claims.claim(invoice, client, today)
        if invoice.status == "Annulée" or claim.total <= 0:
            continue
        penalty = claim.penalty
        indemnity = penalty.indemnity if penalty else claim.indemnity
        figures = [invoice.amount, claim.principal, claim.interest, indemnity, claim.total]
        currency = invoice.currency or "EUR"
        sums[currency] = [a + b for a, b in zip(sums.get(currency, [ZERO] * 5), figures)]
        basis = " ; ".join(dict.fromkeys(s.rate_basis for s in penalty.segments)) if penalty else ""
        if claim.error:
            basis = "pénalités à parfaire : " + claim.error
            warnings.append(f"{invoice.number} : {claim.error}")
        days = penalty.days_late if penalty else max(0, (today - invoice.due).days)
        rows.append([invoice.number, _day(invoice.issued), _day(invoice.due), _amount(invoice.amount),
                     _amount(invoice.paid), _day(invoice.paid_on), _amount(claim.principal), str(days),
                     _amount(claim.interest), _amount(indemnity), _amount(claim.total), basis, currency])
    basis = (f"arrêté au {_day(today)} ; intérêts simples, jours exacts / 365, montant TTC (art. L441-10 C. com.)"
             if client.b2b else f"arrêté au {_day(today)} ; intérêts au taux légal depuis la mise en demeure")
    ordered = currency_totals((code, ZERO) for code in sums) or (("EUR", ZERO),)
    for code, _ in ordered:
        totals = sums.get(code, [ZERO] * 5)
        rows.append(["TOTAL" if len(ordered) == 1 else f"TOTAL {code}", "", "", _amount(totals[0]), "", "",
                     _amount(totals[1]), "", _amount(totals[2]), _amount(totals[3]), _amount(totals[4]), basis, code])
    return rows, tuple((code, sums.get(code, [ZERO] * 5)[4]) for code, _ in ordered), warnings


DECOMPTE_HEADER = ["Facture", "Date facture", "Échéance", "Montant TTC", "Réglé", "Date de règlement",
                   "Principal restant dû", "Jours de retard", "Pénalités de retard", "Indemnité forfaitaire",
                   "Total dû", "Base de calcul", "Devise"]


def _invoices_csv(invoices: list[Invoice]) -> bytes:
    return _csv(["N° facture", "Date facture", "Échéance", "Montant TTC", "Devise", "Montant réglé",
                 "Date de règlement", "Statut", "Lien de paiement", "Notes"],
                [[i.number, _day(i.issued), _day(i.due), _amount(i.amount), i.currency, _amount(i.paid),
                  _day(i.paid_on), i.status, i.payment_link, i.notes] for i in invoices])


def _journal_csv(entries: list[JournalEntry]) -> bytes:
    return _csv(["Horodatage", "N° facture", "Client", "Étape", "Canal", "Destinataire", "Objet", "Statut", "Clé",
                 "Message-ID", "Auteur", "Commentaire"],
                [[_day(e.timestamp), e.invoice, e.client, e.stage, e.channel, e.recipient, e.subject, e.status,
                  e.key, e.message_id, e.author, e.comment] for e in entries])


def sent_messages(outbox: Path, entries: list[JournalEntry]) -> dict[str, bytes]:
    """.eml files of the outbox whose X-Relance-Key or Message-ID is in `entries` (test sends left out)."""
    keys = {e.key for e in entries if e.key and e.status != "test"}
    ids = {e.message_id for e in entries if e.message_id and e.status != "test"}
    found: dict[str, bytes] = {}
    for path in sorted(outbox.glob("*.eml")) if outbox.is_dir() else ():
        with path.open("rb") as handle:
            headers = BytesHeaderParser(policy=email_policy.default).parse(handle)
        if str(headers.get("X-Relance-Key", "")) in keys or str(headers.get("Message-ID", "")) in ids:
            found[path.name] = path.read_bytes()
    return found


def letter_pattern(client: str) -> re.Pattern:
    """Exactly ``<date>_<client>_mise-en-demeure.pdf`` for this client: a glob ``*_001_…`` also took
    ``…_FR_001_…``, another client's formal notice, into the dossier."""
    return re.compile(rf"\d{{4}}-\d{{2}}-\d{{2}}_{re.escape(safe_name(client, 'client'))}_mise-en-demeure\.pdf")


def letters_of(policy: Policy, client: str, entries: list[JournalEntry],
               others: frozenset[str] = frozenset()) -> tuple[dict[str, bytes], list[list[str]]]:
    """The client's formal-notice PDFs, and for each its SHA-256 next to the one the journal recorded.
    Files found only in the folder are taken when their name is this client's exactly and no other
    client code (`others`) gives the same file name."""
    folder = policy.resolve(policy.paths.letters)
    recorded = {Path(m[1]).name: m[2] for e in entries for m in PROOF.finditer(e.comment)}
    names = set(recorded)
    shared = safe_name(client, "client") in {safe_name(o, "client") for o in others if o != client}
    if folder.is_dir() and not shared:
        pattern = letter_pattern(client)
        names |= {p.name for p in folder.iterdir() if pattern.fullmatch(p.name)}
    files, rows = {}, []
    for name in sorted(names):
        path = folder / name
        actual = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        if actual:
            files[name] = path.read_bytes()
        expected = recorded.get(name, "")
        verdict = ("fichier absent" if not actual else "non journalisé" if not expected
                   else "conforme" if actual == expected else "DIFFÉRENT du fichier envoyé")
        rows.append([name, actual, expected, verdict])
    return files, rows


def build_dossier(register: Register, policy: Policy, code: str, today: date) -> Dossier:
    """The zip for client `code`, as of `today`."""
    client = register.clients.get(code)
    if client is None:
        raise DossierError(f"client « {code} » introuvable dans l'onglet Clients")
    invoices = sorted((i for i in register.invoices if i.client == code), key=lambda i: (i.due, i.number))
    if not invoices:
        raise DossierError(f"aucune facture pour le client {code} dans l'onglet Factures")
    entries = client_journal(register, code)
    rows, total, warnings = decompte(register, policy, client, today)
    messages = sent_messages(policy.resolve(policy.mail.outbox), entries)
    letters, proofs = letters_of(policy, code, entries, frozenset(register.clients))
    warnings += [f"lettre {name} : {verdict}" for name, _, _, verdict in proofs if verdict != "conforme"]
    files = {"decompte.csv": _csv(DECOMPTE_HEADER, rows), "factures.csv": _invoices_csv(invoices),
             "journal.csv": _journal_csv(entries), "lettres.csv": _csv(["Fichier", "SHA-256", "SHA-256 journal",
                                                                         "Vérification"], proofs),
             **{f"messages/{name}": data for name, data in messages.items()},
             **{f"lettres/{name}": data for name, data in letters.items()}}
    files["LISEZMOI.txt"] = _readme(policy, client, today, total, sorted(files), warnings).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(entry_name(today, code, name), (today.year, today.month, today.day, 0, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, files[name])
    return Dossier(client, f"{today.isoformat()}_{safe_name(code, 'client')}_dossier-recouvrement.zip", buffer.getvalue(), total,
                   sorted(files), warnings)


def entry_name(today: date, code: str, name: str) -> str:
    """``2026-11-25_C010/messages/x.eml`` with every part made safe: a client code such as ``../../x``
    (or a file name from the journal) must never put an entry outside the dossier's folder."""
    parts = [safe_name(part) for part in name.split("/")]
    return "/".join([f"{today.isoformat()}_{safe_name(code, 'client')}", *parts])


def _readme(policy: Policy, client: Client, today: date, total: tuple[tuple[str, Decimal], ...],
            names: list[str], warnings: list[str]) -> str:
    company = policy.company
    lines = [f"Dossier de recouvrement – {client.display_name} ({client.code}) – arrêté au {_day(today)}", "",
             f"Créancier : {company.name}, SIREN {company.siren}, {company.address}, {company.email}",
             f"Débiteur : {client.display_name}" + (f", SIREN {client.siren}" if client.siren else "")
             + f", {client.address or 'adresse non renseignée'}"
             + (f", contact {client.contact}" if client.contact else "") + (f", {client.email}" if client.email else ""),
             f"Type : {'professionnel (B2B) : pénalités L441-10 C. com. et indemnité de 40 € par facture' if client.b2b else 'consommateur (B2C) : intérêts au taux légal depuis la mise en demeure, ni indemnité ni frais (L111-8 CPCE)'}",
             f"Total dû à ce jour : {amounts(total)} (détail dans decompte.csv)", "", "Contenu :",
             *(f"- {name}" for name in names), "",
             "À joindre par vos soins : contrat, devis signé ou CGV acceptées ; bons de livraison ou procès-verbal "
             "de réception ; avis de réception de la lettre recommandée.",
             "Rappel : une mise en demeure n'interrompt pas la prescription (5 ans B2B, 2 ans B2C) ; "
             "l'ordonnance d'injonction de payer doit être signifiée dans les 6 mois (art. 1411 CPC)."]
    if warnings:
        lines += ["", "Points à vérifier :", *(f"- {w}" for w in warnings)]
    return "\r\n".join(lines) + "\r\n"
