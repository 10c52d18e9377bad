"""Staff columns shown to the client: « Note au client », « Référence commande », and a per-stage
payment-terms (CGV) reminder from config. Optional: a register without them keeps working."""

import re
from datetime import date, timedelta
from decimal import Decimal

from typer.testing import CliRunner

from relance.core.model import RawTab
from relance.cli import app
from relance.core.parse import parse_register
from relance.core.schema import CLIENTS, FACTURES

from conftest import TODAY

cli = CliRunner()


def test_note_and_order_reference_are_in_both_parts_of_the_message(reg, workdir, tmp_path):
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3), "amount": Decimal("250"),
                 "client_note": "Livraison du 3 novembre, bon signé par M. Roux", "order_ref": "BC-2026-0042"}])
    result = cli.invoke(app, ["preview", "F1", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat(),
                              "--html", str(tmp_path / "m.html")])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "Référence commande : BC-2026-0042" in out and "Livraison du 3 novembre, bon signé par M. Roux" in out
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "BC-2026-0042" in html and "Livraison du 3 novembre, bon signé par M. Roux" in html


def test_per_stage_terms_reminder_from_config(workdir, tmp_path):
    from conftest import xlsx_register
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=9), "amount": Decimal(90)}])
    config = workdir / "config.toml"
    text = config.read_text(encoding="utf-8")
    terms = "Rappel de nos CGV (art. 7) : paiement à 30 jours, pénalités au taux BCE + 10 points."
    text = re.sub(r'(key = "amiable"[^\n]*\n)', lambda m: m.group(1) + f'terms = "{terms}"\n', text, count=1)
    assert terms in text, "the default config has an amiable stage"
    config.write_text(text, encoding="utf-8")
    result = cli.invoke(app, ["preview", "F1", "--config", str(config), "--date", TODAY.isoformat(),
                              "--html", str(tmp_path / "m.html")])
    assert result.exit_code == 0, result.output
    assert terms in " ".join(result.output.split())
    assert "CGV (art. 7)" in (tmp_path / "m.html").read_text(encoding="utf-8")
    early = cli.invoke(app, ["preview", "F1", "--config", str(config), "--date", (TODAY - timedelta(days=14)).isoformat()])
    assert early.exit_code == 0 and "Échéance prochaine" in early.output
    assert "CGV" not in early.output  # another stage: no terms configured there


def test_a_register_without_the_new_columns_still_reads():
    tabs = {"Factures": RawTab("Factures", [FACTURES.headers[:11],
                                            ["F1", "C1", date(2026, 10, 1), TODAY, Decimal(5), "EUR"] + [None] * 5]),
            "Clients": RawTab("Clients", [CLIENTS.headers, ["C1", "Client", "", "c1@example.com"] + [None] * 4
                                          + ["B2B"]])}
    register, problems = parse_register(tabs)
    assert not problems and register.invoices[0].client_note == "" and register.invoices[0].order_ref == ""


def test_preview_says_which_stage_and_on_which_day(reg, workdir):
    # a Friday; payments recorded up to the later day, so that day's run would send (see test_preview_equals_run)
    reg.create([{"invoice": "F1", "client": "C1", "due": date(2026, 12, 4), "amount": Decimal(90)}],
               payments_up_to=date(2026, 12, 7))
    config = str(workdir / "config.toml")
    soon = cli.invoke(app, ["preview", "F1", "--config", config, "--date", TODAY.isoformat()])
    assert soon.exit_code == 0, soon.output
    assert "Étape : Pré-relance — partirait le 30/11/2026" in soon.output  # due − 5 days = Sunday 29 → Monday
    later = cli.invoke(app, ["preview", "F1", "--config", config, "--date", "2026-12-07"])
    assert "Étape : Relance amiable — partirait aujourd'hui (07/12/2026)" in later.output
