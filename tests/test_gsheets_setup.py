"""Setting up a Google Sheets register: credentials, sharing, API activation, missing tabs,
`relance init --google`, and the run lock. Every failure is one French sentence, never the key."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance.core import schema
from relance.adapters.backends import BackendError, RegisterLocked
from relance.adapters.backends.gsheets_auth import spreadsheet_key
from relance.adapters.backends.gsheets_lock import ABANDONED, SheetsRunLock
from relance.cli import app

from conftest import PARIS, TODAY, status_codes
from registers import ROBOT, register_tabs, sheets_requests, use_own_identity

cli = CliRunner()
INVOICE = {"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3), "amount": Decimal("100.00")}


def check(workdir):
    return cli.invoke(app, ["check", "--config", str(workdir / "config.toml")])


def said(result) -> str:
    """The command's output on one line (rich wraps long sentences)."""
    return " ".join(result.output.split())


def key_text(account: dict) -> str:
    """The base64 body of the private key: must never be printed."""
    return "".join(account["private_key"].splitlines()[1:-1])


def assert_no_secret(text: str, account: dict) -> None:
    body, flat = key_text(account), "".join(text.split())  # a wrapped key would still be caught
    assert all(body[i:i + 24] not in flat for i in range(0, len(body) - 24, 24))


# ------------------------------------------------------------------ credentials
def rewrite_key(workdir, value):
    (workdir / "service-account.json").write_text(value if isinstance(value, str) else json.dumps(value),
                                                  encoding="utf-8")


CASES = {
    "missing file": (lambda w, a: (w / "service-account.json").unlink(), "clé de compte de service introuvable"),
    "not JSON": (lambda w, a: rewrite_key(w, "{pas du json"), "n'est pas un fichier JSON lisible"),
    "OAuth client id": (lambda w, a: rewrite_key(w, {"installed": {"client_id": "x", "client_secret": "y"}}),
                        "identifiant client OAuth"),
    "user credentials": (lambda w, a: rewrite_key(w, {"type": "authorized_user", "refresh_token": "r"}),
                         "identifiants d'un utilisateur"),
    "incomplete": (lambda w, a: rewrite_key(w, {k: v for k, v in a.items() if k != "client_email"}),
                   "incomplète (champ(s) manquant(s) : client_email)"),
    "damaged key": (lambda w, a: rewrite_key(w, {**a, "private_key": a["private_key"][:200] + "\n-----END"}),
                    f"la clé privée du compte de service {ROBOT} est illisible"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_credential_mistake_is_one_clear_sentence(sheets_reg, workdir, robot_account, case):
    with pytest.raises(AssertionError):  # the guard itself works, wrapped or not
        assert_no_secret("Erreur :\n" + robot_account["private_key"].replace("\n", "\n  "), robot_account)
    sheets_reg.create([INVOICE])
    break_it, expected = CASES[case]
    break_it(workdir, robot_account)
    result = check(workdir)
    assert result.exit_code == 1 and expected in said(result) and "Traceback" not in result.output
    assert_no_secret(result.output, robot_account)
    with pytest.raises(BackendError) as error:
        sheets_reg.backend()
    assert expected in str(error.value) and error.value.__cause__ is None  # no chained exception to print
    assert error.value.__context__ is None or error.value.__suppress_context__
    assert_no_secret(str(error.value), robot_account)
    assert sheets_requests(sheets_reg.fake) == {}  # nothing reached Google


def test_credentials_come_from_the_environment_when_config_names_none_or_a_file_not_here(sheets_reg, workdir,
                                                                                         monkeypatch):
    sheets_reg.create([INVOICE])
    config = workdir / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('credentials_file = "service-account.json"', ""), encoding="utf-8")
    assert "aucune clé de compte de service" in said(check(workdir))
    (workdir / "service-account.json").rename(workdir / "ci-secret.json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(workdir / "ci-secret.json"))
    for text_now in (config.read_text(encoding="utf-8"), text):  # no credentials_file; one absent here (CI)
        config.write_text(text_now, encoding="utf-8")
        result = check(workdir)
        assert "Erreur" not in result.output  # the register was read (what check says of it varies by date)
        assert "Tout est en ordre" in result.output or "dans le registre" in result.output


def test_sharing_api_activation_unknown_sheet_and_revoked_key_are_explained(sheets_reg, workdir, robot_account):
    fake = sheets_reg.fake
    sheets_reg.create([INVOICE])
    fake.spreadsheet(sheets_reg.key).shared_with = {"julie@atelier-dupont.fr"}
    output = said(check(workdir))
    assert f"n'est pas partagé avec le compte de service {ROBOT}" in output and "« Partager »" in output
    assert f"ajoutez {ROBOT} comme « Éditeur »" in output

    fake.share(sheets_reg.key, ROBOT)
    fake.api_disabled = True
    output = said(check(workdir))
    assert "l'API Google Sheets n'est pas activée" in output and "https://console.developers.google.com/apis" in output
    fake.api_disabled = False

    fake.revoke(ROBOT)
    assert "Google refuse la clé du compte de service" in said(check(workdir))
    fake.revoked_accounts.clear()

    config = workdir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(sheets_reg.key, "1" + "x" * 43), encoding="utf-8")
    result = check(workdir)
    assert result.exit_code == 1 and "classeur Google Sheets introuvable (1xxxx" in said(result)
    assert_no_secret(result.output, robot_account)


def test_missing_tab_or_header_is_named_and_english_tabs_are_accepted(sheets_reg, workdir):
    tabs = register_tabs([INVOICE])
    del tabs["Factures"]
    sheets_reg.create([], tabs=tabs)
    assert "onglet « Factures » introuvable" in said(check(workdir))

    tabs = register_tabs([INVOICE])
    tabs["Factures"] = [[v for v, h in zip(row, tabs["Factures"][0]) if h != "Échéance"] for row in tabs["Factures"]]
    sheets_reg.create([], tabs=tabs)
    assert "colonne(s) 'Échéance' introuvable(s)" in said(check(workdir))

    tabs = register_tabs([INVOICE])
    english = {"Factures": "Invoices", "Clients": "Customers", "Journal": "Log"}
    sheets_reg.create([], tabs={english.get(name, name): rows for name, rows in tabs.items()})
    result = cli.invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])
    assert result.exit_code == 0 and "1 message(s)" in result.output
    assert status_codes(r["Statut"] for r in sheets_reg.rows("Log")) == ["pending", "sent"]


