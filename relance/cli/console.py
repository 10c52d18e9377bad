"""What the commands print: rich tables for people, CSV/JSON for scripts.

Kept apart from `cli.py` so the command layer stays a thin parser and the same
printers serve `plan`, `run` and `demo`.
"""

from __future__ import annotations

import json
from typing import Iterable

from babel.dates import format_date
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from relance.core.config import Policy
from relance.core.model import RowProblem
from relance.core.actions import Plan, stage_label
from relance.core.money import totals as currency_totals
from relance.messages.render import money

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def plan_rows(plan: Plan, policy: Policy, include_skips: bool = False, notes: bool = True) -> list[dict]:
    """One row per invoice acted on (and, with `include_skips`, per invoice left alone and why);
    one per note of the day (`notes`; the calendar keeps only those of days that hold something back)."""
    rows = []

    def alert(number: str) -> str:
        state = plan.states.get(number)
        return f"alerte : {state.alert}" if state and state.alert else ""

    for reminder in plan.reminders:
        for line in reminder.lines:
            rows.append({"date": plan.today.isoformat(), "client": reminder.client.code, "invoice": line.invoice.number,
                         "action": "email", "stage": stage_label(policy, line.stage), "message": reminder.key,
                         "to": ", ".join(reminder.to), "days_late": line.days_late,
                         "remaining": str(line.remaining), "currency": line.invoice.currency,
                         "reason": alert(line.invoice.number)})
    for reminder in plan.withheld:  # due, but the day's gates hold it back: the notes say why
        for line in reminder.lines:
            rows.append({"date": plan.today.isoformat(), "client": reminder.client.code, "invoice": line.invoice.number,
                         "action": "retenu", "stage": stage_label(policy, line.stage), "message": reminder.key,
                         "to": ", ".join(reminder.to), "days_late": line.days_late,
                         "remaining": str(line.remaining), "currency": line.invoice.currency,
                         "reason": " | ".join(plan.notes)})
    for task in plan.tasks:
        rows.append({"date": plan.today.isoformat(), "client": task.client, "invoice": ", ".join(task.invoices),
                     "action": "tâche", "stage": policy.label(task.stage) if task.stage else "",
                     "message": task.key, "to": task.assignee, "days_late": "", "remaining": "", "currency": "",
                     "reason": task.reason})
    for update in plan.task_updates:
        rows.append({"date": plan.today.isoformat(), "client": "", "invoice": ", ".join(update.invoices),
                     "action": "tâche mise à jour", "stage": "", "message": update.key, "to": "", "days_late": "",
                     "remaining": "", "currency": "", "reason": update.reason})
    for note in plan.notes if notes else ():
        rows.append({"date": plan.today.isoformat(), "client": "", "invoice": "", "action": "note", "stage": "",
                     "message": "", "to": "", "days_late": "", "remaining": "", "currency": "",
                     "reason": note})
    if include_skips:
        for skip in plan.skips:
            rows.append({"date": plan.today.isoformat(), "client": skip.client, "invoice": skip.invoice,
                         "action": "aucune", "stage": "", "message": "", "to": "", "days_late": "",
                         "remaining": "", "currency": "",
                         "reason": " | ".join(filter(None, [skip.reason, alert(skip.invoice)]))})
    return rows


def cell_rows(plan: Plan, cells: dict[str, dict]) -> list[dict]:
    """`relance plan --cells`: one row per Factures row, the bot columns as the run will write them."""
    return [{"date": plan.today.isoformat(), "invoice": number, "action": "colonnes",
             **{key: "" if value is None else str(value) for key, value in values.items()}}
            for number, values in sorted(cells.items())]


def print_day_notes(plan: Plan) -> None:
    """What holds the day back or needs saying (hors créneau, encaissements, test mode, runs missed)."""
    if plan.test_mode:
        console.print("[yellow]MODE TEST : tous les messages partent vers l'adresse de test.[/]")
    if plan.withheld:
        console.print(f"[yellow]{len(plan.withheld)} message(s) retenu(s) aujourd'hui.[/]")
    for note in plan.notes:
        console.print(f"[cyan]•[/] {escape(note)}", soft_wrap=True)


TABLE_ROWS = 100  # per section of a printed plan; `relance plan --format csv` lists everything


