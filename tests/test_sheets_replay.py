"""The fake Sheets server answers like Google: gspread's recorded traffic replayed against it.

See tests/fakes/replay.py for how (seeding, id mapping, which requests are scored) and
tests/fixtures/gspread_cassettes/README.md for where the recordings come from.
The fidelity table per method is printed in the CI log.
"""
from __future__ import annotations

import collections

import pytest

from tests.fakes import replay

# Every known difference between the fake and Google, with the reason it is accepted.
# Keyed by cassette (a gspread test); this list only shrinks.
ACCEPTED = {
    "CellTest.test_numeric_value.json":
        "USER_ENTERED '2,000,000.01' keeps a number format Google infers from the typed text; the fake "
        "stores the number without it (relance writes RAW and reads UNFORMATTED_VALUE).",
    "WorksheetTest.test_add_protected_range_normal.json":
        "Google lists the requesting account in editors.users; the replay sends no token, so the fake "
        "cannot know who asked.",
    "WorksheetTest.test_add_protected_range_warning.json":
        "same as test_add_protected_range_normal: the requester's email in editors.users.",
    "WorksheetTest.test_format.json":
        "repeatCell formats are recorded, not applied to cells (relance never reads formats back).",
    "WorksheetTest.test_set_tab_color.json":
        "Google stores colours as float32 and omits zero components; the fake echoes the doubles sent "
        "(relance sets no tab colour).",
    "WorksheetTest.test_update_tab_color.json": "colours as float32, as test_set_tab_color.",
    "WorksheetTest.test_clear_tab_color.json": "colours as float32, as test_set_tab_color.",
}
TARGET = 0.97


def _replayed():
    return [exchange for path in replay.cassettes() for exchange in replay.replay(path)]


def test_the_cassettes_are_vendored_with_their_licence():
    assert len(replay.cassettes()) >= 90
    licence = (replay.CASSETTES / "LICENSE.txt").read_text(encoding="utf-8")
    assert "Anton Burnashev" in licence and "MIT" in (replay.CASSETTES / "README.md").read_text(encoding="utf-8")


def test_fake_answers_as_google_did(record_property):
    exchanges = _replayed()
    scored = [e for e in exchanges if e.scored]
    table: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for exchange in scored:
        table[exchange.kind][0] += exchange.identical
        table[exchange.kind][1] += 1
    lines = [f"{kind:26} {same:4}/{count:<4} {same / count:6.1%}" for kind, (same, count) in sorted(table.items())]
    same, count = sum(v[0] for v in table.values()), sum(v[1] for v in table.values())
    record_property("ci_log", "fidelity of the fake Sheets server on gspread's recordings (identical/replayed):\n  "
                    + "\n  ".join(lines + [f"{'all methods relance uses':26} {same:4}/{count:<4} {same / count:6.1%}"]))
    unexpected = [f"{e.where} {e.method} {e.path[:120]}: {e.status} {str(e.got)[:300]} != "
                  f"{e.expected_status} {str(e.expected)[:300]}"
                  for e in scored if not e.identical and e.cassette not in ACCEPTED]
    assert not unexpected, "\n".join(unexpected)
    assert same / count >= TARGET
    assert all(same / n >= TARGET for same, n in table.values())


def test_every_accepted_difference_is_still_needed():
    """An accepted difference that no longer occurs must leave the list (it only shrinks)."""
    differing = {e.cassette for e in _replayed() if e.scored and not e.identical}
    assert set(ACCEPTED) <= differing, sorted(set(ACCEPTED) - differing)


@pytest.mark.parametrize("name", ["WorksheetTest.test_append_row_with_empty_value.json",
                                  "WorksheetTest.test_append_row_with_empty_value_and_table_range.json",
                                  "WorksheetTest.test_hide_show_worksheet.json"])
def test_the_differences_that_matter_to_relance_are_gone(name):
    """Append table detection (gspread #537) and hiding the only visible sheet, exactly as recorded."""
    exchanges = list(replay.replay(replay.CASSETTES / name))
    assert [e.where for e in exchanges if not e.identical] == []
