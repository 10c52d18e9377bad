"""Write into an .xlsx by patching the zip, so everything staff made survives a run byte for byte.

Why not openpyxl's save: it re-serialises the whole workbook from what it understood, and it does
not understand everything. Measured on openpyxl 3.1: cached values of staff formulas are dropped
(``Montant réglé = =E5`` then reads as empty and a paid client is reminded), Excel 2010+ drop-downs
(x14 data validations), slicers and some conditional formats disappear.

So a run opens the .xlsx as the zip it is and rewrites only:
* the worksheet parts of the tabs it writes into, where only the bot's cells change
  (values RAW: a text starting with ``=`` is an inline string, never a formula);
* ``xl/styles.xml``, only to *append* a cell format when a typed value (date, money) needs one
  (existing formats keep their index);
* the parts of tabs relance created (Synthèse, Historique, Mémoire), replaced whole;
* ``[Content_Types].xml``, ``xl/workbook.xml`` and its rels only when such a tab is added.
Every other part is copied unchanged (same bytes once decompressed).
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from relance.adapters.backends.xlsx_sheet import _PARSER, SheetPatch, Styles, q  # noqa: F401 (re-exported)

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_REL = REL + "/worksheet"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


class Package:
    """The .xlsx zip: parts read on demand, changed parts kept apart, everything else copied on save."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.zip = zipfile.ZipFile(self.path)
        self.names = self.zip.namelist()
        self.changed: dict[str, bytes] = {}
        self.removed: set[str] = set()
        self.workbook_part = self._office_document()
        self.workbook = etree.fromstring(self.read(self.workbook_part), _PARSER)
        self.rels_part = rels_of(self.workbook_part)
        self.rels = etree.fromstring(self.read(self.rels_part), _PARSER)
        pr = self.workbook.find(q("workbookPr"))
        self.epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") \
            else CALENDAR_WINDOWS_1900
        self.styles = Styles(self.read(self.styles_part) if self.styles_part else None)
        self.sheets: dict[str, SheetPatch] = {}

    def close(self) -> None:
        self.zip.close()

    def read(self, name: str) -> bytes:
        if name in self.changed:
            return self.changed[name]
        return self.zip.read(name)

    def _office_document(self) -> str:
        root = etree.fromstring(self.zip.read("_rels/.rels"), _PARSER)
        for rel in root:
            if rel.get("Type", "").endswith("/officeDocument"):
                return rel.get("Target").lstrip("/")
        return "xl/workbook.xml"

    def _target(self, base_part: str, target: str) -> str:
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))

    @property
    def styles_part(self) -> str | None:
        for rel in self.rels:
            if rel.get("Type", "").endswith("/styles"):
                return self._target(self.workbook_part, rel.get("Target"))
        return None

    def titles(self) -> list[str]:
        sheets = self.workbook.find(q("sheets"))
        return [s.get("name") for s in sheets] if sheets is not None else []

    def part_of(self, title: str) -> str:
        for sheet in self.workbook.find(q("sheets")):
            if sheet.get("name") == title:
                rid = sheet.get(f"{{{REL}}}id")
                for rel in self.rels:
                    if rel.get("Id") == rid:
                        return self._target(self.workbook_part, rel.get("Target"))
        raise KeyError(title)

    def sheet(self, title: str) -> SheetPatch:
        if title not in self.sheets:
            self.sheets[title] = SheetPatch(self.read(self.part_of(title)), self.styles, self.epoch)
        return self.sheets[title]

    # -- whole bot-owned tabs -----------------------------------------------------------
    def put_sheet(self, title: str, xml: bytes, rels: bytes | None = None, hidden: bool = False) -> str:
        """Replace the tab `title` (a tab relance created) or add it at the end; returns its part name."""
        self.sheets.pop(title, None)
        if title in self.titles():
            part = self.part_of(title)
            self.drop_related(part)
        else:
            part = self._new_sheet(title, hidden)
        self.changed[part] = xml
        if rels is not None:
            self.changed[rels_of(part)] = rels
        return part

    def set_hidden(self, title: str, hidden: bool) -> None:
        for sheet in self.workbook.find(q("sheets")):
            if sheet.get("name") == title and (sheet.get("state") == "hidden") != hidden:
                if hidden:
                    sheet.set("state", "hidden")
                else:
                    sheet.attrib.pop("state", None)
                self.changed[self.workbook_part] = b""  # serialised on save

    def _new_sheet(self, title: str, hidden: bool) -> str:
        existing = set(self.names) | set(self.changed)
        n = 1
        while f"xl/worksheets/sheet{n}.xml" in existing:
            n += 1
        part = f"xl/worksheets/sheet{n}.xml"
        rid = self.add_relationship(self.rels, WORKSHEET_REL, "/" + part)
        sheets = self.workbook.find(q("sheets"))
        sheet_id = max([0] + [int(s.get("sheetId", 0)) for s in sheets]) + 1
        element = etree.SubElement(sheets, q("sheet"), name=title, sheetId=str(sheet_id))
        if hidden:
            element.set("state", "hidden")
        element.set(f"{{{REL}}}id", rid)
        self.add_content_type("/" + part, WORKSHEET_CT)
        self.changed[self.workbook_part] = b""  # serialised on save
        self.changed[self.rels_part] = b""
        return part

    @staticmethod
    def add_relationship(rels: Any, kind: str, target: str) -> str:
        ids = {r.get("Id") for r in rels}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=f"rId{n}", Type=kind, Target=target)
        return f"rId{n}"

    def add_content_type(self, part: str, content_type: str) -> None:
        types = etree.fromstring(self.read("[Content_Types].xml"), _PARSER)
        if not any(o.get("PartName") == part for o in types):
            etree.SubElement(types, f"{{{CT}}}Override", PartName=part, ContentType=content_type)
            self.changed["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8",
                                                                 standalone=True)

    def new_part_name(self, pattern: str) -> str:
        """A free part name for `pattern` (with ``{n}``)."""
        existing = set(self.names) | set(self.changed)
        n = 1
        while pattern.format(n=n) in existing:  # never a name removed in this save: it would be skipped
            n += 1
        return pattern.format(n=n)

    def drop_related(self, part: str) -> None:
        """Remove what a replaced bot tab pointed at (its drawing and charts), recursively."""
        rels_name = rels_of(part)
        if rels_name not in self.names and rels_name not in self.changed:
            return
        rels = etree.fromstring(self.read(rels_name), _PARSER)
        for rel in rels:
            if rel.get("TargetMode") == "External":
                continue
            target = self._target(part, rel.get("Target"))
            if target in self.names or target in self.changed:
                self.drop_related(target)
                self.removed.add(target)
        self.removed.add(rels_name)
        self.prune_content_types()

    def prune_content_types(self) -> None:
        types = etree.fromstring(self.read("[Content_Types].xml"), _PARSER)
        for override in list(types):
            if override.get("PartName", "").lstrip("/") in self.removed:
                types.remove(override)
        self.changed["[Content_Types].xml"] = etree.tostring(types, xml_declaration=True, encoding="UTF-8",
                                                             standalone=True)

    def drop_calc_chain(self) -> None:
        """Excel's calculation chain lists formula cells; once one became data, let Excel rebuild it."""
        for rel in list(self.rels):
            if rel.get("Type", "").endswith("/calcChain"):
                self.removed.add(self._target(self.workbook_part, rel.get("Target")))
                self.rels.remove(rel)
                self.changed[self.rels_part] = b""
        self.prune_content_types()

    # -- save ---------------------------------------------------------------------------
    def save(self, target: str | Path) -> None:
        for title, patch in self.sheets.items():
            self.changed[self.part_of(title)] = patch.to_bytes()
        if any(s.formula_removed for s in self.sheets.values()):
            self.drop_calc_chain()
        if self.styles.changed and self.styles_part:
            self.changed[self.styles_part] = self.styles.to_bytes()
        if self.workbook_part in self.changed:
            self.changed[self.workbook_part] = etree.tostring(self.workbook, xml_declaration=True,
                                                              encoding="UTF-8", standalone=True)
        if self.rels_part in self.changed:
            self.changed[self.rels_part] = etree.tostring(self.rels, xml_declaration=True, encoding="UTF-8",
                                                          standalone=True)
        removed = self.removed - set(self.changed)  # a replaced tab's rels part is removed, then rewritten
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            written = set()
            for info in self.zip.infolist():
                if info.filename in removed:
                    continue
                data = self.changed.get(info.filename)
                if data is None:
                    data = self.zip.read(info.filename)
                out.writestr(info, data, compress_type=info.compress_type)
                written.add(info.filename)
            for name, data in self.changed.items():
                if name not in written and name not in removed:
                    out.writestr(name, data)


def rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")