@pytest.mark.parametrize("value,key", [
    ("https://docs.google.com/spreadsheets/d/1AbC-dEf_0123456789abcdefghij/edit#gid=0", "1AbC-dEf_0123456789abcdefghij"),
    ("1AbC-dEf_0123456789abcdefghij", "1AbC-dEf_0123456789abcdefghij")])
def test_spreadsheet_by_url_or_key(value, key):
    assert spreadsheet_key(value) == key
    for bad in ("", "registre.xlsx"):
        with pytest.raises(BackendError, match="register.spreadsheet"):
            spreadsheet_key(bad)


# ------------------------------------------------------------------ relance init --google
def test_init_google_sets_up_an_empty_sheet_in_one_batch_and_writes_the_config(fake_sheets, robot_account, tmp_path):
    key = fake_sheets.create_spreadsheet("Compta", {"Feuille 1": []}, shared_with=[ROBOT])
    (tmp_path / "sa.json").write_text(json.dumps(robot_account), encoding="utf-8")
    url = f"https://docs.google.com/spreadsheets/d/{key}/edit"
    result = cli.invoke(app, ["init", "--google", url, "--credentials", str(tmp_path / "sa.json"),
                              "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 0, result.output
    assert sheets_requests(fake_sheets) == {"spreadsheets.get": 1, "values.batchGet": 1,
                                            "spreadsheets.batchUpdate": 1}
    config = (tmp_path / "config.toml").read_text(encoding="utf-8")
    assert 'backend = "gsheets"' in config and f'spreadsheet = "{url}"' in config
    assert 'credentials_file = "sa.json"' in config

    sheets = fake_sheets.spreadsheet(key).sheets
    assert [s.title for s in sheets] == [t.name for t in schema.TABS]  # the empty default tab is gone
    factures = fake_sheets.sheet(key, "Factures")
    assert fake_sheets.get_values(key, "Factures") == [schema.FACTURES.headers]
    assert factures.grid["frozenRowCount"] == 1
    status = schema.FACTURES.headers.index("Statut")
    [rule] = [v["rule"] for v in factures.data_validations if v["range"]["startColumnIndex"] == status]
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == list(schema.STATUSES)
    protected = {(p["range"]["startColumnIndex"], p.get("warningOnly", False)) for p in factures.protected_ranges}
    bot = {schema.FACTURES.headers.index(c.header) for c in schema.FACTURES.bot_columns}
    assert protected == {(col, True) for col in bot}
    stage = schema.FACTURES.headers.index("Étape")
    assert {r["ranges"][0]["startColumnIndex"] for r in factures.conditional_formats} == {stage}
    assert [r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in factures.conditional_formats][:2] \
        == ["Pré-relance", "Relance amiable"]
    assert check(tmp_path).exit_code == 1 and "SIREN d'exemple" in said(check(tmp_path))  # init's sample identity
    use_own_identity(tmp_path / "config.toml")
    assert check(tmp_path).exit_code == 0

    again = cli.invoke(app, ["init", "--google", url, "--credentials", str(tmp_path / "sa.json"),
                             "--config", str(tmp_path / "config.toml")])
    assert again.exit_code == 1 and "contient déjà un registre" in said(again)


def test_init_google_explains_an_unshared_sheet(fake_sheets, robot_account, tmp_path, monkeypatch):
    key = fake_sheets.create_spreadsheet("Compta", {"Feuille 1": []}, shared_with=["julie@atelier-dupont.fr"])
    (tmp_path / "sa.json").write_text(json.dumps(robot_account), encoding="utf-8")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "sa.json"))
    result = cli.invoke(app, ["init", "--google", key, "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 1 and ROBOT in said(result) and "Partager" in said(result)
    assert not (tmp_path / "config.toml").exists()


# ------------------------------------------------------------------ the run lock
def clock(hour, minute=0):
    return lambda: datetime(2026, 11, 25, hour, minute, tzinfo=PARIS)


def test_the_run_lock_admits_one_run_and_costs_two_requests(sheets_reg):
    sheets_reg.create([INVOICE])
    first = sheets_reg.backend()
    lock = SheetsRunLock(first, "julie@poste-compta pid 42", timedelta(minutes=30), clock(9))
    assert lock.acquire() == ""  # the first time, the hidden tab is created
    verrou = sheets_reg.fake.sheet(sheets_reg.key, "Verrou")
    assert verrou.props.get("hidden") is True

    second = sheets_reg.backend()
    with pytest.raises(RegisterLocked, match=r"julie@poste-compta pid 42, depuis le 25/11/2026 09:00.*"
                                             r"valable jusqu'au 25/11/2026 09:30"):
        SheetsRunLock(second, "cron", timedelta(minutes=30), clock(9, 5)).acquire()

    sheets_reg.fake.reset_counts()
    lock.release()
    assert sheets_requests(sheets_reg.fake) == {"spreadsheets.batchUpdate": 1}
    assert [r[4] if len(r) > 4 else "" for r in sheets_reg.fake.get_values(sheets_reg.key, "Verrou")[1:]] \
        == ["", ABANDONED]  # the loser's row and its abandon marker are left; they block no one

    third = sheets_reg.backend()
    sheets_reg.fake.reset_counts()
    lock = SheetsRunLock(third, "cron", timedelta(minutes=30), clock(9, 10))
    assert lock.acquire() == ""
    third.load()  # read with the lock's check: no second batchGet
    assert sheets_requests(sheets_reg.fake) == {"spreadsheets.get": 1, "spreadsheets.batchUpdate": 1,
                                                "values.batchGet": 1}
    lock.release()
    assert sheets_reg.fake.get_values(sheets_reg.key, "Verrou")[1:] == []


def test_a_live_runs_heartbeat_pushes_its_lock_so_no_other_run_takes_it_over(sheets_reg):
    """Issue 15 item 12 on Sheets: the lock of a run that lasts beyond the TTL is refreshed, not taken over."""
    sheets_reg.create([INVOICE])
    lock = SheetsRunLock(sheets_reg.backend(), "long-run", timedelta(minutes=30), clock(9))
    lock.acquire()
    lock.clock = clock(9, 25)
    lock.refresh()                                      # the heartbeat at 09:25: valid until 09:55
    with pytest.raises(RegisterLocked, match="09:55"):
        SheetsRunLock(sheets_reg.backend(), "cron", timedelta(minutes=30), clock(9, 40)).acquire()
    lock.release()


def test_a_lock_left_by_a_dead_run_expires_and_is_taken_over_with_a_note(sheets_reg):
    sheets_reg.create([INVOICE])
    SheetsRunLock(sheets_reg.backend(), "runner-1", timedelta(minutes=30), clock(9)).acquire()  # never released
    with pytest.raises(RegisterLocked):
        SheetsRunLock(sheets_reg.backend(), "runner-2", timedelta(minutes=30), clock(9, 29)).acquire()
    lock = SheetsRunLock(sheets_reg.backend(), "runner-3", timedelta(minutes=30), clock(9, 31))
    assert lock.acquire() == "verrou abandonné repris (runner-1, expiré depuis le 25/11/2026 09:30)"
    lock.release()
    assert sheets_reg.fake.get_values(sheets_reg.key, "Verrou")[1:] == []



def test_the_cli_exits_75_while_another_run_holds_the_sheets_lock(sheets_reg, workdir):
    sheets_reg.create([INVOICE])
    holder = sheets_reg.backend().run_lock("julie@poste-compta pid 4242", timedelta(minutes=30))
    holder.acquire()
    config = str(workdir / "config.toml")
    result = cli.invoke(app, ["run", "--config", config, "--date", TODAY.isoformat()])
    assert result.exit_code == 75 and "julie@poste-compta pid 4242" in said(result)
    assert sheets_reg.rows("Journal") == [] and not (workdir / "outbox").exists()
    assert cli.invoke(app, ["run", "--dry-run", "--config", config, "--date", TODAY.isoformat()]).exit_code == 0
    holder.release()
    assert cli.invoke(app, ["run", "--config", config, "--date", TODAY.isoformat()]).exit_code == 0
    assert sheets_reg.fake.get_values(sheets_reg.key, "Verrou")[1:] == []  # released after the run
