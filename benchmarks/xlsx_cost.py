"""What one .xlsx register costs a run: time and peak memory, by shape (issue 15 item 8, issue 20 item 12).

Two shapes:
* cleared rows: a Journal followed by N formatted-but-empty rows (what Excel leaves after
  "clear contents"); we time the load and one journal append of 10 rows. Linear or better
  is the requirement (the openpyxl save path took 192 s at 20 000 rows).
* big register: the generated register (benchmarks/generate.py) at a size giving a file of a
  few MB; we time load and a full run's write (bot columns of every invoice + journal rows +
  Synthèse) and measure peak RSS of a child process doing only that.

Run: ``python -m benchmarks.xlsx_cost [--sizes 0,20000,100000] [--invoices 60000]``; prints a table.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

TODAY = date(2026, 11, 25)


def cleared_register(path: Path, empty_rows: int) -> None:
    """A register whose Journal has 3 rows then `empty_rows` formatted but empty rows."""
    from relance.adapters.backends.xlsx import create_workbook
    journal = [{"timestamp": datetime(2026, 11, 2, 9), "invoice": f"F{i}", "client": "C1", "stage": "amiable",
                "channel": "email", "status": "sent", "key": f"k{i}", "author": "bot"} for i in range(3)]
    create_workbook(path, {"Factures": [], "Clients": [], "Journal": journal})
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info.filename)) for info in source.infolist()]
    filler = "".join(f'<row r="{r}">' + "".join(f'<c r="{col}{r}" s="1"/>' for col in "ABCDEFGHIJKL") + "</row>"
                     for r in range(5, 5 + empty_rows))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet4.xml":  # Journal
                data = re.sub(rb"</sheetData>", filler.encode() + b"</sheetData>", data)
            out.writestr(info, data)


def measure_append(path: Path) -> dict:
    from relance.adapters.backends import Changes
    from relance.adapters.backends.xlsx import XlsxBackend
    backend = XlsxBackend(path)
    start = time.perf_counter()
    backend.load()
    loaded = time.perf_counter()
    rows = tuple({"timestamp": datetime(2026, 11, 25, 9), "invoice": f"N{i}", "client": "C1", "status": "sent",
                  "key": f"n{i}"} for i in range(10))
    backend.apply(Changes(journal=rows))
    done = time.perf_counter()
    return {"load_s": round(loaded - start, 3), "append_s": round(done - loaded, 3)}


def measure_run(path: Path) -> dict:
    """Load + parse + the final write of a run (bot columns of every invoice), as `runner` does."""
    from relance.adapters.backends import Changes
    from relance.adapters.backends.xlsx import XlsxBackend
    from relance.core.parse import parse_register
    backend = XlsxBackend(path)
    start = time.perf_counter()
    raw = backend.load()
    register, _ = parse_register(raw)
    loaded = time.perf_counter()
    updates = {i.number: {"stage": "Relance amiable", "alert": ""} for i in register.invoices}
    backend.apply(Changes(invoices=updates, journal=({"invoice": "F1", "status": "sent", "key": "x"},)))
    done = time.perf_counter()
    return {"invoices": len(register.invoices), "load_parse_s": round(loaded - start, 2),
            "write_s": round(done - loaded, 2)}


def child(kind: str, path: str) -> None:
    result = measure_append(Path(path)) if kind == "append" else measure_run(Path(path))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)  # wall times suffer on a shared machine
    print(json.dumps(result))


def in_child(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.xlsx_cost", "--child", kind, str(path)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,20000,100000")
    parser.add_argument("--invoices", type=int, default=60000)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return
    folder = Path(tempfile.mkdtemp(prefix="relance-xlsx-cost-"))
    print("| formatted empty rows below the journal | file MB | load s | append 10 rows s | CPU s | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for size in [int(s) for s in args.sizes.split(",") if s]:
        path = folder / f"cleared-{size}.xlsx"
        cleared_register(path, size)
        r = in_child("append", path)
        print(f"| {size} | {path.stat().st_size / 1e6:.2f} | {r['load_s']} | {r['append_s']} | {r['cpu_s']} | "
              f"{r['peak_rss_mb']} |")
    if args.invoices:
        from benchmarks.generate import rows
        from relance.adapters.backends.xlsx import create_workbook
        path = folder / f"big-{args.invoices}.xlsx"
        create_workbook(path, rows(args.invoices, TODAY))
        r = in_child("run", path)
        print()
        print("| invoices | file MB | load + parse s | final write s | CPU s | peak RSS MB |")
        print("|---|---|---|---|---|---|")
        print(f"| {r['invoices']} | {path.stat().st_size / 1e6:.2f} | {r['load_parse_s']} | {r['write_s']} | "
              f"{r['cpu_s']} | {r['peak_rss_mb']} |")


if __name__ == "__main__":
    main()
