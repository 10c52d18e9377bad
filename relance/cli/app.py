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

from relance.cli.options import FrenchTyper


class _App(FrenchTyper):
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


app = _App(
    help="Relance les factures impayées depuis un registre partagé (Google Sheets ou .xlsx).\n\n"
         "Commencez par `relance demo`, puis `relance init registre.xlsx` pour votre propre registre.",
    no_args_is_help=True, rich_markup_mode="rich", add_completion=False,
    pretty_exceptions_show_locals=False)  # a traceback's locals would print the SMTP password

from relance.cli.options import (ConfigOption, DateOption, _day, _fail, _policy, _read,  # noqa: E402
                                 _today, unexpected, unreadable_register)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version
        try:
            typer.echo(f"relance {version('relance')}")
        except PackageNotFoundError:
            typer.echo("relance (version inconnue : paquet non installé)")
        raise typer.Exit()


@app.callback()
def _main(show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                            help="Affiche la version de relance et quitte.")) -> None:
    pass


@app.command()
def init(path: Path = typer.Argument(Path("registre.xlsx"), metavar="CLASSEUR", help="Le classeur à créer."),
         force: bool = typer.Option(False, "--force", help="Remplace un classeur existant."),
         google: Optional[str] = typer.Option(None, "--google", help="Prépare ce Google Sheet (URL ou clé) au lieu "
                                              "d'un classeur ; il doit être partagé avec le compte de service."),
         credentials: Optional[Path] = typer.Option(None, "--credentials", help="Avec --google : la clé JSON du "
                                                    "compte de service (sinon GOOGLE_APPLICATION_CREDENTIALS)."),
         config: Optional[Path] = typer.Option(None, "--config", "-c", help="Où écrire config.toml (par défaut : "
                                               "à côté du classeur, ou ./config.toml avec --google).")
         ) -> None:
    """Crée un registre neuf (onglets, en-têtes, listes déroulantes) et un config.toml à côté.

    Avec --google, un Google Sheet existant (vide) reçoit les onglets, les en-têtes, les listes déroulantes,
    une ligne d'en-tête figée, les colonnes du robot protégées par un avertissement et les couleurs de
    la colonne Étape ; config.toml l'utilise ensuite.

    Exemple : relance init registre.xlsx
    Exemple : relance init --google https://docs.google.com/spreadsheets/d/… --credentials service-account.json
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
        console.print(f"Config écrite : {config} — remplacez l'identité d'exemple de [company] "
                      f"(raison sociale, SIREN, adresses) avant le premier envoi : relance check le vérifie.")
    else:
        console.print(f"Config existante conservée : {config} (non modifiée ; vérifiez que [register] path "
                      f"désigne bien {path.name}).")
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
    console.print(f"Config écrite : {config} — remplacez l'identité d'exemple de [company] (raison sociale, "
                  f"SIREN, adresses) avant le premier envoi : relance check le vérifie.")


@app.command()
def check(config: Path = ConfigOption,
          as_json: bool = typer.Option(False, "--json", help="Affiche les problèmes en JSON.")) -> None:
    """Vérifie la config, les modèles et le registre ; code de sortie 1 s'il y a quelque chose à corriger.

    Exemple : relance check --config config.toml
    """
    import json

    from relance.messages.check import (check_clients, check_company, check_identity, check_journal_stages,
                                        check_rates, check_templates)
    from relance.cli.console import console, print_problems
    from relance.core import renumbering
    from relance.dashboard.summary_layout import foreign_problems
    from relance.shells.recall import journal_memory_problems
    policy = _policy(config)
    _, raw, register, problems = _read(policy, read_only=True)
    today = _today(policy)
    problems = (list(problems) + journal_memory_problems(raw, register, policy)  # a journal that went missing
                + check_identity(policy) + check_company(policy) + check_templates(policy)
                + check_rates(register, policy, today) + check_clients(policy, register, today)
                + check_journal_stages(register, policy) + renumbering.problems(register)
                + foreign_problems(raw))
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
         start: Optional[str] = typer.Option(None, "--from", help="Premier jour d'un calendrier, AAAA-MM-JJ."),
         end: Optional[str] = typer.Option(None, "--to", help="Dernier jour d'un calendrier, AAAA-MM-JJ."),
         all_: bool = typer.Option(False, "--all", help="Liste aussi les factures sans action, et pourquoi."),
         fmt: str = typer.Option("table", "--format", help="table, csv ou json."),
         cells: bool = typer.Option(False, "--cells", help="Avec csv/json : aussi les colonnes du robot de chaque "
                                    "ligne de Factures, telles que le passage les écrira (action « colonnes »).")
         ) -> None:
    """Montre ce que ferait `relance run`, sans le faire ; avec --from/--to, jour après jour.

    Même horloge et mêmes garde-fous que `run` : hors du créneau d'envoi, avec des paiements pas à jour
    ou en mode test, le plan le dit et liste ce qui est retenu (action « retenu »).

    Le calendrier rejoue le planificateur sur chaque jour de la période, avec le registre et la config
    actuels, en supposant que personne ne paie : vérifiez un changement de règles avant qu'il s'applique.

    Exemple : relance plan --date 2026-12-01 --all
    Exemple : relance plan --from 2026-12-01 --to 2026-12-31 --format csv
    """
    from relance.core.decision import decide
    from relance.cli.console import (cell_rows, dump, err_console, plan_rows, print_calendar, print_day_notes,
                                     print_plan, print_problems)
    from relance.runner import gather_inputs, journal_memory
    if fmt not in ("table", "csv", "json"):
        _fail(f"--format {fmt!r} : attendu table, csv ou json")
    policy = _policy(config)
    _, raw, register, problems = _read(policy, _day(end) or _day(day), read_only=True)
    inputs = gather_inputs(raw, policy, journal_memory(raw, register, policy))
    if start or end:
        from relance.core.forecast import simulate
        first, last = _day(start) or _today(policy), _day(end) or (_day(start) or _today(policy))
        if last < first or (last - first).days > 366:
            _fail("--from/--to : la fin doit suivre le début, sur un an au plus")
        from rich.progress import Progress
        with Progress(transient=True, console=err_console) as bar:  # a year of a big register takes minutes
            step = bar.add_task("simulation", total=(last - first).days + 1)
            days = []
            for day_plan in simulate(register, policy, first, last, problems, inputs):
                days.append(day_plan)
                bar.update(step, advance=1, description=f"simulation du {day_plan.today:%d/%m/%Y}")
        if fmt in ("csv", "json"):
            typer.echo(dump([row for p in days for row in plan_rows(p, policy, include_skips=all_,
                                                                    notes=bool(p.withheld or p.stale_payments))], fmt))
        else:
            print_calendar(days, policy)
        return
    from relance.core.timing import run_instant
    now = run_instant(policy.schedule, _day(day), datetime.now().astimezone())  # the clock `run` would use
    result = decide(register, policy, now.date(), now, problems, inputs)
    if fmt in ("csv", "json"):
        rows = plan_rows(result, policy, include_skips=all_)
        if cells:
            from relance.core.forecast import cells_after
            rows += cell_rows(result, cells_after(register, result, policy, now, problems))
        typer.echo(dump(rows, fmt))
        return
    print_plan(result, policy, show_skips=all_)
    print_day_notes(result)  # hors créneau, payments, a missing rate with the config line to add…
    print_problems(problems)


@app.command()
def preview(invoice: str = typer.Argument(..., metavar="FACTURE", help="Numéro de facture, par ex. F2026-101."),
            config: Path = ConfigOption, day: Optional[str] = DateOption,
            html: Optional[Path] = typer.Option(None, "--html", help="Écrit aussi la partie HTML dans ce fichier.")
            ) -> None:
    """Affiche le message que recevrait le client de FACTURE (sa prochaine étape).

    Exemple : relance preview F2026-101
    """
    from relance.cli.console import console
    from rich.markup import escape

    from relance.messages.preview import PreviewError, preview as build_preview
    from relance.core.decision import decide
    from relance.core.timing import run_instant
    from relance.runner import gather_inputs, journal_memory
    policy = _policy(config)
    _, raw, register, problems = _read(policy, _day(day), read_only=True)
    now = run_instant(policy.schedule, _day(day), datetime.now().astimezone())  # the clock `run` would use
    decided = decide(register, policy, now.date(), now, problems,  # the day's gates, as plan and run see them
                     gather_inputs(raw, policy, journal_memory(raw, register, policy)))
    try:
        shown = build_preview(register, policy, invoice, now.date(), problems, decided)
    except PreviewError as exc:
        _fail(str(exc))
    message = shown.message
    if shown.reminder is not None:  # what the run attaches, in its order: the formal notice, then invoice PDFs
        from relance.adapters.attachments import with_invoices
        from relance.documents.letters import LetterError, attach_letter
        try:
            message = attach_letter(policy, shown.reminder, message, shown.day, False)[0]
        except LetterError as exc:  # the run would not send it either
            _fail(str(exc))
        message = with_invoices(message, policy)[0]
    console.print(f"[bold]Étape :[/] {escape(shown.when())}")
    console.print(f"[bold]À :[/] {escape(', '.join(message.to))}" + (f"  [bold]Cc :[/] {escape(', '.join(message.cc))}"
                                                                       if message.cc else ""))
    console.print(f"[bold]Objet :[/] {escape(message.subject)}")
    if message.attachments:
        console.print(f"[bold]Pièces jointes :[/] {escape(', '.join(a.filename for a in message.attachments))}")
    console.print()
    console.print(message.text, markup=False, highlight=False)
    if html:
        html.write_text(message.html, encoding="utf-8")
        console.print(f"HTML écrit dans {escape(str(html))}", soft_wrap=True)


@app.command()
def run(config: Path = ConfigOption, day: Optional[str] = DateOption,
        dry_run: bool = typer.Option(False, "--dry-run", help="Écrit les messages dans outbox/dry-run seulement ; "
                                     "le registre n'est pas modifié.")) -> None:
    """Envoie les relances du jour, ouvre les tâches et reporte étapes, dates et alertes dans le registre.

    Codes de sortie :
    0 terminé ;
    1 erreur (rien n'est parti) ;
    2 des messages ont échoué (notés au Journal, retentés au prochain passage) ;
    3 des messages sont partis mais le registre n'a pas pu être enregistré (le prochain passage régularise,
    sans rien envoyer deux fois) ;
    75 un autre passage tient le verrou (réessayez plus tard).

    Exemple : relance run --dry-run
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
            day: Optional[str] = typer.Option(None, "--date", help="À cette date, AAAA-MM-JJ (par défaut "
                                              "aujourd'hui)."),
            fmt: str = typer.Option("table", "--format", help="table, csv ou json."),
            output: Optional[Path] = typer.Option(None, "--output", "-o", help="Écrit le CSV ou le JSON dans ce "
                                                  "fichier.")
            ) -> None:
    """Chiffres de la direction : encours, retards, DSO, balance âgée, étapes, débiteurs, tâches, dernier passage.

    Les mêmes chiffres que l'onglet Synthèse (que chaque `relance run` réécrit), en lecture seule :
    le registre n'est pas modifié. Les tendances et le dernier passage viennent de l'onglet Historique.

    Exemple : relance summary --format csv --output synthese.csv
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
    _, raw, register, _ = _read(policy, _day(day), read_only=True)
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
def demo(directory: Path = typer.Option(Path("relance-demo"), "--dir", help="Où construire la démo.")) -> None:
    """Construit un registre d'exemple (10 clients, 30 factures, tous les cas) et le traite, hors ligne.

    Exemple : relance demo --dir /tmp/relance-demo
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


from relance.cli.law import register as register_law  # noqa: E402  (their commands, registered on `app`)
from relance.cli.listen import register as register_listen  # noqa: E402

register_law(app)
register_listen(app)

if __name__ == "__main__":  # pragma: no cover
    app()
