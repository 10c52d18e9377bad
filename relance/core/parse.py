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
from datetime import date, datetime
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from relance.core import cells, schema
from relance.core.memory import TAB as MEMORY_TAB
from relance.core.perf import paused_gc
from relance.core.renumbering import confirmed_new, former_numbers, read as read_chased
from relance.core.statuses import MANUAL, STATUSES, canonical as canonical_status
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
        if (type(value) is str and value[:1] == "#") or isinstance(value, cells.Unreadable):
            why = cells.unreadable(value)
            if why:  # unknown, never read as its text: the row waits (a Factures note only informs staff)
                self.problem(key, why, fatal=key != "notes")
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
    decisive = [c.header for c in tab.columns if c.decisive and c.key not in positions]
    if decisive:
        found = ", ".join(str(h) for h in header if h not in (None, "")) or "aucun"
        raise RegisterError(f"{raw.title} : colonne(s) {', '.join(repr(d) for d in decisive)} introuvable(s) : "
                            f"elle(s) décide(nt) si une relance part, aucune relance tant qu'elle(s) manque(nt) ; "
                            f"rétablissez l'en-tête (trouvé : {found}).")
    twins = schema.twin_headers(tab, list(header), positions)
    if twins:
        raise RegisterError(f"{raw.title} : {twins}")
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


def parse_register(tabs: RawTabs, timezone: str = "Europe/Paris",
                   today: date | None = None) -> tuple[Register, list[RowProblem]]:
    """Read every tab; return the register of healthy rows and the problems.

    With `today` (the run's day), dates are also checked against it: an invoice issued after today, or
    any date more than `cells.FUTURE_YEARS` years ahead, is a problem on its row, never a crash later."""
    with paused_gc():
        return _parse(tabs, timezone, today)


def _parse(tabs: RawTabs, timezone: str, today: date | None) -> tuple[Register, list[RowProblem]]:
    problems: list[RowProblem] = []
    clients, blocked = _clients(tabs, problems)
    owners: dict[str, str] = {}  # every invoice number of Factures -> its client code, healthy row or not
    invoices = _invoices(tabs, clients, blocked, problems, owners, today)
    held: dict[str, str] = {}  # invoice -> why another tab holds it (the invoice itself read fine)
    journal = tuple(_journal(tabs, problems, ZoneInfo(timezone), owners, clients.keys() | blocked.keys(),
                             today, held))
    tasks = tuple(_tasks(tabs, problems))
    instalments = tuple(_instalments(tabs, problems, held))
    if held:  # e.g. a plan with a row missing would claim the wrong instalments: hold the invoice
        rows = {i.number: i.row for i in invoices}
        for number, why in held.items():
            problems.append(RowProblem("Factures", rows.get(number), "N° facture", f"{why} : aucune relance tant "
                                       f"que ce n'est pas corrigé", None, number))
        invoices = tuple(i for i in invoices if i.number not in held)
    register = Register(invoices, clients, journal, tasks, instalments, chased=read_chased(tabs.get(MEMORY_TAB)))
    from relance.core.inbound import bounced_view  # a bounced Email is no email (inbound.py)
    from relance.core.receipts import bank_view, read_receipts  # bank credits count at once (receipts.py)
    register = bounced_view(register, problems)
    return bank_view(register, read_receipts(tabs.get("Encaissements"), problems)), problems


def _clients(tabs: RawTabs, problems: list[RowProblem]) -> tuple[dict[str, Client], dict[str, str]]:
    """Healthy clients by code, and the codes that must not be chased (code -> why, for their invoices' Alerte).

    A choice cell that decides who gets what (Relances auto, Type, Segment, Langue, Prélèvement) is read
    strictly: « Non (client sensible) » is not Oui, « B2C (particulier) » is not B2B. When it cannot be
    read, the client is blocked until a human fixes it, never given the permissive default. A blank Type
    is read from a valid SIREN/SIRET (a business) or the Particulier segment (a consumer), else blocked."""
    clients: dict[str, Client] = {}
    blocked: dict[str, str] = {}
    seen: dict[str, list[int]] = {}  # code -> every row holding it
    for row in _rows(schema.CLIENTS, tabs.get("Clients"), problems, required=True):
        start = len(problems)
        code = row.text("code")
        row.client = code or None
        if not code:
            if not row.bad:
                row.problem("code", "code client manquant")
            continue
        seen.setdefault(code, []).append(row.number)
        if len(seen[code]) > 1:
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
        segment = row.read("segment", cells.parse_choice, schema.SEGMENTS, cells.SEGMENT_ALIASES) or "Standard"
        kind = row.read("kind", cells.parse_choice, ("B2B", "B2C"), cells.KIND_ALIASES)
        language = row.read("language", cells.parse_choice, schema.LANGUAGES, cells.LANGUAGE_ALIASES)
        auto = row.read("auto", cells.parse_bool, True)
        direct_debit = row.read("direct_debit", cells.parse_bool, False)
        siren = row.text("siren")
        if not kind and not row.bad:
            kind = _kind_from(row, siren, segment)
        if row.bad:
            blocked[code] = "client " + " ; ".join(str(p) for p in problems[start:])
            continue
        clients[code] = Client(
            code=code, name=row.text("name"), email=email, contact=row.text("contact"), cc=cc,
            phone=row.text("phone"), language=language or "fr", segment=segment, b2b=kind == "B2B",
            account_manager=manager if cells.valid_email(manager) else "",
            auto=True if auto is None else auto, address=row.text("address"), siren=siren,
            direct_debit=bool(direct_debit), row=row.number,
            bank_aliases=tuple(a.strip() for a in row.text("bank_aliases").split(";") if a.strip()))
    for code, rows in seen.items():
        if len(rows) > 1:  # like a duplicated invoice number: the bot cannot know which row is right
            clients.pop(code, None)
            where = ", ".join(str(r) for r in rows)
            blocked[code] = f"code client « {code[:40]} » en double dans Clients (lignes {where})"
            for r in rows:
                problems.append(RowProblem("Clients", r, "Code client", f"code client « {code[:40]} » en double "
                                           f"(lignes {where}) : aucune relance tant que ce n'est pas corrigé",
                                           None, None, code))
    return clients, blocked


