"""CAMT.053 (ISO 20022 « relevé de compte ») with the standard XML parser, by namespace.

Any version of the message (camt.053.001.02 … .13) is read: the namespace is taken
from the root element, and only elements common to all versions are used:
``Stmt/FrToDt/ToDtTm`` (statement end), ``Ntry`` with ``Amt@Ccy``, ``CdtDbtInd``,
``Sts``, ``BookgDt``, ``AcctSvcrRef``/``NtryRef`` (the bank's entry reference: our
idempotency key), and per ``TxDtls``: ``Refs``, ``RltdPties/Dbtr`` (name under ``Nm`` or
``Pty/Nm``), ``RmtInf/Ustrd`` and ``RmtInf/Strd/CdtrRefInf/Ref``. A batch entry with
several ``TxDtls`` (one booking for several transfers) gives one transaction each.
Only booked entries count (``Sts`` BOOK): pending ones may still be reversed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from relance.core.matching import Statement, Transaction, stable_id


def read_camt(path: Path) -> Statement:
    from relance.adapters.bank import StatementError
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise StatementError(f"{path.name} : XML illisible ({exc})") from None
    if not root.tag.startswith("{urn:iso:std:iso:20022:tech:xsd:camt.05"):
        raise StatementError(f"{path.name} : ce n'est pas un relevé camt.053 (racine {root.tag})")
    ns = {"c": root.tag[1:].split("}")[0]}
    transactions: list[Transaction] = []
    problems: list[str] = []
    ends: list[date] = []
    seen: dict[str, int] = {}
    for stmt in root.iterfind("c:BkToCstmrStmt/c:Stmt", ns) or root.iterfind(".//c:Stmt", ns):
        account = _text(stmt, "c:Acct/c:Id/c:IBAN", ns) or _text(stmt, "c:Acct/c:Id/c:Othr/c:Id", ns)
        end = _day(_text(stmt, "c:FrToDt/c:ToDtTm", ns))
        for entry_number, entry in enumerate(stmt.iterfind("c:Ntry", ns), start=1):
            status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns)
            if status and status.upper() not in ("BOOK", "BOOKED"):
                continue
            try:
                transactions += _entry(entry, ns, account, seen)
            except (ValueError, InvalidOperation) as exc:
                problems.append(f"{path.name} : écriture n° {entry_number} illisible ({exc})")
        booked = [t.booked for t in transactions]
        if end or booked:
            ends.append(end or max(booked))
    return Statement(path.name, max(ends, default=None), tuple(transactions), tuple(problems))


def _entry(entry: ET.Element, ns: dict, account: str, seen: dict[str, int]) -> list[Transaction]:
    amount_el = entry.find("c:Amt", ns)
    if amount_el is None or not (amount_el.text or "").strip():
        raise ValueError("montant absent")
    sign = -1 if _text(entry, "c:CdtDbtInd", ns) == "DBIT" else 1
    currency = amount_el.get("Ccy", "EUR")
    booked = _day(_text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)
                  or _text(entry, "c:ValDt/c:Dt", ns))
    if booked is None:
        raise ValueError("date de comptabilisation absente")
    reference = _text(entry, "c:AcctSvcrRef", ns) or _text(entry, "c:NtryRef", ns)
    extra = _text(entry, "c:AddtlNtryInf", ns)
    details = entry.findall("c:NtryDtls/c:TxDtls", ns)
    out = []
    for index, tx in enumerate(details or [entry]):
        own = tx.find("c:Amt", ns) if len(details) > 1 else None
        amount = Decimal((own if own is not None else amount_el).text.strip()) * sign
        label = " ".join(filter(None, [*(u.text or "" for u in tx.iterfind("c:RmtInf/c:Ustrd", ns)),
                                       _text(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)] or [])) or extra
        party = "c:RltdPties/c:Dbtr" if sign > 0 else "c:RltdPties/c:Cdtr"
        name = _text(tx, f"{party}/c:Nm", ns) or _text(tx, f"{party}/c:Pty/c:Nm", ns)
        tx_ref = _text(tx, "c:Refs/c:AcctSvcrRef", ns) or _text(tx, "c:Refs/c:TxId", ns)
        if reference:
            txid = reference if len(details) <= 1 else f"{reference}/{tx_ref or index + 1}"
        elif tx_ref:
            txid = tx_ref
        else:
            base = stable_id(account, booked, amount, label, name)
            seen[base] = seen.get(base, -1) + 1
            txid = stable_id(account, booked, amount, label, name, seen[base])
        out.append(Transaction(txid, booked, amount, currency, " ".join(label.split()), name))
    return out


def _text(element: ET.Element, path: str, ns: dict) -> str:
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _day(text: str) -> date | None:
    return date.fromisoformat(text[:10]) if text else None
