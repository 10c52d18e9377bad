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
USAGE_PREFIX = "Utilisation : "
TYPER_STRINGS = {  # typer's own help headings (typer.rich_utils), set when a help page or an error is drawn
    "COMMANDS_PANEL_TITLE": "Commandes", "DEFAULT_STRING": "[par défaut : {}]",
    "REQUIRED_LONG_STRING": "[obligatoire]", "ENVVAR_STRING": "[variable d'environnement : {}]",
    "DEPRECATED_STRING": "(obsolète) ", "ERRORS_PANEL_TITLE": "Erreur",
    "RICH_HELP": "Essayez [blue]'{command_path} {help_option}'[/] pour l'aide.", "ABORTED_TEXT": "Interrompu."}
# click's command-line errors, as typer prints them (typer/_click), in French; anything else stays as is
USAGE_ERRORS = (
    (r"No such command '([^']*)'\.", r"commande inconnue « \1 »."),
    (r"No such option: (\S+)", r"option inconnue : \1"),
    (r"\(Possible options: ([^)]*)\)", r"(options possibles : \1)"),
    (r"Did you mean (.+)\?", r"vouliez-vous dire \1 ?"),
    (r"Missing argument '?([^'.]+)'?\.", r"argument manquant : \1."),
    (r"Missing option '?([^'.]+)'?\.", r"option obligatoire manquante : \1."),
    (r"Missing parameter: (\S+)", r"paramètre manquant : \1"),
    (r"Missing command\.", "commande manquante."),
    (r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", r"argument en trop : \1"),
    (r"Option '([^']+)' requires an argument\.", r"l'option \1 attend une valeur."),
    (r"Option '([^']+)' requires (\d+) arguments\.", r"l'option \1 attend \2 valeurs."),
    (r"Invalid value for (.+?): (.*)", r"valeur invalide pour \1 : \2"),
    (r"'([^']*)' is not a valid (integer|float)( range)?\.", r"« \1 » n'est pas un nombre valide."),
)


def _french_headings() -> None:
    """typer's help headings in French. Done when help is drawn, not at import (typer.rich_utils costs
    ~70 ms, which every command would pay); a name a future typer drops is simply skipped, and without rich
    typer prints plain help with click's headings."""
    try:
        from typer import rich_utils
    except ImportError:
        return
    for name, text in TYPER_STRINGS.items():
        if isinstance(getattr(rich_utils, name, None), str):
            setattr(rich_utils, name, text)


def reflow(text: str | None) -> str | None:
    """A docstring as help text: the lines of a paragraph joined (typer's rich mode keeps the source's line
    breaks, which cut sentences mid-way on a screen of another width); list lines (« - », « 0 … ») and
    examples (« Exemple : … ») kept apart."""
    if not text:
        return text
    paragraphs = []
    for block in text.strip().split("\n\n"):
        lines = [line.strip() for line in block.strip().splitlines()]
        kept: list[str] = []
        for line in lines:
            starts_item = line[:2] == "- " or line.startswith("Exemple") or (line[:1].isdigit() and " " in line[:4])
            if kept and not starts_item:
                kept[-1] += " " + line
            else:
                kept.append(line)
        paragraphs.append("\n".join(kept))
    return "\n\n".join(paragraphs)


def french_usage_error(text: str) -> str:
    """click's « No such option: --dryrun Did you mean --dry-run? » as « option inconnue : --dryrun … »."""
    import re
    for pattern, french in USAGE_ERRORS:
        text = re.sub(pattern, french, text)
    return text


class _FrenchHelp:
    """``--help`` and command-line errors in French (typer/click write « Show this message and exit. »,
    « Usage: », « No such option »): staff read one language."""

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix=USAGE_PREFIX)

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except typer.core._click.exceptions.UsageError as exc:
            raise self._french(exc) from None

    def _french(self, exc):
        """The same error, its text in French (and typer's error headings too, about to be printed)."""
        _french_headings()
        return typer.core._click.exceptions.UsageError(french_usage_error(exc.format_message()), exc.ctx)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option

    def format_help(self, ctx, formatter):
        _french_headings()
        self.help = reflow(self.help)
        for param in self.params:
            if getattr(param, "help", None):
                param.help = reflow(param.help)
        return super().format_help(ctx, formatter)


class HelpCommand(_FrenchHelp, typer.core.TyperCommand):
    pass


class HelpGroup(_FrenchHelp, typer.core.TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # typer exits 130 without a word: say what it means for the register
            from relance.cli.console import err_console
            err_console.print("Interrompu (Ctrl-C). Ce qui était parti est noté au Journal, ou le sera au prochain "
                              "passage, qui reprend là où celui-ci s'est arrêté sans rien envoyer deux fois.",
                              highlight=False, soft_wrap=True, markup=False)
            raise

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except typer.core._click.exceptions.UsageError as exc:
            raise self._french(exc) from None


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
