"""Bank statements: readers (real-shaped camt.053, OFX, CSV), matching (pure), the Encaissements tab,
and through the CLI on both backends: a certain match stops the reminder, an uncertain one holds it."""

from __future__ import annotations

import email
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relance.adapters.bank import StatementError, read_statement
from relance.cli import app
from relance.core.config import BankConfig
from relance.core.matching import CERTAIN, NOT_PAYMENT, UNCERTAIN, UNMATCHED, Transaction, match_all
from relance.core.model import RawTab
from relance.core.receipts import bank_view, read_receipts

from conftest import TODAY, client, invoice, register

FIXTURES = Path(__file__).parent / "fixtures" / "bank"
cli = CliRunner()
D = Decimal


def invoke(*args):
    result = cli.invoke(app, [str(a) for a in args], catch_exceptions=False)
    result.text = " ".join(result.output.split())  # rich wraps lines at the terminal width
    return result


# ---------------------------------------------------------------- readers

@pytest.mark.parametrize("name, end", [("releve.camt053.xml", date(2026, 11, 23)), ("releve.ofx", date(2026, 11, 23)),
                                       ("qonto.csv", date(2026, 11, 22)), ("shine.csv", date(2026, 11, 22)),
                                       ("banque.csv", date(2026, 11, 22))])
def test_every_format_reads_the_same_transfers(name, end):
    statement = read_statement(FIXTURES / name, BankConfig())
    credits = [(t.booked, t.amount) for t in statement.transactions if t.amount > 0][:2]
    assert credits == [(date(2026, 11, 17), D("1200.00")), (date(2026, 11, 18), D("1300.00"))]
    assert [t.amount for t in statement.transactions if t.amount < 0] == [D("-330.00")]
    assert statement.end == end and not statement.problems
    assert "F2026-001" in statement.transactions[0].label
    assert len({t.id for t in statement.transactions}) == len(statement.transactions)


def test_camt_keeps_booked_entries_only_and_splits_a_batch_by_its_transaction_details():
    statement = read_statement(FIXTURES / "releve.camt053.xml", BankConfig())
    amounts = [t.amount for t in statement.transactions]
    assert D("777.00") not in amounts  # Sts PDNG: may still be reversed
    batch = [t for t in statement.transactions if t.id.startswith("2026112000007/")]
    assert [(t.amount, t.counterparty) for t in batch] == [(D("400.00"), "Garage Leroy et Fils"),
                                                           (D("500.00"), "PARTICULIER INCONNU")]
    assert statement.transactions[0].id == "2026111700001"  # the bank's AcctSvcrRef: the idempotency key


def test_a_line_without_bank_id_gets_the_same_stable_id_in_every_export():
    first = read_statement(FIXTURES / "shine.csv", BankConfig())
    again = read_statement(FIXTURES / "shine.csv", BankConfig())
    assert [t.id for t in first.transactions] == [t.id for t in again.transactions]


