"""Config sections of the listening commands and of GDPR retention: [bank], [listen], [digest], [retention].

Declared like every other section (`config_values.opt`), kept apart so config.py stays small."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from relance.core.config_values import _choice, _int, _str, _table, opt


def _regex(value: Any) -> str:
    text = _str(value)
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"une expression régulière est attendue, trouvé {value!r} (détail : {exc})") from None
    return text


def _str_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"une liste de textes est attendue, comme [\"VIR INTERNE\"], trouvé {value!r}")
    return tuple(value)


def _csv_columns(value: Any) -> dict:
    fields = ("date", "amount", "credit", "debit", "label", "counterparty", "reference", "id", "currency")
    table = _table(value)
    for key, header in table.items():
        if key not in fields or not isinstance(header, str):
            raise ValueError(f"{{ champ = \"en-tête CSV\" }} est attendu, avec un champ parmi {', '.join(fields)}, "
                             f"trouvé {key} = {header!r}")
    return dict(table)


@dataclass(frozen=True, slots=True)
class BankConfig:
    invoice_pattern: str = opt(r"\b[A-Z]{1,6}[-_/ ]?\d[\d_/-]*\d\b", _regex,
                               "how an invoice number looks in a transfer's label (case ignored)")
    name_threshold: int = opt(85, _int(50, 100), "payer name vs Raison sociale/alias: fuzzy score for a match")
    non_payment_labels: tuple[str, ...] = opt(("VIREMENT INTERNE", "VIR INTERNE", "COMPTE A COMPTE", "REMBOURSEMENT",
                                               "REMB ", "INTERETS", "AVOIR", "CAF ", "DGFIP"), _str_list,
                                              "credits whose label contains one of these are listed, not matched")
    csv_profile: str = opt("auto", _choice("auto", "qonto", "shine", "banque", "custom"),
                           "CSV export layout; auto = recognised from the header row")
    csv_columns: dict = opt({}, _csv_columns, "custom CSV: field = header, e.g. { date = \"Date\", amount = \"Montant\" }")
    csv_delimiter: str = opt("", _str, "custom CSV: ';' or ','; blank = guessed")


@dataclass(frozen=True, slots=True)
class ListenConfig:
    imap_host: str = opt("", _str, "reply-to mailbox over IMAP for `relance courrier` (blank = off)")
    imap_port: int = opt(993, _int(1, 65535))
    imap_user: str = opt("", _str, "login; password: env RELANCE_IMAP_PASSWORD (an app password)")
    imap_security: str = opt("ssl", _choice("ssl", "starttls", "none"), "\"none\" only for a local test server")
    inbox: str = opt("INBOX", _str, "folder where clients' answers arrive")
    sent_folder: str = opt("Sent", _str, "copies of what relance sent are appended here (blank = don't)")
    processed_folder: str = opt("Relance", _str, "replies, auto-replies and bounces are moved here once journaled")
    pause_after_reply_days: int = opt(7, _int(0, 90), "a client who answered is not reminded for this long")


@dataclass(frozen=True, slots=True)
class DigestConfig:
    to: str = opt("", _str, "the manager's address for the daily digest (blank = no digest)")


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    """How long `relance anonymise` keeps a closed client's personal data (see documents/anonymise.py)."""
    b2b_years: int = opt(5, _int(1, 30), "years after the last payment or contact (C. com. L110-4: 5)")
    b2c_years: int = opt(2, _int(1, 30), "years after the last payment or contact (C. consom. L218-2: 2)")
