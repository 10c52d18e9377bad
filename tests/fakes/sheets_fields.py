"""Google's partial-response ``fields`` masks, applied to an answer as Google does.

Why: relance asks ``spreadsheets.get`` for a few fields only; Google then leaves out
everything else, and never sends a property at its default (``frozenRowCount: 0``,
``hidden: false``). Code that indexes a field Google omits must fail here first.

Syntax (https://developers.google.com/sheets/api/guides/field-masks and
https://cloud.google.com/apis/docs/system-parameters): comma-separated paths, ``a.b``
or ``a/b`` for a sub-field, ``a(b,c)`` for several sub-fields, ``*`` for all. Lists
are masked element by element. As recorded in gspread's cassettes, an object named by
the mask is kept even when nothing of it remains (``"properties": {}``), an absent one
stays absent, and list elements stay in place as ``{}``.
"""
from __future__ import annotations

from typing import Any

Mask = dict[str, "Mask"]  # {} = the whole value


def parse(text: str) -> Mask:
    """``"a,b(c,d.e)"`` -> ``{"a": {}, "b": {"c": {}, "d": {"e": {}}}}``."""
    mask: Mask = {}
    position = _parse_into(mask, text.replace(" ", ""), 0)
    if position != len(text.replace(" ", "")):
        raise ValueError(f"unbalanced parentheses in fields mask {text!r}")
    return mask


def _parse_into(mask: Mask, text: str, i: int) -> int:
    while i < len(text):
        if text[i] == ")":
            return i
        if text[i] == ",":
            i += 1
            continue
        j = i
        while j < len(text) and text[j] not in ",()":
            j += 1
        node = mask
        parts = [p for p in text[i:j].replace("/", ".").split(".") if p]
        for part in parts:
            node = node.setdefault(part, {}) if node is not None else None
        if j < len(text) and text[j] == "(":
            sub: Mask = {}
            j = _parse_into(sub, text, j + 1)
            if j >= len(text) or text[j] != ")":
                raise ValueError(f"unbalanced parentheses in fields mask {text!r}")
            j += 1
            if node is not None and sub:
                _merge(node, sub)
        i = j
    return i


def _merge(into: Mask, more: Mask) -> None:
    for key, sub in more.items():
        if key in into and into[key] and sub:
            _merge(into[key], sub)
        else:
            into[key] = {} if (key in into and not into[key]) or not sub else sub


def apply(value: Any, mask: Mask) -> Any:
    """`value` reduced to what `mask` names."""
    if not mask or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    return {key: apply(value[key], sub) for key, sub in mask.items() if key in value}
