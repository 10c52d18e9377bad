"""What each invoice can be claimed for being late: the bridge between the register and `penalties`.

`penalties.late_penalty` knows the law; this module knows the register. For an `Invoice`, its `Client`,
the `Policy` and today (plus, for a consumer, the day the mise en demeure went out, read from the
journal), it returns the `Penalty`, or the French sentence saying which rate is missing from the table.
Pure: no I/O, no clock.

Which invoices are computed (everything else is ``None``, an empty Pénalités cell):
- unpaid (or partly paid) and past due: as of today;
- paid in full after the due date: as of the payment date (what was owed stays owed);
- not: paid on time, ``Annulée``, ``Échéancier`` (a payment plan is a new agreement on dates), a currency
  other than EUR (the 40 € and the French rates are euro figures), a paid invoice without payment date.

Conventions where the register is poorer than the law:
- ``Montant réglé`` is one payment made on ``Date de règlement`` (on the due date when that cell is
  empty, which never overstates the claim);
- a consumer's notice date is the first journal row of the formal-notice stage (channel
  ``letter+email``) with status sent or manual, for that invoice;
- a rate that is missing or unconfirmed yields no interest figure (never a guess): the Pénalités cell
  shows only the 40 € indemnity (B2B; it needs no rate), the Alerte says « intérêts à parfaire » in a
  few words, the run's console and the Synthèse banner say once which config line to add
  (`rate_notes`), letters and emails print the interest as "montant à parfaire" and never a total of
  penalties beside it, unless ``[penalties] allow_unconfirmed_rates = true``.

Speed: the planner asks for every invoice of a 100 000-row register, and one `late_penalty` call costs
tens of microseconds (mostly Babel formatting the rate basis). `Claims` loads the rate table once, asks
`late_penalty` for each half-year's rate once (a one-day probe, so the floor check, the fallback and
the "out of date" errors are the module's own), and `Claims.cell` then cuts each invoice's period the
way `late_penalty` does and applies its very expression, in the same decimal context: the figure is
identical to the cent (tests/test_claims.py checks it on random invoices with hypothesis).
"""

from __future__ import annotations

import re

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal

from babel.dates import format_date

from relance.core.config import Policy, Stage
from relance.core.model import CENT, ZERO, Client, Invoice, JournalEntry, Register
from relance.core.statuses import MANUAL, SENT
from relance.core.law.penalties import DAY_COUNT, Penalty, RateTable, RateTableOutOfDate, describe, late_penalty

NOT_CLAIMED = ("Annulée", "Échéancier")
ZERO_CENTS = Decimal("0.00")
_DAY = timedelta(days=1)
_CONTEXT = Context(prec=34)  # late_penalty's context: prec 34 over Python's default (ROUND_HALF_EVEN)
_DENOMINATOR = 100 * DAY_COUNT
_NOTICE_STATUSES = (SENT, MANUAL)


@dataclass(frozen=True, slots=True)
class Claim:
    """One invoice's claim: principal, and the penalty or why it could not be computed."""

    invoice: Invoice
    b2b: bool
    penalty: Penalty | None = None  # None: nothing owed for lateness, or `error`
    error: str = ""  # French, one line: the rate missing from the table
    indemnity: Decimal = ZERO  # the 40 €, owed even when the interest has no figure (B2B)
    interest_from: date | None = None  # first accrual day, for "à parfaire" wording

    @property
    def principal(self) -> Decimal:
        return self.invoice.remaining

    @property
    def interest(self) -> Decimal:
        return self.penalty.interest if self.penalty else ZERO

    @property
    def extra(self) -> Decimal:
        """Interest + indemnity that have a figure."""
        return self.penalty.total if self.penalty else self.indemnity

    @property
    def total(self) -> Decimal:
        return self.principal + self.extra


def notice_stages(stages: Iterable[Stage]) -> set[str]:
    """Stage keys and labels (casefolded) that are a formal notice: the ``letter+email`` channel."""
    return {name.casefold() for s in stages if s.channel == "letter+email"
            for name in (s.key, s.label, *s.aliases) if name}


