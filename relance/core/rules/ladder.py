"""The reminder ladder for one invoice: may it be chased, at which stage, on which day.

Never skip a stage: the next stage is the one after the highest already sent
(from the journal). Stages before the due date are courtesy notes, passed over
once the invoice is late. A stage's day is ``due + offset`` (offsets per segment,
see ``[segments]``), and never sooner after the previous stage than the ladder's
own spacing, so a late discovery catches up one stage at a time.

Humans take over where a robot would be wrong: the formal notice waits for
``Approuvée = Oui`` on its task; ``escalation.human_stage`` (renforcée) becomes a
task for the account manager for strategic clients and amounts from
``escalation.amount_threshold``; the collection stage is a task.

Example: J+8, B2B, 1 200 €, amiable sent at J+1 -> ``renforcee`` by email today;
the same at 8 000 € -> a task « Relance renforcée par le chargé de compte ».
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from relance.core import journal as jr
from relance.core import renumbering
from relance.core.actions import Line, NewTask
from relance.core.config import Stage
from relance.core.model import Client, Invoice
from relance.core.law.prescription import prescription_alert
from relance.core.rules import instalments, promises
from relance.core.rules.context import Context

STOP_STATUSES = {"Payée": "payée", "Annulée": "annulée", "Litige": "en litige", "Pause": "en pause",
                 "Échéancier": "sous échéancier"}


@dataclass(slots=True)
class Decision:
    """The per-invoice verdict before per-client rules apply."""

    invoice: Invoice
    due_stage: str | None = None
    next_stage: str | None = None
    next_day: date | None = None
    reason: str = ""
    alerts: list[str] = field(default_factory=list)
    tasks: list[NewTask] = field(default_factory=list)
    plan_lines: list[Line] = field(default_factory=list)  # instalment lines, when on a payment plan


def fmt_day(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def stop_reason(invoice: Invoice, client: Client, today: date, *, plan_resumed: bool = False,
                min_amount: Decimal = Decimal(0)) -> str:
    if invoice.status in STOP_STATUSES and not (plan_resumed and invoice.status == "Échéancier"):
        return STOP_STATUSES[invoice.status]
    if invoice.remaining <= 0:
        return "payée"
    if not client.auto:
        return "relances auto désactivées pour ce client"
    if invoice.paid_on == today:
        return "paiement reçu aujourd'hui"
    if invoice.remaining < min_amount:
        return f"solde de {invoice.remaining} € sous le minimum de relance ({min_amount} €)"
    return ""


def unknown_stage_alert(names: set[str]) -> str:
    """A journal row names a stage config.toml no longer knows (renamed key): resending would repeat a
    reminder the client already had, so the invoice waits until the rename is declared."""
    quoted = ", ".join(f"« {n} »" for n in sorted(names))
    example = ", ".join(f'"{n}"' for n in sorted(names))
    return (f"Journal : étape {quoted} inconnue de config.toml ; si une étape a été renommée, ajoutez "
            f"aliases = [{example}] à cette étape dans [[stages]] (rien n'est envoyé pour cette facture d'ici là)")


def _direct_debit(ctx: Context, invoice: Invoice, client: Client, decision: Decision) -> bool:
    """Direct-debit clients: no pre-reminder; reminders only once the debit is known to have failed."""
    if not client.direct_debit or invoice.status == "Prélèvement rejeté":
        return False
    late = (ctx.today - invoice.due).days
    decision.reason = "prélèvement automatique : pas de relance" + (" (échéance dépassée)" if late > 0 else "")
    if late > ctx.policy.policy.direct_debit_grace_days:
        decision.alerts.append(f"prélèvement : aucun paiement enregistré {late} jours après l'échéance "
                               f"(rejet ? mettez Statut = Prélèvement rejeté pour relancer)")
    return True


MASCULINE_HEADS = frozenset({"dossier", "appel", "rappel", "courrier", "envoi", "contentieux", "recouvrement",
                             "avis", "dernier", "premier", "second", "deuxième"})


def planned(label: str) -> str:
    """« prévue » or « prévu », agreeing with the label's first word (« Relance amiable prévue »,
    « Dossier de recouvrement prévu »); labels are staff-named, so unknown heads keep the feminine
    of every default stage but one."""
    head = label.split()[0].casefold() if label.split() else ""
    return "prévu" if head in MASCULINE_HEADS else "prévue"


def next_stage(ctx: Context, invoice: Invoice, history: jr.History, segment: str) -> tuple[Stage, date] | None:
    """The stage after the highest one sent, and the first business day it may go."""
    stages, policy = ctx.policy.stages, ctx.policy
    index = ctx.stage_pos[history.stage] + 1 if history.stage in ctx.stage_pos else 0
    while index < len(stages) and policy.offset(stages[index], segment) <= 0 and ctx.today > invoice.due:
        index += 1
    if index >= len(stages):
        return None
    stage = stages[index]
    offset = policy.offset(stage, segment)
    day = invoice.due + timedelta(days=offset)
    if history.stage_day and history.stage in ctx.stage_pos:
        previous = policy.offset(stages[ctx.stage_pos[history.stage]], segment)
        gap = offset - previous if previous > 0 else 1
        day = max(day, history.stage_day + timedelta(days=gap))
    return stage, ctx.calendar.next_business_day(day)


def _by_a_human(ctx: Context, invoice: Invoice, client: Client, stage: Stage) -> bool:
    escalation = ctx.policy.escalation
    if stage.key != escalation.human_stage:
        return False
    strategic = client.segment == "Stratégique" and escalation.strategic_to_account_manager
    return strategic or invoice.remaining >= escalation.amount_threshold


def _payment_plan(ctx: Context, decision: Decision) -> bool:
    """Apply the plan rules; True when the plan (not the ladder) governs the invoice today."""
    invoice = decision.invoice
    if not ctx.instalments.get(invoice.number):
        if invoice.status == "Échéancier":
            decision.alerts.append("Statut Échéancier sans échéance dans l'onglet Échéanciers")
        return False
    review = instalments.review(ctx, invoice)
    decision.alerts.extend(review.alerts)
    decision.tasks.extend(review.tasks)
    if review.missed and ctx.policy.payment_plans.resume_ladder_on_missed:
        decision.alerts.append("échéancier non respecté : l'échelle de relance reprend sur le solde")
        decision.invoice = instalments.settled(invoice, ctx.instalments[invoice.number])  # paid ones deducted
        return False
    decision.plan_lines = review.lines if ctx.business_today else []
    decision.reason = "échéancier : " + (", ".join(f"{ctx.policy.label(l.stage)} n°{l.instalment.number}"
                                                  for l in decision.plan_lines) or review.next_text or "à jour")
    return True


def decide(ctx: Context, invoice: Invoice) -> Decision:
    decision = Decision(invoice, alerts=list(ctx.alerts.get(invoice.number, ())))
    client = ctx.register.clients[invoice.client]
    if late := prescription_alert(invoice, client, ctx.today, ctx.policy.penalties.prescription_warning_days):
        decision.alerts.append(late.alert)  # before the stop checks: disputed or paused claims prescribe too
        if late.task_key not in ctx.task_keys:
            decision.tasks.append(NewTask(late.task_key, client.code, (invoice.number,), late.reason, late.action))
    if not invoice.closed and _payment_plan(ctx, decision):
        return decision
    invoice = decision.invoice  # a broken payment plan: what remains after the paid instalments
    resumed = bool(ctx.instalments.get(invoice.number))
    stop = stop_reason(invoice, client, ctx.today, plan_resumed=resumed, min_amount=ctx.policy.policy.min_amount)
    if stop:
        decision.reason = stop
        return decision
    if hold := ctx.register.holds.get(invoice.number):  # a bank credit may have paid it: a human decides
        decision.reason = hold
        return decision
    replied = ctx.replied.get(invoice.client)
    if replied and ctx.today < replied.date() + timedelta(days=ctx.policy.listen.pause_after_reply_days):
        until = replied.date() + timedelta(days=ctx.policy.listen.pause_after_reply_days)
        decision.reason = f"le client a répondu le {fmt_day(replied.date())} : pas de relance avant le {fmt_day(until)}"
        return decision
    if _direct_debit(ctx, invoice, client, decision):
        return decision
    if unknown := ctx.journal.unknown.get(invoice.number):
        decision.alerts.append(unknown_stage_alert(unknown))
        decision.reason = "étape du Journal inconnue de config.toml : aucune relance avant correction (voir Alerte)"
        return decision
    if old := ctx.renumbered.get(invoice.number):  # its history may be under its old number: a human says
        before = ctx.journal.history(old)
        decision.alerts.append(renumbering.alert(old, ctx.labels.get(before.stage, before.stage), before.stage_day))
        decision.reason = f"numéro changé ? (ancien numéro {old}) : aucune relance avant vérification (voir Alerte)"
        return decision
    if held := ctx.journal.uncertain.get(invoice.number):  # never a second copy, never counted as sent
        decision.reason = f"envoi incertain ({held}) : relances suspendues jusqu'à vérification (onglet Tâches)"
        decision.alerts.append(f"envoi incertain {held} : vérifiez s'il a été reçu, puis mettez Statut = envoyé "
                               f"(reçu) ou failed (à renvoyer) sur ses lignes « incertain » du Journal")
        return decision
    refused = ctx.journal.refusal(client.code, client.email)
    emailable = bool(client.email) and not refused
    if refused:  # a 5xx to RCPT: not retried daily; letters until Clients holds another address
        decision.alerts.append(f"adresse refusée par le serveur : {client.email} ({refused}) ; relances par "
                               f"courrier tant que l'email n'est pas corrigé dans Clients")
        key = jr.task_key(f"{client.code}:{client.email.strip().casefold()}", "adresse refusée")
        if key not in ctx.task_keys:
            decision.tasks.append(NewTask(key, client.code, (invoice.number,),
                                          f"Adresse refusée par le serveur : {client.email} ({client.code})",
                                          "Corriger l'email du client dans l'onglet Clients ; en attendant, les "
                                          "relances partent par courrier", ctx.assignee(client.code)))
    elif not client.email:
        decision.alerts.append(f"client {client.code} sans email valide : relances par courrier ou téléphone")
    promise = promises.latest_promise(ctx, invoice)
    if promise and promise.unclear:  # a promise whose date was not read for sure: a human looks first
        decision.alerts.append(promise.unclear)
        decision.reason = "promesse de paiement sans date sûre : pas de relance avant vérification (Journal)"
        return decision
    if promise and ctx.today <= promise.until:
        decision.reason = (f"promesse de paiement au {fmt_day(promise.promised)} : "
                           f"pas de relance jusqu'au {fmt_day(promise.until)}")
        return decision
    if promise:
        decision.alerts.append(f"promesse de paiement du {fmt_day(promise.promised)} non tenue")
    history = ctx.journal.history(invoice.number)
    found = next_stage(ctx, invoice, history, client.segment)
    if found is None:
        decision.reason = "échelle de relance terminée"
        return decision
    stage, day = found
    decision.next_stage, decision.next_day = stage.key, day
    if day > ctx.today or not ctx.business_today:
        decision.reason = (f"{stage.label} {planned(stage.label)} le "
                           f"{fmt_day(max(day, ctx.calendar.next_business_day(ctx.today)))}")
        return decision
    key = jr.task_key(invoice.number, stage.key)
    if stage.channel == "task" or _by_a_human(ctx, invoice, client, stage):
        who = "le chargé de compte" if client.account_manager else "un humain"
        action = (f"Transmettre le dossier au recouvrement (relance dossier {client.code})" if stage.channel == "task"
                  else "Appeler le client et obtenir une date de paiement ; noter l'échange dans le Journal")
        decision.tasks.append(NewTask(key, client.code, (invoice.number,), f"{stage.label} par {who} : "
                                      f"{invoice.number}", action, ctx.assignee(client.code), stage=stage.key))
        decision.reason = f"{stage.label} : tâche pour {who}"
        return decision
    if stage.requires_approval and key not in ctx.approved:
        if key not in ctx.task_keys:
            decision.tasks.append(NewTask(key, client.code, (invoice.number,),
                                          f"{stage.label} à approuver : {invoice.number}",
                                          "Vérifier le dossier puis mettre Approuvée = Oui", ctx.assignee(client.code)))
        decision.reason = f"{stage.label} en attente d'approbation (onglet Tâches)"
        return decision
    if not emailable:
        why = "adresse refusée" if refused else "pas d'email"
        decision.tasks.append(NewTask(key, client.code, (invoice.number,), f"{stage.label} à faire par courrier "
                                      f"ou téléphone ({why}) : {invoice.number}",
                                      "Appeler le client ou poster la lettre du dossier letters/",
                                      ctx.assignee(client.code), stage=stage.key, letter=True))
        decision.reason = f"{stage.label} : {why}, tâche appel ou courrier"
        return decision
    decision.due_stage = stage.key
    return decision
