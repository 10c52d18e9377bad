"""Promises to pay are read right or not at all (rules/promises.py)."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from relance.core.config import Policy
from relance.core.planner import plan
from relance.core.rules.promises import read_promise

from conftest import TODAY, at, invoice, manual, register

LOGGED = date(2026, 11, 25)


@pytest.mark.parametrize("comment, expected", [
    ("Appel 25/11 : promesse 04/12", date(2026, 12, 4)),          # the call's date is not the promise
    ("Promesse de paiement 30/11", date(2026, 11, 30)),
    ("promesse de paiement le 4 décembre", date(2026, 12, 4)),
    ("Promis pour le 2 janvier", date(2027, 1, 2)),               # no year: the next one
    ("promesse 2026-12-10", date(2026, 12, 10)),
    ("Appel : a promis de payer le 8 déc.", date(2026, 12, 8)),
])
def test_a_promise_date_is_read_only_where_it_is_unambiguous(comment, expected):
    assert read_promise(manual("C1", LOGGED, comment)) == (expected, "")


@pytest.mark.parametrize("comment", [
    "Appel 25/11 : promesse de paiement",            # a date, but before the word: the call's
    "promesse de paiement 04/12 ou 10/12",           # two dates
    "promesse 31/11",                                # impossible date
    "promesse de paiement la semaine prochaine",
])
def test_a_promise_without_a_sure_date_is_reported(comment):
    promised, why = read_promise(manual("C1", LOGGED, comment))
    assert promised is None and "Promesse (date)" in why


@pytest.mark.parametrize("comment", ["Appel 25/11, pas de promesse", "Client injoignable", "aucune promesse 04/12"])
def test_no_promise_is_no_promise(comment):
    assert read_promise(manual("C1", LOGGED, comment)) == (None, "")


def test_the_promesse_date_column_wins_over_the_comment():
    entry = replace(manual("C1", LOGGED, "Appel 25/11 : promesse 04/12 ou 10/12"), promised=date(2026, 12, 15))
    assert read_promise(entry) == (date(2026, 12, 15), "")


def late_register(comment, **entry):
    inv = invoice("F1", due=TODAY - timedelta(days=3))
    return register([inv], journal=[replace(manual("C1", TODAY - timedelta(days=4), comment, "F1"), **entry)])


def test_an_unclear_promise_holds_the_reminder_and_alerts():
    result = plan(late_register("Appel 21/11 : le client promet de payer, promesse confirmée"), Policy(), TODAY)
    assert not result.reminders
    assert "Promesse (date)" in result.states["F1"].alert
    # once a human fills the date (already passed + grace), the ladder resumes
    filled = plan(late_register("Appel 21/11 : promesse confirmée", promised=TODAY - timedelta(days=10)),
                  Policy(), TODAY)
    assert [r.invoices for r in filled.reminders] == [("F1",)]
    assert "non tenue" in filled.states["F1"].alert


def test_a_clear_promise_in_free_text_pauses_until_its_date():
    result = plan(late_register("Appel 21/11 : promesse 04/12"), Policy(), TODAY)
    assert not result.reminders and "04/12/2026" in result.states["F1"].next_action


def test_promesse_date_column_through_the_cli(reg, workdir):
    """Black box, both backends: staff fill Promesse (date) on a manual Journal row; an unreadable one alerts."""
    from typer.testing import CliRunner

    from relance.cli import app
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3), "amount": "100"},
                {"invoice": "F2", "client": "C2", "due": TODAY - timedelta(days=3), "amount": "100"}],
               journal=[{"timestamp": at(TODAY - timedelta(days=2)), "invoice": "F1", "client": "C1",
                         "status": "manual", "channel": "téléphone", "comment": "Appel 23/11 : promesse",
                         "promised": date(2026, 12, 4)},
                        {"timestamp": at(TODAY - timedelta(days=2)), "invoice": "F2", "client": "C2",
                         "status": "manual", "channel": "téléphone", "comment": "Appel 23/11 : promesse",
                         "promised": "31/11"}])
    assert "Promesse (date)" in reg.rows("Journal")[0]
    result = CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])
    assert result.exit_code in (0, 1), result.output
    rows = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert "04/12/2026" in rows["F1"]["Prochaine action"] and not rows["F1"]["Relances envoyées"]
    assert "Promesse (date) illisible" in rows["F2"]["Alerte"] and not rows["F2"]["Relances envoyées"]
    assert "Journal" in result.output and "31/11" in result.output  # the cell is also named on the console
    assert not list((workdir / "outbox").glob("*.eml"))
