"""`relance summary` output: rich tables for people, CSV and JSON for scripts.

The terminal shows the same figures, in the same order and with the same
"how it is computed" lines, as the Synthèse tab. CSV is one row per figure
(section, key, label, value, count, overdue, days, formula, base: `value` is the amount or
the KPI, `days` the days late or the DSO; for a share, `count` is its numerator
and `base` its denominator); JSON keeps the
structure. Both carry amounts and rates as exact decimal text ("1234.50",
"0.625"), never floats.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from babel.numbers import format_currency, format_decimal, format_percent
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from relance.dashboard.disputes import DISPUTE_FIGURES
from relance.dashboard.effectiveness import PROMISE_FIGURES, STAGE_FIGURES
from relance.dashboard.figures import Kpi
from relance.dashboard.summary import COUNT, DAYS, KPIS, MONEY, PERCENT, Summary

LOCALE = "fr_FR"
CSV_FIELDS = ("section", "key", "label", "value", "count", "overdue", "days", "formula", "base")


def shown(value: Any, kind: str = "") -> str:
    """A value as a French reader expects it: 1 234,56 €, 62,5 %, 45,2 j, 25/11/2026; — when unknown."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if kind == MONEY:
        return format_currency(value, "EUR", locale=LOCALE)
    if kind == PERCENT:
        return format_percent(value, "#,##0.0 %", locale=LOCALE)
    if kind == DAYS:
        return format_decimal(value, "#,##0.0", locale=LOCALE) + " j"
    if kind == COUNT:
        return format_decimal(value, "#,##0", locale=LOCALE)
    return str(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def records(summary: Summary) -> list[dict]:
    """One flat row per figure, for CSV."""
    def row(section: str, key: str, label: str, value: Any = None, count: Any = None, overdue: Any = None,
            days: Any = None, formula: str = "", base: Any = None) -> dict:
        return dict(zip(CSV_FIELDS, (section, key, label, _text(value), _text(count), _text(overdue), _text(days),
                                     formula, _text(base))))
    rows = [row("indicateur", k.key, k.label, getattr(summary, k.key), formula=k.formula) for k in KPIS]
    run = summary.last_run
    if run:
        rows.append(row("derniere_execution", "at", "Exécution", run.at))
        rows += [row("derniere_execution", key, key, getattr(run, key))
                 for key in ("sent", "failed", "tasks", "skipped", "problems")]
    rows += [row("balance_agee", b.label, b.label, b.amount, b.count) for b in summary.aging]
    rows += [row("etape", s.label, s.label, s.amount, s.count) for s in summary.stages]
    figure = {f.key: f for f in (*STAGE_FIGURES, *PROMISE_FIGURES)}
    for e in summary.stage_effects:  # open amount and count per stage: section « etape » above
        f = figure["reached"]
        rows.append(row("efficacite_etape", f"{e.key}/{f.key}", f"{e.label} : {f.label}", count=e.reached,
                        formula=f.formula))
        for w in e.within:
            f = figure[f"paid_{w.days}d"]
            rows.append(row("efficacite_etape", f"{e.key}/{f.key}", f"{e.label} : {f.label}", w.share, w.paid,
                            days=w.days, formula=f.formula, base=w.invoices))
    p = summary.promises
    rows += [row("promesses", key, figure[key].label, count=getattr(p, key), formula=figure[key].formula)
             for key in ("kept", "broken", "pending")]
    f = figure["kept_rate"]
    rows.append(row("promesses", f.key, f.label, p.kept_rate, p.kept, formula=f.formula, base=p.kept + p.broken))
    rows += [row("litiges", f.key, f.label, getattr(summary.disputes, f.key), formula=f.formula)
             for f in DISPUTE_FIGURES]
    rows += [row("debiteur", d.client, d.name, d.amount, d.invoices, d.overdue, d.max_days_late)
             for d in summary.top_debtors]
    rows += [row("tache", t.key or ", ".join(t.invoices), t.reason, t.created, formula=t.assignee)
             for t in summary.open_tasks]
    rows += [row("tendance", h.day.isoformat(), "Encours, échu, DSO", h.outstanding, h.open_invoices, h.overdue, h.dso)
             for h in summary.trend()]
    return rows


def as_dict(summary: Summary) -> dict:
    """The summary as JSON-ready structure (Decimal and dates as text)."""
    run = summary.last_run
    return {
        "date": summary.today.isoformat(),
        "kpis": [{"key": k.key, "label": k.label, "kind": k.kind, "value": getattr(summary, k.key),
                  "formula": k.formula} for k in KPIS],
        "last_run": None if run is None else {"at": run.at, "sent": run.sent, "failed": run.failed,
                                              "tasks": run.tasks, "skipped": run.skipped, "problems": run.problems},
        "aging": [{"bucket": b.label, "amount": b.amount, "count": b.count} for b in summary.aging],
        "stages": [{"stage": s.label, "amount": s.amount, "count": s.count} for s in summary.stages],
        "stage_effectiveness": {
            "definitions": _definitions(STAGE_FIGURES),
            "stages": [{"key": e.key, "stage": e.label, "reached": e.reached,
                        **{f"paid_{w.days}d": {"invoices": w.invoices, "paid": w.paid, "share": w.share}
                           for w in e.within},
                        "amount": e.amount, "count": e.count} for e in summary.stage_effects]},
        "promises": {"kept": summary.promises.kept, "broken": summary.promises.broken,
                     "pending": summary.promises.pending, "kept_rate": summary.promises.kept_rate,
                     "definitions": _definitions(PROMISE_FIGURES)},
        "disputes": {**{f.key: getattr(summary.disputes, f.key) for f in DISPUTE_FIGURES},
                     "definitions": _definitions(DISPUTE_FIGURES)},
        "top_debtors": [{"client": d.client, "name": d.name, "amount": d.amount, "overdue": d.overdue,
                         "invoices": d.invoices, "max_days_late": d.max_days_late} for d in summary.top_debtors],
        "open_tasks": [{"created": t.created, "client": t.client, "invoices": list(t.invoices), "reason": t.reason,
                        "assignee": t.assignee, "approved": t.approved} for t in summary.open_tasks],
        "trend": [{"day": h.day, "outstanding": h.outstanding, "overdue": h.overdue,
                   "overdue_rate": h.overdue_rate, "dso": h.dso} for h in summary.trend()],
        "notes": list(summary.notes),
    }


def _definitions(figures: tuple[Kpi, ...]) -> list[dict]:
    return [{"key": f.key, "label": f.label, "kind": f.kind, "formula": f.formula} for f in figures]


def dumps(summary: Summary, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_dict(summary), ensure_ascii=False, indent=2, default=_text)
    from relance.dashboard.csv_excel import to_csv
    return to_csv(CSV_FIELDS, records(summary), numeric=("value", "count", "overdue", "days", "base"))


def _table(title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]], text_columns: int = 1) -> Table:
    """A rich table whose first `text_columns` columns are text (left), the rest figures (right)."""
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i < text_columns else "right")
    for values in rows:
        table.add_row(*values)
    return table


