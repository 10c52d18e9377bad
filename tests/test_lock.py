"""One run at a time: the file lock, its expiry, and what a second run sees."""

import json
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from relance import runner
from relance.cli import app
from relance.adapters.lock import EXIT_LOCKED, FileLock, RunLocked, lock_path

from conftest import PARIS, TODAY, at, sheet_rows, xlsx_register

T0 = datetime(2026, 11, 25, 9, 15, tzinfo=PARIS)


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


def lock(path, owner, clock):
    return FileLock(path / ".relance.lock", owner, timedelta(minutes=30), clock)


def test_a_second_run_is_refused_with_the_owner_and_the_expiry(tmp_path):
    clock = Clock()
    first = lock(tmp_path, "julie@poste-compta pid 4242", clock)
    assert first.acquire() == ""
    clock.now = T0 + timedelta(minutes=5)
    with pytest.raises(RunLocked) as refused:
        lock(tmp_path, "cron@serveur pid 7", clock).acquire()
    assert ("Une autre exécution de relance est en cours (julie@poste-compta pid 4242, depuis le 25/11/2026 09:15)"
            in str(refused.value))
    assert "valable jusqu'au 25/11/2026 09:45" in str(refused.value)
    first.release()
    assert not (tmp_path / ".relance.lock").exists()
    assert lock(tmp_path, "cron@serveur pid 7", clock).acquire() == ""


def test_a_stale_lock_is_taken_over_and_its_owner_cannot_remove_the_new_one(tmp_path, monkeypatch):
    """Another machine's run whose heartbeat stopped for a whole TTL (on this machine: tests below)."""
    import socket
    clock = Clock()
    old = lock(tmp_path, "julie@poste-compta pid 4242", clock)
    monkeypatch.setattr(socket, "gethostname", lambda: "poste-compta")
    old.acquire()
    monkeypatch.undo()
    clock.now = T0 + timedelta(minutes=31)
    new = lock(tmp_path, "cron@serveur pid 7", clock)
    note = new.acquire()
    assert note == "verrou abandonné repris (julie@poste-compta pid 4242, plus prolongé depuis le 25/11/2026 09:45)"
    old.release()  # the late first run finishing must not free the lock it lost
    assert json.loads((tmp_path / ".relance.lock").read_text())["owner"] == "cron@serveur pid 7"
    new.release()
    assert not (tmp_path / ".relance.lock").exists()


def test_a_lock_left_by_a_dead_process_on_this_machine_is_taken_over_at_once(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket
    (tmp_path / ".relance.lock").write_text(json.dumps({
        "owner": "julie@ici", "host": socket.gethostname(), "pid": int(dead.stdout),
        "created": T0.isoformat(), "expires": (T0 + timedelta(minutes=30)).isoformat()}), encoding="utf-8")
    note = lock(tmp_path, "moi", Clock(T0 + timedelta(minutes=1))).acquire()
    assert f"processus {int(dead.stdout)} terminé" in note


def test_two_runs_finding_the_same_stale_lock_at_once_only_one_takes_it(tmp_path, monkeypatch):
    """Both read the dead lock; the first takes it over while the second is still judging it. The second
    must then find the new, live lock and step back, not delete it and run too (two runs, two sends)."""
    clock = Clock(T0 + timedelta(minutes=31))
    (tmp_path / ".relance.lock").write_text(json.dumps({
        "owner": "julie@poste-compta pid 4242", "host": "poste-compta", "pid": 4242, "created": T0.isoformat(),
        "expires": (T0 + timedelta(minutes=30)).isoformat()}), encoding="utf-8")
    first, second = lock(tmp_path, "cron@serveur pid 7", clock), lock(tmp_path, "julie@serveur pid 8", clock)
    judge, taken = second._stale, []

    def meanwhile_the_first_takes_it(holder):
        why = judge(holder)
        if not taken:
            taken.append(first.acquire())  # between the second's reading and its unlinking
        return why

    monkeypatch.setattr(second, "_stale", meanwhile_the_first_takes_it)
    with pytest.raises(RunLocked, match="cron@serveur pid 7"):
        second.acquire()
    assert taken[0].startswith("verrou abandonné repris")
    assert json.loads((tmp_path / ".relance.lock").read_text())["owner"] == "cron@serveur pid 7"


def test_a_half_written_lock_counts_as_held_until_it_is_old(tmp_path):
    (tmp_path / ".relance.lock").write_text("", encoding="utf-8")  # a run killed between create and write
    written = datetime.fromtimestamp((tmp_path / ".relance.lock").stat().st_mtime).astimezone()
    with pytest.raises(RunLocked, match=r"\(inconnu, depuis"):
        lock(tmp_path, "moi", Clock(written + timedelta(minutes=1))).acquire()
    assert "inconnu" in lock(tmp_path, "moi", Clock(written + timedelta(minutes=31))).acquire()


def test_the_runner_holds_the_lock_while_it_runs_and_frees_it_even_on_a_crash(workdir, workdir_policy):
    xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3),
                             "amount": Decimal("100")}])
    seen = []

    class Watching:
        folder = workdir / "outbox"

        def send(self, message):
            seen.append(lock_path(workdir / "registre.xlsx").exists())
            raise KeyboardInterrupt

        def was_sent(self, mid, key):
            return False

        def close(self):
            pass

    with pytest.raises(KeyboardInterrupt):
        runner.run(workdir_policy, today=TODAY, now=at(TODAY), mailer=Watching())
    assert seen == [True] and not lock_path(workdir / "registre.xlsx").exists()


def test_the_cli_exits_75_when_another_run_holds_the_lock_but_a_dry_run_still_works(workdir):
    path = xlsx_register(workdir, [{"invoice": "F1", "client": "C1", "due": TODAY - timedelta(days=3),
                                    "amount": Decimal("100")}])
    holder = FileLock(lock_path(path), "julie@poste-compta pid 4242")
    holder.acquire()
    cli = CliRunner()
    config = str(workdir / "config.toml")
    result = cli.invoke(app, ["run", "--config", config, "--date", TODAY.isoformat()])
    assert result.exit_code == EXIT_LOCKED == 75
    assert "julie@poste-compta pid 4242" in " ".join(result.output.split())
    assert sheet_rows(path, "Journal") == [] and not (workdir / "outbox").exists()
    dry = cli.invoke(app, ["run", "--dry-run", "--config", config, "--date", TODAY.isoformat()])
    assert dry.exit_code == 0 and len(list((workdir / "outbox" / "dry-run").glob("*.eml"))) == 1
    holder.release()
    assert cli.invoke(app, ["run", "--config", config, "--date", TODAY.isoformat()]).exit_code == 0
    assert not lock_path(path).exists()
