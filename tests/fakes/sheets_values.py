"""Cell values, A1 notation and rendering for the fake Google Sheets API.

Why this module exists: the production code talks to Google Sheets through
gspread, and the bugs we want to catch live in the *conversions* the real
service performs -- RAW vs USER_ENTERED parsing, FORMATTED vs UNFORMATTED
rendering, date serial numbers, A1 ranges with quoted/non-ASCII sheet titles.
Keeping those rules in one place, free of HTTP concerns, makes them easy to
read against Google's documentation.

Storage model (chosen for speed on 500 000-row sheets): a cell is
``None`` (empty), a plain ``str``/``int``/``float``/``bool`` (what a user
typed, already interpreted), or a :class:`Cell` for the rare cells that need
more (formula, date/percent number format).  No per-cell objects for plain
values.
"""
from __future__ import annotations

import ast
import datetime as _dt
import operator
import re
from typing import Any, Optional

EPOCH = _dt.date(1899, 12, 30)  # Sheets/Lotus serial number day 0
SKIP = object()  # "leave this cell alone" (JSON null in an update payload)
FORMULA_PLACEHOLDER = "#FAKE_FORMULA!"  # effective value of formulas we cannot evaluate
FORMULA_ERROR = "#ERROR!"  # Sheets' "Formula parse error"

VALUE_RENDER = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATETIME_RENDER = ("SERIAL_NUMBER", "FORMATTED_STRING")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")


class SheetsError(Exception):
    """An error the fake answers with a Google-shaped JSON body."""

    STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
              404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED",
              500: "INTERNAL", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE",
              504: "DEADLINE_EXCEEDED"}

    def __init__(self, code: int, message: str, status: Optional[str] = None,
                 details: Optional[list] = None):
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or self.STATUS.get(code, "UNKNOWN")
        self.details = details

    def body(self) -> dict:
        err = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            err["details"] = self.details
        return {"error": err}


def bad_request(message: str) -> SheetsError:
    return SheetsError(400, message)


def invalid_value(field: str, value: Any, proto_type: str = "") -> SheetsError:
    """Google's 400 for a value of the wrong type: the message ends with the bad value (as
    JSON) and ``details[].fieldViolations`` names the field (recorded in gspread's cassettes)."""
    import json
    kind = f" (type.googleapis.com/{proto_type})" if proto_type else ""
    message = f"Invalid value at '{field}'{kind}, {json.dumps(value, ensure_ascii=False)}"
    return SheetsError(400, message, details=[{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                               "fieldViolations": [{"field": field, "description": message}]}])


class Cell:
    """A cell that is more than a plain value: a formula or a formatted number.

    ``fmt`` is ``None``, ``("DATE", pattern)``, ``("DATE_TIME", pattern)`` or
    ``("PERCENT", None)``.  For formulas ``value`` is an optional cached
    result (set by tests via :class:`Formula`); otherwise it is evaluated.
    """

    __slots__ = ("value", "formula", "fmt", "text")

    def __init__(self, value: Any = None, formula: Optional[str] = None, fmt=None):
        self.value, self.formula, self.fmt = value, formula, fmt
        self.text: Optional[str] = None  # cached FORMATTED_VALUE of a plain date cell

    def __repr__(self) -> str:
        return f"Cell(value={self.value!r}, formula={self.formula!r}, fmt={self.fmt!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Cell) and (self.value, self.formula, self.fmt)
                == (other.value, other.formula, other.fmt))


class Formula:
    """Test-helper input: a formula with an optional precomputed result."""

    def __init__(self, text: str, result: Any = None):
        self.text, self.result = text, result


# ---------------------------------------------------------------- locales
class Locale:
    """The few locale rules the fake honours: decimal mark and date order."""

    def __init__(self, name: str):
        self.name = name
        lang = name.split("_")[0]
        self.decimal = "," if lang in {"fr", "de", "es", "it", "pt", "nl", "ru", "pl"} else "."
        self.thousands = "," if self.decimal == "." else None
        self.date_pattern = "mm/dd/yyyy" if name == "en_US" else "dd/mm/yyyy"


# ---------------------------------------------------------------- A1 notation
_ENDPOINT = re.compile(r"^\$?([A-Za-z]{0,3})\$?([0-9]*)$")
_PLAIN_TITLE = re.compile(r"^[^\W\d]\w*$")
_CELL_LIKE = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)$")


def col_to_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def index_to_col(idx: int) -> str:
    idx += 1
    out = ""
    while idx:
        idx, rem = divmod(idx - 1, 26)
        out = chr(65 + rem) + out
    return out


