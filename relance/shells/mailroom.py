"""`relance courrier`: the imperative shell that reads the reply-to mailbox, run *before* `relance run`.

    lock -> load + parse -> IMAP: read the inbox -> classify (pure, core/inbound.py)
         -> one write: Journal rows (réponse, réponse automatique, adresse invalide) + tasks
         -> move the handled messages to [listen] processed_folder
         -> append a copy of every message in the outbox missing from [listen] sent_folder -> unlock

A separate command rather than a step inside `run`: the Action runs `relance courrier &&
relance run`, so a mailbox that cannot be read stops the day's reminders (sending
without knowing who answered is the failure this exists to prevent), while `run`
itself stays free of IMAP credentials and can be rehearsed offline. Running it after
`run` as well appends that run's Sent copies at once.

Read once: the journal key of each row is the incoming Message-ID; a message read
again (crash after the journal write, before the move) finds its key and is only moved.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from relance.adapters.backends import Backend, Changes, open_backend
from relance.adapters.lock import run_lock
from relance.adapters.mailbox import Mailbox
from relance.core.config import Policy
from relance.core.inbound import (AUTO_REPLY, BOUNCE, REPLY, Inbound, classify, journal_row, message_index,
                                   task_for)
from relance.core.parse import parse_register


LOOK_BACK_DAYS = 60  # mail older than this in the inbox is not read (a reply that old is handled by hand)


@dataclass
class CourrierReport:
    read: int = 0
    handled: list[Inbound] = field(default_factory=list)
    already: int = 0            # journaled by an earlier (interrupted) pass
    sent_copies: int = 0

    def count(self, kind: str) -> int:
        return sum(i.kind == kind for i in self.handled)


def bounce_addresses(message: email.message.Message) -> frozenset[str]:
    """flufl.bounce knows the many non-standard bounce formats (Exim, qmail, Postfix, Exchange…)."""
    from flufl.bounce import scan_message
    try:
        return frozenset(a.decode("utf-8", "replace").lower() for a in scan_message(message))
    except Exception:  # a detector choking on a strange message: treat it as no bounce found
        return frozenset()


def read_mail(policy: Policy, *, today: date, backend: Backend | None = None,
              mailbox: Mailbox | None = None) -> CourrierReport:
    backend = backend or open_backend(policy)
    mailbox = mailbox or Mailbox(policy.listen)
    config = policy.listen
    report = CourrierReport()
    now = datetime.combine(today, time(8), tzinfo=ZoneInfo(policy.schedule.timezone))
    lock = run_lock(backend)
    lock.acquire()
    try:
        register, _ = parse_register(backend.load(), policy.schedule.timezone, today)
        known = {e.key for e in register.journal} | {t.key for t in register.tasks}
        index = message_index(register)
        with mailbox:
            ours: list[str] = []
            rows, task_rows_, journal_tasks = [], [], []
            from relance.core.records import task_rows
            for fetched in mailbox.unread(config.inbox, today - timedelta(days=LOOK_BACK_DAYS)):
                report.read += 1
                message = email.message_from_bytes(fetched.data, policy=email.policy.default)
                item = classify(message, register, bounce_addresses(email.message_from_bytes(fetched.data)), index)
                if not item.kind:
                    continue
                ours.append(fetched.uid)
                if item.key in known:
                    report.already += 1
                    continue
                known.add(item.key)
                report.handled.append(item)
                rows.append(journal_row(item, now))
                task = task_for(item, register, policy.escalation.assignee)
                if task and task.key not in known:
                    known.add(task.key)
                    row, entry = task_rows(task, now)
                    task_rows_.append(row)
                    journal_tasks.append(entry)
            if rows:
                backend.apply(Changes(journal=tuple(rows + journal_tasks), tasks=tuple(task_rows_)))
            mailbox.move(ours, config.processed_folder)  # only now: see module doc
            if config.sent_folder:
                report.sent_copies = append_sent_copies(policy, mailbox)
    finally:
        lock.release()
    return report


def append_sent_copies(policy: Policy, mailbox: Mailbox) -> int:
    """Copies of the outbox's .eml files (every message sent, SMTP included) missing from the Sent folder."""
    outbox = policy.resolve(policy.mail.outbox)
    files = sorted(outbox.glob("*.eml")) if outbox.is_dir() else []
    if not files:
        return 0
    there = mailbox.message_ids(policy.listen.sent_folder)
    added = 0
    for path in files:
        data = path.read_bytes()
        message_id = (email.message_from_bytes(data, policy=email.policy.default).get("Message-ID") or "").strip()
        if message_id and message_id in there:
            continue
        mailbox.append(data, policy.listen.sent_folder)
        there.add(message_id)
        added += 1
    return added


__all__ = ["read_mail", "CourrierReport", "REPLY", "AUTO_REPLY", "BOUNCE"]
