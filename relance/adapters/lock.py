"""One run at a time: the run lock.

Two runs at once (the scheduled one and a colleague's manual ``relance run``, or
a slow run and the next schedule) would both read the register before either
writes, both find the same invoices due, and both send: the journal's ``pending``
rows cannot stop that. So `runner.run` takes a lock before reading the register
and gives it back at the end. A dry run writes nothing to the register and takes
none.

- A backend provides its lock with ``run_lock(owner, ttl)``: the xlsx backend a
  `FileLock`, ``.<workbook>.relance.lock`` beside the workbook (one per register:
  two registers in one folder never block each other); the Google Sheets backend a
  ``Verrou`` tab holding owner and expiry. Anything with `acquire`/`release` (the
  `RunLock` Protocol) will do; a backend without one is not locked.
- A second run meanwhile gets `RunLocked`, which names the owner and the expiry
  (in the configured time zone); the CLI exits with code 75 (EX_TEMPFAIL: "try
  again later").
- A lock held by a live process is never taken over: while a run holds it, a
  `Heartbeat` thread pushes its expiry forward every third of `TTL`. It is taken
  over only when its owner is provably gone: on the same machine, its process no
  longer exists (the process start time guards against a reused pid); elsewhere,
  its heartbeat stopped for a whole `TTL`. A lock dated in the far future is
  corrupt (a clock or a hand went wrong), not "valid until 2099".
- Every command that writes the register (``run``, ``anonymise``) holds it (`held`).

Example: julie's run holds ``.registre.xlsx.relance.lock`` =
``{"owner": "julie@poste-compta pid 4242", "expires": "2026-11-25T09:45:00+01:00", …}``;
the cron run at 09:20 exits 75 with « Une autre exécution de relance est en cours
(julie@poste-compta pid 4242, depuis le 25/11/2026 09:15) … ».
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import socket
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol
from zoneinfo import ZoneInfo

from relance.adapters.errors import BackendError, RegisterLocked

LOCK_NAME = ".relance.lock"  # the former per-folder name; now `lock_path` (per register)
TTL = timedelta(minutes=30)
SKEW = timedelta(hours=1)  # clocks of two machines may differ; more than this ahead is a corrupt lock
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


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "?"


def default_owner() -> str:
    """``julie@poste-compta pid 4242``: who to ask, on which machine."""
    return f"{_user()}@{socket.gethostname()} pid {os.getpid()}"


def local_now() -> datetime:
    return datetime.now().astimezone()


def zoned_clock(timezone: str) -> Callable[[], datetime]:
    """The wall clock in the configured zone (`schedule.timezone`): lock times read as staff live them."""
    zone = ZoneInfo(timezone)
    return lambda: datetime.now(zone)


def lock_path(register: Path) -> Path:
    """``registre.xlsx`` -> ``.registre.xlsx.relance.lock``: one lock per register, beside it."""
    register = Path(register)
    return register.with_name(f".{register.name}.relance.lock")


def when(moment: datetime, zone: Any = None) -> str:
    """``25/11/2026 09:15``, in `zone` (the clock's) when given: the same instant staff see on the wall."""
    if zone is not None and moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.strftime("%d/%m/%Y %H:%M")


def locked_message(owner: str, created: datetime, expires: datetime, where: str, zone: Any = None) -> str:
    """The French sentence a second run prints, shared by every backend's lock."""
    return (f"Une autre exécution de relance est en cours ({owner}, depuis le {when(created, zone)}) : "
            f"verrou {where} valable jusqu'au {when(expires, zone)}. Rien n'a été envoyé ; réessayez plus tard "
            f"(le verrou est prolongé tant que cette exécution tourne ; abandonné, il expire seul).")


class NoLock:
    """For a backend that cannot lock (and for dry runs)."""

    def acquire(self) -> str:
        return ""

    def release(self) -> None:
        return None


class FileLock:
    """``.<workbook>.relance.lock``: JSON {owner, host, pid, started, token, created, expires}.

    ``O_CREAT | O_EXCL`` makes creation atomic: of two runs, exactly one creates the
    file. Taking over a dead owner's lock moves it aside and checks it is the one judged
    dead (`_remove`) before creating again, so of two runs finding it, one proceeds.
    `refresh` (the heartbeat) rewrites the file atomically with a later expiry."""

    def __init__(self, path: Path, owner: str | None = None, ttl: timedelta = TTL,
                 clock: Callable[[], datetime] = local_now, register: Path | None = None):
        self.path = Path(path)
        self.register = Path(register) if register else None  # refused when marked read-only
        self.owner = owner or default_owner()
        self.ttl, self.clock = ttl, clock
        self._mine: dict[str, Any] | None = None

    def _read(self) -> dict[str, Any]:
        """The holder; an empty or garbled file (a run killed while writing it) counts from its mtime."""
        raw = b""
        try:
            raw = self.path.read_bytes()
            holder = json.loads(raw.decode("utf-8"))
            holder["raw"] = raw  # what was judged: a takeover removes this lock, never a newer one (`_remove`)
            holder["created"] = datetime.fromisoformat(holder["created"])
            holder["expires"] = datetime.fromisoformat(holder["expires"])
            if holder["created"].tzinfo is None or holder["expires"].tzinfo is None:
                raise ValueError("naive")
            return holder
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            created = datetime.fromtimestamp(self.path.stat().st_mtime).astimezone()
            return {"owner": "inconnu", "created": created, "expires": created + self.ttl, "raw": raw}

    def _stale(self, holder: dict[str, Any]) -> str:
        """Why the holder no longer counts ('' when it still does): only a provably gone owner."""
        now = self.clock()
        if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
            if _alive(holder["pid"], holder.get("started")):
                return ""  # a live run here: never taken over, whatever its dates say
            return f"processus {holder['pid']} terminé"
        if holder["created"] > now + SKEW or holder["expires"] > now + self.ttl + SKEW:
            return f"verrou corrompu (daté du {when(holder['expires'], now.tzinfo)}, dans le futur)"
        if now >= holder["expires"]:
            return f"plus prolongé depuis le {when(holder['expires'], now.tzinfo)}"
        return ""

    def _holder_file(self, now: datetime) -> dict[str, Any]:
        return {"owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                "started": _start_time(os.getpid()), "token": secrets.token_hex(8),
                "created": now.isoformat(), "expires": (now + self.ttl).isoformat()}

    def acquire(self) -> str:
        refuse_read_only(self.register)
        note = ""
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)  # the umask decides
            except PermissionError:
                raise BackendError(f"verrou d'exécution {self.path} impossible à créer : le dossier {self.path.parent} "
                                   f"n'est pas accessible en écriture pour l'utilisateur {_user()} (droits du "
                                   f"dossier partagé, ou compte du cron). Rien n'a été envoyé.") from None
            except FileExistsError:
                try:
                    holder = self._read()
                except FileNotFoundError:  # released meanwhile
                    continue
                why = self._stale(holder)
                if not why:
                    raise RunLocked(locked_message(holder["owner"], holder["created"], holder["expires"],
                                                   str(self.path), self.clock().tzinfo)) from None
                current = self._remove(holder.get("raw"))
                if current is not None:  # another run took it over first: that one is alive
                    raise RunLocked(locked_message(current["owner"], current["created"], current["expires"],
                                                   str(self.path), self.clock().tzinfo)) from None
                note = f"verrou abandonné repris ({holder['owner']}, {why})"
                continue
            mine = self._holder_file(self.clock())
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(mine, handle, ensure_ascii=False)
            except OSError as exc:  # disk full: an empty lock left behind would refuse every run for a TTL
                self.path.unlink(missing_ok=True)
                raise BackendError(f"verrou d'exécution {self.path} impossible à écrire : {exc.strerror or exc} "
                                   f"(disque plein ?). Libérez de la place puis relancez. Rien n'a été envoyé.") from None
            self._mine = mine
            return note
        raise RunLocked(f"verrou {self.path} impossible à prendre (disputé par une autre exécution) : réessayez.")

    def _remove(self, judged: bytes | None) -> dict[str, Any] | None:
        """Remove the stale lock we judged, and only it; returns the holder of a newer lock found instead.

        Two runs may find the same dead lock at the same second: the first replaces it with its own,
        and a plain unlink by the second would delete that live lock (both would run, and send).
        So the file is moved aside (atomic), and compared with what was judged: a different one is
        put back (``os.link`` never overwrites) and its holder returned."""
        aside = self.path.with_name(f"{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.stale")
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:  # released or removed meanwhile: try to create it again
            return None
        try:
            if aside.read_bytes() == judged:
                return None
            try:
                os.link(aside, self.path)
            except FileExistsError:
                pass  # a third run created one meanwhile; it holds the lock
            holder = FileLock(aside, ttl=self.ttl, clock=self.clock)._read()
            holder.pop("raw", None)
            return holder
        finally:
            aside.unlink(missing_ok=True)

    def _still_mine(self) -> bool:
        try:
            current = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return self._mine is not None and isinstance(current, dict) and current.get("token") == self._mine["token"]

    def refresh(self) -> None:
        """The heartbeat: push the expiry forward, atomically, if the lock is still ours."""
        if self._mine is None or not self._still_mine():
            return
        mine = dict(self._mine, expires=(self.clock() + self.ttl).isoformat())
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(mine, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)
        self._mine = mine

    def release(self) -> None:
        if self._mine is None:
            return
        if self._still_mine():  # not taken over by someone who found ours dead
            self.path.unlink(missing_ok=True)
        self._mine = None


