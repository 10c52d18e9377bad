"""A `Summary` laid out for managers: the Synthèse tab and the Historique tab. Pure.

Historique holds one row per day a run happened (a second run the same day
replaces that day's row, so a trend has one point per day and a re-run after a
fix corrects the figures instead of doubling them). It is read back from the
register on every run (`read_history`), extended, and rewritten whole, as is
Synthèse: both tabs belong to the bot, staff edits there do not survive a run.

Synthèse shows, top to bottom: the KPIs with one line each saying how they are
computed, the last run, the aging table (with its bar chart), one table per
stage (invoices that received it, paid within 7 and 14 days after it, open
invoices sitting there now) with its definitions, the promises to pay kept and
broken, the 10 largest debtors, the open tasks, and the last 12 weeks (one row
per week; the DSO line chart beside it reads the daily points of Historique).
The per-stage figures stay out of Historique: a column per stage and figure
would change with the ladder.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable
from zoneinfo import ZoneInfo

from relance.core import bot_tabs, cells, schema
from relance.dashboard.layout import BAR, LINE, ChartSpec, Column, Days, Percent, SheetLayout
from relance.core.config import Policy
from relance.dashboard.disputes import DISPUTE_FIGURES
from relance.dashboard.effectiveness import PROMISE_FIGURES, STAGE_FIGURES
from relance.dashboard.figures import RATE_STEP, Kpi
from relance.core.guards import FRESHNESS_LABEL
from relance.core.model import CENT, RawTab, RawTabs, Register, RowProblem
from relance.dashboard.summary import (
    COUNT,
    DAY_STEP,
    DAYS,
    KPIS,
    MONEY,
    PERCENT,
    TREND_WEEKS,
    HistoryRow,
    RunResult,
    Summary,
    compute)

SYNTHESE, HISTORIQUE = schema.SYNTHESE.name, schema.HISTORIQUE.name
MAX_TASKS_SHOWN = 20
CHART_COLUMN = 7  # column H: charts float right of the tables (A–F)

# Historique columns: HistoryRow attribute, header, kind. Read back by header name.
HISTORY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("day", "Date", "date"), ("at", "Exécution", "datetime"),
    *((k.key, k.label, k.kind) for k in KPIS),
    ("sent", "Messages envoyés", COUNT), ("failed", "Échecs d'envoi", COUNT), ("tasks", "Tâches créées", COUNT),
    ("skipped", "Factures sans relance", COUNT), ("problems", "Problèmes", COUNT),
)
HISTORY_TAB = schema.Tab(HISTORIQUE, tuple(schema.Column(key, header) for key, header, _ in HISTORY_COLUMNS))
RUN_FIELDS = ("at", "sent", "failed", "tasks", "skipped", "problems")
DSO_COLUMN = [key for key, _, _ in HISTORY_COLUMNS].index("dso")


def typed(value: Any, kind: str) -> Any:
    """A KPI value as a layout cell: rates become `Percent`, days `Days`; None stays empty."""
    if value is None:
        return None
    if kind == PERCENT:
        return Percent(value)
    if kind == DAYS:
        return Days(value)
    return value


class _Rows:
    """Rows being laid out, remembering which are headers and titles."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.headers: set[int] = set()
        self.titles: set[int] = set()

    def add(self, *values: Any) -> int:
        self.rows.append(tuple(values))
        return len(self.rows) - 1

    def header(self, *values: Any) -> int:
        self.headers.add(self.add(*values))
        return len(self.rows) - 1

    def title(self, text: str) -> int:
        if self.rows:
            self.add()
        self.titles.add(self.add(text))
        return len(self.rows) - 1

    def figures(self, source: Any, figures: tuple[Kpi, ...]) -> None:
        """Indicateur | Valeur | Mode de calcul, one row per figure read from `source`."""
        self.header("Indicateur", "Valeur", "Mode de calcul")
        for figure in figures:
            self.add(figure.label, typed(getattr(source, figure.key), figure.kind), figure.formula)


