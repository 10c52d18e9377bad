"""The imperative shell: the only place that knows the order of side effects.

    load -> parse -> resolve interrupted sends -> plan -> render
         -> journal ``pending`` -> send -> journal ``sent``/``failed`` + bot columns + Synthèse

The journal is written *before* anything leaves (``pending``) and again after
(``sent``), so a run killed at any point is finished by the next one: a pending
key whose .eml exists is marked sent, one that never left is planned again, and
one the mailer cannot vouch for (SMTP) is marked sent with a task asking a human
to check, because sending a formal notice twice is worse than asking.

Everything else (rules, wording, formats) lives in pure modules; this file wires
adapters (`open_backend`, `open_mailer`) and moves data between them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from . import journal as jr
from . import planner
from .backends import Backend, Changes, open_backend
from .config import Policy
from .mailers import MailError, Mailer, Message
from .model import JournalEntry, RawTabs, Register, RowProblem, Task
from .parse import parse_register
from .render import Renderer, RenderError

Progress = Callable[[str, int, int], None]  # (step, done, total)


@dataclass
class RunReport:
    today: date
    now: datetime
    dry_run: bool
    test_mode: bool
    plan: planner.Plan
    sent: list[Message] = field(default_factory=list)
    failed: list[tuple[Message, str]] = field(default_factory=list)
    tasks: list[planner.NewTask] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outbox: Path | None = None
    register: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed


def open_mailer(policy: Policy, dry_run: bool) -> Mailer:
    from .mailers.outbox import OutboxMailer
    outbox = policy.resolve(policy.mail.outbox)
    if dry_run:
        return OutboxMailer(outbox / "dry-run")
    if policy.mail.mailer == "smtp":
        from .mailers.smtp import SmtpMailer  # type: ignore[import-not-found]
        return SmtpMailer.from_policy(policy)
    return OutboxMailer(outbox)


def local_now(policy: Policy) -> datetime:
    return datetime.now(ZoneInfo(policy.schedule.timezone))


def journal_rows(message: Message, lines: dict[str, str], status: str, now: datetime, comment: str = "") -> list[dict]:
    """One journal row per invoice of the message, all sharing key and Message-ID."""
    return [{"timestamp": now, "invoice": number, "client": message.client, "stage": lines.get(number, message.stage),
             "channel": "email", "recipient": ", ".join(message.to + message.cc), "subject": message.subject,
             "status": status, "key": message.key, "message_id": message.message_id, "author": jr.BOT,
             "comment": comment} for number in message.invoices]


def task_rows(task: planner.NewTask, now: datetime) -> tuple[dict, dict | None]:
    """The Tâches row, and the journal row that records it (and its stage, if any)."""
    row = {"created": now.date(), "client": task.client, "invoices": ", ".join(task.invoices), "reason": task.reason,
           "assignee": task.assignee, "action": task.action, "key": task.key}
    entry = {"timestamp": now, "invoice": task.invoices[0] if task.invoices else "", "client": task.client,
             "stage": task.stage, "channel": "tâche", "recipient": task.assignee, "subject": task.reason,
             "status": jr.SENT, "key": task.key, "author": jr.BOT, "comment": task.action}
    return row, entry


def to_entries(rows: list[dict]) -> list[JournalEntry]:
    names = {f.name for f in dataclasses.fields(JournalEntry)}
    return [JournalEntry(**{"timestamp": None, **{k: v for k, v in r.items() if k in names}}) for r in rows]


def with_journal(register: Register, rows: list[dict]) -> Register:
    return dataclasses.replace(register, journal=register.journal + tuple(to_entries(rows)))


def resolve_interrupted(register: Register, policy: Policy, mailer: Mailer, now: datetime,
                        report: RunReport) -> list[dict]:
    """Finish what a killed run left ``pending``; returns the journal rows that settle it."""
    index = jr.JournalIndex(register.journal, [(s.key, s.label) for s in policy.stages])
    rows: list[dict] = []
    for entry in index.unresolved():
        group = [e for e in register.journal if e.key == entry.key and e.status == jr.PENDING]
        sent = mailer.was_sent(entry.message_id, entry.key)
        if sent is None:
            status, comment = jr.SENT, "envoi interrompu, réception incertaine : vérifiez auprès du client"
            report.tasks.append(planner.NewTask(jr.task_key(entry.key, "incertain"), entry.client,
                                                tuple(e.invoice for e in group), "Envoi incertain " + entry.key,
                                                "Vérifier si le message a été reçu ; sinon le renvoyer"))
        elif sent:
            status, comment = jr.SENT, "confirmé à la reprise après interruption"
        else:
            status, comment = jr.FAILED, "interrompu avant l'envoi : replanifié"
        for e in group:
            rows.append({"timestamp": now, "invoice": e.invoice, "client": e.client, "stage": e.stage,
                         "channel": e.channel, "recipient": e.recipient, "subject": e.subject, "status": status,
                         "key": e.key, "message_id": e.message_id, "author": jr.BOT, "comment": comment})
        report.notes.append(f"reprise : {entry.key} → {status}")
    return rows


def _test_mode(message: Message, recipient: str) -> Message:
    return dataclasses.replace(message, key="TEST/" + message.key, to=(recipient,), cc=(),
                               subject="[TEST] " + message.subject)


def invoice_updates(plan: planner.Plan) -> dict[str, dict]:
    updates: dict[str, dict] = {}
    for number, state in plan.states.items():
        updates[number] = {"stage": state.stage, "last_reminder": state.last_reminder,
                           "next_action": state.next_action, "reminders_sent": state.reminders_sent,
                           "alert": state.alert}
    for problem in plan.problems:  # rows left out of the register still show why
        if problem.invoice and problem.tab == "Factures" and problem.invoice not in plan.states:
            entry = updates.setdefault(problem.invoice, {"alert": ""})
            entry["alert"] = " | ".join(filter(None, [entry["alert"], str(problem)]))
    return updates


def run(policy: Policy, *, today: date | None = None, now: datetime | None = None, dry_run: bool = False,
        backend: Backend | None = None, mailer: Mailer | None = None, progress: Progress | None = None,
        simulate: bool = False) -> RunReport:
    """One run. `simulate` ignores the send window (``--date`` replays a day)."""
    now = now or local_now(policy)
    today = today or now.date()
    backend = backend or open_backend(policy)
    tz = policy.schedule.timezone
    raw = backend.load()
    register, problems = parse_register(raw, tz)
    mailer = mailer or open_mailer(policy, dry_run)
    test_recipient = policy.mail.test_recipient
    report = RunReport(today, now, dry_run, bool(test_recipient), planner.Plan(today), problems=list(problems),
                       register=getattr(backend, "description", ""))
    report.outbox = getattr(mailer, "folder", None)
    settled = [] if dry_run else resolve_interrupted(register, policy, mailer, now, report)
    register = with_journal(register, settled)
    plan = planner.plan(register, policy, today, None if simulate else now, problems)
    report.plan = plan
    reminders = plan.reminders
    if not plan.window_open:
        when = plan.next_slot.strftime("%d/%m/%Y %H:%M") if plan.next_slot else "?"
        report.notes.append(f"hors créneau d'envoi : rien n'est envoyé maintenant (prochain créneau : {when})")
        reminders = ()
    renderer = Renderer(policy)
    messages: list[tuple[Message, dict[str, str]]] = []
    for reminder in reminders:
        try:
            message = renderer.render(reminder, today, now)
        except RenderError as exc:
            report.problems.append(RowProblem("Modèles", None, None, f"{reminder.client.code} : {exc}"))
            continue
        if test_recipient:
            message = _test_mode(message, test_recipient)
        messages.append((message, {line.invoice.number: line.stage for line in reminder.lines}))
    if test_recipient:
        done = {e.key for e in register.journal if e.status == jr.TEST}
        messages = [(m, lines) for m, lines in messages if m.key not in done]
    if dry_run:
        for i, (message, _) in enumerate(messages, start=1):
            mailer.send(message)
            report.sent.append(message)
            if progress:
                progress("aperçu", i, len(messages))
        report.tasks.extend(plan.tasks)
        return report

    sent_status = jr.TEST if test_recipient else jr.SENT
    pending = [row for m, lines in messages for row in journal_rows(m, lines, jr.PENDING, now)]
    if pending or settled:
        backend.apply(Changes(journal=tuple(settled + pending)))
    outcome: list[dict] = []
    try:
        for i, (message, lines) in enumerate(messages, start=1):
            try:
                receipt = mailer.send(message)
                outcome += journal_rows(message, lines, sent_status, now, receipt.detail)
                report.sent.append(message)
            except MailError as exc:
                outcome += journal_rows(message, lines, jr.FAILED, now, str(exc))
                report.failed.append((message, str(exc)))
            if progress:
                progress("envoi", i, len(messages))
    finally:
        mailer.close()
    tasks = list(plan.tasks) + report.tasks
    report.tasks = tasks
    new_tasks, task_journal = [], []
    for task in tasks:
        row, entry = task_rows(task, now)
        new_tasks.append(row)
        task_journal.append(entry)
    register = with_journal(register, outcome + task_journal)
    after = planner.plan(register, policy, today, None, problems)
    updates = {u.key: {"invoices": ", ".join(u.invoices), "reason": u.reason} for u in plan.task_updates}
    backend.apply(Changes(invoices=invoice_updates(after), journal=tuple(outcome + task_journal),
                          tasks=tuple(new_tasks), task_updates=updates,
                          layouts=summary_layouts(raw, register, policy, report)))
    report.notes.extend(getattr(backend, "notes", ()))  # e.g. Sheets: Synthèse left as it was
    return report


def summary_layouts(raw: RawTabs, register: Register, policy: Policy, report: RunReport) -> tuple:
    """Synthèse and Historique after this run. They ride in the run's last write; a failure here
    is a note, never a reason to lose the journal rows of messages already sent."""
    from .summary import RunResult
    from .summary_layout import run_layouts
    try:
        opened = tuple(Task(report.now.date(), t.client, t.invoices, t.reason, t.assignee, t.action, key=t.key)
                       for t in report.tasks)
        messaged = {number for message in report.sent for number in message.invoices}
        run = RunResult(report.now, len(report.sent), len(report.failed), len(report.tasks),
                        len(set(report.plan.states) - messaged), len(report.problems))
        register = dataclasses.replace(register, tasks=register.tasks + opened)
        return run_layouts(raw, register, policy, report.today, run)
    except Exception as exc:  # the dashboard must not cost the journal (see docstring)
        report.notes.append(f"onglet Synthèse non mis à jour : {type(exc).__name__} : {exc}")
        return ()
