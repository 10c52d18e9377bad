"""The imperative shell: the only place that knows the order of side effects.

    lock -> load -> parse -> resolve interrupted sends -> plan -> render (+ invoice PDFs)
         -> journal ``pending`` -> send -> journal ``sent``/``failed`` + bot columns + Synthèse -> unlock

The journal is written *before* anything leaves (``pending``) and again after
(``sent``), so a run killed at any point is finished by the next one: a pending
key whose .eml exists is marked sent, one that never left is planned again, and
one the mailer cannot vouch for (SMTP: the end of DATA left, no 250 on record) is
marked ``incertain`` with a task asking a human to check and its invoices held,
because sending a formal notice twice is worse than asking, and counting one that
never arrived as sent would start the next stage on nothing.

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

from relance.core import guards
from relance.core import journal as jr
from relance.core import planner
from relance.adapters.attachments import attach_invoices
from relance.adapters.backends import Backend, BackendError, Changes, open_backend
from relance.adapters.faults import crashpoint
from relance.core.config import Policy
from relance.documents.letters import LetterError, attach_letter
from relance.adapters.lock import held
from relance.adapters.mailers import MailError, Mailer, MailRefused, MailUncertain, Message
from relance.core.model import JournalEntry, RawTabs, Register, RowProblem, Task
from relance.core.parse import parse_register
from relance.documents.postal import letters_for_tasks
from relance.messages.render import Renderer, RenderError

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
    uncertain: list[Message] = field(default_factory=list)  # left, no answer from the server: a task each
    tasks: list[planner.NewTask] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outbox: Path | None = None
    register: str = ""
    stale_payments: bool = False
    unsaved: str = ""  # the final write failed after messages left: why (the next run settles the journal)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.unsaved


def open_mailer(policy: Policy, dry_run: bool) -> Mailer:
    from relance.adapters.mailers.outbox import OutboxMailer
    outbox = policy.resolve(policy.mail.outbox)
    if dry_run:
        return OutboxMailer(outbox / "dry-run", overwrite=True)
    if policy.mail.mailer == "smtp":
        from relance.adapters.mailers.smtp import SmtpMailer  # type: ignore[import-not-found]
        return SmtpMailer.from_policy(policy)
    return OutboxMailer(outbox)


def local_now(policy: Policy) -> datetime:
    """The wall clock, read once per run by the shell (`timing.run_instant` turns it into the run's clock)."""
    return datetime.now(ZoneInfo(policy.schedule.timezone))


class RunRefused(Exception):
    """A run that must not start (e.g. a real email dated another day); nothing was read or sent."""


def refuse_false_date(policy: Policy, today: date | None, dry_run: bool, wall: datetime) -> None:
    """A writing run over SMTP carries the run's date in every email: only the real day is allowed.
    Dry runs and the outbox mailer accept any day, which is how staff rehearse a month."""
    from relance.core.timing import local_today
    real = local_today(policy.schedule, wall)
    if not dry_run and policy.mail.mailer == "smtp" and today is not None and today != real:
        raise RunRefused(f"--date {today.isoformat()} avec le mailer SMTP : un vrai email porterait une fausse "
                         f"date ; utilisez --dry-run ou le mailer outbox pour répéter un autre jour "
                         f"(aujourd'hui : {real.isoformat()}).")


def journal_rows(message: Message, lines: dict[str, str], status: str, now: datetime, comment: str = "") -> list[dict]:
    """One journal row per invoice of the message, all sharing key and Message-ID."""
    return [{"timestamp": now, "invoice": number, "client": message.client, "stage": lines.get(number, message.stage),
             "channel": "email", "recipient": ", ".join(message.to + message.cc), "subject": message.subject,
             "status": status, "key": message.key, "message_id": message.message_id, "author": jr.BOT,
             "comment": comment} for number in message.invoices]


def task_rows(task: planner.NewTask, now: datetime, note: str = "") -> tuple[dict, dict | None]:
    """The Tâches row, and the journal row that records it (and its stage, if any); `note` = the letter made."""
    action = " · ".join(filter(None, (task.action, note)))
    row = {"created": now.date(), "client": task.client, "invoices": ", ".join(task.invoices), "reason": task.reason,
           "assignee": task.assignee, "action": action, "key": task.key}
    entry = {"timestamp": now, "invoice": task.invoices[0] if task.invoices else "", "client": task.client,
             "stage": task.stage, "channel": "tâche", "recipient": task.assignee, "subject": task.reason,
             "status": jr.SENT, "key": task.key, "author": jr.BOT, "comment": action}
    return row, entry


def to_entries(rows: list[dict]) -> list[JournalEntry]:
    names = {f.name for f in dataclasses.fields(JournalEntry)}
    return [JournalEntry(**{"timestamp": None, **{k: v for k, v in r.items() if k in names}}) for r in rows]


def with_journal(register: Register, rows: list[dict]) -> Register:
    return dataclasses.replace(register, journal=register.journal + tuple(to_entries(rows)))


def resolve_interrupted(register: Register, policy: Policy, mailer: Mailer, now: datetime,
                        report: RunReport) -> list[dict]:
    """Finish what a killed run left ``pending``; returns the journal rows that settle it.

    ``sent`` only with evidence that it left (the outbox file; over SMTP the server's 250 recorded in
    the receipt ledger). Never reached the server: ``failed``, planned again. No way to know (the end
    of DATA left, no answer recorded): ``incertain`` + a task, the invoice's ladder held until staff
    settle it — unless ``mail.on_uncertain = "resend"``."""
    index = jr.JournalIndex(register.journal, [(s.key, s.label) for s in policy.stages])
    rows: list[dict] = []
    for entry in index.unresolved():
        group = [e for e in register.journal if e.key == entry.key and e.status == jr.PENDING]
        sent = mailer.was_sent(entry.message_id, entry.key)
        if sent is None and policy.mail.on_uncertain == "resend":
            status, comment = jr.FAILED, "envoi interrompu, réception incertaine : renvoyé (on_uncertain = resend)"
        elif sent is None:
            status, comment = jr.UNCERTAIN, UNCERTAIN_NOTE
            report.tasks.append(uncertain_task(entry.key, entry.client, tuple(e.invoice for e in group)))
        elif sent:
            status, comment = jr.SENT, "confirmé à la reprise après interruption (accusé du serveur enregistré)"
        else:
            status, comment = jr.FAILED, "interrompu avant l'envoi : replanifié"
        for e in group:
            rows.append({"timestamp": now, "invoice": e.invoice, "client": e.client, "stage": e.stage,
                         "channel": e.channel, "recipient": e.recipient, "subject": e.subject, "status": status,
                         "key": e.key, "message_id": e.message_id, "author": jr.BOT, "comment": comment})
        report.notes.append(f"reprise : {entry.key} → {status}")
    return rows


UNCERTAIN_NOTE = ("envoi interrompu, réception incertaine : relances de ces factures suspendues ; vérifiez auprès "
                  "du client puis mettez Statut = sent (reçu) ou failed (à renvoyer) sur ces lignes")


def uncertain_task(key: str, client: str, invoices: tuple[str, ...]) -> planner.NewTask:
    """A message that may or may not have arrived: a human checks, the bot never sends it twice."""
    return planner.NewTask(jr.task_key(key, "incertain"), client, invoices, "Envoi incertain " + key,
                           "Vérifier si le message a été reçu ; au Journal, mettre Statut = sent (reçu) ou "
                           "failed (il repartira au prochain passage) sur ses lignes « incertain »")


def refusal_fallback(register: Register, policy: Policy, today: date, problems, clients: set[str],
                     known: list[planner.NewTask]) -> list[planner.NewTask]:
    """Addresses refused for good this run: the same day, the planner's no-email channel (letter + task)
    and a task to fix the address, exactly as the next run would decide from the journal."""
    keys = {t.key for t in known}
    again = planner.plan(register, policy, today, None, problems)
    return [t for t in again.tasks if t.client in clients and t.key not in keys]


def _test_mode(message: Message, recipient: str) -> Message:
    return dataclasses.replace(message, key="TEST/" + message.key, to=(recipient,), cc=(),
                               subject="[TEST] " + message.subject)


def invoice_updates(plan: planner.Plan) -> dict[str, dict]:
    updates: dict[str, dict] = {}
    for number, state in plan.states.items():
        updates[number] = {"stage": state.stage, "last_reminder": state.last_reminder,
                           "next_action": state.next_action, "reminders_sent": state.reminders_sent,
                           "alert": state.alert, "penalties": state.penalties}
    for problem in plan.problems:  # rows left out of the register still show why
        if problem.invoice and problem.tab == "Factures" and problem.invoice not in plan.states:
            entry = updates.setdefault(problem.invoice, {"alert": ""})
            entry["alert"] = " | ".join(filter(None, [entry["alert"], str(problem)]))
    return updates


def run(policy: Policy, *, dry_run: bool = False, backend: Backend | None = None, **options) -> RunReport:
    """One run, holding the run lock from before reading the register to after writing it back
    (`lock.RunLocked` when another run holds it). A dry run writes nothing and takes no lock.
    Options: today, now, mailer, progress, simulate (see `_run`)."""
    refuse_false_date(policy, options.get("today"), dry_run, local_now(policy))
    backend = backend or open_backend(policy)
    if dry_run:
        return _run(policy, dry_run=True, backend=backend, **options)
    with held(backend, policy.schedule.timezone) as note:  # refreshed while the run lasts (lock.Heartbeat)
        report = _run(policy, backend=backend, **options)
    if note:
        report.notes.insert(0, note)
    return report


def _run(policy: Policy, *, today: date | None = None, now: datetime | None = None, dry_run: bool = False,
         backend: Backend | None = None, mailer: Mailer | None = None, progress: Progress | None = None
         ) -> RunReport:
    """One run, on one clock: `now` (default `timing.run_instant` of `today`) decides and stamps everything."""
    from relance.core.timing import run_instant
    now = now or run_instant(policy.schedule, today, local_now(policy))
    today = today or now.date()
    backend = backend or open_backend(policy)
    tz = policy.schedule.timezone
    raw = backend.load()
    crashpoint("chargé")
    register, problems = parse_register(raw, tz)
    mailer = mailer or open_mailer(policy, dry_run)
    test_recipient = policy.mail.test_recipient
    report = RunReport(today, now, dry_run, bool(test_recipient), planner.Plan(today), problems=list(problems),
                       register=getattr(backend, "description", ""))
    report.outbox = getattr(mailer, "folder", None)
    settled = [] if dry_run else resolve_interrupted(register, policy, mailer, now, report)
    register = with_journal(register, settled)
    plan = planner.plan(register, policy, today, now, problems)
    report.plan = plan
    reminders = plan.reminders
    if not plan.window_open:
        when = plan.next_slot.strftime("%d/%m/%Y %H:%M") if plan.next_slot else "?"
        report.notes.append(f"hors créneau d'envoi : rien n'est envoyé maintenant (prochain créneau : {when})")
        reminders = ()
    banner, paid_up_to = check_guards(raw, register, policy, today, report)
    if report.stale_payments:
        reminders = ()
    renderer = Renderer(policy)
    messages: list[tuple[Message, dict[str, str]]] = []
    letters = None if dry_run or test_recipient else policy.resolve(policy.paths.letters)  # formal-notice PDFs
    letter_notes: dict[str, str] = {}  # message key -> "lettre LRAR à envoyer : … sha256=…" (journal proof)
    for reminder in reminders:
        try:
            message = renderer.render(reminder, today, now)
            message, note = attach_letter(policy, reminder, message, today, letters)
        except (RenderError, LetterError) as exc:
            report.problems.append(RowProblem("Modèles", None, None, f"{reminder.client.code} : {exc}"))
            continue
        if test_recipient:
            message = _test_mode(message, test_recipient)
        letter_notes[message.key] = note
        messages.append((message, {line.invoice.number: line.journal_stage for line in reminder.lines}))
    if test_recipient:
        done = {e.key for e in register.journal if e.status == jr.TEST}
        messages = [(m, lines) for m, lines in messages if m.key not in done]
    messages, unreadable = attach_invoices(messages, policy)  # factures/<N° facture>.pdf when present
    report.problems.extend(unreadable)
    if dry_run:
        for i, (message, _) in enumerate(messages, start=1):
            mailer.send(message)
            report.sent.append(message)
            if progress:
                progress("aperçu", i, len(messages))
        report.tasks.extend(plan.tasks)
        return report

    messages, held = recheck_staff_cells(backend, raw, messages, report)
    sent_status = jr.TEST if test_recipient else jr.SENT
    pending = [row for m, lines in messages for row in journal_rows(m, lines, jr.PENDING, now, letter_notes[m.key])]
    if pending or settled:
        backend.apply(Changes(journal=tuple(settled + pending)))
        crashpoint("journal pending écrit")
    outcome: list[dict] = []
    refused: set[str] = set()  # clients whose address the server refused for good
    try:
        for i, (message, lines) in enumerate(messages, start=1):
            try:
                receipt = mailer.send(message)
                crashpoint(f"envoyé {message.key}")
                outcome += journal_rows(message, lines, sent_status, now,
                                        " · ".join(filter(None, (letter_notes[message.key], receipt.detail))))
                report.sent.append(message)
            except MailUncertain as exc:  # may have arrived: never sent twice, never counted as sent, a human checks
                status = jr.TEST if test_recipient else jr.UNCERTAIN
                outcome += journal_rows(message, lines, status, now,
                                        " · ".join(filter(None, (letter_notes[message.key], str(exc)))))
                report.uncertain.append(message)
                report.tasks.append(uncertain_task(message.key, message.client, message.invoices))
            except MailError as exc:
                outcome += journal_rows(message, lines, jr.FAILED, now, str(exc))
                report.failed.append((message, str(exc)))
                if isinstance(exc, MailRefused):
                    refused.add(message.client)
            if progress:
                progress("envoi", i, len(messages))
    finally:
        mailer.close()
    tasks = list(plan.tasks) + report.tasks
    if refused:
        tasks += refusal_fallback(with_journal(register, outcome), policy, today, problems, refused, tasks)
    report.tasks = tasks
    letter_folder = None if test_recipient else policy.resolve(policy.paths.letters)
    postal = letters_for_tasks(register, policy, renderer, tasks, today, letter_folder)  # clients without email
    new_tasks, task_journal = [], []
    for task in tasks:
        row, entry = task_rows(task, now, postal.get(task.key, ""))
        new_tasks.append(row)
        task_journal.append(entry)
    register = with_journal(register, outcome + task_journal)
    after = planner.plan(register, policy, today, None, problems)
    updates = {u.key: {"invoices": ", ".join(u.invoices), "reason": u.reason} for u in plan.task_updates}
    crashpoint("avant l'écriture finale")
    bot_columns = {n: v for n, v in invoice_updates(after).items() if n not in held}  # staff changed them: hands off
    try:
        backend.apply(Changes(invoices=bot_columns, journal=tuple(outcome + task_journal),
                              tasks=tuple(new_tasks), task_updates=updates,
                              layouts=summary_layouts(raw, register, policy, report, banner, paid_up_to)))
    except Exception as exc:  # messages already left: never "nothing was sent" (see `unsaved_reason`)
        report.unsaved = unsaved_reason(exc)
        return report
    report.notes.extend(getattr(backend, "notes", ()))  # e.g. Sheets: Synthèse left as it was
    return report


def unsaved_reason(exc: Exception) -> str:
    """Why the final write failed, for a report that goes on to say what did leave.

    The ``pending`` rows were saved before anything left, and each message that left has its
    evidence (the outbox file; over SMTP the server's 250 in the receipt ledger), so the next run
    settles every one of them (`resolve_interrupted`) and sends nothing twice."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    for sentence in ("Rien n'a été envoyé.", "Rien n'a été envoyé ;", "Rien n'a été envoyé"):
        text = text.replace(sentence, "").strip()
    return text if isinstance(exc, (BackendError, OSError)) else f"{type(exc).__name__} : {text}"


def check_guards(raw: RawTabs, register: Register, policy: Policy, today: date,
                 report: RunReport) -> tuple[tuple[str, ...], date | None]:
    """Stale payment data and missed runs (guards.py): notes, a task, and the Synthèse banner."""
    from relance.dashboard.summary_layout import read_history
    from relance.core.timing import Calendar
    calendar = Calendar(policy.schedule)
    fresh = guards.payment_freshness(register, raw.get("Synthèse"), today, calendar,
                                     policy.schedule.max_payment_data_age)
    banner: list[str] = []
    if fresh.stale:
        report.stale_payments = True
        report.notes.append(fresh.message)
        banner.append(fresh.message)
        task = guards.freshness_task(today, fresh, policy.escalation.assignee)
        if task.key not in {t.key for t in register.tasks}:
            report.tasks.append(task)
    history = read_history(raw.get("Historique"), policy.schedule.timezone)
    missed = guards.heartbeat(max((h.day for h in history), default=None), today, calendar)
    if missed:
        report.notes.append(missed)
        banner.append(missed)
    return tuple(banner), fresh.up_to


def recheck_staff_cells(backend: Backend, raw: RawTabs, messages: list, report: RunReport) -> tuple[list, set[str]]:
    """Just before anything is journaled or sent: drop messages whose invoices staff changed since the read."""
    reread = getattr(backend, "reread", None)
    numbers = {n for message, _ in messages for n in message.invoices}
    if reread is None or not numbers:
        return messages, set()
    changed = set(guards.changed_since(guards.staff_cells(raw.get("Factures")),
                                       guards.staff_cells(reread("Factures")), numbers))
    if not changed:
        return messages, set()
    for number in sorted(changed):
        report.notes.append(f"{number} modifiée dans le registre pendant l'exécution : ni envoyée ni réécrite, "
                            f"elle sera revue au prochain passage")
    kept = [(m, lines) for m, lines in messages if not changed & set(m.invoices)]
    held = changed | {n for m, _ in messages if changed & set(m.invoices) for n in m.invoices}
    return kept, held


def summary_layouts(raw: RawTabs, register: Register, policy: Policy, report: RunReport,
                    banner: tuple[str, ...] = (), paid_up_to: date | None = None) -> tuple:
    """Synthèse and Historique after this run. They ride in the run's last write; a failure here
    is a note, never a reason to lose the journal rows of messages already sent."""
    from relance.dashboard.summary import RunResult
    from relance.dashboard.summary_layout import run_layouts
    try:
        opened = tuple(Task(report.now.date(), t.client, t.invoices, t.reason, t.assignee, t.action, key=t.key)
                       for t in report.tasks)
        messaged = {number for message in report.sent for number in message.invoices}
        run = RunResult(report.now, len(report.sent), len(report.failed), len(report.tasks),
                        len(set(report.plan.states) - messaged), len(report.problems))
        register = dataclasses.replace(register, tasks=register.tasks + opened)
        return run_layouts(raw, register, policy, report.today, run, banner, paid_up_to)
    except Exception as exc:  # the dashboard must not cost the journal (see docstring)
        report.notes.append(f"onglet Synthèse non mis à jour : {type(exc).__name__} : {exc}")
        return ()
