"""The imperative shell: the only place that knows the order of side effects.

    gather:  lock -> load -> parse -> settle interrupted sends -> re-read staff cells
    decide:  `decision.decide` (pure: every rule, every gate of the day) -> a `Plan`
    apply:   render (+ letters, invoice PDFs) -> save letters -> journal ``pending`` -> send
             -> journal ``sent``/``failed`` + tasks + bot columns + Synthèse -> unlock

`relance plan` calls the same `decision.decide`, so it announces what this file will do.

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

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from relance.core import decision, memory, resumption
from relance.core import journal as jr
from relance.core import planner
from relance.core import records
from relance.adapters.attachments import attach_invoices
from relance.adapters.backends import Backend, BackendError, Changes, open_backend
from relance.adapters.faults import crashpoint
from relance.core.config import Policy
from relance.adapters.files import save_document as save_letter
from relance.documents.letters import Letter, LetterError, attach_letter
from relance.adapters.lock import held
from relance.adapters.stop import stop_between_messages
from relance.adapters.mailers import MailError, Mailer, MailRefused, MailUncertain, Message
from relance.core.model import RawTabs, Register, RowProblem
from relance.core.parse import parse_register
from relance.documents.postal import letters_for_tasks, unmade_note
from relance.shells.recall import journal_memory, remember
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
    """One journal row per invoice of the message, all sharing key and Message-ID (`records.message_rows`)."""
    return records.message_rows(message.key, message.client, {n: lines.get(n, message.stage) for n in message.invoices},
                                message.to + message.cc, message.subject, status, now, message.message_id, comment)


with_journal = records.with_journal


def resolve_interrupted(register: Register, policy: Policy, mailer: Mailer, now: datetime,
                        report: RunReport) -> list[dict]:
    """Finish what a killed run left ``en cours``: ask the mailer whether each message left
    (`Mailer.was_sent`), let the core decide (`resumption.settle`); returns the journal rows."""
    pending = resumption.interrupted(register, policy.stage_names())
    evidence = {item.entry.key: mailer.was_sent(item.entry.message_id, item.entry.key) for item in pending}
    settled = resumption.settle(pending, evidence, policy.mail.on_uncertain, now)
    report.tasks.extend(settled.tasks)
    report.notes.extend(settled.notes)
    return settled.rows


def refusal_fallback(register: Register, policy: Policy, today: date, problems, clients: set[str],
                     known: list[planner.NewTask]) -> list[planner.NewTask]:
    """Addresses refused for good this run: the same day, the planner's no-email channel (letter + task)
    and a task to fix the address, exactly as the next run would decide from the journal."""
    keys = {t.key for t in known}
    again = planner.plan(register, policy, today, None, problems)
    return [t for t in again.tasks if t.client in clients and t.key not in keys]


invoice_updates = records.bot_cells


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
    report.notes.extend(backend.notes)  # what the writes and the lock's release said (Synthèse left as it was…)
    return report


def _run(policy: Policy, *, today: date | None = None, now: datetime | None = None, dry_run: bool = False,
         backend: Backend | None = None, mailer: Mailer | None = None, progress: Progress | None = None
         ) -> RunReport:
    """One run, on one clock: `now` (default `timing.run_instant` of `today`) decides and stamps everything.

    Gather (load, parse, settle interrupted sends, re-read staff cells), decide (`decision.decide`, pure),
    then apply in order: journal pending -> send -> journal sent -> write back -> summary."""
    from relance.core.timing import run_instant
    now = now or run_instant(policy.schedule, today, local_now(policy))
    today = today or now.date()
    backend = backend or open_backend(policy)
    raw = backend.load()
    crashpoint("chargé")
    register, problems = parse_register(raw, policy.schedule.timezone, today)
    mailer = mailer or open_mailer(policy, dry_run)
    report = RunReport(today, now, dry_run, bool(policy.mail.test_recipient), planner.Plan(today),
                       problems=list(problems), register=backend.description)
    report.outbox = mailer.folder
    settled = [] if dry_run else resolve_interrupted(register, policy, mailer, now, report)
    register = with_journal(register, settled)
    recall = journal_memory(raw, register, policy)
    day = decision.decide(register, policy, today, now, problems, gather_inputs(raw, policy, recall, dry_run))
    if not dry_run and day.reminders:  # staff may have edited since the read
        day = decision.hold_edited(day, raw.get("Factures"), backend.reread("Factures"))
    report.plan, report.stale_payments = day, day.stale_payments
    report.notes.extend(day.notes)
    if recall.refused:
        report.problems.append(RowProblem("Journal", None, None, recall.message))
    elif recall.message:  # e.g. « reprise confirmée »: said once, the journal as it is becomes the reference
        report.notes.append(recall.message)
    return _apply(policy, day, raw, register, problems, settled, backend, mailer, report, progress, recall)


def gather_inputs(raw: RawTabs, policy: Policy, recall: memory.Verdict | None = None,
                  rehearsal: bool = False) -> decision.Inputs:
    """What the day's decision needs besides the parsed tabs: Synthèse, Historique, the journal's memory."""
    from relance.dashboard.summary_layout import read_history
    history = read_history(raw.get("Historique"), policy.schedule.timezone)
    refusal = recall.message if recall is not None and recall.refused else ""
    return decision.Inputs(raw.get("Synthèse"), max((h.day for h in history), default=None),
                           journal_refusal=refusal, rehearsal=rehearsal)


def _apply(policy: Policy, day: planner.Plan, raw: RawTabs, register: Register, problems, settled: list[dict],
           backend: Backend, mailer: Mailer, report: RunReport, progress: Progress | None,
           recall: memory.Verdict) -> RunReport:
    """Carry `day` out. Every write and every send of a run happens here, in this order."""
    today, now, dry_run = report.today, report.now, report.dry_run
    keep_letters = not dry_run and not day.test_mode  # a letter kept in letters/ is one staff will post
    renderer = Renderer(policy)
    messages: list[tuple[Message, dict[str, str]]] = []
    letter_notes: dict[str, str] = {}  # message key -> "lettre LRAR à envoyer : … sha256=…" (journal proof)
    letters: dict[str, Letter] = {}    # message key -> formal notice to save before it is journaled
    for reminder in day.reminders:
        try:
            message = renderer.render(reminder, today, now)
            message, note, letter = attach_letter(policy, reminder, message, today, keep_letters)
        except (RenderError, LetterError) as exc:
            report.problems.append(RowProblem("Modèles", None, None, f"{reminder.client.code} : {exc}"))
            continue
        letter_notes[message.key] = note
        if letter:
            letters[message.key] = letter
        messages.append((message, records.line_stages(reminder)))
    messages, unreadable = attach_invoices(messages, policy)  # factures/<N° facture>.pdf when present
    report.problems.extend(unreadable)
    if dry_run:
        for i, (message, _) in enumerate(messages, start=1):
            mailer.send(message)
            report.sent.append(message)
            if progress:
                progress("aperçu", i, len(messages))
        report.tasks.extend(day.tasks)
        return report

    if messages:  # e.g. merged bot cells: refused before anything leaves
        backend.check_writable()
    messages = save_letters(policy, messages, letters, report)
    sent_status = jr.TEST if day.test_mode else jr.SENT
    with stop_between_messages() as stop:  # Ctrl-C / TERM: finish this message, send no other (stop.py)
        pending = [row for m, lines in messages for row in journal_rows(m, lines, jr.PENDING, now, letter_notes[m.key])]
        if pending or settled:
            backend.apply(Changes(journal=tuple(settled + pending)))
            crashpoint("journal pending écrit")
        outcome: list[dict] = []
        refused: set[str] = set()  # clients whose address the server refused for good
        try:
            for i, (message, lines) in enumerate(messages, start=1):
                if stop:  # journaled « échec »: planned again by the next run, like any message that did not go
                    outcome += journal_rows(message, lines, jr.FAILED, now, f"{STOPPED_NOTE} ({stop.by})")
                    report.failed.append((message, f"{STOPPED_NOTE} ({stop.by})"))
                    continue
                try:
                    receipt = mailer.send(message)
                    crashpoint(f"envoyé {message.key}")
                    outcome += journal_rows(message, lines, sent_status, now,
                                            " · ".join(filter(None, (letter_notes[message.key], receipt.detail))))
                    report.sent.append(message)
                except MailUncertain as exc:  # may have arrived: never sent twice, never counted as sent, a human checks
                    status = jr.TEST if day.test_mode else jr.UNCERTAIN
                    outcome += journal_rows(message, lines, status, now,
                                            " · ".join(filter(None, (letter_notes[message.key], str(exc)))))
                    report.uncertain.append(message)
                    report.tasks.append(resumption.uncertain_task(message.key, message.client, message.invoices))
                except MailError as exc:
                    outcome += journal_rows(message, lines, jr.FAILED, now, str(exc))
                    report.failed.append((message, str(exc)))
                    if isinstance(exc, MailRefused):
                        refused.add(message.client)
                if progress:
                    progress("envoi", i, len(messages))
        finally:
            mailer.close()
    if stop:
        report.notes.insert(0, f"passage interrompu ({stop.by}) : {len(report.sent)} message(s) parti(s) avant, "
                               f"{sum(1 for _, why in report.failed if why.startswith(STOPPED_NOTE))} non envoyé(s), "
                               f"replanifié(s) au prochain passage")
    try:  # from here on, messages left: any failure says what left, never "nothing was sent"
        tasks = list(day.tasks) + report.tasks
        if refused:
            tasks += refusal_fallback(with_journal(register, outcome), policy, today, problems, refused, tasks)
        report.tasks = tasks
        postal = save_postal(policy, letters_for_tasks(register, policy, renderer, tasks, today, keep_letters))
        new_tasks, task_journal = [], []
        for task in tasks:
            row, entry = records.task_rows(task, now, postal.get(task.key, ""))
            new_tasks.append(row)
            task_journal.append(entry)
        register = with_journal(register, outcome + task_journal)
        after = planner.plan(register, policy, today, None, problems)
        updates = {u.key: {"invoices": ", ".join(u.invoices), "reason": u.reason} for u in day.task_updates}
        crashpoint("avant l'écriture finale")
        bot_columns = {n: v for n, v in invoice_updates(after).items() if n not in day.held}  # staff changed them
        if recall.refused:
            bot_columns = {}  # a cache of a journal known to be incomplete: leave the last good one
        backend.apply(Changes(invoices=bot_columns, journal=tuple(outcome + task_journal),
                              tasks=tuple(new_tasks), task_updates=updates,
                              sheets=remember(backend, raw, recall, register, report),
                              layouts=summary_layouts(raw, register, policy, report, day.banner, day.paid_up_to)))
    except Exception as exc:  # see `unsaved_reason`: the next run settles every message from its evidence
        report.unsaved = unsaved_reason(exc)
    return report


STOPPED_NOTE = "non envoyé : passage interrompu avant ce message"


def unsaved_reason(exc: Exception) -> str:
    """Why the final write failed, for a report that goes on to say what did leave.

    The ``pending`` rows were saved before anything left, and each message that left has its
    evidence (the outbox file; over SMTP the server's 250 in the receipt ledger), so the next run
    settles every one of them (`resolve_interrupted`) and sends nothing twice."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    for sentence in ("Rien n'a été envoyé.", "Rien n'a été envoyé ;", "Rien n'a été envoyé"):
        text = text.replace(sentence, "").strip()
    return text if isinstance(exc, (BackendError, OSError)) else f"{type(exc).__name__} : {text}"


def save_letters(policy: Policy, messages: list, letters: dict[str, Letter], report: RunReport) -> list:
    """Save each formal notice before its message is journaled: a notice that cannot be kept is not sent."""
    folder = policy.resolve(policy.paths.letters)
    kept = []
    for message, lines in messages:
        letter = letters.get(message.key)
        try:
            if letter:
                save_letter(letter, folder)
        except OSError as exc:
            report.problems.append(RowProblem("Modèles", None, None, f"{message.client} : mise en demeure de "
                                              f"{message.client} non envoyée, lettre impossible : "
                                              f"{exc.strerror or exc}"))
            continue
        kept.append((message, lines))
    return kept


def save_postal(policy: Policy, made: dict[str, tuple[str, Letter | None]]) -> dict[str, str]:
    """Save the day's postal letters; task key -> the journal note (saying so when a letter could not be kept)."""
    folder = policy.resolve(policy.paths.letters)
    saved: dict[str, str] = {}  # letter file -> note, one letter per client serves several tasks
    notes: dict[str, str] = {}
    for key, (note, letter) in made.items():
        if letter is not None and letter.filename not in saved:
            try:
                save_letter(letter, folder)
                saved[letter.filename] = note
            except OSError as exc:
                saved[letter.filename] = unmade_note(exc)
        notes[key] = saved[letter.filename] if letter is not None else note
    return notes
def summary_layouts(raw: RawTabs, register: Register, policy: Policy, report: RunReport,
                    banner: tuple[str, ...] = (), paid_up_to: date | None = None) -> tuple:
    """Synthèse and Historique after this run. They ride in the run's last write; a failure here
    is a note, never a reason to lose the journal rows of messages already sent."""
    from relance.dashboard.summary import RunResult
    from relance.dashboard.summary_layout import foreign_problems, run_layouts
    try:
        messaged = {number for message in report.sent for number in message.invoices}
        run = RunResult(report.now, len(report.sent), len(report.failed), len(report.tasks),
                        len(set(report.plan.states) - messaged), len(report.problems))
        register = records.with_tasks(register, report.tasks, report.now.date())
        foreign = foreign_problems(raw)  # a staff tab bearing the name: never rewritten, said on every run
        report.problems.extend(foreign)
        return tuple(layout for layout in run_layouts(raw, register, policy, report.today, run, banner, paid_up_to)
                     if layout.title not in {p.tab for p in foreign})
    except Exception as exc:  # the dashboard must not cost the journal (see docstring)
        report.notes.append(f"onglet Synthèse non mis à jour : {type(exc).__name__} : {exc}")
        return ()
