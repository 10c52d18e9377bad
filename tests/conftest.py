"""Shared helpers: build registers from a few readable rows (beancount's cmptest idea)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from relance.core.config import Policy, load_policy
from relance.core.model import Client, Invoice, JournalEntry, Register, Task

from registers import fake_sheets, reg, robot_account, sheets_reg, sheets_server  # noqa: F401,E402 (fixtures)

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 25)  # a Wednesday, no holiday around


def pytest_addoption(parser):
    parser.addoption("--today", default=None, metavar="YYYY-MM-DD",
                     help="run the suite with the machine's clock set to this day (11:00, Paris): proves that "
                          "no test depends on the day it runs")
    parser.addoption("--crash-points", type=int, default=12, metavar="N",
                     help="crash points killed by each crash test (0 = every point; default 12, sampled)")
    parser.addoption("--crash-seed", default=None, help="seed of the crash-point sample (printed in the log)")
    parser.addoption("--shard", default=None, metavar="K/N",
                     help="run the K-th of N slices of the suite (1-based), drawn by a hash of each test's id and "
                          "--shard-seed, plus every test of CLOCK_MODULES; with --today, the three frozen days "
                          "share the suite between them")
    parser.addoption("--shard-seed", default=None,
                     help="seed of the slices (default: the machine's date, so the slices rotate day after day)")
    parser.addoption("--days", default=None, metavar="D1,D2,…",
                     help="in one session: every test at one of these frozen days (drawn by a hash of its id "
                          "and --shard-seed); CLOCK_MODULES at all of them and at the real date; slow tests at "
                          "the real date only")


# Tests about the clock itself always run at every frozen day, whatever the slice. (test_clock.py is not
# one: its tests set the machine's clock themselves, at the same three days.)
CLOCK_MODULES = {"test_guards.py", "test_workflow.py", "test_planrun.py", "test_lock_faults.py"}


def shard_seed(config) -> str:
    """--shard-seed, else the machine's real date (not the frozen --today): the slices rotate every day."""
    if config.getoption("--shard-seed"):
        return config.getoption("--shard-seed")
    try:
        return time_machine.escape_hatch.datetime.datetime.now().date().isoformat()
    except ValueError:  # not travelling (no --today): the clock is the real one
        return date.today().isoformat()


def frozen_days(config) -> list[date]:
    return [date.fromisoformat(d) for d in (config.getoption("--days") or "").split(",") if d.strip()]


try:
    import xdist  # noqa: F401  (the hook below exists only with pytest-xdist)

    def pytest_configure_node(node):
        """xdist: every worker draws the same days as the controller (even across midnight)."""
        node.workerinput["relance_seed"] = shard_seed(node.config)
except ImportError:  # pragma: no cover
    pass


def pytest_generate_tests(metafunc):
    """--days: every test with the machine's clock set to a day that is not today — one of the frozen days,
    drawn by a hash of its id and the seed (the draw changes every day) —, the clock tests at every frozen day
    and at the real date (``now``), the slow tests (crash injection, scale) at the real date only.

    Why a day that is not today: a test that only passes on the day it was written is exactly what a frozen
    day catches; the real date is the one day that cannot (it was CI's red on a fresh clone)."""
    days = frozen_days(metafunc.config)
    if not days:
        return
    import zlib
    seed = getattr(metafunc.config, "workerinput", {}).get("relance_seed") or shard_seed(metafunc.config)
    if metafunc.definition.get_closest_marker("slow"):
        chosen = [None]
    elif metafunc.definition.path.name in CLOCK_MODULES:
        chosen = [None, *days]
    else:
        chosen = [days[zlib.crc32(f"{seed}/{metafunc.definition.nodeid}".encode()) % len(days)]]
    metafunc.parametrize("relance_day", chosen, indirect=True,
                         ids=["now" if d is None else d.isoformat() for d in chosen])


@pytest.fixture(autouse=True)
def relance_day(request):
    """The machine's clock for this test: real (``now``), or frozen at 11:00 Paris of a --days day (ticking)."""
    day = getattr(request, "param", None)
    if day is None:
        yield None
        return
    with time_machine.travel(at(day, 11), tick=True):
        yield day


