"""`relance encaissements FICHIER`: the imperative shell that brings a bank statement into the register.

    lock -> load + parse (bank credits already recorded count) -> read the statement
         -> drop transactions already in Encaissements -> match (pure, core/matching.py)
         -> one write: Encaissements (whole tab, staff's Validé kept), tasks for uncertain credits -> unlock

Idempotent by construction: a transaction is keyed by the bank's entry reference
(CAMT ``AcctSvcrRef``, OFX ``FITID``, a CSV id column) or, when the bank gives none,
by a stable hash of the line (`matching.stable_id`); a key already in the tab is
never recorded again, so the same or overlapping statements can be imported at will.

The next `relance run` (or `plan`) reads the tab through `parse_register`: certain
matches are payments at once, uncertain ones hold their candidate invoices
(core/receipts.py), and « Relevé au » feeds the freshness gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from relance.adapters.backends import Backend, Changes, open_backend
from relance.adapters.bank import StatementError, read_statement
from relance.adapters.lock import run_lock
from relance.core import cells, schema
from relance.core import journal as jr
from relance.core.actions import NewTask
from relance.core.config import Policy
from relance.core.matching import CERTAIN, NOT_PAYMENT, UNCERTAIN, UNMATCHED, Match, match_all
from relance.core.model import RawTab
from relance.core.parse import parse_register
from relance.core.receipts import match_row, read_receipts

TAB = schema.ENCAISSEMENTS


@dataclass
class ImportReport:
    source: str
    statement_end: date | None
    read: int = 0                       # transactions in the file (credits and debits)
    already: int = 0                    # credits recorded by an earlier import
    matches: list[Match] = field(default_factory=list)
    tasks: list[NewTask] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def count(self, certainty: str) -> int:
        return sum(m.certainty == certainty for m in self.matches)


def import_statement(policy: Policy, path: Path, *, today: date, backend: Backend | None = None) -> ImportReport:
    """Import `path` into the register's Encaissements tab (see module doc); `today` stamps the tasks."""
    statement = read_statement(path, policy.bank)  # a wrong file fails before the register is touched
    backend = backend or open_backend(policy)
    lock = run_lock(backend)
    lock.acquire()
    try:
        raw = backend.load()
        register, _ = parse_register(raw, policy.schedule.timezone, today)
        known = {r.transaction for r in read_receipts(raw.get(TAB.name), [])}
        fresh, seen = [], set()
        report = ImportReport(statement.source, statement.end, len(statement.transactions),
                              problems=list(statement.problems))
        for tx in statement.transactions:
            if tx.amount <= 0:
                continue
            if tx.id in known or tx.id in seen:
                report.already += 1
                continue
            seen.add(tx.id)
            fresh.append(tx)
        report.matches = match_all(register, policy.bank, fresh)
        rows = [match_row(m, statement.end) for m in report.matches]
        if not rows and statement.end and (register.payments_up_to is None or statement.end > register.payments_up_to):
            rows.append(_statement_row(statement.source, statement.end))  # no new credit, but news all the same
        report.tasks = [uncertain_task(m, register, policy) for m in report.matches if m.certainty == UNCERTAIN]
        if rows or report.tasks:
            now = datetime.combine(today, time(12), tzinfo=ZoneInfo(policy.schedule.timezone))
            from relance.core.records import task_rows
            pairs = [task_rows(t, now) for t in report.tasks if t.key not in {x.key for x in register.tasks}]
            backend.apply(Changes(sheets={TAB.name: tab_rows(raw.get(TAB.name), rows)},
                                  tasks=tuple(p[0] for p in pairs), journal=tuple(p[1] for p in pairs if p[1])))
            notes = list(getattr(backend, "notes", ()))
            if notes:  # Sheets refused the tab (written with the summary tabs): say so, never claim an import
                raise StatementError(f"onglet {TAB.name} non écrit : {' ; '.join(notes)} ; rien n'a été importé, "
                                     f"relancez la commande")
    finally:
        lock.release()
    return report


def tab_rows(current: RawTab | None, new: list[dict]) -> list[list]:
    """The whole tab: what is there, as read (staff's Validé included), then the new rows under its header."""
    if current is None or not current.rows or "transaction" not in schema.map_headers(TAB, list(current.rows[0])):
        header, existing = TAB.headers, []
    else:
        header, existing = list(current.rows[0]), [list(r) for r in current.rows[1:]]
    positions = schema.map_headers(TAB, header)
    for column in TAB.columns:  # a column staff deleted comes back at the end
        if column.key not in positions:
            positions[column.key] = len(header)
            header.append(column.header)
    out = [header] + [_plain(r) for r in existing]
    for values in new:
        row = [None] * len(header)
        for key, value in values.items():
            row[positions[key]] = value.isoformat() if isinstance(value, date) else value
        out.append(row)
    return out


def _plain(row: list) -> list:
    """A row read back, written again as data (dates as ISO text, like the rest of the bot's cells)."""
    return [v.date().isoformat() if isinstance(v, datetime) else v.isoformat() if isinstance(v, date)
            else Decimal(str(v)) if isinstance(v, float) else v for v in row]  # a number stays a number in Sheets


def _statement_row(source: str, end: date) -> dict:
    return {"booked": end, "amount": 0, "currency": "", "label": f"relevé {source} importé, aucun crédit nouveau",
            "counterparty": "", "transaction": f"RELEVÉ/{source}/{end.isoformat()}", "invoices": "",
            "certainty": NOT_PAYMENT, "note": "", "statement_end": end, "validated": ""}


def uncertain_task(match: Match, register, policy: Policy) -> NewTask:
    """A human decides: the candidates' reminders wait until Validé says Oui, Non or which invoices."""
    tx = match.transaction
    clients = {i.client for i in register.invoices if i.number in match.candidates}
    client = clients.pop() if len(clients) == 1 else ""
    manager = register.clients[client].account_manager if client in register.clients else ""
    return NewTask(jr.task_key("ENC/" + tx.id, "incertain"), client, match.candidates,
                   f"Encaissement à rapprocher : {tx.amount:.2f} {tx.currency} du {tx.booked:%d/%m/%Y} "
                   f"« {cells.clean_text(tx.label)[:60]} »",
                   "Dans Encaissements › Validé : Oui (proposition juste), Non (pas un règlement) "
                   "ou les n° des factures payées", manager or policy.escalation.assignee)


__all__ = ["import_statement", "ImportReport", "CERTAIN", "UNCERTAIN", "UNMATCHED", "NOT_PAYMENT"]
