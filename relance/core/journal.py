"""The journal: the only source of truth for what was sent (design §4).

The Journal tab is append-only. For each message the bot appends an ``en cours`` row
before sending and an ``envoyé`` (or ``échec``) row after (older registers say ``pending``,
``sent``, ``failed``, ``manual``: still read, see statuses.py), both carrying the same
deterministic key and Message-ID. Everything the Factures bot columns show (stage,
count, last reminder) is recomputed from these rows each run, so a garbled or
deleted bot cell loses nothing, and a key already ``sent`` is never sent again.

Staff add ``manual`` rows (a call, a promise to pay); those count as contacts.
Rows marked ``test`` (test mode) never advance the ladder.

Keys: ``2026-11-25/C001/amiable`` for a message (one per client, stage and day),
``T/F2026-001/demeure`` for a task. Message-ID: ``<relance.<sha256(key)[:24]>@domain>``.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from relance.core.model import JournalEntry

from relance.core.statuses import (FAILED, MANUAL, PENDING, RECEIVED, SENT, STATUSES, TEST,  # noqa: F401
                                    UNCERTAIN)  # re-exported
INSTALMENT_STAGES = ("echeance", "echeance_pre")  # actions.INSTALMENT_DUE / INSTALMENT_PRE, journaled with ":n@due"
REFUSED_NOTE = "adresse refusée par le serveur : "  # mailers.refusal_note writes it into Commentaire
_REFUSED_ADDRESS = re.compile(r"(\S+@\S+) \(([^)]*)\)")
BOT = "bot"


def message_key(day: date, client: str, stage: str) -> str:
    return f"{day.isoformat()}/{client}/{stage}"


def task_key(subject: str, reason: str) -> str:
    return f"T/{subject}/{reason}"


def message_id(key: str, domain: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return f"<relance.{digest}@{domain or 'relance.invalid'}>"


@dataclass(frozen=True, slots=True)
class History:
    """What the journal says about one invoice."""

    stage: str = ""            # highest stage key sent ('' = none yet)
    stage_day: date | None = None
    count: int = 0             # reminders sent (distinct messages)
    last_sent: datetime | None = None
    message_ids: tuple[str, ...] = ()


_EMPTY = History()


class JournalIndex:
    """Lookups the planner needs, built once per run from the journal rows.

    `stages` is the ladder as (key, label, *aliases) (`Policy.stage_names`): a row may name its stage by
    key, label or a former name, and the highest stage wins whatever order rows were appended or sorted in."""

    def __init__(self, entries: tuple[JournalEntry, ...] | list[JournalEntry], stages: list[tuple[str, ...]]):
        self.entries = tuple(entries)
        self._keys = [names[0] for names in stages]
        self._rank = {name.casefold(): i for i, pair in enumerate(stages) for name in pair}
        self.sent_keys: set[str] = set()
        self.final_keys: set[str] = set()
        uncertain: list[JournalEntry] = []
        self.refused: dict[str, dict[str, str]] = defaultdict(dict)  # client -> refused address (casefold) -> answer
        self._by_invoice: dict[str, list[JournalEntry]] = defaultdict(list)
        self._contacts: dict[str, list[date]] = defaultdict(list)
        self.manual: dict[str, list[JournalEntry]] = defaultdict(list)  # client -> staff rows
        self.unknown: dict[str, set[str]] = defaultdict(set)  # invoice -> stage names no stage answers to
        for entry in self.entries:
            if entry.status == MANUAL and entry.client:
                self.manual[entry.client].append(entry)
            if entry.status == SENT and entry.key:
                self.sent_keys.add(entry.key)
            if entry.status in (SENT, FAILED, TEST, UNCERTAIN) and entry.key:
                self.final_keys.add(entry.key)
            if entry.status == UNCERTAIN and entry.key:
                uncertain.append(entry)
            if entry.client and entry.status in (FAILED, SENT) and REFUSED_NOTE in entry.comment:
                note = entry.comment[entry.comment.index(REFUSED_NOTE):]
                for address, reply in _REFUSED_ADDRESS.findall(note):
                    self.refused[entry.client][address.casefold()] = reply
            if entry.status == SENT and entry.invoice:
                self._by_invoice[entry.invoice].append(entry)
                if entry.stage and self._unknown_stage(entry.stage):
                    self.unknown[entry.invoice].add(entry.stage)
            if entry.status in (SENT, MANUAL) and entry.client and entry.timestamp:
                self._contacts[entry.client].append(entry.timestamp.date())
        # message keys staff have not settled yet (they set the row's Statut to sent or failed), and their invoices
        self.uncertain_keys = {e.key for e in uncertain if e.key not in self.sent_keys}
        self.uncertain = {e.invoice: e.key for e in uncertain if e.key in self.uncertain_keys and e.invoice}
        self._last_manual: dict[str, date | None] | None = None
        self._history: dict[str, History] = {}  # folded on first use: most invoices are never asked about

    def _fold(self, rows: list[JournalEntry]) -> History:
        """One pass over an invoice's sent rows (in journal order): top stage, count, last send, ids."""
        rank_of, top, top_key = self._rank, None, None
        keys: set[str] = set()
        last: datetime | None = None
        ids: dict[str, None] = {}
        for r in rows:
            rank = rank_of.get(r.stage.casefold()) if r.stage else None
            if rank is None:
                continue
            day = r.timestamp.date() if r.timestamp else date.min
            if top_key is None or (rank, day, r.row) > top_key:
                top, top_key = r, (rank, day, r.row)
            if r.channel != "tâche":
                keys.add(r.key or f"row{r.row}")
                if r.timestamp and (last is None or r.timestamp > last):
                    last = r.timestamp
            if r.message_id:
                ids[r.message_id] = None
        if top is None:
            return _EMPTY
        return History(stage=self._keys[top_key[0]], stage_day=top.day, count=len(keys), last_sent=last,
                       message_ids=tuple(ids))

    def _unknown_stage(self, stage: str) -> bool:
        """A stage no [[stages]] key, label or alias names (a renamed stage), nor an instalment note."""
        return stage.casefold() not in self._rank and stage.partition(":")[0] not in INSTALMENT_STAGES

    def instalment_sent(self, invoice: str, stage: str, number: int, due: date, pre_days: int) -> bool:
        """Has this instalment's note (`stage`) gone? Keys carry the due date (``echeance:1@2026-12-05``);
        a row from before dated keys (``echeance:1``) counts only if sent inside this instalment's window
        (no earlier than ``due - pre_days``), so a renegotiated plan numbered 1, 2, 3 again gets its notes."""
        dated, bare = f"{stage}:{number}@{due.isoformat()}", f"{stage}:{number}"
        earliest = due - timedelta(days=pre_days)
        return any(e.stage == dated or (e.stage == bare and e.day is not None and e.day >= earliest)
                   for e in self._by_invoice.get(invoice, ()))

    def rank(self, stage: str) -> int | None:
        return self._rank.get(stage.casefold()) if stage else None

    def canonical(self, stage: str) -> str:
        """Stage key for a key or a label typed in the journal."""
        rank = self.rank(stage)
        return stage if rank is None else self._keys[rank]

    def history(self, invoice: str) -> History:
        found = self._history.get(invoice)
        if found is None:
            rows = self._by_invoice.get(invoice)
            found = self._history[invoice] = self._fold(rows) if rows else _EMPTY
        return found

    def reminders_since(self, invoice: str, day: date | None) -> int:
        """Distinct messages sent for `invoice` after `day` (all of them when None)."""
        return len({e.key or f"row{e.row}" for e in self._by_invoice.get(invoice, ())
                    if e.channel == "email" and e.day and (day is None or e.day > day)})

    def last_manual(self, client: str) -> date | None:
        if self._last_manual is None:
            self._last_manual = {c: max((e.day for e in rows if e.day), default=None) for c, rows in self.manual.items()}
        return self._last_manual.get(client)

    def last_contact(self, client: str) -> date | None:
        days = self._contacts.get(client)
        return max(days) if days else None

    def refusal(self, client: str, address: str) -> str:
        """The server's permanent refusal of `address` for `client` ('' when none): until the address
        in Clients changes, the planner uses the no-email channel (letter + task)."""
        found = self.refused.get(client)
        return found.get(address.strip().casefold(), "") if found and address else ""

    def unresolved(self) -> list[JournalEntry]:
        """``pending`` rows whose key never reached ``sent`` or ``failed`` (a crash mid-send)."""
        seen: set[str] = set()
        result = []
        for entry in self.entries:
            if entry.status == PENDING and entry.key and entry.key not in self.final_keys and entry.key not in seen:
                seen.add(entry.key)
                result.append(entry)
        return result
