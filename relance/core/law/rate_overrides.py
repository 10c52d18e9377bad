"""Updating the rate table is a command, not a code change: `relance rates` and `relance rates set`.

Twice a year (1 January, 1 July) the ECB rate and the taux légal of the new half-year must be
added before late-payment interest can be computed (`rate_table`: never a guess). Staff check the
figures at the official source, then run::

    relance rates set 2026-H2 --bce 2.40 --legal-pro 3.10 --legal-other 6.xx --source "https://…"

which writes ``[penalties.rates."2026-H2"]`` into config.toml (values typed there count as
confirmed), keeping every other line and comment of the file: `with_override` edits the TOML
document with tomlkit, a round-trip writer, and rejects what `RateTable` would reject.

`rows` is what ``relance rates`` prints: every half-year in force, with where each came from.
Pure: text in, text out; the command does the reading and the writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import tomlkit

from relance.core.law.rate_table import RATE_NAMES, RateTable, _parse_half, _rate_value, half_year_of

PACKAGED = "rates.toml"  # the table shipped with relance (relance/data/rates.toml)
CONFIG = "config.toml"


@dataclass(frozen=True, slots=True)
class RateRow:
    """One half-year as `relance rates` shows it; ``None`` = not known (interest « à parfaire »)."""

    half: str
    ecb_refi: Decimal | None
    legal_professional: Decimal | None
    legal_consumer: Decimal | None
    confirmed: bool
    origin: str  # PACKAGED or CONFIG
    source: str  # the first source given for the half-year, "" when none


def rows(table: RateTable, overrides: Mapping[str, object], today: date) -> list[RateRow]:
    """Every half-year of `table`, oldest first, plus today's half-year when the table lacks it."""
    found = []
    for half in sorted(set(table) | {half_year_of(today)}):
        row = table.get(half)
        if row is None:
            found.append(RateRow(half, None, None, None, False, "", ""))
            continue
        found.append(RateRow(half, row.ecb_refi, row.legal_professional, row.legal_consumer, row.confirmed,
                             CONFIG if half in overrides else PACKAGED, row.sources[0] if row.sources else ""))
    return found


def normalise(value: str) -> str:
    """ "2,40" -> "2.40": the form config.toml and the rate table read."""
    return str(Decimal(str(value).strip().replace(",", ".")))


def with_override(text: str, half: str, values: Mapping[str, str], source: str) -> str:
    """config.toml's `text` with ``[penalties.rates."<half>"]`` set to `values` (rate name -> "2.40").

    Rates already written there for `half` and not given now are kept; `source` is added to its
    ``sources`` list. Raises ValueError (French) for a bad half-year, rate or TOML file.
    """
    _parse_half(half)
    if not values:
        raise ValueError("aucun taux donné : indiquez au moins --bce, --legal-pro ou --legal-other")
    for name, value in values.items():
        if name not in RATE_NAMES:
            raise ValueError(f"taux inconnu « {name} »")
        _rate_value(value, half, name)
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ValueError(f"config.toml illisible : {exc}") from None
    penalties = doc.get("penalties")
    if penalties is None:
        penalties = doc["penalties"] = tomlkit.table()
    rates = penalties.get("rates")
    if rates is None:
        rates = tomlkit.table(is_super_table=True)
        penalties.append("rates", rates)
    old = rates.get(half)
    old = old.unwrap() if old is not None else {}
    entry = tomlkit.table()  # rebuilt in a fixed order: the rates, then their sources, then a blank line
    for name in RATE_NAMES:
        if name in values:
            entry[name] = normalise(values[name])
        elif name in old:
            entry[name] = old[name]
    if "confirmed" in old and old["confirmed"] is not False:  # typed by a human who checked: confirmed
        entry["confirmed"] = old["confirmed"]
    sources = old.get("sources", [])
    sources = [sources] if isinstance(sources, str) else list(sources)
    for key in ("ecb_sources", "legal_sources"):
        if key in old:
            entry[key] = old[key]
    if source and source not in sources:
        sources.append(source)
    if sources:
        entry["sources"] = sources
    entry.add(tomlkit.nl())
    if half in rates:
        rates[half] = entry
    else:
        rates.append(half, entry)
    result = tomlkit.dumps(doc)
    RateTable.load_default().with_overrides(tomlkit.parse(result)["penalties"]["rates"].unwrap())  # validates
    return result
