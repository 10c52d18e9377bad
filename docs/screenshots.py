"""Pictures of what clients and managers see, rebuilt from the demo so they stay true.

    python docs/screenshots.py            # writes docs/img/*.png

Needs, besides relance: ``chromium`` (``apt-get install -y chromium``), ``pdftoppm``
(poppler-utils) and LibreOffice (``soffice``). Offline: Chromium runs headless with a
fresh profile and background networking off; the emails contain no remote resource
anyway (their inline images are turned into data: URIs for the browser only).

What it makes:
- ``email-<stage>-<fr|en>.png``: the HTML part of each email stage, for a client of the
  demo register, with a sample IBAN so the transfer block and its QR code show;
- ``lettre-mise-en-demeure.png``: page 1 of a formal-notice letter (pdftoppm);
- ``synthese.png``: the Synthèse tab after the demo run (LibreOffice -> PDF -> PNG).
The PNGs are palette-quantised to stay small in git.
"""

from __future__ import annotations

import base64
import dataclasses
from decimal import Decimal
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

from relance.adapters.backends import open_backend
from relance.core.actions import INSTALMENT_DUE, INSTALMENT_PRE, Line, Reminder
from relance.core.config import load_policy
from relance.core.model import Instalment
from relance.core.parse import parse_register
from relance.documents.letters import formal_notice
from relance.messages.render import Renderer

OUT = Path(__file__).resolve().parent / "img"
SAMPLE_IBAN, SAMPLE_BIC = "FR76 3000 6000 0112 3456 7890 189", "BNPAFRPP"  # a published example account
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1"]


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> None:
    subprocess.run(args, check=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180,
                   env={**os.environ, **(env or {})})


def small_png(source: Path, target: Path, trim: bool = True, width: int | None = None) -> None:
    """Trim the blank margin at the bottom/right, optionally scale, quantise to 64 colours."""
    image = Image.open(source).convert("RGB")
    if trim:
        background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
        box = ImageChops.difference(image, background).getbbox()
        if box:
            image = image.crop((0, 0, min(image.width, box[2] + 16), min(image.height, box[3] + 16)))
    if width and image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def browser_html(message) -> str:
    """The HTML part with its cid: images as data: URIs (browsers cannot resolve cid:)."""
    html = message.html
    for image in message.inline:
        data = base64.b64encode(image.content).decode("ascii")
        html = html.replace(f"cid:{image.cid}", f"data:{image.mimetype};base64,{data}")
    return html


def screenshot(html: str, target: Path, work: Path) -> None:
    page = work / (target.stem + ".html")
    page.write_text(html, encoding="utf-8")
    raw = work / (target.stem + ".raw.png")
    profile = tempfile.mkdtemp(prefix="chromium-", dir=work)
    run(shutil.which("chromium") or "chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
        "--window-size=680,2000", f"--screenshot={raw}", page.as_uri())
    small_png(raw, target)


def reminders(register, policy, day):
    """One reminder per email stage, on the demo's clients and invoices (the first open ones)."""
    open_invoices = [i for i in register.invoices if i.remaining > 0 and not i.status]
    late = [i for i in open_invoices if i.days_late(day) > 0]
    client = register.clients[late[0].client]
    overdue = [i for i in late if i.client == client.code][:2]
    soon = [i for i in open_invoices if i.days_late(day) < 0][:1]
    stages = [s.key for s in policy.stages if s.channel != "task"] + [INSTALMENT_PRE, INSTALMENT_DUE]
    for stage in stages:
        if stage in (INSTALMENT_PRE, INSTALMENT_DUE):
            inv = overdue[0]
            part = (inv.remaining / 3).quantize(Decimal("0.01"))
            lines = (Line(inv, stage, 2, Instalment(inv.number, 2, day, part)),)
        else:
            shown = (soon or overdue) if policy.stage(stage).offset_days < 0 else overdue
            client = register.clients[shown[0].client]
            lines = tuple(Line(i, stage, i.days_late(day)) for i in shown)
        yield stage, Reminder(f"screenshot/{stage}", client, stage, lines, (client.email,))


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="relance-shots-") as folder:
        work = Path(folder)
        demo = work / "demo"
        run(shutil.which("relance") or "relance", "demo", "--dir", str(demo))
        policy = load_policy(demo / "config.toml")
        policy = dataclasses.replace(policy, company=dataclasses.replace(
            policy.company, iban=SAMPLE_IBAN, bic=SAMPLE_BIC, signatory="Claire Dupont", signatory_title="Gérante",
            legal_form="SARL", capital="10 000 €", rcs="RCS Paris 123 456 789", vat="FR12123456789"))
        register, _ = parse_register(open_backend(policy).load(), policy.schedule.timezone)
        from relance.core.timing import local_today
        from datetime import datetime
        day = local_today(policy.schedule, datetime.now().astimezone())
        renderer = Renderer(policy)
        for stage, reminder in reminders(register, policy, day):
            for lang in ("fr", "en"):
                shown = dataclasses.replace(reminder, client=dataclasses.replace(reminder.client, language=lang))
                message = renderer.render(shown, day, datetime.now().astimezone())
                screenshot(browser_html(message), OUT / f"email-{stage}-{lang}.png", work)
                print(f"email-{stage}-{lang}.png")
        formal = [line.invoice for line in next(r for s, r in reminders(register, policy, day)).lines]
        letter = formal_notice(policy, register.clients[formal[0].client], formal, day)
        (work / "lettre.pdf").write_bytes(letter.content)
        run("pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(work / "lettre.pdf"), str(work / "lettre"))
        small_png(next(work.glob("lettre*.png")), OUT / "lettre-mise-en-demeure.png", trim=False)
        print("lettre-mise-en-demeure.png")
        synthese(demo / "registre.xlsx", work)
        print("synthese.png")
    return 0


def synthese(workbook_path: Path, work: Path) -> None:
    """The Synthèse tab alone, as LibreOffice prints it (other tabs hidden, charts kept)."""
    import openpyxl
    workbook = openpyxl.load_workbook(workbook_path)
    for sheet in workbook.worksheets:
        if sheet.title != "Synthèse":
            sheet.sheet_state = "hidden"
    workbook.active = workbook.sheetnames.index("Synthèse")
    synthese_sheet = workbook["Synthèse"]
    synthese_sheet.page_setup.orientation = "landscape"
    synthese_sheet.print_area = "A1:Q48"  # the figures, the aging table and the charts; definitions run on
    synthese_sheet.page_setup.fitToWidth, synthese_sheet.page_setup.fitToHeight = 1, 1
    synthese_sheet.sheet_properties.pageSetUpPr.fitToPage = True
    only = work / "synthese.xlsx"
    workbook.save(only)
    profile = (work / "lo-profile").as_uri()
    run("soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(work),
        str(only), env={"LC_ALL": "fr_FR.UTF-8", "LANG": "fr_FR.UTF-8"})  # French number formats, as staff see them
    run("pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", str(work / "synthese.pdf"), str(work / "synthese"))
    small_png(next(work.glob("synthese*.png")), OUT / "synthese.png", width=1100)


if __name__ == "__main__":
    sys.exit(main())
