"""Kill the real CLI at every crash point of a run, finish the run, count what the clients got.

Each crash point (after each read, journal write, send, temporary file and sheet
write — see relance.faults) gets its own forked child running `relance run` with
RELANCE_CRASH_AT=N, which dies there like a kill -9; then `relance run` again to
completion. The outbox refuses to rewrite a message that already left, so a
duplicate send shows up as a failure and cannot hide behind the same file name.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from email import message_from_binary_file, policy as email_policy
from pathlib import Path

import pytest

from conftest import sheet_rows, xlsx_register, status_codes

DAY = date(2026, 11, 25)
CLIENTS = 100  # killing every point (--crash-points 0): the ≥ 200 points asked for
SAMPLED_CLIENTS = 30  # a sample (CI): the same kinds of points, a third of the messages, a third of the time


def register_size(config, full: int, sampled_size: int) -> int:
    """Clients in the crash register: `full` when every point is killed, `sampled_size` for a sample, which
    still draws from every kind of point (reads, journal writes, sends, temporary files, sheet writes)."""
    return full if not config.getoption("--crash-points") else sampled_size


def preload() -> None:
    """Import once, before forking, everything a run imports lazily (the CLI keeps `relance --help` fast):
    otherwise each of the 26 forked runs pays ~1.5 s of imports (pandas, fpdf2, the Sheets client…)."""
    import importlib
    for name in ("relance.cli", "relance.cli.console", "relance.runner", "relance.dashboard.summary_layout",
                 "relance.documents.postal", "relance.adapters.backends.gsheets", "relance.adapters.mailers.smtp",
                 "relance.adapters.mailers.outbox", "relance.adapters.backends.xlsx"):
        importlib.import_module(name)


def crash_invoices(clients: int) -> list[dict]:
    """One invoice a client a few days late; every tenth client a second, 40 days late (a consolidated message)."""
    invoices = [{"invoice": f"F{i:03d}", "client": f"C{i:03d}", "due": DAY - timedelta(days=2 + i % 3),
                 "amount": Decimal("100") + i} for i in range(clients)]
    return invoices + [{"invoice": f"G{i:03d}", "client": f"C{i:03d}", "due": DAY - timedelta(days=40),
                        "amount": Decimal("50")} for i in range(0, clients, 10)]


def cli_run(folder: str, crash_at: int | None, log: str | None, wall_clock: datetime | None = None) -> None:
    """The child: `relance run --date DAY` in its own process, possibly told to die at a point; `wall_clock`
    freezes the machine's clock there (SMTP refuses a --date other than the real day)."""
    from relance.adapters import faults
    from relance.cli import app
    faults.reset()
    for name, value in (("RELANCE_CRASH_AT", crash_at), ("RELANCE_CRASH_LOG", log)):
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = str(value)
    if wall_clock is not None:
        import time_machine
        time_machine.travel(wall_clock, tick=True).start()
    try:
        app(["run", "--config", f"{folder}/config.toml", "--date", DAY.isoformat()], standalone_mode=False)
    except SystemExit:
        pass
    os._exit(0)


def in_child(folder: Path, crash_at: int | None = None, log: Path | None = None,
             wall_clock: datetime | None = None, timeout: float = 120) -> int:
    """Exit code of `cli_run` in a forked child; -1 (never counted) when it is still running after `timeout`."""
    process = multiprocessing.get_context("fork").Process(
        target=cli_run, args=(str(folder), crash_at, str(log) if log else None, wall_clock))
    process.start()
    process.join(timeout)
    if process.exitcode is None:  # never count deliveries while a run is still going
        process.kill()
        process.join()
        return -1
    return process.exitcode


def delivered(folder: Path) -> dict[str, int]:
    keys: dict[str, int] = {}
    for path in (folder / "outbox").glob("*.eml"):
        with open(path, "rb") as handle:
            key = message_from_binary_file(handle, policy=email_policy.default)["X-Relance-Key"]
        keys[key] = keys.get(key, 0) + 1
    return keys


@pytest.fixture(scope="module")
def size(pytestconfig) -> int:
    return register_size(pytestconfig, CLIENTS, SAMPLED_CLIENTS)


