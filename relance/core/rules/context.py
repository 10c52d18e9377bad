"""Indexes built once per plan, so each invoice costs dictionary lookups only."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Iterable

from relance.core import journal as jr
from relance.core import renumbering
from relance.core.law.claims import Claims
from relance.core.config import Policy
from relance.core.model import Instalment, Register, RowProblem
from relance.core.timing import Calendar


class Context:
    def __init__(self, register: Register, policy: Policy, today: date, problems: Iterable[RowProblem] = ()):
        register = renumbering.aliased(register)  # an old number's journal rows are the renumbered invoice's
        self.register, self.policy, self.today = register, policy, today
        self.renumbered = renumbering.suspects(register)  # new number -> old number: held until staff say
        self.calendar = Calendar(policy.schedule)
        self.claims = Claims(policy, register)  # rate table read once per plan
        self.business_today = self.calendar.is_business_day(today)
        self.journal = jr.JournalIndex(register.journal, policy.stage_names())
        self.stage_pos = {s.key: i for i, s in enumerate(policy.stages)}
        self.labels = {"": "", **{s.key: s.label for s in policy.stages}}
        self.tasks = {t.key: t for t in register.tasks if t.key}
        self.task_keys = set(self.tasks) | {e.key for e in register.journal
                                            if e.channel == "tâche" and e.status == jr.SENT}
        self.approved = {key for key, t in self.tasks.items() if t.approved}
        self.instalments: dict[str, list[Instalment]] = defaultdict(list)
        for instalment in register.instalments:
            self.instalments[instalment.invoice].append(instalment)
        from relance.core.inbound import reply_pauses
        self.replied = reply_pauses(register)  # client -> last answer read in the mailbox (relance courrier)
        self.alerts: dict[str, list[str]] = defaultdict(list)
        by_client: dict[str, list[str]] = defaultdict(list)
        for p in problems:
            if p.invoice and p.tab == "Factures":
                self.alerts[p.invoice].append(str(p))
            elif p.client and p.tab == "Clients":
                by_client[p.client].append(str(p))
            elif p.invoice and p.tab == "Échéanciers":
                self.alerts[p.invoice].append(str(p))
        if by_client:
            for invoice in register.invoices:
                if invoice.client in by_client:
                    self.alerts[invoice.number].extend(by_client[invoice.client])

    def assignee(self, client_code: str) -> str:
        client = self.register.clients.get(client_code)
        return (client.account_manager if client else "") or self.policy.escalation.assignee
