"""Did the reminders work? Per ladder stage, invoices paid soon after it; promises kept or broken. Pure.

Each figure is defined once, in `STAGE_FIGURES` and `PROMISE_FIGURES`, with the
sentence the Synthèse tab and ``relance summary`` print beside it. In words:

- An invoice *received* a stage on the day of the first ``sent`` Journal row of
  that stage (by key or label) for it. ``test`` and ``failed`` rows never count,
  nor rows dated after the summary's day; cancelled invoices are left out.
- *Payées ≤ 7 j*: of the invoices that received the stage at least 7 days ago
  (a stage sent yesterday has not had its week yet), the share settled — Payée
  or nothing left to pay, with a Date de règlement — on or before the stage day
  + 7. A payment dated before the stage counts: it crossed the reminder. Same
  for 14 days. Beside them, what sits at each stage now (`summary.stages`).
- A *promise* is a manual Journal row whose comment says « promesse » with a date
  (`rules.promises.promised_date`, the rule that pauses reminders). It covers the
  invoice the row names or, when it names none, every invoice of the client open
  on the row's day (issued by then, not cancelled, not settled before). Kept when
  all of them were settled on or before the promised day + ``[promises]
  grace_days``; broken when that day has passed without it; pending otherwise.

Worked example: « amiable » sent on 01/11 for F1 (paid 05/11), F2 (paid 12/11)
and F3 (unpaid), and on 20/11 for F4; today 25/11. ≤ 7 j: F1-F3 are old enough
(F4 is 5 days old), F1 was paid within 7 days -> 1/3 = 33,3 %; ≤ 14 j: F1 and
F2 -> 2/3 = 66,7 %.

Cost: one pass over the Journal and one over the invoices, whatever the number
of stages; a promise naming no invoice looks at its client's invoices only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable, NamedTuple, Sequence

import numpy as np
import pandas as pd

from relance.dashboard.figures import COUNT, MONEY, PERCENT, Kpi, ratio
from relance.core.journal import MANUAL, SENT, JournalIndex
from relance.core.model import JournalEntry
from relance.core.rules.promises import promised_date

WINDOWS = (7, 14)  # days after a stage within which a payment counts

STAGE_FIGURES: tuple[Kpi, ...] = (
    Kpi("reached", "Factures relancées", COUNT,
        "Factures non annulées ayant reçu l'étape, datée par sa première ligne « sent » du Journal "
        "(lignes test ou en échec exclues)."),
    Kpi("paid_7d", "Payées ≤ 7 j", PERCENT,
        "Parmi les factures ayant reçu l'étape il y a au moins 7 jours, part soldée (Payée ou reste dû 0, avec "
        "Date de règlement) au plus tard 7 jours après l'étape."),
    Kpi("paid_14d", "Payées ≤ 14 j", PERCENT,
        "Parmi les factures ayant reçu l'étape il y a au moins 14 jours, part soldée (Payée ou reste dû 0, avec "
        "Date de règlement) au plus tard 14 jours après l'étape."),
    Kpi("amount", "Montant actuellement à cette étape", MONEY,
        "Reste dû (EUR) des factures ouvertes dont l'étape la plus haute envoyée est celle-ci."),
    Kpi("count", "Factures", COUNT, "Nombre de ces factures ouvertes (toutes devises)."),
)

PROMISE_FIGURES: tuple[Kpi, ...] = (
    Kpi("kept", "Promesses tenues", COUNT,
        "Lignes manual du Journal dont le commentaire « promesse » porte une date, et dont la facture (sans "
        "facture : celles du client ouvertes ce jour-là) a été soldée au plus tard à la date promise + le délai "
        "de grâce ([promises] grace_days)."),
    Kpi("broken", "Promesses non tenues", COUNT,
        "Promesses dont la date promise + le délai de grâce est passée sans que tout soit soldé."),
    Kpi("pending", "Promesses en cours", COUNT,
        "Promesses non encore tenues dont la date promise + le délai de grâce n'est pas passée."),
    Kpi("kept_rate", "Taux de promesses tenues", PERCENT, "Tenues ÷ (tenues + non tenues)."),
)


@dataclass(frozen=True, slots=True)
class PaidWithin:
    days: int
    invoices: int = 0   # received the stage at least `days` days ago: the denominator
    paid: int = 0       # of which settled at most `days` days after the stage

    @property
    def share(self) -> Decimal | None:
        return ratio(self.paid, self.invoices)


@dataclass(frozen=True, slots=True)
class StageEffect:
    """One ladder stage: who got it, who paid soon after, what sits there now."""

    key: str
    label: str
    reached: int
    within: tuple[PaidWithin, ...]  # one per `WINDOWS`
    amount: Decimal                 # open invoices at this stage now: EUR remaining (summary.stages)
    count: int                      # and their number

    def paid_within(self, days: int) -> PaidWithin:
        return next(w for w in self.within if w.days == days)

    @property
    def paid_7d(self) -> Decimal | None:
        return self.paid_within(7).share

    @property
    def paid_14d(self) -> Decimal | None:
        return self.paid_within(14).share


@dataclass(frozen=True, slots=True)
class Promises:
    kept: int = 0
    broken: int = 0
    pending: int = 0

    @property
    def kept_rate(self) -> Decimal | None:
        return ratio(self.kept, self.kept + self.broken)


class _Facts(NamedTuple):
    """What the figures need to know about one invoice."""

    client: str
    issued: date | None
    cancelled: bool
    settled: bool
    paid_on: date | None  # settled on this day (None: not settled, or no Date de règlement)

    def paid_by(self, day: date) -> bool:
        return self.paid_on is not None and self.paid_on <= day

    def open_on(self, day: date) -> bool:
        """Open on `day` as far as the register tells: issued by then, not cancelled, not settled before."""
        if self.cancelled or (self.issued is not None and self.issued > day):
            return False
        return not self.settled or (self.paid_on is not None and self.paid_on >= day)


class _Invoices:
    """The summary's invoice frame (one definition of "settled") as plain lists, by invoice number.

    Facts are built only for the invoices a journal row names: most of a large
    register was never reminded, and 100 000 small objects cost more than the rest."""

    def __init__(self, frame: pd.DataFrame):
        self.columns = [frame[name].tolist() for name in ("client", "issued", "cancelled", "settled", "paid_on")]
        self.position = dict(zip(frame["number"].tolist(), range(len(frame))))
        self._by_client: dict[str, list[int]] | None = None

    def _fact(self, i: int) -> _Facts:
        client, issued, cancelled, settled, paid_on = (column[i] for column in self.columns)
        return _Facts(client, issued if isinstance(issued, date) else None, bool(cancelled), bool(settled),
                      paid_on if settled and isinstance(paid_on, date) else None)

    def get(self, number: str) -> _Facts | None:
        i = self.position.get(number)
        return None if i is None else self._fact(i)

    def of_client(self, client: str) -> list[_Facts]:
        if self._by_client is None:
            self._by_client = defaultdict(list)
            for i, code in enumerate(self.columns[0]):
                self._by_client[code].append(i)
        return [self._fact(i) for i in self._by_client.get(client, ())]


def measure(frame: pd.DataFrame, journal: Iterable[JournalEntry], index: JournalIndex, stages: Sequence,
            current: Sequence[tuple[Decimal, int]], grace_days: int,
            today: date) -> tuple[tuple[StageEffect, ...], Promises]:
    """Stage effectiveness and promise outcomes as of `today`.

    `frame` is `summary.invoice_frame` (one definition of "settled"), `stages` the
    ladder (policy.stages), `current` the (amount, count) of open invoices at each
    of its stages, in the same order (`summary.stages`)."""
    invoices, promises = _Invoices(frame), []
    sends: tuple[list[int], list[str], list[int]] = ([], [], [])  # invoice position, stage as typed, day ordinal
    last_day = today.toordinal()
    for entry in journal:  # the Journal once: the sends, and the promise rows
        if entry.status == SENT and entry.invoice and entry.timestamp:
            sends[0].append(invoices.position.get(entry.invoice, -1))
            sends[1].append(entry.stage)
            sends[2].append(entry.timestamp.toordinal())
        elif entry.status == MANUAL and entry.timestamp and entry.timestamp.toordinal() <= last_day:
            promises.append(entry)
    counts = _stage_counts(frame, sends, index, len(stages), last_day)
    effects = tuple(
        StageEffect(stage.key, stage.label, counts[rank][0],
                    tuple(PaidWithin(days, counts[rank][1 + 2 * w], counts[rank][2 + 2 * w])
                          for w, days in enumerate(WINDOWS)), amount, count)
        for rank, (stage, (amount, count)) in enumerate(zip(stages, current)))
    return effects, _promises(promises, invoices, grace_days, today)


def _stage_counts(frame: pd.DataFrame, sends: tuple[list[int], list[str], list[int]], index: JournalIndex,
                  n_stages: int, last_day: int) -> list[list[int]]:
    """Per stage rank: [reached, then for each window: old enough, of which paid in time], vectorised."""
    ranks = {stage: index.rank(stage) for stage in set(sends[1])}  # each spelling looked up once
    rows = pd.DataFrame({"pos": sends[0], "rank": [ranks[s] for s in sends[1]], "day": sends[2]},
                        dtype="float64")
    rows = rows[(rows["pos"] >= 0) & rows["rank"].notna() & (rows["day"] <= last_day)].astype("int64")
    first = rows.groupby(["pos", "rank"], sort=False)["day"].min().reset_index()  # each invoice's first send
    paid_on = pd.to_datetime(frame["paid_on"])
    paid_day = (paid_on - pd.Timestamp("1970-01-01")).dt.days + date(1970, 1, 1).toordinal()
    paid_day = paid_day.where(frame["settled"] & paid_on.notna(), np.inf).to_numpy("float64")
    pos, rank, day = (first[name].to_numpy() for name in ("pos", "rank", "day"))
    keep = ~frame["cancelled"].to_numpy(bool)[pos]
    pos, rank, day = pos[keep], rank[keep], day[keep]
    counts = [np.bincount(rank, minlength=n_stages)]
    for days in WINDOWS:
        old_enough = last_day - day >= days
        counts.append(np.bincount(rank[old_enough], minlength=n_stages))
        # paid on or before the stage day + `days`, which is never after today for an old-enough send
        counts.append(np.bincount(rank[old_enough & (paid_day[pos] <= day + days)], minlength=n_stages))
    return np.stack(counts, axis=1).tolist()  # plain ints


def _promises(rows: list[JournalEntry], invoices: _Invoices, grace_days: int, today: date) -> Promises:
    outcome: Counter[str] = Counter()
    for entry in rows:
        promised = promised_date(entry)
        if promised is None:
            continue
        if entry.invoice:
            fact = invoices.get(entry.invoice)
            covered = [fact] if fact is not None and not fact.cancelled else []
        else:
            covered = [f for f in invoices.of_client(entry.client) if f.open_on(entry.day)]
        if not covered:  # a promise about nothing we can see (unknown, cancelled or already paid) is not counted
            continue
        deadline = promised + timedelta(days=grace_days)
        if all(f.paid_by(min(deadline, today)) for f in covered):
            outcome["kept"] += 1
        elif deadline < today:
            outcome["broken"] += 1
        else:
            outcome["pending"] += 1
    return Promises(outcome["kept"], outcome["broken"], outcome["pending"])
