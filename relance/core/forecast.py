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

from datetime import date, datetime, timedelta
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

from relance.core import journal as jr
from relance.core import records
from relance.core.actions import Plan
from relance.core.config import Policy
from relance.core.decision import Inputs, decide
from relance.core.model import Register, RowProblem
from relance.core.planner import plan


def record(register: Register, day_plan: Plan, moment: datetime) -> Register:
    """The register as it would be after `day_plan` was carried out at `moment` (every message delivered),
    with the very rows a run writes (`records`)."""
    status = jr.TEST if day_plan.test_mode else jr.SENT
    rows = [row for r in day_plan.reminders
            for row in records.message_rows(r.key, r.client.code, records.line_stages(r), r.to + r.cc, "", status,
                                            moment, f"<{r.key}>")]
    rows += [records.task_rows(t, moment)[1] for t in day_plan.tasks]
    return records.with_tasks(records.with_journal(register, rows), day_plan.tasks, moment.date(),
                              day_plan.task_updates)


def cells_after(register: Register, day_plan: Plan, policy: Policy, moment: datetime,
                problems: Iterable[RowProblem] = ()) -> dict[str, dict]:
    """The bot columns a run writes once `day_plan` is carried out (every message delivered): the
    planner's second pass over the journal the day leaves, as the runner does it."""
    after = plan(record(register, day_plan, moment), policy, day_plan.today, None, tuple(problems))
    return {n: cells for n, cells in records.bot_cells(after).items() if n not in day_plan.held}


def simulate(register: Register, policy: Policy, start: date, end: date,
             problems: Iterable[RowProblem] = (), inputs: Inputs = Inputs()) -> Iterator[Plan]:
    """Yield the plan of every day from `start` to `end` inclusive, each day decided as `relance run
    --date` decides it (at the opening of its send window: nothing on a weekend or a holiday).

    The first day sees the register's payment data as read (stale data stops its sends, as the run
    would); the later days assume staff keep recording payments, which the calendar cannot guess."""
    problems = tuple(problems)
    tz = ZoneInfo(policy.schedule.timezone)
    day = start
    while day <= end:
        moment = datetime.combine(day, policy.schedule.send_window[0], tzinfo=tz)
        day_inputs = inputs if day == start else Inputs(inputs.synthese, day - timedelta(days=1), True)
        day_plan = decide(register, policy, day, moment, problems, day_inputs)
        yield day_plan
        register = record(register, day_plan, moment)
        day += timedelta(days=1)
