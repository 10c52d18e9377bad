"""`relance preview F… --date D` is the message `relance run --date D` sends: recipients, subject and
attachments, in test mode and with a formal notice (xlsx only: the backend plays no part in it)."""

from datetime import datetime, timedelta
from decimal import Decimal
from email import policy as email_policy
from email.parser import BytesParser

from typer.testing import CliRunner

from relance.cli import app

from conftest import TODAY, xlsx_register

cli = CliRunner()


def invoke(*args):
    result = cli.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def sent_message(workdir):
    [path] = (workdir / "outbox").glob("*.eml")
    return BytesParser(policy=email_policy.default).parse(path.open("rb"))


def header(output: str, name: str) -> str:
    return next(line.split(" : ", 1)[1].split("  Cc :")[0].strip() for line in output.splitlines()
                if line.startswith(f"{name} :"))


def formal_notice_due(workdir, **config):
    """Z1 approved for its formal notice today, Z2 of the same client only at the friendly stage."""
    sent = [{"timestamp": datetime(2026, 10, d, 9, 30), "invoice": "Z1", "client": "C1", "stage": s,
             "channel": "email", "status": "envoyé", "key": f"2026-10-{d}/C1/{s}", "message_id": f"<{s}@x>"}
            for d, s in ((22, "amiable"), (30, "renforcee"))]
    xlsx_register(workdir, [{"invoice": "Z1", "client": "C1", "due": TODAY - timedelta(days=35), "amount": Decimal(700)},
                            {"invoice": "Z2", "client": "C1", "due": TODAY - timedelta(days=9), "amount": Decimal(70)}],
                  journal=sent, tasks=[{"created": TODAY, "client": "C1", "invoices": "Z1", "approved": "Oui",
                                        "reason": "Mise en demeure à approuver : Z1", "key": "T/Z1/demeure"}])
    text = (workdir / "config.toml").read_text(encoding="utf-8")
    for old, new in config.items():
        text = text.replace(old, new)
    (workdir / "config.toml").write_text(text, encoding="utf-8")


def test_preview_in_test_mode_shows_the_sandbox_recipient_and_the_test_subject_run_sends(workdir):
    formal_notice_due(workdir, **{'test_recipient = ""': 'test_recipient = "qa@moi.fr"'})
    config = workdir / "config.toml"
    shown = invoke("preview", "Z1", "--config", config, "--date", TODAY.isoformat())
    invoke("run", "--config", config, "--date", TODAY.isoformat())
    message = sent_message(workdir)
    assert (header(shown, "À"), header(shown, "Objet")) == (message["To"], message["Subject"]) == \
        ("qa@moi.fr", "[TEST] Mise en demeure de payer – facture Z1 – Atelier Dupont SARL")


def test_preview_lists_the_attachments_run_sends(workdir):
    formal_notice_due(workdir)
    (workdir / "factures").mkdir()
    (workdir / "factures" / "Z2.pdf").write_bytes(b"%PDF-1.4 copie")
    config = workdir / "config.toml"
    shown = invoke("preview", "Z1", "--config", config, "--date", TODAY.isoformat())
    invoke("run", "--config", config, "--date", TODAY.isoformat())
    names = [part.get_filename() for part in sent_message(workdir).iter_attachments()]
    assert names == ["2026-11-25_C1_mise-en-demeure.pdf", "Z2.pdf"]
    assert header(shown, "Pièces jointes") == ", ".join(names)


def test_formal_notice_subject_counts_only_the_invoices_under_notice(workdir):
    """Z2 rides along as « également échue »: the subject must not call it part of the formal notice."""
    formal_notice_due(workdir)
    invoke("run", "--config", workdir / "config.toml", "--date", TODAY.isoformat())
    message = sent_message(workdir)
    assert message["Subject"] == "Mise en demeure de payer – facture Z1 – Atelier Dupont SARL"
    assert "Z2" in message.get_body(preferencelist=("plain",)).get_content()


def test_a_message_the_day_holds_back_is_never_previewed_as_leaving_today(workdir):
    """Payments not recorded for a week: run sends nothing today, so preview says it is held, and why."""
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3), "amount": Decimal(100)}],
                  payments_up_to=TODAY - timedelta(days=30))
    config = workdir / "config.toml"
    shown = " ".join(invoke("preview", "F1", "--config", config, "--date", TODAY.isoformat()).split())
    assert "mais retenue :" in shown and "partirait aujourd'hui" not in shown
    invoke("run", "--config", config, "--date", TODAY.isoformat())
    assert not list((workdir / "outbox").glob("*.eml"))
