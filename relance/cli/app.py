"""The `relance` command: a thin layer over the library.

Each command parses options, calls one library function, prints the result and
turns library exceptions into one clear sentence and exit code 1. Heavy modules
are imported inside the commands so `relance --help` stays instant.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Optional

import typer

class _App(typer.Typer):
    """The typer app, with a last safety net: an error nobody foresaw is one French sentence and exit 1,
    never a traceback on a staff member's screen (``RELANCE_DEBUG=1`` shows it, for a developer)."""

    def __call__(self, *args, **kwargs):
        import os
        import sys
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            if os.environ.get("RELANCE_DEBUG"):
                raise
            from relance.cli.console import err_console
            err_console.print(f"[bold red]Erreur :[/] {unexpected(exc)}", highlight=False, soft_wrap=True)
            sys.exit(1)


def unexpected(exc: BaseException) -> str:
    """One line for an error with no better message (the type tells a developer where to look)."""
    text = " ".join(str(exc).split())[:300]
    return (f"erreur inattendue ({type(exc).__name__}{' : ' + text if text else ''}). Le prochain passage reprend "
            f"là où celui-ci s'est arrêté, sans rien envoyer deux fois ; RELANCE_DEBUG=1 montre le détail technique.")


def unreadable_register(exc: BaseException, policy) -> str | None:
    """A damaged workbook (a valid zip whose sheet XML is cut or garbled) or a register the user may not
    read: what it is and what to do, or None when `exc` is something else."""
    import zipfile
    from xml.etree.ElementTree import ParseError
    where = policy.resolve(policy.register.path) if policy.register.backend == "xlsx" else policy.register.spreadsheet
    if isinstance(exc, (ParseError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError)):
        return (f"registre illisible : {where} est endommagé ({type(exc).__name__} : {exc}). Ouvrez-le dans Excel "
                f"ou LibreOffice et enregistrez-le à nouveau, ou restaurez la dernière sauvegarde. Rien n'a été envoyé.")
    if isinstance(exc, PermissionError):
        return (f"accès refusé à {exc.filename or where} : vérifiez les droits du dossier et du fichier pour "
                f"l'utilisateur qui lance relance. Rien n'a été envoyé.")
    return None


app = _App(
    help="Relance les factures impayées depuis un registre partagé (Google Sheets ou .xlsx).\n\n"
         "Start with `relance demo`, then `relance init registre.xlsx` for your own register.",
    no_args_is_help=True, rich_markup_mode="rich", add_completion=False,
    pretty_exceptions_show_locals=False)  # a traceback's locals would print the SMTP password

ConfigOption = typer.Option(Path("config.toml"), "--config", "-c", help="Config file (default ./config.toml).")
DateOption = typer.Option(None, "--date", help="Act as of another day, YYYY-MM-DD (at its send-window opening).")


def _fail(message: str, code: int = 1) -> None:
    from relance.cli.console import err_console
    err_console.print(f"[bold red]Erreur :[/] {message}", soft_wrap=True)  # one line, whatever the terminal
    raise typer.Exit(code)


def _policy(path: Path):
    from relance.core.config import ConfigError, load_policy
    try:
        return load_policy(path)
    except ConfigError as exc:
        _fail(str(exc))


def _day(value: Optional[str]) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"--date {value!r} : attendu une date AAAA-MM-JJ, par exemple 2026-11-25")


def _today(policy) -> date:
    """Today in the configured time zone: every read-only command agrees with `relance run` on the day."""
    from relance.core.timing import local_today
    return local_today(policy.schedule, datetime.now().astimezone())


def _load(policy):
    """Backend + parsed register, with user-facing errors."""
    backend, _, register, problems = _read(policy)
    return backend, register, problems


def _read(policy):
    """Backend, raw tabs as read, parsed register and problems, with user-facing errors."""
    from relance.adapters.backends import BackendError, open_backend
    from relance.core.parse import RegisterError, parse_register
    try:
        backend = open_backend(policy)
        raw = backend.load()
        register, problems = parse_register(raw, policy.schedule.timezone)
    except (BackendError, RegisterError) as exc:
        _fail(str(exc))
    except Exception as exc:
        _fail(unreadable_register(exc, policy) or unexpected(exc))
    return backend, raw, register, problems


