"""The spreadsheet layout (design §2), declared once.

Backends, the parser, `relance init` and the tests all read this table, so a header
renamed here is renamed everywhere. Columns are found by header *name*, never by
position: staff may reorder, insert or hide columns. English aliases are accepted
because half our users keep an English register.

Each column has a key (what the code calls it), its French header (what `init`
writes), aliases, and an owner: ``staff`` columns are never written by the bot,
``bot`` columns are never expected to be typed by staff.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from relance.core.statuses import FAILED, MANUAL, PENDING, RECEIVED, SENT, TEST

STAFF = "staff"
BOT = "bot"
BOT_NOTE = "rempli par relance — ne pas modifier"  # note on every bot header, both backends
BOT_HEADER_RGB = "E4DFEC"  # lavender: bot headers, distinct from staff blue (DDEBF7) and the stage colours
# the Journal's drop-down: the statuses staff may type (« incertain » is written by the bot, resolved by staff)
JOURNAL_CHOICES = (SENT, PENDING, FAILED, MANUAL, TEST, RECEIVED)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    owner: str = STAFF
    width: int = 14
    choices: tuple[str, ...] = ()
    required: bool = False
    decisive: bool = False  # optional for reading, but its absence would silently decide who gets a reminder


@dataclass(frozen=True, slots=True)
class Tab:
    name: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def bot_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.owner == BOT)


STATUSES = ("Payée", "Annulée", "Litige", "Pause", "Échéancier", "Prélèvement rejeté")
SEGMENTS = ("Standard", "Stratégique", "Particulier")
LANGUAGES = ("fr", "en")
YES_NO = ("Oui", "Non")

FACTURES = Tab("Factures", (
    Column("invoice", "N° facture", ("Invoice", "Invoice number", "Invoice no", "Invoice #", "Numéro de facture", "Facture"), required=True),
    Column("client", "Client", ("Client code", "Customer", "Code client"), required=True),
    Column("issued", "Date facture", ("Invoice date", "Date"), width=12),
    Column("due", "Échéance", ("Due date", "Date d'échéance", "Due"), width=12, required=True),
    Column("amount", "Montant TTC", ("Amount", "Total", "Amount incl. VAT", "Montant"), required=True),
    Column("currency", "Devise", ("Currency",), width=8),
    Column("paid", "Montant réglé", ("Paid", "Amount paid", "Réglé"), decisive=True),
    Column("paid_on", "Date de règlement", ("Payment date", "Paid on"), width=12, decisive=True),
    Column("status", "Statut", ("Status",), choices=STATUSES, decisive=True),
    Column("payment_link", "Lien de paiement", ("Payment link",), width=30),
    Column("notes", "Notes", ("Note", "Comments"), width=30),
    Column("stage", "Étape", ("Stage",), owner=BOT, width=24),
    Column("last_reminder", "Dernière relance", ("Last reminder",), owner=BOT, width=18),
    Column("next_action", "Prochaine action", ("Next action",), owner=BOT, width=40),
    Column("reminders_sent", "Relances envoyées", ("Reminders sent",), owner=BOT, width=10),
    Column("penalties", "Pénalités", ("Penalties", "Late fees"), owner=BOT),
    Column("alert", "Alerte", ("Alert", "Problem"), owner=BOT, width=40),
    # optional staff columns added later: at the end, so existing registers and positions are unchanged
    Column("client_note", "Note au client", ("Note to client", "Message au client"), width=30),
    Column("order_ref", "Référence commande", ("Order reference", "PO number", "Bon de commande", "Réf. commande"),
           width=16),
    # the number(s) a renumbered invoice had, so its journal history follows it (core/renumbering.py)
    Column("former", "Ancien numéro", ("Previous number", "Former number", "Old invoice number",
                                       "Ancien n° facture", "Ancien N°"), width=16),
), aliases=("Invoices",))

CLIENTS = Tab("Clients", (
    Column("code", "Code client", ("Client", "Client code", "Customer code", "Code"), required=True),
    Column("name", "Raison sociale", ("Company", "Name", "Nom"), width=28),
    Column("contact", "Contact", ("Contact name",), width=20),
    Column("email", "Email", ("E-mail", "Courriel", "Mail"), width=28),
    Column("cc", "Email copie", ("Cc", "Email cc", "Copy email"), width=28),
    Column("phone", "Téléphone", ("Phone", "Tel"), ),
    Column("language", "Langue", ("Language", "Lang"), width=8, choices=LANGUAGES),
    Column("segment", "Segment", ("Tier",), choices=SEGMENTS),
    Column("kind", "Type", ("Kind", "B2B/B2C"), width=8, choices=("B2B", "B2C"), decisive=True),
    Column("account_manager", "Chargé de compte", ("Account manager",), width=28),
    Column("auto", "Relances auto", ("Auto reminders", "Automatic reminders"), width=10, choices=YES_NO,
           decisive=True),
    Column("address", "Adresse", ("Address",), width=40),
    Column("siren", "SIREN", ("Company number", "SIRET"), ),
    Column("direct_debit", "Prélèvement", ("Direct debit", "SEPA"), width=10, choices=YES_NO, decisive=True),
    Column("bank_aliases", "Noms bancaires", ("Bank names", "Payer names", "Alias"), width=28),
), aliases=("Customers",))

ECHEANCIERS = Tab("Échéanciers", (
    Column("invoice", "N° facture", FACTURES.column("invoice").aliases, required=True),
    Column("number", "N° échéance", ("Instalment", "Instalment number"), width=10),
    Column("date", "Date", ("Due date",), width=12, required=True),
    Column("amount", "Montant", ("Amount",), required=True),
    Column("paid", "Réglé", ("Paid",), width=8, choices=YES_NO, decisive=True),
), aliases=("Payment plans", "Echeanciers"))

JOURNAL = Tab("Journal", (
    Column("timestamp", "Horodatage", ("Timestamp", "Date"), width=18),
    Column("invoice", "N° facture", FACTURES.column("invoice").aliases),
    Column("client", "Client", ("Client code", "Customer")),
    Column("stage", "Étape", ("Stage",)),
    Column("channel", "Canal", ("Channel",), choices=("email", "courrier", "téléphone", "tâche", "note")),
    Column("recipient", "Destinataire", ("Recipient", "To"), width=28),
    Column("subject", "Objet", ("Subject",), width=40),
    Column("status", "Statut", ("Status",), choices=JOURNAL_CHOICES),
    Column("key", "Clé", ("Key", "Idempotency key"), width=30),
    Column("message_id", "Message-ID", ("Message ID",), width=30),
    Column("author", "Auteur", ("Author", "By"), ),
    Column("comment", "Commentaire", ("Comment", "Notes"), width=40),
    Column("promised", "Promesse (date)", ("Promise date", "Promised date", "Date promise"), width=12),
), aliases=("Log",))

TACHES = Tab("Tâches", (
    Column("created", "Créée le", ("Created", "Created on"), width=12),
    Column("client", "Client", ("Customer",)),
    Column("invoices", "N° facture(s)", ("Invoices", "Invoice(s)", "N° facture")),
    Column("reason", "Motif", ("Reason",), width=40),
    Column("assignee", "Assignée à", ("Assignee", "Assigned to"), width=24),
    Column("action", "Action demandée", ("Action", "Requested action"), width=40),
    Column("approved", "Approuvée", ("Approved",), width=10, choices=YES_NO),
    Column("done_on", "Faite le", ("Done", "Done on"), width=12),
    Column("key", "Clé", ("Key",), owner=BOT, width=30),
), aliases=("Tasks", "Taches"))

CERTAINTIES = ("certaine", "incertaine", "non rapprochée", "hors factures")

# Bank credits imported by `relance encaissements` (relance/statements.py): bot-owned except `Validé`,
# where staff confirm (Oui), reject (Non) or correct (invoice numbers) what the bot matched.
ENCAISSEMENTS = Tab("Encaissements", (
    Column("booked", "Date", ("Booking date", "Date opération"), owner=BOT, width=12),
    Column("amount", "Montant", ("Amount",), owner=BOT),
    Column("currency", "Devise", ("Currency",), owner=BOT, width=8),
    Column("label", "Libellé", ("Label", "Remittance"), owner=BOT, width=40),
    Column("counterparty", "Émetteur", ("Payer", "Counterparty", "Contrepartie"), owner=BOT, width=28),
    Column("transaction", "Transaction", ("Transaction id", "Référence"), owner=BOT, width=30),
    Column("invoices", "Facture(s)", ("Invoices", "Factures"), owner=BOT, width=30),
    Column("certainty", "Certitude", ("Certainty",), owner=BOT, width=14, choices=CERTAINTIES),
    Column("note", "Commentaire", ("Comment",), owner=BOT, width=40),
    Column("statement_end", "Relevé au", ("Statement date",), owner=BOT, width=12),
    Column("validated", "Validé", ("Validated", "Confirmed"), width=16),
), aliases=("Payments received", "Bank"))

SYNTHESE = Tab("Synthèse", (), aliases=("Summary", "Synthese"))
HISTORIQUE = Tab("Historique", (), aliases=("History",))

TABS: tuple[Tab, ...] = (FACTURES, CLIENTS, ECHEANCIERS, JOURNAL, TACHES, SYNTHESE, HISTORIQUE, ENCAISSEMENTS)
DATA_TABS: tuple[Tab, ...] = (FACTURES, CLIENTS, ECHEANCIERS, JOURNAL, TACHES)


def normalise(header: object) -> str:
    """Header comparison key: case, accents, spaces and punctuation do not matter."""
    return _normalised(str(header or ""))


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    """Cached: drop-down cells (Statut, Segment, Oui/Non) repeat a handful of values on every row."""
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9#]", "", text.replace("n°", "no"))


def find_tab(names: list[str], tab: Tab) -> str | None:
    """The real tab title matching `tab` (by name or alias), if any."""
    wanted = {normalise(tab.name), *(normalise(a) for a in tab.aliases)}
    for name in names:
        if normalise(name) in wanted:
            return name
    return None


def map_headers(tab: Tab, header_row: list[object]) -> dict[str, int]:
    """Column key -> 0-based index, for the columns of `tab` found in `header_row`.

    The French header wins over an alias when both are present (a register may
    carry an unrelated "Date" column beside "Date facture")."""
    positions: dict[str, int] = {}
    normalised = [normalise(h) for h in header_row]
    for column in tab.columns:
        for name in (column.header, *column.aliases):
            key = normalise(name)
            if key and key in normalised:
                index = normalised.index(key)
                if index not in positions.values():
                    positions[column.key] = index
                    break
    return positions


def twin_headers(tab: Tab, header_row: list[object], positions: dict[str, int]) -> str:
    """Why the header row cannot be read ('' when it can): two columns under one decisive header.

    Why: staff copy a column (« Statut ») and forget to rename it; the bot would read the first and
    ignore a « Payée » typed in the second. Which one is right is a human call, so the tab is refused."""
    normalised = [normalise(h) for h in header_row]
    for column in tab.columns:
        if not (column.required or column.decisive) or column.key not in positions:
            continue
        twins = [column_letter(i) for i, n in enumerate(normalised) if n == normalised[positions[column.key]]]
        if len(twins) > 1:
            return (f"{len(twins)} colonnes « {column.header} » (colonnes {', '.join(twins)}) : relance ne sait pas "
                    f"laquelle lire ; aucune relance tant que l'une n'est pas renommée ou supprimée.")
    return ""


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
