"""Importing a 10 000-transaction camt.053 statement: read, match, and the whole command on an .xlsx register.

Run: python -m benchmarks.bank_10k [--size N]
The statement mixes what a busy month holds: 60 % transfers naming their invoice, 20 % naming only the
payer (a third of them under a bank alias), 10 % from unknown payers, 10 % internal transfers and refunds,
plus debits. The register has as many open invoices as credits, over 1 000 clients. Printed: seconds to
parse the XML, to match, and for `import_statement` end to end (lock, load, match, write the tab), then
the second import of the same file (everything already there).
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from .report import one_size

TODAY = date(2026, 11, 25)
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def statement_xml(size: int, seed: int = 1) -> str:
    rnd = random.Random(seed)
    entries = []
    for i in range(size):
        day = TODAY - timedelta(days=1 + i % 28)
        roll = rnd.random()
        amount = Decimal("100.00") + i % 977
        if roll < 0.6:
            label, name = f"REGLEMENT FACTURE F{i:06d}", f"CLIENT {i % 1000} SAS"
        elif roll < 0.8:
            label, name = "VIREMENT", (f"CLIENT {i % 1000} SAS" if i % 3 else f"ALIAS {i % 1000}")
        elif roll < 0.9:
            label, name = "VIR SEPA", f"INCONNU {i}"
        else:
            label, name = "VIREMENT INTERNE LIVRET", ""
        sign = "DBIT" if i % 11 == 0 else "CRDT"
        entries.append(f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd><Sts>BOOK</Sts>"
                       f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><AcctSvcrRef>R{i:08d}</AcctSvcrRef>"
                       f"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr></RltdPties>"
                       f"<RmtInf><Ustrd>{label}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Document xmlns=\"{NS}\"><BkToCstmrStmt><Stmt>"
            f"<Id>BENCH</Id><FrToDt><FrDtTm>2026-10-28T00:00:00</FrDtTm><ToDtTm>{TODAY - timedelta(days=1)}"
            f"T23:59:59</ToDtTm></FrToDt><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>"
            + "".join(entries) + "</Stmt></BkToCstmrStmt></Document>")


def register_rows(size: int) -> tuple[list[dict], list[dict]]:
    clients = [{"code": f"C{c}", "name": f"Client {c} SAS", "email": f"c{c}@example.fr",
                "kind": "B2B", "bank_aliases": f"ALIAS {c}"} for c in range(1000)]
    invoices = [{"invoice": f"F{i:06d}", "client": f"C{i % 1000}", "due": TODAY - timedelta(days=i % 60),
                 "amount": Decimal("100.00") + i % 977} for i in range(size)]
    return invoices, clients


def measure(size: int) -> dict:
    from relance.adapters.backends.xlsx import create_workbook
    from relance.adapters.bank import read_statement
    from relance.core.config import load_policy
    from relance.core.matching import match_all
    from relance.core.parse import parse_register
    from relance.adapters.backends.xlsx import XlsxBackend
    from relance.shells.statements import import_statement
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "config.toml").write_text("[register]\npath = \"registre.xlsx\"\n", encoding="utf-8")
        invoices, clients = register_rows(size)
        create_workbook(work / "registre.xlsx", {"Factures": invoices, "Clients": clients})
        xml = work / "releve.xml"
        xml.write_text(statement_xml(size), encoding="utf-8")
        policy = load_policy(work / "config.toml")
        start = time.perf_counter()
        statement = read_statement(xml, policy.bank)
        parsed = time.perf_counter() - start
        register, _ = parse_register(XlsxBackend(work / "registre.xlsx").load())
        start = time.perf_counter()
        matches = match_all(register, policy.bank, statement.transactions)
        matched = time.perf_counter() - start
        start = time.perf_counter()
        report = import_statement(policy, xml, today=TODAY)
        first = time.perf_counter() - start
        start = time.perf_counter()
        again = import_statement(policy, xml, today=TODAY)
        second = time.perf_counter() - start
    counts: dict[str, int] = {}
    for m in matches:
        counts[m.certainty] = counts.get(m.certainty, 0) + 1
    return {"transactions": len(statement.transactions), "credits": len(matches), "parse_s": round(parsed, 2),
            "match_s": round(matched, 2), "import_s": round(first, 2), "reimport_s": round(second, 2),
            "recorded": len(report.matches), "recorded_again": len(again.matches), "certainty": counts}


def main(argv: list[str] | None = None) -> dict:
    return one_size(measure, "python -m benchmarks.bank_10k", 10_000, argv)


if __name__ == "__main__":
    main()