def quote_title(title: str) -> str:
    """Quote a sheet title the way Google echoes it back in ``range`` fields."""
    if _PLAIN_TITLE.match(title) and not _CELL_LIKE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def split_sheet(rng: str) -> tuple[Optional[str], Optional[str]]:
    """Split ``'It''s'!A1:B2`` into (title, cells); either part may be None."""
    if rng.startswith("'"):
        i, buf = 1, []
        while i < len(rng):
            if rng[i] == "'":
                if rng[i + 1:i + 2] == "'":
                    buf.append("'")
                    i += 2
                    continue
                break
            buf.append(rng[i])
            i += 1
        else:
            raise bad_request(f"Unable to parse range: {rng}")
        rest = rng[i + 1:]
        if not rest:
            return "".join(buf), None
        if rest[0] != "!":
            raise bad_request(f"Unable to parse range: {rng}")
        return "".join(buf), rest[1:]
    if "!" in rng:
        title, _, cells = rng.rpartition("!")
        return title, cells
    return None, rng


def parse_cells(cells: str, original: str) -> tuple[int, int, Optional[int], Optional[int]]:
    """Parse ``A1:C3`` / ``A:C`` / ``2:5`` / ``A2:C`` / ``B7`` into 0-based
    (r0, c0, r1, c1) with exclusive, possibly-open (None) ends."""
    parts = cells.split(":")
    if not cells or len(parts) > 2:
        raise bad_request(f"Unable to parse range: {original}")
    found = [_ENDPOINT.match(p) for p in parts]
    if not all(found) or any(not m.group(1) and not m.group(2) for m in found):
        raise bad_request(f"Unable to parse range: {original}")
    if any(m.group(2) and int(m.group(2)) == 0 for m in found):
        raise bad_request(f"Unable to parse range: {original}")
    (sc, sr) = found[0].groups()
    if len(parts) == 1:
        if not (sc and sr):
            raise bad_request(f"Unable to parse range: {original}")
        r, c = int(sr) - 1, col_to_index(sc)
        return r, c, r + 1, c + 1
    (ec, er) = found[1].groups()
    r0 = int(sr) - 1 if sr else 0
    c0 = col_to_index(sc) if sc else 0
    r1 = int(er) if er else None
    c1 = col_to_index(ec) + 1 if ec else None
    if r1 is not None and r1 <= r0:
        r0, r1 = r1 - 1, r0 + 1
    if c1 is not None and c1 <= c0:
        c0, c1 = c1 - 1, c0 + 1
    return r0, c0, r1, c1


def format_range(title: str, r0: int, c0: int, r1: int, c1: int) -> str:
    """Render a bounded 0-based range as Google does: ``Tab!A1:C3`` / ``Tab!B7``."""
    start = f"{index_to_col(c0)}{r0 + 1}"
    if r1 - r0 <= 1 and c1 - c0 <= 1:
        return f"{quote_title(title)}!{start}"
    return f"{quote_title(title)}!{start}:{index_to_col(c1 - 1)}{r1}"