def notice_dates(journal: Iterable[JournalEntry], stages: Iterable[Stage]) -> dict[str, date]:
    """Invoice number -> the day its first mise en demeure went out (C. civ. 1344-1: interest runs from it)."""
    names = notice_stages(stages)
    found: dict[str, date] = {}
    for entry in journal:
        day = entry.day
        if entry.invoice and day and entry.status in _NOTICE_STATUSES and entry.stage.casefold() in names:
            if entry.invoice not in found or day < found[entry.invoice]:
                found[entry.invoice] = day
    return found


def _terms(invoice: Invoice, today: date) -> tuple[date, tuple[tuple[date, Decimal], ...]] | None:
    """The last day that counts and the payments to pass on, or None when nothing is owed for lateness."""
    if invoice.status in NOT_CLAIMED or invoice.currency != "EUR":
        return None
    if invoice.closed:  # paid in full (Annulée never reaches here: NOT_CLAIMED)
        if invoice.paid_on is None:
            return None
        end = min(invoice.paid_on, today)
        return (end, ()) if end > invoice.due else None
    if today <= invoice.due:
        return None
    return today, (((invoice.paid_on or invoice.due), invoice.paid),) if invoice.paid > 0 else ()


_SNIPPET = re.compile(r'\[penalties\.rates\."(\d{4}-H[12])"\] (\w+) = "([^"]*)"')
_FLAGS = {"ecb_refi": "--bce", "legal_professional": "--legal-pro", "legal_consumer": "--legal-other"}


def _missing(error: str) -> tuple[str, str, str, str, str] | None:
    """(half, config key, value shown, « taux BCE », « absent… ») of a rate-table error, None for another."""
    snippet = _SNIPPET.search(error)
    if not snippet:
        return None
    half, key, value = snippet.groups()
    which = "taux BCE" if key == "ecb_refi" else "taux légal"
    state = "non confirmé" if "non confirmé" in error else "absent de la table des taux"
    return half, key, value, which, state


def short_rate_alert(error: str) -> str:
    """The Alerte of one invoice for a rate-table error: short, the same on every row concerned; the
    config line to add is said once per run (`rate_notes`) and by `relance check`.
    ``intérêts à parfaire : taux BCE 2026-H2 non confirmé (voir relance check)``"""
    found = _missing(error)
    if not found:
        return error
    half, _, _, which, state = found
    return f"intérêts à parfaire : {which} {half} {state} (voir relance check)"


def rate_note(error: str, invoices: list[str]) -> str:
    """One line for the run's console and the Synthèse banner: which rate, how many invoices, the exact
    config line to add (or the `relance rates set` command that writes it)."""
    found = _missing(error)
    if not found:
        return error
    half, key, value, which, state = found
    return (f"{which[0].upper()}{which[1:]} {half} {state} : intérêts « à parfaire » sur {len(invoices)} facture(s) "
            f"(l'indemnité de 40 € reste chiffrée). Après vérification à la source officielle, ajoutez à "
            f'config.toml : [penalties.rates."{half}"] {key} = "{value}" — ou : relance rates set {half} '
            f"{_FLAGS[key]} {value}")


def rate_notes(register: Register, policy: Policy, today: date) -> list[str]:
    """The missing or unconfirmed rates the register needs today: one line each (see `rate_note`)."""
    found = Claims(policy, register).problems(register.invoices, today)
    return [rate_note(error, numbers) for error, numbers in found.items() if _missing(error)]


