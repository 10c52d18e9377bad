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
        raise ValueError(f"du texte entre guillemets est attendu, trouvé {value!r}")
    return value


def _int(lo: int | None = None, hi: int | None = None) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"un nombre entier est attendu, trouvé {value!r}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"un nombre entre {lo} et {hi} est attendu, trouvé {value}")
        return value
    return convert


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"un montant est attendu, trouvé {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"un montant est attendu, comme 5000 ou \"12.5\", trouvé {value!r}") from None
    if not result.is_finite() or result < 0:
        raise ValueError(f"un montant positif est attendu, trouvé {value!r}")
    return result


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"true ou false est attendu, trouvé {value!r}")
    return value


def _choice(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"l'une des valeurs {', '.join(repr(c) for c in choices)} est attendue, trouvé {value!r}"
                             + did_you_mean(value, choices))
        return value
    return convert


def _hhmm(value: Any) -> time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise ValueError(f"une heure \"HH:MM\" est attendue, trouvé {value!r}")
    try:
        return time.fromisoformat(value.zfill(5))
    except ValueError:
        raise ValueError(f"une heure \"HH:MM\" est attendue, trouvé {value!r}") from None


def _window(value: Any) -> tuple[time, time]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"deux heures sont attendues, comme [\"09:00\", \"18:00\"], trouvé {value!r}")
    start, end = _hhmm(value[0]), _hhmm(value[1])
    if start >= end:
        raise ValueError(f"le créneau doit commencer avant de finir, trouvé {value!r}")
    return start, end


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"une liste de noms est attendue, comme [\"renforcee\"], trouvé {value!r}")
    return tuple(v.strip() for v in value)


def _table(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"une table est attendue, trouvé {value!r}")
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
        raise ValueError(f"\"ecb+10\" ou un taux annuel contractuel en % est attendu, comme \"15\", trouvé {value!r}")
    return str(rate)


def _rates(value: Any) -> dict:
    """Rate-table overrides by half-year, checked now by the table itself (a typo must not wait for a letter)."""
    from relance.core.law.rate_table import RateTable
    RateTable.load_default().with_overrides(_table(value))  # its ValueError names the half-year and rate
    return value


# --- a TOML syntax error (tomllib's English message) -> French, with its line and column ---

_TOML_MESSAGES = (  # tomllib's wording (CPython 3.11+); an unknown one is kept as it is, after the position
    (r"Invalid statement", "ligne illisible"),
    (r"Expected newline or end of document after a statement", "fin de ligne attendue après la valeur"),
    (r"Expected '\]' at the end of a table declaration", "« ] » attendu à la fin du nom de section"),
    (r"Expected '\]\]' at the end of an array declaration", "« ]] » attendu à la fin du nom de section"),
    (r"Expected '=' after a key in a key/value pair", "« = » attendu après le nom de la clé"),
    (r"Invalid initial character for a key part", "caractère interdit au début d'un nom de clé"),
    (r"Expected (.+)", "{0} attendu"),
    (r"Found invalid character (.+)", "caractère interdit {0}"),
    (r"Cannot declare \('([^']*)',?\) twice", "section [{0}] déclarée deux fois"),
    (r"Cannot declare (.+) twice", "section {0} déclarée deux fois"),
    (r"Cannot overwrite a value", "valeur déjà donnée plus haut (clé en double)"),
    (r"Cannot (?:mutate immutable|redefine) namespace (.+)", "{0} déjà défini plus haut"),
    (r"Unclosed array", "liste non fermée : « ] » manquant"),
    (r"Unclosed inline table", "table non fermée : « } » manquant"),
    (r"Duplicate inline table key (.+)", "clé {0} en double dans la table"),
    (r"Unescaped '\\' in a string", "« \\ » seul dans un texte : écrivez « \\\\ » ou utilisez des guillemets simples"),
    (r"Invalid hex value", "code hexadécimal invalide"),
    (r"Escaped character is not a Unicode scalar value", "caractère échappé invalide"),
    (r"Unterminated string", "texte non fermé : guillemet manquant"),
    (r"Illegal character (.+)", "caractère interdit {0}"),
    (r"Invalid date or datetime", "date ou heure invalide"),
    (r"Invalid value", "valeur illisible"),
)


def toml_error(exc: Exception) -> str:
    """« ligne 3, colonne 10 : « ] » attendu à la fin du nom de section » for a tomllib error."""
    text = str(exc)
    where = ""
    found = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", text, re.S)
    if found:
        text, where = found[1], f"ligne {found[2]}, colonne {found[3]}"
    elif text.endswith(" (at end of document)"):
        text, where = text.removesuffix(" (at end of document)"), "à la fin du fichier"
    for pattern, french in _TOML_MESSAGES:
        match = re.fullmatch(pattern, text, re.S)
        if match:
            text = french.format(*match.groups())
            break
    return f"{where} : {text}" if where else text


def opt(default: Any, convert: Callable[[Any], Any], doc: str = "", toml: str = "") -> Any:
    """Declare a config key: its default, its converter, one line of help and, when
    Python needs another attribute name (``from``), its name in the file."""
    meta = {"convert": convert, "doc": doc, "toml": toml}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)