def refuse_read_only(register: Path | None) -> None:
    """A register marked read-only (no write permission bit, or not writable by this user) is somebody's
    decision: a writing command refuses it before reading it, instead of replacing the file anyway
    (an atomic save renames a new file over it, which the folder's permissions alone allow)."""
    if register is None or not register.exists():
        return
    if register.stat().st_mode & 0o222 == 0 or not os.access(register, os.W_OK):
        raise BackendError(f"{register} est en lecture seule : relance ne le réécrit pas. Retirez la lecture "
                           f"seule (propriétés du fichier) si c'est voulu, puis relancez. Rien n'a été envoyé.")


class Heartbeat:
    """Calls ``lock.refresh()`` every `every` seconds in a daemon thread while a run holds the lock,
    so a long run (thousands of messages) never sees its lock expire under it."""

    def __init__(self, lock: Any, every: float):
        self.lock, self.every = lock, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Heartbeat":
        if callable(getattr(self.lock, "refresh", None)):
            self._thread = threading.Thread(target=self._beat, name="relance-lock-heartbeat", daemon=True)
            self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.lock.refresh()
            except Exception:  # a missed beat is retried at the next one; the TTL leaves room for two
                pass

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


@contextmanager
def held(backend: object, timezone: str | None = None, owner: str | None = None,
         ttl: timedelta = TTL) -> Iterator[str]:
    """``with held(backend, tz) as note:`` the register's lock, refreshed while the block runs."""
    lock = run_lock(backend, owner, ttl, timezone)
    note = lock.acquire()
    beat = Heartbeat(lock, ttl.total_seconds() / 3).start()
    try:
        yield note
    finally:
        beat.stop()
        try:
            lock.release()
        except (OSError, BackendError) as exc:  # after the run: never « rien n'a été envoyé » for a lock file
            backend.notes.append(  # the run report shows the backend's notes (runner.run)
                f"verrou non libéré (repris au prochain passage, son processus étant terminé) : {exc}")


def _start_time(pid: int) -> str | None:
    """When process `pid` started (Linux: /proc/<pid>/stat field 22), to tell a reused pid from its owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: Any, started: Any = None) -> bool:
    """Whether process `pid` exists here (and, when its start time was recorded, is the same process).
    Only asked on POSIX (on Windows signal 0 would interrupt it)."""
    if os.name != "posix" or not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    if started is not None:
        now = _start_time(pid)
        return now is None or now == started
    return True


def run_lock(backend: Any, owner: str | None = None, ttl: timedelta = TTL, timezone: str | None = None) -> RunLock:
    """The backend's own lock (``backend.run_lock(owner, ttl)``; every `Backend` has one); its clock in
    `timezone`, so the times it shows are the office's."""
    lock = backend.run_lock(owner or default_owner(), ttl)
    if timezone:
        lock.clock = zoned_clock(timezone)
    return lock
