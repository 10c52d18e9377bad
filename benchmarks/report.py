"""The targets of issue 10, the verdict on each, and the printed table (Markdown, pasted in the README)."""

from __future__ import annotations

from .naive import WRITE_KINDS, WRITES_PER_MINUTE, quota_minutes

GOOGLE_CELL_LIMIT = 10_000_000
TARGETS = {"planner_100k_seconds": 2.0, "run_500k_seconds": 30.0, "run_500k_rss_mb": 2048,
           "requests_per_run": 6, "lock_requests": 2, "naive_ratio_1k": 50}


def one_size(measure, prog: str, default: int, argv: list[str] | None) -> dict:
    """The command line of a one-size benchmark (``--size N``): measure, print one line of figures, return them."""
    import argparse
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--size", type=int, default=default)
    figures = measure(parser.parse_args(argv).size)
    print(" · ".join(f"{k} {v}" for k, v in figures.items()))
    return figures


def _at(rows: list[dict], key: str, n: int) -> dict | None:
    return next((r for r in rows if r[key] == n), None)


def _writes(run: dict) -> int:
    return sum(count for kind, count in run["requests_by_kind"].items() if kind in WRITE_KINDS)


def ratio(results: dict, naive: dict) -> tuple[float, dict]:
    """Naive requests over ours at the same size (the writing run, else the dry run)."""
    ours = _at(results["writing_runs"], "rows", naive["rows"]) or _at(results["dry_runs"], "rows", naive["rows"])
    return (naive["requests"] / ours["requests"] if ours and ours["requests"] else float("inf")), ours or {}


def verdicts(results: dict) -> list[dict]:
    out = []

    def check(target: str, measured, limit, met: bool, unit: str = "") -> None:
        note = "" if met else f"misses by {abs(measured - limit):.4g}{unit} ({measured / limit - 1:+.0%})"
        out.append({"target": target, "measured": measured, "met": met, "note": note})

    if planner := _at(results["planner"], "invoices", 100_000):
        limit = TARGETS["planner_100k_seconds"]
        check("planner, 100 000 invoices, one core: ≤ 2 s", planner["seconds"], limit, planner["seconds"] <= limit, " s")
    if run := _at(results["dry_runs"], "rows", 500_000):
        limit = TARGETS["run_500k_seconds"]
        check("relance run --dry-run, 500 000 rows: ≤ 30 s", run["seconds"], limit, run["seconds"] <= limit, " s")
        limit = TARGETS["run_500k_rss_mb"]
        check("relance run --dry-run, 500 000 rows: peak RSS ≤ 2 GB", run["peak_rss_mb"], limit,
              run["peak_rss_mb"] <= limit, " MB")
    if results["dry_runs"]:
        most = max(r["requests"] for r in results["dry_runs"])
        check("Sheets requests per dry run ≤ 6, every size", most, TARGETS["requests_per_run"],
              most <= TARGETS["requests_per_run"])
    if results["writing_runs"]:
        most = max(r["requests"] for r in results["writing_runs"])
        limit = TARGETS["requests_per_run"] + TARGETS["lock_requests"]
        check("Sheets requests per writing run ≤ 6 + 2 (run lock)", most, limit, most <= limit)
    if naive := _at(results["naive"], "rows", 1_000):
        times, _ = ratio(results, naive)
        check("naive script / relance requests, 1 000 rows: ≥ 50×", round(times, 1), TARGETS["naive_ratio_1k"],
              times >= TARGETS["naive_ratio_1k"], "×")
    return out


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def print_table(results: dict) -> None:
    if results["planner"]:
        print("Planner alone (`plan()`, best of 3, one core)\n")
        print("| invoices | seconds | journal rows | messages | tasks |\n|---:|---:|---:|---:|---:|")
        for p in results["planner"]:
            print(f"| {_n(p['invoices'])} | {p['seconds']:.2f} | {_n(p['journal_rows'])} | {p['reminders']} "
                  f"| {_n(p['tasks'])} |")
    runs = results["dry_runs"] + results["writing_runs"]
    if runs:
        print("\n`relance run` as a subprocess, register in the local fake Google Sheets server\n")
        print("| rows | cells | run | wall (s) | of which fake server (s) | peak RSS (MB) | Sheets requests "
              "| messages |\n|---:|---:|---|---:|---:|---:|---:|---:|")
        for r in sorted(runs, key=lambda r: (r["rows"], not r["dry_run"])):
            kinds = ", ".join(f"{k.split('.')[-1]} {v}" for k, v in r["requests_by_kind"].items())
            cells = (f"{r['cells'] / 1e6:.1f} M" if r["cells"] >= 1e6 else f"{r['cells'] / 1e3:.0f} k") \
                + (" ¹" if r["cells"] > GOOGLE_CELL_LIMIT else "")
            print(f"| {_n(r['rows'])} | {cells} | {'--dry-run' if r['dry_run'] else 'writing'} | {r['seconds']:.1f} "
                  f"| {r['fake_server_seconds']:.1f} | {r['peak_rss_mb']:.0f} | {r['requests']} ({kinds}) "
                  f"| {r['messages']} |")
        if any(r["cells"] > GOOGLE_CELL_LIMIT for r in runs):
            print("\n¹ beyond Google's 10 M cells per spreadsheet: only the fake holds it (measured for headroom).")
    if results["naive"]:
        print(f"\nNaive gspread script (get_all_records, update_cell ×3 and append_row per reminder), same server "
              f"and data; quota: {WRITES_PER_MINUTE} write requests a minute per user\n")
        print("| rows | naive requests (writes) | reminders | naive time (s) | naive under quota "
              "| relance requests (writes) | ratio | relance under quota |\n|---:|---:|---:|---:|---:|---:|---:|---|")
        for n in results["naive"]:
            times, ours = ratio(results, n)
            writes = _writes(ours) if ours else 0
            wait = "no wait" if writes <= WRITES_PER_MINUTE else f"≥ {quota_minutes(writes):.1f} min"
            print(f"| {_n(n['rows'])} | {_n(n['requests'])} ({_n(n['write_requests'])}) | {_n(n['reminders'])} "
                  f"| {n['seconds']:.1f} | ≥ {n['quota_minutes']:.1f} min | {ours.get('requests', '?')} ({writes}) "
                  f"| {times:.0f}× | {wait} |")
    if results.get("verdicts"):
        print("\nTargets\n")
        for v in results["verdicts"]:
            print(f"- {'met' if v['met'] else 'MISSED'}: {v['target']} — measured {v['measured']}"
                  + (f"; {v['note']}" if v["note"] else ""))
