"""What the register's cells mean: client type, choice cells, decisive headers, identities.

Black-box through the CLI on both backends (`reg`), plus table-driven parser cases. Every
unreadable cell that decides whether a reminder goes is a problem on its row (no reminder,
an Alerte, `check` exits 1), never the permissive default."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance.cli import app
from relance.core import schema
from relance.core.model import RawTab
from relance.core.parse import RegisterError, parse_register

from conftest import TODAY

cli = CliRunner()
LATE = TODAY - timedelta(days=2)  # J+2: `amiable` is due today
VALID_SIREN = "732829320"  # Luhn-valid
VALID_SIRET = "73282932000074"


def invoke(*args):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


def one_invoice(number="F1", client="C1"):
    return {"invoice": number, "client": client, "issued": LATE - timedelta(days=30), "due": LATE,
            "amount": Decimal("500")}


def client_row(code="C1", **kw):
    return {"code": code, "name": f"Client {code}", "email": f"{code.lower()}@example.com", **kw}


def planned(reg, workdir):
    result = invoke("plan", "--config", workdir / "config.toml", "--date", TODAY, "--all", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def sends(rows, number):
    return [r for r in rows if number in r["invoice"].split(", ") and r["action"] == "email"]


def check(workdir):
    result = invoke("check", "--config", workdir / "config.toml", "--json")
    return result.exit_code, result.output


# 1. Client legal type -------------------------------------------------------------------------------------------

def test_blank_type_without_siren_is_a_problem_not_a_business(reg, workdir):
    reg.create([one_invoice("F1", "C1"), one_invoice("F2", "C2")],
               [client_row("C1", kind=""), client_row("C2", kind="B2B")])
    rows = planned(reg, workdir)
    assert not sends(rows, "F1") and sends(rows, "F2")
    code, output = check(workdir)
    assert code == 1 and "Type vide" in output and "Clients!I2" in output
    result = invoke("run", "--config", workdir / "config.toml", "--date", TODAY)
    assert result.exit_code == 0, result.output
    factures = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert "Type vide" in factures["F1"]["Alerte"] and not factures["F1"]["Pénalités"]
    assert not factures["F1"]["Étape"] and factures["F2"]["Étape"]


@pytest.mark.parametrize("siren,b2b", [(VALID_SIREN, True), ("732 829 320", True), (VALID_SIRET, True)])
def test_blank_type_is_read_from_a_valid_siren_or_siret(siren, b2b):
    register, problems = parse_register(tabs(clients=[["C1", "c1@example.com", "", siren]]))
    assert problems == [] and register.clients["C1"].b2b is b2b


@pytest.mark.parametrize("siren", ["123456789", "12345678", "732829321", "abc"])
def test_blank_type_with_an_invalid_siren_blocks_the_client(siren):
    register, problems = parse_register(tabs(clients=[["C1", "c1@example.com", "", siren]]))
    assert "C1" not in register.clients and not register.invoices
    assert any("SIREN" in p.message and "invalide" in p.message for p in problems)
    assert any(p.tab == "Factures" and p.invoice == "F1" for p in problems)  # its invoice's Alerte says why


def test_blank_type_of_a_particulier_is_a_consumer():
    register, problems = parse_register(tabs(clients=[["C1", "c1@example.com", "", "", "Particulier"]]))
    assert problems == [] and register.clients["C1"].b2b is False


# 2. Choice cells ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("column,value,attribute,expected", [
    ("kind", "b2c", "b2b", False), ("kind", "Particulier", "b2b", False), ("kind", " B2B ", "b2b", True),
    ("kind", "Entreprise", "b2b", True), ("auto", "non", "auto", False), ("auto", "NON", "auto", False),
    ("auto", "Oui", "auto", True), ("auto", "x", "auto", True), ("auto", "", "auto", True),
    ("direct_debit", "oui", "direct_debit", True), ("direct_debit", "", "direct_debit", False),
    ("segment", "strategique", "segment", "Stratégique"), ("language", "Anglais", "language", "en"),
])
def test_clear_variants_of_a_choice_are_accepted(column, value, attribute, expected):
    row = {"code": "C1", "email": "c1@example.com", "kind": "B2B", column: value}
    register, problems = parse_register(tabs(clients=[row]))
    assert problems == [] and getattr(register.clients["C1"], attribute) == expected


@pytest.mark.parametrize("column,value", [
    ("auto", "Non (client sensible)"), ("kind", "B2C (particulier)"), ("segment", "VIP"), ("language", "de"),
    ("direct_debit", "peut-être"), ("auto", "Oui mais pas avant janvier"),
])
def test_an_unreadable_choice_blocks_the_client_never_the_default(column, value):
    row = {"code": "C1", "email": "c1@example.com", "kind": "B2B", column: value}
    register, problems = parse_register(tabs(clients=[row]))
    assert "C1" not in register.clients and not register.invoices
    header = schema.CLIENTS.column(column).header
    assert any(p.tab == "Clients" and p.column == header and value[:20] in p.message for p in problems)


def test_opted_out_client_with_a_comment_gets_no_reminder_and_check_fails(reg, workdir):
    reg.create([one_invoice()], [client_row(auto="Non (client sensible)")])
    assert not sends(planned(reg, workdir), "F1")
    code, output = check(workdir)
    assert code == 1 and "Non (client sensible)" in output


def test_unreadable_statut_or_instalment_paid_cell_stops_the_invoice():
    register, problems = parse_register(tabs(invoices=[{"status": "Payée en partie"}]))
    assert not register.invoices and any(p.column == "Statut" for p in problems)
    plan_rows = [["F1", 1, LATE, 250, "Oui (virement)"]]
    register, problems = parse_register(tabs(instalments=plan_rows))
    assert not register.invoices and any(p.tab == "Échéanciers" and p.column == "Réglé" for p in problems)
    assert any(p.tab == "Factures" and p.invoice == "F1" for p in problems)


# 3. Headers that decide ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("tab,key,renamed", [
    ("Factures", "status", "État"), ("Factures", "paid", "Payé (€)"), ("Factures", "paid_on", "Réglée le"),
    ("Clients", "auto", "Relance automatique ?"), ("Clients", "kind", "Catégorie"),
    ("Clients", "direct_debit", "Mandat"),
])
def test_a_renamed_decisive_header_blocks_the_run_and_names_the_headers_seen(tab, key, renamed):
    raw = tabs()
    header = list(raw[tab].rows[0])
    header[header.index(schema.TABS[[t.name for t in schema.TABS].index(tab)].column(key).header)] = renamed
    raw[tab] = RawTab(tab, [header] + raw[tab].rows[1:])
    with pytest.raises(RegisterError) as caught:
        parse_register(raw)
    assert tab in str(caught.value) and renamed in str(caught.value)


def test_renamed_statut_check_and_run_refuse_and_nothing_is_sent(workdir):
    import openpyxl
    from conftest import xlsx_register
    path = xlsx_register(workdir, [{**one_invoice(), "status": "Litige"}])
    wb = openpyxl.load_workbook(path)
    for cell in wb["Factures"][1]:
        if cell.value == "Statut":
            cell.value = "État"
    wb.save(path)
    code, output = check(workdir)
    assert code == 1 and "Statut" in output and "État" in output
    result = invoke("run", "--config", workdir / "config.toml", "--date", TODAY)
    assert result.exit_code == 1 and not list((workdir / "outbox").glob("*.eml"))


# 4. Identities -------------------------------------------------------------------------------------------------

def test_a_duplicated_client_code_blocks_that_client(reg, workdir):
    reg.create([one_invoice("F1", "C1"), one_invoice("F2", "C2")],
               [client_row("C1", kind="B2B", email="old@example.com"), client_row("C2", kind="B2B"),
                client_row("C1", kind="B2B", email="new@example.com")])
    rows = planned(reg, workdir)
    assert not sends(rows, "F1") and sends(rows, "F2")
    code, output = check(workdir)
    assert code == 1 and "en double" in output
    assert invoke("run", "--config", workdir / "config.toml", "--date", TODAY).exit_code == 0
    factures = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert "en double" in factures["F1"]["Alerte"]
    assert not any("old@example.com" in p.read_text(encoding="utf-8") for p in (workdir / "outbox").glob("*.eml"))


# helpers --------------------------------------------------------------------------------------------------------

def tabs(invoices=None, clients=None, instalments=None) -> dict:
    """Raw tabs with every header; rows given as dicts by column key or as lists (Clients: code, email, kind,
    siren, segment)."""
    def rows(tab, given):
        out = [tab.headers]
        for row in given:
            if isinstance(row, list):
                row = dict(zip(("code", "email", "kind", "siren", "segment"), row))
            out.append([row.get(c.key) for c in tab.columns])
        return out
    invoices = [{"invoice": "F1", "client": "C1", "due": LATE, "amount": Decimal("500"), **i}
                for i in (invoices or [{}])]
    clients = clients if clients is not None else [{"code": "C1", "email": "c1@example.com", "kind": "B2B"}]
    raw = {"Factures": RawTab("Factures", rows(schema.FACTURES, invoices)),
           "Clients": RawTab("Clients", rows(schema.CLIENTS, clients))}
    if instalments:
        raw["Échéanciers"] = RawTab("Échéanciers", [schema.ECHEANCIERS.headers, *instalments])
    return raw


def promise_row(**kw):
    return {"timestamp": TODAY - timedelta(days=1), "channel": "téléphone", "author": "Julie",
            "comment": f"Promesse de paiement {TODAY + timedelta(days=10):%d/%m/%Y}", **kw}


@pytest.mark.parametrize("row", [
    promise_row(invoice="F1", client="", status="manual"),  # invoice number, no client code
    promise_row(invoice="F1", client="ANCIEN-C1", status="manual"),  # client code renamed since
    promise_row(invoice="F1", client="C1", status="Manuel"),  # odd Statut
    promise_row(invoice="F1", client="C1", status=""),  # blank Statut
], ids=["no-client", "renamed-client", "manuel", "blank-status"])
def test_a_manual_row_naming_an_invoice_applies_to_it(reg, workdir, row):
    reg.create([one_invoice("F1", "C1"), one_invoice("F2", "C2")], journal=[row])
    rows = planned(reg, workdir)
    assert not sends(rows, "F1") and sends(rows, "F2")


def test_a_manual_row_attached_to_nothing_is_reported(reg, workdir):
    reg.create([one_invoice("F1", "C1")], journal=[promise_row(invoice="F404", client="X9", status="manual")])
    code, output = check(workdir)
    assert code == 1 and "rattachée à aucune facture" in output and "Journal!B2" in output


# 5. Amounts and dates ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [("1.500", "1500"), ("2.400", "2400"), ("1.500 €", "1500"),
                                           ("12.345", "12345"), ("1.500.000", "1500000"), ("1.234,56", "1234.56"),
                                           ("1.50", "1.5"), ("1.5", "1.5"), ("-1.500", "-1500")])
def test_a_dot_and_three_digits_is_french_thousands(text, expected):
    from relance.core.cells import parse_amount
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["0.500", "1234.567"])
def test_a_dot_and_three_digits_that_cannot_be_thousands_is_reported(text):
    from relance.core.cells import parse_amount
    with pytest.raises(ValueError, match="ambigu"):
        parse_amount(text)


def test_paid_typed_as_french_thousands_stops_the_reminder(reg, workdir):
    reg.create([{**one_invoice("F1"), "amount": "1.500", "paid": "1.500"},
                {**one_invoice("F2", "C2"), "amount": "2.400"}])
    rows = planned(reg, workdir)
    assert not sends(rows, "F1")
    assert sends(rows, "F2") and Decimal(sends(rows, "F2")[0]["remaining"]) == Decimal("2400")


@pytest.mark.parametrize("dates,message", [
    ({"issued": TODAY + timedelta(days=1200), "due": TODAY + timedelta(days=1230)}, "après aujourd'hui"),
    ({"issued": LATE, "due": LATE - timedelta(days=364)}, "antérieure à la date de facture"),
    ({"issued": None, "due": date(2099, 1, 1)}, "date improbable"),
], ids=["issued-in-the-future", "due-before-issued", "far-future-due"])
def test_dates_that_contradict_are_a_problem_on_the_row(reg, workdir, dates, message):
    reg.create([{**one_invoice("F1"), **dates}, one_invoice("F2", "C2")])
    rows = planned(reg, workdir)
    assert not sends(rows, "F1") and sends(rows, "F2")
    code, output = check(workdir)
    assert code == 1 and message in output


@pytest.mark.parametrize("row", [promise_row(invoice="F1", client="C1", status="manual"),
                                 promise_row(invoice="", client="C1", status="manual")], ids=["invoice", "client"])
def test_a_promise_dated_9999_is_a_row_problem_for_plan_and_run(reg, workdir, row):
    reg.create([one_invoice("F1", "C1"), one_invoice("F2", "C2")],
               journal=[{**row, "comment": "Promesse de paiement 31/12/9999"}])
    rows = planned(reg, workdir)
    assert not sends(rows, "F1") and sends(rows, "F2")
    result = invoke("run", "--config", workdir / "config.toml", "--date", TODAY)
    assert result.exit_code == 0, result.output
    factures = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert "31/12/9999" in factures["F1"]["Alerte"] and factures["F2"]["Étape"]


# 6. First real run ---------------------------------------------------------------------------------------------

def test_a_new_register_without_payment_data_sends_nothing_but_dry_runs_work(reg, workdir):
    reg.create([one_invoice("F1")], payments_up_to=None)
    config = workdir / "config.toml"
    dry = invoke("run", "--config", config, "--date", TODAY, "--dry-run")
    assert dry.exit_code == 0 and list((workdir / "outbox" / "dry-run").glob("*.eml"))
    assert "à blanc seulement" in dry.output
    result = invoke("run", "--config", config, "--date", TODAY)
    assert result.exit_code == 0, result.output
    assert "Encaissements à jour au" in result.output and "aucun règlement saisi" in result.output
    assert not list((workdir / "outbox").glob("*.eml"))
    assert any("Relances suspendues" in (t["Motif"] or "") for t in reg.rows("Tâches"))
    assert not any(r["Canal"] == "email" for r in reg.rows("Journal"))


# 7. Sample identity --------------------------------------------------------------------------------------------

def test_check_fails_on_the_sample_company_identity_and_passes_on_a_real_one(reg, workdir):
    from registers import use_own_identity
    reg.create([one_invoice()])
    code, output = check(workdir)
    messages = {p["column"]: p["message"] for p in json.loads(output)}
    assert code == 1 and "123456789" in messages["[company] siren"]
    assert "example.fr" in messages["[company] email"] and "example.fr" in messages["[mail] from"]
    use_own_identity(workdir / "config.toml")
    code, output = check(workdir)
    assert not [p for p in json.loads(output) if (p["column"] or "").startswith(("[company]", "[mail]"))]


def test_check_reports_an_invalid_company_siren(workdir):
    from conftest import xlsx_register
    from registers import use_own_identity
    xlsx_register(workdir, [one_invoice()])
    use_own_identity(workdir / "config.toml")
    config = workdir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"732829320"', '"732829321"'), encoding="utf-8")
    code, output = check(workdir)
    assert code == 1 and "invalide" in output and "[company] siren" in output


def test_init_says_it_keeps_an_existing_config(tmp_path):
    (tmp_path / "config.toml").write_text("# mine\n", encoding="utf-8")
    result = invoke("init", tmp_path / "registre.xlsx")
    assert result.exit_code == 0 and "conservée" in result.output
    assert (tmp_path / "config.toml").read_text(encoding="utf-8") == "# mine\n"


def test_the_demo_still_runs_with_its_sample_identity(tmp_path):
    result = invoke("demo", "--dir", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "demo" / "outbox").glob("*.eml"))


# 8. Consumer prescription --------------------------------------------------------------------------------------

def test_consumer_prescription_runs_from_the_invoice_date_and_bites_the_day_after_the_last_day():
    from relance.core import planner
    from relance.core.config import Policy
    from conftest import client, invoice, register
    consumer = register([invoice("F2", due=date(2024, 12, 31), issued=date(2024, 12, 1))],
                        clients=[client("C1", b2b=False)])
    last_day = planner.plan(consumer, Policy(), date(2026, 12, 1)).states["F2"].alert
    assert "Prescription après le 01/12/2026" in last_day and "aujourd'hui" in last_day
    assert "date de facture" in last_day and "paiement partiel" in last_day and "pas une mise en demeure" in last_day
    barred = planner.plan(consumer, Policy(), date(2026, 12, 2)).states["F2"].alert
    assert "probablement prescrite depuis le 02/12/2026" in barred
    assert "paiement partiel" in barred and "action en justice" in barred and "mesure d'exécution" in barred
    undated = register([invoice("F3", due=date(2024, 12, 31))], clients=[client("C1", b2b=False)])
    assert "faute de date de facture" in planner.plan(undated, Policy(), date(2026, 12, 1)).states["F3"].alert


# 9. Anonymise: retention ---------------------------------------------------------------------------------------

def retention_register(workdir):
    """Closed three years before TODAY: a business (5-year retention) and a consumer (2 years); and a
    business whose formal notice names an invoice no longer in Factures (proof of an open claim)."""
    from conftest import at, xlsx_register
    closed = TODAY - timedelta(days=3 * 365)
    paid = {"amount": Decimal("100"), "paid": Decimal("100"), "paid_on": closed, "due": closed, "status": "Payée"}
    return xlsx_register(
        workdir, [{"invoice": "P1", "client": "PRO", **paid}, {"invoice": "C1", "client": "PERSO", **paid},
                  {"invoice": "N1", "client": "NOTICE", **paid}],
        clients=[{"code": "PRO", "name": "Pro SARL", "email": "pro@example.com", "kind": "B2B"},
                 {"code": "PERSO", "name": "Paul Martin", "email": "paul@example.com", "kind": "B2C"},
                 {"code": "NOTICE", "name": "Notifiée SA", "email": "n@example.com", "kind": "B2B"}],
        journal=[{"timestamp": at(closed - timedelta(days=400)), "invoice": "N0", "client": "NOTICE",
                  "stage": "demeure", "channel": "email", "status": "sent", "key": "k-n0", "recipient": "n@example.com"}])


def test_anonymise_refuses_a_future_or_too_recent_cutoff(workdir, frozen_clock):
    retention_register(workdir)
    config = workdir / "config.toml"
    future = cli.invoke(app, ["anonymise", "--before", str(TODAY + timedelta(days=1)), "--config", str(config),
                              "--dry-run"])
    assert future.exit_code == 1 and "dans le futur" in future.output
    recent = cli.invoke(app, ["anonymise", "--before", str(TODAY - timedelta(days=300)), "--config", str(config),
                              "--dry-run"])
    assert recent.exit_code == 1 and "trop récent" in " ".join(recent.output.split())


def test_anonymise_keeps_clients_inside_their_retention_and_open_notices_and_says_why(workdir, frozen_clock):
    retention_register(workdir)
    before = TODAY - timedelta(days=2 * 365 + 10)
    result = invoke("anonymise", "--before", before, "--config", workdir / "config.toml", "--dry-run")
    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    assert "PRO gardé : conservé jusqu'au" in said and "5 an(s)" in said  # business: 5 years after its payment
    assert "NOTICE gardé : mise en demeure de N0" in said and "preuve conservée" in said
    assert "1 client(s) clos" in said and ": PERSO ;" in said  # the consumer's 2 years are over


def test_a_journal_row_dated_decades_ahead_is_reported_and_does_not_hold_the_client(reg, workdir):
    from datetime import datetime
    reg.create([one_invoice("F1", "C1")],
               journal=[{"timestamp": datetime(2090, 1, 1, 10), "invoice": "F1", "client": "C1",
                         "channel": "téléphone", "status": "manual", "comment": "Appel"}])
    assert sends(planned(reg, workdir), "F1")
    code, output = check(workdir)
    assert code == 1 and "01/01/2090" in output and "Journal!A2" in output
