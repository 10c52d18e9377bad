"""The commands that listen: bank statements in (`encaissements`).

Registered on the same typer app by app.py (`register`, at its end); same rules:
lazy imports, one clear French sentence and exit 1 on errors, exit 75 when another run
holds the register.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from relance.cli.options import ConfigOption, DateOption, _day, _fail, _policy, _today


def encaissements(statement: Path = typer.Argument(..., help="Bank statement: camt.053 (.xml), OFX (.ofx) or "
                                                   "CSV export (Qonto, Shine, classic bank)."),
                  config: Path = ConfigOption, day: Optional[str] = DateOption) -> None:
    """Import a bank statement into the Encaissements tab and match credits to invoices.

    Certain matches count as payments at the next `relance run`; uncertain ones hold the candidate
    invoices' reminders and open a task until staff fill Encaissements › Validé (Oui, Non or invoice
    numbers). Importing the same or an overlapping statement again records nothing twice.

    Example: relance encaissements releve-novembre.xml
    """
    from rich.markup import escape

    from relance.adapters.backends import BackendError
    from relance.adapters.bank import StatementError
    from relance.adapters.lock import EXIT_LOCKED, RunLocked
    from relance.cli.console import console
    from relance.core.parse import RegisterError
    from relance.shells.statements import CERTAIN, NOT_PAYMENT, UNCERTAIN, UNMATCHED, import_statement
    policy = _policy(config)
    today = _day(day) or _today(policy)
    try:
        report = import_statement(policy, statement.resolve(), today=today)
    except RunLocked as exc:
        _fail(str(exc), EXIT_LOCKED)
    except (StatementError, BackendError, RegisterError) as exc:
        _fail(str(exc))
    end = f"{report.statement_end:%d/%m/%Y}" if report.statement_end else "?"
    console.print(f"Relevé {escape(report.source)} (au {end}) : {report.read} opération(s), "
                  f"{len(report.matches)} crédit(s) nouveau(x), {report.already} déjà importé(s).")
    console.print(f"  rapprochés (certains) : {report.count(CERTAIN)} · à confirmer : {report.count(UNCERTAIN)} · "
                  f"non rapprochés : {report.count(UNMATCHED)} · hors factures : {report.count(NOT_PAYMENT)}")
    for match in report.matches:
        if match.certainty != CERTAIN:
            tx = match.transaction
            console.print(f"  [yellow]{match.certainty}[/] {tx.booked:%d/%m/%Y} {tx.amount:.2f} {tx.currency} "
                          f"« {escape(tx.label[:50])} » {escape(match.note)}")
    for problem in report.problems:
        console.print(f"  [red]illisible[/] {escape(problem)}")


def courrier(config: Path = ConfigOption, day: Optional[str] = DateOption) -> None:
    """Read the reply-to mailbox (IMAP): journal replies, auto-replies and bounces, then copy sent mail.

    A reply pauses the client's reminders ([listen] pause_after_reply_days) and opens a task; a bounce
    switches the client to letters until staff fix the Email; an auto-reply is only journaled. Run it
    before `relance run` (the Action does: relance courrier && relance run). Password: RELANCE_IMAP_PASSWORD.

    Example: relance courrier && relance run
    """
    from relance.adapters.backends import BackendError
    from relance.adapters.lock import EXIT_LOCKED, RunLocked
    from relance.adapters.mailbox import MailboxError
    from relance.cli.console import console
    from relance.core.parse import RegisterError
    from relance.shells.mailroom import AUTO_REPLY, BOUNCE, REPLY, read_mail
    policy = _policy(config)
    if not policy.listen.imap_host:
        _fail("aucune boîte configurée : renseignez [listen] imap_host et imap_user dans config.toml")
    try:
        report = read_mail(policy, today=_day(day) or _today(policy))
    except RunLocked as exc:
        _fail(str(exc), EXIT_LOCKED)
    except (MailboxError, BackendError, RegisterError) as exc:
        _fail(str(exc))
    console.print(f"Courrier : {report.read} message(s) lu(s) ; réponses : {report.count(REPLY)} · "
                  f"réponses automatiques : {report.count(AUTO_REPLY)} · adresses en échec : {report.count(BOUNCE)}"
                  f" · déjà traités : {report.already} ; copies ajoutées aux envoyés : {report.sent_copies}")


def digest(config: Path = ConfigOption, day: Optional[str] = DateOption) -> None:
    """Email the manager ([digest] to) the day's digest: sent, failed, refused addresses, replies waiting,
    notices to approve, bank credits to decide, overdue tasks, freshness. Only when something changed.

    Example: relance run && relance digest
    """
    from relance.adapters.backends import BackendError
    from relance.adapters.mailers import MailError
    from relance.cli.console import console
    from relance.core.parse import RegisterError
    from relance.shells.digest_send import DigestRefused, send_digest
    policy = _policy(config)
    try:
        report = send_digest(policy, today=_day(day) or _today(policy))
    except (DigestRefused, BackendError, RegisterError, MailError) as exc:
        _fail(str(exc))
    console.print(f"Synthèse du jour : {report.reason}" + (f" à {policy.digest.to}" if report.sent else ""))


def register(app: typer.Typer) -> None:
    """Add the listening commands to the `relance` app (app.py calls this once)."""
    for command in (encaissements, courrier, digest):
        app.command()(command)
