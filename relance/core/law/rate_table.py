"""The dated rate table behind late-payment interest: ECB MRO rate and taux légal, per half-year.

The figures live in ``relance/data/rates.toml`` (data, not code, each with its sources); config may add or
correct half-years under ``[penalties.rates."YYYY-Hn"]``. A rate that is missing, or only reported by
secondary sources, is never guessed: `RateTable.require` raises `RateTableOutOfDate`, whose message says
which rate of which half-year to add and where, unless the caller accepts unconfirmed figures, in which
case it returns a warning to carry in the result.

>>> table = RateTable.load_default()
>>> table["2025-H2"].ecb_refi, table["2025-H2"].legal_professional
(Decimal('2.15'), Decimal('2.76'))
>>> table.require("2026-H1", "ecb_refi")
(Decimal('2.15'), None)
>>> table.with_overrides({"2026-H2": {"ecb_refi": "2.40"}}).require("2026-H2", "ecb_refi")
(Decimal('2.40'), None)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from babel.numbers import format_decimal

RATE_NAMES = ("ecb_refi", "legal_consumer", "legal_professional")
_HALF = re.compile(r"(\d{4})-H([12])")
_ROW_KEYS = frozenset(RATE_NAMES) | {"confirmed", "sources", "ecb_sources", "legal_sources"}
_LABELS = {
    "ecb_refi": "le taux BCE des opérations principales de refinancement",
    "legal_consumer": "le taux de l'intérêt légal « particulier »",
    "legal_professional": "le taux de l'intérêt légal « autres cas » (professionnel)",
}
_ECB_PAGE = "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/key_ecb_interest_rates/html/index.en.html"
_ARRETE = "URL de l'arrêté fixant le taux de l'intérêt légal (Journal officiel, Légifrance)"


def half_year_of(day: date) -> str:
    """The half-year key ("2026-H1") whose rate applies to `day` (L441-10: 1 Jan and 1 Jul rates)."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def _parse_half(half: str) -> tuple[int, int]:
    match = _HALF.fullmatch(half) if isinstance(half, str) else None
    if not match:
        raise ValueError(f"semestre « {half} » illisible : attendu AAAA-H1 ou AAAA-H2, par ex. \"2026-H2\"")
    return int(match[1]), int(match[2])


def reference_day(half: str) -> str:
    """ "1er juillet 2025": the day whose ECB rate applies to `half` (L441-10 II), for messages."""
    year, n = _parse_half(half)
    return f"1er {'janvier' if n == 1 else 'juillet'} {year}"


def format_rate(rate: Decimal) -> str:
    """A rate the French way, at least two decimals: "2,15", "0,00", "12,125"."""
    return format_decimal(rate, format="#,##0.00##", locale="fr_FR")


@dataclass(frozen=True, slots=True)
class HalfYearRates:
    """The rates (annual %) in force for one half-year, and where they were read. ``None`` = not known.

    ``confirmed`` is False when some rate present is only reported by secondary sources. ``unconfirmed``
    names those rates, so that a config override confirming one rate does not vouch for the others; left
    empty with ``confirmed=False``, it means every rate present.
    """

    half: str
    ecb_refi: Decimal | None
    legal_consumer: Decimal | None
    legal_professional: Decimal | None
    confirmed: bool
    sources: tuple[str, ...]
    unconfirmed: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _parse_half(self.half)
        if self.confirmed and self.unconfirmed:
            raise ValueError(f"{self.half} : confirmed=True mais {sorted(self.unconfirmed)} non confirmés")
        if not self.unconfirmed <= set(RATE_NAMES):
            raise ValueError(f"{self.half} : taux inconnus {sorted(self.unconfirmed - set(RATE_NAMES))}")
        if not self.confirmed and not self.unconfirmed:
            present = frozenset(n for n in RATE_NAMES if getattr(self, n) is not None)
            object.__setattr__(self, "unconfirmed", present)


class RateTableOutOfDate(Exception):
    """A rate needed for a computation is missing or unconfirmed: the table must be updated, never guessed.

    Attributes ``half`` ("2026-H2"), ``rate`` (one of `RATE_NAMES`) and ``value`` (the unconfirmed figure,
    or None when the rate is missing) let a caller build its own message; ``str()`` is a full French one.
    """

    def __init__(self, half: str, rate: str, value: Decimal | None = None, updated: date | None = None):
        self.half, self.rate, self.value = half, rate, value
        what = f"{_LABELS[rate]} du semestre {half} (en vigueur au {reference_day(half)})"
        table = f"la table des taux (mise à jour le {updated})" if updated else "la table des taux"
        head = (f"Table des taux périmée : {what} est absent de {table}." if value is None else
                f"Taux non confirmé : {what} vaut {format_rate(value)} % selon des sources secondaires "
                f"seulement ; {table} ne l'utilise pas sans vérification (ou calculez avec allow_unconfirmed=True).")
        super().__init__(
            f"{head}\nVérifiez-le à la source officielle puis ajoutez-le à config.toml :\n"
            f"[penalties.rates.\"{half}\"]\n{rate} = \"{'x.xx' if value is None else value}\"\n"
            f"sources = [\"{_ECB_PAGE if rate == 'ecb_refi' else _ARRETE}\"]")