def _kind_from(row: _Row, siren: str, segment: str) -> str:
    """Type left blank: B2B only on a valid SIREN/SIRET, B2C on the Particulier segment, else a problem."""
    if cells.company_number(siren):
        return "B2B"
    if segment == "Particulier":
        return "B2C"
    why = f"SIREN « {siren[:20]} » invalide" if siren else "pas de SIREN"
    row.problem("kind", f"Type vide et {why} : indiquez B2B ou B2C (aucune relance ni pénalité d'ici là)")
    return ""


def _invoices(tabs: RawTabs, clients: dict[str, Client], blocked: dict[str, str],
              problems: list[RowProblem], owners: dict[str, str], today: date | None) -> tuple[Invoice, ...]:
    candidates: list[Invoice] = []
    first: dict[str, int] = {}  # number -> its row
    duplicates: dict[str, list[int]] = {}  # number -> every row holding it, when more than one
    for row in _rows(schema.FACTURES, tabs.get("Factures"), problems, required=True):
        number = row.text("invoice")
        row.invoice = number or None
        if not number:
            if not row.bad:  # else the cell's own problem (a formula in error) says it
                row.problem("invoice", "N° facture manquant : la ligne ne peut pas être suivie")
            continue
        if number in first:
            duplicates.setdefault(number, [first[number]]).append(row.number)
        else:
            first[number] = row.number
        client = row.text("client")
        row.client = client or None
        owners.setdefault(number, client)
        if row.bad:  # the Client cell holds a formula in error: its own problem says it
            pass
        elif not client:
            row.problem("client", "code client manquant")
        elif client in blocked:
            row.problem("client", f"{blocked[client]} : aucune relance tant que ce n'est pas corrigé")
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
        _check_dates(row, issued, due, paid_on, today)
        status = row.read("status", cells.parse_choice, schema.STATUSES, cells.STATUS_ALIASES)
        currency = (row.text("currency") or "EUR").upper()
        if len(currency) != 3 or not currency.isalpha():
            row.problem("currency", f"devise inconnue « {currency[:10]} » (attendu un code ISO comme EUR)")
        if row.bad:
            continue
        candidates.append(Invoice(number=number, client=client, due=due, amount=amount, issued=issued,
                                  currency=currency, paid=paid, paid_on=paid_on, status=status or "",
                                  payment_link=row.text("payment_link"), notes=row.text("notes"), row=row.number,
                                  client_note=row.text("client_note"), order_ref=row.text("order_ref"),
                                  former=former_numbers(row.text("former")), new=confirmed_new(row.text("former"))))
    for number, rows in sorted(duplicates.items(), key=lambda item: item[1][0]):
        where = ", ".join(str(r) for r in rows)
        for r in rows:
            problems.append(RowProblem("Factures", r, "N° facture", f"N° facture « {number} » en double "
                                       f"(lignes {where}) : aucune relance tant que ce n'est pas corrigé",
                                       f"{schema.column_letter(0)}{r}", number))
    return tuple(i for i in candidates if i.number not in duplicates)


def _check_dates(row: _Row, issued: date | None, due: date | None, paid_on: date | None,
                 today: date | None) -> None:
    """Dates that contradict each other or the calendar: 364 days of penalties must never come from a typo."""
    if issued and due and due < issued:
        row.problem("due", f"échéance {due:%d/%m/%Y} antérieure à la date de facture {issued:%d/%m/%Y}")
    if today is None:
        return
    if issued and issued > today:
        row.problem("issued", f"facture datée du {issued:%d/%m/%Y}, après aujourd'hui ({today:%d/%m/%Y})")
    for key, day in (("due", due), ("paid_on", paid_on)):
        if day and not cells.plausible(day, today):
            row.problem(key, f"date improbable « {day:%d/%m/%Y} » (plus de {cells.FUTURE_YEARS} ans après aujourd'hui)")


