"""Reminder -> Message, through staff-editable Jinja2 templates.

Templates live in ``templates/<lang>/<stage>.subject.j2`` and ``<stage>.txt.j2``
(optionally ``<stage>.html.j2``; otherwise ``_layout.html.j2`` turns the text into
the HTML part, so each wording exists once). The folder named by ``[paths]
templates`` in config.toml is searched first, the packaged defaults fill the gaps.

Safety: a `SandboxedEnvironment` with `StrictUndefined` (a typo in a template is an
error naming the file and line, never an empty hole in a letter to a client), and
autoescaping for HTML. Sheet values are passed as *data*: a client called
``{{ 7*7 }}`` is printed as those characters, never evaluated.

Money and dates are formatted by Babel in the client's language:
``1 234,56 €`` and ``25 novembre 2026`` in French, ``€1,234.56`` in English.

Amounts in different currencies are never added (`relance.core.money`): templates get
``totals``, one ``{currency, amount}`` per currency of the message (euros first), and the
filter ``per_currency(attribute)`` to total any list of invoice lines the same way, e.g.
``{% for t in invoices|per_currency("claimed") %}{{ t.amount|money(t.currency) }}{% endfor %}``.
``total`` and ``currency`` remain for staff templates written before, and are only set when
the message has a single currency (``total`` is None otherwise: formatting it is an error,
never a wrong sum).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.utils import formataddr, parseaddr
from functools import cached_property
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import (BytecodeCache, ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError,
                    TemplateNotFound)
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from relance.core import journal as jr
from relance.core import schema
from relance.defaults import default_path
from relance.core.law.claims import Claims, claim_lines
from relance.core.config import Policy
from relance.core.money import totals as currency_totals
from relance.messages.message import Message, one_line
from relance.core.actions import INSTALMENT_DUE, INSTALMENT_PRE, Reminder, stage_label as label
from relance.messages import html as email_html

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


class RenderError(Exception):
    """A template could not be rendered; the message names the file and line."""


def money(amount: Decimal, currency: str = "EUR", lang: str = "fr") -> str:
    return format_currency(amount, currency, locale=LOCALES.get(lang, "fr_FR"))


def long_date(day: date | None, lang: str = "fr") -> str:
    """``25 novembre 2026``; an empty date prints nothing (Babel would print *today* for None)."""
    if day is None or day == "":
        return ""
    return format_date(day, format="long", locale=LOCALES.get(lang, "fr_FR"))


def short_date(day: date | None, lang: str = "fr") -> str:
    """``25/11/2026``; an empty date prints nothing, never today's date."""
    if day is None or day == "":
        return ""
    return format_date(day, format="short" if lang == "en" else "dd/MM/yyyy", locale=LOCALES.get(lang, "fr_FR"))


def per_currency(items, attribute: str = "remaining") -> list[dict]:
    """Template filter: the invoice lines' `attribute` summed per currency, ``[{currency, amount}]``."""
    return [{"currency": code, "amount": amount}
            for code, amount in currency_totals((item["currency"], item[attribute]) for item in items)]


def nl2br(text: str) -> Markup:
    """Plain text -> HTML lines. Always escapes, even the output of a text-template macro
    (Jinja marks a macro's result safe when an HTML template calls it)."""
    return Markup("<br>\n").join(escape(line) for line in str.__str__(str(text)).split("\n"))


def as_text(value: str) -> Markup:
    """A text-template macro's output (greeting, signature) printed in HTML: escaped, never trusted."""
    return escape(str.__str__(str(value)))


def packaged_templates() -> Path:
    return default_path("templates")


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


