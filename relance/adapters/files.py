"""Small file helpers for what relance keeps as evidence (letters, dossiers): safe names, atomic writes.

A letter or a dossier that exists must be complete: its SHA-256 is a proof. So files are written to a
temporary name in the same folder, flushed, then renamed over the target (atomic on POSIX and Windows).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from relance.adapters.faults import crashpoint
from relance.documents.names import safe_name

__all__ = ["safe_name", "atomic_write", "save_document"]


def atomic_write(path: Path, content: bytes) -> Path:
    """Write `content` to `path` so that the file is either absent or complete; returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")  # never globbed as the real thing
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        crashpoint(f"{path.suffix} écrit (temporaire)")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_document(document, folder: Path) -> Path:
    """Save a built document (a `Letter`, anything with ``filename`` and ``content``) in `folder`, atomically.
    The documents layer builds bytes; only the shell (runner, commands) writes them, through here."""
    return atomic_write(folder / document.filename, document.content)