def _rate_value(raw: object, half: str, name: str) -> Decimal:
    """Parse a rate typed by a human: "2.40", "2,40", 2.40 (float read from TOML, via its shortest repr)."""
    try:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
            raise InvalidOperation
        value = Decimal(raw.strip().replace(",", ".") if isinstance(raw, str) else str(raw))
    except InvalidOperation:
        raise ValueError(f"[penalties.rates.\"{half}\"] {name} = {raw!r} : attendu un taux en %, "
                         f"par ex. \"2.40\"") from None
    if not value.is_finite() or (value < 0 and name != "ecb_refi"):  # only the ECB rate may go negative
        raise ValueError(f"[penalties.rates.\"{half}\"] {name} = {raw!r} : taux fini et positif attendu")
    return value


def _row(half: str, raw: Mapping[str, object], base: HalfYearRates | None) -> HalfYearRates:
    """One half-year from a mapping (packaged TOML or config override), laid over `base` if any.

    Rates given here are confirmed unless the mapping says ``confirmed = false``; rates kept from `base`
    keep their status.
    """
    if not isinstance(raw, Mapping):
        raise ValueError(f"[penalties.rates.\"{half}\"] : attendu une table de taux, pas {raw!r}")
    if unknown := set(raw) - _ROW_KEYS:
        raise ValueError(f"[penalties.rates.\"{half}\"] : clé(s) inconnue(s) {sorted(unknown)} ; "
                         f"clés possibles : {', '.join(sorted(_ROW_KEYS))}")
    confirmed = raw.get("confirmed", True)
    if not isinstance(confirmed, bool):
        raise ValueError(f"[penalties.rates.\"{half}\"] confirmed = {confirmed!r} : attendu true ou false")
    given = {n: _rate_value(raw[n], half, n) for n in RATE_NAMES if n in raw}
    sources: list[str] = []
    for key in ("sources", "ecb_sources", "legal_sources"):
        value = raw.get(key, ())
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
            raise ValueError(f"[penalties.rates.\"{half}\"] {key} : attendu une liste d'adresses")
        sources.extend(value)
    values = {n: getattr(base, n) if base else None for n in RATE_NAMES} | given
    kept = base.unconfirmed - given.keys() if base else frozenset()
    unconfirmed = kept if confirmed else kept | given.keys()
    return HalfYearRates(half, **values, confirmed=not unconfirmed, unconfirmed=unconfirmed,
                         sources=tuple(sources) + (base.sources if base else ()))


class RateTable(Mapping[str, HalfYearRates]):
    """Immutable mapping "YYYY-Hn" → `HalfYearRates`: the packaged table, optionally overridden by config."""

    __slots__ = ("_rows", "updated")
    half_year_of = staticmethod(half_year_of)

    def __init__(self, rows: Mapping[str, HalfYearRates], updated: date | None = None):
        object.__setattr__(self, "_rows", MappingProxyType(dict(sorted(rows.items()))))
        object.__setattr__(self, "updated", updated)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("RateTable is immutable: use with_overrides()")

    def __getitem__(self, half: str) -> HalfYearRates:
        return self._rows[half]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        span = f"{next(iter(self._rows))}…{next(reversed(self._rows))}" if self._rows else "empty"
        return f"RateTable({span}, updated={self.updated})"

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Mapping[str, object]], *, updated: date | None = None) -> RateTable:
        """Build from ``{"2026-H1": {"ecb_refi": "2.15", "legal_professional": "2.62", ...}, ...}``."""
        return cls({half: _row(half, raw, None) for half, raw in mapping.items()}, updated)

    @classmethod
    def load_default(cls) -> RateTable:
        """The table shipped in ``relance/data/rates.toml`` (read once per process; it never changes)."""
        return _default_table()

    def with_overrides(self, mapping: Mapping[str, Mapping[str, object]]) -> RateTable:
        """A copy with config's ``[penalties.rates."YYYY-Hn"]`` tables laid over (or added to) this one.

        Values typed in config count as confirmed: a human checked them, which is the only way to lift the
        refusal to use an unconfirmed figure without ``allow_unconfirmed``.
        """
        rows = dict(self._rows)
        for half, raw in mapping.items():
            rows[half] = _row(half, raw, rows.get(half))
        return RateTable(rows, self.updated)

    def require(self, half: str, rate: str, *, allow_unconfirmed: bool = False) -> tuple[Decimal, str | None]:
        """The `rate` of `half`, with a warning if it is unconfirmed; raise `RateTableOutOfDate` rather than guess."""
        if rate not in RATE_NAMES:
            raise ValueError(f"taux inconnu « {rate} » : attendu l'un de {', '.join(RATE_NAMES)}")
        row = self._rows.get(half)
        value = getattr(row, rate) if row else None
        if value is None:
            raise RateTableOutOfDate(half, rate, None, self.updated)
        if rate not in row.unconfirmed:
            return value, None
        if not allow_unconfirmed:
            raise RateTableOutOfDate(half, rate, value, self.updated)
        return value, (f"{half} : {_LABELS[rate]} ({format_rate(value)} %) n'est pas confirmé par une source "
                       f"officielle ; utilisé à la demande (allow_unconfirmed). À vérifier puis à confirmer dans "
                       f"[penalties.rates.\"{half}\"] de config.toml.")


@lru_cache(maxsize=1)
def _default_table() -> RateTable:
    text = resources.files("relance.data").joinpath("rates.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    return RateTable.from_mapping(doc["half_years"], updated=doc.get("updated"))

