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
    return backend, raw, register, problems
