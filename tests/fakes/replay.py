"""Replay gspread's recorded exchanges with Google against the fake, and score the fake.

Why: the fake is the ground truth of everything relance claims on Sheets, so it is
measured against something nobody here wrote: the HTTP recordings ("cassettes") of
gspread's own test suite, vendored under ``tests/fixtures/gspread_cassettes/``.

Each cassette is replayed in order against a fresh `FakeSheets`: the spreadsheet the
cassette created through Drive is seeded with the same id, one 1000×26 ``Sheet1``,
locale en_US (what Google made). Ids Google chose (sheets, charts, protected ranges)
differ from the fake's: each new one seen in a pair of answers is mapped, requests
are rewritten to the fake's ids and answers compared with Google's ids put back.

Only requests of the methods relance sends are scored (`relevant`); the others are
still replayed so that the state stays the same as Google's.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .sheets_server import FakeSheets

CASSETTES = Path(__file__).resolve().parent.parent / "fixtures" / "gspread_cassettes"
SHEETS = "https://sheets.googleapis.com"
CREATE = re.compile(r"https://www\.googleapis\.com/drive/v3/files\?supportsAllDrives=True$")
SPREADSHEET = re.compile(r"https://sheets\.googleapis\.com/v4/spreadsheets/([^/?:]+)")
ID_KEYS = ("sheetId", "chartId", "protectedRangeId", "namedRangeId", "bandedRangeId", "filterViewId")
# The methods relance calls, and the spreadsheets.batchUpdate requests it sends (see relance/adapters/backends).
METHODS = ("spreadsheets.get", "values.get", "values.batchGet", "values.append", "spreadsheets.batchUpdate")
BATCH_KINDS = frozenset({"addChart", "appendCells", "addConditionalFormatRule", "addProtectedRange", "addSheet", "appendDimension",
                         "deleteDimension", "deleteEmbeddedObject", "deleteSheet", "repeatCell", "setDataValidation",
                         "updateCells", "updateDimensionProperties", "updateSheetProperties"})


@dataclass
class Exchange:
    cassette: str
    index: int
    method: str
    kind: str
    path: str
    expected_status: int
    expected: Any
    status: int = 0
    got: Any = None
    scored: bool = False

    @property
    def identical(self) -> bool:
        return self.status == self.expected_status and self.got == self.expected

    @property
    def where(self) -> str:
        return f"{self.cassette}#{self.index}"


def cassettes() -> list[Path]:
    return sorted(CASSETTES.glob("*.json"))


def self_contained(interactions: list[dict]) -> bool:
    """Whether every spreadsheet the cassette touches was created in it (so it can be seeded),
    and it calls at least one method relance uses."""
    created = {_json(i["response"]["body"]["string"]).get("id") for i in interactions
               if i["request"]["method"] == "POST" and CREATE.match(i["request"]["uri"])}
    used = {m.group(1) for i in interactions if (m := SPREADSHEET.match(i["request"]["uri"]))}
    return bool(used) and used <= created


def relevant(kind: str, body: bytes) -> bool:
    if kind not in METHODS:
        return False
    if kind == "spreadsheets.batchUpdate":
        requests = (_json(body.decode()) or {}).get("requests", [])
        return bool(requests) and all(next(iter(r)) in BATCH_KINDS for r in requests)
    return True


def _json(text: Any) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class _Ids:
    """Google's ids <-> the fake's ids, learnt from answers compared side by side."""

    def __init__(self) -> None:
        self.to_fake: dict[int, int] = {}
        self.to_google: dict[int, int] = {}

    def learn(self, google: Any, fake: Any) -> None:
        if isinstance(google, dict) and isinstance(fake, dict):
            for key, value in google.items():
                if key in ID_KEYS and isinstance(value, int) and isinstance(fake.get(key), int) \
                        and value not in self.to_fake and fake[key] not in self.to_google:
                    self.to_fake[value], self.to_google[fake[key]] = fake[key], value
                elif key in fake:
                    self.learn(value, fake[key])
        elif isinstance(google, list) and isinstance(fake, list):
            for g, f in zip(google, fake):
                self.learn(g, f)

    def swap(self, data: Any, table: dict[int, int]) -> Any:
        if isinstance(data, dict):
            return {k: (table.get(v, v) if k in ID_KEYS and isinstance(v, int) else self.swap(v, table))
                    for k, v in data.items()}
        if isinstance(data, list):
            return [self.swap(v, table) for v in data]
        return data

    def path(self, path: str) -> str:
        """``sheets/123:copyTo`` and ``gid=`` style ids in a path."""
        return re.sub(r"(?<=/sheets/)(\d+)", lambda m: str(self.to_fake.get(int(m.group(1)), m.group(1))), path)


def replay(path: Path) -> Iterator[Exchange]:
    """Every Sheets exchange of one cassette, answered by a fresh fake."""
    interactions = json.loads(path.read_text(encoding="utf-8"))["interactions"]
    fake, ids = FakeSheets(reject_unknown_tokens=False), _Ids()
    for index, interaction in enumerate(interactions):
        request, response = interaction["request"], interaction["response"]
        uri, expected = request["uri"], _json(response["body"]["string"])
        if request["method"] == "POST" and CREATE.match(uri):
            if isinstance(expected, dict) and "id" in expected:
                fake.create_spreadsheet(json.loads(request["body"])["name"], locale="en_US", time_zone="Etc/GMT",
                                        spreadsheet_id=expected["id"])
            continue
        if not uri.startswith(SHEETS):
            continue
        target = ids.path(uri[len(SHEETS):])
        body = request["body"] or ""
        body = body.encode() if isinstance(body, str) else body
        if body:
            body = json.dumps(ids.swap(json.loads(body), ids.to_fake)).encode()
        kind = fake.route(request["method"], target.split("?")[0])[0]
        status, raw = fake.handle(request["method"], target, {}, body)
        got = _json(raw.decode())
        ids.learn(expected, got)
        yield Exchange(path.name, index, request["method"], kind, target, response["status"]["code"], expected,
                       status, ids.swap(got, ids.to_google), relevant(kind, body))