@app.command()
def init(path: Path = typer.Argument(Path("registre.xlsx"), help="The workbook to create."),
         force: bool = typer.Option(False, "--force", help="Overwrite an existing workbook."),
         google: Optional[str] = typer.Option(None, "--google", help="Set up this Google Sheet (URL or key) "
                                              "instead of a workbook; it must be shared with the service account."),
         credentials: Optional[Path] = typer.Option(None, "--credentials", help="With --google: the service-account "
                                                    "JSON key (else GOOGLE_APPLICATION_CREDENTIALS)."),
         config: Optional[Path] = typer.Option(None, "--config", "-c", help="Where to write config.toml "
                                               "(default: beside the workbook, or ./config.toml with --google).")
         ) -> None:
    """Create a new register with every tab, headers, drop-downs, and a config.toml beside it.

    With --google, an existing (empty) Google Sheet gets the tabs, headers, drop-downs, a frozen
    header row, warning-protected bot columns and colours on Étape; config.toml then uses it.

    Example: relance init registre.xlsx
    Example: relance init --google https://docs.google.com/spreadsheets/d/… --credentials service-account.json
    """
    if google is not None:
        _init_google(google, credentials, config or Path("config.toml"))
        return
    from relance.adapters.backends.xlsx import create_workbook
    from relance.core.config import default_config_text
    from relance.cli.console import console
    if path.exists() and not force:
        _fail(f"{path} existe déjà : choisissez un autre nom ou ajoutez --force.")
    create_workbook(path)
    config = config or path.parent / "config.toml"
    if not config.exists():
        config.write_text(default_config_text().replace('path = "registre.xlsx"', f'path = "{path.name}"'),
                          encoding="utf-8")
        console.print(f"Config écrite : {config}")
    console.print(f"Registre créé : {path} (onglets Factures, Clients, Échéanciers, Journal, Tâches, Synthèse).")


def _init_google(spreadsheet: str, credentials: Optional[Path], config: Path) -> None:
    """`relance init --google`: set up the sheet, then write config.toml pointing at it."""
    import os

    from relance.adapters.backends import BackendError
    from relance.adapters.backends.gsheets import GoogleSheetsBackend
    from relance.adapters.backends.gsheets_auth import credentials_path, load_credentials, spreadsheet_key
    from relance.adapters.backends.gsheets_init import google_config_text
    from relance.cli.console import console
    try:
        account = load_credentials(credentials_path(credentials))
        backend = GoogleSheetsBackend.connect(account, spreadsheet_key(spreadsheet))
        tabs = backend.initialise()
    except BackendError as exc:
        _fail(str(exc))
    console.print(f"Registre Google Sheets prêt (onglets {', '.join(tabs)}), partagé avec {account.email}.")
    if config.exists():
        console.print(f"{config} existe déjà : mettez-y [register] backend = \"gsheets\" et spreadsheet = "
                      f"\"{spreadsheet}\".")
        return
    key_file = ""
    if credentials is not None:
        absolute, folder = credentials.resolve(), config.resolve().parent
        key_file = os.path.relpath(absolute, folder) if absolute.is_relative_to(folder) else str(absolute)
    config.write_text(google_config_text(spreadsheet, key_file), encoding="utf-8")
    console.print(f"Config écrite : {config}")


@app.command()
def check(config: Path = ConfigOption,
          as_json: bool = typer.Option(False, "--json", help="Print problems as JSON.")) -> None:
    """Validate config, templates and register; exit 1 when anything needs fixing.

    Example: relance check --config config.toml
    """
    import json

    from relance.messages.check import check_rates, check_templates
    from relance.cli.console import console, print_problems
    policy = _policy(config)
    _, register, problems = _load(policy)
    problems = list(problems) + check_templates(policy) + check_rates(register, policy, _today(policy))
    if as_json:
        console.print_json(json.dumps([{"tab": p.tab, "row": p.row, "column": p.column, "cell": p.cell,
                                        "message": p.message, "text": str(p)} for p in problems]))
    else:
        print_problems(problems)
        if not problems:
            console.print("[green]Tout est en ordre[/] : config, modèles et registre.")
    raise typer.Exit(1 if problems else 0)


