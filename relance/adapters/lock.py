"""One run at a time: the run lock.

Two runs at once (the scheduled one and a colleague's manual ``relance run``, or
a slow run and the next schedule) would both read the register before either
writes, both find the same invoices due, and both send: the journal's ``pending``
rows cannot stop that. So `runner.run` takes a lock before reading the register
and gives it back at the end. A dry run writes nothing to the register and takes
none.

- A backend provides its lock with ``run_lock(owner, ttl)``: the xlsx backend a
  `FileLock`, ``.relance.lock`` beside the workbook; the Google Sheets backend a
  ``Verrou`` cell holding owner and expiry. Anything with `acquire`/`release`
  (the `RunLock` Protocol) will do; a backend without one is not locked.
- A second run meanwhile gets `RunLocked`, which names the owner and the expiry;
  the CLI exits with code 75 (EX_TEMPFAIL: "try again later").
- A lock left by a run that died (kill -9, power cut) expires after `TTL` and is
  then taken over, with a note in the run report; on the same machine, a lock
  whose process no longer exists is taken over at once.

Example: julie's run holds ``.relance.lock`` =
``{"owner": "julie@poste-compta pid 4242", "expires": "2026-11-25T09:45:00+01:00", …}``;
the cron run at 09:20 exits 75 with « Une autre exécution de relance est en cours
(julie@poste-compta pid 4242, depuis le 25/11/2026 09:15) … ».
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Protocol

from relance.adapters.errors import RegisterLocked

LOCK_NAME = ".relance.lock"
TTL = timedelta(minutes=30)
EXIT_LOCKED = 75  # EX_TEMPFAIL (sysexits.h)


class RunLocked(RegisterLocked):
    """Another run holds the lock; the message names it and says when the lock expires."""


class RunLock(Protocol):
    def acquire(self) -> str:
        """Take the lock or raise `RunLocked`; returns a note for the run report ('' when none)."""
        ...

    def release(self) -> None:
        """Give it back (only if it is still ours)."""
        ...


def default_owner() -> str:
    """``julie@poste-compta pid 4242``: who to ask, on which machine."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "?"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def local_now() -> datetime:
    return datetime.now().astimezone()


def when(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M")


def locked_message(owner: str, created: datetime, expires: datetime, where: str) -> str:
    """The French sentence a second run prints, shared by every backend's lock."""
    return (f"Une autre exécution de relance est en cours ({owner}, depuis le {when(created)}) : "
            f"verrou {where} valable jusqu'au {when(expires)}. Rien n'a été envoyé ; réessayez plus tard "
            f"(un verrou abandonné expire seul à cette heure-là).")


class NoLock:
    """For a backend that cannot lock (and for dry runs)."""

    def acquire(self) -> str:
        return ""

    def release(self) -> None:
        return None


class FileLock:
    """``.relance.lock``: JSON {owner, host, pid, created, expires}, created atomically.

    ``O_CREAT | O_EXCL`` makes creation atomic: of two runs, exactly one creates the
    file. Taking over a stale lock (unlink, then create again) is not atomic; two
    runs would have to find the same stale lock within the same millisecond."""

    def __init__(self, path: Path, owner: str | None = None, ttl: timedelta = TTL,
                 clock: Callable[[], datetime] = local_now):
        self.path = Path(path)
        self.owner = owner or default_owner()
        self.ttl, self.clock = ttl, clock
        self._mine: dict[str, Any] | None = None

    def _read(self) -> dict[str, Any]:
        """The holder; an empty or garbled file (a run killed while writing it) counts from its mtime."""
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            holder["created"] = datetime.fromisoformat(holder["created"])
            holder["expires"] = datetime.fromisoformat(holder["expires"])
            return holder
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError, TypeError):
            created = datetime.fromtimestamp(self.path.stat().st_mtime).astimezone()
            return {"owner": "inconnu", "created": created, "expires": created + self.ttl}

    def _stale(self, holder: dict[str, Any]) -> str:
        """Why the holder no longer counts ('' when it still does)."""
        if self.clock() >= holder["expires"]:
            return f"expiré depuis le {when(holder['expires'])}"
        if holder.get("host") == socket.gethostname() and not _alive(holder.get("pid")):
            return f"processus {holder.get('pid')} terminé"
        return ""

    def acquire(self) -> str:
        note = ""
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    holder = self._read()
                except FileNotFoundError:  # released meanwhile
                    continue
                why = self._stale(holder)
                if not why:
                    raise RunLocked(locked_message(holder["owner"], holder["created"], holder["expires"],
                                                   str(self.path))) from None
                note = f"verrou abandonné repris ({holder['owner']}, {why})"
                self.path.unlink(missing_ok=True)
                continue
            now = self.clock()
            mine = {"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                    "created": now.isoformat(), "expires": (now + self.ttl).isoformat()}
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(mine, handle, ensure_ascii=False)
            self._mine = mine
            return note
        raise RunLocked(f"verrou {self.path} impossible à prendre (disputé par une autre exécution) : réessayez.")

    def release(self) -> None:
        if self._mine is None:
            return
        try:
            current = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = None
        if current == self._mine:  # not taken over by someone who found ours stale
            self.path.unlink(missing_ok=True)
        self._mine = None


def _alive(pid: Any) -> bool:
    """Whether process `pid` exists here. Only asked on POSIX (on Windows signal 0 would interrupt it)."""
    if os.name != "posix" or not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def run_lock(backend: Any, owner: str | None = None, ttl: timedelta = TTL) -> RunLock:
    """The backend's own lock (``backend.run_lock(owner, ttl)``; every `Backend` has one)."""
    return backend.run_lock(owner or default_owner(), ttl)
