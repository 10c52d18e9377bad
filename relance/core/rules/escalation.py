"""Reminders without reply become a human task, once per silence, updated not duplicated.

When an invoice has had ``after_reminders_without_reply`` reminders since the
client's last manual Journal row (a call, an answer, a promise), the client gets
one task « Relances sans réponse » listing every such invoice. Its key carries
the day of that last manual row, so after the next conversation a new silence can
open a new task; while the silence lasts, new invoices update the same row.

Example: 3 reminders for F1 since the call of 02/11 -> task
``T/C001/sans-reponse/2026-11-02`` « 3 relances sans réponse : F1 ».
"""

from __future__ import annotations

from collections import defaultdict

from relance.core.actions import NewTask, TaskUpdate
from relance.core.journal import task_key
from relance.core.rules.context import Context
from relance.core.rules.ladder import Decision


def escalations(ctx: Context, decisions: list[Decision]) -> tuple[list[NewTask], list[TaskUpdate]]:
    threshold = ctx.policy.escalation.after_reminders_without_reply
    silent: dict[str, list[str]] = defaultdict(list)
    for d in decisions:
        if d.next_stage is None and not d.due_stage:
            continue  # closed, paused, disputed, finished: nobody to call about it
        last = ctx.journal.last_manual(d.invoice.client)
        if ctx.journal.reminders_since(d.invoice.number, last) >= threshold:
            silent[d.invoice.client].append(d.invoice.number)
    new, updates = [], []
    for client, invoices in sorted(silent.items()):
        last = ctx.journal.last_manual(client)
        key = task_key(client, f"sans-reponse/{last.isoformat() if last else 'debut'}")
        reason = f"{threshold} relances sans réponse : {', '.join(sorted(invoices))}"
        existing = ctx.tasks.get(key)
        if existing is not None:
            if set(existing.invoices) != set(invoices) and not existing.done_on:
                updates.append(TaskUpdate(key, tuple(sorted(invoices)), reason))
        elif key not in ctx.task_keys:
            new.append(NewTask(key, client, tuple(sorted(invoices)), reason,
                               "Appeler le client ; noter l'échange dans le Journal (Statut manual)",
                               ctx.assignee(client)))
    return new, updates
