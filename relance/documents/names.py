"""File names for what relance produces (letters, dossiers, .eml, invoice PDFs). Pure.

Kept apart from the writing (adapters/files.py) so the documents layer names its files
without touching the disk.
"""

from __future__ import annotations

import re


def safe_name(text: str, fallback: str = "_") -> str:
    """A client code, invoice number or key usable as a file name on every system, never a path nor a
    hidden file: ``C 01/B`` -> ``C_01_B``, ``../x`` -> ``x``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text.strip()).strip("._") or fallback