# ---------------------------------------------------------------- input parsing
_NUM_DOT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][+-]?\d+)?$")
_NUM_COMMA = re.compile(r"^[+-]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)?(?:,\d*)?(?:[eE][+-]?\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _number(text: str, loc: Locale):
    if not any(ch.isdigit() for ch in text):
        return None
    if loc.decimal == ".":
        if not _NUM_DOT.match(text):
            return None
        text = text.replace(",", "")
    else:
        if not _NUM_COMMA.match(text):
            return None
        text = re.sub(r"[ \u00a0\u202f]", "", text).replace(",", ".")
    num = float(text)
    if num.is_integer() and "e" not in text.lower() and "." not in text and abs(num) < 2 ** 53:
        return int(num)
    return num


def date_serial(d: _dt.date) -> int:
    return (d - EPOCH).days


def _date(text: str, loc: Locale):
    m = _ISO_DATE.match(text)
    try:
        if m:
            y, mo, d = map(int, m.groups())
            return Cell(date_serial(_dt.date(y, mo, d)), fmt=("DATE", "yyyy-mm-dd"))
        m = _SLASH_DATE.match(text)
        if m:
            a, b, y = map(int, m.groups())
            d, mo = (b, a) if loc.name == "en_US" else (a, b)
            return Cell(date_serial(_dt.date(y, mo, d)), fmt=("DATE", loc.date_pattern))
    except ValueError:  # 31/02/2024 stays text, as in Sheets
        return None
    return None


def _check_scalar(v: Any, where: str) -> None:
    if isinstance(v, (list, dict)):
        kind = "list_value" if isinstance(v, list) else "struct_value"
        raise bad_request(f"Invalid values{where}: {kind}")


def parse_raw(v: Any, where: str = "") -> Any:
    """RAW: store exactly what was sent; strings are never interpreted."""
    if v is None:
        return SKIP
    _check_scalar(v, where)
    if v == "" and isinstance(v, str):
        return None
    return v


def parse_user_entered(v: Any, loc: Locale, where: str = "") -> Any:
    """USER_ENTERED: interpret strings as if typed in the Sheets UI."""
    if v is None:
        return SKIP
    _check_scalar(v, where)
    if not isinstance(v, str):
        return v
    if v == "":
        return None
    if v[0] == "'":
        return v[1:] or None
    if v[0] == "=" and len(v) > 1:
        return Cell(formula=v)
    text = v.strip()
    num = _number(text, loc)
    if num is not None:
        return num
    upper = text.upper()
    if upper in ("TRUE", "FALSE"):
        return upper == "TRUE"
    if text.endswith("%"):
        pct = _number(text[:-1].strip(), loc)
        if pct is not None:
            return Cell(pct / 100, fmt=("PERCENT", None))
    date = _date(text, loc)
    if date is not None:
        return date
    if text[0] in "+-" and len(text) > 1:
        # Sheets starts a formula on a leading +/-: "+33 6 12 34 56 78" or
        # "- relancé" end up as a formula parse error, not as text.
        return Cell(FORMULA_ERROR, formula=v)
    return v


def from_python(v: Any, loc: Locale) -> Any:
    """Test-helper input: Python dates/datetimes/Formula become proper cells."""
    if isinstance(v, Formula):
        return Cell(v.result, formula=v.text)
    if isinstance(v, _dt.datetime):
        secs = (v - _dt.datetime(1899, 12, 30)).total_seconds()
        return Cell(secs / 86400, fmt=("DATE_TIME", loc.date_pattern + " hh:mm:ss"))
    if isinstance(v, _dt.date):
        return Cell(date_serial(v), fmt=("DATE", loc.date_pattern))
    if v == "" and isinstance(v, str):
        return None
    return v


# ---------------------------------------------------------------- rendering
def number_out(v):
    """JSON number as Google emits it: integral doubles without ``.0``."""
    if type(v) is float and v.is_integer() and abs(v) < 2 ** 53:
        return int(v)
    return v


def format_number(v, loc: Locale) -> str:
    """Sheets' automatic number format: no grouping, up to 15 significant digits."""
    if type(v) is int:
        return str(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    text = repr(v)  # shortest round-trip form; fine when it has <= 15 digits
    if "e" in text or len(text) - ("." in text) - (text[0] == "-") > 15:
        text = f"{v:.15g}"
        if "e" in text:
            mant, exp = text.split("e")
            text = f"{mant}E{exp[0]}{exp[1:].zfill(2)}"
    return text.replace(".", loc.decimal) if loc.decimal != "." else text


_DATE_TEXT: dict = {}  # (serial, pattern) -> text; registers reuse a few hundred dates


def format_datetime(serial: float, pattern: str) -> str:
    """Render a date/date-time serial number with one of the patterns we create."""
    key = (serial, pattern)
    text = _DATE_TEXT.get(key)
    if text is not None:
        return text
    days = int(serial // 1)
    d = EPOCH + _dt.timedelta(days=days)
    if pattern.startswith("dd/"):
        out = f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
    elif pattern.startswith("mm/"):
        out = f"{d.month:02d}/{d.day:02d}/{d.year:04d}"
    else:
        out = d.isoformat()
    if "hh" in pattern:
        secs = round((serial - days) * 86400)
        out += f" {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    if len(_DATE_TEXT) < 100_000:
        _DATE_TEXT[key] = out
    return out


def _format_cell_number(v, fmt, loc: Locale) -> str:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return format_plain(v, loc)
    if fmt[0] == "PERCENT":
        return format_number(round(v * 100, 10), loc) + "%"
    return format_datetime(v, fmt[1])


def format_plain(v, loc: Locale) -> str:
    t = type(v)
    if t is str:
        return v
    if t is bool:
        return "TRUE" if v else "FALSE"
    if v is None:
        return ""
    return format_number(v, loc)


class Renderer:
    """Turns stored cells into API output for one render option.

    ``lookup(row, col)`` returns the stored cell at a 0-based position of the
    same sheet; it is used to evaluate trivial formulas such as ``=A1*2``.
    """

    def __init__(self, vro: str, dtro: str, loc: Locale, lookup):
        self.vro, self.dtro, self.loc, self.lookup = vro, dtro, loc, lookup

    def effective(self, cell, depth: int = 0):
        """(value, fmt) a cell evaluates to, unformatted."""
        if isinstance(cell, Cell):
            if cell.formula is None:
                return cell.value, cell.fmt
            if cell.value is not None:
                return cell.value, cell.fmt
            return evaluate(cell.formula, self.lookup, self, depth), None
        return cell, None

    def render(self, cell):
        """API output for any stored cell."""
        if type(cell) is not Cell:
            if self.vro == "FORMATTED_VALUE":
                return format_plain(cell, self.loc)
            return "" if cell is None else number_out(cell)
        if cell.formula is None:
            value, fmt = cell.value, cell.fmt
        elif self.vro == "FORMULA":
            return cell.formula
        else:
            value, fmt = self.effective(cell)
        if fmt is not None and (self.vro == "FORMATTED_VALUE" or (
                self.dtro == "FORMATTED_STRING" and fmt[0] != "PERCENT")):
            text = _format_cell_number(value, fmt, self.loc)
            if cell.formula is None and fmt[0] != "PERCENT":
                cell.text = text  # dates render the same in every locale we model
            return text
        if self.vro == "FORMATTED_VALUE":
            return format_plain(value, self.loc)
        return "" if value is None else number_out(value)

    def row(self, seg: list) -> list:
        """Render one row slice, dropping trailing empty cells.

        Hot path for 500k-row reads: strings (most cells) never cost a call.
        """
        while seg and seg[-1] is None:
            seg.pop()
        if self.vro != "FORMATTED_VALUE":
            if set(map(type, seg)) <= _PASS_UNFORMATTED:
                return seg
            render = self.render
            return [v if type(v) in _PASS_UNFORMATTED else
                    (int(v) if v.is_integer() and -2**53 < v < 2**53 else v)
                    if type(v) is float else render(v) for v in seg]
        loc, render = self.loc, self.render
        return [v if type(v) is str else
                "" if v is None else
                str(v) if type(v) is int else
                format_number(v, loc) if type(v) is float else
                (v.text or render(v)) if type(v) is Cell else
                render(v)
                for v in seg]


_PASS_UNFORMATTED = {str, int, bool}


# ---------------------------------------------------------------- formulas
_REF = re.compile(r"\$?\b([A-Z]{1,3})\$?([0-9]+)\b")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow}


def evaluate(formula: str, lookup, renderer: Renderer, depth: int = 0):
    """Evaluate ``=1+1``, ``=A1*2``, ``="text"``; anything else gives the
    placeholder.  This is deliberately not a formula engine."""
    if depth > 20:
        return "#REF!"
    expr = formula[1:].strip()
    try:
        tree = ast.parse(_REF.sub(lambda m: f"_R_{m.group(1)}_{m.group(2)}", expr),
                         mode="eval")
    except SyntaxError:
        return FORMULA_PLACEHOLDER

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            val = ev(node.operand)
            return -val if isinstance(node.op, ast.USub) else val
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.Name) and node.id.startswith("_R_"):
            _, _, col, row = node.id.split("_")
            val, _fmt = renderer.effective(lookup(int(row) - 1, col_to_index(col)), depth + 1)
            if val is None:
                return 0
            if isinstance(val, (int, float)) and not isinstance(val, bool):
                return val
            raise ValueError("non-numeric reference")
        raise ValueError("unsupported")

    if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str):
        return tree.body.value
    try:
        result = ev(tree)
    except ZeroDivisionError:
        return "#DIV/0!"
    except (ValueError, TypeError, OverflowError):
        return FORMULA_PLACEHOLDER
    return number_out(float(result)) if isinstance(result, float) else result


def cell_data(cell, renderer_fmt: Renderer, renderer_raw: Renderer) -> dict:
    """CellData for ``includeGridData`` (userEnteredValue/effectiveValue/formattedValue)."""
    if cell is None:
        return {}

    def typed(v):
        if isinstance(v, bool):
            return {"boolValue": v}
        if isinstance(v, (int, float)):
            return {"numberValue": v}
        return {"stringValue": "" if v is None else str(v)}

    out: dict = {}
    if isinstance(cell, Cell) and cell.formula is not None:
        out["userEnteredValue"] = {"formulaValue": cell.formula}
    else:
        out["userEnteredValue"] = typed(cell.value if isinstance(cell, Cell) else cell)
    value, fmt = renderer_raw.effective(cell)
    out["effectiveValue"] = typed(value)
    out["formattedValue"] = renderer_fmt.render(cell)
    if fmt:
        number_format = {"type": fmt[0]}
        if fmt[1]:
            number_format["pattern"] = fmt[1]
        out["userEnteredFormat"] = {"numberFormat": number_format}
    return out
