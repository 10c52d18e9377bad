"""How large a register fits Google's 10 MiB cap on a Sheets request (issue 20, item 6).

    python -m benchmarks.sheets_request_size                  # 10 000 and 60 000 invoices
    python -m benchmarks.sheets_request_size --sizes 200000

Two figures:

1. *one request*: the final write of a first run rewrites every bot cell of Factures (Étape,
   Dernière relance, Relances envoyées, Prochaine action, Pénalités, Alerte). Its body is
   measured per invoice (``gsheets_split.request_bytes`` of what the backend would send, all
   cells changed, long French « Prochaine action » texts), giving the largest register whose
   whole final write fits in one ``spreadsheets.batchUpdate``.
2. *writing runs*: ``relance run`` on generated registers against the fake server, which
   refuses any body over 10 MiB as Google does: exit code, requests, the largest body sent,
   and how many ``spreadsheets.batchUpdate`` the final write took (more than one: it was cut).

Results go to benchmarks/request_size.json (``--output``).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

from .end_to_end import Bench, TimedFake

TODAY = date(2026, 11, 25)
HERE = Path(__file__).resolve().parent


class SizingFake(TimedFake):
    """The fake, noting the size of every request body."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.bodies: list[tuple[str, int, int]] = []  # (path, bytes, status)

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        status, answer = super().handle(method, raw_path, headers, body)
        if body:
            self.bodies.append((raw_path, len(body), status))
        return status, answer

    def start_counting(self) -> None:
        super().start_counting()
        self.bodies = []


def worst_case_bytes_per_invoice(n: int = 20_000) -> float:
    """Bytes per invoice of a final write changing every bot cell (pure: no server)."""
    from datetime import datetime
    from decimal import Decimal

    from relance.core import schema
    from relance.adapters.backends import Changes
    from relance.adapters.backends.gsheets_split import request_bytes
    from relance.adapters.backends.gsheets_write import Meta, TabRead, plan_write

    header = schema.FACTURES.headers
    number = [c.key for c in schema.FACTURES.columns].index("invoice")
    rows = [header] + [[None] * number + [f"F{i:07d}"] for i in range(n)]
    meta = Meta({"sheets": [{"properties": {"sheetId": 0, "title": "Factures",
                                            "gridProperties": {"rowCount": n + 1, "columnCount": len(header)}}}]})
    reads = {"Factures": TabRead.from_rows("Factures", schema.FACTURES, rows, "invoice")}
    values = {"stage": "Relance renforcée", "last_reminder": datetime(2026, 11, 25, 10, 7), "reminders_sent": 3,
              "next_action": "Mise en demeure prévue le 02/12/2026 (J+30)", "penalties": Decimal("1234.56"),
              "alert": "Échéance illisible « 31/02 » : corrigez la colonne D"}
    changes = Changes(invoices={f"F{i:07d}": {k: v for k, v in values.items() if k in
                                              {c.key for c in schema.FACTURES.bot_columns}} for i in range(n)})
    plan = plan_write(changes, meta, reads)
    return request_bytes(plan.requests({"Factures": 0})) / n


def writing_run(bench: Bench, n: int) -> dict:
    bench.load(n, lock=True)
    run = bench.run_cli(n, dry_run=False)
    fake: SizingFake = bench.fake  # type: ignore[assignment]
    updates = [(size, status) for path, size, status in fake.bodies if path.endswith(":batchUpdate")]
    return {"invoices": n, "exit_code": run.exit_code, "seconds": round(run.seconds, 1), "peak_rss_mb": round(run.peak_rss_mb),
            "requests": run.total_requests, "largest_body_bytes": max(size for size, _ in updates),
            "refused_bodies": sum(1 for _, status in updates if status == 400),
            "final_write_parts": max(0, len(updates) - 3),  # minus lock, pending rows, unlock
            "messages": run.messages, "cells": bench.cells, "output_tail": run.output[-300:] if run.exit_code else ""}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sheets_request_size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 60_000])
    parser.add_argument("--output", type=Path, default=HERE / "request_size.json")
    options = parser.parse_args(argv)
    from relance.adapters.backends.gsheets_split import LIMIT, MAX_REQUEST_BYTES
    per_invoice = worst_case_bytes_per_invoice()
    results: dict = {"cap_bytes": MAX_REQUEST_BYTES, "limit_used_bytes": LIMIT,
                     "worst_case_bytes_per_invoice": round(per_invoice, 1),
                     "largest_register_in_one_request": int(LIMIT / per_invoice), "runs": []}
    print(f"final write, every bot cell changed: {per_invoice:.0f} bytes per invoice -> "
          f"{results['largest_register_in_one_request']} invoices in one request of at most {LIMIT} bytes")
    bench = Bench(TODAY)
    bench.fake = SizingFake()
    with bench:
        for n in options.sizes:
            start = time.perf_counter()
            result = writing_run(bench, n)
            results["runs"].append(result)
            print(f"{n:>8} invoices: exit {result['exit_code']}, {result['requests']} requests, largest body "
                  f"{result['largest_body_bytes'] / 2 ** 20:.2f} MiB, final write in {result['final_write_parts']} "
                  f"part(s), {result['refused_bodies']} refused ({time.perf_counter() - start:.0f} s)")
    options.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
