"""Stage effectiveness and promises to pay, on registers small enough to compute by hand."""

import json
from decimal import Decimal as D

import openpyxl
import pytest
from typer.testing import CliRunner

from relance.cli import app
from relance.dashboard.effectiveness import PROMISE_FIGURES, STAGE_FIGURES
from relance.dashboard.summary import compute
from relance.dashboard.summary_layout import synthese_layout
from relance.dashboard.summary_output import as_dict, records

from conftest import TODAY, at, client, invoice, manual, register, sent, xlsx_register
from test_summary import T, journal_row as row  # T(-3) = three days before TODAY (Wednesday 25/11/2026)


#          client due      amount   payment                                      stages sent (Journal)
INVOICES = [
    invoice("E1", "C1", T(-30), "1000.00", paid=D("1000.00"), paid_on=T(-25), status="Payée"),  # amiable J−29
    invoice("E2", "C1", T(-40), "500.00", paid=D("500.00"), paid_on=T(-27)),  # no Statut, nothing left: settled
    invoice("E3", "C2", T(-20), "800.00"),                                     # amiable J−19, renforcée J−12
    invoice("E4", "C2", T(-10), "300.00", paid=D("300.00"), paid_on=T(-8), status="Payée"),     # amiable J−9
    invoice("E5", "C3", T(-31), "200.00", status="Payée"),                     # Payée without Date de règlement
    invoice("E6", "C3", T(-31), "400.00", status="Annulée"),                   # cancelled: left out
    invoice("E7", "C3", T(-30), "600.00", paid=D("300.00"), paid_on=T(-25)),  # partly paid: not settled
    invoice("E8", "C4", T(-31), "700.00", paid=D("700.00"), paid_on=T(-32), status="Payée"),  # paid before amiable
    invoice("E9", "C4", T(-3), "900.00", issued=T(-33)),                      # pré J−8, amiable J−2
]
JOURNAL = [
    sent("E1", "amiable", T(-29)),
    sent("E2", "amiable", T(-36), key="again"),   # sent twice: the first send (J−39, below) dates the stage
    sent("E2", "amiable", T(-39)), sent("E2", "renforcee", T(-32)),
    sent("E3", "amiable", T(-19), "C2"), sent("E3", "renforcee", T(-12), "C2"),
    row("E3", "demeure", T(-5), "test", "C2"),      # test mode reaches nothing
    row("E3", "demeure", T(-4), "failed", "C2"),    # neither does a failed send
    sent("E4", "amiable", T(-9), "C2"),
    sent("E4", "renforcee", T(2), "C2"),            # after the summary's day: not yet
    sent("E5", "amiable", T(-30), "C3"), sent("E6", "amiable", T(-30), "C3"), sent("E7", "amiable", T(-29), "C3"),
    sent("E8", "Relance amiable", T(-30), "C4"),    # the stage typed as its label
    sent("E9", "pre", T(-8), "C4"), sent("E9", "amiable", T(-2), "C4"),
    sent("X99", "amiable", T(-30), "C9"),           # an invoice the register does not hold
]
PROMISES = [
    manual("C1", T(-35), "Promesse de paiement 01/11", "E2"),            # E2 paid J−27 ≤ 01/11 (J−24) + 3: kept
    manual("C2", T(-15), "Promis pour le 15/11"),                         # C2's open invoices then: E3, E4
    manual("C4", T(-2), "promesse 30/11", "E9"),                          # J+5 + 3 not reached: pending
    manual("C4", T(-40), "Promesse : virement le 22/10"),                 # C4's open invoices on J−40: E8 only
    manual("C3", T(-10), "promesse au 2026-11-22", "E7"),                 # deadline 22/11 + 3 = today: pending
    manual("C3", T(-5), "Appel, promesse sans date"),                    # no date: not a promise
    manual("C3", T(-20), "Promesse 10/11", "E6"),                         # cancelled invoice: not counted
    manual("C5", T(-20), "Promesse 10/11"),                               # a client with no invoice: not counted
    manual("C1", T(1), "Promesse 30/11", "E1"),                           # logged after the summary's day
]


@pytest.fixture
def example(policy):
    clients = [client(c) for c in ("C1", "C2", "C3", "C4", "C5")]
    return compute(register(INVOICES, clients, JOURNAL + PROMISES), policy, TODAY)