class Claims:
    """Penalty calculator for one plan: rate table and contract rate read once, shapes shared.

    `register` (optional) gives `cell` its clients and consumers their notice dates (from the journal).
    """

    def __init__(self, policy: Policy, register: Register | None = None, *, rates: RateTable | None = None):
        settings = policy.penalties
        self.policy, self.register = policy, register
        self.rates = rates if rates is not None else RateTable.load_default().with_overrides(settings.rates)
        self.contract_rate = None if settings.b2b_rate == "ecb+10" else Decimal(settings.b2b_rate)
        self.notices: Mapping[str, date] = notice_dates(register.journal, policy.stages) if register else {}
        self._indemnity, self._from_due = settings.fixed_indemnity_eur, settings.b2c_interest_from_due
        self._rates_by_half: dict[tuple[int, bool, bool], tuple[Decimal, tuple[str, ...]] | str] = {}
        self._shapes: dict[tuple, tuple | str] = {}

    def penalty(self, invoice: Invoice, client: Client, today: date,
                notice: date | None = None) -> Penalty | str | None:
        """The `Penalty` as of `today`, the French error text, or None when nothing is owed for lateness.

        `notice` (consumers only) defaults to the date found in the journal.
        """
        terms = _terms(invoice, today)
        if terms is None:
            return None
        as_of, payments = terms
        settings = self.policy.penalties
        if notice is None and not client.b2b:
            notice = self.notices.get(invoice.number)
        try:
            return late_penalty(
                amount=invoice.amount, due=invoice.due, as_of=as_of, payments=payments, b2b=client.b2b,
                contract_rate=self.contract_rate if client.b2b else None, notice_date=notice,
                b2c_interest_from_due=settings.b2c_interest_from_due,
                fixed_indemnity=settings.fixed_indemnity_eur, rates=self.rates,
                allow_unconfirmed=settings.allow_unconfirmed_rates)
        except RateTableOutOfDate as exc:
            text = " ".join(str(exc).split()).replace(  # the config key, not the Python argument
                "allow_unconfirmed=True", "[penalties] allow_unconfirmed_rates = true")
            return "Pénalités non calculées : " + text

    def claim(self, invoice: Invoice, client: Client, today: date, notice: date | None = None) -> Claim:
        """Principal + penalty with its segments (for letters, emails and the dossier)."""
        result = self.penalty(invoice, client, today, notice)
        if not isinstance(result, str):
            return Claim(invoice, client.b2b, result)
        settings = self.policy.penalties  # an error means the invoice is late, and the 40 € needs no rate
        if client.b2b or settings.b2c_interest_from_due:
            start: date | None = invoice.due + _DAY
        else:
            notice = notice or self.notices.get(invoice.number)
            start = max(notice, invoice.due) + _DAY if notice else None
        return Claim(invoice, client.b2b, None, result, settings.fixed_indemnity_eur if client.b2b else ZERO, start)

    def cell(self, invoice: Invoice, today: date) -> tuple[Decimal | None, str]:
        """(Pénalités value, Alerte text) for the planner: fast, and the same figure as `penalty().total`.

        The Alerte text is one short line (every late invoice of the half-year carries it); the full
        explanation with the config snippet to add is printed once by `relance check`."""
        total, error, _ = self._resolve(invoice, today)
        return total, short_rate_alert(error) if error else ""

    def problems(self, invoices: Iterable[Invoice], today: date) -> dict[str, list[str]]:
        """Distinct rate-table errors and below-floor contract warnings (L441-16) -> invoices concerned."""
        found: dict[str, list[str]] = {}
        for invoice in invoices:
            _, error, warnings = self._resolve(invoice, today)
            for message in [error] if error else [w for w in warnings if "L441-16" in w]:
                found.setdefault(message, []).append(invoice.number)
        return found

    def _resolve(self, invoice: Invoice, today: date) -> tuple[Decimal | None, str, tuple[str, ...]]:
        """(total, error, warnings) without calling `late_penalty` per invoice (see the module doc)."""
        client = self.register.clients.get(invoice.client) if self.register else None
        terms = None if client is None else _terms(invoice, today)
        if terms is None:
            return None, "", ()
        end, payments = terms
        b2b, due = client.b2b, invoice.due
        indemnity = self._indemnity if b2b and end > due else ZERO
        if b2b or self._from_due:
            start = due + _DAY
        else:
            notice = self.notices.get(invoice.number)
            if notice is None:
                return indemnity + ZERO_CENTS, "", ()
            start = max(notice, due) + _DAY
        paid_day, paid = payments[0] if payments and payments[0][0] <= end else (None, ZERO)
        key = (start, end, b2b, paid_day)
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = self._shape(start, end, b2b, paid_day)
        if isinstance(shape, str):  # no rate: the interest has no figure, the 40 € still has one
            return (indemnity + ZERO_CENTS if indemnity else None), shape, ()
        segments, warnings = shape
        amount, interest, mul = invoice.amount, Decimal(0), _CONTEXT.multiply
        for after_payment, rate, days in segments:  # late_penalty's expression, operation by operation
            base = _CONTEXT.subtract(amount, paid) if after_payment else amount
            interest = _CONTEXT.add(interest, _CONTEXT.divide(mul(mul(base, rate), days), _DENOMINATOR))
        return interest.quantize(CENT, rounding=ROUND_HALF_UP) + indemnity, "", warnings

    def _shape(self, start: date, end: date, b2b: bool, paid_day: date | None) -> tuple[tuple, tuple[str, ...]] | str:
        """What `late_penalty` would cut [start, end] into: (after the payment?, rate, days) per period.

        Periods end at each 30 Jun / 31 Dec and on the payment day (the base drops the day after);
        each takes its half-year's rate, probed once through `late_penalty` itself.
        """
        if start > end:  # e.g. a notice dated after `as_of`: no accrual day
            return (), ()
        cuts = {paid_day + _DAY} if paid_day is not None else set()
        boundary = date(start.year, 7, 1) if start.month <= 6 else date(start.year + 1, 1, 1)
        while boundary <= end:
            cuts.add(boundary)
            boundary = date(boundary.year, 7, 1) if boundary.month == 1 else date(boundary.year + 1, 1, 1)
        edges = [start, *sorted(c for c in cuts if start < c <= end), end + _DAY]
        segments, warnings = [], ()
        for first, after in zip(edges, edges[1:]):
            rate = self._half_rate(first, b2b)
            if isinstance(rate, str):
                return rate
            warnings += tuple(w for w in rate[1] if w not in warnings)
            segments.append((paid_day is not None and paid_day < first, rate[0], (after - first).days))
        return tuple(segments), warnings

    def _half_rate(self, day: date, b2b: bool) -> tuple[Decimal, tuple[str, ...]] | str:
        """Rate (and warnings) of `day`'s half-year, from a one-day `late_penalty`; or the error text."""
        key = (day.year, day.month <= 6, b2b)
        found = self._rates_by_half.get(key)
        if found is None:
            first = date(day.year, 1 if day.month <= 6 else 7, 1)
            probe = Invoice("probe", "", first - _DAY, Decimal(1))
            result = self.penalty(probe, Client("", "", b2b=b2b), first, notice=first - _DAY)
            found = result if isinstance(result, str) else (result.segments[0].rate, result.warnings)
            self._rates_by_half[key] = found
        return found