def synthese_layout(summary: Summary, history_first_row: int | None = None,
                    history_last_row: int | None = None, banner: tuple[str, ...] = (),
                    paid_up_to: date | None = None) -> SheetLayout:
    """The Synthèse tab. The DSO chart plots Historique rows `history_first_row..history_last_row`.
    `banner`: alerts shown first (stale payments, missed runs); `paid_up_to`: the staff-editable
    « Encaissements à jour au » cell, read back and rewritten by each run (see guards.py)."""
    out = _Rows()
    for line in banner:
        out.titles.add(out.add(f"⚠ {line}"))
    out.titles.add(out.add(f"Synthèse des relances au {summary.today:%d/%m/%Y}"))
    out.add(FRESHNESS_LABEL, paid_up_to if paid_up_to else "")
    out.add("Montants TTC en euros. Onglet réécrit à chaque exécution de relance ; l'historique est dans "
            "l'onglet Historique.")
    out.title("Indicateurs")
    out.figures(summary, KPIS)

    out.title("Dernière exécution")
    out.header(*(header for key, header, _ in HISTORY_COLUMNS if key in RUN_FIELDS))
    run = summary.last_run
    if run:
        out.add(run.at, run.sent, run.failed, run.tasks, run.skipped, run.problems)
    else:
        out.add("aucune exécution enregistrée")

    out.title("Balance âgée (factures ouvertes, par jours de retard)")
    aging_header = out.header("Tranche", "Montant", "Factures")
    for bucket in summary.aging:
        out.add(bucket.label, bucket.amount, bucket.count)
    aging_last = len(out.rows) - 1
    out.add("Total", sum((b.amount for b in summary.aging), Decimal("0.00")), sum(b.count for b in summary.aging))

    _stage_table(out, summary)
    out.title("Promesses de paiement (lignes « promesse » du Journal)")
    out.figures(summary.promises, PROMISE_FIGURES)
    out.title("Litiges et délai de relance")
    out.figures(summary.disputes, DISPUTE_FIGURES)

    out.title("10 principaux débiteurs")
    out.header("Client", "Raison sociale", "Reste dû", "Dont échu", "Factures", "Retard max (j)")
    for d in summary.top_debtors:
        out.add(d.client, d.name, d.amount, d.overdue, d.invoices, d.max_days_late)

    out.title(f"Tâches ouvertes ({summary.open_tasks_count})")
    out.header("Créée le", "Client", "Facture(s)", "Motif", "Assignée à", "Approuvée")
    for task in summary.open_tasks[:MAX_TASKS_SHOWN]:
        out.add(task.created, task.client, ", ".join(task.invoices), task.reason, task.assignee,
                "Oui" if task.approved else "")
    if summary.open_tasks_count > MAX_TASKS_SHOWN:
        out.add(f"… et {summary.open_tasks_count - MAX_TASKS_SHOWN} autre(s) : voir l'onglet Tâches")

    out.title(f"Tendance des {TREND_WEEKS} dernières semaines (dernier relevé de chaque semaine)")
    trend_header = out.header("Semaine du", "Relevé du", "Encours", "Dont échu", "Taux d'échu", "DSO")
    for row in summary.trend():
        out.add(row.day - timedelta(days=row.day.weekday()), row.day, row.outstanding, row.overdue,
                typed(row.overdue_rate, PERCENT), typed(row.dso, DAYS))

    if summary.notes:
        out.title("À savoir")
        for note in summary.notes:
            out.add(note)

    charts = [ChartSpec(BAR, "Balance âgée (montant)", Column(SYNTHESE, 0, aging_header + 1, aging_last),
                        Column(SYNTHESE, 1, aging_header + 1, aging_last), "Montant", (aging_header, CHART_COLUMN),
                        x_title="Jours de retard", y_title="€")]
    if history_first_row is not None and history_last_row is not None:
        charts.append(ChartSpec(LINE, f"DSO, {TREND_WEEKS} dernières semaines (jours)",
                                Column(HISTORIQUE, 0, history_first_row, history_last_row),
                                Column(HISTORIQUE, DSO_COLUMN, history_first_row, history_last_row), "DSO",
                                (trend_header, CHART_COLUMN), y_title="jours"))
    return SheetLayout(SYNTHESE, tuple(out.rows), frozenset(out.headers), frozenset(out.titles),
                       widths=(34, 18, 16, 28, 18, 14, 2), charts=tuple(charts))


def _stage_table(out: _Rows, summary: Summary) -> None:
    """Per stage: reminded, paid ≤ 7 / 14 days after, open there now; then what each column means."""
    out.title("Par étape : efficacité des relances et factures ouvertes à chaque étape (d'après le Journal)")
    out.header("Étape", *(figure.label for figure in STAGE_FIGURES))
    unreminded = summary.stages[0]  # « Aucune relance »: open, never reminded, nothing to measure
    out.add(unreminded.label, None, None, None, unreminded.amount, unreminded.count)
    for effect in summary.stage_effects:
        out.add(effect.label, *(typed(getattr(effect, figure.key), figure.kind) for figure in STAGE_FIGURES))
    out.header("Colonne", None, "Mode de calcul")
    for figure in STAGE_FIGURES:
        out.add(figure.label, None, figure.formula)


def historique_layout(history: tuple[HistoryRow, ...]) -> SheetLayout:
    """Header + one row per day, oldest first; every KPI in its own column, for trends."""
    rows = [tuple(header for _, header, _ in HISTORY_COLUMNS)]
    for row in history:
        rows.append(tuple(typed(getattr(row, key), kind) for key, _, kind in HISTORY_COLUMNS))
    widths = tuple(17 if kind == "datetime" else max(12, min(len(header) + 2, 22))
                   for _, header, kind in HISTORY_COLUMNS)
    return SheetLayout(HISTORIQUE, tuple(rows), frozenset({0}), widths=widths, freeze_rows=1)


