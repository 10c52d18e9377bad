"""Config values that name something (a zone, a country, a stage, a segment): checked, with a suggestion.

A typo in such a value used to be accepted silently (``human_stage = "renforcée"``: the key is
``renforcee``, and strategic accounts got robot emails) or to crash every command later with a
traceback (``timezone = "Europe/Pari"``, ``holidays = "XX"``). Each check raises ValueError with
the known names' closest match (difflib), accents and case forgiven:
« … ; vouliez-vous dire « renforcee » ? ».
"""

from __future__ import annotations

import difflib
from typing import Any


def text_value(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"du texte entre guillemets est attendu, trouvé {value!r}")
    return value


def did_you_mean(value: Any, known: Any) -> str:
    """`` ; vouliez-vous dire « renforcee » ?`` when a known name is close to `value` ('' otherwise).
    Accents and case are forgiven in the comparison (« renforcée » finds ``renforcee``)."""
    import unicodedata

    def plain(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    names = {plain(str(k)): str(k) for k in known}
    close = difflib.get_close_matches(plain(str(value)), list(names), n=1, cutoff=0.6)
    return f" ; vouliez-vous dire « {names[close[0]]} » ?" if close else ""


def timezone(value: Any) -> str:
    """An IANA zone such as "Europe/Paris": a misspelt one used to crash every command with a traceback."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones
    text = text_value(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"fuseau horaire inconnu « {text} » (attendu un nom IANA comme \"Europe/Paris\")"
                         + did_you_mean(text, available_timezones())) from None
    return text


def country(value: Any) -> str:
    """A country code the `holidays` package knows ("FR"); "XX" used to crash every plan with a traceback."""
    import holidays
    text = text_value(value)
    supported = holidays.list_supported_countries()
    if text not in supported:
        raise ValueError(f"pays inconnu « {text} » pour les jours fériés (attendu un code comme \"FR\", \"BE\", "
                         f"\"CH\", \"LU\")" + did_you_mean(text, supported)) from None
    return text


def stage_name(value: str, stages: list[tuple[str, str]]) -> str:
    """`value` must be a stage key of the ladder (`stages` = (key, label) pairs); '' means none."""
    keys = [key for key, _ in stages]
    if value and value not in keys:
        raise ValueError(f"étape inconnue « {value} » (étapes : {', '.join(keys)})"
                         + did_you_mean(value, keys + [label for _, label in stages]))
    return value
