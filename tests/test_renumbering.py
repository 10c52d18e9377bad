"""A renumbered invoice (« F2026-117 » → « FA-117 ») never starts the ladder again (core/renumbering.py).

The bot remembers the invoices it chased (client, amount, dates) in its « Mémoire » tab; an invoice with no
journal history that matches one whose number left Factures is held with an Alerte naming the old number,
until staff write it in « Ancien numéro » (the ladder then continues) or type « Non » (a new invoice)."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from relance.core import planner, renumbering
from relance.core.config import Policy, ScheduleConfig
from relance.core.model import Fingerprint, RawTab

from conftest import TODAY, invoice, register, sent

EVERY_DAY = replace(Policy(), schedule=ScheduleConfig(business_days_only=False, min_days_between_contacts=0))
ISSUED = date(2026, 9, 1)


def J(n: int) -> date:
    """The due date that makes TODAY be J+n."""
    return TODAY - timedelta(days=n)


def renumbered(late: int, history: list[tuple[str, int]], amount: str = "1200.00", **kw):
    """FA-117 in Factures; the journal chased F2026-117 (same client, amount, dates), gone from Factures."""
    due = J(late)
    new = invoice("FA-117", due=kw.pop("due", due), amount=amount, issued=ISSUED, **kw)
    journal = [sent("F2026-117", stage, due + timedelta(days=day)) for stage, day in history]
    old = Fingerprint("F2026-117", "C1", Decimal("1200.00"), ISSUED, due)
    return replace(register([new], journal=journal), chased={old.number: old})


def plan(reg, policy=EVERY_DAY):
    result = planner.plan(reg, policy, TODAY)
    return {line.invoice.number: line.stage for r in result.reminders for line in r.lines}, result


def test_a_renumbered_invoice_is_held_with_an_alert_naming_the_old_number():
    got, result = plan(renumbered(40, [("amiable", 1), ("renforcee", 8), ("demeure", 30)]))
    assert got == {}  # never « amiable » again after a formal notice
    state = result.states["FA-117"]
    assert "Numéro changé ? Même client, montant et dates que F2026-117" in state.alert
    assert "déjà relancée : mise en demeure le 15/11/2026" in state.alert and "« Ancien numéro »" in state.alert
    assert "numéro changé" in state.next_action
    assert [p.invoice for p in renumbering.problems(renumbered(40, [("amiable", 1)]))] == ["FA-117"]  # check


def test_the_old_number_in_ancien_numero_continues_the_ladder_at_the_next_stage():
    reg = renumbered(9, [("amiable", 1)], former=("F2026-117",))
    got, result = plan(reg)
    assert got == {"FA-117": "renforcee"}  # not amiable again
    assert result.states["FA-117"].reminders_sent == 1 and "Numéro changé" not in result.states["FA-117"].alert
    assert renumbering.problems(reg) == []


def test_the_old_numbers_history_counts_for_the_ladder_spacing_and_the_day():
    got, result = plan(renumbered(31, [("amiable", 1), ("renforcee", 29)], former=("F2026-117",)))
    assert got == {}  # renforcée went two days ago: the formal notice keeps the ladder's spacing
    assert "Mise en demeure prévue le" in result.states["FA-117"].next_action
    sent_today = renumbered(9, [("amiable", 9)], former=("F2026-117",))
    got, result = plan(sent_today)
    assert got == {} and result.states["FA-117"].reminders_sent == 1  # the old number's message of the day counts


def test_an_unrelated_invoice_of_the_same_client_is_not_held():
    got, result = plan(renumbered(3, [("amiable", 1)], amount="980.00"))  # another amount: a new invoice
    assert got == {"FA-117": "amiable"} and "Numéro changé" not in result.states["FA-117"].alert
    got, _ = plan(renumbered(3, [("amiable", 1)], due=J(5)))  # another due date
    assert got == {"FA-117": "amiable"}


def test_non_in_ancien_numero_says_it_is_a_new_invoice():
    got, result = plan(renumbered(3, [("amiable", 1)], new=True))
    assert got == {"FA-117": "amiable"} and "Numéro changé" not in result.states["FA-117"].alert


def test_an_ancien_numero_naming_a_live_invoice_is_ignored_and_reported():
    reg = renumbered(9, [("amiable", 1)], former=("F9",))
    reg = replace(reg, invoices=reg.invoices + (invoice("F9", due=J(2), row=3),))
    assert any("« F9 » est encore dans Factures" in p.message for p in renumbering.problems(reg))


def test_former_numbers_read_from_the_cell():
    assert renumbering.former_numbers("F2026-117, F2026-117-A") == ("F2026-117", "F2026-117-A")
    assert renumbering.former_numbers("Non") == () and renumbering.confirmed_new("non")
    assert renumbering.former_numbers("") == () and not renumbering.confirmed_new("")


def test_the_record_keeps_chased_open_invoices_and_waiting_orphans():
    reg = renumbered(40, [("amiable", 1)])
    reg = replace(reg, invoices=reg.invoices + (invoice("F2", due=J(3)), invoice("F3", due=J(3), status="Payée")),
                  journal=reg.journal + (sent("F2", "amiable", J(2)), sent("F3", "amiable", J(2))))
    kept = renumbering.record(reg)
    assert sorted(kept) == ["F2", "F2026-117"]  # F3 is paid; FA-117 was never chased; the orphan waits
    assert renumbering.read(RawTab("Mémoire", [["Mise à jour", "x"]] + renumbering.rows(kept.values()))) == kept
    claimed = replace(reg, invoices=tuple(replace(i, former=("F2026-117",)) if i.number == "FA-117" else i
                                          for i in reg.invoices))
    assert sorted(renumbering.record(renumbering.aliased(claimed))) == ["F2", "FA-117"]  # history moved with it


# ------------------------------------------------------------------ end to end, on both backends
def type_in_factures(reg, number, header, value):
    """Staff type `value` in the `header` cell of invoice `number`'s row of Factures."""
    from relance.core import schema
    if reg.kind == "xlsx":
        import openpyxl
        workbook = openpyxl.load_workbook(reg.path)
        sheet = workbook["Factures"]
        columns = [c.value for c in sheet[1]]
        key = columns.index("N° facture") + 1
        row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, key).value == number)
        sheet.cell(row, columns.index(header) + 1, value)
        workbook.save(reg.path)
        return
    values = reg.fake.get_values(reg.key, "Factures")
    row = next(n for n, r in enumerate(values, start=1) if r and r[values[0].index("N° facture")] == number)
    reg.fake.set_values(reg.key, "Factures", [[value]], start=f"{schema.column_letter(values[0].index(header))}{row}")