@app.command()
def plan(config: Path = ConfigOption, day: Optional[str] = DateOption,
         start: Optional[str] = typer.Option(None, "--from", help="First day of a calendar, YYYY-MM-DD."),
         end: Optional[str] = typer.Option(None, "--to", help="Last day of a calendar, YYYY-MM-DD."),
         all_: bool = typer.Option(False, "--all", help="Also list invoices with no action and why."),
         fmt: str = typer.Option("table", "--format", help="table, csv or json.")) -> None:
    """Show what `relance run` would do, without doing it; with --from/--to, day after day.

    The calendar replays the planner on every day of the range on the current register and
    policy, assuming nobody pays: check a policy change before it goes live.

    Example: relance plan --date 2026-12-01 --all
    Example: relance plan --from 2026-12-01 --to 2026-12-31 --format csv
    """
    from relance.core import planner
    from relance.cli.console import dump, err_console, plan_rows, print_calendar, print_plan, print_problems
    if fmt not in ("table", "csv", "json"):
        _fail(f"--format {fmt!r} : attendu table, csv ou json")
    policy = _policy(config)
    _, register, problems = _load(policy)
    if start or end:
        from relance.core.forecast import simulate
        first, last = _day(start) or _today(policy), _day(end) or (_day(start) or _today(policy))
        if last < first or (last - first).days > 366:
            _fail("--from/--to : la fin doit suivre le début, sur un an au plus")
        from rich.progress import Progress
        with Progress(transient=True, console=err_console) as bar:  # a year of a big register takes minutes
            step = bar.add_task("simulation", total=(last - first).days + 1)
            days = []
            for day_plan in simulate(register, policy, first, last, problems):
                days.append(day_plan)
                bar.update(step, advance=1, description=f"simulation du {day_plan.today:%d/%m/%Y}")
        if fmt in ("csv", "json"):
            typer.echo(dump([row for p in days for row in plan_rows(p, policy, include_skips=all_)], fmt))
        else:
            print_calendar(days, policy)
        return
    today = _day(day) or _today(policy)
    result = planner.plan(register, policy, today, None, problems)
    if fmt in ("csv", "json"):
        typer.echo(dump(plan_rows(result, policy, include_skips=all_), fmt))
        return
    print_plan(result, policy, show_skips=all_)
    print_problems(problems)


@app.command()
def preview(invoice: str = typer.Argument(..., help="Invoice number, e.g. F2026-101."),
            config: Path = ConfigOption, day: Optional[str] = DateOption,
            html: Optional[Path] = typer.Option(None, "--html", help="Also write the HTML part to this file.")) -> None:
    """Print the message the client of INVOICE would receive (its next stage).

    Example: relance preview F2026-101
    """
    from relance.cli.console import console
    from relance.messages.preview import PreviewError, preview_message
    policy = _policy(config)
    _, register, problems = _load(policy)
    try:
        message = preview_message(register, policy, invoice, _day(day) or _today(policy), problems)
    except PreviewError as exc:
        _fail(str(exc))
    console.print(f"[bold]À :[/] {', '.join(message.to)}" + (f"  [bold]Cc :[/] {', '.join(message.cc)}"
                                                               if message.cc else ""))
    console.print(f"[bold]Objet :[/] {message.subject}\n")
    console.print(message.text, markup=False, highlight=False)
    if html:
        html.write_text(message.html, encoding="utf-8")
        console.print(f"HTML écrit dans {html}")


@app.command()
def run(config: Path = ConfigOption, day: Optional[str] = DateOption,
        dry_run: bool = typer.Option(False, "--dry-run", help="Write messages to outbox/dry-run only; "
                                     "the register is not touched.")) -> None:
    """Send today's reminders, open tasks, and write stage, dates and alerts back.

    Exit codes: 0 done, 1 error (nothing sent), 2 some messages failed (journaled, retried next run),
    3 messages left but the register could not be saved (the next run settles it, sends nothing twice),
    75 another run holds the lock (try again later).

    Example: relance run --dry-run
    """
    from relance.cli.console import print_run
    policy = _policy(config)
    report = _run(policy, _day(day), dry_run)
    print_run(report, policy)
    raise typer.Exit(EXIT_UNSAVED if report.unsaved else 0 if report.ok else 2)


