"""Staff-edited templates (issue 20 item 4): a runtime error is one client's problem, `check` finds it
with file and line, and a date filter on an empty value never prints today's date."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance.cli import app
from relance.messages.render import long_date, short_date

from conftest import TODAY

cli = CliRunner()

BROKEN = """{% import "fr/_macros.j2" as m %}
{{ m.greeting(client) }}

Votre facture a {{ (today - invoice.issued).days }} jours.

{{ m.signature(company) }}
"""


def staff_template(workdir, text=BROKEN, name="amiable.txt.j2"):
    folder = workdir / "templates" / "fr"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def two_clients(reg):
    late = TODAY - timedelta(days=2)
    reg.create([{"invoice": "F1", "client": "C1", "due": late, "amount": Decimal(100), "issued": late - timedelta(days=30)},
                {"invoice": "F2", "client": "C2", "due": late, "amount": Decimal(200)}])  # no invoice date


def test_runtime_error_in_a_staff_template_stops_only_that_client(reg, workdir):
    two_clients(reg)
    staff_template(workdir)
    result = cli.invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert "C2" in result.output and "fr/amiable.txt.j2:4" in result.output
    sent = [r for r in reg.rows("Journal") if r["N° facture"] == "F1"]
    assert sent, "the client whose template renders still gets the message"
    assert not [r for r in reg.rows("Journal") if r["N° facture"] == "F2"]
    assert len(list((workdir / "outbox").glob("*.eml"))) == 1


def test_check_renders_every_template_for_every_client_with_file_and_line(reg, workdir):
    two_clients(reg)
    staff_template(workdir)
    result = cli.invoke(app, ["check", "--config", str(workdir / "config.toml"), "--json"])
    assert result.exit_code == 1
    messages = [p["text"] for p in json.loads(result.output)]
    assert any("client C2" in m and "fr/amiable.txt.j2:4" in m for m in messages), messages
    assert not any("client C1" in m for m in messages)


def test_division_by_zero_in_a_template_is_reported_by_check(workdir):
    from conftest import xlsx_register
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY, "amount": Decimal(1)}])
    staff_template(workdir, "Bonjour {{ 1/0 }}\n", "renforcee.txt.j2")
    result = cli.invoke(app, ["check", "--config", str(workdir / "config.toml")])
    assert result.exit_code == 1 and "fr/renforcee.txt.j2:1" in result.output
    assert "ZeroDivisionError" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("empty", [None, ""])
def test_date_filters_on_an_empty_value_print_nothing_never_today(empty):
    assert short_date(empty) == "" and long_date(empty) == "" and long_date(empty, "en") == ""
