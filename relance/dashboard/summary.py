"""The managers' figures, as of one day. Pure: pandas in memory, no I/O, no clock.

``compute(register, policy, today)`` turns the register into a `Summary`. Every
figure is defined once, in `KPIS` (per-stage effectiveness and promises to pay:
`effectiveness.STAGE_FIGURES` / `PROMISE_FIGURES`), with the sentence that
explains it; the Synthèse tab, ``relance summary`` and the README print that
same sentence, so what a manager reads is what the code does.

Conventions, chosen so the figures never surprise an accountant:
- An invoice is *open* when its Statut is neither Payée nor Annulée and
  something remains due; it is *settled* (soldée) when Statut = Payée, or when
  it is fully paid and not Annulée. Annulée invoices are neither.
- Its stage is the highest one the Journal shows as sent (`JournalIndex`),
  never the Étape cell, which is only a cache of the journal.
- Amounts count EUR invoices only (other currencies cannot be added up without
  a rate; they are listed in `notes`); counts and days count every invoice.
- "Last 90 days" is J−89 … J inclusive; "last 365 days" is J−364 … J.
- Rates are fractions rounded to 0.001 (shown 62,5 %), days to 0.1, amounts to
  the cent, all `Decimal`: what the sheet stores is exactly what it shows.

Worked example (the register of tests/test_summary.py): outstanding 5 550 €, of
which 4 550 € overdue -> overdue rate 4 550 / 5 550 = 0,820; sales of the last 90
days 4 500 € -> DSO = 5 550 / 4 500 × 90 = 111,0 days, of which
4 550 / 4 500 × 90 = 91,0 days are lateness (the other 20 are the terms granted).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Iterable

import pandas as pd
from babel.numbers import format_currency

from relance.core.config import Policy
from relance.dashboard.disputes import Disputes, measure_disputes
from relance.dashboard.effectiveness import Promises, StageEffect, measure
from relance.dashboard.figures import COUNT, DAY_STEP, DAYS, MONEY, PERCENT, Kpi, ratio
from relance.core.journal import JournalIndex
from relance.core.model import CENT, ZERO, Register, Task
from relance.core.money import totals as currency_totals

SALES_WINDOW_DAYS, PAID_WINDOW_DAYS, TREND_WEEKS, TOP_DEBTORS = 90, 365, 12, 10
NO_STAGE = "Aucune relance"
BUCKETS = ("Non échu", "1–30 j", "31–60 j", "61–90 j", "> 90 j")  # by days past the due date
BUCKET_EDGES = (-10**9, 0, 30, 60, 90, 10**9)


KPIS: tuple[Kpi, ...] = (
    Kpi("outstanding", "Encours clients", MONEY,
        "Somme des restes dus des factures ouvertes (Statut ni Payée ni Annulée, reste dû > 0)."),
    Kpi("overdue", "Dont échu", MONEY,
        "Reste dû des factures ouvertes dont l'échéance est dépassée (au moins 1 jour de retard)."),
    Kpi("overdue_rate", "Taux d'échu", PERCENT, "Échu ÷ encours."),
    Kpi("sales_90d", "CA TTC des 90 derniers jours", MONEY,
        "Montant TTC des factures non annulées dont la date facture tombe dans les 90 derniers jours (J−89 à J)."),
    Kpi("dso", "DSO (90 jours)", DAYS, "Encours ÷ CA TTC des 90 derniers jours × 90."),
    Kpi("dso_overdue", "Dont jours de retard", DAYS,
        "Échu ÷ CA TTC des 90 derniers jours × 90 : la part du DSO due aux retards "
        "(le reste est le délai de paiement accordé)."),
    Kpi("avg_days_late", "Retard moyen des factures payées", DAYS,
        "Moyenne de (date de règlement − échéance) sur les factures soldées réglées dans les 365 derniers "
        "jours ; un paiement en avance compte 0 jour."),
    Kpi("on_time_share", "Part payée à l'échéance", PERCENT,
        "Factures soldées réglées au plus tard à l'échéance ÷ factures soldées réglées dans les 365 derniers "
        "jours."),
    Kpi("amicable_rate", "Taux de recouvrement amiable", PERCENT,
        "Factures soldées sans avoir atteint la mise en demeure ÷ factures ayant reçu au moins une relance "
        "après échéance (étapes lues dans le Journal ; factures annulées exclues, en cours comprises)."),
    Kpi("open_invoices", "Factures ouvertes", COUNT, "Nombre de factures ouvertes (toutes devises)."),
    Kpi("overdue_invoices", "Factures échues", COUNT, "Nombre de factures ouvertes dont l'échéance est dépassée."),
    Kpi("open_tasks_count", "Tâches ouvertes", COUNT, "Lignes de l'onglet Tâches sans date « Faite le »."),
)


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run did: messages sent and failed, tasks opened, invoices read that got no message
    (paid, not yet due, waiting, outside the send window…), problems found in the register."""

    at: datetime | None
    sent: int = 0
    failed: int = 0
    tasks: int = 0
    skipped: int = 0
    problems: int = 0


