"""What every command shares: the --config/--date options, reading the register, one-sentence errors.

Its own module so that app.py and law.py both use it without importing each other.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Optional

import typer
import typer.core

HELP_OPTION_TEXT = "Affiche cette aide et quitte."
TYPER_STRINGS = {  # typer's own help headings (typer.rich_utils), set when a help page is drawn
    "COMMANDS_PANEL_TITLE": "Commandes", "DEFAULT_STRING": "[par défaut : {}]",
    "REQUIRED_LONG_STRING": "[obligatoire]", "ENVVAR_STRING": "[variable d'environnement : {}]",
    "DEPRECATED_STRING": "(obsolète) "}


def _french_headings() -> None:
    """typer's help headings in French. Done when help is drawn, not at import (typer.rich_utils costs
    ~70 ms, which every command would pay); a name a future typer drops is simply skipped."""
    from typer import rich_utils
    for name, text in TYPER_STRINGS.items():
        if isinstance(getattr(rich_utils, name, None), str):
            setattr(rich_utils, name, text)


class _FrenchHelp:
    """``--help`` described in French (typer/click write « Show this message and exit. »)."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option

    def format_help(self, ctx, formatter):
        try:
            _french_headings()
        except ImportError:  # no rich: typer prints plain help, with click's headings
            pass
        return super().format_help(ctx, formatter)


class HelpCommand(_FrenchHelp, typer.core.TyperCommand):
    pass


class HelpGroup(_FrenchHelp, typer.core.TyperGroup):
    pass


class FrenchTyper(typer.Typer):
    """A typer app whose commands and groups describe ``--help`` in French (see `_FrenchHelp`)."""

    def __init__(self, *args, cls=HelpGroup, **kwargs):
        super().__init__(*args, cls=cls, **kwargs)

    def command(self, *args, cls=HelpCommand, **kwargs):
        return super().command(*args, cls=cls, **kwargs)


ConfigOption = typer.Option(Path("config.toml"), "--config", "-c", help="Fichier de configuration.")
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
