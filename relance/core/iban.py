"""The creditor's bank account (``[company] iban`` / ``bic``): checked with schwifty, printed in groups of four.

Why a check: a typo in the IBAN printed on every reminder sends clients' transfers
nowhere (or bounces them days later); `relance check` catches it at the desk, and
reminders never show an IBAN that failed its checksum.
"""

from __future__ import annotations

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException


def compact(value: str) -> str:
    return "".join(value.split()).upper()


def format_iban(value: str) -> str:
    """``FR7630006000011234567890189`` -> ``FR76 3000 6000 0112 3456 7890 189``."""
    raw = compact(value)
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def iban_problems(iban: str, bic: str = "") -> list[str]:
    """French sentences, empty when the account is usable (or not configured)."""
    problems = []
    if iban:
        try:
            IBAN(compact(iban))
        except (SchwiftyException, ValueError) as exc:
            problems.append(f"[company] iban : « {iban} » n'est pas un IBAN valide ({exc})")
    if bic:
        try:
            BIC(compact(bic))
        except (SchwiftyException, ValueError) as exc:
            problems.append(f"[company] bic : « {bic} » n'est pas un BIC valide ({exc})")
    if bic and not iban:
        problems.append("[company] bic est renseigné mais pas [company] iban")
    return problems