def test_paid_within_7_and_14_days_of_each_stage(example):
    effects = {e.key: e for e in example.stage_effects}
    assert list(effects) == ["pre", "amiable", "renforcee", "demeure", "recouvrement"]

    amiable = effects["amiable"]
    # received it: E1 E2 E3 E4 E5 E7 E8 E9 (E6 cancelled, X99 unknown) = 8
    assert amiable.reached == 8
    # ≥ 7 days ago: all but E9 (J−2) = 7. Paid by stage day + 7: E1 (J−25 ≤ J−22), E4 (J−8 ≤ J−2),
    # E8 (paid J−32, before the stage: it crossed the reminder). Not: E2 (J−27 > J−32), E3 open, E5 (no
    # Date de règlement), E7 (partly paid) -> 3 / 7 = 0.42857… = 0.429
    assert (amiable.paid_within(7).invoices, amiable.paid_within(7).paid, amiable.paid_7d) == (7, 3, D("0.429"))
    # ≥ 14 days ago: E1 E2 E3 E5 E7 E8 = 6 (E4 is 9 days old). Paid by + 14: E1, E2 (J−27 ≤ J−25), E8 -> 3 / 6
    assert (amiable.paid_within(14).invoices, amiable.paid_within(14).paid, amiable.paid_14d) == (6, 3, D("0.500"))

    renforcee = effects["renforcee"]
    # E2 (J−32) and E3 (J−12); E4's row is dated after today
    assert renforcee.reached == 2
    assert (renforcee.paid_within(7).invoices, renforcee.paid_within(7).paid) == (2, 1)   # E2: J−27 ≤ J−25
    assert renforcee.paid_7d == D("0.500")
    assert (renforcee.paid_within(14).invoices, renforcee.paid_14d) == (1, D("1.000"))     # E3 is 12 days old

    pre = effects["pre"]
    assert (pre.reached, pre.paid_7d, pre.paid_14d) == (1, D("0.000"), None)  # E9 J−8: unpaid; too recent for 14
    assert (effects["demeure"].reached, effects["demeure"].paid_7d) == (0, None)  # test and failed rows only


def test_the_amount_at_each_stage_is_the_open_invoices_table(example):
    # highest stage sent of open invoices: E3 renforcée 800; E7 amiable 300 left; E9 amiable 900 (pré is lower)
    assert [(e.label, e.amount, e.count) for e in example.stage_effects] == [
        ("Pré-relance", D("0.00"), 0), ("Relance amiable", D("1200.00"), 2), ("Relance renforcée", D("800.00"), 1),
        ("Mise en demeure", D("0.00"), 0), ("Dossier de recouvrement", D("0.00"), 0)]
    assert [(b.amount, b.count) for b in example.stages[1:]] == [(e.amount, e.count) for e in example.stage_effects]
    assert any(n.startswith("1 facture(s) relancée(s) soldée(s) sans Date de règlement") for n in example.notes)  # E5


def test_promises_kept_broken_and_pending(example):
    p = example.promises
    # kept: E2 (paid J−27, deadline 01/11 + 3 = J−21); C4 on J−40: E8 only (E9 issued J−33, later), paid J−32
    #   ≤ 22/10 (J−34) + 3 = J−31
    # broken: C2 on J−15: E3 (open) and E4 (paid J−8); deadline 15/11 + 3 = 18/11 passed, E3 still unpaid
    # pending: E9 (30/11 + 3 = 03/12), E7 (22/11 + 3 = 25/11, today: not yet passed)
    assert (p.kept, p.broken, p.pending) == (2, 1, 2)
    assert p.kept_rate == D("0.667")  # 2 / (2 + 1)


def test_a_promise_paid_after_its_deadline_is_broken(policy):
    grace = policy.promises.grace_days  # 3
    reg = register([invoice("F1", due=T(-30), paid=D("100.00"), paid_on=T(-10 + grace + 1), status="Payée")],
                   journal=[manual("C1", T(-20), f"Promesse {T(-10):%d/%m/%Y}", "F1")])
    assert compute(reg, policy, TODAY).promises.broken == 1
    on_time = register([invoice("F1", due=T(-30), paid=D("100.00"), paid_on=T(-10 + grace), status="Payée")],
                       journal=[manual("C1", T(-20), f"Promesse {T(-10):%d/%m/%Y}", "F1")])
    assert compute(on_time, policy, TODAY).promises.kept == 1


def test_nothing_to_measure_is_unknown_not_zero(policy):
    s = compute(register([invoice("F1", due=T(-3))]), policy, TODAY)
    assert all(e.reached == 0 and e.paid_7d is None and e.paid_14d is None for e in s.stage_effects)
    assert (s.promises.kept, s.promises.broken, s.promises.pending, s.promises.kept_rate) == (0, 0, 0, None)


def test_synthese_json_and_csv_carry_the_figures_and_their_definitions(example):
    layout = synthese_layout(example)
    header = layout.rows.index(("Étape", *(f.label for f in STAGE_FIGURES)))
    assert layout.rows[header + 1][0] == "Aucune relance" and layout.rows[header + 1][1:4] == (None, None, None)
    amiable = layout.rows[header + 3]
    assert amiable[:2] == ("Relance amiable", 8) and amiable[2].value == D("0.429") and amiable[4] == D("1200.00")
    texts = {cell for values in layout.rows for cell in values if isinstance(cell, str)}
    assert {f.formula for f in STAGE_FIGURES + PROMISE_FIGURES} <= texts

    data = json.loads(json.dumps(as_dict(example), default=str))
    stage = data["stage_effectiveness"]["stages"][1]
    assert stage["key"] == "amiable" and stage["paid_7d"] == {"invoices": 7, "paid": 3, "share": "0.429"}
    assert data["promises"]["kept_rate"] == "0.667" and len(data["promises"]["definitions"]) == 4

    rows = {(r["section"], r["key"]): r for r in records(example)}
    share = rows["efficacite_etape", "amiable/paid_14d"]
    assert (share["value"], share["count"], share["base"], share["days"]) == ("0.500", "3", "6", "14")
    assert rows["promesses", "kept_rate"]["base"] == "3" and rows["promesses", "broken"]["count"] == "1"