_TEXTS = {
    "fr": {"b2b": "Pénalités de retard (art. L441-10 C. com.) à compter du {start} : montant à parfaire",
           "b2c": "Intérêts au taux légal applicable à compter du {start} : montant à parfaire",
           "date": "dd/MM/yyyy"},
    "en": {"b2b": "Late-payment penalties (French Commercial Code, art. L441-10) from {start}: amount to be "
                  "determined", "b2c": "Interest at the applicable French statutory rate from {start}: amount "
                  "to be determined", "date": "medium"},
}


def claim_lines(claim: Claim, locale: str = "fr_FR") -> list[str]:
    """The penalty lines of one invoice, for an email or a letter: `describe()` when there is a figure;
    otherwise the interest claimed without a figure ("montant à parfaire") and the indemnity, which
    needs no rate. Empty when nothing is owed for lateness (e.g. a consumer before any notice).
    """
    if claim.penalty is not None:
        return describe(claim.penalty, locale)
    if not claim.error:
        return []
    text = _TEXTS["en" if locale.startswith("en") else "fr"]
    lines = [text["b2b" if claim.b2b else "b2c"].format(
        start=format_date(claim.interest_from, text["date"], locale=locale))] if claim.interest_from else []
    if claim.indemnity:
        lines += describe(Penalty(ZERO, claim.indemnity, (), (), 1, claim.b2b), locale)
    return lines