EXIT_UNSAVED = 3  # messages left, the register was not saved: the next run settles it


def _run(policy, today: Optional[date], dry_run: bool, now: Optional[datetime] = None):
    from rich.progress import Progress

    from relance.adapters.backends import BackendError
    from relance.adapters.lock import EXIT_LOCKED, RunLocked
    from relance.adapters.mailers import MailError
    from relance.core.parse import RegisterError
    from relance.core.perf import paused_gc
    from relance.runner import RunRefused, run as run_once
    with Progress(transient=True) as bar:
        task = bar.add_task("relance", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)
        try:
            with paused_gc():  # perf.py: one full collection over a 500 000-row register costs 2 s, for no garbage
                return run_once(policy, today=today, now=now, dry_run=dry_run, progress=progress)
        except RunLocked as exc:
            _fail(str(exc), EXIT_LOCKED)
        except RunRefused as exc:
            _fail(str(exc))
        except (BackendError, RegisterError, MailError) as exc:
            _fail(str(exc))
        except Exception as exc:  # before anything left (after, the runner reports it: RunReport.unsaved)
            _fail(unreadable_register(exc, policy) or unexpected(exc))


@app.command()
def summary(config: Path = ConfigOption,
            day: Optional[str] = typer.Option(None, "--date", help="As of this day, YYYY-MM-DD (default today)."),
            fmt: str = typer.Option("table", "--format", help="table, csv or json."),
            output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the CSV or JSON to this file.")
            ) -> None:
    """Managers' figures: outstanding, overdue, DSO, aging, stages, top debtors, open tasks, last run.

    The same figures as the Synthèse tab (which each `relance run` rewrites), read-only:
    the register is not touched. Trends and the last run come from the Historique tab.

    Example: relance summary --format csv --output synthese.csv
    """
    from relance.dashboard import summary as kpi
    from relance.cli.console import console
    from relance.dashboard.summary_layout import HISTORIQUE, read_history
    from relance.dashboard.summary_output import dumps, print_summary
    if fmt not in ("table", "csv", "json"):
        _fail(f"--format {fmt!r} : attendu table, csv ou json")
    if output and fmt == "table":
        _fail("--output écrit du CSV ou du JSON : ajoutez --format csv ou --format json")
    policy = _policy(config)
    _, raw, register, _ = _read(policy)
    history = read_history(raw.get(HISTORIQUE), policy.schedule.timezone)
    result = kpi.compute(register, policy, _day(day) or _today(policy), history_rows=history)
    if fmt == "table":
        print_summary(result, console)
    elif output:
        output.write_text(dumps(result, fmt), encoding="utf-8")
        console.print(f"Synthèse écrite dans {output}")
    else:
        typer.echo(dumps(result, fmt), nl=False)


@app.command()
def demo(directory: Path = typer.Option(Path("relance-demo"), "--dir", help="Where to build the demo.")) -> None:
    """Build a sample register (10 clients, 30 invoices, every case) and run it, offline.

    Example: relance demo --dir /tmp/relance-demo
    """
    from relance.cli.console import console, print_run
    from relance.cli.demo import prepare_demo
    try:
        policy, today, now = prepare_demo(directory)
    except FileExistsError as exc:
        _fail(str(exc))
    console.print(f"Démo dans [bold]{directory}[/] : registre {policy.register.path}, journée du {today:%d/%m/%Y}.")
    report = _run(policy, today, False, now)
    print_run(report, policy)
    outbox = policy.resolve(policy.mail.outbox)
    console.print(f"\nMessages : {outbox}  ·  Registre mis à jour : {policy.resolve(policy.register.path)}")
    console.print(f"Ensuite : [bold]relance plan --config {directory / 'config.toml'} --all[/]")


from relance.cli import law as cli_law

if __name__ == "__main__":  # pragma: no cover
    app()
