"""CSV exports of online and classic banks, through a column mapping.

Each profile maps our fields to the header names a bank writes (several spellings
each: banks change their exports, and translate them). ``[bank] csv_profile =
"auto"`` picks the first profile whose columns are all in the header row;
``"custom"`` uses ``[bank] csv_columns`` (field = header). The stdlib csv module
reads the file (delimiter sniffed), `cells` reads « 1 234,56 » and « 25/11/2026 »
as the register does. An amount is either one signed column (``amount``) or two
columns ``credit``/``debit``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from relance.core import cells, schema
from relance.core.config import BankConfig
from relance.core.matching import Statement, Transaction, stable_id

PROFILES: dict[str, dict[str, tuple[str, ...]]] = {
    # Qonto « Exporter les transactions » (English or French headers)
    "qonto": {"date": ("Settlement date (UTC)", "Date de règlement (UTC)", "Operation date (UTC)",
                       "Date de l'opération (UTC)"),
              "amount": ("Total amount (incl. VAT)", "Montant total (TTC)", "Amount", "Montant"),
              "currency": ("Currency", "Devise"),
              "counterparty": ("Counterparty name", "Nom de la contrepartie"),
              "reference": ("Reference", "Référence"),
              "id": ("Transaction ID", "ID de transaction", "Identifiant de la transaction")},
    # Shine « Export des transactions »
    "shine": {"date": ("Date de la transaction", "Date de l'opération"),
              "label": ("Libellé", "Nom de la transaction", "Intitulé"),
              "credit": ("Crédit",), "debit": ("Débit",),
              "counterparty": ("Contrepartie", "Nom de la contrepartie"),
              "reference": ("Référence", "Motif")},
    # A classic bank's « Téléchargement CSV » (Crédit Agricole, BNP, Société Générale shapes)
    "banque": {"date": ("Date opération", "Date", "Date d'opération", "Date de comptabilisation"),
               "label": ("Libellé", "Libellé opération", "Libelle"),
               "credit": ("Crédit euros", "Crédit", "Credit"), "debit": ("Débit euros", "Débit", "Debit"),
               "amount": ("Montant", "Montant(EUROS)", "Montant en euros")},
}
REQUIRED = ("date",)


def read_csv(path: Path, config: BankConfig) -> Statement:
    from relance.adapters.bank import StatementError
    text = _decode(path.read_bytes())
    delimiter = config.csv_delimiter or _sniff(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    start = next((i for i, row in enumerate(rows) if sum(bool(c.strip()) for c in row) >= 3), None)
    if start is None:
        raise StatementError(f"{path.name} : aucune ligne d'en-tête reconnue")
    header = [schema.normalise(c) for c in rows[start]]
    columns = _columns(header, config)
    if columns is None:
        raise StatementError(f"{path.name} : colonnes non reconnues ({', '.join(rows[start][:8])}) ; "
                             f"décrivez-les dans config.toml › [bank] csv_profile = \"custom\" et csv_columns")
    transactions, problems, seen = [], [], {}
    for number, row in enumerate(rows[start + 1:], start=start + 2):
        if not any(c.strip() for c in row):
            continue
        get = lambda field: row[columns[field]].strip() if field in columns and columns[field] < len(row) else ""
        try:
            booked = cells.parse_date(get("date"))
            if "amount" in columns and get("amount"):
                amount = cells.parse_amount(get("amount"))
            else:
                credit, debit = cells.parse_amount(get("credit")), cells.parse_amount(get("debit"))
                amount = (credit or 0) - abs(debit or 0)
            if booked is None or amount is None:
                raise ValueError("date ou montant vide")
        except ValueError as exc:
            problems.append(f"{path.name} ligne {number} : {exc}")
            continue
        label = " ".join(filter(None, (get("label"), get("reference"))))
        party = get("counterparty")
        txid = get("id")
        if not txid:
            base = stable_id(path.suffix, booked, amount, label, party)
            seen[base] = seen.get(base, -1) + 1
            txid = stable_id(path.suffix, booked, amount, label, party, seen[base])
        transactions.append(Transaction(txid, booked, amount, get("currency") or "EUR", label, party))
    end = max((t.booked for t in transactions), default=None)
    return Statement(path.name, end, tuple(transactions), tuple(problems))


def _columns(header: list[str], config: BankConfig) -> dict[str, int] | None:
    if config.csv_profile == "custom":
        profiles = {"custom": {field: (name,) for field, name in config.csv_columns.items()}}
    elif config.csv_profile == "auto":
        profiles = PROFILES
    else:
        profiles = {config.csv_profile: PROFILES[config.csv_profile]}
    for profile in profiles.values():
        found = {}
        for field, names in profile.items():
            index = next((header.index(schema.normalise(n)) for n in names if schema.normalise(n) in header), None)
            if index is not None:
                found[field] = index
        has_amount = "amount" in found or "credit" in found
        if all(f in found for f in REQUIRED) and has_amount and ("label" in found or "reference" in found):
            return found
    return None


def _decode(data: bytes) -> str:
    """Online banks write UTF-8, classic ones often Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _sniff(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=";,\t").delimiter
    except csv.Error:
        return ";"
