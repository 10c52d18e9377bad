"""The run lock under real faults: live owners, long runs, broken clocks, two registers, every writer.

Issue: a lock expired under a live run after 30 minutes and a second run sent duplicates;
a lock dated 2099 blocked everyone; times showed in the machine's zone; two registers in
one folder blocked each other; `relance anonymise` wrote beside a run.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance.cli import app
from relance.adapters import lock as lk
from relance.adapters.lock import FileLock, Heartbeat, RunLocked, lock_path

from conftest import TODAY, xlsx_register
from test_lock import T0, Clock



def holder(path, *, host, pid, created, expires, owner="julie@poste-compta pid 4242", **extra):
    path.write_text(json.dumps({"owner": owner, "host": host, "pid": pid, "created": created.isoformat(),
                                "expires": expires.isoformat(), **extra}), encoding="utf-8")


def test_a_live_run_on_this_machine_is_never_taken_over_even_past_its_expiry(tmp_path):
    path = tmp_path / ".r.lock"
    holder(path, host=socket.gethostname(), pid=os.getpid(), created=T0, expires=T0 + timedelta(minutes=30))
    late = Clock(T0 + timedelta(hours=3))
    with pytest.raises(RunLocked, match="julie@poste-compta pid 4242"):
        FileLock(path, "cron", clock=late).acquire()


def test_the_heartbeat_pushes_the_expiry_while_the_run_lasts(tmp_path):
    clock = Clock()
    mine = FileLock(tmp_path / ".r.lock", "moi", timedelta(minutes=30), clock)
    mine.acquire()
    clock.now = T0 + timedelta(minutes=25)
    mine.refresh()
    expires = datetime.fromisoformat(json.loads((tmp_path / ".r.lock").read_text())["expires"])
    assert expires == T0 + timedelta(minutes=55)
    clock.now = T0 + timedelta(minutes=40)  # past the first expiry: still held, even seen from another machine
    with pytest.raises(RunLocked):
        _other_host_acquire(tmp_path / ".r.lock", clock)
    mine.release()


def _other_host_acquire(path, clock):
    original = socket.gethostname
    socket.gethostname = lambda: "ailleurs"
    try:
        return FileLock(path, "autre", timedelta(minutes=30), clock).acquire()
    finally:
        socket.gethostname = original


def test_the_heartbeat_thread_refreshes_and_stops():
    beats = threading.Event()

    class Lock:
        count = 0

        def refresh(self):
            self.count += 1
            beats.set()

    lock = Lock()
    beat = Heartbeat(lock, every=0.01).start()
    assert beats.wait(5)  # an event, not a sleep: returns at the first beat
    beat.stop()
    count = lock.count
    assert not beat._thread.is_alive() and lock.count == count


def test_a_lock_dated_in_the_far_future_is_corrupt_not_valid_until_2099(tmp_path):
    path = tmp_path / ".r.lock"
    far = datetime(2099, 1, 1, tzinfo=timezone.utc)
    holder(path, host="poste-inconnu", pid=12, created=T0, expires=far)
    note = FileLock(path, "cron", clock=Clock()).acquire()
    assert "corrompu" in note and "2099" in note


def test_lock_times_are_shown_in_the_configured_time_zone(tmp_path):
    path = tmp_path / ".r.lock"
    start = datetime(2026, 11, 25, 8, 15, tzinfo=timezone.utc)  # 09:15 in Paris
    holder(path, host="poste-compta", pid=12, created=start, expires=start + timedelta(minutes=30))
    with pytest.raises(RunLocked) as refused:
        FileLock(path, "cron", clock=Clock(T0 + timedelta(minutes=5))).acquire()
    assert "depuis le 25/11/2026 09:15" in str(refused.value) and "jusqu'au 25/11/2026 09:45" in str(refused.value)


def inv(number="F1", client="C1"):
    return {"invoice": number, "client": client, "due": TODAY - timedelta(days=3), "amount": Decimal("100")}


def test_two_registers_in_one_folder_do_not_block_each_other(workdir):
    xlsx_register(workdir, [inv()])
    other = workdir / "autre.xlsx"
    (workdir / "registre.xlsx").rename(other)
    xlsx_register(workdir, [inv()])
    held = FileLock(lock_path(other), "julie@poste-compta pid 4242")
    held.acquire()
    try:
        result = CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date",
                                          TODAY.isoformat()])
    finally:
        held.release()
    assert result.exit_code == 0, result.output


def test_anonymise_takes_the_register_lock(workdir):
    path = xlsx_register(workdir, [inv()])
    before = path.read_bytes()
    held = FileLock(lock_path(path), "julie@poste-compta pid 4242")
    held.acquire()
    try:
        result = CliRunner().invoke(app, ["anonymise", "--before", "2020-01-01", "--yes", "--config",
                                          str(workdir / "config.toml")])
    finally:
        held.release()
    assert result.exit_code == 75 and "julie@poste-compta pid 4242" in " ".join(result.output.split())
    assert path.read_bytes() == before


def test_a_folder_the_user_cannot_write_is_one_french_sentence_and_exit_1(workdir, monkeypatch):
    xlsx_register(workdir, [inv()])
    real = os.open

    def refuse_locks(path, *args, **kwargs):
        if str(path).endswith(".relance.lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(lk.os, "open", refuse_locks)
    result = CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "n'est pas accessible en écriture" in " ".join(result.output.split())


def test_a_full_disk_when_writing_the_lock_leaves_no_empty_lock_behind(workdir, monkeypatch):
    """ENOSPC between creating the lock file and writing it: one French sentence, exit 1, and no empty
    lock left to refuse every run of the next 30 minutes (« autre exécution en cours (inconnu…) »)."""
    import errno
    xlsx_register(workdir, [inv()])
    real = lk.json.dump

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lk.json, "dump", full)
    command = ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1 and "Traceback" not in result.output
    said = " ".join(result.output.split())
    assert "No space left on device" in said and "Rien n'a été envoyé" in said and "inattendue" not in said
    assert not lock_path(workdir / "registre.xlsx").exists()
    monkeypatch.setattr(lk.json, "dump", real)
    assert CliRunner().invoke(app, command).exit_code == 0  # space freed: the next run goes


def test_a_lock_that_cannot_be_removed_at_the_end_never_turns_a_done_run_into_nothing_sent(workdir, monkeypatch):
    """The folder turned read-only during the run (rights changed, share remounted): the messages left and the
    register was saved, so the run ends 0 with a note, not « accès refusé … Rien n'a été envoyé » (exit 1)."""
    xlsx_register(workdir, [inv()])
    real = lk.Path.unlink

    def refuse_lock_removal(self, *args, **kwargs):
        if self.name.endswith(".relance.lock"):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(lk.Path, "unlink", refuse_lock_removal)
    result = CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date", TODAY.isoformat()])
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "Rien n'a été envoyé" not in said, said
    assert "1 message(s) écrit(s)" in said and "verrou non libéré" in said and "Permission denied" in said


def test_a_register_marked_read_only_is_refused_not_rewritten(workdir):
    path = xlsx_register(workdir, [inv()])
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        result = CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date",
                                          TODAY.isoformat()])
    finally:
        path.chmod(0o644)
    assert result.exit_code == 1 and "en lecture seule" in " ".join(result.output.split())
    assert path.read_bytes() == before and not (workdir / "outbox").exists()


def test_files_relance_creates_respect_the_umask_not_0600(workdir):
    old = os.umask(0o022)
    try:
        path = xlsx_register(workdir, [inv()])
        path.chmod(0o664)  # a shared folder's group-writable register keeps its mode
        result = CliRunner().invoke(app, ["run", "--config", str(workdir / "config.toml"), "--date",
                                          TODAY.isoformat()])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert path.stat().st_mode & 0o777 == 0o664
    emails = list((workdir / "outbox").glob("*.eml"))
    assert emails and all(e.stat().st_mode & 0o777 == 0o644 for e in emails)
