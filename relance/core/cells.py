"""Cell values -> Python values, accepting what staff really type.

Dates arrive as spreadsheet serial numbers (Google Sheets UNFORMATTED_VALUE), as
`datetime` (openpyxl), or as text: ``25/11/2026`` (day first, the French habit),
``2026-11-25``, ``25 novembre 2026``. Amounts arrive as numbers or as
``1 234,56 €``, ``1234.56``, ``1.234,56``; a dot followed by exactly three digits is the French
thousands separator (``1.500`` = 1 500, never 1,50) or, when it cannot be (``0.500``), an ambiguity.
A cell that cannot be read becomes a
`RowProblem` naming tab, cell and column; it never stops the run, and the invoice
concerned is simply not chased until it is fixed.

Example: ``parse_amount("1 234,56 €") == Decimal("1234.56")``;
``parse_date("05/11/2026") == date(2026, 11, 5)``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parseaddr
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from dateutil import parser as dateparser

from relance.core import schema
from relance.core.model import CENT

SERIAL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel and Google Sheets serial dates
MIN_YEAR, MAX_YEAR = 1990, 2100
MAX_AMOUNT = Decimal("1e12")
MAX_TEXT = 2000


class FrenchParserInfo(dateparser.parserinfo):
    """dateutil with French month and day names, so ``25 novembre 2026`` reads."""

    MONTHS = [
        ("Jan", "January", "janv", "janvier"), ("Feb", "February", "fév", "févr", "fevr", "février", "fevrier"),
        ("Mar", "March", "mars"), ("Apr", "April", "avr", "avril"), ("May", "mai"), ("Jun", "June", "juin"),
        ("Jul", "July", "juil", "juillet"), ("Aug", "August", "août", "aout"),
        ("Sep", "Sept", "September", "septembre"), ("Oct", "October", "octobre"),
        ("Nov", "November", "novembre"), ("Dec", "December", "déc", "décembre", "decembre"),
    ]
    WEEKDAYS = [
        ("Mon", "Monday", "lundi"), ("Tue", "Tuesday", "mardi"), ("Wed", "Wednesday", "mercredi"),
        ("Thu", "Thursday", "jeudi"), ("Fri", "Friday", "vendredi"), ("Sat", "Saturday", "samedi"),
        ("Sun", "Sunday", "dimanche"),
    ]
    JUMP = dateparser.parserinfo.JUMP + ["le", "er"]

    def __init__(self) -> None:
        super().__init__(dayfirst=True)


_PARSERINFO = FrenchParserInfo()
_PROBE_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


class Unreadable:
    """A cell whose value the file does not hold (the xlsx reader's formula never computed): unknown, never text.

    Why here: the core must refuse such a cell in a text column too (an invoice number or an email), and it
    cannot import the adapters; they subclass this marker."""

    __slots__ = ()


# what a spreadsheet shows for a formula that failed (Excel, LibreOffice and Google Sheets alike)
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#ERROR!"})


def unreadable(value: Any) -> str:
    """Why a cell holds no usable value ('' when it does): a formula in error or never computed.

    Why: such a text cell used to be read as its text, so an invoice numbered « #REF! » was reminded and an
    email « #N/A » sent the client to letters; the value is unknown, so the row must wait for a human."""
    if isinstance(value, Unreadable):
        return str(value)
    if type(value) is str and value[:1] == "#" and value.strip().upper() in ERROR_VALUES:
        return f"erreur de formule « {value.strip()} » (corrigez la formule)"
    return ""


def clean_text(value: Any) -> str:
    """Cell -> text without control characters (they break mail headers and logs)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isprintable():  # rare: the per-character scan only runs when something is odd
        text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()


def parse_datetime(value: Any) -> datetime | None:
    """Cell -> naive datetime (None for a blank cell); ValueError with a French message."""
    if type(value) is float and 1 <= value < 2958466:  # Google Sheets' serial date-time: the common case first
        result = (SERIAL_EPOCH + timedelta(days=value)).replace(microsecond=0)
    elif value is None or (isinstance(value, str) and not value.strip()):
        return None
    elif isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time())
    elif isinstance(value, bool):
        raise ValueError(f"date illisible « {value} »")
    elif isinstance(value, (int, float)):
        if not math.isfinite(value) or not 1 <= value < 2958466:
            raise ValueError(f"date illisible « {value} »")
        result = SERIAL_EPOCH + timedelta(days=float(value))
        result = result.replace(microsecond=0)
    elif isinstance(value, str):
        result = _parse_date_text(clean_text(value))
    else:
        raise ValueError(f"date illisible « {value!r} »")
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise ValueError(f"date improbable « {result:%d/%m/%Y} » (attendu entre {MIN_YEAR} et {MAX_YEAR})")
    return result


def _parse_date_text(text: str) -> datetime:
    shown = text if len(text) <= 40 else text[:40] + "…"
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # a serial number shown as text
        return parse_datetime(float(text))  # type: ignore[return-value]
    if re.match(r"\d{4}-\d{2}-\d{2}", text):  # ISO: never let dayfirst swap month and day
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            raise ValueError(f"date illisible « {shown} »") from None
    try:
        first, second = (dateparser.parse(text, parserinfo=_PARSERINFO, default=d) for d in _PROBE_DEFAULTS)
    except (ValueError, OverflowError, dateparser.ParserError):
        raise ValueError(f"date illisible « {shown} » (attendu JJ/MM/AAAA)") from None
    if first.date() != second.date():  # day, month or year was missing and got filled in
        raise ValueError(f"date incomplète « {shown} » (attendu JJ/MM/AAAA)")
    return first.replace(tzinfo=None)


_SERIAL_ORDINAL = SERIAL_EPOCH.toordinal()
_SERIAL_RANGE = (date(MIN_YEAR, 1, 1).toordinal() - _SERIAL_ORDINAL, date(MAX_YEAR, 12, 31).toordinal() - _SERIAL_ORDINAL)


def parse_date(value: Any) -> date | None:
    if type(value) in (int, float) and _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1] and value == int(value):
        return date.fromordinal(_SERIAL_ORDINAL + int(value))  # what Google Sheets sends: a whole serial day
    result = parse_datetime(value)
    return result.date() if result else None


FUTURE_YEARS = 10  # a date further ahead than this is a typo (« 31/12/9999 »), not a plan
_DATE_IN_TEXT = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4,})\b|\b(\d{4,})-(\d{1,2})-(\d{1,2})\b")


def plausible(day: date, today: date) -> bool:
    """Within the sane window: not before MIN_YEAR, not more than FUTURE_YEARS years after today."""
    return date(MIN_YEAR, 1, 1) <= day and day.year <= today.year + FUTURE_YEARS


def implausible_date_in(text: str, today: date | None) -> str:
    """The first date written in free text (a Journal comment) whose year is outside the sane window, or ''.

    Why: a promise « 31/12/9999 » once made every plan fail with OverflowError; such a row must be a
    problem on its own line instead."""
    for match in _DATE_IN_TEXT.finditer(text or ""):
        year = int(match.group(3) or match.group(4))
        latest = today.year + FUTURE_YEARS if today else MAX_YEAR
        if not MIN_YEAR <= year <= latest:
            return match.group(0)
    return ""


def parse_amount(value: Any) -> Decimal | None:
    """Cell -> Decimal rounded to the cent (None for blank); ValueError when unreadable."""
    if type(value) is float and -1e12 < value < 1e12:  # what Google Sheets sends: the common case first
        return Decimal(repr(value)).quantize(CENT)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"montant illisible « {value} »")
    if isinstance(value, (int, float, Decimal)):
        try:
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise ValueError(f"montant illisible « {value} »") from None
    elif isinstance(value, str):
        amount = _parse_amount_text(clean_text(value))
    else:
        raise ValueError(f"montant illisible « {value!r} »")
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise ValueError(f"montant improbable « {value} »")
    return amount.quantize(CENT)


def _parse_amount_text(text: str) -> Decimal:
    shown = text if len(text) <= 40 else text[:40] + "…"
    core = re.sub(r"(?i)(eur|euros?|€)", "", text)
    core = re.sub(r"\s", "\u202f", core.strip())  # every kind of space is a French group separator
    if not core or re.search(r"[^\d\u202f,.\-+]", core):
        raise ValueError(f"montant illisible « {shown} »")
    if "," not in core and re.search(r"\.\d{3}$", core):  # « 1.500 »: French thousands, never 1,50 €
        if re.fullmatch(r"[-+]?[1-9]\d{0,2}(\.\d{3})+", core):
            return Decimal(core.replace(".", ""))
        raise ValueError(f"montant ambigu « {shown} » : tapez 1500 ou 1 500 (milliers) ou 1,50 (centimes)")
    for locale in ("fr_FR", "de_DE", "en_US"):  # French first: « 12,345 » is twelve euros and change
        try:
            return parse_decimal(core, locale=locale, strict=True)
        except (NumberFormatError, InvalidOperation, ValueError):
            continue
    raise ValueError(f"montant illisible « {shown} »")


_TRUE = {"oui", "o", "yes", "y", "true", "vrai", "1", "x"}
_FALSE = {"non", "n", "no", "false", "faux", "0"}


def parse_bool(value: Any, default: bool) -> bool:
    text = schema.normalise(clean_text(value))
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"attendu Oui ou Non, trouvé « {clean_text(value)[:40]} »")


def parse_choice(value: Any, choices: tuple[str, ...], aliases: dict[str, str] | None = None) -> str:
    """Case- and accent-insensitive match of a drop-down value ('' for blank)."""
    text = clean_text(value)
    if not text:
        return ""
    wanted = schema.normalise(text)
    for choice in choices:
        if schema.normalise(choice) == wanted:
            return choice
    for alias, choice in (aliases or {}).items():
        if schema.normalise(alias) == wanted:
            return choice
    raise ValueError(f"valeur inconnue « {text[:40]} » (attendu : {', '.join(choices)})")


KIND_ALIASES = {"Particulier": "B2C", "Consommateur": "B2C", "Consumer": "B2C", "BtoC": "B2C", "B to C": "B2C",
                "Pro": "B2B", "Professionnel": "B2B", "Entreprise": "B2B", "Société": "B2B", "Business": "B2B",
                "BtoB": "B2B", "B to B": "B2B"}
LANGUAGE_ALIASES = {"français": "fr", "francais": "fr", "french": "fr", "anglais": "en", "english": "en"}


def company_number(text: str) -> str:
    """A valid SIREN (9 digits) or SIRET (14 digits), checked with Luhn by python-stdnum; '' otherwise.

    Why: a valid company number is the one fact in a Clients row that proves a business, so a blank
    `Type` may be read as B2B from it, never from nothing (penalties and the 40 € are B2B only)."""
    from stdnum.fr import siren, siret
    digits = re.sub(r"[\s.\-]", "", text or "")
    if siren.is_valid(digits) or siret.is_valid(digits):
        return digits
    return ""


STATUS_ALIASES = {"Paid": "Payée", "Payé": "Payée", "Réglée": "Payée", "Cancelled": "Annulée", "Canceled": "Annulée",
                  "Disputed": "Litige", "Dispute": "Litige", "Paused": "Pause", "On hold": "Pause",
                  "Payment plan": "Échéancier", "Echeancier": "Échéancier",
                  "Direct debit failed": "Prélèvement rejeté", "Rejet prélèvement": "Prélèvement rejeté"}
SEGMENT_ALIASES = {"Strategic": "Stratégique", "Key account": "Stratégique", "Individual": "Particulier",
                   "Consumer": "Particulier"}


_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9._+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


def valid_email(text: str) -> bool:
    """One plain address, no display name, no header-splitting characters."""
    if not text or any(ch in text for ch in "\r\n,;<>\"' "):
        return False
    if _PLAIN_EMAIL.fullmatch(text):  # the usual shape, which parseaddr (15 µs) always accepts as is
        return True
    _, address = parseaddr(text)
    return address == text and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) is not None


def split_list(text: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s,;]+", text) if part)
