"""Documents attached to a reminder: the invoice PDFs and the formal-notice letter.

Nothing to configure beyond two folders (``[paths]`` in config.toml), and nothing
is required: a file that is not there is simply not attached.

- Invoice copies: staff (or the invoicing tool) drop ``<N° facture>.pdf`` in the
  ``invoices`` folder; every invoice listed in a message gets its PDF attached when
  the file exists. Characters that cannot appear in a file name are replaced by
  ``_``: invoice ``F2026/101`` is ``factures/F2026_101.pdf``.
- Formal-notice letter: for an invoice at a stage whose channel is
  ``letter+email`` (``demeure``), ``<letters>/<N° facture>-<stage>.pdf``, e.g.
  ``letters/F2026-101-demeure.pdf``, is attached when it exists; `letter_pdf` is
  the one place that names it, for whoever writes the letter.

The runner calls `with_attachments` after rendering, so the dry run, the outbox
and SMTP all carry the same files. A message may already carry attachments
(`Message.attachments`); they are kept.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Mapping

from .config import Policy
from .mailers import Attachment, Message


class AttachmentError(Exception):
    """A document exists but cannot be read; the message names the file."""


def safe_name(number: str) -> str:
    """An invoice number as a file name: ``F2026/101`` -> ``F2026_101`` (never a path)."""
    return re.sub(r"[^\w.-]+", "_", number.strip()).strip("._") or "_"


def invoice_pdf(policy: Policy, number: str) -> Path:
    return policy.resolve(policy.paths.invoices) / f"{safe_name(number)}.pdf"


def letter_pdf(policy: Policy, number: str, stage: str) -> Path:
    return policy.resolve(policy.paths.letters) / f"{safe_name(number)}-{stage}.pdf"


def _letter_stage(policy: Policy, stage: str) -> bool:
    try:
        return policy.stage(stage).channel == "letter+email"
    except KeyError:
        return False


def attachments_for(policy: Policy, stages: Mapping[str, str]) -> tuple[Attachment, ...]:
    """The PDFs that exist for these invoices, given as {invoice number: its stage in the message}."""
    paths = []
    for number, stage in stages.items():
        paths.append(invoice_pdf(policy, number))
        if _letter_stage(policy, stage):
            paths.append(letter_pdf(policy, number, stage))
    found = []
    for path in dict.fromkeys(paths):
        if not path.is_file():
            continue
        try:
            found.append(Attachment(path.name, path.read_bytes(), "application/pdf"))
        except OSError as exc:
            raise AttachmentError(f"pièce jointe illisible : {path} ({exc.strerror or exc})") from None
    return tuple(found)


def with_attachments(message: Message, policy: Policy, stages: Mapping[str, str]) -> Message:
    extra = attachments_for(policy, stages)
    if not extra:
        return message
    return dataclasses.replace(message, attachments=message.attachments + extra)
