"""Money in what reaches a client: one total per currency, never a sum across currencies."""

from datetime import timedelta
from decimal import Decimal

import pytest

from relance.core.config import Policy
from relance.core.money import totals
from relance.core.planner import Line, Reminder
from relance.messages.render import Renderer

from conftest import TODAY, at, client, invoice

NBSP = "\xa0"


def mixed_reminder(stage="amiable", lang="fr"):
    c = client("C1", language=lang)
    lines = tuple(Line(invoice(n, due=TODAY - timedelta(days=d), amount=a, currency=cur), stage, d)
                  for n, a, cur, d in (("F1", "150", "EUR", 9), ("F2", "220", "USD", 5), ("F3", "480.50", "EUR", 2)))
    return Reminder(f"k/{stage}", c, stage, lines, (c.email,))


def test_totals_are_per_currency_euros_first():
    assert totals([("USD", Decimal("220")), ("EUR", Decimal("150")), ("eur", Decimal("480.50"))]) == (
        ("EUR", Decimal("630.50")), ("USD", Decimal("220")))


@pytest.mark.parametrize("stage", ["pre", "amiable", "renforcee", "recouvrement"])
def test_a_message_shows_one_total_per_currency_never_their_sum(stage):
    message = Renderer(Policy()).render(mixed_reminder(stage), TODAY, at(TODAY))
    for part in (message.text, message.html):
        assert f"630,50{NBSP}€" in part
        assert f"220,00{NBSP}$US" in part
        assert "850,50" not in part
    if stage != "recouvrement":
        assert f"Total en EUR : 630,50{NBSP}€" in message.text
        assert f"Total en USD : 220,00{NBSP}$US" in message.text


def test_templates_get_the_list_of_totals():
    renderer = Renderer(Policy())
    context = renderer.context(mixed_reminder(), TODAY)
    assert context["totals"] == [{"currency": "EUR", "amount": Decimal("630.50")},
                                 {"currency": "USD", "amount": Decimal("220")}]
    assert context["total"] is None  # an old template formatting `total` fails: never a wrong sum


def test_formal_notice_message_claims_each_currency_apart():
    text = Renderer(Policy()).render(mixed_reminder("demeure"), TODAY, at(TODAY)).text
    assert f"Montant restant dû : 630,50{NBSP}€ et 220,00{NBSP}$US" in text
    assert "850,50" not in text and "ces sommes" in text


def test_english_message_totals_per_currency():
    text = Renderer(Policy()).render(mixed_reminder("amiable", "en"), TODAY, at(TODAY)).text
    assert "Total in EUR: €630.50" in text and "Total in USD: US$220.00" in text


def pdf_words(content: bytes) -> str:
    import io

    from pypdf import PdfReader
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.replace("\u202f", " ").replace(NBSP, " ").split())


def mixed_invoices(**kw):
    return [invoice(n, due=TODAY - timedelta(days=d), amount=a, currency=cur, **kw)
            for n, a, cur, d in (("F1", "150", "EUR", 40), ("F2", "220", "USD", 40), ("F3", "480.50", "EUR", 40))]


def test_formal_notice_letter_claims_each_currency_apart():
    from relance.core.config import policy_from_dict
    from relance.documents.letters import formal_notice
    policy = policy_from_dict({"penalties": {"rates": {"2026-H2": {"ecb_refi": "2.15"}}}})
    letter = formal_notice(policy, client("C1", address="1 rue X, 75001 Paris"), mixed_invoices(), TODAY)
    text = pdf_words(letter.content)
    assert "Principal restant dû : 630,50 € et 220,00 $US" in text
    assert "850,50" not in text
    # the penalties and the two 40 € indemnities are euro figures: added to the euro total only
    euro = next(amount for code, amount in letter.totals if code == "EUR")
    assert dict(letter.totals)["USD"] == Decimal("220") and euro > Decimal("710.50")
    assert "les sommes de" in text


def test_dossier_statement_has_one_total_row_per_currency():
    from conftest import register

    from relance.documents.dossier import decompte
    reg = register(mixed_invoices(), [client("C1")])
    rows, totals_, _ = decompte(reg, Policy(), reg.clients["C1"], TODAY)
    assert [r[0] for r in rows[-2:]] == ["TOTAL EUR", "TOTAL USD"]
    assert rows[-1][6] == "220,00" and rows[-2][6] == "630,50" and rows[-1][12] == "USD"
    assert dict(totals_)["USD"] == Decimal("220")


