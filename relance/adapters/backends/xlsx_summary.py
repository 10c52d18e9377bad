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

The register itself is never re-saved by openpyxl (see xlsx_patch.py): the tabs are
built in a scratch workbook, and `transplant` moves their parts (sheet, drawing,
charts) into the register's zip, with their cell formats appended to its styles and
their texts stored inline.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
from lxml import etree
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.chart.data_source import AxDataSource, NumRef, StrRef
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from relance.core import schema
from relance.dashboard.layout import BAR, NUMBER_FORMATS, ChartSpec, Column, Days, Percent, SheetLayout
from relance.adapters.backends.xlsx import HEADER_FILL, rewrite_sheet, set_value
from relance.adapters.backends.xlsx_patch import _PARSER, Package, q, rels_of

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



STYLE_LISTS = (("numFmts", None), ("fonts", "fontId"), ("fills", "fillId"), ("borders", "borderId"))


def transplant(package: Package, layouts: tuple[SheetLayout, ...]) -> None:
    """Write `layouts` into `package`: each tab built by openpyxl in a scratch workbook, then moved in."""
    if not layouts:
        return
    scratch = openpyxl.Workbook()
    scratch.remove(scratch.active)
    write_layouts(scratch, layouts)
    buffer = io.BytesIO()
    scratch.save(buffer)
    with zipfile.ZipFile(buffer) as source:
        _Transplant(package, source).run([layout.title for layout in layouts])


class _Transplant:
    def __init__(self, package: Package, source: zipfile.ZipFile):
        self.package, self.source = package, source
        self.types = {o.get("PartName", "").lstrip("/"): o.get("ContentType")
                      for o in etree.fromstring(source.read("[Content_Types].xml"), _PARSER)}
        self.strings = [("".join(si.itertext())) for si in
                        etree.fromstring(source.read("xl/sharedStrings.xml"), _PARSER)] \
            if "xl/sharedStrings.xml" in source.namelist() else []
        self.xf_map = self._merge_styles()
        workbook = etree.fromstring(source.read("xl/workbook.xml"), _PARSER)
        rels = etree.fromstring(source.read("xl/_rels/workbook.xml.rels"), _PARSER)
        targets = {r.get("Id"): r.get("Target") for r in rels}
        self.parts = {s.get("name"): _absolute("xl/workbook.xml", targets[s.get(f"{{{_REL}}}id")])
                      for s in workbook.find(q("sheets"))}

    def run(self, titles: list[str]) -> None:
        for title in titles:
            part = self.parts[title]
            sheet = etree.fromstring(self.source.read(part), _PARSER)
            for view in sheet.iter(q("sheetView")):
                view.attrib.pop("tabSelected", None)  # two selected tabs would be grouped by Excel
            for cell in sheet.iter(q("c")):
                self._cell(cell)
            rels = self._copy_related(part)
            xml = etree.tostring(sheet, xml_declaration=True, encoding="UTF-8", standalone=True)
            self.package.put_sheet(title, xml, rels)

    def _cell(self, cell: Any) -> None:
        if cell.get("s") is not None:
            cell.set("s", str(self.xf_map.get(int(cell.get("s")), 0)))
        if cell.get("t") == "s":
            value = cell.find(q("v"))
            text = self.strings[int(value.text)]
            cell.remove(value)
            cell.set("t", "inlineStr")
            t = etree.SubElement(etree.SubElement(cell, q("is")), q("t"))
            t.text = text

    def _copy_related(self, part: str) -> bytes | None:
        """Copy the parts `part` points at (drawing, charts) under free names; its rels rewritten."""
        name = rels_of(part)
        if name not in self.source.namelist():
            return None
        rels = etree.fromstring(self.source.read(name), _PARSER)
        for rel in rels:
            if rel.get("TargetMode") == "External":
                continue
            target = _absolute(part, rel.get("Target"))
            stem, _, extension = target.rpartition(".")
            new = self.package.new_part_name(stem.rstrip("0123456789") + "_relance{n}." + extension)
            self.package.changed[new] = b""  # reserve the name before recursing
            nested = self._copy_related(target)
            if nested is not None:
                self.package.changed[rels_of(new)] = nested
            self.package.changed[new] = self.source.read(target)
            if target in self.types:
                self.package.add_content_type("/" + new, self.types[target])
            rel.set("Target", "/" + new)
        return etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _merge_styles(self) -> dict[int, int]:
        """Scratch cell format index -> the register's, appending fonts, fills, borders, formats."""
        styles = self.package.styles
        if styles.tree is None or "xl/styles.xml" not in self.source.namelist():
            return {}
        source = etree.fromstring(self.source.read("xl/styles.xml"), _PARSER)
        maps: dict[str, dict[int, int]] = {}
        for list_name, _ in STYLE_LISTS[1:]:
            maps[list_name] = {i: _append_unique(styles.tree.find(q(list_name)), item)
                               for i, item in enumerate(source.find(q(list_name)) if
                                                        source.find(q(list_name)) is not None else ())}
        codes = {int(f.get("numFmtId")): f.get("formatCode") for f in _children(source.find(q("numFmts")))}
        xfs = styles.tree.find(q("cellXfs"))
        result: dict[int, int] = {}
        for index, xf in enumerate(source.find(q("cellXfs"))):
            xf = etree.fromstring(etree.tostring(xf))
            for list_name, attribute in STYLE_LISTS[1:]:
                if xf.get(attribute) is not None:
                    xf.set(attribute, str(maps[list_name].get(int(xf.get(attribute)), 0)))
            number = int(xf.get("numFmtId", 0))
            if number in codes:
                xf.set("numFmtId", str(styles._number_format(codes[number])))
            xf.set("xfId", "0")
            result[index] = _append_unique(xfs, xf)
        styles.changed = True
        return result


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _absolute(base: str, target: str) -> str:
    import posixpath
    return target.lstrip("/") if target.startswith("/") else \
        posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _append_unique(parent: Any, item: Any) -> int:
    """Index of an element equal to `item` in `parent`, appended when absent (count kept right)."""
    wanted = etree.tostring(item, method="c14n")
    for index, existing in enumerate(parent):
        if etree.tostring(existing, method="c14n") == wanted:
            return index
    parent.append(etree.fromstring(etree.tostring(item)))
    parent.set("count", str(len(parent)))
    return len(parent) - 1


def _children(element: Any) -> list[Any]:
    return list(element) if element is not None else []