def _more(table: Table, hidden: int, what: str) -> None:
    """A closing row for a section cut at TABLE_ROWS: rich takes ~0.6 ms a row, so 30 000 tasks
    (a first run on a large register) would cost 18 s of terminal output nobody reads."""
    if hidden > 0:
        table.add_row("", f"[dim]… {hidden} {what} de plus[/]", "", "", "", "[dim]relance plan --format csv[/]")


def print_plan(plan: Plan, policy: Policy, *, show_skips: bool = False) -> None:
    table = Table(title=f"Plan du {plan.today:%d/%m/%Y}", show_lines=False)
    for header in ("Client", "Facture", "Étape", "Retard", "Reste dû", "Message"):
        table.add_column(header)
    lines = [(reminder, i, line) for reminder in plan.reminders for i, line in enumerate(reminder.lines)]
    for reminder, i, line in lines[:TABLE_ROWS]:
        table.add_row(escape(reminder.client.code) if i == 0 else "", escape(line.invoice.number),
                      escape(stage_label(policy, line.stage)), f"J{line.days_late:+d}",
                      money(line.remaining, line.invoice.currency),
                      f"→ {escape(', '.join(reminder.to))}" if i == 0 else "")
    _more(table, len(lines) - TABLE_ROWS, "facture(s) à relancer")
    for task in plan.tasks[:TABLE_ROWS]:
        table.add_row(escape(task.client), escape(", ".join(task.invoices)), "[yellow]tâche[/]", "", "",
                      escape(task.reason))
    _more(table, len(plan.tasks) - TABLE_ROWS, "tâche(s)")
    if plan.reminders or plan.tasks:
        console.print(table)
    if plan.reminders:  # per currency: amounts in different currencies are never added
        console.print("Total relancé : " + amounts(currency_totals(
            (line.invoice.currency, line.remaining) for r in plan.reminders for line in r.lines)))
    else:
        console.print(f"Rien à envoyer le {plan.today:%d/%m/%Y}.")
    if show_skips and plan.skips:
        skipped = Table(title="Sans action aujourd'hui")
        skipped.add_column("Facture")
        skipped.add_column("Client")
        skipped.add_column("Pourquoi")
        for skip in plan.skips[:TABLE_ROWS]:
            skipped.add_row(escape(skip.invoice), escape(skip.client), escape(skip.reason))
        if len(plan.skips) > TABLE_ROWS:
            skipped.add_row(f"[dim]… {len(plan.skips) - TABLE_ROWS} de plus[/]", "", "[dim]relance plan --all "
                            "--format csv[/]")
        console.print(skipped)
    if plan.deferred:
        console.print(f"[yellow]{len(plan.deferred)} message(s) reporté(s) au prochain envoi (limite quotidienne "
                      f"de {policy.schedule.daily_limit}).[/]")


def amounts(totals) -> str:
    """« 630,50 € + 220,00 $US »: one figure per currency, never their sum."""
    return " + ".join(money(amount, currency) for currency, amount in totals)


def print_calendar(days: list[Plan], policy: Policy) -> None:
    """One line per message or task, day after day (`relance plan --from --to`)."""
    table = Table(title=f"Calendrier du {days[0].today:%d/%m/%Y} au {days[-1].today:%d/%m/%Y} "
                        f"(si personne ne paie)")
    for header in ("Jour", "Client", "Action", "Factures", "Total"):
        table.add_column(header)
    for day in days:
        shown = format_date(day.today, "EEE dd/MM", locale="fr_FR")
        for r in day.reminders:
            table.add_row(shown, r.client.code, stage_label(policy, r.stage), ", ".join(r.invoices),
                          amounts(currency_totals((l.invoice.currency, l.remaining) for l in r.lines)))
        for t in day.tasks:
            table.add_row(shown, t.client, f"[yellow]tâche[/] {t.reason}", ", ".join(t.invoices), "")
    console.print(table)
    waiting = {s.invoice for d in days[-1:] for s in d.skips if "approbation" in s.reason}
    if waiting:
        console.print(f"[yellow]Mises en demeure en attente d'approbation à la fin de la période : "
                      f"{', '.join(sorted(waiting))}[/]")