def test_an_unknown_csv_layout_is_one_sentence_and_a_custom_mapping_reads_it(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Jour;Texte;Somme;Autre\n17/11/2026;FACT F1;12,50;x\n", encoding="utf-8")
    with pytest.raises(StatementError, match="csv_profile"):
        read_statement(path, BankConfig())
    config = BankConfig(csv_profile="custom", csv_columns={"date": "Jour", "label": "Texte", "amount": "Somme"})
    assert [t.amount for t in read_statement(path, config).transactions] == [D("12.50")]


def test_a_bad_line_is_named_not_guessed(tmp_path):
    path = tmp_path / "banque.csv"
    path.write_text("Date;Libellé;Débit;Crédit\n31/02/2026;VIR X;;10,00\n01/03/2026;VIR Y;;20,00\n", encoding="utf-8")
    statement = read_statement(path, BankConfig())
    assert [t.amount for t in statement.transactions] == [D("20.00")]
    assert statement.problems and "ligne 2" in statement.problems[0]


# ---------------------------------------------------------------- matching (pure)

def tx(label, amount, counterparty="", id_="T1", day=date(2026, 11, 20)):
    return Transaction(id_, day, D(amount), "EUR", label, counterparty)


BOOK = register(
    [invoice("F2026-001", "C1", amount="1200.00", due=TODAY - timedelta(days=20)),
     invoice("F2026-002", "C1", amount="800.00", due=TODAY - timedelta(days=10)),
     invoice("F2026-003", "C2", amount="1000.00", due=TODAY - timedelta(days=30)),
     invoice("F2026-004", "C2", amount="800.00", due=TODAY - timedelta(days=5)),
     invoice("F2026-005", "C3", amount="400.00"),
     invoice("F2026-006", "C4", amount="500.00"),
     invoice("F2026-007", "C3", amount="150.00"), invoice("F2026-008", "C3", amount="250.00")],
    clients=[client("C1", name="ACME SAS"), client("C2", name="Boulangerie Martin"),
             client("C3", name="Garage Leroy", bank_aliases=("LEROY ET FILS",)), client("C4", name="Dupuis")])


def one(label, amount, counterparty=""):
    return match_all(BOOK, BankConfig(), [tx(label, amount, counterparty)])[0]


def test_an_invoice_number_in_the_label_is_a_certain_match_whatever_its_spelling():
    assert one("VIR SEPA REGLT FACT f2026/001", "1200.00").allocations == (("F2026-001", D("1200.00")),)
    assert one("VIR SEPA REGLT FACT f2026/001", "1200.00").certainty == CERTAIN


def test_one_transfer_for_two_invoices_pays_the_oldest_first_and_the_rest_is_partial():
    m = one("FACT F2026-004 ET F2026-003", "1300.00", "BOULANGERIE MARTIN")
    assert m.certainty == CERTAIN
    assert m.allocations == (("F2026-003", D("1000.00")), ("F2026-004", D("300.00")))
    assert "partiel de F2026-004" in m.note


def test_too_much_is_noted_never_spread_over_other_invoices():
    m = one("F2026-002", "900.00")
    assert m.allocations == (("F2026-002", D("800.00")),) and "trop-perçu de 100.00" in m.note


def test_a_known_payer_with_one_balance_equal_to_the_amount_is_certain_even_under_an_alias():
    m = one("VIREMENT", "150.00", "Leroy et Fils")
    assert (m.certainty, m.allocations) == (CERTAIN, (("F2026-007", D("150.00")),))
    grouped = one("VIREMENT", "1800.00", "Boulangerie Martin")  # one transfer, two invoices, no numbers
    assert (grouped.certainty, [n for n, _ in grouped.allocations]) == (CERTAIN, ["F2026-003", "F2026-004"])


def test_a_known_payer_whose_amount_fits_two_ways_is_uncertain_with_every_candidate():
    m = one("VIREMENT", "400.00", "Garage Leroy SARL")  # 400 = F005, or F007 + F008
    assert m.certainty == UNCERTAIN and set(m.candidates) == {"F2026-005", "F2026-007", "F2026-008"}


def test_unknown_payer_paying_an_exact_balance_is_uncertain_and_otherwise_unmatched():
    m = one("VIREMENT", "500.00", "M. DURAND")
    assert (m.certainty, m.candidates) == (UNCERTAIN, ("F2026-006",))
    assert one("VIREMENT", "123.45", "M. DURAND").certainty == UNMATCHED


def test_internal_transfers_and_refunds_are_listed_not_matched():
    assert one("VIREMENT INTERNE F2026-001", "1200.00").certainty == NOT_PAYMENT


def test_two_halves_of_one_invoice_are_both_recognised_and_the_second_closes_it():
    first, second = match_all(BOOK, BankConfig(), [tx("F2026-001 acompte", "600.00", id_="A"),
                                                   tx("F2026-001 solde", "600.00", id_="B")])
    assert first.allocations == (("F2026-001", D("600.00")),) == second.allocations


# ---------------------------------------------------------------- the tab, as the planner sees it

HEADER = ["Date", "Montant", "Devise", "Libellé", "Émetteur", "Transaction", "Facture(s)", "Certitude",
          "Commentaire", "Relevé au", "Validé"]


def tab(*rows):
    return RawTab("Encaissements", [HEADER] + [list(r) for r in rows])


def row(invoices, certainty, validated="", amount="500.00", txid="T1"):
    return ["2026-11-20", amount, "EUR", "VIREMENT", "", txid, invoices, certainty, "", "2026-11-23", validated]


def seen(*rows):
    problems = []
    return bank_view(BOOK, read_receipts(tab(*rows), problems)), problems


def test_a_certain_row_pays_and_the_statement_date_feeds_freshness():
    view, _ = seen(row("F2026-001 : 1200.00", CERTAIN, amount="1200.00"))
    paid = {i.number: i for i in view.invoices}["F2026-001"]
    assert (paid.remaining, paid.paid_on) == (D("0"), date(2026, 11, 20))
    assert view.payments_up_to == date(2026, 11, 23) and not view.holds


def test_an_undecided_uncertain_row_holds_its_candidates_and_a_decision_releases_them():
    held, _ = seen(row("F2026-006 ?", UNCERTAIN))
    assert "Encaissements › Validé" in held.holds["F2026-006"]
    rejected, _ = seen(row("F2026-006 ?", UNCERTAIN, "Non"))
    assert not rejected.holds and {i.number: i for i in rejected.invoices}["F2026-006"].paid == 0
    confirmed, _ = seen(row("F2026-006 ?", UNCERTAIN, "Oui"))
    assert not confirmed.holds and {i.number: i for i in confirmed.invoices}["F2026-006"].remaining == 0


def test_staff_can_reassign_a_credit_to_other_invoices():
    view, _ = seen(row("F2026-006 ?", UNCERTAIN, "F2026-007 ; F2026-008", amount="400.00"))
    by = {i.number: i for i in view.invoices}
    assert (by["F2026-007"].remaining, by["F2026-008"].remaining, by["F2026-006"].remaining) == (0, 0, D("500.00"))


def test_an_unreadable_validation_keeps_the_hold_and_names_the_cell():
    view, problems = seen(row("F2026-006 ?", UNCERTAIN, "peut-être"))
    assert "F2026-006" in view.holds
    assert "Encaissements" in str(problems[0]) and "Validé" in str(problems[0])


def test_bank_and_typed_payments_of_the_same_transfer_are_not_counted_twice():
    import dataclasses
    typed = dataclasses.replace(BOOK, invoices=tuple(dataclasses.replace(i, paid=D("600.00"))
                                                     if i.number == "F2026-001" else i for i in BOOK.invoices))
    view = bank_view(typed, read_receipts(tab(row("F2026-001 : 600.00", CERTAIN, amount="600.00")), []))
    assert {i.number: i for i in view.invoices}["F2026-001"].remaining == D("600.00")


# ---------------------------------------------------------------- end to end, both backends

def registre(reg):
    late = TODAY - timedelta(days=12)
    reg.create(
        [{"invoice": "F2026-001", "client": "C1", "due": late, "amount": D("1200.00")},
         {"invoice": "F2026-002", "client": "C1", "due": late, "amount": D("800.00")},
         {"invoice": "F2026-003", "client": "C2", "due": late, "amount": D("1000.00")},
         {"invoice": "F2026-004", "client": "C2", "due": late, "amount": D("900.00")},
         {"invoice": "F2026-005", "client": "C3", "due": late, "amount": D("400.00")},
         {"invoice": "F2026-006", "client": "C4", "due": late, "amount": D("500.00")}],
        clients=[{"code": "C1", "name": "ACME SAS", "email": "c1@example.com"},
                 {"code": "C2", "name": "Boulangerie Martin", "email": "c2@example.com"},
                 {"code": "C3", "name": "Garage Leroy", "email": "c3@example.com",
                  "bank_aliases": "Garage Leroy et Fils"},
                 {"code": "C4", "name": "Dupuis", "email": "c4@example.com"}])


def test_import_is_idempotent_and_a_paid_invoice_is_never_reminded(reg, workdir):
    registre(reg)
    config = workdir / "config.toml"
    first = invoke("encaissements", FIXTURES / "releve.camt053.xml", "--config", config, "--date", TODAY)
    assert first.exit_code == 0, first.output
    assert "rapprochés (certains) : 3" in first.text and "à confirmer : 1" in first.text
    rows = {r["Transaction"]: r for r in reg.rows("Encaissements")}
    assert len(rows) == 5
    assert rows["2026111800002"]["Facture(s)"] == "F2026-003 : 1000.00 ; F2026-004 : 300.00"
    assert rows["2026112000007/2026112000007-2"]["Certitude"] == "incertaine"
    assert rows["2026112100003"]["Certitude"] == "hors factures"
    again = invoke("encaissements", FIXTURES / "releve.camt053.xml", "--config", config, "--date", TODAY)
    assert "0 crédit(s) nouveau(x), 5 déjà importé(s)" in again.text
    assert len(reg.rows("Encaissements")) == 5
    tasks = [t for t in reg.rows("Tâches") if "Encaissement à rapprocher" in (t["Motif"] or "")]
    assert len(tasks) == 1 and tasks[0]["N° facture(s)"] == "F2026-006"

    done = invoke("run", "--config", config, "--date", TODAY)
    assert done.exit_code == 0, done.output
    sent = {r["N° facture"] for r in reg.rows("Journal") if r["Statut"] == "envoyé" and r["Canal"] == "email"}
    assert sent == {"F2026-002", "F2026-004"}  # 001, 003, 005 paid by the bank, 006 held until Validé
    bodies = [email.message_from_bytes(p.read_bytes()) for p in (workdir / "outbox").glob("*.eml")]
    text = " ".join(m.get_body(("plain",)).get_content() for m in map(_parsed, bodies))
    assert "F2026-001" not in text and "600,00" in text  # F2026-004: only the 600,00 € still due
    factures = {r["N° facture"]: r for r in reg.rows("Factures")}
    assert "Encaissements › Validé" in factures["F2026-006"]["Prochaine action"]
    assert factures["F2026-001"]["Montant réglé"] in (None, "")  # staff columns untouched


def _parsed(message):
    from email import policy
    return email.message_from_bytes(message.as_bytes(), policy=policy.default)


def test_overlapping_statements_record_each_transaction_once(reg, workdir, tmp_path):
    registre(reg)
    lines = (FIXTURES / "qonto.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "a.csv").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")   # 17 and 18/11
    (tmp_path / "b.csv").write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")  # 18 and 22/11
    config = workdir / "config.toml"
    assert invoke("encaissements", tmp_path / "a.csv", "--config", config, "--date", TODAY).exit_code == 0
    second = invoke("encaissements", tmp_path / "b.csv", "--config", config, "--date", TODAY)
    assert "1 déjà importé(s)" in second.text
    ids = [r["Transaction"] for r in reg.rows("Encaissements")]
    assert len(ids) == len(set(ids)) == 3  # two credits, and the statement of the 22nd (no new credit)


def test_staff_validation_survives_the_next_import(reg, workdir):
    registre(reg)
    config = workdir / "config.toml"
    invoke("encaissements", FIXTURES / "releve.camt053.xml", "--config", config, "--date", TODAY)
    _set_validated(reg, "2026112000007/2026112000007-2", "Non")
    invoke("encaissements", FIXTURES / "releve.ofx", "--config", config, "--date", TODAY)
    rows = {r["Transaction"]: r for r in reg.rows("Encaissements")}
    assert rows["2026112000007/2026112000007-2"]["Validé"] == "Non"


def _set_validated(reg, txid: str, value: str) -> None:
    if reg.kind == "xlsx":
        import openpyxl
        book = openpyxl.load_workbook(reg.path)
        sheet = book["Encaissements"]
        header = [c.value for c in sheet[1]]
        for cells in sheet.iter_rows(min_row=2):
            if cells[header.index("Transaction")].value == txid:
                cells[header.index("Validé")].value = value
        book.save(reg.path)
    else:
        values = reg.fake.get_values(reg.key, "Encaissements")
        header = values[0]
        for i, r in enumerate(values[1:], start=2):
            if r[header.index("Transaction")] == txid:
                from relance.core.schema import column_letter
                reg.fake.set_values(reg.key, "Encaissements", [[value]],
                                    start=f"{column_letter(header.index('Validé'))}{i}")


def test_the_import_benchmark_runs_at_a_tiny_size():
    from benchmarks.bank_10k import main
    figures = main(["--size", "60"])
    assert figures["credits"] > 40 and figures["recorded"] == figures["credits"] and figures["recorded_again"] == 0
    assert figures["certainty"]["certaine"] >= 30


def test_a_statement_end_date_feeds_the_freshness_gate():
    from relance.core import guards
    from relance.core.config import ScheduleConfig
    from relance.core.timing import Calendar
    import dataclasses
    calendar = Calendar(ScheduleConfig())
    synthese = RawTab("Synthèse", [["Encaissements à jour au", "2026-11-02"]])
    assert guards.payment_freshness(BOOK, synthese, TODAY, calendar, 5).stale
    fed = dataclasses.replace(BOOK, payments_up_to=date(2026, 11, 23))
    assert not guards.payment_freshness(fed, synthese, TODAY, calendar, 5).stale


def test_listen_config_keys_are_validated_like_the_rest():
    import re as _re
    import tomllib

    from relance.core.config import ConfigError, default_config_text, policy_from_dict
    text = default_config_text()
    head, tail = text.split("# Bank statements", 1)
    sample = head + "# Bank statements" + _re.sub(r"(?m)^# (\[(bank|listen|digest)\]|[a-z_]+ = )", r"\1", tail)
    policy = policy_from_dict(tomllib.loads(sample))
    assert policy.listen.imap_host == "imap.gmail.com" and policy.digest.to == "direction@example.fr"
    assert policy.bank.csv_columns["credit"] == "Crédit"
    with pytest.raises(ConfigError, match=r"\[bank\]\.invoice_pattern : une expression régulière est attendue, trouvé 'F\(\['"):
        policy_from_dict({"bank": {"invoice_pattern": "F(["}})
    with pytest.raises(ConfigError, match=r"\[listen\]\.pause_after_reply : clé inconnue"):
        policy_from_dict({"listen": {"pause_after_reply": 3}})
