"""A renumbered invoice must not start the ladder again. Pure: no I/O, no clock.

Why: the Journal keys its rows by invoice number. When staff renumber an invoice in Factures
(« F2026-117 » becomes « F2026-117-A » or « FA-117 »), the new number has no journal history, so
the planner would send it the first reminder (« amiable ») again, possibly weeks after a formal
notice. Nothing in the Journal says what the old invoice was (no amount, no dates), so the bot
remembers it: at the end of each run, the « Mémoire » tab (core/memory.py) lists every open
invoice it has chased, with client, amount, invoice date and due date (`rows`, read back by `read`).

Next run, an invoice with no journal history that matches one of those fingerprints whose number is
no longer in Factures (a journal orphan) is a probable renumbering (`suspects`): it is held, no
message, with an Alerte naming the old number (`alert`). Staff resolve it in the optional Factures
column « Ancien numéro »:

* the old number (« F2026-117 »; several, comma-separated, after two renumberings): its journal
  rows count as this invoice's (`aliased`), so the ladder continues where it was and the
  contact-gap and once-a-day rules see what was sent;
* « Non »: it really is a new invoice; the ladder starts at its first stage.

Example: F2026-117 (C1, 1 200,00 €, 10/10/2026, due 10/11/2026) got a formal notice on 12/11/2026,
then became FA-117 → FA-117 held: « Numéro changé ? Même client, montant et dates que F2026-117 … ».
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, Iterable, Mapping

from relance.core import cells, schema
from relance.core.model import Fingerprint, Invoice, RawTab, Register, RowProblem
from relance.core.statuses import SENT

COLUMN = "Ancien numéro"  # schema.FACTURES « former »
NEW = frozenset({"non", "aucun", "nouvelle", "nouveau"})  # typed in « Ancien numéro »: a new invoice, not renumbered
SECTION = "Factures relancées (pour reconnaître un numéro changé)"
HEADER = ["N° facture", "Client", "Montant TTC", "Date facture", "Échéance"]


def former_numbers(text: str) -> tuple[str, ...]:
    """The « Ancien numéro » cell as old numbers; () when blank or when staff typed « Non »."""
    if schema.normalise(text) in NEW:
        return ()
    return tuple(part.strip() for part in text.replace(";", ",").split(",") if part.strip())


def confirmed_new(text: str) -> bool:
    return schema.normalise(text) in NEW


def aliased(register: Register) -> Register:
    """The register whose journal rows of an old number (« Ancien numéro ») name the new one.

    Only numbers no longer in Factures are taken over: an « Ancien numéro » naming a live invoice
    would merge two invoices' ladders, so it is ignored (and `problems` says so)."""
    live = {i.number for i in register.invoices}
    new_of = {old: i.number for i in register.invoices for old in i.former if old not in live}
    if not new_of:
        return register
    journal = tuple(dataclasses.replace(e, invoice=new_of[e.invoice]) if e.invoice in new_of else e
                    for e in register.journal)
    return dataclasses.replace(register, journal=journal)


def chased_numbers(register: Register) -> set[str]:
    """Invoice numbers the journal says a reminder went for (an email, a letter, or a task that is a stage);
    a task that is no stage (a prescription warning, an address to fix) chases nobody."""
    return {e.invoice for e in register.journal
            if e.status == SENT and e.invoice and (e.channel != "tâche" or e.stage)}


def _same(invoice: Invoice, old: Fingerprint) -> bool:
    """Same client, amount and due date, and the same invoice date when both are known."""
    return (invoice.client == old.client and invoice.amount == old.amount and invoice.due == old.due
            and (invoice.issued is None or old.issued is None or invoice.issued == old.issued))


