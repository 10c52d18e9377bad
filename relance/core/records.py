"""The rows a day leaves behind (Journal, Tâches), built in one place. Pure.

The run writes them to the register and the calendar (`forecast`) replays them in
memory to plan the next day: both must record a message or a task the same way,
or the calendar would promise a ladder the run does not follow.

Journal: one row per invoice of a message, all sharing its key and Message-ID;
Étape is the line's stage (``echeance:2`` for an instalment). A task is journaled
once, on its first invoice, with its stage when opening it *is* the stage.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Iterable, Mapping

from relance.core import journal as jr
from relance.core.actions import NewTask, Plan, Reminder, TaskUpdate
from relance.core.model import JournalEntry, Register, Task


def message_rows(key: str, client: str, stages: Mapping[str, str], recipients: tuple[str, ...], subject: str,
                 status: str, now: datetime, message_id: str, comment: str = "") -> list[dict]:
    """One journal row per invoice of a message (`stages`: invoice number -> journal stage)."""
    return [{"timestamp": now, "invoice": number, "client": client, "stage": stage, "channel": "email",
             "recipient": ", ".join(recipients), "subject": subject, "status": status, "key": key,
             "message_id": message_id, "author": jr.BOT, "comment": comment} for number, stage in stages.items()]


def line_stages(reminder: Reminder) -> dict[str, str]:
    """Invoice number -> what the journal's Étape records for it in this reminder."""
    return {line.invoice.number: line.journal_stage for line in reminder.lines}


def task_rows(task: NewTask, now: datetime, note: str = "") -> tuple[dict, dict]:
    """The Tâches row, and the journal row that records it (and its stage, if any); `note` = the letter made."""
    action = " · ".join(filter(None, (task.action, note)))
    row = {"created": now.date(), "client": task.client, "invoices": ", ".join(task.invoices), "reason": task.reason,
           "assignee": task.assignee, "action": action, "key": task.key}
    entry = {"timestamp": now, "invoice": task.invoices[0] if task.invoices else "", "client": task.client,
             "stage": task.stage, "channel": "tâche", "recipient": task.assignee, "subject": task.reason,
             "status": jr.SENT, "key": task.key, "author": jr.BOT, "comment": action}
    return row, entry


_JOURNAL_FIELDS = frozenset(f.name for f in dataclasses.fields(JournalEntry))


def to_entries(rows: list[dict]) -> list[JournalEntry]:
    return [JournalEntry(**{"timestamp": None, **{k: v for k, v in r.items() if k in _JOURNAL_FIELDS}})
            for r in rows]


def with_journal(register: Register, rows: list[dict]) -> Register:
    return dataclasses.replace(register, journal=register.journal + tuple(to_entries(rows)))


def with_tasks(register: Register, tasks: Iterable[NewTask], created: date,
               updates: Iterable[TaskUpdate] = ()) -> Register:
    """The register with the day's tasks opened in Tâches (as `task_rows` writes them, before any note)
    and its open tasks updated as the run rewrites them (invoices, reason): without the updates the
    calendar would announce the same « tâche mise à jour » again every day, where the run does it once."""
    changed = {u.key: u for u in updates}
    kept = tuple(dataclasses.replace(t, invoices=changed[t.key].invoices, reason=changed[t.key].reason)
                 if t.key in changed else t for t in register.tasks)
    opened = tuple(Task(created, t.client, t.invoices, t.reason, t.assignee, t.action, key=t.key) for t in tasks)
    return dataclasses.replace(register, tasks=kept + opened)


def bot_cells(day: Plan) -> dict[str, dict]:
    """Invoice number -> the bot columns of its Factures row, as `day` says they should read.
    Rows the parser left out of the register still show why, in Alerte."""
    updates: dict[str, dict] = {}
    for number, state in day.states.items():
        updates[number] = {"stage": state.stage, "last_reminder": state.last_reminder,
                           "next_action": state.next_action, "reminders_sent": state.reminders_sent,
                           "alert": state.alert, "penalties": state.penalties}
    for problem in day.problems:
        if problem.invoice and problem.tab == "Factures" and problem.invoice not in day.states:
            entry = updates.setdefault(problem.invoice, {"alert": ""})
            entry["alert"] = " | ".join(filter(None, [entry["alert"], str(problem)]))
    return updates