def _timestamp(row: _Row, tz: ZoneInfo) -> datetime | None:
    value = row.read("timestamp", cells.parse_datetime, fatal=False)
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=tz)


KNOWN_STATUSES = set(STATUSES)


def _journal(tabs: RawTabs, problems: list[RowProblem], tz: ZoneInfo, owners: dict[str, str],
             codes: set[str], today: date | None, held: dict[str, str]) -> Iterator[JournalEntry]:
    """Journal rows. A staff row (no bot key) is a ``manual`` row whatever its Statut says (blank, « Manuel »,
    « appel fait »), and one naming an invoice belongs to that invoice's client even when its Client cell is
    blank or holds an old code: a promise logged that way must hold the reminders, not be ignored."""
    stamps: dict[float, datetime] = {}  # a run stamps all its rows alike: serial -> aware datetime, read once
    for row in _rows(schema.JOURNAL, tabs.get("Journal"), problems, required=False):
        row.invoice = row.text("invoice") or None
        serial = row.raw("timestamp")
        timestamp = stamps.get(serial) if type(serial) is float else None
        if timestamp is None:
            timestamp = _timestamp(row, tz)
            if type(serial) is float and timestamp is not None:
                stamps[serial] = timestamp
        if timestamp is not None and today is not None and not cells.plausible(timestamp.date(), today):
            row.problem("timestamp", f"date improbable « {timestamp:%d/%m/%Y} » (plus de {cells.FUTURE_YEARS} ans "
                        f"après aujourd'hui) : ligne ignorée pour les délais entre relances", fatal=False)
            timestamp = None  # a contact « in 2090 » would hold the client's reminders for ever
        status, key, client = canonical_status(row.text("status")), row.text("key"), row.text("client")
        if status not in KNOWN_STATUSES and not key and not row.text("message_id"):
            status = MANUAL  # a staff row: « Manuel », « appel fait », blank…
        if status == MANUAL:
            client = owners.get(row.text("invoice")) or client
            if client not in codes:
                row.problem("invoice" if row.invoice else "client", "ligne manuelle rattachée à aucune facture ni "
                            "aucun client connus : sans effet tant que N° facture ou Client n'est pas corrigé",
                            fatal=False)
            absurd = cells.implausible_date_in(row.text("comment"), today)
            if absurd:  # « promesse 31/12/9999 »: the row is left out and what it names is held for a human
                row.problem("comment", f"date improbable « {absurd} » dans le commentaire")
                why = f"ligne manuelle Journal!{row.number} : date improbable « {absurd} »"
                for number, owner in owners.items() if not row.invoice else ((row.invoice, client),):
                    if number == row.invoice or owner == client:
                        held.setdefault(number, why)
                continue
        yield JournalEntry(timestamp=timestamp, invoice=row.text("invoice"), client=client,
                           stage=row.text("stage"), channel=row.text("channel").lower(),
                           recipient=row.text("recipient"), subject=row.text("subject"),
                           status=status, key=key,
                           message_id=row.text("message_id"), author=row.text("author"),
                           comment=row.text("comment"), row=row.number,
                           **_promised(row))


def _promised(row: _Row) -> dict:
    """Promesse (date): the date, or the cell's text when unreadable (never a guess: rules/promises.py)."""
    try:
        return {"promised": cells.parse_date(row.raw("promised"))}
    except ValueError as exc:
        row.problem("promised", str(exc), fatal=False)
        return {"promised_cell": row.text("promised") or "?"}


def _tasks(tabs: RawTabs, problems: list[RowProblem]) -> Iterator[Task]:
    for row in _rows(schema.TACHES, tabs.get("Tâches"), problems, required=False):
        yield Task(created=row.read("created", cells.parse_date, fatal=False), client=row.text("client"),
                   invoices=cells.split_list(row.text("invoices")), reason=row.text("reason"),
                   assignee=row.text("assignee"), action=row.text("action"),
                   approved=bool(row.read("approved", cells.parse_bool, False, fatal=False)),
                   done_on=row.read("done_on", cells.parse_date, fatal=False), key=row.text("key"),
                   row=row.number)


def _instalments(tabs: RawTabs, problems: list[RowProblem], held: dict[str, str]) -> Iterator[Instalment]:
    for row in _rows(schema.ECHEANCIERS, tabs.get("Échéanciers"), problems, required=False):
        row.invoice = row.text("invoice") or None
        due = row.read("date", cells.parse_date)
        amount = row.read("amount", cells.parse_amount)
        number = row.read("number", cells.parse_amount)
        paid = row.read("paid", cells.parse_bool, False)
        if row.bad and row.invoice:
            held.setdefault(row.invoice, f"échéancier illisible (Échéanciers ligne {row.number})")
        if row.bad or due is None or amount is None or not row.invoice:
            continue
        yield Instalment(row.invoice, int(number or 0), due, amount, bool(paid), row.number)
