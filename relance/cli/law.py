"""The legal commands of `relance`: formal-notice letters, collection dossiers, GDPR erasure.

Kept apart from `cli.py` so each file stays small; they register on the same typer app
and follow the same rules (lazy imports, one clear sentence and exit 1 on errors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from relance.cli.options import ConfigOption, DateOption, FrenchTyper, _day, _fail, _load, _policy, _today


def letter(invoices: list[str] = typer.Argument(..., metavar="FACTURE", help="Numéro(s) de facture ; une lettre "
                                                "par client."),
           config: Path = ConfigOption, day: Optional[str] = DateOption,
           draft: bool = typer.Option(False, "--draft", help="Accepte les factures dont la mise en demeure n'est pas "
                                      "encore approuvée ; le PDF porte la mention PROJET et se nomme …_projet.pdf.")
           ) -> None:
    """Écrit le PDF de mise en demeure de FACTURE…, un par client, dans le dossier des lettres.

    Seulement pour les factures dont la tâche « T/<facture>/demeure » a Approuvée = Oui (sinon --draft). Le nom
    du fichier et son SHA-256 sont affichés : `relance run` les note au Journal quand la mise en demeure part
    par email.

    Exemple : relance letter F2026-108 F2026-109
    """
    from rich.markup import escape

    from relance.cli.console import console
    from relance.adapters.files import save_document as save_letter
    from relance.documents.letters import LetterError, letters_for
    policy = _policy(config)
    _, register, _ = _load(policy, _day(day))
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


def dossier(client: str = typer.Argument(..., metavar="CLIENT", help="Code client, par ex. C010."),
            config: Path = ConfigOption, day: Optional[str] = DateOption,
            output: Optional[Path] = typer.Option(None, "--output", "-o", help="Le zip à écrire (par défaut : "
                                                  "dossiers/<date>_<client>_dossier-recouvrement.zip à côté de "
                                                  "config.toml).")) -> None:
    """Constitue le dossier de recouvrement de CLIENT : un zip pour une société de recouvrement ou un avocat.

    Il contient le décompte (principal, pénalités, indemnité, base de calcul), les factures, tout le journal
    du client, chaque message envoyé (.eml) et les lettres de mise en demeure avec leur SHA-256.

    Exemple : relance dossier C010 --output C010.zip
    """
    from rich.markup import escape

    from relance.cli.console import console
    from relance.documents.dossier import DossierError, build_dossier
    from relance.adapters.files import atomic_write
    from relance.documents.letters import amounts
    policy = _policy(config)
    _, register, _ = _load(policy, _day(day))
    today = _day(day) or _today(policy)
    try:
        result = build_dossier(register, policy, client, today)
        target = atomic_write(output or policy.resolve("dossiers") / result.filename, result.content)
    except DossierError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"écriture du dossier impossible : {exc.strerror or exc}")
    console.print(f"Dossier écrit : [bold]{target}[/] ({len(result.entries)} fichiers, total dû "
                  f"{amounts(result.totals)})")
    for warning in result.warnings:
        console.print(f"  [yellow]![/] {escape(warning)}", markup=True, soft_wrap=True)


def anonymise(before: str = typer.Option(..., "--before", help="Efface les clients dont toutes les factures "
                                         "étaient closes avant cette date, AAAA-MM-JJ."),
              config: Path = ConfigOption,
              dry_run: bool = typer.Option(False, "--dry-run", help="Liste seulement les cellules qui seraient "
                                           "effacées."),
              yes: bool = typer.Option(False, "--yes", help="Ne demande pas de confirmation.")) -> None:
    """Efface les données personnelles (contact, email, téléphone, adresse…) des clients aux factures toutes closes.

    Tous les onglets sont concernés, Journal compris ; codes, dates et montants restent pour les statistiques.
    Demande confirmation (sauf --yes) ; --dry-run liste seulement les cellules.

    Exemple : relance anonymise --before 2021-01-01 --dry-run
    """
    from relance.adapters.backends import open_backend
    from relance.adapters.lock import EXIT_LOCKED, RunLocked, held
    policy = _policy(config)
    cutoff = _day(before)
    from relance.documents import anonymise as anon
    retention = policy.retention
    try:
        anon.check_cutoff(cutoff, _today(policy), retention.b2b_years, retention.b2c_years)
    except anon.CutoffError as exc:
        _fail(str(exc))
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
    retention = policy.retention
    backend, register, problems = _load(policy)
    if not backend.can_redact:
        _fail("relance anonymise ne sait effacer que dans un registre .xlsx pour l'instant.")
    codes = anon.eligible_clients(register, problems, cutoff)
    formal = [s.key for s in policy.stages if s.requires_approval or s.channel == "letter+email"]
    kept = anon.kept_clients(register, codes, _today(policy), retention.b2b_years, retention.b2c_years, formal)
    for code, why in kept.items():
        console.print(f"  {code} gardé : {why}", markup=False, soft_wrap=True)
    codes = [c for c in codes if c not in kept]
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
    from relance.cli.console import confirm
    if not yes and not confirm(f"Effacer définitivement ces {len(changes)} cellule(s) ?"):
        _fail("rien n'a été effacé.")
    from relance.adapters.backends import BackendError
    try:
        count = backend.redact(todo)
    except BackendError as exc:
        _fail(str(exc))
    console.print(f"[green]{count} cellule(s) effacée(s).[/]")


rates_app = FrenchTyper()  # its help is the callback's docstring (`relance rates --help` shows the example)


@rates_app.callback(invoke_without_command=True)
def rates(ctx: typer.Context, config: Path = ConfigOption, day: Optional[str] = DateOption) -> None:
    """Affiche le barème des taux en vigueur, semestre par semestre, avec la provenance de chaque ligne.

    Un semestre sans taux laisse les intérêts « à parfaire » : ajoutez-le avec `relance rates set`.

    Exemple : relance rates
    """
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from relance.cli.console import console
    from relance.core.law.rate_overrides import rows
    from relance.core.law.rate_table import RateTable, format_rate
    policy = _policy(config)
    try:
        table = RateTable.load_default().with_overrides(policy.penalties.rates)
    except ValueError as exc:
        _fail(str(exc))
    shown = Table(title="Taux en vigueur (% par an)")
    for header in ("Semestre", "BCE", "Légal pro", "Légal part.", "État", "Source"):
        shown.add_column(header, overflow="fold")
    for row in rows(table, policy.penalties.rates, _day(day) or _today(policy)):
        def rate(value):
            return "[red]manquant[/]" if value is None else format_rate(value)
        state = ("[red]absent[/]" if not row.origin else "confirmé" if row.confirmed
                 else "[yellow]non confirmé[/]")
        source = f"{row.origin} : {row.source}" if row.source else row.origin
        shown.add_row(row.half, rate(row.ecb_refi), rate(row.legal_professional), rate(row.legal_consumer), state,
                      source.replace("[", r"\["))
    console.print(shown)
    console.print("BCE : taux des opérations principales de refinancement au 1er janvier / 1er juillet ; Légal pro : "
                  "taux de l'intérêt légal « tous les autres cas » (créancier professionnel : intérêts B2C, plancher "
                  "L441-10) ; Légal part. : taux légal des créanciers particuliers.", soft_wrap=True)
    console.print("Pour ajouter ou corriger un semestre, après vérification à la source officielle : "
                  "relance rates set 2026-H2 --bce 2.40 --legal-pro … --legal-other … --source \"arrêté du …\"",
                  soft_wrap=True)


@rates_app.command("set")
def rates_set(half: str = typer.Argument(..., metavar="SEMESTRE", help="Semestre, par ex. 2026-H2 (1er juillet – "
                                         "31 décembre 2026)."),
              bce: Optional[str] = typer.Option(None, "--bce", help="Taux des opérations principales de "
                                                "refinancement de la BCE en vigueur au 1er janvier / 1er juillet, "
                                                "en %, par ex. 2.40."),
              legal_pro: Optional[str] = typer.Option(None, "--legal-pro", help="Taux de l'intérêt légal « tous "
                                                      "les autres cas » (créancier professionnel), en %."),
              legal_other: Optional[str] = typer.Option(None, "--legal-other", "--legal-particulier",
                                                        help="Taux de l'intérêt légal des créanciers personnes "
                                                        "physiques (« particulier »), en %."),
              source: str = typer.Option("", "--source", help="Où vous avez lu les chiffres (URL de la page de la "
                                         "BCE ou de l'arrêté)."),
              config: Path = ConfigOption) -> None:
    """Écrit les taux de SEMESTRE dans config.toml (\\[penalties.rates."SEMESTRE"]), sans toucher au reste du fichier.

    Les valeurs saisies ici comptent comme confirmées : vérifiez-les d'abord à la source officielle.

    Exemple : relance rates set 2026-H2 --bce 2.40 --legal-pro 3.10 --source "communiqué BCE du …"
    """
    from relance.adapters.files import atomic_write
    from relance.cli.console import console
    from relance.core.config import ConfigError, load_policy
    from rich.markup import escape

    from relance.core.law.rate_overrides import normalise, with_override
    values = {name: value for name, value in (("ecb_refi", bce), ("legal_professional", legal_pro),
                                              ("legal_consumer", legal_other)) if value is not None}
    if not config.is_file():
        _fail(f"{config} introuvable : lancez relance init, ou indiquez --config")
    old = config.read_text(encoding="utf-8")
    note = source or f"saisi avec relance rates set le {_today(_policy(config)):%d/%m/%Y}"
    try:
        new = with_override(old, half, values, note)
    except ValueError as exc:
        _fail(escape(str(exc)))
    probe = config.with_name(f".{config.name}.rates-set.tmp")
    try:
        probe.write_text(new, encoding="utf-8")
        load_policy(probe)  # the whole config must still load before it replaces the old one
    except ConfigError as exc:
        _fail(escape(f"config.toml non modifié : {exc}"))
    finally:
        probe.unlink(missing_ok=True)
    atomic_write(config, new.encode("utf-8"))
    shown = ", ".join(f'{name} = "{normalise(value)}"' for name, value in values.items())
    console.print(f"{config} : [penalties.rates.\"{half}\"] {shown} (confirmé, source : {note}). "
                  f"Vérifiez avec relance rates et relance check.", markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the legal commands to the `relance` app (app.py calls this once)."""
    for command in (letter, dossier, anonymise):
        app.command()(command)
    app.add_typer(rates_app, name="rates")
