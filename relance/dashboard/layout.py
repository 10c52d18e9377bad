"""A bot-owned tab as it should look: typed cells, bold rows, widths and charts.

Backend-neutral on purpose: the same `SheetLayout` renders as openpyxl cells and
charts in a .xlsx (`backends/xlsx_summary.py`) and as values plus one
``spreadsheets.batchUpdate`` in Google Sheets (`backends/sheets_summary.py`).
A plain list of rows would lose what a manager needs to read the tab: which
number is euros, which is a rate, which row is a header, where the charts go.

A cell's meaning is its type, so no backend has to guess:
``Decimal`` = euros, `Percent` = a fraction shown as a percentage, `Days` = a
number of days, ``date``/``datetime``, ``int`` = a count, ``str`` = text. Nothing
is a float, and every value is data, never a formula.

Rows and columns are 0-based here (row 0 is the tab's first row); backends add
one where their API counts from 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

BAR, LINE = "bar", "line"

# Number format codes per cell kind, shared by the xlsx and Google Sheets renderers. The codes are
# locale-neutral: a French Excel, LibreOffice or Sheets shows « 1 234,56 € », « 62,5 % », « 45,2 j ».
NUMBER_FORMATS = {"money": '#,##0.00 "€"', "percent": "0.0 %", "days": '0.0 "j"', "count": "#,##0",
                  "date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm"}


@dataclass(frozen=True, slots=True)
class Percent:
    """A fraction (0.625) shown as a percentage (62,5 %)."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class Days:
    """A number of days, possibly fractional (45,2 j)."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class Column:
    """Cells ``first_row..last_row`` (inclusive) of one column of tab `tab`."""

    tab: str
    column: int
    first_row: int
    last_row: int


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """One single-series chart: `kind` is `BAR` (vertical columns) or `LINE`.

    `anchor` is the (row, column) of the top-left cell it floats over, on the
    tab of the layout that holds it; `categories` and `values` may point to
    another tab (the DSO line reads Historique)."""

    kind: str
    title: str
    categories: Column
    values: Column
    series_name: str
    anchor: tuple[int, int]
    x_title: str = ""
    y_title: str = ""
    width_cm: float = 16.0
    height_cm: float = 7.5


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """A tab rewritten whole: `rows` of typed values (None = empty cell)."""

    title: str
    rows: tuple[tuple[Any, ...], ...]
    header_rows: frozenset[int] = frozenset()   # bold, shaded: column headings
    title_rows: frozenset[int] = frozenset()    # bold, larger: section titles
    widths: tuple[int, ...] = ()                # column widths in characters
    charts: tuple[ChartSpec, ...] = ()
    freeze_rows: int = 0                        # rows kept visible when scrolling


def cell_kind(value: Any) -> str:
    """The display kind of a layout value: money, percent, days, date, datetime, count, text or empty."""
    from datetime import date, datetime
    if value is None:
        return "empty"
    if isinstance(value, Percent):
        return "percent"
    if isinstance(value, Days):
        return "days"
    if isinstance(value, Decimal):
        return "money"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, bool) or not isinstance(value, int):
        return "text"
    return "count"
