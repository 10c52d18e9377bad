"""Kill the real CLI at every crash point of an SMTP run, finish the run, count what the server got.

The SMTP side of tests/test_crash.py. Each crash point gets its own local aiosmtpd
server (tests/smtp_fake.py, which records every message it answers 250 to) and a
fresh copy of the register; `relance run` dies there like a kill -9, then runs again
to completion. Per point, the server's deliveries and the journal are compared with
the reference run:

- duplicated: a key the server received more than once;
- lost: a key the reference run delivered that the server never got and that no
  ``incertain`` row hands to a human;
- falsely sent: a key the journal says ``sent`` that the server never got.

``incertain`` keys (the end of DATA left, no 250 on record) are counted apart: the
invoice waits for a human, which is the promise, not a loss.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from conftest import at, sheet_rows, xlsx_register
from test_crash import (DAY, crash_invoices, in_child as crash_child, kill_each, points_logged, preload,
                        register_size, sampled)

CLIENTS = 60  # killing every point (--crash-points 0): ≥ 200 points; a sample uses 20 clients


def in_child(folder: Path, crash_at: int | None = None, log: Path | None = None) -> int:
    """test_crash's child on DAY's wall clock (SMTP refuses another day); a loaded CI machine may take
    minutes for a run of 60 messages with three fsyncs each."""
    return crash_child(folder, crash_at, log, wall_clock=at(DAY, 10), timeout=600)


def with_server(folder: Path, body):
    """Run `body()` with a fresh SMTP server whose port is written into folder/config.toml; its deliveries."""
    from smtp_fake import SmtpServer
    with SmtpServer() as server:
        config = folder / "config.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("smtp_port = 587", f"smtp_port = {server.port}"), encoding="utf-8")
        result = body()
        config.write_text(text, encoding="utf-8")
        return result, Counter(m["X-Relance-Key"] for m in server.messages)


@pytest.fixture(scope="module")
def size(pytestconfig) -> int:
    return register_size(pytestconfig, CLIENTS, 20)


@pytest.fixture(scope="module")
def template(tmp_path_factory, size) -> Path:
    from relance.core.config import default_config_text
    folder = tmp_path_factory.mktemp("crash-smtp-template")
    config = default_config_text().replace('mailer = "outbox"', 'mailer = "smtp"').replace(
        'smtp_host = "smtp.example.fr"', 'smtp_host = "127.0.0.1"').replace(
        'smtp_user = "compta@example.fr"', 'smtp_user = ""').replace(
        'smtp_security = "starttls"', 'smtp_security = "none"')
    (folder / "config.toml").write_text(config, encoding="utf-8")
    xlsx_register(folder, crash_invoices(size))
    return folder


def crash_and_finish(template: Path, folder: Path, n: int, expected: list[str]) -> None:
    """One crash point, in its own process and with its own server: kill at `n`, finish, write the counts."""
    shutil.copytree(template, folder)
    codes, got = with_server(folder, lambda: (in_child(folder, crash_at=n), in_child(folder)))
    journal = [r for r in sheet_rows(folder / "registre.xlsx", "Journal") if r["Canal"] == "email"]
    sent = {r["Clé"] for r in journal if r["Statut"] in ("sent", "envoyé")}
    uncertain = {r["Clé"] for r in journal if r["Statut"] == "incertain"}
    outcome = {"crashed": codes[0], "finished": codes[1],
               "duplicated": sum(count - 1 for count in got.values()),
               "lost": len(set(expected) - set(got) - uncertain),
               "falsely_sent": len(sent - set(got)),
               "uncertain": len(uncertain), "uncertain_delivered": len(uncertain & set(got))}
    (folder.parent / f"result-{n}.json").write_text(json.dumps(outcome), encoding="utf-8")
    shutil.rmtree(folder)
    os._exit(0)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_kill_an_smtp_run_at_every_crash_point_then_finish(template, size, tmp_path, record_property,
                                                          pytestconfig):
    preload()
    reference = tmp_path / "reference"
    shutil.copytree(template, reference)
    log = tmp_path / "points.log"
    code, got = with_server(reference, lambda: in_child(reference, log=log))
    assert code == 0
    points = points_logged(log)
    expected = sorted(got)
    assert len(expected) == size and max(got.values()) == 1 and (len(points) >= 200 or size < CLIENTS)
    assert sum("smtp" in p for p in points) == 2 * size  # end of DATA and the recorded 250, per message

    chosen, how = sampled(len(points), pytestconfig)
    results = kill_each(chosen, points, crash_and_finish, template, expected, tmp_path)
    total = {k: sum(r[k] for r in results.values())
             for k in ("duplicated", "lost", "falsely_sent", "uncertain", "uncertain_delivered")}
    record_property("ci_log", f"SMTP: {len(chosen)} of {len(points)} crash points ({how}), "
                              f"{total['duplicated']} duplicated, {total['lost']} lost, "
                              f"{total['falsely_sent']} falsely marked sent, {total['uncertain']} uncertain "
                              f"(held for a human; {total['uncertain_delivered']} of them delivered)")
    assert (total["duplicated"], total["lost"], total["falsely_sent"]) == (0, 0, 0), results
