"""The default templates and config.toml, found where they are.

One copy lives at the top of the repository (``templates/``, ``config.toml``), where staff and
reviewers read them; the wheel ships them here as ``relance/defaults/templates`` and
``relance/defaults/config.toml`` (hatch ``force-include`` in pyproject.toml). An editable install or
a source checkout has no copy in the package: the repository's own files are used.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def default_path(name: str) -> Path:
    """``templates`` or ``config.toml``: the packaged copy (installed wheel), else the repository's."""
    packaged = _HERE / name
    return packaged if packaged.exists() else _HERE.parents[1] / name
