"""The journal is the memory: a journal that shrank or went missing must not mean sending again.

Why: every decision (which stage comes next, what was already sent today) is read from the
Journal tab. Delete that tab, empty it or remove rows, and the planner sees clients never
contacted: they get the first reminder again, possibly days after a formal notice. So the bot
keeps two pieces of evidence outside the Journal and refuses to send when they contradict it:

* its own record, written at the end of each run in a tab it owns (« Mémoire »): how many
  distinct keys the journal held, and the last key sent;
* the copies of sent messages on disk (outbox ``.eml`` files carry ``X-Relance-Key``).

Example: the record says 120 keys, the journal now holds 8, and 112 outbox copies name keys the
journal does not have → refused: nothing is sent, the « Mémoire » tab and the run say what is
missing and how to restore it, until staff type « Oui » in « Reprise confirmée ».

Pure: the shell reads the record and the disk, this module decides and words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from relance.core import bot_tabs, cells, schema
from relance.core.statuses import SENT
from relance.core.model import JournalEntry, RawTab

TAB = "Mémoire"
TITLE = "Mémoire de relance : onglet tenu par relance, ne pas modifier (sauf « Reprise confirmée »)"
KEYS, LAST, UPDATED, ACCEPTED, ALERT, CONFIRM = (
    "Clés dans le journal", "Dernière clé envoyée", "Mise à jour", "Envois hors journal acceptés", "Alerte",
    "Reprise confirmée (tapez Oui)")
MEMORY_TAB = schema.Tab(TAB, ())


@dataclass(frozen=True, slots=True)
class Memory:
    keys: int = 0  # distinct keys the journal held after the bot's last write
    last_key: str = ""  # the last key the bot sent
    accepted: int = 0  # sent copies on disk missing from the journal, accepted by a human
    confirmed: bool = False  # staff typed « Oui »: the journal as it is now becomes the reference


@dataclass(frozen=True, slots=True)
class Verdict:
    refused: bool
    message: str = ""  # what is wrong and how to restore (empty when all is well)
    memory: Memory | None = None  # what to record after this run (None: keep the old record)


def read(raw: RawTab | None) -> Memory | None:
    """The record as written by `rows`; None when the tab is absent (first run, or deleted)."""
    if raw is None:
        return None
    found: dict[str, Any] = {}
    for row in raw.rows:
        if row and len(row) > 1:
            found[schema.normalise(row[0])] = row[1]

    def number(label: str) -> int:
        try:
            return int(cells.parse_amount(found.get(schema.normalise(label))) or 0)
        except ValueError:
            return 0
    try:
        confirmed = cells.parse_bool(found.get(schema.normalise(CONFIRM)), False)
    except ValueError:
        confirmed = False
    return Memory(number(KEYS), cells.clean_text(found.get(schema.normalise(LAST))), number(ACCEPTED), confirmed)


def foreign(raw: RawTab | None) -> str:
    """Why the « Mémoire » tab present is not the bot's ('' when it is, or is absent or empty).

    Why: the bot rewrites this tab whole; a staff tab of that name made before relance created its own
    (notes, a memo) would be wiped. Staff rename theirs; until then nothing is sent."""
    return bot_tabs.foreign(raw, lambda tab, _: schema.normalise(tab.rows[0][0] if tab.rows[0] else "")
                            == schema.normalise(TITLE), "tient la mémoire du Journal",
                            ". Renommez votre onglet (par exemple « Mémo »), puis relancez ; aucune relance "
                            "n'est envoyée d'ici là.")


def journal_keys(journal: Iterable[JournalEntry]) -> set[str]:
    return {e.key for e in journal if e.key}


def check(record: Memory | None, journal: tuple[JournalEntry, ...], sent_on_disk: set[str]) -> Verdict:
    """Refuse to send when the journal holds less than the record or the sent copies say it held."""
    keys = journal_keys(journal)
    missing = sorted(k for k in sent_on_disk if k not in keys and not k.startswith("TEST/"))
    accepted = record.accepted if record else 0
    problems = []
    if record and len(keys) < record.keys:
        problems.append(f"le journal contient {len(keys)} clé(s) d'envoi, il en contenait {record.keys} "
                        f"au dernier passage")
    if record and record.last_key and record.last_key not in keys:
        problems.append(f"la dernière clé envoyée « {record.last_key} » n'y est plus")
    if len(missing) > accepted:
        problems.append(f"{len(missing)} message(s) envoyé(s) (copies .eml de la boîte d'envoi) absent(s) du "
                        f"journal, dont « {missing[0]} »")
    if not problems:
        return Verdict(False, "", None)
    if record and record.confirmed:
        return Verdict(False, "reprise confirmée dans l'onglet Mémoire : le journal actuel devient la référence "
                              f"({'; '.join(problems)})", Memory(len(keys), record.last_key, len(missing)))
    return Verdict(True, "Journal incomplet : " + " ; ".join(problems) + ". Aucune relance n'est envoyée, pour ne "
                   "pas relancer deux fois. Restaurez l'onglet Journal (version précédente du classeur ou "
                   "sauvegarde), puis relancez ; si la perte est connue et voulue, tapez « Oui » dans l'onglet "
                   f"{TAB}, case « {CONFIRM} ».", record)


def after_run(journal: tuple[JournalEntry, ...], accepted: int, sent_keys: Iterable[str]) -> Memory:
    """The record once this run's rows are written (`journal` = every row, this run's included)."""
    last = ""
    for key in sent_keys:
        last = key
    if not last:
        sent = [e.key for e in journal if e.key and e.status == SENT and e.channel == "email"]
        last = sent[-1] if sent else ""
    return Memory(len(journal_keys(journal)), last, accepted)


def alerting(content: list[list[Any]]) -> bool:
    """Whether the tab's content (`rows`) holds an alert: the backends show the tab only then, so staff
    see it when they must act and the rest of the time it stays out of their way."""
    return any(row[:1] == [ALERT] and row[1:2] not in ([""], [None], []) for row in content)


def rows(memory: Memory, now: datetime, alert: str = "") -> list[list[Any]]:
    """The tab's content: one label and one value per row (read back by `read`)."""
    return [[TITLE], [KEYS, memory.keys], [LAST, memory.last_key], [ACCEPTED, memory.accepted],
            [UPDATED, now.replace(tzinfo=None)], [ALERT, alert], [CONFIRM, ""]]
