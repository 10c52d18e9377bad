"""Bank statements in, `matching.Statement` out: one small reader per format, chosen by content.

Readers only read (no matching, no register): CAMT.053 (ISO 20022 XML, camt.py), OFX
(ofxtools, ofx.py) and CSV exports through a column mapping (csv_export.py). A line
that cannot be read becomes a problem naming file and line, never a guess.
"""

from __future__ import annotations

from pathlib import Path

from relance.core.config import BankConfig
from relance.core.matching import Statement


class StatementError(Exception):
    """The file is not a statement we can read; the message says why, in French."""


def read_statement(path: Path, config: BankConfig) -> Statement:
    if not path.exists():
        raise StatementError(f"relevé introuvable : {path}")
    head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \r\n\t")
    upper = head.upper()
    if b"OFXHEADER" in upper or b"<OFX>" in upper or b"<?OFX" in upper:
        from relance.adapters.bank.ofx import read_ofx
        return read_ofx(path)
    if head.startswith(b"<"):
        from relance.adapters.bank.camt import read_camt
        return read_camt(path)
    from relance.adapters.bank.csv_export import read_csv
    return read_csv(path, config)
