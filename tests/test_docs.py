"""The documentation stays true to itself: a short README, no link leaving the repository, no dead link."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_the_readme_fits_on_two_screens():
    assert len((ROOT / "README.md").read_bytes()) <= 8 * 1024


def test_no_document_links_outside_the_repository_and_every_link_resolves():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            assert not re.match(r"[a-z]+:", target), f"{doc.name}: link leaves the repository: {target}"
            path = (doc.parent / target.split("#")[0]).resolve()
            assert path.exists(), f"{doc.name}: dead link {target}"


def test_the_office_guide_is_in_french_and_covers_the_everyday_gestures():
    guide = (ROOT / "docs" / "guide-bureau.md").read_text(encoding="utf-8")
    for gesture in ("Saisir un paiement", "Noter un appel", "promesse", "Approuver une mise en demeure",
                    "Encaissements à jour au"):
        assert gesture in guide, gesture