def test_plan_output_gives_each_amount_its_currency_and_totals_per_currency(reg, workdir):
    import json

    from typer.testing import CliRunner

    from relance.cli import app
    reg.create([
        {"invoice": n, "client": "C1", "due": TODAY - timedelta(days=2), "amount": Decimal(a), "currency": cur}
        for n, a, cur in (("F1", "150", "EUR"), ("F2", "220", "USD"), ("F3", "480.50", "EUR"))])
    cli = CliRunner()
    config = str(workdir / "config.toml")
    shown = cli.invoke(app, ["plan", "--config", config, "--date", TODAY.isoformat()])
    assert shown.exit_code == 0, shown.output
    flat = " ".join(shown.output.replace("\u202f", " ").replace(NBSP, " ").split())
    assert "630,50 €" in flat and "220,00 $US" in flat and "850,50" not in flat
    rows = json.loads(cli.invoke(app, ["plan", "--config", config, "--date", TODAY.isoformat(),
                                       "--format", "json"]).output)
    assert {(r["invoice"], r["remaining"], r["currency"]) for r in rows if r["action"] != "note"} == {
        ("F1", "150.00", "EUR"), ("F2", "220.00", "USD"), ("F3", "480.50", "EUR")}
    sent = cli.invoke(app, ["run", "--config", config, "--date", TODAY.isoformat()])
    assert sent.exit_code == 0, sent.output
    import email
    from email import policy as email_policy
    [eml] = list((workdir / "outbox").glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=email_policy.default)
    body = message.get_body(("plain",)).get_content()
    assert f"Total en EUR : 630,50{NBSP}€" in body and f"Total en USD : 220,00{NBSP}$US" in body
    assert "850,50" not in body


def demo_register(workdir, ref):
    from relance.adapters.backends.xlsx import create_workbook
    from relance.cli.demo import sample_rows
    create_workbook(workdir / "registre.xlsx", sample_rows(ref))


def test_a_broken_payment_plan_claims_what_remains_after_the_paid_instalments(workdir):
    """Demo F2026-117: 3 000 € in three instalments, n°1 paid, n°2 missed -> 2 000 € claimed, not 3 000 €."""
    import json

    from typer.testing import CliRunner

    from relance.cli import app
    demo_register(workdir, TODAY)
    day = (TODAY + timedelta(days=9)).isoformat()  # n°2 (due J-2) is then 11 days late: missed
    cli, config = CliRunner(), str(workdir / "config.toml")
    rows = json.loads(cli.invoke(app, ["plan", "--config", config, "--date", day, "--format", "json"]).output)
    claimed = [r for r in rows if r["invoice"] == "F2026-117" and r["action"] in ("email", "retenu")]  # retenu:
    # the demo's payments are 9 days old by then, so the freshness gate holds the day (the amount is the point)
    assert [r["remaining"] for r in claimed] == ["2000.00"]
    shown = cli.invoke(app, ["preview", "F2026-117", "--config", config, "--date", day])
    flat = " ".join(shown.output.replace("\u202f", " ").replace(NBSP, " ").split())
    assert "2 000,00 € restant dû sur 3 000,00 €" in flat and ": 3 000,00 €" not in flat


@pytest.mark.parametrize("recorded, claimed", [("0", "2000"), ("1000", "2000"), ("500", "1500"), ("1300", "1700")])
def test_paid_instalments_and_montant_regle_are_deducted_once(recorded, claimed):
    from relance.core.model import Instalment
    from relance.core.rules.instalments import settled
    inv = invoice("F1", amount="3000", paid=Decimal(recorded))
    plan = [Instalment("F1", 1, TODAY, Decimal("1000"), paid=True), Instalment("F1", 2, TODAY, Decimal("1000")),
            Instalment("F9", 1, TODAY, Decimal("1000"), paid=True)]
    assert settled(inv, plan).remaining == Decimal(claimed)


def test_synthese_counts_euros_and_gives_other_currencies_apart():
    from conftest import register

    from relance.dashboard.summary import compute
    summary = compute(register(mixed_invoices()), Policy(), TODAY)
    assert summary.outstanding == Decimal("630.50")
    note = next(n for n in summary.notes if "USD" in n)
    assert f"220,00{NBSP}$US" in note and "850,50" not in note
