"""Reading an .xlsx register: only the tabs asked for, streamed, with formulas that have no value flagged.

openpyxl's read-only mode streams each worksheet's XML; we drive its `WorkSheetParser` ourselves
for two reasons:

* A staff formula (``Montant réglé = =E5``) is read as the value Excel or LibreOffice last
  computed and stored in the file. A formula with *no* stored value (a file written by a tool
  that does not compute) must not read as an empty cell — an empty « Montant réglé » means
  "unpaid" and would remind a client who paid. It reads as `FormulaWithoutValue`, which every
  cell parser rejects, so the row becomes a problem and nothing is sent for it.
* "Clear contents" in Excel leaves thousands of formatted but empty rows: they are skipped here,
  and each row is cut at the header's width, so memory grows with the data, not with the
  formatting (issue 20 item 12).
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable, Iterator

from lxml import etree

from openpyxl.utils import column_index_from_string
from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

from relance.adapters.backends.xlsx_sheet import _PARSER, SheetPatch, Styles
from relance.core.cells import Unreadable
from relance.core.model import RawTab


class FormulaWithoutValue(Unreadable):
    """A formula cell whose computed value is not stored in the file: unknown, never blank.

    Not a `str`, so the amount, date and choice parsers all reject it with its text in the message."""

    __slots__ = ("formula",)

    def __init__(self, formula: str):
        self.formula = formula

    def __str__(self) -> str:
        shown = f"={self.formula}" if self.formula else "formule"
        return (f"{shown} : formule sans valeur calculée (ouvrez le classeur dans Excel ou LibreOffice, "
                f"enregistrez-le, puis relancez)")

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FormulaWithoutValue) and other.formula == self.formula

    def __hash__(self) -> int:
        return hash(("formula", self.formula))


class _Parser(WorkSheetParser):
    """openpyxl's own cell parser, plus: a formula with no cached value is `FormulaWithoutValue`,
    and a plain inline string (what relance writes) is read without building openpyxl's rich-text
    objects (measured: 60 % of the read time of a 60 000-invoice register)."""

    def parse_cell(self, element):  # type: ignore[override]
        if element.get("t") == "inlineStr" and element.find(FORMULA_TAG) is None:
            box = element.find(INLINE_STRING)
            if box is not None and len(box) == 1 and box[0].tag == TEXT_TAG:
                ref = element.get("r")
                column = column_index_from_string(_LETTERS.match(ref).group(0)) if ref else self.col_counter + 1
                self.col_counter = column
                return {"row": self.row_counter, "column": column, "value": box[0].text or None,
                        "data_type": "s", "style_id": int(element.get("s", 0))}
        cell = super().parse_cell(element)
        if cell["value"] is None:
            formula = element.find(FORMULA_TAG)
            if formula is not None:
                cell["value"] = FormulaWithoutValue((formula.text or "").strip())
        return cell


def sheet_rows(workbook: Any, title: str, width: int | None = None,
               columns: Callable[[list[Any]], set[int] | None] | None = None) -> Iterator[tuple[int, list[Any]]]:
    """(1-based row number, values) of every row holding a value, a formula or an inline string.

    `workbook` is an openpyxl workbook opened with ``read_only=True, data_only=True``; `width`
    cuts each row (columns past it are never kept); `columns`, given the header row's values,
    names the only 1-based columns to read below it (a write needs the keys, not every cell).
    The part is split into rows as bytes (`SheetPatch`'s way) and only rows with content are
    handed to openpyxl's parser: 100 000 formatted empty rows cost a scan, not 1.2 million parses."""
    sheet = workbook[title]
    xml = workbook._archive.read(sheet._worksheet_path)
    split = SheetPatch(xml, Styles(None), workbook.epoch)
    parser = _Parser(None, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                     date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats)
    wanted: set[int] | None = None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Data Validation extension", UserWarning)  # we never save with it
        for number, start, end in split.spans:
            chunk = split.body[start:end]
            if not _CONTENT.search(chunk):
                continue
            element = etree.fromstring(split.wrapper + chunk + b"</sheetData>", _PARSER)[0]
            parser.row_counter, parser.col_counter = number, 0
            values: list[Any] = []
            for child in element:
                if child.tag != CELL_TAG:
                    continue
                if wanted is not None:
                    ref = child.get("r")
                    at = column_index_from_string(_LETTERS.match(ref).group(0)) if ref else parser.col_counter + 1
                    if at not in wanted:
                        parser.col_counter = at
                        continue
                cell = parser.parse_cell(child)
                value, column = cell["value"], cell["column"]
                if value is None or value == "":
                    continue
                if width is not None and column > width:
                    break
                if column > len(values):
                    values.extend([None] * (column - len(values)))
                values[column - 1] = value
            if number == 1 and columns is not None:
                wanted = columns(values)
            yield number, values


_CONTENT = re.compile(rb"<(?:[\w.-]+:)?(?:v|is|f)\b")
_LETTERS = re.compile(r"[A-Za-z]+")
CELL_TAG, TEXT_TAG = f"{{{SHEET_MAIN_NS}}}c", f"{{{SHEET_MAIN_NS}}}t"


def read_tab(workbook: Any, title: str, cut: bool = True,
             columns: Callable[[list[Any]], set[int] | None] | None = None) -> RawTab:
    """A whole tab as `RawTab` rows (``rows[i]`` is sheet row i + 1); with `cut`, rows stop at the
    header row's width (cells without a header are never read by the parser); `columns`: see
    `sheet_rows` (rows with content keep their place even when none of their columns is read)."""
    rows: list[list[Any]] = []
    width: int | None = None
    for number, values in sheet_rows(workbook, title, columns=columns):
        if width is None and cut:
            width = len(values) if number == 1 else None
        if width is not None and len(values) > width and number > 1:
            del values[width:]
        if number > len(rows) + 1:
            rows.extend([] for _ in range(number - 1 - len(rows)))
        rows.append(values)
    while rows and not rows[-1] and columns is None:
        rows.pop()
    return RawTab(title, rows)
