"""Static checks that need no register: every template renders for every language.

`relance check` runs them before a policy or template change goes live, so a typo
in a template is found by staff at their desk, not by a client in their inbox.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from .config import Policy
from .model import Client, Invoice, RowProblem
from .planner import Line, Reminder
from .render import LOCALES, Renderer, RenderError


def sample_reminder(stage: str, language: str, segment: str, today: date) -> Reminder:
    client = Client("C000", "Client Exemple", "client@example.fr", contact="Camille Exemple",
                    language=language, segment=segment, b2b=segment != "Particulier")
    invoices = (Invoice("F-0001", "C000", today - timedelta(days=10), Decimal("1234.56"), issued=today - timedelta(days=40),
                        payment_link="https://pay.example.fr/F-0001"),
                Invoice("F-0002", "C000", today - timedelta(days=3), Decimal("99.90"), paid=Decimal("10")))
    lines = tuple(Line(i, stage, i.days_late(today)) for i in invoices)
    return Reminder(f"check/{stage}", client, stage, lines, (client.email,))


def check_templates(policy: Policy, today: date | None = None) -> list[RowProblem]:
    renderer = Renderer(policy)
    today = today or date(2026, 1, 15)
    problems = []
    for stage in policy.stages:
        if stage.channel == "task":
            continue
        for language in LOCALES:
            for segment in ("Standard", "Stratégique", "Particulier"):
                try:
                    renderer.render_parts(language, stage.key,
                                          renderer.context(sample_reminder(stage.key, language, segment, today), today))
                except RenderError as exc:
                    problems.append(RowProblem("Modèles", None, None, str(exc)))
                    break
    return problems
