"""Config converters: a raw TOML value -> a typed value, ``ValueError(message)`` when wrong; and `opt`,
which declares a key once (default, converter, help). Kept apart from config.py so each file stays small."""

from __future__ import annotations

import re
from dataclasses import field
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from relance.core.config_names import did_you_mean

# --- converters: raw TOML value -> typed value, ValueError(message) when wrong ---

def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text in quotes, got {value!r}")
    return value


def _int(lo: int | None = None, hi: int | None = None) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {value!r}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"expected a number between {lo} and {hi}, got {value}")
        return value
    return convert


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"expected an amount, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"expected an amount such as 5000 or \"12.5\", got {value!r}") from None
    if not result.is_finite() or result < 0:
        raise ValueError(f"expected a positive amount, got {value!r}")
    return result


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _choice(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(repr(c) for c in choices)}, got {value!r}"
                             + did_you_mean(value, choices))
        return value
    return convert


def _hhmm(value: Any) -> time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise ValueError(f"expected a time \"HH:MM\", got {value!r}")
    try:
        return time.fromisoformat(value.zfill(5))
    except ValueError:
        raise ValueError(f"expected a time \"HH:MM\", got {value!r}") from None


def _window(value: Any) -> tuple[time, time]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"expected two times such as [\"09:00\", \"18:00\"], got {value!r}")
    start, end = _hhmm(value[0]), _hhmm(value[1])
    if start >= end:
        raise ValueError(f"the window must start before it ends, got {value!r}")
    return start, end


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"expected a list of names such as [\"renforcee\"], got {value!r}")
    return tuple(v.strip() for v in value)


def _table(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"expected a table, got {value!r}")
    return value


def _b2b_rate(value: Any) -> str:
    """"ecb+10" (the L441-10 default) or a contractual annual rate in %, such as "15"."""
    if value == "ecb+10":
        return value
    try:
        rate = Decimal(str(value).strip().replace(",", ".")) if not isinstance(value, bool) else None
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or not 0 < rate <= 100:
        raise ValueError(f"expected \"ecb+10\" or a contractual annual rate in % such as \"15\", got {value!r}")
    return str(rate)


def _rates(value: Any) -> dict:
    """Rate-table overrides by half-year, checked now by the table itself (a typo must not wait for a letter)."""
    from relance.core.law.rate_table import RateTable
    RateTable.load_default().with_overrides(_table(value))  # its ValueError names the half-year and rate
    return value


def opt(default: Any, convert: Callable[[Any], Any], doc: str = "", toml: str = "") -> Any:
    """Declare a config key: its default, its converter, one line of help and, when
    Python needs another attribute name (``from``), its name in the file."""
    meta = {"convert": convert, "doc": doc, "toml": toml}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)
