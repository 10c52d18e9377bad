"""`relance anonymise --before DATE`: erase the personal data of clients whose business is over (GDPR).

Personal data is kept only as long as needed (RGPD art. 5-1-e); amounts are not personal data once the
people are gone from the rows, and they keep the statistics (Synthèse, Historique) right.

A client qualifies when, as the register says:
- it has at least one invoice, and every one is closed: paid in full (``Payée`` or nothing left to pay)
  or ``Annulée``, closed before DATE (the payment date, else the due date);
- no Factures row of the client was left out for a problem (an unreadable row might be an open invoice);
- no journal row about it is dated on or after DATE (a recent call means the relation is not over).

What is erased (set empty), in every tab:
- Clients: Contact, Email, Email copie, Téléphone, Adresse, and Raison sociale for consumers (a person's
  name); a company's name and SIREN are not personal data and are kept;
- Factures: Notes and Lien de paiement (free text and links that may name a person);
- Journal: Destinataire and Commentaire of every row about the client or its invoices.
Codes, invoice numbers, dates, amounts, stages and statuses stay.

Retention (``[retention]`` in config.toml): personal data is kept while a claim could still be brought,
``b2b_years`` (5, C. com. L110-4) or ``b2c_years`` (2, C. consom. L218-2) after the client's last payment
or contact. So a cutoff younger than the shorter retention is refused, a cutoff in the future is an
error, each client still inside its own retention is kept (and the command says until when), and a
client with a formal notice (mise en demeure) about an invoice that is not closed in the register keeps
everything: that notice is the proof of an open claim.

This module is pure: it computes `Redaction`s (which rows, which columns) and previews the cells
they change; the backend's `redact` (the one verb allowed to write staff columns) applies them.
.eml files and letters on disk are not touched: `personal_files` lists them for a human to delete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from relance.core import cells, schema
from relance.core.law.prescription import add_years
from relance.core.statuses import SENT
from relance.core.model import Invoice, RawTabs, Register, RowProblem

ANONYMOUS_NAME = "Client anonymisé"


@dataclass(frozen=True, slots=True)
class Redaction:
    """Set `values` (column key -> new text) in every row of `tab` whose `key_column` equals `key`."""

    tab: str
    key_column: str
    key: str
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CellChange:
    tab: str
    row: int
    column: str  # header as in the sheet
    cell: str  # A1 reference

    def __str__(self) -> str:
        return f"{self.tab}!{self.cell} ({self.column})"


def _closed_on(invoice: Invoice) -> date | None:
    """When the invoice stopped being owed, or None while it is still open."""
    if not invoice.closed:
        return None
    if invoice.status == "Annulée":
        return invoice.due
    return max(invoice.due, invoice.paid_on) if invoice.paid_on else invoice.due


def eligible_clients(register: Register, problems: Iterable[RowProblem], before: date) -> list[str]:
    """Codes of the clients whose data may be erased (see the module doc), sorted."""
    unsure = {p.client for p in problems if p.tab == "Factures" and p.client}
    by_client: dict[str, list[Invoice]] = {}
    for invoice in register.invoices:
        by_client.setdefault(invoice.client, []).append(invoice)
    numbers = {i.number: i.client for i in register.invoices}
    recent = {e.client or numbers.get(e.invoice, "") for e in register.journal if e.day and e.day >= before}
    codes = []
    for code in register.clients:
        invoices = by_client.get(code)
        if not invoices or code in unsure or code in recent:
            continue
        closed = [_closed_on(i) for i in invoices]
        if all(day is not None and day < before for day in closed):
            codes.append(code)
    return sorted(codes)


class CutoffError(ValueError):
    """A --before date that would erase data still needed (or a date in the future)."""


def check_cutoff(before: date, today: date, b2b_years: int, b2c_years: int) -> None:
    """Refuse a cutoff in the future or younger than the shorter retention (CutoffError, in French)."""
    if before > today:
        raise CutoffError(f"--before {before:%d/%m/%Y} est dans le futur (aujourd'hui : {today:%d/%m/%Y}).")
    latest = add_years(today, -min(b2b_years, b2c_years))
    if before > latest:
        raise CutoffError(f"--before {before:%d/%m/%Y} trop récent : les données d'un client sont conservées "
                          f"{b2c_years} an(s) (particulier) ou {b2b_years} an(s) (entreprise) après son dernier "
                          f"paiement ou contact, tant qu'une action en paiement reste possible ; choisissez une "
                          f"date au plus tard le {latest:%d/%m/%Y} (réglable dans [retention]).")


def kept_clients(register: Register, codes: Iterable[str], today: date, b2b_years: int, b2c_years: int,
                 formal_stages: Iterable[str] = ("demeure",)) -> dict[str, str]:
    """Clients of `codes` whose data must stay, with the reason shown to staff."""
    formal = set(formal_stages)
    kept: dict[str, str] = {}
    for code in codes:
        client = register.clients[code]
        invoices = [i for i in register.invoices if i.client == code]
        numbers = {i.number for i in invoices}
        entries = [e for e in register.journal if e.client == code or e.invoice in numbers]
        open_notice = next((e for e in entries if e.stage in formal and e.status == SENT
                            and e.invoice and (e.invoice not in numbers or _closed_on(
                                next(i for i in invoices if i.number == e.invoice)) is None)), None)
        if open_notice:
            kept[code] = (f"mise en demeure de {open_notice.invoice} (Journal ligne {open_notice.row}) pour une "
                          f"créance non soldée dans le registre : preuve conservée")
            continue
        days = [d for d in [*(i.paid_on for i in invoices), *(_closed_on(i) for i in invoices),
                            *(e.day for e in entries)] if d]
        years = b2b_years if client.b2b else b2c_years
        until = add_years(max(days), years) if days else None
        if until and until >= today:
            kept[code] = (f"conservé jusqu'au {until:%d/%m/%Y} : {years} an(s) après le dernier paiement ou "
                          f"contact ({max(days):%d/%m/%Y}), délai pendant lequel une action reste possible")
    return kept


def redactions(register: Register, codes: Iterable[str]) -> list[Redaction]:
    """What to erase for each client of `codes`."""
    result = []
    for code in codes:
        client = register.clients[code]
        values = {"contact": "", "email": "", "cc": "", "phone": "", "address": ""}
        if not client.b2b:
            values["name"] = ANONYMOUS_NAME
        result.append(Redaction("Clients", "code", code, values))
        result.append(Redaction("Factures", "client", code, {"notes": "", "payment_link": ""}))
        result.append(Redaction("Journal", "client", code, {"recipient": "", "comment": ""}))
        for invoice in register.invoices:
            if invoice.client == code:
                result.append(Redaction("Journal", "invoice", invoice.number, {"recipient": "", "comment": ""}))
    return result


Selection = dict[tuple[str, str], dict[str, Mapping[str, str]]]  # (tab, key column) -> key -> new values


def grouped(todo: Iterable[Redaction]) -> Selection:
    """Redactions by tab and key column, so each tab is scanned once per key column, not once per client."""
    groups: Selection = {}
    for r in todo:
        slot = groups.setdefault((r.tab, r.key_column), {})
        slot[r.key] = {**slot.get(r.key, {}), **r.values}
    return groups


def matching_rows(tab: schema.Tab, key_column: str, by_key: Mapping[str, Mapping[str, str]], header: list[object],
                  rows: Iterable[tuple[int, list[object]]]) -> Iterable[tuple[int, int, str]]:
    """(row number, 0-based column, new value) of every cell to set; shared by `preview` and the backend."""
    positions = schema.map_headers(tab, header)
    key_index = positions.get(key_column)
    if key_index is None:
        return
    for number, values in rows:
        new = by_key.get(cells.clean_text(values[key_index])) if key_index < len(values) else None
        for column, value in (new or {}).items():
            if column in positions:
                yield number, positions[column], value


def preview(raw: RawTabs, todo: Iterable[Redaction]) -> list[CellChange]:
    """The cells `todo` would change (non-empty cells that differ), for --dry-run and the confirmation."""
    tabs = {t.name: t for t in schema.TABS}
    changes: dict[tuple[str, int, int], CellChange] = {}
    for (tab, key_column), by_key in grouped(todo).items():
        sheet = raw.get(tab)
        if sheet is None or not sheet.rows:
            continue
        header = list(sheet.rows[0])
        numbered = [(n, list(values)) for n, values in enumerate(sheet.rows[1:], start=2)]
        for number, index, value in matching_rows(tabs[tab], key_column, by_key, header, numbered):
            row = sheet.rows[number - 1]
            current = cells.clean_text(row[index]) if index < len(row) else ""
            if current and current != value:
                changes[(sheet.title, number, index)] = CellChange(
                    sheet.title, number, str(header[index]), f"{schema.column_letter(index)}{number}")
    return sorted(changes.values(), key=lambda c: (c.tab, c.row, c.cell))


def personal_files(outbox: Path, letters: Path, codes: Iterable[str]) -> list[Path]:
    """Messages and letters on disk that name these clients (file names carry the client code)."""
    found: list[Path] = []
    for code in codes:
        found += outbox.rglob(f"*_{code}_*.eml") if outbox.is_dir() else []
        found += letters.glob(f"*_{code}_mise-en-demeure*.pdf") if letters.is_dir() else []
    return sorted(set(found))
