"""Sheet rows -> a `Register` plus the list of `RowProblem`s found on the way.

Errors are values (beancount's loader): a row that cannot be read is reported with
its tab, cell and column, left out of the register, and the run goes on with the
healthy rows. Only a missing tab or header makes the register unreadable as a
whole, and that raises `RegisterError` with a sentence saying what to fix.

Rules about identity live here because they are about reading, not deciding:
a duplicated invoice number excludes *both* rows (the bot cannot know which one is
right, and writes are addressed by number), an unknown client code excludes the
invoice, a client without a usable email is kept (a later rule decides what to do).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from relance.core import cells, schema
from relance.core.perf import paused_gc
from relance.core.model import (
    ZERO,
    Client,
    Instalment,
    Invoice,
    JournalEntry,
    RawTab,
    RawTabs,
    Register,
    RowProblem,
    Task)


class RegisterError(Exception):
    """The register cannot be read at all (missing tab or header)."""


@dataclass(slots=True)
class _Row:
    """One sheet row with its header map; `read` turns a bad cell into a problem.

    `_rows` moves one `_Row` down the tab (a cursor: each reader is done with a row before
    it asks for the next), which spares building 900 000 of them for a 500 000-invoice register."""

    tab: schema.Tab
    title: str
    number: int
    values: list[Any]  # padded: `index` of an absent column points at a None past the header
    positions: dict[str, int]  # columns found in the header
    index: dict[str, int]  # every column of the tab
    problems: list[RowProblem]
    invoice: str | None = None
    client: str | None = None
    bad: bool = False

    def raw(self, key: str) -> Any:
        return self.values[self.index[key]]

    def text(self, key: str) -> str:
        value = self.values[self.index[key]]  # inlined raw + clean_text: ~20 calls a row, 500 000 rows
        if value is None:
            return ""
        text = value.strip() if type(value) is str and value.isprintable() else cells.clean_text(value)
        if len(text) > cells.MAX_TEXT:
            self.problem(key, f"texte trop long ({len(text)} caractères)")
            return text[:cells.MAX_TEXT]
        return text

    def read(self, key: str, convert: Callable[..., Any], *args: Any, fatal: bool = True) -> Any:
        try:
            return convert(self.values[self.index[key]], *args)
        except ValueError as exc:
            self.problem(key, str(exc), fatal=fatal)
            return None

    def problem(self, key: str | None, message: str, *, fatal: bool = True) -> None:
        cell = column = None
        if key is not None:
            column = self.tab.column(key).header
            if key in self.positions:
                cell = f"{schema.column_letter(self.positions[key])}{self.number}"
        self.problems.append(RowProblem(self.title, self.number, column, message, cell, self.invoice, self.client))
        self.bad = self.bad or fatal


def _rows(tab: schema.Tab, raw: RawTab | None, problems: list[RowProblem], *, required: bool) -> Iterator[_Row]:
    if raw is None:
        if required:
            raise RegisterError(f"onglet « {tab.name} » introuvable : créez-le (relance init) ou renommez l'onglet.")
        return
    header = raw.rows[0] if raw.rows else []
    positions = schema.map_headers(tab, list(header))
    missing = [c.header for c in tab.columns if c.required and c.key not in positions]
    if missing:
        found = ", ".join(str(h) for h in header if h not in (None, "")) or "aucun"
        raise RegisterError(f"{raw.title} : colonne(s) {', '.join(repr(m) for m in missing)} introuvable(s) "
                            f"dans la ligne d'en-tête (trouvé : {found}).")
    width = len(header)
    index = {c.key: positions.get(c.key, width) for c in tab.columns}
    row = _Row(tab, raw.title, 0, [], positions, index, problems)
    for offset, values in enumerate(raw.rows[1:], start=2):
        first = values[0] if values else None  # usually filled: no need to look at the rest
        if (type(first) is str and first.isprintable() and first.strip()) or any(cells.clean_text(v) for v in values):
            row.number, row.values = offset, list(values) + [None] * (width + 1 - len(values))
            row.invoice = row.client = None
            row.bad = False
            yield row


def parse_register(tabs: RawTabs, timezone: str = "Europe/Paris") -> tuple[Register, list[RowProblem]]:
    """Read every tab; return the register of healthy rows and the problems."""
    with paused_gc():
        return _parse(tabs, timezone)


def _parse(tabs: RawTabs, timezone: str) -> tuple[Register, list[RowProblem]]:
    problems: list[RowProblem] = []
    clients = _clients(tabs, problems)
    invoices = _invoices(tabs, clients, problems)
    journal = tuple(_journal(tabs, problems, ZoneInfo(timezone)))
    tasks = tuple(_tasks(tabs, problems))
    instalments = tuple(_instalments(tabs, problems))
    return Register(invoices, clients, journal, tasks, instalments), problems


def _clients(tabs: RawTabs, problems: list[RowProblem]) -> dict[str, Client]:
    clients: dict[str, Client] = {}
    for row in _rows(schema.CLIENTS, tabs.get("Clients"), problems, required=True):
        code = row.text("code")
        row.client = code or None
        if not code:
            row.problem("code", "code client manquant")
            continue
        if code in clients:
            row.problem("code", f"code client en double (déjà ligne {clients[code].row}) : ligne ignorée")
            continue
        email = row.text("email")
        if email and not cells.valid_email(email):
            row.problem("email", f"adresse email invalide « {email[:60]} »", fatal=False)
            email = ""
        listed = cells.split_list(row.text("cc"))
        cc = tuple(a for a in listed if cells.valid_email(a))
        if len(cc) < len(listed):  # said in Alerte, never dropped silently
            bad = ", ".join(f"« {a[:60]} »" for a in listed if not cells.valid_email(a))
            row.problem("cc", f"adresse(s) en copie invalide(s), non utilisée(s) : {bad}", fatal=False)
        manager = row.text("account_manager")
        if manager and not cells.valid_email(manager):
            row.problem("account_manager", f"adresse du chargé de compte invalide « {manager[:60]} » : ni copie ni "
                                           f"tâche à son nom", fatal=False)
        segment = row.read("segment", cells.parse_choice, schema.SEGMENTS, cells.SEGMENT_ALIASES, fatal=False)
        segment = segment or "Standard"
        kind = row.read("kind", cells.parse_choice, ("B2B", "B2C"), {"Particulier": "B2C", "Pro": "B2B"}, fatal=False)
        language = row.read("language", cells.parse_choice, schema.LANGUAGES,
                            {"français": "fr", "french": "fr", "anglais": "en", "english": "en"}, fatal=False)
        auto = row.read("auto", cells.parse_bool, True, fatal=False)
        direct_debit = row.read("direct_debit", cells.parse_bool, False, fatal=False)
        clients[code] = Client(
            code=code, name=row.text("name"), email=email, contact=row.text("contact"), cc=cc,
            phone=row.text("phone"), language=language or "fr", segment=segment,
            b2b=(kind or ("B2C" if segment == "Particulier" else "B2B")) == "B2B",
            account_manager=manager if cells.valid_email(manager) else "",
            auto=True if auto is None else auto, address=row.text("address"), siren=row.text("siren"),
            direct_debit=bool(direct_debit), row=row.number)
    return clients


def _invoices(tabs: RawTabs, clients: dict[str, Client], problems: list[RowProblem]) -> tuple[Invoice, ...]:
    candidates: list[Invoice] = []
    first: dict[str, int] = {}  # number -> its row
    duplicates: dict[str, list[int]] = {}  # number -> every row holding it, when more than one
    for row in _rows(schema.FACTURES, tabs.get("Factures"), problems, required=True):
        number = row.text("invoice")
        row.invoice = number or None
        if not number:
            row.problem("invoice", "N° facture manquant : la ligne ne peut pas être suivie")
            continue
        if number in first:
            duplicates.setdefault(number, [first[number]]).append(row.number)
        else:
            first[number] = row.number
        client = row.text("client")
        row.client = client or None
        if not client:
            row.problem("client", "code client manquant")
        elif client not in clients:
            row.problem("client", f"client inconnu « {client[:40]} » (absent de l'onglet Clients)")
        due = row.read("due", cells.parse_date)
        if due is None and not row.bad:
            row.problem("due", "échéance manquante")
        amount = row.read("amount", cells.parse_amount)
        if amount is None and not row.bad:
            row.problem("amount", "montant manquant")
        elif amount is not None and amount < 0:
            row.problem("amount", f"montant négatif ({amount}) : saisissez les avoirs à part")
        paid = row.read("paid", cells.parse_amount) or ZERO
        if paid < 0:
            row.problem("paid", f"montant réglé négatif ({paid})")
        issued = row.read("issued", cells.parse_date, fatal=False)
        paid_on = row.read("paid_on", cells.parse_date)
        status = row.read("status", cells.parse_choice, schema.STATUSES, cells.STATUS_ALIASES)
        currency = (row.text("currency") or "EUR").upper()
        if len(currency) != 3 or not currency.isalpha():
            row.problem("currency", f"devise inconnue « {currency[:10]} » (attendu un code ISO comme EUR)")
        if row.bad:
            continue
        candidates.append(Invoice(number=number, client=client, due=due, amount=amount, issued=issued,
                                  currency=currency, paid=paid, paid_on=paid_on, status=status or "",
                                  payment_link=row.text("payment_link"), notes=row.text("notes"), row=row.number))
    for number, rows in sorted(duplicates.items(), key=lambda item: item[1][0]):
        where = ", ".join(str(r) for r in rows)
        for r in rows:
            problems.append(RowProblem("Factures", r, "N° facture", f"N° facture « {number} » en double "
                                       f"(lignes {where}) : aucune relance tant que ce n'est pas corrigé",
                                       f"{schema.column_letter(0)}{r}", number))
    return tuple(i for i in candidates if i.number not in duplicates)


def _timestamp(row: _Row, tz: ZoneInfo) -> datetime | None:
    value = row.read("timestamp", cells.parse_datetime, fatal=False)
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _journal(tabs: RawTabs, problems: list[RowProblem], tz: ZoneInfo) -> Iterator[JournalEntry]:
    stamps: dict[float, datetime] = {}  # a run stamps all its rows alike: serial -> aware datetime, read once
    for row in _rows(schema.JOURNAL, tabs.get("Journal"), problems, required=False):
        row.invoice = row.text("invoice") or None
        serial = row.raw("timestamp")
        timestamp = stamps.get(serial) if type(serial) is float else None
        if timestamp is None:
            timestamp = _timestamp(row, tz)
            if type(serial) is float and timestamp is not None:
                stamps[serial] = timestamp
        yield JournalEntry(timestamp=timestamp, invoice=row.text("invoice"), client=row.text("client"),
                           stage=row.text("stage"), channel=row.text("channel").lower(),
                           recipient=row.text("recipient"), subject=row.text("subject"),
                           status=row.text("status").lower(), key=row.text("key"),
                           message_id=row.text("message_id"), author=row.text("author"),
                           comment=row.text("comment"), row=row.number)


def _tasks(tabs: RawTabs, problems: list[RowProblem]) -> Iterator[Task]:
    for row in _rows(schema.TACHES, tabs.get("Tâches"), problems, required=False):
        yield Task(created=row.read("created", cells.parse_date, fatal=False), client=row.text("client"),
                   invoices=cells.split_list(row.text("invoices")), reason=row.text("reason"),
                   assignee=row.text("assignee"), action=row.text("action"),
                   approved=bool(row.read("approved", cells.parse_bool, False, fatal=False)),
                   done_on=row.read("done_on", cells.parse_date, fatal=False), key=row.text("key"),
                   row=row.number)


def _instalments(tabs: RawTabs, problems: list[RowProblem]) -> Iterator[Instalment]:
    for row in _rows(schema.ECHEANCIERS, tabs.get("Échéanciers"), problems, required=False):
        row.invoice = row.text("invoice") or None
        due = row.read("date", cells.parse_date)
        amount = row.read("amount", cells.parse_amount)
        number = row.read("number", cells.parse_amount)
        paid = row.read("paid", cells.parse_bool, False)
        if row.bad or due is None or amount is None or not row.invoice:
            continue
        yield Instalment(row.invoice, int(number or 0), due, amount, bool(paid), row.number)