def test_cli_run_writes_the_figures_in_synthese_and_summary_prints_them(workdir):
    """End to end: `relance run` on an xlsx register, Synthèse read back, then `relance summary --format json`."""
    xlsx_register(workdir, [
        {"invoice": "F1", "client": "C1", "due": T(-30), "amount": D("1000.00"), "paid": D("1000.00"),
         "paid_on": T(-26), "status": "Payée"},
        {"invoice": "F2", "client": "C1", "due": T(-30), "amount": D("600.00"), "paid": D("600.00"),
         "paid_on": T(-12), "status": "Payée"},
        {"invoice": "F3", "client": "C2", "due": T(-30), "amount": D("500.00")},
        {"invoice": "F4", "client": "C3", "due": T(-5), "amount": D("90.00"), "paid": D("90.00"),
         "paid_on": T(-1), "status": "Payée"},   # never reminded; keeps the payment data fresh (guards.py)
        {"invoice": "F5", "client": "C3", "due": T(-2), "amount": D("200.00")},   # the run sends its amiable
    ], journal=[
        *({"timestamp": at(day, 9), "invoice": number, "client": code, "stage": stage, "channel": "email",
           "status": "sent", "key": f"{day}/{code}/{stage}/{number}", "author": "bot"}
          for number, code, stage, day in (("F1", "C1", "amiable", T(-29)), ("F2", "C1", "amiable", T(-29)),
                                           ("F2", "C1", "renforcee", T(-22)), ("F3", "C2", "amiable", T(-29)),
                                           ("F3", "C2", "renforcee", T(-22)))),
        {"timestamp": at(T(-28), 11), "invoice": "F1", "client": "C1", "channel": "téléphone", "status": "manual",
         "comment": "promesse de règlement le 2026-10-30"},    # paid J−26 = 30/10: kept
        {"timestamp": at(T(-20), 11), "invoice": "F3", "client": "C2", "channel": "téléphone", "status": "manual",
         "comment": "Promesse de paiement 10/11"},             # 10/11 + 3 = 13/11 passed, unpaid: broken
    ])
    cli = CliRunner()
    config = str(workdir / "config.toml")
    ran = cli.invoke(app, ["run", "--config", config, "--date", TODAY.isoformat()])
    assert ran.exit_code == 0 and "1 message(s)" in ran.output, ran.output

    sheet = openpyxl.load_workbook(workdir / "registre.xlsx")["Synthèse"]
    values = [[c.value for c in r[:6]] for r in sheet.iter_rows()]
    header = values.index(["Étape", *(f.label for f in STAGE_FIGURES)])
    table = {r[0]: r[1:] for r in values[header + 1:header + 7]}
    # amiable: F1 F2 F3 (J−29) and F5 (today, by this run): 4. ≤ 7 j: F1 only (J−26 ≤ J−22) of 3 = 33,3 %;
    # ≤ 14 j: F2 paid J−12 > J−15, still 1 / 3. Open now at amiable: F5 200 €.
    assert table["Relance amiable"] == [4, 0.333, 0.333, 200, 1]
    # renforcée J−22: F2 and F3. ≤ 7 j: none; ≤ 14 j: F2 (J−12 ≤ J−8) -> 1 / 2. Open now: F3 500 €.
    assert table["Relance renforcée"] == [2, 0, 0.5, 500, 1]
    assert table["Aucune relance"] == [None, None, None, 0, 0]
    assert sheet.cell(row=header + 4, column=3).number_format == "0.0 %"  # amiable (0-based header + 3)
    promises = {r[0]: r[1] for r in values if r[0] in {f.label for f in PROMISE_FIGURES}}
    assert promises == {"Promesses tenues": 1, "Promesses non tenues": 1, "Promesses en cours": 0,
                        "Taux de promesses tenues": 0.5}

    printed = cli.invoke(app, ["summary", "--config", config, "--date", TODAY.isoformat(), "--format", "json"])
    data = json.loads(printed.output)
    amiable = data["stage_effectiveness"]["stages"][1]
    assert (amiable["stage"], amiable["reached"], amiable["paid_7d"], amiable["amount"]) == (
        "Relance amiable", 4, {"invoices": 3, "paid": 1, "share": "0.333"}, "200.00")
    assert {k: data["promises"][k] for k in ("kept", "broken", "pending", "kept_rate")} == {
        "kept": 1, "broken": 1, "pending": 0, "kept_rate": "0.500"}


def test_readme_defines_every_stage_and_promise_figure():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[1] / "docs" / "summary.md").read_text(encoding="utf-8")
    for figure in STAGE_FIGURES + PROMISE_FIGURES:
        assert figure.label in readme, figure.label
    assert "efficacite_etape" in readme and "stage_effectiveness" in readme