@pytest.fixture(scope="module")
def template(tmp_path_factory, size) -> Path:
    from relance.core.config import default_config_text
    folder = tmp_path_factory.mktemp("crash-template")
    (folder / "config.toml").write_text(default_config_text(), encoding="utf-8")
    xlsx_register(folder, crash_invoices(size))
    return folder


def crash_and_finish(template: Path, folder: Path, n: int, expected: set[str]) -> None:
    """One crash point, in its own process: kill the run at point `n`, finish it, write the counts."""
    shutil.copytree(template, folder)
    outcome = {"crashed": in_child(folder, crash_at=n), "finished": in_child(folder)}
    got = delivered(folder)
    journal = sheet_rows(folder / "registre.xlsx", "Journal")
    refused = [r for r in journal if status_codes([r["Statut"]])[0] == "failed" and "déjà parti" in (r["Commentaire"] or "")]
    sent = [(r["Clé"], r["N° facture"]) for r in journal if status_codes([r["Statut"]])[0] == "sent"]
    outcome.update(duplicates=len(refused) + sum(count - 1 for count in got.values()),
                   missing=len(expected - set(got)), double_journal=len(sent) - len(set(sent)))
    (folder.parent / f"result-{n}.json").write_text(json.dumps(outcome), encoding="utf-8")
    shutil.rmtree(folder)
    os._exit(0)


def sampled(count: int, config) -> tuple[list[int], str]:
    """Which crash points this run kills: all with ``--crash-points 0``, else a sample drawn with a
    seed printed in the log (``--crash-seed`` replays it), always with the first and the last point."""
    import random
    wanted = config.getoption("--crash-points")
    if not wanted or wanted >= count:
        return list(range(1, count + 1)), "all"
    seed = config.getoption("--crash-seed")
    seed = int(seed) if seed is not None else random.SystemRandom().randrange(10 ** 6)
    points = {1, count, *random.Random(seed).sample(range(2, count), wanted - 2)}
    return sorted(points), f"seed {seed}"


def points_logged(log: Path) -> list[str]:
    """The crash points a reference run passed, in order (RELANCE_CRASH_LOG: « n<TAB>point » per line)."""
    return [line.split("\t", 1)[1].strip() for line in log.read_text(encoding="utf-8").splitlines()]


def kill_each(chosen: list[int], points: list[str], job, template: Path, expected,
              tmp_path: Path) -> dict[int, dict]:
    """`job(template, folder, n, expected)` for each crash point `n`, two forked processes at a time (one per
    core), each writing ``result-<n>.json``. Every point must have been reached and every finishing run must
    have ended well; returns the results by point."""
    fork = multiprocessing.get_context("fork")
    running: list = []
    for n in chosen:
        if len(running) == 2:
            running.pop(0).join(300)
        process = fork.Process(target=job, args=(template, tmp_path / f"crash-{n}", n, expected))
        process.start()
        running.append(process)
    for process in running:
        process.join(300)
    results = {n: json.loads((tmp_path / f"result-{n}.json").read_text(encoding="utf-8")) for n in chosen}
    unreached = [f"{n} ({points[n - 1]})" for n, r in results.items() if r["crashed"] != 86]
    assert not unreached and all(r["finished"] == 0 for r in results.values())
    return results


@pytest.mark.slow
def test_kill_at_every_crash_point_then_finish(template, size, tmp_path, record_property, pytestconfig):
    preload()
    reference = tmp_path / "reference"
    shutil.copytree(template, reference)
    log = tmp_path / "points.log"
    assert in_child(reference, log=log) == 0
    points = points_logged(log)
    expected = set(delivered(reference))
    assert len(expected) == size and (len(points) >= 200 or size < CLIENTS)

    chosen, how = sampled(len(points), pytestconfig)
    results = kill_each(chosen, points, crash_and_finish, template, expected, tmp_path)
    duplicates = sum(r["duplicates"] for r in results.values())
    missing = sum(r["missing"] for r in results.values())
    assert sum(r["double_journal"] for r in results.values()) == 0
    record_property("ci_log", f"{len(chosen)} of {len(points)} crash points ({how}), "   # conftest prints it
                              f"{duplicates} duplicates, {missing} missing")
    assert (duplicates, missing) == (0, 0)