@dataclass(frozen=True, slots=True)
class Bucket:
    label: str
    amount: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class Debtor:
    client: str
    name: str
    amount: Decimal
    overdue: Decimal
    invoices: int
    max_days_late: int


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One line of the Historique tab: the KPIs of one day, and that day's run."""

    day: date
    at: datetime | None = None
    outstanding: Decimal | None = None
    overdue: Decimal | None = None
    overdue_rate: Decimal | None = None
    sales_90d: Decimal | None = None
    dso: Decimal | None = None
    dso_overdue: Decimal | None = None
    avg_days_late: Decimal | None = None
    on_time_share: Decimal | None = None
    amicable_rate: Decimal | None = None
    open_invoices: int | None = None
    overdue_invoices: int | None = None
    open_tasks_count: int | None = None
    sent: int | None = None
    failed: int | None = None
    tasks: int | None = None
    skipped: int | None = None
    problems: int | None = None

    def run(self) -> RunResult | None:
        if self.sent is None:
            return None
        return RunResult(self.at, self.sent, self.failed or 0, self.tasks or 0, self.skipped or 0,
                         self.problems or 0)


@dataclass(frozen=True, slots=True)
class Summary:
    today: date
    outstanding: Decimal
    overdue: Decimal
    overdue_rate: Decimal | None        # None when nothing is outstanding
    sales_90d: Decimal
    dso: Decimal | None                 # None without sales in the window
    dso_overdue: Decimal | None
    avg_days_late: Decimal | None       # None without settled invoices in the window
    on_time_share: Decimal | None
    amicable_rate: Decimal | None       # None when no invoice reached a reminder
    open_invoices: int
    overdue_invoices: int
    settled_invoices: int               # denominator of avg_days_late and on_time_share
    reminded_invoices: int              # denominator of amicable_rate
    amicable_invoices: int              # its numerator
    aging: tuple[Bucket, ...]
    stages: tuple[Bucket, ...]          # open invoices per stage reached (label, EUR amount, count)
    top_debtors: tuple[Debtor, ...]
    open_tasks: tuple[Task, ...]
    last_run: RunResult | None = None
    history: tuple[HistoryRow, ...] = ()  # one row per day, oldest first, today's included
    notes: tuple[str, ...] = ()
    stage_effects: tuple[StageEffect, ...] = ()  # per ladder stage: paid ≤ 7 / 14 days, open there now
    promises: Promises = Promises()              # promises to pay kept, broken, pending
    disputes: Disputes = Disputes()              # litiges (count, amount, age) and the first-reminder delay

    @property
    def open_tasks_count(self) -> int:
        return len(self.open_tasks)

    def history_row(self, run: RunResult | None = None) -> HistoryRow:
        run_fields = {f.name for f in fields(RunResult)}
        values = {f.name: getattr(self, f.name) for f in fields(HistoryRow)
                  if f.name != "day" and f.name not in run_fields}
        if run is not None:
            values.update(at=run.at, sent=run.sent, failed=run.failed, tasks=run.tasks, skipped=run.skipped,
                          problems=run.problems)
        return HistoryRow(day=self.today, **values)

    def trend(self) -> tuple[HistoryRow, ...]:
        """The last row of each of the last 12 weeks (Monday-based), oldest first."""
        monday = self.today - timedelta(days=self.today.weekday())
        first = monday - timedelta(weeks=TREND_WEEKS - 1)
        weekly: dict[date, HistoryRow] = {}
        for row in self.history:
            if first <= row.day <= self.today:
                weekly[row.day - timedelta(days=row.day.weekday())] = row
        return tuple(weekly[w] for w in sorted(weekly))


def _money(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO).quantize(CENT)


def journal_index(register: Register, policy: Policy) -> JournalIndex:
    return JournalIndex(register.journal, policy.stage_names())


