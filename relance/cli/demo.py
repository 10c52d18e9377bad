"""A realistic sample register, built around a reference day, for `relance demo`.

Every case the ladder knows appears once: an invoice about to fall due, one just
late, one due for the reinforced reminder, a formal notice waiting for approval
and one approved, a collection hand-off, paid / partly paid / cancelled / disputed
/ paused / payment-plan invoices, an opted-out client, a payment received today,
a client with three late invoices (one consolidated message), English and
consumer clients, and the bad rows staff really type (garbage date, negative
amount, unknown client, missing email, duplicated number).

Dates are relative to the reference day so the demo shows the same story
whatever day it runs. The Historique tab starts with eleven invented weekly
rows, so the Synthèse tab's DSO chart has a trend to draw from the first run.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from relance.core import journal as jr

D = Decimal

CLIENTS = [
    # code, name, contact, email, segment, type, lang, auto, account manager, cc
    ("C001", "Boulangerie Martin", "Sophie Martin", "compta@boulangerie-martin.example", "Standard", "B2B", "fr", "Oui", "", ""),
    ("C002", "Garage du Centre", "Paul Lefèvre", "paul@garage-centre.example", "Standard", "B2B", "fr", "Oui", "", ""),
    ("C003", "Hôtel Belle Vue", "", "factures@bellevue.example", "Stratégique", "B2B", "fr", "Oui",
     "claire.dupont@example.fr", "direction@bellevue.example"),
    ("C004", "Nordic Design Ltd", "Emma Larsen", "ap@nordic-design.example", "Standard", "B2B", "en", "Oui", "", ""),
    ("C005", "Jean Dubois", "Jean Dubois", "jean.dubois@mail.example", "Particulier", "B2C", "fr", "Oui", "", ""),
    ("C006", "Cabinet Roux Avocats", "Me Roux", "secretariat@roux-avocats.example", "Standard", "B2B", "fr", "Non", "", ""),
    ("C007", "Menuiserie Petit", "Luc Petit", "", "Standard", "B2B", "fr", "Oui", "", ""),
    ("C008", "Fleurs & Co", "Nadia Benali", "nadia@fleurs-co.example", "Standard", "B2B", "fr", "Oui", "", ""),
    ("C009", "TechParts GmbH", "Jonas Weber", "billing@techparts.example", "Stratégique", "B2B", "en", "Oui",
     "marc.leroy@example.fr", ""),
    ("C010", "Café de la Gare", "Marie Blanc", "cafe.gare@mail.example", "Standard", "B2B", "fr", "Oui", "", ""),
]


def reference_day(today: date) -> date:
    """The next French business day from `today` (the demo must send something)."""
    import holidays
    fr = holidays.country_holidays("FR")
    day = today
    while day.weekday() >= 5 or day in fr:
        day += timedelta(days=1)
    return day


def sample_rows(ref: date, tz: str = "Europe/Paris") -> dict[str, list[dict]]:
    """Rows for each tab, keyed by schema column keys."""
    zone = ZoneInfo(tz)

    def j(days: int) -> date:
        return ref + timedelta(days=days)

    def at(days: int) -> datetime:
        return datetime.combine(j(days), time(9, 30), tzinfo=zone)

    invoices: list[dict] = []

    def inv(number: str, client: str, due_in: int, amount, **extra) -> None:
        invoices.append({"invoice": number, "client": client, "issued": j(due_in - 30), "due": j(due_in),
                         "amount": D(str(amount)), "currency": "EUR",
                         "payment_link": f"https://pay.example.fr/{number}", **extra})

    inv("F2026-101", "C001", 3, "1250.00")                       # pré-relance (J-3)
    inv("F2026-102", "C002", -1, "480.50")                       # relance amiable (J+1)
    inv("F2026-103", "C003", -16, "8900.00")                     # strategic: renforcée is a task for the account manager
    inv("F2026-104", "C004", -2, "2300.00")                      # English, amiable
    inv("F2026-105", "C005", -10, "189.90")                      # consumer, renforcée (no 40 €)
    inv("F2026-106", "C006", -20, "950.00")                      # client opted out
    inv("F2026-107", "C007", -3, "610.00")                       # client without email
    inv("F2026-108", "C008", -33, "1740.00")                     # demeure waiting for approval
    inv("F2026-109", "C010", -35, "2200.00")                     # demeure approved -> sent
    inv("F2026-110", "C009", -50, "12400.00")                    # recouvrement task
    inv("F2026-111", "C001", -12, "300.00", paid=D("300.00"), paid_on=j(-2), status="Payée")
    inv("F2026-112", "C002", -15, "1000.00", paid=D("400.00"), paid_on=j(-6))  # partial: remind the rest
    inv("F2026-113", "C002", -4, "220.00")                       # same client: consolidated with 112
    inv("F2026-114", "C002", -60, "150.00")                      # found 60 days late: amiable, not demeure
    inv("F2026-115", "C008", -5, "400.00", status="Litige", notes="Conteste la livraison du 12")
    inv("F2026-116", "C004", -25, "700.00", status="Pause")
    inv("F2026-117", "C008", -40, "3000.00", status="Échéancier")  # payment plan: instalment n°2 reminder
    inv("F2026-118", "C001", -18, "90.00", status="Annulée")
    inv("F2026-119", "C005", -3, "75.00", paid=D("20.00"), paid_on=ref)  # payment today: no reminder
    inv("F2026-120", "C003", 20, "5600.00")                      # not due yet: nothing
    inv("F2026-121", "C009", -3, "3100.00")                      # strategic (amiable at J+3), English, manager in Cc
    inv("F2026-130", "C001", -10, "640.00")                      # promise to pay logged: paused
    inv("F2026-122", "C001", 12, "430.00")                       # pré-relance later
    inv("F2026-123", "C010", -8, "560.00")                       # joins the formal notice message
    inv("F2026-124", "C004", 4, "1200.00")                       # due in 4 days: a pre line in C004's message
    inv("F2026-125", "C008", 30, "880.00")                       # future
    # bad rows, as staff really type them
    invoices.append({"invoice": "F2026-126", "client": "C001", "issued": j(-40), "due": "31/02/2026",
                     "amount": D("500"), "currency": "EUR"})
    invoices.append({"invoice": "F2026-127", "client": "C002", "issued": j(-30), "due": j(-2),
                     "amount": "-120,00 €", "currency": "EUR"})
    invoices.append({"invoice": "F2026-128", "client": "C099", "issued": j(-30), "due": j(-2),
                     "amount": "1 234,56 €", "currency": "EUR"})
    inv("F2026-129", "C010", -3, "99.00")
    invoices.append({"invoice": "F2026-129", "client": "C010", "issued": j(-20), "due": j(10),
                     "amount": D("99.00"), "currency": "EUR"})
    # settled after reminders: what the stage-effectiveness table of Synthèse measures
    inv("F2026-131", "C004", -30, "850.00", paid=D("850.00"), paid_on=j(-25), status="Payée")   # 4 days after amiable
    inv("F2026-132", "C001", -40, "1100.00", paid=D("1100.00"), paid_on=j(-22), status="Payée")  # promise kept

    journal = [
        # what earlier runs did (the journal is the source of truth)
        _sent(at(-11), "F2026-111", "C001", "amiable", "2026-x/C001/amiable-111"),  # then paid: amicable recovery
        _sent(at(-13), "F2026-103", "C003", "amiable", "2026-x/C003/amiable"),
        _sent(at(-9), "F2026-130", "C001", "amiable", "2026-x/C001/amiable"),
        {"timestamp": at(-3), "invoice": "F2026-130", "client": "C001", "channel": "téléphone", "status": jr.MANUAL,
         "author": "Julie (compta)", "comment": f"Promesse de paiement {j(4):%d/%m}"},
        _sent(at(-25), "F2026-105", "C005", "amiable", "2026-x/C005/amiable"),
        _sent(at(-32), "F2026-108", "C008", "amiable", "2026-x/C008/amiable"),
        _sent(at(-25), "F2026-108", "C008", "renforcee", "2026-x/C008/renforcee"),
        _sent(at(-34), "F2026-109", "C010", "amiable", "2026-x/C010/amiable"),
        _sent(at(-27), "F2026-109", "C010", "renforcee", "2026-x/C010/renforcee"),
        _sent(at(-49), "F2026-110", "C009", "amiable", "2026-x/C009/amiable"),
        _sent(at(-42), "F2026-110", "C009", "renforcee", "2026-x/C009/renforcee"),
        _sent(at(-20), "F2026-110", "C009", "demeure", "2026-x/C009/demeure"),
        _sent(at(-14), "F2026-112", "C002", "amiable", "2026-x/C002/amiable"),
        _sent(at(-7), "F2026-112", "C002", "renforcee", "2026-x/C002/renforcee"),
        _sent(at(-7), "F2026-123", "C010", "amiable", "2026-x/C010/amiable-2"),
        _sent(at(-29), "F2026-131", "C004", "amiable", "2026-x/C004/amiable-131"),
        _sent(at(-39), "F2026-132", "C001", "amiable", "2026-x/C001/amiable-132"),
        _sent(at(-32), "F2026-132", "C001", "renforcee", "2026-x/C001/renforcee-132"),
        {"timestamp": at(-30), "invoice": "F2026-132", "client": "C001", "channel": "téléphone", "status": jr.MANUAL,
         "author": "Julie (compta)", "comment": f"Promesse de paiement {j(-24):%d/%m}"},
        {"timestamp": at(-6), "invoice": "F2026-112", "client": "C002", "channel": "téléphone",
         "status": jr.MANUAL, "author": "Julie (compta)", "comment": "Appel : acompte de 400 € envoyé, solde fin de mois"},
    ]
    tasks = [
        {"created": j(-4), "client": "C010", "invoices": "F2026-109", "reason": "Mise en demeure à approuver : F2026-109",
         "assignee": "Julie (compta)", "action": "Vérifier le dossier puis mettre Approuvée = Oui", "approved": "Oui",
         "key": "T/F2026-109/demeure"},
    ]
    plans = [
        {"invoice": "F2026-117", "number": 1, "date": j(-40), "amount": D("1000"), "paid": "Oui"},
        {"invoice": "F2026-117", "number": 2, "date": j(-2), "amount": D("1000"), "paid": "Non"},
        {"invoice": "F2026-117", "number": 3, "date": j(20), "amount": D("1000"), "paid": "Non"},
    ]
    clients = [{"code": c[0], "name": c[1], "contact": c[2], "email": c[3], "segment": c[4], "kind": c[5],
                "language": c[6], "auto": c[7], "account_manager": c[8], "cc": c[9],
                "phone": "01 23 45 67 89", "address": f"{10 + i} avenue de la République, 69002 Lyon",
                "siren": f"{552100554 + i * 1111:09d}"} for i, c in enumerate(CLIENTS)]
    clients[6]["email"] = ""  # C007: the missing email case
    return {"Factures": invoices, "Clients": clients, "Journal": journal, "Tâches": tasks, "Échéanciers": plans}


def _sent(when: datetime, invoice: str, client: str, stage: str, key: str) -> dict:
    return {"timestamp": when, "invoice": invoice, "client": client, "stage": stage, "channel": "email",
            "recipient": "", "subject": f"Relance {invoice}", "status": jr.SENT, "key": key, "author": "bot"}


def sample_history(ref: date, tz: str = "Europe/Paris") -> tuple:
    """Invented Historique rows (slowly improving) so the demo's DSO chart has a trend: eleven weekly
    ones before the reference day and one on the business day before it, the demo job's "last run"."""
    from relance.dashboard.summary import DAY_STEP, HistoryRow, ratio
    rows = []
    days = [ref - timedelta(weeks=11 - i) for i in range(11)]
    days.append(ref - timedelta(days=1 if ref.weekday() else 3))  # the job "ran" on the previous business day
    for i, day in enumerate(days):
        outstanding, sales = D(52000) - 400 * i, D(47000) + 150 * i
        overdue = (outstanding * (D("0.86") - D("0.005") * i)).quantize(D("0.01"))
        rows.append(HistoryRow(
            day, datetime.combine(day, time(10, 0), tzinfo=ZoneInfo(tz)), outstanding, overdue,
            ratio(overdue, outstanding), sales, ratio(outstanding * 90, sales, DAY_STEP),
            ratio(overdue * 90, sales, DAY_STEP), D("14.0") - D("0.3") * i, D("0.400") + D("0.010") * i,
            D("0.550") + D("0.010") * i, 26 - i // 3, 20 - i // 3, 3, 5 + i % 3, 0, i % 2, 16, 5))
    return tuple(rows)


def prepare_demo(directory: Path, today: date | None = None):
    """Write config.toml and registre.xlsx into `directory`; return (policy, day, moment) to run.

    A folder we did not create is never wiped: the marker file tells ours apart."""
    from relance.adapters.backends.xlsx import create_workbook
    from relance.core.config import default_config_text, load_policy
    directory = Path(directory)
    marker = directory / ".relance-demo"
    if directory.exists() and any(directory.iterdir()) and not marker.exists():
        raise FileExistsError(f"{directory} existe et n'est pas un dossier de démo : choisissez --dir ailleurs.")
    if marker.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    marker.write_text("built by relance demo; safe to delete\n", encoding="utf-8")
    (directory / "config.toml").write_text(default_config_text(), encoding="utf-8")
    policy = load_policy(directory / "config.toml")
    day = reference_day(today or date.today())
    create_workbook(policy.resolve(policy.register.path), sample_rows(day, policy.schedule.timezone))
    from relance.adapters.backends import Changes
    from relance.adapters.backends.xlsx import XlsxBackend
    from relance.dashboard.summary_layout import historique_layout
    XlsxBackend(policy.resolve(policy.register.path)).apply(
        Changes(layouts=(historique_layout(sample_history(day, policy.schedule.timezone)),)))
    moment = datetime.combine(day, time(10, 0), tzinfo=ZoneInfo(policy.schedule.timezone))
    return policy, day, moment
