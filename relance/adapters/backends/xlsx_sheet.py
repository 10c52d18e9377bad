"""Cell-level patching of one worksheet part, and the cell formats it appends (see xlsx_patch.py)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

from lxml import etree
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import to_excel

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
MAX_CELL_TEXT = 32_000  # Excel's limit is 32 767 characters per cell

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MONEY_FORMAT = '#,##0.00 "€"'

_PARSER = etree.XMLParser(huge_tree=True, remove_blank_text=False, resolve_entities=False)


def q(tag: str) -> str:
    return f"{{{MAIN}}}{tag}"


def split_ref(ref: str) -> tuple[int, int]:
    """'AB12' -> (12, 28)."""
    match = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", ref)
    if not match:
        raise ValueError(ref)
    return int(match.group(2)), column_index_from_string(match.group(1).upper())


class Styles:
    """``xl/styles.xml``: appends the cell formats typed values need, never renumbers existing ones."""

    def __init__(self, xml: bytes | None):
        self.tree = etree.fromstring(xml, _PARSER) if xml else None
        self.cache: dict[tuple[int, str], int] = {}
        self.changed = False

    def style_for(self, base: int, number_format: str) -> int:
        """A cell format like `base` (font, fill, border kept) showing `number_format`."""
        if self.tree is None:
            return base
        if (base, number_format) in self.cache:
            return self.cache[(base, number_format)]
        xfs = self.tree.find(q("cellXfs"))
        if xfs is None or not len(xfs):
            return base
        format_id = self._number_format(number_format)
        template = xfs[base] if base < len(xfs) else xfs[0]
        if template.get("numFmtId") == str(format_id):
            self.cache[(base, number_format)] = base
            return base
        xf = etree.fromstring(etree.tostring(template))
        xf.set("numFmtId", str(format_id))
        xf.set("applyNumberFormat", "1")
        xfs.append(xf)
        xfs.set("count", str(len(xfs)))
        self.changed = True
        self.cache[(base, number_format)] = len(xfs) - 1
        return len(xfs) - 1

    def _number_format(self, code: str) -> int:
        numfmts = self.tree.find(q("numFmts"))
        if numfmts is None:
            numfmts = etree.Element(q("numFmts"))
            self.tree.insert(0, numfmts)
        for item in numfmts:
            if item.get("formatCode") == code:
                return int(item.get("numFmtId"))
        new_id = max([163] + [int(i.get("numFmtId")) for i in numfmts]) + 1
        etree.SubElement(numfmts, q("numFmt"), numFmtId=str(new_id), formatCode=code)
        numfmts.set("count", str(len(numfmts)))
        self.changed = True
        return new_id

    def to_bytes(self) -> bytes:
        return etree.tostring(self.tree, xml_declaration=True, encoding="UTF-8", standalone=True)


_SHEET_DATA = re.compile(rb"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>")
_ROW = re.compile(rb"<(?:[\w.-]+:)?row\b[^>]*?(?:/>|>.*?</(?:[\w.-]+:)?row>)", re.S)
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")


class SheetPatch:
    """One worksheet part; cells set in place, every other byte of it kept.

    Only the rows the bot writes are parsed: the part is split around ``<sheetData>``, the rest of
    the sheet (views, columns, merges, validations, extensions: small) is parsed as a tree, and the
    rows are located as byte ranges and copied as they are unless a cell in them changes. A journal
    followed by 100 000 formatted empty rows costs a scan of the bytes, not a tree of a million
    elements (measured: 820 MB of lxml tree for a 27 MB part; benchmarks/xlsx_cost.py)."""

    def __init__(self, xml: bytes, styles: Styles, epoch: datetime):
        self.styles, self.epoch = styles, epoch
        match = _SHEET_DATA.search(xml)
        if match is None:
            raise ValueError("feuille sans sheetData")
        self.prefix = match.group(1)
        if match.group(2):  # <sheetData/>
            self.body, after = b"", match.end()
        else:
            close = xml.find(b"</" + self.prefix + b"sheetData>", match.end())
            if close < 0:
                raise ValueError("sheetData non fermé")
            self.body, after = xml[match.end():close], close + len(b"</" + self.prefix + b"sheetData>")
        self.tree = etree.fromstring(xml[:match.start()] + b"<" + self.prefix + b"sheetData/>" + xml[after:],
                                     _PARSER)
        self.spans: list[tuple[int, int, int]] = []  # (row number, start, end) in `body`, in file order
        number = 0
        for row in _ROW.finditer(self.body):
            head = row.group(0)[:row.group(0).find(b">") + 1]
            found = _ROW_NUMBER.search(head)
            number = int(found.group(1)) if found else number + 1
            self.spans.append((number, row.start(), row.end()))
        self.index = {n: i for i, (n, _, _) in enumerate(self.spans)}
        self.rows: dict[int, dict[int, Any]] = {}  # row -> column -> value to write
        self.last_row = self.spans[-1][0] if self.spans else 0
        self.formula_removed = False
        self.max_row, self.max_col = 0, 0
        self.wrapper = b"<sheetData " + b" ".join(
            (b'xmlns="%s"' % uri.encode() if prefix is None else b'xmlns:%s="%s"' % (prefix.encode(), uri.encode()))
            for prefix, uri in self.tree.nsmap.items()) + b">"

    # -- merged cells -------------------------------------------------------------------
    def merged_ranges(self) -> list[tuple[str, tuple[int, int, int, int]]]:
        """(ref, (min_col, min_row, max_col, max_row)) of every merged range."""
        merges = self.tree.find(q("mergeCells"))
        if merges is None:
            return []
        return [(m.get("ref"), range_boundaries(m.get("ref"))) for m in merges if m.get("ref")]

    def unmerge(self, refs: Iterable[str]) -> None:
        merges = self.tree.find(q("mergeCells"))
        gone = set(refs)
        if merges is None or not gone:
            return
        for item in list(merges):
            if item.get("ref") in gone:
                merges.remove(item)
        if len(merges):
            merges.set("count", str(len(merges)))
        else:
            self.tree.remove(merges)

    # -- cells --------------------------------------------------------------------------
    def set(self, number: int, column: int, value: Any) -> None:
        """Store `value` at (row, column) as data; None or '' clears the value, the format stays.

        Recorded here, applied row by row when the part is serialised (`_body`): a write of every
        invoice's bot columns never holds more than one parsed row in memory."""
        self.rows.setdefault(number, {})[column] = value
        if value is not None and value != "":
            self.max_row, self.max_col = max(self.max_row, number), max(self.max_col, column)
            self.last_row = max(self.last_row, number)

    def _parse_row(self, number: int) -> Any:
        if number in self.index:
            _, start, end = self.spans[self.index[number]]
            row = etree.fromstring(self.wrapper + self.body[start:end] + b"</sheetData>", _PARSER)[0]
            row.set("r", str(number))
            return row
        return etree.Element(q("row"), r=str(number))

    def _apply_row(self, number: int, edits: dict[int, Any]) -> bytes:
        row = self._parse_row(number)
        row.attrib.pop("spans", None)  # a hint only; stale once a cell is added
        found: dict[int, Any] = {}
        position = 0
        for cell in row.iterchildren(q("c")):
            ref = cell.get("r")
            position = split_ref(ref)[1] if ref else position + 1
            if not ref:
                cell.set("r", f"{get_column_letter(position)}{number}")
            found[position] = cell
        for column, value in sorted(edits.items()):
            cell = found.get(column)
            if cell is None:
                if value is None or value == "":
                    continue  # clearing a cell that does not exist: nothing to do
                cell = etree.Element(q("c"), r=f"{get_column_letter(column)}{number}")
                after = [c for c in found if c > column]
                if after:
                    found[min(after)].addprevious(cell)
                else:
                    row.append(cell)
                found[column] = cell
            self._write(cell, value)
        return etree.tostring(row, encoding="UTF-8", xml_declaration=False)

    def _write(self, cell: Any, value: Any) -> None:
        for child in list(cell):
            if child.tag == q("f"):
                self.formula_removed = True
            cell.remove(child)
        cell.attrib.pop("t", None)
        base = int(cell.get("s") or 0)
        if value is None or value == "":
            return
        if isinstance(value, bool):
            cell.set("t", "b")
            etree.SubElement(cell, q("v")).text = "1" if value else "0"
        elif isinstance(value, datetime):
            self._number(cell, to_excel(value.replace(tzinfo=None), self.epoch), base, DATETIME_FORMAT)
        elif isinstance(value, date):
            self._number(cell, to_excel(value, self.epoch), base, DATE_FORMAT)
        elif isinstance(value, Decimal):
            self._number(cell, value, base, MONEY_FORMAT)
        elif isinstance(value, (int, float)):
            self._number(cell, value, base, None)
        else:
            text = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:MAX_CELL_TEXT]
            cell.set("t", "inlineStr")
            t = etree.SubElement(etree.SubElement(cell, q("is")), q("t"))
            t.text = text
            if text != text.strip():
                t.set(XML_SPACE, "preserve")

    def _number(self, cell: Any, value: Any, base: int, number_format: str | None) -> None:
        if number_format:
            style = self.styles.style_for(base, number_format)
            if style:
                cell.set("s", str(style))
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
        etree.SubElement(cell, q("v")).text = text

    def _body(self) -> bytes:
        """The rows: untouched ones copied as bytes, changed ones patched, new ones in row order."""
        if not self.rows:
            return self.body
        new = sorted(n for n in self.rows if n not in self.index)
        parts, position, pending = [], 0, 0
        for number, start, end in self.spans:
            inserted = []
            while pending < len(new) and new[pending] < number:
                inserted.append(self._apply_row(new[pending], self.rows[new[pending]]))
                pending += 1
            if inserted or number in self.rows:
                parts += [self.body[position:start], *inserted]
                position = start
            if number in self.rows:
                parts.append(self._apply_row(number, self.rows[number]))
                position = end
        parts.append(self.body[position:])
        parts += [self._apply_row(n, self.rows[n]) for n in new[pending:]]
        return b"".join(parts)

    def to_bytes(self) -> bytes:
        dimension = self.tree.find(q("dimension"))
        if dimension is not None and self.max_row:
            try:
                min_col, min_row, max_col, max_row = range_boundaries(dimension.get("ref", "A1"))
            except (TypeError, ValueError):
                min_col = min_row = max_col = max_row = 1
            dimension.set("ref", f"{get_column_letter(min_col or 1)}{min_row or 1}:"
                                 f"{get_column_letter(max(max_col or 1, self.max_col))}"
                                 f"{max(max_row or 1, self.max_row)}")
        xml = etree.tostring(self.tree, xml_declaration=True, encoding="UTF-8", standalone=True)
        match = _SHEET_DATA.search(xml)
        body = self._body()
        if not body:
            return xml
        return xml[:match.start()] + b"<" + match.group(1) + b"sheetData>" + body + \
            b"</" + match.group(1) + b"sheetData>" + xml[match.end():]
