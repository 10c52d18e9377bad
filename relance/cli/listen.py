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


def encaissements(statement: Path = typer.Argument(..., metavar="RELEVÉ", help="Relevé bancaire : camt.053 (.xml), "
                                                   "OFX (.ofx) ou export CSV (Qonto, Shine, banque classique)."),
                  config: Path = ConfigOption, day: Optional[str] = DateOption) -> None:
    """Importe un relevé bancaire dans l'onglet Encaissements et rapproche les crédits des factures.

    Les rapprochements certains comptent comme paiements au prochain `relance run` ; les incertains retiennent
    les relances des factures candidates et ouvrent une tâche, jusqu'à ce que l'équipe remplisse
    Encaissements › Validé (Oui, Non ou des numéros de facture). Importer à nouveau le même relevé, ou un
    relevé qui le chevauche, n'enregistre rien deux fois.

    Exemple : relance encaissements releve-novembre.xml
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
    """Lit la boîte de réponse (IMAP) : note au Journal réponses, réponses automatiques et échecs ; copie les envois.

    Une réponse suspend les relances du client (\\[listen] pause_after_reply_days) et ouvre une tâche ; une
    adresse en échec fait passer le client au courrier papier jusqu'à ce que l'équipe corrige l'Email ; une
    réponse automatique est seulement notée au Journal. À lancer avant `relance run` (l'Action le fait :
    relance courrier && relance run). Mot de passe : RELANCE_IMAP_PASSWORD.

    Exemple : relance courrier && relance run
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
    """Envoie par email à la direction (\\[digest] to) la synthèse du jour, seulement si quelque chose a changé.

    Elle reprend les envois, les échecs, les adresses refusées, les réponses en attente, les mises en demeure
    à approuver, les crédits bancaires à trancher, les tâches en retard et la fraîcheur des données.

    Exemple : relance run && relance digest
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
