"""Google Sheets requests per run, against the local fake Sheets API, beside a naive gspread loop.

    python -m benchmarks.sheets_requests [N ...]      (default: 10 1000 10000 50000)

For each register size N (benchmarks/generate.py: realistic mix of paid, late, disputed…
invoices, a journal of earlier runs), one real `runner.run` through the Google Sheets
backend: requests per kind (the run lock's append and release included: 6 + 2), wall
time of the run (planning, rendering and writing the .eml files included). Then, for N ≤ 1000, what a per-row loop
costs for the same bot columns (`worksheet.update_cell` per cell, gspread's natural
API): one request per cell, and one more per tab lookup. Google allows 60 requests a
minute per user, so the loop would also take N × 5 / 60 minutes of quota at best.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, datetime, time as clock, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.generate import rows as generate_rows

TODAY = date(2026, 11, 25)
NOW = datetime.combine(TODAY, clock(10), tzinfo=ZoneInfo("Europe/Paris"))


def sheets_tabs(n: int) -> dict:
    from relance import schema
    from tests.registers import tab_values
    data = generate_rows(n, TODAY)
    tabs = {tab.name: tab_values(tab, data.get(tab.name, [])) for tab in schema.DATA_TABS}
    tabs.update({"Synthèse": [], "Historique": []})
    return tabs


def one_run(fake, n: int) -> tuple[dict, float, int, int]:
    """Requests by kind, seconds, messages sent, invoices planned."""
    from relance import runner
    from relance.backends.gsheets import GoogleSheetsBackend
    from relance.config import Policy
    from relance.mailers.outbox import OutboxMailer
    from tests.fakes.gspread_local import local_client
    key = fake.create_spreadsheet("Registre", sheets_tabs(n))
    backend = GoogleSheetsBackend(local_client(fake.base_url), key)
    lock = backend.run_lock("benchmark", timedelta(minutes=5))
    lock.acquire()  # the first lock ever adds the hidden Verrou tab: once per register, not counted
    lock.release()
    fake.reset_counts()
    backend = GoogleSheetsBackend(local_client(fake.base_url), key)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        report = runner.run(Policy(), today=TODAY, now=NOW, backend=backend, mailer=OutboxMailer(Path(folder)))
        elapsed = time.perf_counter() - start
    counts: dict[str, int] = {}
    for record in fake.requests:
        counts[record.kind] = counts.get(record.kind, 0) + 1
    return counts, elapsed, len(report.sent), len(report.plan.states)


def naive_loop(fake, n: int) -> tuple[int, float]:
    """Bot columns written cell by cell, as a straightforward gspread script would."""
    from relance import schema
    from tests.fakes.gspread_local import local_client
    key = fake.create_spreadsheet("Naïf", sheets_tabs(n))
    fake.reset_counts()
    start = time.perf_counter()
    sheet = local_client(fake.base_url).open_by_key(key).worksheet("Factures")
    header = sheet.row_values(1)
    numbers = sheet.col_values(1)
    bot = [header.index(c.header) + 1 for c in schema.FACTURES.bot_columns if c.key != "penalties"]
    for row, _ in enumerate(numbers[1:], start=2):
        for col in bot:
            sheet.update_cell(row, col, "x")
    return fake.count(), time.perf_counter() - start


def main(sizes: list[int]) -> None:
    from tests.fakes.sheets_server import FakeSheetsServer
    kinds = {"spreadsheets.get": "meta", "values.batchGet": "batchGet", "values.append": "append",
             "spreadsheets.batchUpdate": "batchUpdate"}
    print(f"{'N':>7} {'requests':>8}  " + "  ".join(kinds.values()) + "   run (s)  messages"
          "  | naive loop: requests  time (s)")
    with FakeSheetsServer() as fake:
        for n in sizes:
            counts, elapsed, sent, _ = one_run(fake, n)
            naive = ""
            if n <= 1000:
                requests, seconds = naive_loop(fake, n)
                naive = f"  | {requests:>20}  {seconds:7.2f}"
            print(f"{n:>7} {sum(counts.values()):>8}  "
                  + "  ".join(f"{counts.get(k, 0):>{len(label)}}" for k, label in kinds.items())
                  + f"   {elapsed:7.2f}  {sent:>8}{naive}")
            fake.reset()

if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 1000, 10000, 50000])
