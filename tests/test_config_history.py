"""The journal survives a change of config.toml: a renamed stage never means the same reminder again,
and a renegotiated payment plan (instalments numbered 1, 2, 3 again) gets its own notes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from typer.testing import CliRunner

from relance.cli import app

from conftest import TODAY, at

DUE = TODAY - timedelta(days=8)   # J+8 today: renforcée is due


def rename_stage(config, old: str, new: str, aliases: bool) -> None:
    text = config.read_text(encoding="utf-8")
    assert f'key = "{old}"' in text
    declared = f'key = "{new}"\naliases = ["{old}"]' if aliases else f'key = "{new}"'
    text = (text.replace(f'key = "{old}"', declared).replace(f'human_stage = "{old}"', f'human_stage = "{new}"')
            .replace(f" {old} = ", f" {new} = "))
    config.write_text(text, encoding="utf-8")


def run(config, *extra):
    return CliRunner().invoke(app, ["run", "--config", str(config), "--date", TODAY.isoformat(), *extra])


def sent_rows(reg) -> list[dict]:
    return [r for r in reg.rows("Journal") if r["Statut"] in ("sent", "envoyé")]


def history(invoice="F1", client="C1"):
    return [{"timestamp": at(DUE + timedelta(days=1), 9), "invoice": invoice, "client": client, "stage": "amiable",
             "channel": "email", "status": "sent", "key": f"{DUE + timedelta(days=1)}/{client}/amiable"},
            {"timestamp": at(TODAY - timedelta(days=1), 9), "invoice": invoice, "client": client,
             "stage": "renforcee", "channel": "email", "status": "sent",
             "key": f"{TODAY - timedelta(days=1)}/{client}/renforcee"}]


def test_a_renamed_stage_without_alias_holds_the_invoice_and_check_says_how_to_fix_it(reg, workdir):
    """renforcee -> ferme: the journal's renforcee rows no longer name a stage; nothing is sent again."""
    reg.create([{"invoice": "F1", "client": "C1", "due": DUE, "amount": Decimal("500.00")}],
               journal=history())
    config = workdir / "config.toml"
    rename_stage(config, "renforcee", "ferme", aliases=False)
    ran = run(config)
    assert ran.exit_code == 0, ran.output
    assert len(sent_rows(reg)) == 2            # only the two rows of the history: nothing new went out
    alert = reg.rows("Factures")[0]["Alerte"]
    assert "« renforcee »" in alert and 'aliases = ["renforcee"]' in alert
    checked = CliRunner().invoke(app, ["check", "--config", str(config)])
    assert checked.exit_code == 1 and "renforcee" in checked.output


def test_a_renamed_stage_with_its_alias_keeps_its_place_on_the_ladder(reg, workdir):
    reg.create([{"invoice": "F1", "client": "C1", "due": DUE, "amount": Decimal("500.00")}],
               journal=history())
    config = workdir / "config.toml"
    rename_stage(config, "renforcee", "ferme", aliases=True)
    ran = run(config)
    assert ran.exit_code == 0 and len(sent_rows(reg)) == 2, ran.output   # ferme = renforcee: already sent
    assert reg.rows("Factures")[0]["Étape"] == "ferme"                    # the label defaults to the new key
    assert "Mise en demeure" in reg.rows("Factures")[0]["Prochaine action"]


def test_a_renegotiated_plan_gets_notes_for_its_new_instalment_one(workdir, workdir_policy):
    """echeance:1 of the old plan (two months ago) must not silence instalment 1 of the new plan."""
    import openpyxl

    from relance import runner

    from conftest import sheet_rows, xlsx_register
    old_note = TODAY - timedelta(days=60)
    path = xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=90),
                                    "amount": Decimal("3000.00"), "status": "Échéancier"}],
                         journal=[{"timestamp": at(old_note, 9), "invoice": "F1", "client": "C1",
                                   "stage": "echeance:1", "channel": "email", "status": "sent",
                                   "key": f"{old_note}/C1/echeance"}])
    wb = openpyxl.load_workbook(path)
    wb["Échéanciers"].append(["F1", 1, TODAY - timedelta(days=2), 1000, "Non"])   # the new plan's n°1
    wb.save(path)
    report = runner.run(workdir_policy, today=TODAY, now=at(TODAY))
    assert [m.stage for m in report.sent] == ["echeance"]
    assert f"echeance:1@{TODAY - timedelta(days=2)}" in {r["Étape"] for r in sheet_rows(path, "Journal")}
    again = runner.run(workdir_policy, today=TODAY + timedelta(days=3), now=at(TODAY + timedelta(days=3)))
    assert again.sent == []                    # and once sent, not again


def test_a_bare_instalment_row_inside_this_instalments_window_still_counts(workdir, workdir_policy):
    """Registers journaled before dated keys: echeance:1 sent two days ago is this instalment's note."""
    import openpyxl

    from relance import runner

    from conftest import xlsx_register
    path = xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=90),
                                    "amount": Decimal("3000.00"), "status": "Échéancier"}],
                         journal=[{"timestamp": at(TODAY - timedelta(days=1), 9), "invoice": "F1", "client": "C1",
                                   "stage": "echeance:1", "channel": "email", "status": "sent",
                                   "key": f"{TODAY - timedelta(days=1)}/C1/echeance"}])
    wb = openpyxl.load_workbook(path)
    wb["Échéanciers"].append(["F1", 1, TODAY - timedelta(days=2), 1000, "Non"])
    wb.save(path)
    assert runner.run(workdir_policy, today=TODAY, now=at(TODAY)).sent == []
