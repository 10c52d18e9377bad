"""Garbage in the register: every bad cell becomes a per-row problem, never a traceback."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from relance import runner
from relance.core.model import RawTab
from relance.core.parse import parse_register
from relance.core.schema import CLIENTS, FACTURES

from conftest import TODAY, at, sheet_rows, xlsx_register

GARBAGE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=60),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "So"]), max_size=20),
    st.sampled_from(["=SUM(A1:A9)", "+33 6 12", "-1", "@cmd", "{{ 7*7 }}", "{% for x in y %}", "31/02/2026",
                     "٢٠٢٦-١١-٢٥", "\u202eevil", "🙂💶", "01/01/0001", "31/12/9999", "1e308", "NaN", "x" * 50_000]),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.decimals(allow_nan=True, allow_infinity=True),
)
COLUMNS = [c.key for c in FACTURES.columns if c.owner == "staff"]


def healthy(number):
    row = [number, "C1", date(2026, 10, 1), TODAY - timedelta(days=3), Decimal("100"), "EUR"]
    return row + [None] * (len(COLUMNS) - len(row))  # every staff column


@settings(max_examples=300, deadline=None)
@given(st.lists(GARBAGE, min_size=len(COLUMNS), max_size=len(COLUMNS)), st.sampled_from(COLUMNS))
def test_any_cell_is_a_value_or_a_problem_never_an_exception(garbage, column):
    row = healthy("F-bad")
    index = COLUMNS.index(column)
    row[index] = garbage[index]
    tabs = {"Factures": RawTab("Factures", [[FACTURES.column(k).header for k in COLUMNS], healthy("F-ok"), row]),
            "Clients": RawTab("Clients", [CLIENTS.headers, ["C1", "Client", "", "c1@example.com"] + [None] * 4
                                          + ["B2B"]])}
    register, problems = parse_register(tabs)
    assert "F-ok" in {i.number for i in register.invoices}  # the healthy row always survives
    for problem in problems:
        text = str(problem)
        assert text.startswith("Factures!") or text.startswith("Clients!")
        assert len(text) < 500


def test_a_thousand_garbage_cells_end_to_end_on_xlsx(workdir, workdir_policy):
    rng = random.Random(20261125)
    pool = [None, True, -5, 10**20, float("nan"), float("inf"), "", "  ", "\x00\x07\x1b", "=HYPERLINK(\"x\")",
            "+33", "-1", "@x", "{{ 7*7 }}", "31/02/2026", "🙂💶", "\u202eevil", "x" * 50_000, "1e308",
            date(1, 1, 1), date(9999, 12, 31), datetime(2026, 2, 3, 4, 5), "١٢٣", "1 234,56 €", "bientôt",
            Decimal("-0.01"), "Payée?", "C404", "C1", "2026-11-22"]
    invoices, cells = [], 0
    for n in range(100):
        row = {"invoice": f"G{n:03d}", "client": "C1", "due": TODAY - timedelta(days=3), "amount": Decimal("50")}
        for key in ("client", "due", "amount", "paid", "paid_on", "status", "currency", "issued", "payment_link",
                    "notes"):
            row[key] = rng.choice(pool)
            cells += 1
        invoices.append(row)
    invoices.append({"invoice": "OK1", "client": "C1", "due": TODAY - timedelta(days=3), "amount": Decimal("80")})
    path = xlsx_register(workdir, invoices)
    assert cells >= 1000
    report = runner.run(workdir_policy, today=TODAY, now=at(TODAY))
    sent = {n for m in report.sent for n in m.invoices}
    assert "OK1" in sent
    rows = {r["N° facture"]: r for r in sheet_rows(path, "Factures")}
    bad = [n for n in rows if n.startswith("G") and rows[n]["Alerte"]]
    assert len(bad) > 50  # most garbage rows say why they are not chased
    assert all(len(p.message) < 300 for p in report.problems)
