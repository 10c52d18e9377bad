"""Tabs relance rewrites whole (Mémoire, Synthèse, Historique), and the staff tab that may bear the name. Pure.

A staff tab made before relance created its own — a memo, their own summary, a history of calls — would be
wiped by the next run. Each owner says how it recognises its own tab (`ours`); the frame, the wording and
what staff see are one here, so every such tab is refused the same way.
"""

from __future__ import annotations

from typing import Callable

from relance.core import cells
from relance.core.model import RawTab


def first_texts(raw: RawTab | None) -> list[str]:
    """The first non-empty text of each non-empty row: what the tab visibly holds."""
    texts = ([cells.clean_text(v) for v in row] for row in (raw.rows if raw else []))
    return [next(t for t in row if t) for row in texts if any(row)]


def foreign(raw: RawTab | None, ours: Callable[[RawTab, list[str]], bool], writes: str, then: str) -> str:
    """Why `raw` is not relance's tab ('' when it is, or is absent or empty): « l'onglet « X » n'est pas celui
    de relance (il contient « … ») : relance y `writes` et l'écraserait`then` »."""
    firsts = first_texts(raw)
    if not firsts or ours(raw, firsts):
        return ""
    return (f"l'onglet « {raw.title} » n'est pas celui de relance (il contient « {firsts[0][:40]} ») : relance y "
            f"{writes} et l'écraserait{then}")
