"""Journal statuses in French for staff, old English values still read; French grammar of « prévu(e) »."""

from datetime import timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance.cli import app
from relance.core.model import JournalEntry
from relance.core.rules.ladder import planned
from relance.core.statuses import FAILED, MANUAL, PENDING, SENT, TEST, canonical

from conftest import TODAY, at, status_codes

cli = CliRunner()


def test_the_bot_writes_french_labels(reg, workdir):
    reg.create([{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=2), "amount": Decimal(10)}])
    result = cli.invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert [r["Statut"] for r in reg.rows("Journal")] == ["en cours", "envoyé"]
    assert status_codes(r["Statut"] for r in reg.rows("Journal")) == ["pending", "sent"]


@pytest.mark.parametrize("written", ["sent", "envoyé", "Envoye", "SENT"])
def test_old_and_new_sent_rows_both_stop_a_second_send(reg, workdir, written):
    late = TODAY - timedelta(days=2)
    reg.create([{"invoice": "F1", "client": "C1", "due": late, "amount": Decimal(10)}],
               journal=[{"timestamp": at(TODAY - timedelta(days=1)), "invoice": "F1", "client": "C1",
                         "stage": "amiable", "channel": "email", "status": written, "key": "old/C1/amiable"}])
    result = cli.invoke(app, ["plan", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat(),
                              "--format", "json"])
    assert result.exit_code == 0 and "Relance amiable" not in result.output, (written, result.output)


@pytest.mark.parametrize("written", ["manual", "manuel", "Manuel"])
def test_manual_rows_old_and_new_are_contacts(written):
    entry = JournalEntry(at(TODAY), client="C1", status=written)
    assert entry.status == MANUAL


def test_every_label_and_legacy_value_reads_back():
    assert [canonical(v) for v in ("pending", "sent", "failed", "manual", "test")] == [PENDING, SENT, FAILED,
                                                                                    MANUAL, TEST]
    assert [canonical(v) for v in ("en cours", "envoyé", "échec", "manuel", "test")] == [PENDING, SENT, FAILED,
                                                                                      MANUAL, TEST]
    assert canonical("  Échec ") == FAILED and canonical("autre") == "autre" and canonical("") == ""


def test_next_action_agrees_in_gender():
    assert planned("Dossier de recouvrement") == "prévu"
    assert planned("Relance amiable") == "prévue" and planned("Mise en demeure") == "prévue"


def test_confirmation_prompt_is_french_and_accepts_o(monkeypatch):
    from relance.cli import console
    answers = iter(["o", "", "non", "Oui", "y"])
    asked = []
    monkeypatch.setattr("typer.prompt", lambda text, **kw: asked.append(text) or next(answers))
    assert [console.confirm("Effacer ?") for _ in range(5)] == [True, False, False, True, True]
    assert asked[0] == "Effacer ? [o/N]"
