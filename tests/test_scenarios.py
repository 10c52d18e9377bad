"""The operational guide, one scenario per client, through `relance plan --date D --all --format json`.

Each scenario is a client with its invoices, journal and tasks, written into one
xlsx register; the real CLI plans the day once, and each test checks exactly what
happens (or why nothing happens) for its client.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance.cli import app

from conftest import at

D = date(2026, 11, 25)  # Wednesday


def j(n: int) -> date:
    return D + timedelta(days=n)


def inv(number, due, amount="500.00", **kw):
    return {"invoice": number, "due": due, "amount": Decimal(amount), "issued": due - timedelta(days=30), **kw}


def sent(number, stage, day, key=None):
    return {"timestamp": at(day, 9), "invoice": number, "stage": stage, "channel": "email", "status": "sent",
            "key": key or f"{day}/{number}/{stage}", "author": "bot"}


def call(day, comment="Appel client", number=""):
    return {"timestamp": at(day, 11), "invoice": number, "channel": "téléphone", "status": "manual",
            "comment": comment, "author": "Julie"}


LADDER_TO_DEMEURE = [("amiable", -34), ("renforcee", -27)]
# name: (client overrides, invoices, journal, tasks, instalments, expected)
# expected: list of (invoice, action, stage label or reason substring)
SCENARIOS = {
    "pre_reminder_5_days_before": ({}, [inv("A1", j(5))], [], [], [], [("A1", "email", "Pré-relance")]),
    "nothing_6_days_before": ({}, [inv("A2", j(6))], [], [], [], [("A2", "aucune", "prévue le 26/11/2026")]),
    "amiable_day_after_due": ({}, [inv("A3", j(-1))], [sent("A3", "pre", j(-6))], [], [],
                              [("A3", "email", "Relance amiable")]),
    "renforcee_at_j8": ({}, [inv("A4", j(-8))], [sent("A4", "amiable", j(-7))], [], [],
                        [("A4", "email", "Relance renforcée")]),
    "demeure_waits_for_approval": ({}, [inv("A5", j(-30))], [sent("A5", s, j(d + 4)) for s, d in LADDER_TO_DEMEURE],
                                   [], [], [("A5", "tâche", "à approuver")]),
    "demeure_goes_once_approved": ({}, [inv("A6", j(-30))], [sent("A6", s, j(d + 4)) for s, d in LADDER_TO_DEMEURE],
                                   [{"created": j(-1), "invoices": "A6", "approved": "Oui", "key": "T/A6/demeure"}],
                                   [], [("A6", "email", "Mise en demeure")]),
    "collection_is_a_task": ({}, [inv("A7", j(-45))], [sent("A7", "amiable", j(-44)), sent("A7", "renforcee", j(-37)),
                                                       sent("A7", "demeure", j(-15))], [], [],
                             [("A7", "tâche", "Dossier de recouvrement")]),
    "paid_status": ({}, [inv("A8", j(-10), status="Payée")], [], [], [], [("A8", "aucune", "payée")]),
    "cancelled": ({}, [inv("A9", j(-10), status="Annulée")], [], [], [], [("A9", "aucune", "annulée")]),
    "disputed": ({}, [inv("A10", j(-10), status="Litige")], [], [], [], [("A10", "aucune", "litige")]),
    "paused": ({}, [inv("A11", j(-10), status="Pause")], [], [], [], [("A11", "aucune", "pause")]),
    "plan_status_without_instalments": ({}, [inv("A12", j(-10), status="Échéancier")], [], [], [],
                                        [("A12", "aucune", "Statut Échéancier sans échéance")]),
    "paid_in_full_without_status": ({}, [inv("A13", j(-10), paid=Decimal("500"), paid_on=j(-2))], [], [], [],
                                    [("A13", "aucune", "payée")]),
    "partial_payment_reminds_remainder": ({}, [inv("A14", j(-3), paid=Decimal("200"), paid_on=j(-2))], [], [], [],
                                          [("A14", "email", "Relance amiable")]),
    "payment_recorded_today": ({}, [inv("A15", j(-3), paid=Decimal("100"), paid_on=D)], [], [], [],
                               [("A15", "aucune", "paiement reçu aujourd'hui")]),
    "client_opted_out": ({"auto": "Non"}, [inv("A16", j(-10))], [], [], [], [("A16", "aucune", "désactivées")]),
    "sixty_days_late_gets_the_next_stage": ({}, [inv("A17", j(-60))], [], [], [],
                                            [("A17", "email", "Relance amiable")]),
    "one_message_for_three_invoices": ({}, [inv("A18a", j(-2)), inv("A18b", j(-9)), inv("A18c", j(3))],
                                       [sent("A18b", "amiable", j(-8))], [], [],
                                       [("A18a", "email", "Relance amiable"), ("A18b", "email", "Relance renforcée"),
                                        ("A18c", "email", "Pré-relance")]),
    "contact_gap_counts_calls": ({}, [inv("A19", j(-3))], [call(j(-1))], [], [],
                                 [("A19", "aucune", "prochain contact possible le 27/11/2026")]),
    "promise_to_pay_pauses": ({}, [inv("A20", j(-10))], [call(j(-2), "Promesse de paiement le 28/11", "A20")],
                              [], [], [("A20", "aucune", "promesse de paiement au 28/11/2026")]),
    "broken_promise_resumes": ({}, [inv("A21", j(-20))], [sent("A21", "amiable", j(-19)),
                                                          call(j(-15), "promesse de paiement 15/11", "A21")], [], [],
                               [("A21", "email", "Relance renforcée"), ("A21", "alerte", "non tenue")]),
    "strategic_waits_longer": ({"segment": "Stratégique"}, [inv("A22", j(-1))], [], [], [],
                               [("A22", "aucune", "Relance amiable prévue le 27/11/2026")]),
    "strategic_renforcee_is_a_task": ({"segment": "Stratégique", "account_manager": "am@example.fr"},
                                      [inv("A23", j(-15))], [sent("A23", "amiable", j(-12))], [], [],
                                      [("A23", "tâche", "Relance renforcée par le chargé de compte")]),
    "big_amount_renforcee_is_a_task": ({}, [inv("A24", j(-8), amount="7500.00")], [sent("A24", "amiable", j(-7))],
                                       [], [], [("A24", "tâche", "Relance renforcée par un humain")]),
    "instalment_pre_reminder": ({}, [inv("A25", j(-40), amount="3000", status="Échéancier")], [], [],
                                [(1, j(-30), "1000", "Oui"), (2, j(3), "1000", "Non")],
                                [("A25", "email", "Rappel d'échéance")]),
    "instalment_missed_reminder": ({}, [inv("A26", j(-40), amount="3000", status="Échéancier")], [], [],
                                   [(1, j(-2), "1000", "Non")], [("A26", "email", "Échéance impayée")]),
    "missed_instalment_resumes_ladder": ({}, [inv("A27", j(-60), amount="3000", status="Échéancier")],
                                         [sent("A27", "echeance:1", j(-19))], [],
                                         [(1, j(-20), "1000", "Non")],
                                         [("A27", "email", "Relance amiable"), ("A27", "tâche", "Échéance n°1 manquée")]),
    "three_reminders_without_reply": ({}, [inv("A28", j(-28))],
                                      [sent("A28", "pre", j(-33)), sent("A28", "amiable", j(-27)),
                                       sent("A28", "renforcee", j(-20))], [], [],
                                      [("A28", "tâche", "3 relances sans réponse")]),
    "missing_email_becomes_call_or_letter_task": ({"email": ""}, [inv("A29", j(-3))], [], [], [],
                                                  [("A29", "tâche", "courrier ou téléphone"),
                                                   ("A29", "alerte", "sans email")]),
    "under_minimum_amount": ({}, [inv("A33", j(-20), amount="9.99")], [], [], [],
                             [("A33", "aucune", "sous le minimum de relance")]),
    "direct_debit_no_pre_reminder": ({"direct_debit": "Oui"}, [inv("A34", j(3))], [], [], [],
                                     [("A34", "aucune", "prélèvement automatique")]),
    "direct_debit_overdue_alert": ({"direct_debit": "Oui"}, [inv("A35", j(-6))], [], [], [],
                                   [("A35", "aucune", "prélèvement automatique"), ("A35", "alerte", "rejet ?")]),
    "direct_debit_rejected_is_chased": ({"direct_debit": "Oui"}, [inv("A36", j(-2), status="Prélèvement rejeté")],
                                        [], [], [], [("A36", "email", "Relance amiable")]),
    "already_sent_today": ({}, [inv("A30", j(-3))], [sent("A30", "amiable", D, key=f"{D}/S30/amiable")], [], [],
                           [("A30", "aucune", "Relance renforcée prévue le 02/12/2026")]),
    "english_client": ({"language": "en"}, [inv("A31", j(-2))], [], [], [], [("A31", "email", "Relance amiable")]),
    "consumer_renforcee": ({"segment": "Particulier", "kind": "B2C"}, [inv("A32", j(-9))],
                           [sent("A32", "amiable", j(-8))], [], [], [("A32", "email", "Relance renforcée")]),
}


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    from relance.adapters.backends.xlsx import create_workbook
    from relance.core.config import default_config_text
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "config.toml").write_text(default_config_text(), encoding="utf-8")
    tabs = {"Factures": [], "Clients": [], "Journal": [], "Tâches": [], "Échéanciers": []}
    for index, (name, (overrides, invoices, journal, tasks, instalments, _)) in enumerate(SCENARIOS.items(), 1):
        code = f"S{index:02d}"
        tabs["Clients"].append({"code": code, "name": name, "email": f"{code.lower()}@example.com", "kind": "B2B",
                                **overrides})
        tabs["Factures"] += [{**i, "client": code} for i in invoices]
        tabs["Journal"] += [{**e, "client": code, "key": e.get("key", "").replace("/S30/", f"/{code}/")}
                            for e in journal]
        tabs["Tâches"] += [{**t, "client": code} for t in tasks]
        tabs["Échéanciers"] += [{"invoice": invoices[0]["invoice"], "number": n, "date": day, "amount": Decimal(a),
                                 "paid": p} for n, day, a, p in instalments]
    create_workbook(folder / "registre.xlsx", tabs)
    result = CliRunner().invoke(app, ["plan", "--config", str(folder / "config.toml"), "--date", D.isoformat(),
                                      "--all", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def observed(rows, number):
    found = []
    for row in rows:
        if number in row["invoice"].split(", "):
            found.append((row["action"], f"{row['stage']} {row['reason']}"))
            if "alerte :" in row["reason"]:
                found.append(("alerte", row["reason"]))
    return found


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(planned, name):
    expected = SCENARIOS[name][-1]
    for number, action, text in expected:
        got = observed(planned, number)
        assert any(a == action and text in what for a, what in got), (name, number, got)
    for number in {n for n, _, _ in expected}:  # and nothing else happens to the invoice
        wanted = {a for n, a, _ in expected if n == number and a != "alerte"}
        actions = {a for a, _ in observed(planned, number) if a != "alerte"}
        assert actions - {"aucune"} == wanted - {"aucune"}, (name, number, actions)


def test_one_message_per_client_in_the_whole_plan(planned):
    messages = {}
    for row in planned:
        if row["action"] == "email":
            messages.setdefault(row["client"], set()).add(row["message"])
    assert all(len(keys) == 1 for keys in messages.values())
    assert len(SCENARIOS) >= 25
