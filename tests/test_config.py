import dataclasses
import re
from decimal import Decimal
from pathlib import Path

import pytest

from relance.core.config import ConfigError, Policy, default_config_text, load_policy, policy_from_dict

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_config_is_exactly_the_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(default_config_text(), encoding="utf-8")
    loaded = load_policy(path)
    assert dataclasses.replace(loaded, base_dir=Path("."), source="config.toml") == Policy()
    assert [s.key for s in loaded.stages] == ["pre", "amiable", "renforcee", "demeure", "recouvrement"]
    assert loaded.stage("demeure").requires_approval


def test_default_config_and_templates_exist_once_at_the_top_of_the_repository():
    from relance.messages.render import packaged_templates
    assert default_config_text() == (ROOT / "config.toml").read_text(encoding="utf-8")
    assert packaged_templates() == ROOT / "templates" and any(packaged_templates().rglob("*.j2"))
    assert not (ROOT / "relance" / "defaults" / "templates").exists()  # the wheel gets them (force-include)


@pytest.mark.parametrize("data, message", [
    ({"schedule": {"min_days_beetween_contacts": 3}}, "[schedule].min_days_beetween_contacts : clé inconnue"),
    ({"schedul": {}}, "section [schedul] inconnue"),
    ({"mail": {"smtp_port": "587"}}, "[mail].smtp_port : un nombre entier est attendu, trouvé '587'"),
    ({"mail": {"mailer": "pigeon"}}, "[mail].mailer : l'une des valeurs 'outbox', 'smtp' est attendue, trouvé 'pigeon'"),
    ({"schedule": {"send_window": ["18:00", "09:00"]}}, "[schedule].send_window : le créneau doit commencer avant de finir"),
    ({"schedule": {"send_window": ["9h", "18h"]}}, "[schedule].send_window : une heure \"HH:MM\" est attendue, trouvé '9h'"),
    ({"escalation": {"amount_threshold": "beaucoup"}}, "[escalation].amount_threshold : un montant est attendu"),
    ({"stages": [{"key": "a", "offset_days": 5}, {"key": "b", "offset_days": 1}]}, "[[stages]] : offset_days doit augmenter d'une étape à la suivante, trouvé [5, 1]"),
    ({"stages": [{"key": "a", "offset_days": 1, "chanel": "email"}]}, "[[stages]] n°1, chanel : clé inconnue"),
    ({"stages": [{"key": "Relance 1", "offset_days": 1}]}, "[[stages]] n°1, key : un nom court en minuscules est attendu"),
])
def test_bad_config_names_file_key_and_expectation(data, message):
    with pytest.raises(ConfigError) as err:
        policy_from_dict(data, source="conf/config.toml")
    assert message in str(err.value)
    assert str(err.value).startswith("conf/config.toml : ")
    assert not re.search(r"\b(expected|got|unknown|should|must)\b", str(err.value))  # French for staff (#17)


def test_values_are_typed_and_paths_relative_to_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "config.toml"
    path.write_text('[register]\npath = "reg.xlsx"\n[escalation]\namount_threshold = "7500.50"\n'
                    '[mail]\nfrom = "Compta <c@x.fr>"\n', encoding="utf-8")
    policy = load_policy(path)
    assert policy.resolve(policy.register.path) == (tmp_path / "sub" / "reg.xlsx").resolve()
    assert policy.escalation.amount_threshold == Decimal("7500.50")
    assert policy.mail.sender == "Compta <c@x.fr>"


def test_missing_or_broken_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="fichier de configuration introuvable. Créez-le avec `relance init`"):
        load_policy(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[schedule\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="syntaxe TOML invalide, ligne 1, colonne 10 : « \\] » attendu"):
        load_policy(bad)


@pytest.mark.slow
def test_the_wheel_ships_the_default_templates_and_config(tmp_path):
    """`pip install .` (not editable) finds the defaults: hatch force-includes the repository's copy."""
    import subprocess
    import sys
    import zipfile
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    names = zipfile.ZipFile(next(tmp_path.glob("relance-*.whl"))).namelist()
    assert "relance/defaults/config.toml" in names and "relance/defaults/templates/fr/amiable.txt.j2" in names
    shipped = {n.removeprefix("relance/defaults/") for n in names if n.startswith("relance/defaults/templates/")}
    assert shipped == {str(p.relative_to(ROOT)) for p in (ROOT / "templates").rglob("*") if p.is_file()}


def test_toml_syntax_errors_say_where_in_french():
    from relance.core.config_values import toml_error
    assert (toml_error(ValueError("Expected '=' after a key in a key/value pair (at line 3, column 5)"))
            == "ligne 3, colonne 5 : « = » attendu après le nom de la clé")
    assert toml_error(ValueError("Cannot declare ('schedule',) twice (at line 9, column 10)")) == \
        "ligne 9, colonne 10 : section [schedule] déclarée deux fois"
    assert toml_error(ValueError("A wording tomllib may add later (at end of document)")) == \
        "à la fin du fichier : A wording tomllib may add later"  # kept rather than lost
