"""`python -m benchmarks`: scale and Google Sheets API cost, beside the naive script, in one run.

    python -m benchmarks                 # planner 1k/10k/100k; runs at 1k/10k/100k/500k; naive at 1k/10k
    python -m benchmarks --quick         # 1k and 10k only (about a minute)
    python -m benchmarks --sizes 50      # a smoke run (what the test suite does)

Prints a table and writes benchmarks/results.json (``--output``), with the machine described.
Sections (see planner_time.py, end_to_end.py, naive.py):

1. planner: ``plan()`` alone, best of 3, one core;
2. ``relance run --dry-run`` as a subprocess against the local fake Google Sheets server:
   wall time, peak RSS, Sheets requests; and ``relance run`` writing, at sizes up to 10 000;
3. the naive gspread script on the same server and data: requests, time, and the time
   Google's 60 write requests a minute would impose, against ours.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import date
from pathlib import Path

from . import machine, naive, planner_time
from .end_to_end import Bench
from .report import TARGETS, print_table, verdicts

TODAY = date(2026, 11, 25)
FULL = (1_000, 10_000, 100_000, 500_000)
QUICK = (1_000, 10_000)


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 000 and 10 000 rows only")
    parser.add_argument("--sizes", type=int, nargs="+", help="rows for the end-to-end runs (default 1k 10k 100k 500k)")
    parser.add_argument("--planner-sizes", type=int, nargs="+", help="invoices for the planner alone "
                        "(default: the run sizes up to 100 000)")
    parser.add_argument("--naive-sizes", type=int, nargs="+", help="rows for the naive script (default: the run sizes up to 10 000)")
    parser.add_argument("--writing-up-to", type=int, default=10_000, help="also a real (writing) run at sizes up to this")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args(argv)
    args.sizes = sorted(args.sizes or (QUICK if args.quick else FULL))
    args.planner_sizes = sorted(args.planner_sizes or [n for n in args.sizes if n <= 100_000] or args.sizes[:1])
    args.naive_sizes = sorted(args.naive_sizes or [n for n in args.sizes if n <= 10_000] or args.sizes[:1])
    return args


def main(argv: list[str] | None = None) -> dict:
    args = options(argv)
    results: dict = {"machine": machine.describe(), "today": TODAY.isoformat(), "targets": TARGETS,
                     "planner": [], "dry_runs": [], "writing_runs": [], "naive": []}
    print(f"relance benchmarks · {machine.one_line(results['machine'])}", flush=True)
    for n in args.planner_sizes:
        results["planner"].append(planner_time.measure(n, TODAY))
        print(f"  planner {n:>9_} invoices: {results['planner'][-1]['seconds']:.2f} s", flush=True)
    with Bench(TODAY) as bench:
        for n in args.sizes:
            for dry_run in (True, False) if n <= args.writing_up_to else (True,):
                bench.load(n, lock=not dry_run)
                run = bench.run_cli(n, dry_run=dry_run)
                if run.exit_code not in (0, 2):
                    raise SystemExit(f"relance run failed at {n} rows (exit {run.exit_code}):\n{run.output[-3000:]}")
                results["dry_runs" if dry_run else "writing_runs"].append(run.as_dict())
                print(f"  relance run{' --dry-run' if dry_run else ''} {n:>9_} rows: {run.seconds:.1f} s, "
                      f"{run.peak_rss_mb:.0f} MB, {run.total_requests} requests", flush=True)
        for n in args.naive_sizes:
            results["naive"].append(naive.measure(bench, n).as_dict())
            print(f"  naive script {n:>9_} rows: {results['naive'][-1]['requests']} requests", flush=True)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["verdicts"] = verdicts(results)
    print()
    print_table(results)
    args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.output}")
    return results


if __name__ == "__main__":
    main()
