"""The pure decision about sends a killed run left « en cours » (relance/core/resumption.py).

The crash tests prove the whole path with real kills; these pin each verdict on its own,
so a change of policy shows up as one failing line rather than a statistic."""

from datetime import datetime

import pytest

from relance.core import journal as jr
from relance.core import resumption
from relance.core.model import JournalEntry, Register

NOW = datetime(2026, 12, 7, 9, 0)
STAGES = [("amiable",), ("renforcee",), ("mise_en_demeure",)]


def entry(invoice, key, status=jr.PENDING, stage="amiable"):
    return JournalEntry(datetime(2026, 12, 4, 9, 0), invoice, "ACME", stage, "email", "a@acme.fr", "Relance",
                        status, key, f"<{key}@relance>", jr.BOT)


def test_one_item_per_key_with_every_invoice_of_the_message():
    register = Register(journal=(entry("F1", "k1"), entry("F2", "k1"), entry("F3", "k2"),
                                 entry("F4", "k3"), entry("F4", "k3", jr.SENT)))
    items = resumption.interrupted(register, STAGES)
    assert [(i.entry.key, [r.invoice for r in i.rows]) for i in items] == [("k1", ["F1", "F2"]), ("k2", ["F3"])]


@pytest.mark.parametrize("left, policy, status, tasks", [
    (True, "task", jr.SENT, 0),        # the server's 250 was recorded: sent, never again
    (False, "task", jr.FAILED, 0),     # never reached the server: planned again
    (None, "task", jr.UNCERTAIN, 1),   # no way to know: held, a human checks
    (None, "resend", jr.FAILED, 0),    # staff chose a possible duplicate over a possible loss
    (True, "resend", jr.SENT, 0),      # evidence beats the policy
])
def test_each_verdict(left, policy, status, tasks):
    items = resumption.interrupted(Register(journal=(entry("F1", "k1"), entry("F2", "k1"))), STAGES)
    out = resumption.settle(items, {"k1": left}, policy, NOW)
    assert [(r["invoice"], r["status"], r["timestamp"]) for r in out.rows] == [("F1", status, NOW), ("F2", status, NOW)]
    assert len(out.tasks) == tasks
    if tasks:
        assert out.tasks[0].invoices == ("F1", "F2") and "incertain" in out.tasks[0].key
    assert out.notes == [f"reprise : k1 → {status}"]


def test_no_evidence_for_a_key_is_never_sent():
    """A key the shell did not ask about counts as « no way to know », never as sent."""
    items = resumption.interrupted(Register(journal=(entry("F1", "k1"),)), STAGES)
    assert resumption.settle(items, {}, "task", NOW).rows[0]["status"] == jr.UNCERTAIN
