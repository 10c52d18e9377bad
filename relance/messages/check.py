"""Static checks: every template renders for every language, every rate the register needs is known.

`relance check` runs them before a policy or template change goes live, so a typo
in a template is found by staff at their desk, not by a client in their inbox.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
import re
from pathlib import Path

from relance.core.law.claims import Claims
from relance.core.config import Policy
from relance.core.actions import INSTALMENT_DUE, INSTALMENT_PRE, Line, Reminder
from relance.core.model import Client, Instalment, Invoice, Register, RowProblem
from relance.messages.render import LOCALES, Renderer, RenderError


def sample_reminder(stage: str, language: str, segment: str, today: date) -> Reminder:
    client = Client("C000", "Client Exemple", "client@example.fr", contact="Camille Exemple",
                    language=language, segment=segment, b2b=segment != "Particulier")
    invoices = (Invoice("F-0001", "C000", today - timedelta(days=10), Decimal("1234.56"), issued=today - timedelta(days=40),
                        payment_link="https://pay.example.fr/F-0001"),
                Invoice("F-0002", "C000", today - timedelta(days=3), Decimal("99.90"), paid=Decimal("10")))
    lines = tuple(Line(i, stage, i.days_late(today)) for i in invoices)
    if stage in (INSTALMENT_PRE, INSTALMENT_DUE):
        lines = tuple(Line(i, stage, 2, Instalment(i.number, n, today - timedelta(days=2), Decimal("500")))
                      for n, i in enumerate(invoices, start=1))
    return Reminder(f"check/{stage}", client, stage, lines, (client.email,))


NO_RATE_DAY = date(2100, 1, 15)  # a half-year no rate table has: penalties "à parfaire", the other wording


def check_templates(policy: Policy, today: date | None = None) -> list[RowProblem]:
    """Render every template with sample invoices: once with penalty figures, once without a rate."""
    renderer = Renderer(policy)
    problems = []
    email_stages = [s.key for s in policy.stages if s.channel != "task"] + [INSTALMENT_PRE, INSTALMENT_DUE]
    for stage in email_stages:
        for language in LOCALES:
            try:
                for day in (today or date(2026, 1, 15), NO_RATE_DAY):
                    for segment in ("Standard", "Stratégique", "Particulier"):
                        reminder = sample_reminder(stage, language, segment, day)
                        renderer.render_parts(language, stage, renderer.context(reminder, day))
            except RenderError as exc:
                problems.append(RowProblem("Modèles", None, None, str(exc)))
    return problems


def check_clients(policy: Policy, register: Register, today: date) -> list[RowProblem]:
    """Render each client's open invoices at every email stage, in their language and segment.

    Why beside the sample data: a staff template can fail only on real values (an empty
    invoice date, a name with a quote); this finds it at the desk. One problem per template
    error, naming the client and the template's file and line."""
    renderer = Renderer(policy)
    stages = [s.key for s in policy.stages if s.channel != "task"]
    by_client: dict[str, list[Invoice]] = {}
    for invoice in register.invoices:
        if not invoice.closed:
            by_client.setdefault(invoice.client, []).append(invoice)
    problems, seen = [], set()
    for code, invoices in sorted(by_client.items()):
        client = register.clients.get(code)
        if client is None:
            continue
        for stage in stages:
            lines = tuple(Line(i, stage, i.days_late(today)) for i in invoices)
            reminder = Reminder(f"check/{code}/{stage}", client, stage, lines, (client.email,))
            try:
                renderer.render_parts(client.language, stage, renderer.context(reminder, today))
            except RenderError as exc:
                if (str(exc), code) not in seen:
                    seen.add((str(exc), code))
                    problems.append(RowProblem("Modèles", None, None, f"client {code} : {exc}", client=code))
    return problems


def check_company(policy: Policy) -> list[RowProblem]:
    """``[company]`` values printed to clients: the IBAN and BIC (checksum, format) and the logo file."""
    from relance.core.iban import iban_problems
    from relance.messages.html import check_logo
    source = Path(policy.source).name
    found = iban_problems(policy.company.iban, policy.company.bic) + [m for m in [check_logo(policy)] if m]
    return [RowProblem(source, None, "[company]", message) for message in found]


def check_rates(register: Register, policy: Policy, today: date) -> list[RowProblem]:
    """One problem per missing/unconfirmed rate (or below-floor contract rate), naming the invoices concerned."""
    found = Claims(policy, register).problems(register.invoices, today)
    problems = []
    for message, numbers in found.items():
        shown = ", ".join(numbers[:5]) + (f" … (+{len(numbers) - 5})" if len(numbers) > 5 else "")
        problems.append(RowProblem(Path(policy.source).name, None, "[penalties]",
                                   f"{message} (factures concernées : {shown})"))
    return problems


def check_journal_stages(register: Register, policy: Policy) -> list[RowProblem]:
    """Journal rows naming a stage config.toml no longer knows (a renamed key): those invoices get no
    reminder until the old name is declared in ``aliases`` (see rules.ladder.unknown_stage_alert)."""
    from relance.core.journal import JournalIndex
    from relance.core.rules.ladder import unknown_stage_alert
    index = JournalIndex(register.journal, policy.stage_names())
    return [RowProblem("Journal", None, "Étape", f"{number} : {unknown_stage_alert(names)}")
            for number, names in sorted(index.unknown.items())]


_EXAMPLE_DOMAIN = re.compile(r"@(?:[\w-]+\.)*example\.(?:fr|com|org|net)\b", re.I)


def check_identity(policy: Policy) -> list[RowProblem]:
    """The creditor identity must be the user's own before anything is signed with it.

    Why: `relance init` and the demo write a sample `[company]` (Atelier Dupont SARL, SIREN 123456789,
    compta@example.fr). A formal notice with a fake SIREN is worthless and replies to example.fr are
    lost, so `check` fails until these are replaced; the demo, which never runs `check`, keeps them."""
    from relance.core.cells import company_number
    from relance.core.config import CompanyConfig
    sample, company, where = CompanyConfig(), policy.company, Path(policy.source).name
    problems = []

    def problem(key: str, message: str) -> None:
        problems.append(RowProblem(where, None, key, message))

    if company.siren == sample.siren:
        problem("[company] siren", f"SIREN d'exemple « {sample.siren} » : indiquez le SIREN de votre entreprise")
    elif not company_number(company.siren):
        problem("[company] siren", f"SIREN « {company.siren} » invalide (9 chiffres, clé de Luhn) : vérifiez-le")
    if company.name == sample.name:
        problem("[company] name", f"raison sociale d'exemple « {sample.name} » : indiquez la vôtre")
    if company.address == sample.address:
        problem("[company] address", "adresse d'exemple : indiquez l'adresse de votre entreprise")
    addresses = [("[company] email", company.email), ("[mail] from", policy.mail.sender)]
    if policy.mail.mailer == "smtp":
        addresses.append(("[mail] smtp_user", policy.mail.smtp_user))
    for key, value in addresses:
        if _EXAMPLE_DOMAIN.search(value or ""):
            problem(key, f"adresse d'exemple « {value} » : les réponses des clients seraient perdues ; "
                         f"indiquez votre adresse")
    return problems