def invoice_frame(register: Register, policy: Policy, today: date, index: JournalIndex | None = None) -> pd.DataFrame:
    """One row per invoice with what the KPIs need; amounts stay `Decimal` (object columns)."""
    index = journal_index(register, policy) if index is None else index
    rows = []
    for inv in register.invoices:
        stage = index.history(inv.number).stage
        rows.append({"number": inv.number, "client": inv.client, "issued": inv.issued, "due": inv.due,
                     "paid_on": inv.paid_on, "amount": inv.amount, "remaining": inv.remaining,
                     "status": inv.status, "closed": inv.closed, "eur": inv.currency == "EUR",
                     "currency": inv.currency,
                     "stage": stage, "rank": index.rank(stage) if stage else -1})
    columns = ["number", "client", "issued", "due", "paid_on", "amount", "remaining", "status", "closed", "eur",
               "currency",
               "stage", "rank"]
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.astype({"rank": "int64", "eur": bool, "closed": bool})
    frame["days_late"] = (pd.Timestamp(today) - pd.to_datetime(frame["due"])).dt.days.astype("int64")
    cancelled = frame["status"] == "Annulée"
    frame["open"] = ~frame["closed"]  # Invoice.closed: the one definition
    frame["settled"] = frame["closed"] & ~cancelled
    frame["cancelled"] = cancelled
    return frame


def _stage_ranks(policy: Policy) -> tuple[int, int]:
    """(first reminder after the due date, formal notice): ranks in the ladder.

    The formal notice is the first stage needing approval or sent by letter; a
    ladder without one has no formal notice, so every settled invoice is amicable."""
    stages = policy.stages
    reminder = next((i for i, s in enumerate(stages) if s.offset_days > 0), len(stages))
    formal = next((i for i, s in enumerate(stages) if s.requires_approval or s.channel == "letter+email"),
                  len(stages))
    return reminder, formal


def compute(register: Register, policy: Policy, today: date, last_run: RunResult | None = None,
            history_rows: Iterable[HistoryRow] = ()) -> Summary:
    """Every KPI of `KPIS` as of `today`, plus aging, stages, top debtors and open tasks.

    `history_rows` are the Historique tab's rows: today's row is replaced by the
    current figures (one point per day, the day's last run wins). Without
    `last_run`, the last run is the latest Historique row that recorded one."""
    index = journal_index(register, policy)
    frame = invoice_frame(register, policy, today, index)
    open_ = frame[frame["open"]]
    open_eur = open_[open_["eur"]]
    late_eur = open_eur[open_eur["days_late"] > 0]
    outstanding, overdue = _money(open_eur["remaining"]), _money(late_eur["remaining"])

    issued = pd.to_datetime(frame["issued"])
    window = (issued >= pd.Timestamp(today - timedelta(days=SALES_WINDOW_DAYS - 1))) & (issued <= pd.Timestamp(today))
    sales = _money(frame.loc[window & frame["eur"] & ~frame["cancelled"], "amount"])

    paid_on = pd.to_datetime(frame["paid_on"])
    recent = (paid_on >= pd.Timestamp(today - timedelta(days=PAID_WINDOW_DAYS - 1))) & (paid_on <= pd.Timestamp(today))
    settled = frame[frame["settled"] & recent]
    lateness = (pd.to_datetime(settled["paid_on"]) - pd.to_datetime(settled["due"])).dt.days
    days_late_total = int(lateness.clip(lower=0).sum())
    on_time = int((lateness <= 0).sum())

    reminder_rank, formal_rank = _stage_ranks(policy)
    reminded = frame[(frame["rank"] >= reminder_rank) & ~frame["cancelled"]]
    amicable = reminded[reminded["settled"] & (reminded["rank"] < formal_rank)]
    stages = _stages(open_, policy)
    effects, promises = measure(frame, register.journal, index, policy.stages,
                                [(b.amount, b.count) for b in stages[1:]], policy.promises.grace_days, today)

    summary = Summary(
        today=today, outstanding=outstanding, overdue=overdue, overdue_rate=ratio(overdue, outstanding),
        sales_90d=sales, dso=ratio(outstanding * SALES_WINDOW_DAYS, sales, DAY_STEP),
        dso_overdue=ratio(overdue * SALES_WINDOW_DAYS, sales, DAY_STEP),
        avg_days_late=ratio(days_late_total, len(settled), DAY_STEP), on_time_share=ratio(on_time, len(settled)),
        amicable_rate=ratio(len(amicable), len(reminded)), open_invoices=len(open_),
        overdue_invoices=int((open_["days_late"] > 0).sum()), settled_invoices=len(settled),
        reminded_invoices=len(reminded), amicable_invoices=len(amicable),
        aging=_aging(open_, open_eur), stages=stages, top_debtors=_debtors(open_eur, register),
        open_tasks=tuple(sorted((t for t in register.tasks if t.done_on is None),
                                key=lambda t: (t.created or date.max, t.client, t.row))),
        notes=_notes(frame, open_), stage_effects=effects, promises=promises,
        disputes=measure_disputes(frame, register, index, reminder_rank, today))
    history_rows = sorted(history_rows, key=lambda r: r.day)
    if last_run is None:
        last_run = next((r.run() for r in reversed(history_rows) if r.day <= today and r.run()), None)
        today_row = summary.history_row()
    else:
        today_row = summary.history_row(last_run)
    history = {row.day: row for row in history_rows}
    history[today] = today_row
    return replace(summary, last_run=last_run, history=tuple(history[d] for d in sorted(history)))