def _figures(title: str, source: Any, figures: tuple[Kpi, ...]) -> Table:
    """Indicateur | Valeur | Mode de calcul, as in the Synthèse tab."""
    table = Table(title=title, title_justify="left")
    table.add_column("Indicateur", no_wrap=True)
    table.add_column("Valeur", justify="right", no_wrap=True)
    table.add_column("Mode de calcul", style="dim")
    for figure in figures:
        table.add_row(figure.label, shown(getattr(source, figure.key), figure.kind), escape(figure.formula))
    return table


def print_summary(summary: Summary, console: Console) -> None:
    console.print(f"[bold]Synthèse des relances au {summary.today:%d/%m/%Y}[/] (montants TTC en euros)")
    console.print(_figures("Indicateurs", summary, KPIS))
    run = summary.last_run
    if run:
        console.print(f"Dernière exécution : {shown(run.at)} · {run.sent} message(s) envoyé(s), "
                      f"{run.failed} échec(s), "
                      f"{run.tasks} tâche(s) créée(s), {run.skipped} facture(s) sans relance, "
                      f"{run.problems} problème(s)")
    else:
        console.print("Dernière exécution : aucune enregistrée dans l'onglet Historique.")
    console.print(_table("Balance âgée", ("Tranche", "Montant", "Factures"),
                         [(b.label, shown(b.amount, MONEY), str(b.count)) for b in summary.aging]))
    unreminded = summary.stages[0]
    console.print(_table("Par étape : efficacité des relances et factures ouvertes à chaque étape",
                         ("Étape", *(f.label for f in STAGE_FIGURES)),
                         [(unreminded.label, "", "", "", shown(unreminded.amount, MONEY), str(unreminded.count))]
                         + [(e.label, *(shown(getattr(e, f.key), f.kind) for f in STAGE_FIGURES))
                            for e in summary.stage_effects]))
    for figure in STAGE_FIGURES:
        console.print(f"[dim]{figure.label} : {escape(figure.formula)}[/]")
    console.print(_figures("Promesses de paiement", summary.promises, PROMISE_FIGURES))
    console.print(_figures("Litiges et délai de relance", summary.disputes, DISPUTE_FIGURES))
    if summary.top_debtors:
        console.print(_table("10 principaux débiteurs",
                             ("Client", "Raison sociale", "Reste dû", "Dont échu", "Factures", "Retard max"),
                             [(d.client, d.name, shown(d.amount, MONEY), shown(d.overdue, MONEY), str(d.invoices),
                               f"{d.max_days_late} j") for d in summary.top_debtors], text_columns=2))
    if summary.open_tasks:
        console.print(_table(f"Tâches ouvertes ({summary.open_tasks_count})",
                             ("Créée le", "Client", "Facture(s)", "Motif", "Assignée à"),
                             [(shown(t.created), t.client, ", ".join(t.invoices), t.reason, t.assignee)
                              for t in summary.open_tasks], text_columns=5))
    trend = summary.trend()
    if len(trend) > 1:
        console.print(_table("Tendance (dernier relevé de chaque semaine)",
                             ("Relevé du", "Encours", "Dont échu", "Taux d'échu", "DSO"),
                             [(shown(h.day), shown(h.outstanding, MONEY), shown(h.overdue, MONEY),
                               shown(h.overdue_rate, PERCENT), shown(h.dso, DAYS)) for h in trend]))
    for note in summary.notes:
        console.print(f"[yellow]•[/] {note}")
