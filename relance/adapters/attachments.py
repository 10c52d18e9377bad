"""Invoice copies attached to reminders, found by invoice number in a folder.

Staff (or the invoicing tool) drop ``<N° facture>.pdf`` in the folder named by
``[paths] invoices`` (``factures`` by default). Every invoice listed in a message
gets its PDF attached when the file exists; a missing file is simply not attached.
Characters that cannot appear in a file name are replaced by ``_``: invoice
``F2026/101`` is looked up as ``factures/F2026_101.pdf``, never as a path.

Other documents (the formal-notice letter) are attached by whoever produces them,
as `Message.attachments`; `to_mime` sends every attachment a message carries, and
this module keeps them.

The runner calls `attach_invoices` after rendering, so the dry run, the outbox and
SMTP all carry the same files.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable, TypeVar

from relance.core.config import Policy
from relance.adapters.files import safe_name
from relance.messages.message import Attachment, Message
from relance.core.model import RowProblem

T = TypeVar("T")


def invoice_pdf(policy: Policy, number: str) -> Path:
    return policy.resolve(policy.paths.invoices) / f"{safe_name(number)}.pdf"


def with_invoices(message: Message, policy: Policy) -> tuple[Message, list[RowProblem]]:
    """The message with the PDF of each of its invoices that exists; a file that cannot be
    read is a problem to report, and the message goes without it."""
    found, problems = [], []
    for number in dict.fromkeys(message.invoices):
        path = invoice_pdf(policy, number)
        if not path.is_file():
            continue
        try:
            found.append(Attachment(path.name, path.read_bytes(), "application/pdf"))
        except OSError as exc:
            problems.append(RowProblem("Pièces jointes", None, None, f"{message.client} : {path} illisible "
                                       f"({exc.strerror or exc}) : message envoyé sans cette facture",
                                       invoice=number, client=message.client))
    if found:
        message = dataclasses.replace(message, attachments=message.attachments + tuple(found))
    return message, problems


def attach_invoices(messages: Iterable[tuple[Message, T]], policy: Policy
                    ) -> tuple[list[tuple[Message, T]], list[RowProblem]]:
    """`with_invoices` for each (message, anything) pair of a run."""
    result, problems = [], []
    for message, extra in messages:
        message, unreadable = with_invoices(message, policy)
        result.append((message, extra))
        problems.extend(unreadable)
    return result, problems