class CompiledTemplates(BytecodeCache):
    """Compiled templates kept for the life of the process, shared by every `Renderer`.

    Compiling a template costs ~100 times more than rendering it, and `check`, `preview`, a run
    and a calendar each build their own renderer: without this, every one of them compiled the
    whole ladder again (1 200 compilations for 86 checks). Jinja checks each entry against the
    template's source (a checksum), so a template staff edit is compiled afresh; every renderer
    builds the same environment, so the compiled code is the same for all."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()


class Renderer:
    def __init__(self, policy: Policy):
        self.policy = policy
        search = [str(policy.resolve(policy.paths.templates)), str(packaged_templates())]
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(p) for p in search]),
            undefined=StrictUndefined,
            autoescape=lambda name: bool(name and name.endswith(".html.j2")),
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, bytecode_cache=COMPILED,
        )
        self.env.filters.update(money=money, long_date=long_date, short_date=short_date, nl2br=nl2br, text=as_text,
                                per_currency=per_currency)
        self.env.globals.update(totals_of=per_currency)

    def _render(self, name: str, context: dict) -> str:
        try:
            return self.env.get_template(name).render(context)
        except TemplateNotFound as exc:
            raise RenderError(f"modèle introuvable : {exc.name} (ni dans {self.policy.paths.templates}/ "
                              f"ni dans les modèles fournis)") from None
        except TemplateError as exc:
            raise RenderError(f"{_where(exc, name)}: {exc.message or exc}") from None
        except Exception as exc:  # a staff template's runtime error (1/0, a date minus nothing): this client only
            raise RenderError(f"{_where(exc, name)}: erreur dans le modèle : {type(exc).__name__}: {exc}") from None

    @cached_property
    def claims(self) -> Claims:
        """Penalties for the invoices of a message (rate table read once per renderer)."""
        return Claims(self.policy)

    def has(self, name: str) -> bool:
        try:
            self.env.get_template(name)
            return True
        except TemplateNotFound:
            return False
        except TemplateError:
            return True

    def _name(self, lang: str, stage: str, segment: str, part: str) -> str:
        """``fr/amiable.strategique.txt.j2`` when staff wrote one for the segment, else ``fr/amiable.txt.j2``."""
        if segment:
            specific = f"{lang}/{stage}.{schema.normalise(segment)}.{part}.j2"
            if self.has(specific):
                return specific
        return f"{lang}/{stage}.{part}.j2"

    def render_parts(self, lang: str, stage: str, context: dict) -> Rendered:
        lang = lang if lang in LOCALES else "fr"
        segment = context.get("client", {}).get("segment", "")
        subject = one_line(self._render(self._name(lang, stage, segment, "subject"), context))
        text = self._render(self._name(lang, stage, segment, "txt"), context).strip() + "\n"
        html_name = self._name(lang, stage, segment, "html")
        if self.has(html_name):
            html = email_html.inline_css(self._render(html_name, {**context, "subject": subject}))
        else:
            html = self._render(f"{lang}/_layout.html.j2", {**context, "subject": subject, "body": text})
        return Rendered(subject, text, html)

    def context(self, reminder: Reminder, today: date) -> dict:
        lang = reminder.client.language
        company = self.policy.company
        claims = [self.claims.claim(line.invoice, reminder.client, today) for line in reminder.lines]
        lines = [{
            "number": line.invoice.number, "issued": line.invoice.issued, "due": line.invoice.due,
            "amount": line.invoice.amount, "paid": line.invoice.paid, "remaining": line.remaining,
            "currency": line.invoice.currency, "days_late": line.days_late, "stage": line.stage,
            "payment_link": line.invoice.payment_link,
            "instalment": {"number": line.instalment.number, "due": line.instalment.due,
                           "amount": line.instalment.amount} if line.instalment else None,
            # late-payment interest + indemnity as of today: figures, and the lines that justify them
            "order_ref": line.invoice.order_ref, "note": line.invoice.client_note,
            "penalty_lines": claim_lines(claim, LOCALES.get(lang, "fr_FR")), "penalty": claim.extra,
            "claimed": claim.total, "penalty_pending": bool(claim.error),  # interest "à parfaire": no rate
        } for line, claim in zip(reminder.lines, claims)]
        totals = per_currency(lines)
        logo = email_html.logo_image(self.policy)
        transfer, qr = (None, None) if reminder.stage in (INSTALMENT_PRE, INSTALMENT_DUE) \
            else email_html.transfer(self.policy, lines)
        stage_config = next((s for s in self.policy.stages if s.key == reminder.stage), None)
        return {
            "company": {"name": company.name, "siren": company.siren, "address": company.address,
                        "email": company.email, "phone": company.phone, "city": company.city,
                        "logo_cid": logo.cid if logo else ""},
            "transfer": transfer, "terms": getattr(stage_config, "terms", ""),
            "inline_images": (logo, qr),
            "client": {"code": reminder.client.code, "name": reminder.client.display_name,
                       "contact": reminder.client.contact, "segment": reminder.client.segment,
                       "b2b": reminder.client.b2b, "language": lang},
            "stage": reminder.stage, "stage_label": label(self.policy, reminder.stage),
            "channel": next((s.channel for s in self.policy.stages if s.key == reminder.stage), "email"),
            "invoices": lines, "invoice": lines[0], "count": len(lines),
            "totals": totals,  # one {currency, amount} per currency: never added across currencies
            "total": totals[0]["amount"] if len(totals) == 1 else None,
            "currency": totals[0]["currency"] if len(totals) == 1 else "",
            "payment_link": next((l["payment_link"] for l in lines if l["payment_link"]), ""),
            "today": today, "deadline": today + timedelta(days=self.policy.penalties.notice_deadline_days),
            "lang": lang,
            "paper": False,  # True when the words go on a letter (documents/postal.py): no "reply to this email"
            "indemnity": self.policy.penalties.fixed_indemnity_eur,
        }

    def render(self, reminder: Reminder, today: date, now: datetime) -> Message:
        context = self.context(reminder, today)
        parts = self.render_parts(reminder.client.language, reminder.stage, context)
        domain = self.policy.company.email.rpartition("@")[2]
        message = Message(
            key=reminder.key, message_id=jr.message_id(reminder.key, domain), sender=sender(self.policy),
            to=reminder.to, cc=reminder.cc, reply_to=self.policy.company.email, subject=parts.subject,
            text=parts.text, html=parts.html, date=now,
            in_reply_to=reminder.references[-1] if reminder.references else "",
            references=reminder.references, client=reminder.client.code, invoices=reminder.invoices,
            stage=reminder.stage, inline=email_html.used_images(parts.html, context["inline_images"]))
        return replace(message, subject="[TEST] " + message.subject) if reminder.test else message


def sender(policy: Policy) -> str:
    """``[mail] from``, with the company name shown when it gives only an address."""
    name, address = parseaddr(policy.mail.sender)
    return policy.mail.sender if name or not address else formataddr((policy.company.name, address))


def _where(exc: Exception, name: str) -> str:
    """``fr/amiable.txt.j2:12`` from a Jinja error, syntax or runtime."""
    jinja = isinstance(exc, TemplateError)  # other exceptions may have unrelated .name/.lineno attributes
    lineno = getattr(exc, "lineno", None) if jinja else None
    filename = (getattr(exc, "name", None) if jinja else None) or name
    if lineno is None:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith(".j2"):
                filename, lineno = Path(frame.filename).name, frame.lineno
                parent = Path(frame.filename).parent.name
                filename = f"{parent}/{filename}"
                break
    return f"{filename}:{lineno}" if lineno else filename
