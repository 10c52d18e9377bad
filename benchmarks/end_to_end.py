"""`relance run` end to end against the local fake Google Sheets server, as a user runs it.

The fake (tests/fakes/sheets_server.py) runs in this process; the register goes in it,
a config.toml (backend gsheets) and a service-account key whose ``token_uri`` is the
fake's go in a temporary folder, and the real CLI runs as a subprocess with
``RELANCE_SHEETS_API_URL`` pointing at the fake: credentials, gspread, the read, the
parse, the plan, the rendering, the .eml files, the console output, all included.

Measured per run: wall time around the subprocess, its peak RSS, the Sheets requests by
kind (the OAuth token request is not a Sheets request), and the seconds the fake spent
answering (building the JSON Google would build on its side: part of the wall time,
reported so it can be told apart).

Peak RSS is the child's ``VmHWM`` (/proc/<pid>/status), read every 20 ms until it exits.
Not ``ru_maxrss`` from ``wait4``: Linux carries the parent's high-water mark across
fork/exec into the child's ``ru_maxrss``, and this parent holds the fake's copy of a
500 000-row register (measured: every child "peaked" at the parent's 282 MB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from relance.core.perf import paused_gc
from tests.fakes.sheets_server import FakeSheetsServer

from .generate import rows as generate_rows

ROOT = Path(__file__).resolve().parent.parent
ROBOT = "relance-bench@relance-bench.iam.gserviceaccount.com"


class TimedFake(FakeSheetsServer):
    """The fake, adding up the seconds spent answering Sheets requests."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.server_seconds = 0.0
        self._timing = threading.Lock()

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        start = time.perf_counter()
        try:
            return super().handle(method, raw_path, headers, body)
        finally:
            with self._timing:
                self.server_seconds += time.perf_counter() - start

    def sheets_requests(self) -> dict[str, int]:
        from tests.registers import sheets_requests
        return sheets_requests(self)

    def start_counting(self) -> None:
        self.reset_counts()
        self.server_seconds = 0.0


@dataclass
class CliRun:
    """One `relance run` subprocess."""

    rows: int
    dry_run: bool
    seconds: float
    peak_rss_mb: float
    requests: dict[str, int]
    server_seconds: float
    messages: int
    exit_code: int
    cells: int  # in the spreadsheet (Google's limit: 10 000 000)
    output: str = field(repr=False, default="")

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def as_dict(self) -> dict:
        return {"rows": self.rows, "dry_run": self.dry_run, "seconds": round(self.seconds, 2),
                "peak_rss_mb": round(self.peak_rss_mb), "requests": self.total_requests,
                "requests_by_kind": dict(sorted(self.requests.items())),
                "fake_server_seconds": round(self.server_seconds, 2), "messages": self.messages,
                "exit_code": self.exit_code, "cells": self.cells}


def sheets_tabs(data: dict[str, list[dict]]) -> dict[str, list[list]]:
    """Generated rows -> the tabs `relance init --google` creates, as the fake stores them."""
    from relance.core import schema
    from tests.registers import tab_values
    tabs = {tab.name: tab_values(tab, data.get(tab.name, [])) for tab in schema.DATA_TABS}
    tabs.update({schema.SYNTHESE.name: [], schema.HISTORIQUE.name: []})
    return tabs


class Bench:
    """A fake server, a working folder with config.toml and the robot's key, registers loaded on demand."""

    def __init__(self, today: date):
        self.today = today
        self.fake = TimedFake()
        self.folder = Path(tempfile.mkdtemp(prefix="relance-bench-"))

    def __enter__(self) -> "Bench":
        from tests.registers import service_account_info
        self.fake.start()
        key_file = self.folder / "service-account.json"
        key_file.write_text(json.dumps(service_account_info(self.fake.base_url + "/token", ROBOT)), encoding="utf-8")
        return self

    def __exit__(self, *exc: Any) -> None:
        import shutil
        self.fake.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def load(self, n: int, seed: int = 7, *, lock: bool = False) -> str:
        """A fresh spreadsheet holding the generated register of `n` invoices; config.toml points at it.
        `lock`: as after a first writing run (see `_first_lock`)."""
        from relance.adapters.backends.gsheets_init import google_config_text
        self.fake.reset()
        tabs = sheets_tabs(generate_rows(n, self.today, seed))
        self.cells = sum(len(rows) * max(map(len, rows), default=0) for rows in tabs.values())
        key = self.fake.create_spreadsheet("Registre", tabs, shared_with=[ROBOT])
        url = f"https://docs.google.com/spreadsheets/d/{key}/edit"
        (self.folder / "config.toml").write_text(google_config_text(url, "service-account.json"), encoding="utf-8")
        if lock:
            self._first_lock(key)
        return key

    def _first_lock(self, key: str) -> None:
        """The very first writing run on a register adds the hidden Verrou tab (2 requests, once ever):
        done here, so the runs measured cost what every later run costs. (Not for dry runs, which take
        no lock: a register past Google's 10 M cells, as 500 000 rows with their journal are, gets no
        new tab, in Google or in the fake.)"""
        from datetime import timedelta

        from relance.adapters.backends.gsheets import GoogleSheetsBackend
        lock = GoogleSheetsBackend(self.client(), key).run_lock("benchmark", timedelta(minutes=5))
        lock.acquire()
        lock.release()

    def client(self):
        """A gspread client on the fake (for the naive script), acting as the robot."""
        from tests.fakes.gspread_local import local_client
        self.fake.register_token("ya29.bench-naive", ROBOT)
        return local_client(self.fake.base_url, token="ya29.bench-naive")

    def run_cli(self, n: int, *, dry_run: bool = True) -> CliRun:
        """`relance run [--dry-run] --date <today>` on the register last loaded."""
        import shutil
        shutil.rmtree(self.folder / "outbox", ignore_errors=True)
        command = [sys.executable, "-m", "relance.cli", "run", "--config", str(self.folder / "config.toml"),
                   "--date", self.today.isoformat()] + (["--dry-run"] if dry_run else [])
        env = {**os.environ, "RELANCE_SHEETS_API_URL": self.fake.base_url, "COLUMNS": "120",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
        env.pop("RELANCE_DRIVE_API_URL", None)
        with tempfile.TemporaryFile() as out, paused_gc():  # the fake's storage is ours, not Google's: no
            self.fake.start_counting()                      # collector passes over it while it answers
            start = time.perf_counter()
            child = subprocess.Popen(command, cwd=self.folder, env=env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
            peak_kb, status, usage = 0, None, None
            while status is None:
                peak_kb = max(peak_kb, _high_water_kb(child.pid))
                pid, raw_status, rusage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    status, usage = raw_status, rusage
                else:
                    time.sleep(0.02)
            seconds = time.perf_counter() - start
            child.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            output = out.read().decode("utf-8", "replace")
        outbox = self.folder / "outbox"
        messages = sum(1 for _ in outbox.rglob("*.eml")) if outbox.exists() else 0
        return CliRun(n, dry_run, seconds, (peak_kb or usage.ru_maxrss) / 1024, self.fake.sheets_requests(),
                      self.fake.server_seconds, messages, child.returncode, self.cells, output)


def _high_water_kb(pid: int) -> int:
    """The process's own peak resident set (VmHWM, kB) so far; 0 where /proc is not there."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0
