"""The legal commands of `relance`: formal-notice letters, collection dossiers, GDPR erasure.

Kept apart from `cli.py` so each file stays small; they register on the same typer app
and follow the same rules (lazy imports, one clear sentence and exit 1 on errors).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from relance.cli.app import ConfigOption, DateOption, _day, _fail, _load, _policy, _today, app


@app.command()
def letter(invoices: list[str] = typer.Argument(..., help="Invoice number(s); one letter per client."),
           config: Path = ConfigOption, day: Optional[str] = DateOption,
           draft: bool = typer.Option(False, "--draft", help="Allow invoices whose formal notice is not approved "
                                      "yet; the PDF is marked PROJET and named …_projet.pdf.")) -> None:
    """Write the formal notice (mise en demeure) PDF for INVOICE…, one per client, in the letters folder.

    Only for invoices whose task « T/<invoice>/demeure » has Approuvée = Oui (else --draft). The file name
    and its SHA-256 are printed: `relance run` journals them when the notice goes out by email.

    Example: relance letter F2026-108 F2026-109
    """
    from rich.markup import escape

    from relance.cli.console import console
    from relance.documents.letters import LetterError, letters_for, save_letter
    policy = _policy(config)
    _, register, _ = _load(policy)
    try:
        letters = letters_for(register, policy, invoices, _day(day) or _today(policy), draft=draft)
        folder = policy.resolve(policy.paths.letters)
        paths = [save_letter(letter, folder) for letter in letters]
    except LetterError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"écriture impossible dans {policy.paths.letters} : {exc.strerror or exc}")
    for letter, path in zip(letters, paths):
        console.print(f"[bold]{path}[/] ({letter.client}, {', '.join(letter.invoices)}) sha256={letter.sha256}")
        for warning in letter.warnings:
            console.print(f"  [yellow]![/] {escape(warning)}", markup=True, soft_wrap=True)


@app.command()
def dossier(client: str = typer.Argument(..., help="Client code, e.g. C010."), config: Path = ConfigOption,
            day: Optional[str] = DateOption,
            output: Optional[Path] = typer.Option(None, "--output", "-o", help="Zip to write (default: "
                                                  "dossiers/<date>_<client>_dossier-recouvrement.zip beside "
                                                  "config.toml).")) -> None:
    """Build the collection dossier of CLIENT: a zip for a collection agency or a lawyer.

    It holds the statement (principal, penalties, indemnity, computation basis), the invoices, the
    client's whole journal, every message sent (.eml) and the formal-notice letters with their SHA-256.

    Example: relance dossier C010 --output C010.zip
    """
    from rich.markup import escape

    from relance.cli.console import console
    from relance.documents.dossier import DossierError, build_dossier
    from relance.adapters.files import atomic_write
    from relance.messages.render import money
    policy = _policy(config)
    _, register, _ = _load(policy)
    today = _day(day) or _today(policy)
    try:
        result = build_dossier(register, policy, client, today)
        target = atomic_write(output or policy.resolve("dossiers") / result.filename, result.content)
    except DossierError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"écriture du dossier impossible : {exc.strerror or exc}")
    console.print(f"Dossier écrit : [bold]{target}[/] ({len(result.entries)} fichiers, total dû "
                  f"{money(result.total)})")
    for warning in result.warnings:
        console.print(f"  [yellow]![/] {escape(warning)}", markup=True, soft_wrap=True)


@app.command()
def anonymise(before: str = typer.Option(..., "--before", help="Erase clients whose invoices were all closed "
                                         "before this date, YYYY-MM-DD."),
              config: Path = ConfigOption,
              dry_run: bool = typer.Option(False, "--dry-run", help="Only list the cells that would be erased."),
              yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Erase the personal data (contact, email, phone, address…) of clients whose invoices are all closed.

    Every tab is covered, the journal included; codes, dates and amounts stay for the statistics.
    Asks for confirmation (unless --yes); --dry-run only lists the cells.

    Example: relance anonymise --before 2021-01-01 --dry-run
    """
    from relance.adapters.backends import open_backend
    from relance.adapters.lock import EXIT_LOCKED, RunLocked, held
    policy = _policy(config)
    cutoff = _day(before)
    if dry_run:
        _anonymise(policy, cutoff, dry_run, yes)
        return
    from relance.adapters.backends import BackendError
    try:  # it writes the register: never beside a run (it would wipe that run's final write, or the reverse)
        with held(open_backend(policy), policy.schedule.timezone):
            _anonymise(policy, cutoff, dry_run, yes)
    except RunLocked as exc:
        _fail(str(exc), EXIT_LOCKED)
    except BackendError as exc:
        _fail(str(exc))


def _anonymise(policy, cutoff, dry_run: bool, yes: bool) -> None:
    from relance.documents import anonymise as anon
    from relance.cli.console import console
    backend, register, problems = _load(policy)
    if not hasattr(backend, "redact"):
        _fail("relance anonymise ne sait effacer que dans un registre .xlsx pour l'instant.")
    codes = anon.eligible_clients(register, problems, cutoff)
    todo = anon.redactions(register, codes)
    changes = anon.preview(backend.load(), todo)
    files = anon.personal_files(policy.resolve(policy.mail.outbox), policy.resolve(policy.paths.letters), codes)
    console.print(f"{len(codes)} client(s) clos avant le {cutoff:%d/%m/%Y} : {', '.join(codes) or 'aucun'} ; "
                  f"{len(changes)} cellule(s) de données personnelles à effacer.", soft_wrap=True)
    for change in changes:
        console.print(f"  {change}", markup=False)
    if files:
        console.print(f"{len(files)} fichier(s) (.eml, lettres) concernant ces clients restent sur le disque : "
                      f"supprimez-les à la main si leur durée de conservation est dépassée.", soft_wrap=True)
    if dry_run or not changes:
        return
    if not yes and not typer.confirm(f"Effacer définitivement ces {len(changes)} cellule(s) ?", default=False):
        _fail("rien n'a été effacé.")
    from relance.adapters.backends import BackendError
    try:
        count = backend.redact(todo)
    except BackendError as exc:
        _fail(str(exc))
    console.print(f"[green]{count} cellule(s) effacée(s).[/]")
