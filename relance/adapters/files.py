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


def umask_mode(existing: Path | None = None) -> int:
    """The mode a new file gets from the umask (``0o644`` under the usual 022): temporary files are
    created 0600, and a register, letter or message renamed from one must stay readable by colleagues
    on a shared folder. An existing file keeps its own mode."""
    if existing is not None:
        try:
            return existing.stat().st_mode & 0o777
        except OSError:
            pass
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, content: bytes) -> Path:
    """Write `content` to `path` so that the file is either absent or complete; returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")  # never globbed as the real thing
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fchmod(handle.fileno(), umask_mode(path))
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
