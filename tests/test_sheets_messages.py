"""Staff-proof Sheets setup and messages (issue 20, items 8 and 9)."""

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from relance.adapters.backends.gsheets_auth import SheetsError
from relance.cli import app

from registers import ROBOT
from test_gsheets import FAST, inv, run

cli = CliRunner()


def said(result) -> str:
    return " ".join(result.output.split())


def test_init_google_never_deletes_a_default_named_tab_holding_data_below_row_2(fake_sheets, robot_account, tmp_path):
    rows = [[], [], ["", "", "notes de Julie"], ["F-2025-001", "Durand", 1200]]  # data from row 3 down
    key = fake_sheets.create_spreadsheet("Compta", {"Feuille 1": rows}, shared_with=[ROBOT])
    (tmp_path / "sa.json").write_text(json.dumps(robot_account), encoding="utf-8")
    result = cli.invoke(app, ["init", "--google", key, "--credentials", str(tmp_path / "sa.json"),
                              "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 0, result.output
    assert fake_sheets.get_values(key, "Feuille 1")[3] == ["F-2025-001", "Durand", 1200]


def test_a_token_endpoint_outage_is_not_reported_as_a_revoked_key(sheets_reg, monkeypatch):
    import google.auth._exponential_backoff as backoff
    monkeypatch.setattr(backoff, "time", type("NoSleep", (), {"sleep": staticmethod(lambda seconds: None)}))
    sheets_reg.create([inv("F1")])
    sheets_reg.fake.inject(status=500, count=1000, match="oauth.token")
    with pytest.raises(SheetsError) as error:
        sheets_reg.backend(retry=FAST).load()
    text = str(error.value)
    assert "service d'authentification de Google a échoué" in text and "réessayez plus tard" in text
    assert "révoquée" not in text and "nouvelle clé" not in text


def test_a_response_cut_mid_json_is_a_transport_error_retried_and_the_lock_is_released(sheets_reg):
    sheets_reg.create([inv("F1"), inv("F2", client="C2")])
    sheets_reg.fake.inject_cut(count=1, match="updateCells")  # the final write lands, its answer is cut
    report = run(sheets_reg.policy, backend=sheets_reg.backend(retry=FAST))
    assert len(report.sent) == 2
    assert [r["Statut"] for r in sheets_reg.rows("Journal")].count("envoyé") == 2  # not written twice
    assert [r for r in sheets_reg.fake.get_values(sheets_reg.key, "Verrou")[1:] if any(r)] == []


def test_a_cut_answer_that_persists_ends_in_one_french_sentence_and_releases_the_lock(sheets_reg):
    sheets_reg.create([inv("F1")])
    backend = sheets_reg.backend(retry=FAST)
    sheets_reg.fake.inject_cut(count=1000, match="values.batchGet")
    with pytest.raises(SheetsError, match="réponse de Google Sheets incomplète") as error:
        run(sheets_reg.policy, backend=backend)
    assert "JSONDecodeError" not in str(error.value)
    sheets_reg.fake.clear_faults()
    lock = sheets_reg.backend().run_lock("suivant", timedelta(minutes=5))
    assert lock.acquire() == ""  # free at once: the failed run's row is marked abandoned, not left live
    lock.release()


def test_a_tab_renamed_while_the_run_decides_is_named_in_french_and_nothing_is_sent(sheets_reg, workdir):
    """Google answers « Unable to parse range: 'Journal'!1:1 »: staff see which tab went, in French."""
    from relance.adapters.backends.gsheets import GoogleSheetsBackend
    sheets_reg.create([inv("F1")])

    class StaffRenameJournal(GoogleSheetsBackend):
        def load(self):
            tabs = super().load()
            sheet = sheets_reg.fake.sheet(sheets_reg.key, "Journal")
            sheet.props["title"] = "Journal 2026"
            return tabs
    with pytest.raises(SheetsError, match="onglet « Journal » introuvable : renommé ou supprimé pendant"):
        run(sheets_reg.policy, backend=StaffRenameJournal.from_policy(sheets_reg.policy))
    assert not list(workdir.rglob("*.eml"))
