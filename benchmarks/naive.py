"""The baseline: a reminder script written the way such scripts are shared (gspread, a loop, a cell at a time).

`chase` is that script, kept as people write it so the comparison is honest: open the
spreadsheet by key, ``get_all_records()`` on Clients and Factures, then for every overdue,
unpaid invoice not reminded in the last 7 days, send a mail and ``update_cell`` its stage,
last-reminder date and count, and ``append_row`` a line to the Journal. Mail sending is
left out (it costs no Sheets request; relance's dry run writes .eml files instead).

What it costs: a handful of requests to read, then 4 write requests per reminded invoice.
Google allows 60 write requests a minute per user (and gspread's default client raises on
the 61st, ending the script halfway), so the script needs at least writes / 60 minutes.
`measure` runs it against the benchmark's fake server and counts requests by kind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

WRITES_PER_MINUTE = 60  # Google Sheets API: write requests per minute per user
STOP = ("Payée", "Annulée", "Litige", "Pause", "Échéancier")
LADDER = ("Relance amiable", "Relance renforcée", "Mise en demeure")


def chase(gc: Any, key: str, today: date) -> int:
    """The naive script itself; returns how many reminders it "sent"."""
    sheet = gc.open_by_key(key)
    factures = sheet.worksheet("Factures")
    journal = sheet.worksheet("Journal")
    emails = {c["Code client"]: c["Email"] for c in sheet.worksheet("Clients").get_all_records()}
    headers = factures.row_values(1)
    stage_col = headers.index("Étape") + 1
    last_col = headers.index("Dernière relance") + 1
    count_col = headers.index("Relances envoyées") + 1
    sent = 0
    for i, row in enumerate(factures.get_all_records(), start=2):
        if row["Statut"] in STOP:
            continue
        try:
            due = datetime.strptime(str(row["Échéance"]), "%d/%m/%Y").date()
            left = float(row["Montant TTC"] or 0) - float(row["Montant réglé"] or 0)
        except ValueError:
            continue  # a bad row: skipped silently, as these scripts do
        if due >= today or left <= 0:
            continue
        last = str(row["Dernière relance"])[:10]
        if last and (today - date.fromisoformat(last)).days < 7:
            continue
        count = int(row["Relances envoyées"] or 0) + 1
        stage = LADDER[min(count, len(LADDER)) - 1]
        # send_mail(emails.get(row["Client"]), f"Facture {row['N° facture']} impayée", ...)  (smtplib)
        factures.update_cell(i, stage_col, stage)
        factures.update_cell(i, last_col, today.isoformat())
        factures.update_cell(i, count_col, count)
        journal.append_row([f"{today.isoformat()} 09:00", row["N° facture"], row["Client"], stage, "email",
                            emails.get(row["Client"], ""), f"Facture {row['N° facture']} impayée", "sent"])
        sent += 1
    return sent


@dataclass
class NaiveRun:
    rows: int
    seconds: float
    requests: dict[str, int]
    reminders: int

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def write_requests(self) -> int:
        return sum(n for kind, n in self.requests.items() if kind in WRITE_KINDS)

    def as_dict(self) -> dict:
        return {"rows": self.rows, "seconds": round(self.seconds, 2), "requests": self.total_requests,
                "write_requests": self.write_requests, "requests_by_kind": dict(sorted(self.requests.items())),
                "reminders": self.reminders, "quota_minutes": round(quota_minutes(self.write_requests), 1)}


WRITE_KINDS = {"values.update", "values.batchUpdate", "values.append", "spreadsheets.batchUpdate"}


def quota_minutes(writes: int) -> float:
    """The least time `writes` write requests take at Google's per-user rate."""
    return writes / WRITES_PER_MINUTE


def measure(bench: Any, n: int) -> NaiveRun:
    """The naive script on a fresh copy of the register of `n` invoices, through gspread, against the fake."""
    from relance.core.perf import paused_gc
    key = bench.load(n)
    client = bench.client()
    bench.fake.start_counting()
    with paused_gc():
        start = time.perf_counter()
        reminders = chase(client, key, bench.today)
        seconds = time.perf_counter() - start
    return NaiveRun(n, seconds, bench.fake.sheets_requests(), reminders)