def suspects(register: Register) -> dict[str, str]:
    """New number -> old number, for each invoice that looks renumbered (`register` already `aliased`).

    A suspect has no journal history, no « Ancien numéro » (nor « Non »), and matches the fingerprint
    of a number the journal chased that is no longer in Factures nor claimed by another invoice."""
    live = {i.number for i in register.invoices}
    claimed = {old for i in register.invoices for old in i.former}
    chased = chased_numbers(register)
    orphans = [p for n, p in sorted(register.chased.items()) if n not in live and n not in claimed and n in chased]
    if not orphans:
        return {}
    found: dict[str, str] = {}
    for invoice in register.invoices:
        if invoice.closed or invoice.former or invoice.new or invoice.number in chased:
            continue
        match = next((p.number for p in orphans if _same(invoice, p)), None)
        if match:
            found[invoice.number] = match
    return found


def alert(old: str, stage_label: str, day: date | None) -> str:
    """The Alerte of a suspect, naming the old number and what it already received."""
    already = f"déjà relancée : {stage_label.casefold()}" + (f" le {day:%d/%m/%Y}" if day else "") \
        if stage_label else "déjà relancée"
    return (f"Numéro changé ? Même client, montant et dates que {old} ({already}). Reportez {old} dans la "
            f"colonne « {COLUMN} » pour que les relances reprennent où elles en étaient, ou tapez « Non » "
            f"dans « {COLUMN} » s'il s'agit d'une nouvelle facture (aucune relance d'ici là)")


def problems(register: Register, found: Mapping[str, str] | None = None) -> list[RowProblem]:
    """For `relance check`: each suspect, and each « Ancien numéro » that names a live invoice."""
    if found is None:
        found = suspects(aliased(register))
    rows = {i.number: i.row for i in register.invoices}
    out = [RowProblem("Factures", rows.get(new), COLUMN, f"{new} : numéro changé ? même client, montant et dates "
                      f"que {old}, déjà relancée ; reportez {old} dans « {COLUMN} » ou tapez « Non »",
                      None, new) for new, old in sorted(found.items())]
    for invoice in register.invoices:
        for old in invoice.former:
            if old in rows and old != invoice.number:
                out.append(RowProblem("Factures", invoice.row, COLUMN, f"« {old} » est encore dans Factures : "
                                      f"ce n'est pas un ancien numéro de {invoice.number} (ignoré)", None,
                                      invoice.number))
    return out


def record(register: Register) -> dict[str, Fingerprint]:
    """What the « Mémoire » tab keeps after this run (`register` already `aliased`): every open invoice the
    journal chased, and the orphans of the previous record still waiting for staff (still chased in the
    journal, not in Factures, claimed by no « Ancien numéro »)."""
    chased = chased_numbers(register)
    kept = {i.number: Fingerprint(i.number, i.client, i.amount, i.issued, i.due)
            for i in register.invoices if i.number in chased and not i.closed}
    live = {i.number for i in register.invoices}
    claimed = {old for i in register.invoices for old in i.former}
    for number, old in register.chased.items():
        if number not in live and number not in claimed and number in chased:
            kept.setdefault(number, old)
    return dict(sorted(kept.items()))


def rows(fingerprints: Iterable[Fingerprint]) -> list[list[Any]]:
    """The fingerprints as rows of the « Mémoire » tab, under their own title (after the record)."""
    return [[], [SECTION], list(HEADER)] + [[p.number, p.client, p.amount, p.issued, p.due] for p in fingerprints]


def read(raw: RawTab | None) -> dict[str, Fingerprint]:
    """The fingerprints `rows` wrote; unreadable lines are skipped (the tab is the bot's, not staff's)."""
    found: dict[str, Fingerprint] = {}
    inside = False
    for row in raw.rows if raw else []:
        if not inside:
            inside = bool(row) and schema.normalise(row[0]) == schema.normalise(HEADER[0])
            continue
        values = list(row) + [None] * (5 - len(row))
        number = cells.clean_text(values[0])
        try:
            amount, due = cells.parse_amount(values[2]), cells.parse_date(values[4])
            issued = cells.parse_date(values[3])
        except ValueError:
            continue
        if number and amount is not None and due is not None:
            found[number] = Fingerprint(number, cells.clean_text(values[1]), amount, issued, due)
    return found
