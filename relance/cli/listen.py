"""The commands that listen: bank statements in (`encaissements`).

Registered on the same typer app as app.py (one import line at its end); same rules:
lazy imports, one clear French sentence and exit 1 on errors, exit 75 when another run
holds the register.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from relance.cli.app import ConfigOption, DateOption, _day, _fail, _policy, _today, app


@app.command()
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
    from relance.statements import CERTAIN, NOT_PAYMENT, UNCERTAIN, UNMATCHED, import_statement
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
