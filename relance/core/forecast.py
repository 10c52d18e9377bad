"""A calendar of what will happen: the planner replayed day after day, assuming nobody pays.

Staff change a delay or a segment rule and want to see its effect before it goes
live: `simulate` runs the very same `planner.plan` on each day of a range, and
after each day records what that day would have done (messages as ``sent``
journal rows, tasks as rows of the Tâches tab) so the next day sees it. Nothing
is written anywhere; approvals are not invented, so formal notices show up as
waiting for approval.

Example: ``simulate(register, policy, date(2026, 12, 1), date(2026, 12, 31))`` ->
one `Plan` per day; an invoice due on 30/11 shows ``amiable`` on 01/12 and
``renforcee`` on 08/12.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

from relance.core import journal as jr
from relance.core.actions import Plan
from relance.core.config import Policy
from relance.core.model import JournalEntry, Register, RowProblem, Task
from relance.core.planner import plan


def record(register: Register, day_plan: Plan, moment: datetime) -> Register:
    """The register as it would be after `day_plan` was carried out at `moment`."""
    entries = [JournalEntry(moment, invoice=line.invoice.number, client=r.client.code, stage=line.journal_stage,
                            channel="email", status=jr.SENT, key=r.key, message_id=f"<{r.key}>")
               for r in day_plan.reminders for line in r.lines]
    entries += [JournalEntry(moment, invoice=t.invoices[0] if t.invoices else "", client=t.client, stage=t.stage,
                             channel="tâche", status=jr.SENT, key=t.key) for t in day_plan.tasks]
    tasks = [Task(moment.date(), t.client, t.invoices, t.reason, t.assignee, t.action, key=t.key)
             for t in day_plan.tasks]
    return dataclasses.replace(register, journal=register.journal + tuple(entries),
                               tasks=register.tasks + tuple(tasks))


def simulate(register: Register, policy: Policy, start: date, end: date,
             problems: Iterable[RowProblem] = ()) -> Iterator[Plan]:
    """Yield the plan of every day from `start` to `end` inclusive."""
    problems = tuple(problems)
    send_at = datetime.combine(start, policy.schedule.send_window[0], tzinfo=ZoneInfo(policy.schedule.timezone))
    day = start
    while day <= end:
        day_plan = plan(register, policy, day, None, problems)
        yield day_plan
        register = record(register, day_plan, datetime.combine(day, send_at.timetz()))
        day += timedelta(days=1)
