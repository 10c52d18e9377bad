"""Journal « Statut » values: French labels written, old English values still read.

Why a vocabulary of its own: staff read the Journal, so the bot writes French
(``envoyé``, ``en cours``, ``échec``, ``manuel``, ``test``); registers written before
this change hold ``sent``/``pending``/``failed``/``manual``, and staff type « Manuel »
or « envoye » by hand. Every way in (the sheet parser, a `JournalEntry` built in code)
goes through `canonical`, so the rest of the code compares with the constants only
and an old register keeps working.
"""

from __future__ import annotations

import unicodedata

PENDING, SENT, FAILED, MANUAL, TEST = "en cours", "envoyé", "échec", "manuel", "test"
RECEIVED = "reçu"          # an auto-reply or a bounce read from the mailbox (core/inbound.py): changes nothing
UNCERTAIN = "incertain"    # a send whose server answer was never recorded: the invoice waits for a human
STATUSES = (PENDING, SENT, FAILED, MANUAL, TEST, RECEIVED, UNCERTAIN)
LEGACY = {"pending": PENDING, "sent": SENT, "failed": FAILED, "manual": MANUAL, "test": TEST,
          "received": RECEIVED, "uncertain": UNCERTAIN}


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.strip().casefold())
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


_READ = {**{_plain(k): v for k, v in LEGACY.items()}, **{_plain(v): v for v in STATUSES}}
_EXACT = {**LEGACY, **{v: v for v in STATUSES}}


def canonical(text: str) -> str:
    """The status constant for any accepted spelling (« Envoye », ``sent``, ``MANUEL``…);
    anything else is returned folded to lower case, as before (and matches no constant)."""
    if not text:
        return ""
    exact = _EXACT.get(text)  # the usual case, ~50 ns: a 500 000-row journal pays no normalisation
    if exact is not None:
        return exact
    return _READ.get(_plain(text), text.strip().lower())
