"""What every command shares: the --config/--date options, reading the register, one-sentence errors.

Its own module so that app.py and law.py both use it without importing each other.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Optional

import typer

ConfigOption = typer.Option(Path("config.toml"), "--config", "-c", help="Fichier de configuration (par défaut ./config.toml).")
DateOption = typer.Option(None, "--date", help="Faire comme si l'on était ce jour-là, AAAA-MM-JJ (à l'ouverture du créneau d'envoi).")


def _fail(message: str, code: int = 1) -> None:
    """One sentence on stderr. The message is text, never rich markup (a ``[schedul]`` section or a path
    with ``[/x]`` prints as typed), and long paths wrap between words, not inside a name."""
    from rich.text import Text

    from relance.cli.console import err_console
    err_console.print(Text.assemble(("Erreur :", "bold red"), " ", str(message)), soft_wrap=True)
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


def _load(policy, day: Optional[date] = None, read_only: bool = False):
    """Backend + parsed register, with user-facing errors; `day` (--date) is the register's "today"."""
    backend, _, register, problems = _read(policy, day, read_only)
    return backend, register, problems


def _read(policy, day: Optional[date] = None, read_only: bool = False):
    """Backend, raw tabs as read, parsed register and problems, with user-facing errors.
    `read_only`: the command never writes, so a workbook open in Excel is read from a copy."""
    from relance.adapters.backends import BackendError, open_backend
    from relance.core.parse import RegisterError, parse_register
    try:
        backend = open_backend(policy, read_only=read_only)
        raw = backend.load()
        register, problems = parse_register(raw, policy.schedule.timezone, day or _today(policy))
    except (BackendError, RegisterError) as exc:
        _fail(str(exc))
    except Exception as exc:
        _fail(unreadable_register(exc, policy) or unexpected(exc))
    return backend, raw, register, problems


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