def test_an_invoice_renumbered_in_the_register_is_held_until_staff_give_its_old_number(reg):
    from typer.testing import CliRunner

    from relance.cli import app
    from test_xlsx_staff import inv
    cli = CliRunner()
    later = TODAY + timedelta(days=8)  # renforcée is due for F1 by then

    def run(day):
        return cli.invoke(app, ["run", "--config", str(reg.workdir / "config.toml"), "--date", day.isoformat()])

    def emls():
        return sorted((reg.workdir / "outbox").glob("*.eml"))

    reg.create([inv("F1", amount="1200.00", issued=ISSUED), inv("F2", client="C2")],
               payments_up_to=later + timedelta(days=5))
    assert run(TODAY).exit_code == 0 and len(emls()) == 2  # amiable for F1 (C1) and F2 (C2)
    type_in_factures(reg, "F1", "N° facture", "FA-1")
    held = run(later)
    assert held.exit_code == 0 and len(emls()) == 3  # C2's renforcée only: FA-1 is not sent amiable again
    alert = next(r for r in reg.rows("Factures") if r["N° facture"] == "FA-1")["Alerte"]
    assert "Numéro changé ? Même client, montant et dates que F1 (déjà relancée : relance amiable le 25/11/2026)" \
        in alert
    checked = cli.invoke(app, ["check", "--config", str(reg.workdir / "config.toml")])
    assert checked.exit_code == 1 and "numéro changé ?" in " ".join(checked.output.split())

    type_in_factures(reg, "FA-1", "Ancien numéro", "F1")
    assert run(later + timedelta(days=1)).exit_code == 0 and len(emls()) == 4
    stages = [(r["N° facture"], r["Étape"]) for r in reg.rows("Journal") if r["Statut"] == "envoyé"]
    assert stages[-1] == ("FA-1", "renforcee") and ("FA-1", "amiable") not in stages  # the ladder went on
    row = next(r for r in reg.rows("Factures") if r["N° facture"] == "FA-1")
    assert "Numéro changé" not in (row["Alerte"] or "") and row["Relances envoyées"] == 2