def layouts(summary: Summary, banner: tuple[str, ...] = (),
            paid_up_to: date | None = None) -> tuple[SheetLayout, SheetLayout]:
    """(Historique, Synthèse), Historique first: the DSO chart of Synthèse points into it."""
    history = historique_layout(summary.history)
    start = summary.today - timedelta(weeks=TREND_WEEKS) + timedelta(days=1)
    window = [i for i, row in enumerate(summary.history, start=1) if start <= row.day <= summary.today]
    first, last = (window[0], window[-1]) if window else (None, None)
    return history, synthese_layout(summary, first, last, banner, paid_up_to)


def run_layouts(raw_tabs: RawTabs, register: Register, policy: Policy, today: date, run: RunResult,
                banner: tuple[str, ...] = (), paid_up_to: date | None = None) -> tuple[SheetLayout, SheetLayout]:
    """What a run writes: Historique read back, extended with today, and Synthèse."""
    history = read_history(raw_tabs.get(HISTORIQUE), policy.schedule.timezone)
    return layouts(compute(register, policy, today, run, history), banner, paid_up_to)


def _number(value: Any) -> Decimal | None:
    """A number as written by us (a number cell, or text such as « 62,5 % », « 45,2 j »)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    text = "".join(str(value).split()).replace(",", ".")
    scale = Decimal(100) if text.endswith("%") else Decimal(1)
    text = text.rstrip("%j€")
    return Decimal(text) / scale if text else None


def _reader(kind: str, tz: ZoneInfo) -> Callable[[Any], Any]:
    def rounded(step: Decimal) -> Callable[[Any], Decimal | None]:
        def read(value: Any) -> Decimal | None:
            number = _number(value)
            return None if number is None else number.quantize(step)
        return read

    def count(value: Any) -> int | None:
        number = _number(value)
        return None if number is None else int(number)

    def moment(value: Any) -> datetime | None:
        result = cells.parse_datetime(value)
        return result.replace(tzinfo=tz) if result and result.tzinfo is None else result

    return {"date": cells.parse_date, "datetime": moment, MONEY: rounded(CENT), PERCENT: rounded(RATE_STEP),
            DAYS: rounded(DAY_STEP), COUNT: count}[kind]


_SYNTHESE_TITLE = "Synthèse des relances au"


def foreign(raw: RawTab | None) -> str:
    """Why the tab found under the name of relance's Synthèse or Historique is not relance's ('' when it
    is, or is absent or empty): left alone, and staff told (`bot_tabs.foreign`).

    Ours: Synthèse with its title (« Synthèse des relances au … ») or holding nothing but the
    « Encaissements à jour au » line staff type in a new register; Historique with its « Date » header
    and at least one other of its own (« Exécution », a figure's name), in any order."""
    if raw is None:
        return ""
    history = raw.title == HISTORIQUE or schema.normalise(raw.title) in {
        schema.normalise(a) for a in schema.HISTORIQUE.aliases}

    def ours(tab: RawTab, firsts: list[str]) -> bool:
        if history:
            headers = {schema.normalise(cells.clean_text(v)) for v in tab.rows[0]}
            known = {schema.normalise(header) for _, header, _ in HISTORY_COLUMNS}
            return schema.normalise("Date") in headers and len(headers & known) >= 2
        return (any(text.startswith(_SYNTHESE_TITLE) for text in firsts[:15])
                or all(schema.normalise(text) == schema.normalise(FRESHNESS_LABEL) for text in firsts))

    use = "l'historique des passages" if history else "la synthèse des relances"
    return bot_tabs.foreign(raw, ours, f"écrit {use}", f" ; il n'y touche pas. Renommez votre onglet (par "
                                                       f"exemple « {raw.title} (bureau) ») : relance créera le "
                                                       f"sien au prochain passage.")


def foreign_problems(raw_tabs: RawTabs) -> list:
    """`foreign` for both summary tabs, as problems for the run's and `check`'s list."""
    return [RowProblem(name, None, None, why) for name in (SYNTHESE, HISTORIQUE)
            if (why := foreign(raw_tabs.get(name)))]


def read_history(raw: RawTab | None, timezone: str = "Europe/Paris") -> tuple[HistoryRow, ...]:
    """The Historique tab as `HistoryRow`s. Rows without a readable date are dropped, an
    unreadable cell is left empty: a damaged history must never stop a run. A staff tab of that
    name (`foreign`) is no history at all."""
    if raw is None or not raw.rows or foreign(raw):
        return ()
    positions = schema.map_headers(HISTORY_TAB, list(raw.rows[0]))
    if "day" not in positions:
        return ()
    readers = {key: _reader(kind, ZoneInfo(timezone)) for key, _, kind in HISTORY_COLUMNS}
    names = {f.name for f in fields(HistoryRow)}
    result = []
    for values in raw.rows[1:]:
        record = {}
        for key, index in positions.items():
            try:
                record[key] = readers[key](values[index]) if index < len(values) else None
            except (ValueError, ArithmeticError):  # decimal.InvalidOperation is one
                record[key] = None
        if record.get("day") is None:
            continue
        result.append(HistoryRow(**{k: v for k, v in record.items() if k in names}))
    return tuple(result)
