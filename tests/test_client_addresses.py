"""Invalid Cc or account-manager addresses are said in Alerte (both backends), never dropped silently."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from relance import runner

from conftest import TODAY, at


def test_invalid_cc_and_account_manager_are_reported_in_alerte(reg):
    clients = [{"code": "C1", "name": "Client", "email": "ap@client.fr", "cc": "daf@client.fr; compta@@client",
                "account_manager": "paul(at)atelier.fr"}]
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3), "amount": Decimal("100")}],
               clients)
    report = runner.run(reg.policy, today=TODAY, now=at(TODAY))
    assert [m.cc for m in report.sent] == [("daf@client.fr",)]  # the valid copy still goes
    alert = reg.rows("Factures")[0]["Alerte"]
    assert "adresse(s) en copie invalide(s), non utilisée(s) : « compta@@client »" in alert
    assert "adresse du chargé de compte invalide « paul(at)atelier.fr »" in alert
