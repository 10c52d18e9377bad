"""Realistic registers from a seed: a mix of segments, stages, payments and bad rows.

Shape (per 1 000 invoices): ~1 client per 8 invoices; 60 % paid (Statut Payée or fully
paid), 10 % partly paid, 5 % disputed/paused/cancelled, 2 % payment plans; due dates
spread over the last 150 days and the next 30; a journal of what earlier runs sent
(about 1.5 rows per open late invoice) plus manual calls, and the bot columns Étape,
Dernière relance, Relances envoyées as that journal leaves them; 0.5 % bad rows (garbage
date, negative amount, unknown client, duplicated number).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
SEGMENTS = ["Standard"] * 7 + ["Stratégique"] + ["Particulier"] * 2
STAGES = [("amiable", 1), ("renforcee", 8), ("demeure", 30)]
LABELS = {"amiable": "Relance amiable", "renforcee": "Relance renforcée", "demeure": "Mise en demeure"}


def rows(n: int, today: date, seed: int = 7) -> dict[str, list[dict]]:
    """Rows keyed by schema column keys for each tab (what create_workbook and the fake Sheets take)."""
    rng = random.Random(seed)
    n_clients = max(1, n // 8)
    clients = []
    for c in range(n_clients):
        segment = rng.choice(SEGMENTS)
        clients.append({"code": f"C{c:06d}", "name": f"Client {c}", "contact": f"Contact {c}",
                        "email": f"client{c}@example.com" if rng.random() > 0.01 else "",
                        "language": "en" if rng.random() < 0.1 else "fr", "segment": segment,
                        "kind": "B2C" if segment == "Particulier" else "B2B",
                        "account_manager": "am@example.fr" if segment == "Stratégique" else "",
                        "auto": "Non" if rng.random() < 0.02 else "Oui",
                        "address": f"{c} rue de la République, 69002 Lyon", "siren": f"{100000000 + c}"})
    invoices, journal, plans = [], [], []
    for i in range(n):
        number = f"F{i:07d}"
        client = f"C{rng.randrange(n_clients):06d}"
        due = today + timedelta(days=rng.randint(-150, 30))
        amount = Decimal(rng.randint(50, 20_000)) + Decimal(rng.randint(0, 99)) / 100
        row = {"invoice": number, "client": client, "issued": due - timedelta(days=30), "due": due,
               "amount": amount, "currency": "EUR", "payment_link": f"https://pay.example/{number}"}
        roll = rng.random()
        if roll < 0.6:
            row.update(paid=amount, paid_on=due + timedelta(days=rng.randint(-10, 40)), status="Payée")
        elif roll < 0.7:
            row.update(paid=(amount / 3).quantize(Decimal("0.01")), paid_on=due + timedelta(days=rng.randint(0, 20)))
        elif roll < 0.75:
            row["status"] = rng.choice(["Litige", "Pause", "Annulée"])
        elif roll < 0.77:
            row["status"] = "Échéancier"
            for k in range(3):
                plans.append({"invoice": number, "number": k + 1, "date": due + timedelta(days=30 * k),
                              "amount": (amount / 3).quantize(Decimal("0.01")), "paid": "Oui" if k == 0 else "Non"})
        late = (today - due).days
        if roll >= 0.6 and late > 1:
            sent = []
            for stage, offset in STAGES:
                if late > offset + rng.randint(0, 5) and rng.random() < 0.8:
                    when = datetime.combine(due + timedelta(days=offset), time(9, 30), tzinfo=PARIS)
                    sent.append((stage, when))
                    journal.append({"timestamp": when, "invoice": number, "client": client, "stage": stage,
                                    "channel": "email", "status": "sent", "key": f"{when.date()}/{client}/{stage}",
                                    "message_id": f"<{number}.{stage}@bench>", "author": "bot"})
            if sent:  # the bot columns as the last run left them (what the naive script reads)
                row.update(stage=LABELS[sent[-1][0]], last_reminder=f"{sent[-1][1]:%Y-%m-%d %H:%M}",
                           reminders_sent=len(sent))
            if rng.random() < 0.1:
                journal.append({"timestamp": datetime.combine(today - timedelta(days=rng.randint(1, 20)), time(11),
                                                              tzinfo=PARIS),
                                "invoice": number, "client": client, "channel": "téléphone", "status": "manual",
                                "author": "Julie", "comment": "Appel client"})
        if rng.random() < 0.005:  # unreadable date, negative amount, unknown client, number typed twice
            column, value = rng.choice([("due", "31/02/2026"), ("amount", "-12,00"), ("client", "C-UNKNOWN"),
                                        ("invoice", f"F{max(i - 1, 0):07d}")])
            row[column] = value
        invoices.append(row)
    return {"Factures": invoices, "Clients": clients, "Journal": journal, "Tâches": [], "Échéanciers": plans}


def register(n: int, today: date, seed: int = 7):
    """The same data as a parsed `Register` (no file), for planner timings."""
    from relance.core.model import RawTab
    from relance.core.parse import parse_register
    from relance.core.schema import TABS
    data = rows(n, today, seed)
    tabs = {}
    for tab in TABS:
        if tab.name in data:
            tabs[tab.name] = RawTab(tab.name, [tab.headers] + [[r.get(c.key) for c in tab.columns]
                                                               for r in data[tab.name]])
    return parse_register(tabs)