def print_notes(notes: Iterable[str]) -> None:
    """Run-level notes (e.g. a missing rate with the config line to add): once each, text not markup."""
    for note in notes:
        console.print(f"[cyan]•[/] {escape(note)}", soft_wrap=True)


def print_problems(problems: Iterable[RowProblem]) -> None:
    problems = list(problems)
    if not problems:
        return
    console.print(f"[bold red]{len(problems)} problème(s) dans le registre[/] (visibles aussi dans la colonne Alerte) :")
    lines = Text()  # one Text, no markup to parse ("[penalties…]" stays text): 3 000 problems in 0.06 s, not 0.7
    for problem in problems:
        lines.append("  ")
        lines.append("•", style="red")
        lines.append(f" {problem}\n")
    console.print(lines, soft_wrap=True, end="")


YES = ("o", "oui", "y", "yes")  # « o » is French; « y » still works for fingers used to English prompts


def confirm(question: str) -> bool:
    """``question [o/N] :`` in French (typer.confirm prints « [y/N] »); anything but oui/o (or y) is no."""
    import typer
    answer = typer.prompt(f"{question} [o/N]", default="", show_default=False, prompt_suffix=" : ")
    return answer.strip().casefold() in YES


def dump(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2, default=str)
    from relance.dashboard.csv_excel import to_csv
    return to_csv(list(rows[0]), rows, numeric=("remaining", "days_late")) if rows else ""


def print_run(report, policy: Policy) -> None:
    """The end-of-run summary: what left, what failed, what waits for a human."""
    mode = "APERÇU (dry-run) — " if report.dry_run else ""
    if report.test_mode:
        mode += f"MODE TEST (tout part vers {policy.mail.test_recipient}) — "
    console.print(f"[bold]{escape(mode)}Relances du {report.today:%d/%m/%Y}[/] · registre "
                  f"{escape(str(report.register))}", soft_wrap=True)
    print_plan(report.plan, policy)
    if report.dry_run or policy.mail.mailer == "outbox":
        done = f"écrit(s) dans {escape(str(report.outbox))}"
    else:
        done = "envoyé(s)" + (f", copie dans {escape(str(report.outbox))}" if report.outbox else "")
    console.print(f"[green]{len(report.sent)} message(s) {done}[/]", soft_wrap=True)
    for message in report.uncertain:
        console.print(f"[yellow]incertain[/] {escape(message.key)} → {escape(', '.join(message.to))} : parti sans "
                      f"réponse du serveur ; non renvoyé, tâche ouverte", soft_wrap=True)
    for message, error in report.failed:
        console.print(f"[red]échec[/] {escape(message.key)} → {escape(', '.join(message.to))} : {escape(str(error))}",
                      soft_wrap=True)
    if report.tasks and report.dry_run:  # nothing is written in a dry run: say what would be, not what was
        console.print(f"[yellow]{len(report.tasks)} tâche(s) à ouvrir dans l'onglet Tâches (aperçu : aucune n'est "
                      f"écrite)[/]")
    elif report.tasks:
        console.print(f"[yellow]{len(report.tasks)} tâche(s) ouverte(s) dans l'onglet Tâches[/]")
    for note in report.notes:
        console.print(f"[cyan]•[/] {escape(str(note))}", soft_wrap=True)
    print_problems(report.problems)
    if report.unsaved:
        print_unsaved(report)


def print_unsaved(report) -> None:
    """The final write failed after messages left: what left, what was not saved, what happens next."""
    left = [m.key for m in report.sent] + [m.key for m in report.uncertain]
    err_console.print(f"[bold red]Registre non mis à jour[/] : {report.unsaved}", markup=True, highlight=False)
    what = (f"{len(left)} message(s) sont bien partis : {', '.join(left)}." if left
            else "Aucun message n'est parti pendant cette exécution.")
    err_console.print(what, markup=False, highlight=False)
    err_console.print(f"Non enregistré dans le registre : les lignes sent/failed du Journal, {len(report.tasks)} "
                      f"tâche(s), les colonnes du robot et la Synthèse. Le prochain passage régularisera : il "
                      f"retrouve les messages partis (boîte d'envoi, accusés du serveur) et ne les renvoie pas.",
                      markup=False, highlight=False)
