"""The journal's memory, the shell's half: gather the evidence, write the « Mémoire » tab.

relance/core/memory.py decides whether a journal that shrank may be trusted, and
relance/core/renumbering.py which invoices were chased (to recognise one renumbered); this
module reads what they need (the bot's record in the register, the sent copies on disk) and
builds the tab the run writes back. Split from runner.py so that file stays the order of a run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relance.core import memory, renumbering
from relance.core.config import Policy
from relance.core.model import RawTabs, Register, RowProblem

if TYPE_CHECKING:  # types only: the runner imports this module
    from relance.adapters.backends import Backend
    from relance.runner import RunReport


def journal_memory(raw: RawTabs, register: Register, policy: Policy) -> memory.Verdict:
    """Gather the evidence (the bot's record, the sent copies on disk); relance/core/memory.py decides,
    and `decision.decide` holds the day back when the journal lost rows (a note says how to restore)."""
    from relance.adapters.backends.sent_copies import sent_keys
    foreign = memory.foreign(raw.get(memory.TAB))
    if foreign:  # a staff tab of that name: never overwritten, and without the record nothing is sent
        return memory.Verdict(True, foreign, None)
    record = memory.read(raw.get(memory.TAB))
    return memory.check(record, register.journal, sent_keys(policy.resolve(policy.mail.outbox)))


def journal_memory_problems(raw: RawTabs, register: Register, policy: Policy) -> list[RowProblem]:
    """For `relance check`: the journal-memory refusal a run would meet, as a problem."""
    verdict = journal_memory(raw, register, policy)
    return [RowProblem("Journal", None, None, verdict.message)] if verdict.refused else []


def remember(backend: Backend, raw: RawTabs, verdict: memory.Verdict, register: Register,
             report: RunReport) -> dict:
    """The « Mémoire » tab after this run, for backends that keep it (`keeps_memory`): the journal's record,
    then the invoices chased (core/renumbering.py; as they were when the journal is known to be incomplete)."""
    if not backend.keeps_memory or memory.foreign(raw.get(memory.TAB)):
        return {}
    if verdict.refused:
        return {memory.TAB: memory.rows(verdict.memory or memory.Memory(), report.now, verdict.message)
                + renumbering.rows(register.chased.values())}
    accepted = (verdict.memory or memory.read(raw.get(memory.TAB)) or memory.Memory()).accepted
    record = memory.after_run(register.journal, accepted, [m.key for m in report.sent if not report.test_mode])
    chased = renumbering.record(renumbering.aliased(register)).values()
    return {memory.TAB: memory.rows(record, report.now) + renumbering.rows(chased)}