def pytest_collection_modifyitems(config, items):
    shard = config.getoption("--shard")
    if not shard:
        return
    import zlib
    k, n = (int(x) for x in shard.split("/"))
    seed = shard_seed(config)
    keep, drop = [], []
    for item in items:
        always = item.path.name in CLOCK_MODULES
        mine = (zlib.crc32(f"{seed}/{item.nodeid}".encode()) % n) == k - 1
        (keep if always or mine else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_configure(config):
    day = config.getoption("--today")
    if day:  # each xdist worker runs this too, so the whole suite sees that day
        config._relance_clock = time_machine.travel(at(date.fromisoformat(day), 11), tick=True)
        config._relance_clock.start()


def pytest_report_header(config):
    day, shard = config.getoption("--today"), config.getoption("--shard")
    lines = [f"wall clock frozen at {day} 11:00 Europe/Paris (--today)"] if day else []
    if frozen_days(config):
        lines.append(f"every test at one of {config.getoption('--days')} (seed {shard_seed(config)}); "
                     f"the clock modules at all of them and today; slow tests today")
    if shard:
        seed = shard_seed(config)
        lines.append(f"slice {shard} of the suite (seed {seed}) plus the clock modules")
    return lines or None


def pytest_terminal_summary(terminalreporter):
    """Figures a test wants in the CI log (record_property("ci_log", …)); works under xdist too."""
    lines = [value for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
             if report.when == "call" for name, value in report.user_properties if name == "ci_log"]
    for line in lines:
        terminalreporter.write_line(line)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS)


def client(code: str = "C1", **kw) -> Client:
    kw.setdefault("name", f"Client {code}")
    kw.setdefault("email", f"{code.lower()}@example.com")
    return Client(code, **kw)


def invoice(number: str = "F1", client: str = "C1", due: date = TODAY, amount: str = "100.00", **kw) -> Invoice:
    return Invoice(number, client, due, Decimal(amount), **kw)


def sent(number: str, stage: str, day: date, client: str = "C1", key: str | None = None) -> JournalEntry:
    return JournalEntry(at(day, 9), invoice=number, client=client, stage=stage, channel="email", status="sent",
                        key=key or f"{day}/{client}/{stage}", message_id=f"<{number}.{stage}@x>")


def manual(client: str, day: date, comment: str = "Appel", number: str = "") -> JournalEntry:
    return JournalEntry(at(day, 11), invoice=number, client=client, channel="téléphone", status="manual",
                        comment=comment, author="Julie")


def register(invoices=(), clients=None, journal=(), tasks=(), instalments=()) -> Register:
    if clients is None:
        codes = sorted({i.client for i in invoices}) or ["C1"]
        clients = [client(c) for c in codes]
    return Register(tuple(invoices), {c.code: c for c in clients}, tuple(journal), tuple(tasks), tuple(instalments))


def approved(number: str, stage: str = "demeure") -> Task:
    return Task(TODAY - timedelta(days=1), invoices=(number,), approved=True, key=f"T/{number}/{stage}")


@pytest.fixture
def frozen_clock():
    """The wall clock at TODAY 10:00 in Paris (ticking): for runs that must happen 'for real' on TODAY,
    e.g. over SMTP, where another --date than the real day is refused."""
    with time_machine.travel(at(TODAY, 10), tick=True):
        yield


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with the default config.toml, ready for an xlsx register."""
    from relance.core.config import default_config_text
    (tmp_path / "config.toml").write_text(default_config_text(), encoding="utf-8")
    return tmp_path


@pytest.fixture
def workdir_policy(workdir: Path) -> Policy:
    return load_policy(workdir / "config.toml")


def xlsx_register(workdir: Path, invoices: list[dict], clients: list[dict] | None = None,
                  journal: list[dict] = (), tasks: list[dict] = (), payments_up_to="today") -> Path:
    """Write registre.xlsx in `workdir` from rows keyed by schema column keys; Synthèse declares the
    payments recorded up to TODAY unless ``payments_up_to`` says another day (None: not declared)."""
    import openpyxl
    from relance.adapters.backends.xlsx import create_workbook
    from registers import freshness_rows, test_clients
    clients = test_clients(invoices, clients)
    path = workdir / "registre.xlsx"
    create_workbook(path, {"Factures": list(invoices), "Clients": clients, "Journal": list(journal),
                           "Tâches": list(tasks)})
    declared = freshness_rows(payments_up_to)
    if declared:
        workbook = openpyxl.load_workbook(path)
        for row in declared:
            workbook["Synthèse"].append(row)
        workbook.save(path)
    return path


def sheet_rows(path: Path, tab: str) -> list[dict]:
    """A tab as dicts keyed by header, the way a human reads it."""
    import openpyxl
    sheet = openpyxl.load_workbook(path)[tab]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v not in (None, "") for v in r)]


def status_codes(values) -> list[str]:
    """Journal « Statut » cells as stable codes (sent, pending, failed, manual, test), whatever label the bot
    writes (« envoyé », « en cours »… since the French labels; old registers say « sent »): the one helper
    tests compare statuses through."""
    from relance.core.statuses import LEGACY, canonical
    codes = {label: code for code, label in LEGACY.items()}
    return [codes.get(canonical(v or ""), v) for v in values]
