"""The manager's digest: both parts rendered, sent once per change, journaled, never to a client."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from decimal import Decimal

from typer.testing import CliRunner

from relance.cli import app
from relance.core.model import Task
from relance.messages.digest import gather, render

from conftest import TODAY, client, invoice, register, sent

cli = CliRunner()


def invoke(*args):
    result = cli.invoke(app, [str(a) for a in args], catch_exceptions=False)
    result.text = " ".join(result.output.split())
    return result


def test_the_digest_has_a_text_and_an_escaped_html_part_with_every_section():
    book = register([invoice("F1")], clients=[client("C1")],
                    journal=[sent("F1", "amiable", TODAY)],
                    tasks=[Task(TODAY, "C1", ("F1",), "Le client a répondu : « <script>x</script> »",
                                key="T/C1/reponse/<m@x>"),
                           Task(TODAY - timedelta(days=10), "C1", ("F1",), "Mise en demeure à approuver",
                                key="T/F1/demeure")])
    facts = gather(book, [], TODAY, "à jour au 24/11/2026")
    subject, text, html = render(facts)
    assert "1 envoi(s), 2 point(s) à traiter" in subject
    assert "Réponses de clients en attente : 1" in text and "<script>x</script>" in text and "<li>" not in text
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "Mises en demeure à approuver : 1" in text and "ouverte le 15/11/2026" in text
    assert "Encaissements : à jour au 24/11/2026" in text


def test_the_digest_goes_once_per_change_and_never_to_a_client(reg, workdir):
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=2), "amount": Decimal("100")}])
    config = workdir / "config.toml"
    with open(config, "a", encoding="utf-8") as handle:
        handle.write('\n[digest]\nto = "direction@atelier-dupont.example"\n')
    assert invoke("run", "--config", config, "--date", TODAY).exit_code == 0
    first = invoke("digest", "--config", config, "--date", TODAY)
    assert first.exit_code == 0 and "envoyée à direction@atelier-dupont.example" in first.text, first.output
    again = invoke("digest", "--config", config, "--date", TODAY)
    assert "rien de nouveau" in again.text
    digests = [p for p in (workdir / "outbox").glob("*.eml")
               if "direction@" in email.message_from_bytes(p.read_bytes())["To"]]
    assert len(digests) == 1
    message = email.message_from_bytes(digests[0].read_bytes(), policy=email.policy.default)
    assert "Relances envoyées aujourd'hui : 1" in message.get_body(("plain",)).get_content()
    assert "<h3>Relances envoyées aujourd&#39;hui : 1</h3>" in message.get_body(("html",)).get_content()
    rows = [r for r in reg.rows("Journal") if r["Étape"] == "synthèse du jour"]
    assert len(rows) == 1 and rows[0]["Destinataire"] == "direction@atelier-dupont.example"
    next_day = invoke("digest", "--config", config, "--date", TODAY + timedelta(days=1))
    assert "envoyée" in next_day.text  # nothing sent that day: a change

    text = config.read_text(encoding="utf-8").replace("direction@atelier-dupont.example", "c1@example.com")
    config.write_text(text, encoding="utf-8")
    refused = invoke("digest", "--config", config, "--date", TODAY + timedelta(days=2))
    assert refused.exit_code == 1 and "jamais envoyée à un client" in refused.text
