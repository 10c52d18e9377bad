"""The business rules, one module per rule family, all pure.

- `ladder`: stop conditions, the next stage and its day, approval and human stages.
- `promises`: a promise to pay logged by staff pauses reminders until the promised day + grace.
- `instalments`: payment plans get their own pre-reminders and reminders; a missed one alerts.
- `escalation`: reminders without reply become a task for a human, once, updated not duplicated.

`relance.planner.plan` calls them per invoice, then applies the per-client rules
(one message a day, minimum gap) and the daily limit.
"""
