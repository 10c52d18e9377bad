"""The crash test on the Google Sheets backend: kill `relance run` after every API request and every send.

Same method as tests/test_crash.py (forked children, RELANCE_CRASH_AT), against the
local fake Sheets server running in the test process: each crash point gets a fresh
spreadsheet, a run killed at that point, then a run to completion.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from registers import SheetsRegister, register_tabs, sheet_dicts
from test_crash import DAY, delivered, in_child, points_logged, preload
from conftest import status_codes

CLIENTS = 12


def invoices():
    return [{"invoice": f"F{i:02d}", "client": f"C{i:02d}", "due": DAY - timedelta(days=2 + i % 3),
             "amount": Decimal("100") + i} for i in range(CLIENTS)]


@pytest.mark.slow
def test_kill_sheets_runs_at_every_point_then_finish(fake_sheets, robot_account, tmp_path, record_property,
                                                   pytestconfig):
    preload()
    tabs = register_tabs(invoices())

    def fresh(name: str) -> SheetsRegister:
        folder = tmp_path / name
        folder.mkdir()
        from relance.core.config import default_config_text
        (folder / "config.toml").write_text(default_config_text(), encoding="utf-8")
        register = SheetsRegister(folder, fake_sheets, robot_account)
        register.create([], tabs=tabs)
        return register

    reference = fresh("reference")
    log = tmp_path / "points.log"
    assert in_child(reference.workdir, log=log) == 0
    points = points_logged(log)
    expected = set(delivered(reference.workdir))
    assert len(expected) == CLIENTS and any(p == "requête Sheets" for p in points)

    from test_crash import sampled
    chosen, how = sampled(len(points), pytestconfig)
    duplicates = missing = 0
    for n in chosen:
        register = fresh(f"crash-{n}")
        assert in_child(register.workdir, crash_at=n) == 86, f"point {n} ({points[n - 1]}) not reached"
        assert in_child(register.workdir) == 0, f"point {n}: the run after the crash failed"
        got = delivered(register.workdir)
        journal = sheet_dicts(fake_sheets.get_values(register.key, "Journal"))
        refused = [r for r in journal if status_codes([r["Statut"]])[0] == "failed" and "déjà parti" in (r.get("Commentaire") or "")]
        sent = [(r["Clé"], r["N° facture"]) for r in journal if status_codes([r["Statut"]])[0] == "sent"]
        assert len(sent) == len(set(sent)), f"point {n} ({points[n - 1]}): a message journaled sent twice"
        duplicates += len(refused) + sum(count - 1 for count in got.values())
        missing += len(expected - set(got))
    record_property("ci_log", f"{len(chosen)} of {len(points)} crash points on Google Sheets ({how}), "   # conftest prints it
                              f"{duplicates} duplicates, {missing} missing")
    assert (duplicates, missing) == (0, 0)
