"""What a run decides about the sends a killed run left ``en cours``. Pure.

A run journals ``en cours`` before sending and ``envoyé``/``échec`` after. A kill in between
leaves ``en cours`` rows whose fate only the mailer can tell: the outbox file exists, or the SMTP
server's 250 was recorded in the receipt ledger (`True`); the message never reached the server
(`False`); or there is no way to know — the end of DATA left and no answer was recorded (`None`).

The shell asks the mailer that question for each key (`Resumption.keys`) and hands the answers
here; every consequence is decided in this one place:

* evidence it left → ``envoyé``: never sent again;
* evidence it did not → ``échec``: the planner plans it again this very run;
* no way to know → ``incertain`` and a task, the invoice's ladder held until a human settles it
  (`mail.on_uncertain = "task"`, the default), or ``échec`` and resent (`"resend"`, for staff who
  prefer a possible duplicate to a possibly lost formal notice).

Never silently ``envoyé`` without evidence: a formal notice counted as sent schedules collection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from relance.core import journal as jr
from relance.core.actions import NewTask
from relance.core.model import JournalEntry, Register

UNCERTAIN_NOTE = ("envoi interrompu, réception incertaine : relances de ces factures suspendues ; vérifiez auprès "
                  "du client puis mettez Statut = envoyé (reçu) ou échec (à renvoyer) sur ces lignes")
RESENT_NOTE = "envoi interrompu, réception incertaine : renvoyé (on_uncertain = resend)"
CONFIRMED_NOTE = "confirmé à la reprise après interruption (accusé du serveur enregistré)"
NEVER_LEFT_NOTE = "interrompu avant l'envoi : replanifié"


@dataclass(frozen=True)
class Interrupted:
    """One message a killed run left ``en cours``: its first row and every row sharing its key."""
    entry: JournalEntry
    rows: tuple[JournalEntry, ...]


@dataclass
class Settlement:
    """The journal rows that settle the interrupted sends, the tasks they open, what the run says."""
    rows: list[dict] = field(default_factory=list)
    tasks: list[NewTask] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def interrupted(register: Register, stages: list[tuple[str, ...]]) -> list[Interrupted]:
    """The messages to settle, one per key: the shell asks the mailer about each `entry`."""
    index = jr.JournalIndex(register.journal, stages)
    return [Interrupted(entry, tuple(e for e in register.journal if e.key == entry.key and e.status == jr.PENDING))
            for entry in index.unresolved()]


def verdict(left: bool | None, on_uncertain: str) -> tuple[str, str]:
    """The journal status and note for one interrupted message, given the mailer's evidence."""
    if left is None and on_uncertain == "resend":
        return jr.FAILED, RESENT_NOTE
    if left is None:
        return jr.UNCERTAIN, UNCERTAIN_NOTE
    return (jr.SENT, CONFIRMED_NOTE) if left else (jr.FAILED, NEVER_LEFT_NOTE)


def settle(pending: list[Interrupted], evidence: Mapping[str, bool | None], on_uncertain: str,
           now: datetime) -> Settlement:
    """Decide each interrupted message from `evidence` (key -> did it leave?), stamped `now`."""
    out = Settlement()
    for item in pending:
        entry = item.entry
        status, comment = verdict(evidence.get(entry.key), on_uncertain)
        if status == jr.UNCERTAIN:
            out.tasks.append(uncertain_task(entry.key, entry.client, tuple(e.invoice for e in item.rows)))
        out.rows.extend({"timestamp": now, "invoice": e.invoice, "client": e.client, "stage": e.stage,
                         "channel": e.channel, "recipient": e.recipient, "subject": e.subject, "status": status,
                         "key": e.key, "message_id": e.message_id, "author": jr.BOT, "comment": comment}
                        for e in item.rows)
        out.notes.append(f"reprise : {entry.key} → {status}")
    return out


def uncertain_task(key: str, client: str, invoices: tuple[str, ...]) -> NewTask:
    """A message that may or may not have arrived: a human checks, the bot never sends it twice."""
    return NewTask(jr.task_key(key, "incertain"), client, invoices, "Envoi incertain " + key,
                   "Vérifier si le message a été reçu ; au Journal, mettre Statut = envoyé (reçu) ou "
                   "échec (il repartira au prochain passage) sur ses lignes « incertain »")
