"""No traceback for what staff and faults really do: one French sentence, exit 1.

A valid zip whose sheet XML is cut, a misspelt time zone, ``holidays = "XX"``, a stage
name with its accent (``human_stage = "renforcée"``): `check` and every command say
what is wrong, where, and what was probably meant.
"""

from __future__ import annotations

import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance.cli import app

from conftest import TODAY, xlsx_register


def inv(number="F1", client="C1"):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=3), "amount": Decimal("100")}


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def cut_sheet_xml(path):
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for info, data in items:
            z.writestr(info, data[: len(data) // 2] if info.filename.startswith("xl/worksheets/") else data)


@pytest.mark.parametrize("command", [["check"], ["run", "--date", TODAY.isoformat()], ["plan"]])
def test_a_valid_zip_with_corrupt_sheet_xml_is_one_sentence(workdir, command):
    cut_sheet_xml(xlsx_register(workdir, [inv()]))
    result = invoke(*command, "--config", workdir / "config.toml")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "registre illisible" in result.output and "endommagé" in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1


@pytest.mark.parametrize("old, new, expected", [
    ('timezone = "Europe/Paris"', 'timezone = "Europe/Pari"', "vouliez-vous dire « Europe/Paris »"),
    ('holidays = "FR"', 'holidays = "XX"', "pays inconnu « XX » pour les jours fériés"),
    ('human_stage = "renforcee"', 'human_stage = "renforcée"', "vouliez-vous dire « renforcee »"),
])
@pytest.mark.parametrize("command", [["check"], ["plan"]])
def test_config_typos_are_caught_by_check_and_every_command(workdir, old, new, expected, command):
    xlsx_register(workdir, [inv()])
    config = workdir / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    result = invoke(*command, "--config", config)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert expected in " ".join(result.output.split())


def test_a_channel_or_segment_typo_suggests_the_known_name():
    from relance.core.config import ConfigError, policy_from_dict
    with pytest.raises(ConfigError, match="vouliez-vous dire « letter\\+email »"):
        policy_from_dict({"stages": [{"key": "amiable", "offset_days": 1, "channel": "lettre+email"}]})
    with pytest.raises(ConfigError, match="vouliez-vous dire « Stratégique »"):
        policy_from_dict({"segments": {"Strategique": {"cc_account_manager": True}}})
    with pytest.raises(ConfigError, match="vouliez-vous dire « renforcee »"):
        policy_from_dict({"segments": {"Stratégique": {"offsets": {"renforcée": 15}}}})


def test_an_unforeseen_error_through_the_console_script_is_one_line(monkeypatch, capsys, workdir):
    """The installed `relance` command (app.__call__), not CliRunner: the last safety net."""
    import sys
    from relance.cli import app as cli_app
    module = sys.modules["relance.cli.app"]  # `relance.cli.app` the attribute is the typer app

    def boom(*args, **kwargs):
        raise RuntimeError("boom with a secret local")

    monkeypatch.setattr(module, "_policy", boom)
    with pytest.raises(SystemExit) as exited:
        cli_app(["plan", "--config", str(workdir / "config.toml")])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "erreur inattendue (RuntimeError" in err and "Traceback" not in err
