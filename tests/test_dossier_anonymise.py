"""`relance letter`, `relance dossier` and `relance anonymise`, through the real CLI on xlsx registers."""

import csv
import hashlib
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

from typer.testing import CliRunner

from relance import runner
from relance.cli import app
from relance.core.config import load_policy

from conftest import TODAY, at, sheet_rows, xlsx_register, status_codes

D = Decimal
cli = CliRunner()
LATE = TODAY - timedelta(days=40)  # 16/10/2026
CONFIRMED = '\n[penalties.rates."2026-H2"]\necb_refi = "2.40"\nsources = ["https://www.ecb.europa.eu/"]\n'


def invoke(*args, **kw):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False, **kw)


def confirm_rates(workdir):
    with open(workdir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(CONFIRMED)
    return load_policy(workdir / "config.toml")


def collection_register(workdir):
    xlsx_register(
        workdir,
        [{"invoice": "F1", "client": "C1", "due": LATE, "amount": D("900.00"), "issued": LATE - timedelta(days=30)},
         {"invoice": "F2", "client": "C1", "due": LATE, "amount": D("50.00"), "paid": D("50.00"),
          "paid_on": LATE, "status": "Payée"},
         {"invoice": "F9", "client": "C2", "due": TODAY - timedelta(days=1), "amount": D("10.00"), "paid": D("10.00"),
          "paid_on": TODAY - timedelta(days=1), "status": "Payée"},  # payments are recorded up to yesterday
         {"invoice": "F3", "client": "C2", "due": LATE, "amount": D("70.00")}],
        clients=[{"code": "C1", "name": "Client Un", "email": "c1@example.com", "address": "1 rue A, 75001 Paris",
                  "siren": "111222333"},
                 {"code": "C2", "name": "Client Deux", "email": "c2@example.com"}],
        journal=[{"timestamp": at(LATE + timedelta(days=1)), "invoice": "F1", "client": "C1", "stage": "renforcee",
                  "channel": "email", "status": "sent", "key": "old-key"},
                 {"timestamp": at(LATE + timedelta(days=5)), "invoice": "F1", "client": "C1",
                  "channel": "téléphone", "status": "manual", "comment": "appel : paiement en attente de validation"}],
        tasks=[{"client": "C1", "invoices": "F1", "key": "T/F1/demeure", "approved": "Oui"},
               {"client": "C2", "invoices": "F3", "key": "T/F3/demeure"}])


def test_letter_command_writes_the_approved_notice_and_prints_its_hash(workdir):
    confirm_rates(workdir)
    collection_register(workdir)
    config = workdir / "config.toml"
    result = invoke("letter", "F1", "--config", config, "--date", TODAY.isoformat())
    path = workdir / "letters" / "2026-11-25_C1_mise-en-demeure.pdf"
    assert result.exit_code == 0 and f"sha256={hashlib.sha256(path.read_bytes()).hexdigest()}" in result.output
    refused = cli.invoke(app, ["letter", "F3", "--config", str(config)])
    assert refused.exit_code == 1 and "non approuvée" in refused.output and "Traceback" not in refused.output


# Worked example for the statement: F1, 900,00 € due 16/10/2026, B2B, as of 25/11/2026 with 2026-H2 confirmed:
#   17/10-25/11: 40 d at 2,40 + 10 = 12,40 %: 900 × 12.40 × 40 / 36500 = 12.2301… -> 12,23 € ; + 40 € ; total 952,23 €.
# F2 was paid on its due date: nothing owed, not in the statement.
def test_dossier_has_statement_journal_messages_and_verified_letters(workdir):
    policy = confirm_rates(workdir)
    collection_register(workdir)
    report = runner.run(policy, today=TODAY, now=at(TODAY))  # sends the approved notice to C1
    assert ("C1", "demeure") in [(m.client, m.stage) for m in report.sent]
    factures = {r["N° facture"]: r for r in sheet_rows(workdir / "registre.xlsx", "Factures")}
    assert factures["F1"]["Pénalités"] == 52.23 and factures["F2"]["Pénalités"] is None  # the row, as staff see it
    target = workdir / "out" / "C1.zip"
    result = invoke("dossier", "C1", "--config", workdir / "config.toml", "--date", TODAY.isoformat(),
                    "--output", target)
    assert result.exit_code == 0, result.output
    assert "total dû 952,23" in result.output.replace("\u202f", " ").replace("\xa0", " ")
    archive = zipfile.ZipFile(target)
    names = [n.split("/", 1)[1] for n in archive.namelist()]
    assert names == sorted(names)
    root = "2026-11-25_C1/"
    assert {"decompte.csv", "factures.csv", "journal.csv", "lettres.csv", "LISEZMOI.txt",
            "lettres/2026-11-25_C1_mise-en-demeure.pdf"} <= set(names)
    assert [n for n in names if n.startswith("messages/")] == [
        n for n in names if n.startswith("messages/2026-11-25_C1_demeure")] != []

    def table(name):
        return list(csv.reader(io.StringIO(archive.read(root + name).decode("utf-8-sig")), delimiter=";"))

    statement = table("decompte.csv")
    assert statement[0][:11] == ["Facture", "Date facture", "Échéance", "Montant TTC", "Réglé", "Date de règlement",
                                 "Principal restant dû", "Jours de retard", "Pénalités de retard",
                                 "Indemnité forfaitaire", "Total dû"]
    assert statement[1][:11] == ["F1", "16/09/2026", "16/10/2026", "900,00", "0,00", "", "900,00", "40", "12,23",
                                 "40,00", "952,23"]
    assert "BCE 2,40 % + 10 pts" in statement[1][11]
    assert statement[-1][0] == "TOTAL" and statement[-1][10] == "952,23" and len(statement) == 3
    journal = table("journal.csv")
    assert status_codes(r[7] for r in journal[1:]) == ["sent", "manual", "pending", "sent"]  # C2's rows are not there
    assert table("lettres.csv")[1][3] == "conforme"
    assert "injonction de payer" in archive.read(root + "LISEZMOI.txt").decode("utf-8")
    again = invoke("dossier", "C1", "--config", workdir / "config.toml", "--date", TODAY.isoformat(),
                   "--output", workdir / "again.zip")
    assert again.exit_code == 0 and (workdir / "again.zip").read_bytes() == target.read_bytes()  # deterministic
    unknown = cli.invoke(app, ["dossier", "C9", "--config", str(workdir / "config.toml")])
    assert unknown.exit_code == 1 and "C9" in unknown.output


def test_dossier_flags_a_letter_that_differs_from_the_one_journaled(workdir):
    policy = confirm_rates(workdir)
    collection_register(workdir)
    runner.run(policy, today=TODAY, now=at(TODAY))
    (workdir / "letters" / "2026-11-25_C1_mise-en-demeure.pdf").write_bytes(b"%PDF altered")
    result = invoke("dossier", "C1", "--config", workdir / "config.toml", "--date", TODAY.isoformat(),
                    "--output", workdir / "d.zip")
    assert "DIFFÉRENT du fichier envoyé" in result.output


def anonymise_register(workdir):
    old, recent = date(2019, 3, 1), TODAY - timedelta(days=5)
    return xlsx_register(
        workdir,
        [{"invoice": "A1", "client": "OLD", "due": old, "amount": D("120.00"), "paid": D("120.00"), "paid_on": old,
          "status": "Payée", "notes": "M. Durand a appelé", "payment_link": "https://pay.example/A1"},
         {"invoice": "A2", "client": "OLD", "due": old, "amount": D("80.00"), "status": "Annulée"},
         {"invoice": "B1", "client": "OPEN", "due": old, "amount": D("99.00")},
         {"invoice": "C1", "client": "PERSON", "due": old, "amount": D("30.00"), "paid": D("30.00"),
          "paid_on": old},
         {"invoice": "D1", "client": "TALKED", "due": old, "amount": D("10.00"), "paid": D("10.00"), "paid_on": old}],
        clients=[{"code": "OLD", "name": "Vieille SARL", "contact": "Jean Durand", "email": "jd@old.example",
                  "phone": "01 02 03 04 05", "address": "1 rue Ancienne, Paris", "siren": "123123123"},
                 {"code": "OPEN", "name": "Ouverte SAS", "email": "open@example.com"},
                 {"code": "PERSON", "name": "Paul Martin", "email": "paul@example.com", "kind": "B2C",
                  "address": "2 rue B, Lyon"},
                 {"code": "TALKED", "name": "Bavarde SA", "email": "b@example.com"}],
        journal=[{"timestamp": at(old), "invoice": "A1", "client": "OLD", "stage": "amiable", "channel": "email",
                  "recipient": "jd@old.example", "subject": "Facture A1", "status": "sent", "key": "k",
                  "comment": "écrit dans x.eml"},
                 {"timestamp": at(old), "invoice": "A1", "channel": "téléphone", "status": "manual",
                  "comment": "Jean Durand rappellera"},
                 {"timestamp": at(recent), "client": "TALKED", "channel": "note", "status": "manual",
                  "comment": "veut reprendre une commande"}])


def test_anonymise_dry_run_then_confirmation_then_erasure(workdir):
    path = anonymise_register(workdir)
    config = workdir / "config.toml"
    before = path.read_bytes()
    dry = invoke("anonymise", "--before", "2021-01-01", "--config", config, "--dry-run")
    assert dry.exit_code == 0 and path.read_bytes() == before
    assert "2 client(s) clos avant le 01/01/2021 : OLD, PERSON ; 12 cellule(s)" in dry.output
    assert "Clients!D2 (Email)" in dry.output and "jd@old.example" not in dry.output  # cells named, values not shown
    declined = cli.invoke(app, ["anonymise", "--before", "2021-01-01", "--config", str(config)], input="n\n")
    assert declined.exit_code == 1 and path.read_bytes() == before
    done = cli.invoke(app, ["anonymise", "--before", "2021-01-01", "--config", str(config)], input="y\n")
    assert done.exit_code == 0 and "12 cellule(s) effacée(s)" in done.output
    clients = {r["Code client"]: r for r in sheet_rows(path, "Clients")}
    assert [clients["OLD"][k] for k in ("Raison sociale", "Contact", "Email", "Téléphone", "Adresse", "SIREN")] == [
        "Vieille SARL", None, None, None, None, "123123123"]  # a company's name and SIREN are not personal data
    assert clients["PERSON"]["Raison sociale"] == "Client anonymisé" and clients["PERSON"]["Adresse"] is None
    assert clients["OPEN"]["Email"] == "open@example.com" and clients["TALKED"]["Email"] == "b@example.com"
    invoices = {r["N° facture"]: r for r in sheet_rows(path, "Factures")}
    assert invoices["A1"]["Notes"] is None and invoices["A1"]["Lien de paiement"] is None
    assert invoices["A1"]["Montant TTC"] == 120 and invoices["A1"]["Montant réglé"] == 120  # statistics kept
    journal = sheet_rows(path, "Journal")
    assert [(r["Destinataire"], r["Commentaire"]) for r in journal[:2]] == [(None, None), (None, None)]
    assert journal[0]["Objet"] == "Facture A1" and journal[2]["Commentaire"] == "veut reprendre une commande"
    again = invoke("anonymise", "--before", "2021-01-01", "--config", config, "--yes")
    assert "0 cellule(s) de données personnelles" in again.output
