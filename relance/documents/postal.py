"""A reminder on paper, for clients without a usable email address.

When a stage is due and the client has no email, the planner opens a « courrier ou
téléphone » task (``NewTask.letter``). The run then puts the very words of that
stage's email template on an A4 letter (same letterhead as the formal notice),
rendered with ``paper = true`` so the wording is a letter's: « contactez-nous au … »
instead of « répondez simplement à cet email », « ce courrier », one signature (the
letter's block, not the email's), no company name trailing the subject,
saves it in the letters folder and notes its path and SHA-256 in the journal, so
staff can post it or read it out on the phone. One letter per client and day.

Example: C007 has no email, F2026-107 is at J+2 -> ``letters/2026-11-25_C007_amiable.pdf``
and the task « Relance amiable à faire par courrier ou téléphone ».
"""

from __future__ import annotations

from datetime import date

from relance.core.actions import Line, NewTask, Reminder
from relance.core.config import Policy
from relance.documents.names import safe_name
from relance.core.journal import message_key
from relance.documents.letters import Letter
from relance.documents.letter_page import letterhead, missing_characters, new_pdf, signature, writer
from relance.core.model import Register
from relance.core.money import totals as currency_totals
from relance.messages.render import Renderer


def reminder_letter(policy: Policy, renderer: Renderer, reminder: Reminder, today: date) -> Letter:
    """The stage's text (its email template) as a letter to the client's postal address."""
    context = {**renderer.context(reminder, today), "paper": True}
    parts = renderer.render_parts(reminder.client.language, reminder.stage, context)
    subject = parts.subject.removesuffix(f" – {policy.company.name}")  # the letterhead names the company
    pdf = new_pdf(policy, subject, subject, today)
    text = writer(pdf)
    letterhead(pdf, policy, reminder.client, today, reminder.client.language)
    text(f"{'Subject:' if reminder.client.language == 'en' else 'Objet :'} {subject}", 11, True)
    pdf.ln(3)
    for paragraph in paragraphs(parts.text):
        text(paragraph)
        pdf.ln(2)
    signature(pdf, policy, reminder.client.language)
    name = f"{today.isoformat()}_{safe_name(reminder.client.code, 'client')}_{reminder.stage}.pdf"
    content = bytes(pdf.output())
    return Letter(reminder.client.code, name, content, reminder.invoices,
                  currency_totals((line.invoice.currency, line.remaining) for line in reminder.lines),
                  tuple(missing_characters(pdf)))


def paragraphs(text: str) -> list[str]:
    """The template's paragraphs, without empty ones and without a line left with punctuation only."""
    found = []
    for block in text.strip().split("\n\n"):
        lines = [line.rstrip() for line in block.split("\n") if line.strip(" \t.,;:·–-")]
        if lines:
            found.append("\n".join(lines))
    return found


def letters_for_tasks(register: Register, policy: Policy, renderer: Renderer, tasks: list[NewTask], today: date,
                      keep: bool) -> dict[str, tuple[str, Letter | None]]:
    """Task key -> (journal note ``courrier : letters/….pdf sha256=…``, the letter to save) for every letter
    task of the day. The run's apply step saves the letters (this function writes nothing).

    `keep` False (dry run, test mode) builds nothing. A letter that cannot be made is said in the note:
    the task stays."""
    by_client: dict[str, list[NewTask]] = {}
    for task in tasks:
        if task.letter and task.stage:
            by_client.setdefault(task.client, []).append(task)
    made: dict[str, tuple[str, Letter | None]] = {}
    invoices = {i.number: i for i in register.invoices}
    for code, group in by_client.items():
        client = register.clients.get(code)
        lines = tuple(Line(invoices[n], t.stage, invoices[n].days_late(today))
                      for t in group for n in t.invoices if n in invoices)
        if client is None or not lines or not keep:
            continue
        stage = max((line.stage for line in lines), key=[s.key for s in policy.stages].index)
        reminder = Reminder(message_key(today, code, stage), client, stage, lines, ())
        letter: Letter | None = None
        try:
            letter = reminder_letter(policy, renderer, reminder, today)
            note = postal_note(policy, letter)
        except Exception as exc:  # a letter we cannot print must not cost the run: the task says so
            note = unmade_note(exc)
        for task in group:
            made[task.key] = (note, letter)
    return made


def postal_note(policy: Policy, letter: Letter) -> str:
    """The task's and journal's proof of the letter, and what the operator must check before posting it."""
    note = f"courrier : {policy.paths.letters.rstrip('/')}/{letter.filename} sha256={letter.sha256}"
    return " · ".join((note, *letter.warnings))


def unmade_note(exc: Exception) -> str:
    return f"courrier non généré : {type(exc).__name__} : {exc}"