def _aging(open_: pd.DataFrame, open_eur: pd.DataFrame) -> tuple[Bucket, ...]:
    """Open invoices by days past due: amount (EUR) and count (all currencies) per bucket."""
    def bucket(days: pd.Series) -> pd.Series:
        return pd.cut(days, BUCKET_EDGES, labels=BUCKETS)
    amounts = open_eur.groupby(bucket(open_eur["days_late"]), observed=False)["remaining"].sum()
    counts = open_.groupby(bucket(open_["days_late"]), observed=False).size()
    return tuple(Bucket(label, _money([amounts.get(label, ZERO)]), int(counts.get(label, 0)))
                 for label in BUCKETS)


def _stages(open_: pd.DataFrame, policy: Policy) -> tuple[Bucket, ...]:
    """Open invoices per highest stage sent, in ladder order ('Aucune relance' first)."""
    keys = ("", *(s.key for s in policy.stages))
    result = []
    for key in keys:
        rows = open_[open_["stage"] == key]
        result.append(Bucket(policy.label(key) if key else NO_STAGE, _money(rows.loc[rows["eur"], "remaining"]),
                             len(rows)))
    return tuple(result)


def _debtors(open_eur: pd.DataFrame, register: Register) -> tuple[Debtor, ...]:
    """The 10 clients owing the most (EUR), ties by client code."""
    if open_eur.empty:
        return ()
    late = open_eur["remaining"].where(open_eur["days_late"] > 0, ZERO)
    grouped = open_eur.assign(late=late).groupby("client").agg(
        amount=("remaining", lambda s: _money(s)), overdue=("late", lambda s: _money(s)),
        invoices=("number", "size"), max_days_late=("days_late", "max"))
    ordered = sorted(grouped.itertuples(), key=lambda r: (-r.amount, r.Index))[:TOP_DEBTORS]
    return tuple(Debtor(r.Index, register.clients[r.Index].display_name if r.Index in register.clients else r.Index,
                        r.amount, r.overdue, int(r.invoices), max(int(r.max_days_late), 0)) for r in ordered)


def _notes(frame: pd.DataFrame, open_: pd.DataFrame) -> tuple[str, ...]:
    notes = []
    foreign = open_[~open_["eur"]]
    if len(foreign):
        currencies = ", ".join(sorted(set(foreign["currency"])))
        per_currency = " ; ".join(format_currency(amount, code, locale="fr_FR") for code, amount in
                                  currency_totals(zip(foreign["currency"], foreign["remaining"])))
        notes.append(f"{len(foreign)} facture(s) ouverte(s) en {currencies} : comptée(s) dans les nombres, "
                     f"pas dans les montants en euros ; encours par devise : {per_currency}.")
    undated = int((frame["issued"].isna() & ~frame["cancelled"]).sum())
    if undated:
        notes.append(f"{undated} facture(s) sans date facture : absente(s) du CA des 90 derniers jours "
                     f"(le DSO en est surestimé).")
    unpaid_on = int((frame["settled"] & frame["paid_on"].isna() & (frame["rank"] >= 0)).sum())
    if unpaid_on:
        notes.append(f"{unpaid_on} facture(s) relancée(s) soldée(s) sans Date de règlement : jamais comptée(s) "
                     f"« payée(s) ≤ 7 / 14 j » après une étape ni comme promesse tenue.")
    return tuple(notes)
