"""OFX statements (the « format Money » French banks still export) with ofxtools.

ofxtools parses OFX 1.x (SGML) and 2.x (XML) and converts amounts to Decimal and
dates to aware datetimes. ``FITID`` is the bank's unique id of a transaction: our
idempotency key. The statement ends at ``BANKTRANLIST/DTEND``.
"""

from __future__ import annotations

from pathlib import Path

from relance.core.matching import Statement, Transaction, stable_id


def read_ofx(path: Path) -> Statement:
    from ofxtools.Parser import OFXTree

    from relance.adapters.bank import StatementError
    parser = OFXTree()
    try:
        with path.open("rb") as handle:
            parser.parse(handle)
        ofx = parser.convert()
    except Exception as exc:  # ofxtools raises its own error types and ValueError for malformed input
        raise StatementError(f"{path.name} : fichier OFX illisible ({type(exc).__name__} : {exc})") from None
    transactions, ends = [], []
    for stmt in ofx.statements:
        account = getattr(stmt.account, "acctid", "")
        currency = stmt.curdef or "EUR"
        tranlist = stmt.banktranlist
        if tranlist is None:
            continue
        if tranlist.dtend:
            ends.append(tranlist.dtend.date())
        for tx in tranlist:
            label = " ".join(filter(None, (tx.name, tx.memo)))
            booked = tx.dtposted.date()
            txid = tx.fitid or stable_id(account, booked, tx.trnamt, label, "")
            own = getattr(tx, "currency", None)
            transactions.append(Transaction(f"OFX-{account}-{txid}", booked, tx.trnamt,
                                            own.cursym if own is not None else currency, label, tx.name or ""))
    return Statement(path.name, max(ends, default=None) or max((t.booked for t in transactions), default=None),
                     tuple(transactions))
