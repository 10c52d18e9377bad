"""`SheetLayout`s (Synthèse, Historique) rendered into an openpyxl workbook.

Each tab is deleted and recreated at the same position, then filled with typed
cells in French formats (``1 234,56 €``, ``62,5 %``, ``45,2 j``, ``25/11/2026``:
the format codes are locale-neutral, Excel and LibreOffice show French
separators on a French system), bold shaded headers, column widths, and native
charts: a column chart of the aging buckets and a line chart of the DSO read
from Historique.

Charts are recreated on every write, because the tab holding them is: openpyxl
keeps a loaded chart only as far as it understands it, so rebuilding ours from
the layout is the only way to be sure they match the data.
"""

from __future__ import annotations

from typing import Any

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.data_source import AxDataSource, NumRef, StrRef
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from relance.core import schema
from relance.dashboard.layout import BAR, NUMBER_FORMATS, ChartSpec, Column, Days, Percent, SheetLayout
from relance.adapters.backends.xlsx import HEADER_FILL, rewrite_sheet, set_value

PERCENT_FORMAT, DAYS_FORMAT, COUNT_FORMAT = NUMBER_FORMATS["percent"], NUMBER_FORMATS["days"], NUMBER_FORMATS["count"]


def write_cell(cell: Cell, value: Any) -> None:
    """`set_value`, plus the layout's rates and days (a Decimal with its own number format)."""
    if isinstance(value, Percent):
        cell.value, cell.number_format = value.value, PERCENT_FORMAT
    elif isinstance(value, Days):
        cell.value, cell.number_format = value.value, DAYS_FORMAT
    elif isinstance(value, int) and not isinstance(value, bool):
        cell.value, cell.number_format = value, COUNT_FORMAT
    else:
        set_value(cell, value)


def write_layouts(workbook: openpyxl.Workbook, layouts: tuple[SheetLayout, ...]) -> dict[str, Worksheet]:
    """Rewrite every layout's tab, then add the charts (a chart may read another layout's tab)."""
    sheets = {layout.title: write_layout(workbook, layout) for layout in layouts}
    for layout in layouts:
        for spec in layout.charts:
            row, column = spec.anchor
            sheets[layout.title].add_chart(build_chart(workbook, spec), f"{get_column_letter(column + 1)}{row + 1}")
    return sheets


def write_layout(workbook: openpyxl.Workbook, layout: SheetLayout) -> Worksheet:
    sheet = rewrite_sheet(workbook, layout.title, [])
    for r, values in enumerate(layout.rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                write_cell(sheet.cell(row=r, column=c), value)
        if r - 1 in layout.header_rows:
            for c in range(1, len(values) + 1):
                cell = sheet.cell(row=r, column=c)
                cell.font, cell.fill = Font(name="Calibri", bold=True), HEADER_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="center")
        if r - 1 in layout.title_rows:
            sheet.cell(row=r, column=1).font = Font(name="Calibri", bold=True, size=15 if r == 1 else 12)
    for c, width in enumerate(layout.widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    if layout.freeze_rows:
        sheet.freeze_panes = f"A{layout.freeze_rows + 1}"
    return sheet


def _reference(workbook: openpyxl.Workbook, column: Column) -> Reference:
    title = schema.find_tab(workbook.sheetnames, schema.Tab(column.tab, ())) or column.tab
    return Reference(workbook[title], min_col=column.column + 1, max_col=column.column + 1,
                     min_row=column.first_row + 1, max_row=column.last_row + 1)


def build_chart(workbook: openpyxl.Workbook, spec: ChartSpec) -> BarChart | LineChart:
    """A native single-series chart: vertical columns in euros, or a line in days."""
    if spec.kind == BAR:
        chart = BarChart()
        chart.type = "col"
        chart.y_axis.number_format = '#,##0 "€"'
    else:
        chart = LineChart()
        chart.y_axis.number_format = "0"
        chart.x_axis.number_format = "dd/mm"
    chart.title = spec.title
    series = Series(_reference(workbook, spec.values), title=spec.series_name)
    categories = _reference(workbook, spec.categories)
    # aging labels are text (a string reference), DSO days are dates (a number reference)
    series.cat = AxDataSource(strRef=StrRef(f=str(categories))) if spec.kind == BAR else \
        AxDataSource(numRef=NumRef(f=str(categories)))
    series.smooth = False  # a trend drawn as measured, not as a curve through the points
    chart.series.append(series)
    chart.legend = None
    chart.x_axis.title = spec.x_title or None
    chart.y_axis.title = spec.y_title or None
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl ≥ 3.1 hides axes unless told
    chart.y_axis.scaling.min = 0  # from 0: a DSO going from 41 to 44 days must not look like a cliff
    chart.width, chart.height = spec.width_cm, spec.height_cm
    return chart

