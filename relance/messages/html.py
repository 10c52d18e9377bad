"""What the HTML part needs beyond the wording: totals per currency, inlined CSS, inline images.

Why here and not in the templates: mail clients (Gmail, Outlook) drop ``<style>`` blocks
or parts of them, so the CSS written once in ``_email.html.j2`` is copied onto each tag
at render time by `css-inline` (remote stylesheets never loaded: a message must not
fetch anything). Images are never remote either: the company logo from ``[company]
logo`` and the EPC (SEPA transfer) QR code travel inside the message as
``multipart/related`` parts and are referenced by ``cid:``; there is no tracking pixel.

Totals are per currency and never summed across currencies: an invoice in USD and one
in EUR give two total lines.
"""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping

import css_inline

from relance.core.config import Policy
from relance.core.money import totals as currency_totals

LOGO_CID = "logo@relance"
QR_CID = "qr-virement@relance"
EPC_MAX = Decimal("999999999.99")  # EPC069-12: largest amount a transfer QR may carry
_INLINER = css_inline.CSSInliner(keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False)


@dataclass(frozen=True, slots=True)
class InlineImage:
    """An image shown in the HTML part, carried by the message (``cid:`` reference)."""
    cid: str
    content: bytes
    mimetype: str = "image/png"
    filename: str = ""


def totals_of(lines: Iterable[Mapping]) -> list[dict]:
    """Remaining amount per currency, [{"currency", "amount"}] (core.money.totals: the one rule)."""
    return [{"currency": c, "amount": a} for c, a in currency_totals((l["currency"], l["remaining"]) for l in lines)]


def inline_css(html: str) -> str:
    """Copy the ``<style>`` rules onto each tag; only the dark-mode ``@media`` rules stay in a ``<style>``."""
    return _INLINER.inline(html).replace("&nbsp;", "\xa0")  # the inliner writes entities; keep UTF-8 text


def logo_image(policy: Policy) -> InlineImage | None:
    """The ``[company] logo`` file as an inline image; None when unset or unreadable (`check` reports it)."""
    if not policy.company.logo:
        return None
    path = policy.resolve(policy.company.logo)
    try:
        content = path.read_bytes()
    except OSError:
        return None
    return InlineImage(LOGO_CID, content, mimetypes.guess_type(path.name)[0] or "image/png", path.name)


def check_logo(policy: Policy) -> str:
    """'' when the logo is fine or unset, else a French sentence for `relance check`."""
    if not policy.company.logo:
        return ""
    path = policy.resolve(policy.company.logo)
    if not path.is_file():
        return f"[company] logo : fichier introuvable « {path} »"
    kind = mimetypes.guess_type(path.name)[0] or ""
    if kind not in ("image/png", "image/jpeg", "image/gif"):
        return f"[company] logo : « {path.name} » doit être une image PNG, JPEG ou GIF"
    return ""


def transfer(policy: Policy, lines: list[Mapping]) -> tuple[dict | None, InlineImage | None]:
    """IBAN/BIC block for the template, and the EPC QR code when it can carry the amount.

    None when ``[company] iban`` is empty or fails its checksum. The QR is made only for euro amounts (EPC QR codes
    are SEPA, euro only) and carries the invoice numbers as the transfer's text, so the
    payment can be matched without a phone call."""
    from relance.core.iban import format_iban, iban_problems
    company = policy.company
    if not company.iban or iban_problems(company.iban, company.bic):
        return None, None  # a wrong account is never printed: `relance check` says what to fix
    numbers = list(dict.fromkeys(line["number"] for line in lines))
    reference = " ".join(numbers)
    if len(reference) > 140:
        reference = reference[:137].rsplit(" ", 1)[0] + " …"
    info = {"holder": company.name, "iban": format_iban(company.iban), "bic": company.bic, "reference": reference,
            "qr_cid": ""}
    totals = totals_of(lines)
    if len(totals) != 1 or totals[0]["currency"] != "EUR" or not Decimal("0.01") <= totals[0]["amount"] <= EPC_MAX:
        return info, None
    png = epc_qr_png(policy, totals[0]["amount"], reference)
    return {**info, "qr_cid": QR_CID}, InlineImage(QR_CID, png, "image/png", "virement-qr.png")


def epc_qr_png(policy: Policy, amount: Decimal, reference: str, scale: int = 4) -> bytes:
    """The EPC ("SEPA credit transfer") QR code as PNG bytes."""
    import segno.helpers
    from relance.core.iban import compact
    company = policy.company
    qr = segno.helpers.make_epc_qr(name=company.name[:70], iban=compact(company.iban), amount=amount,
                                  text=reference, bic=compact(company.bic) or None)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def used_images(html: str, images: Iterable[InlineImage | None]) -> tuple[InlineImage, ...]:
    """The images the HTML actually shows (a staff template may leave the logo out)."""
    return tuple(i for i in images if i is not None and f"cid:{i.cid}" in html)
