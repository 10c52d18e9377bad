"""The one CSV convention of every command: what a French Excel opens without an import wizard.

Separator ``;`` and decimal comma (``1234,56``): French Excel and LibreOffice split on ``;``
and read ``1234,56`` as a number, where ``1234.56`` would become text or a date. The same
convention as the collection dossier's CSV files (`documents.dossier`), so a manager who
opens any file relance wrote sees the same thing. Dates stay ISO (``2026-11-25``), which
Excel reads whatever the locale. JSON output keeps ``1234.56`` (a number for programs).

Only the columns named numeric are converted: an invoice number such as ``2026.11`` is
an identifier and stays as typed.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Iterable, Mapping

SEPARATOR = ";"
_DECIMAL = re.compile(r"-?\d+\.\d+")


def decimal_comma(value: object) -> str:
    """``1234.56`` -> ``1234,56``; anything else as text ('' for None)."""
    text = "" if value is None else str(value)
    return text.replace(".", ",") if _DECIMAL.fullmatch(text) else text


def to_csv(fieldnames: Iterable[str], rows: Iterable[Mapping], numeric: Iterable[str] = ()) -> str:
    """Rows as CSV text in the convention above (header first; `numeric` columns get a decimal comma)."""
    fieldnames, numeric = list(fieldnames), set(numeric)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames, delimiter=SEPARATOR, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: decimal_comma(v) if k in numeric else v for k, v in row.items()})
    return buffer.getvalue()
