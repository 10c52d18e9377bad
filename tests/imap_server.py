"""A real IMAP server for the tests: pymap (pure Python, in-memory `dict` backend) on 127.0.0.1.

Started as a subprocess on a free port, one per test (its mailbox lives in its memory),
and stopped with the test. Chosen over Dovecot because it installs from PyPI with the
test extras, so .ci/run needs nothing more.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

USER, PASSWORD = "compta@atelier-dupont.example", "mot-de-passe-application"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ImapServer:
    def __init__(self):
        self.port = _free_port()
        pymap = shutil.which("pymap", path=str(Path(sys.executable).parent)) or shutil.which("pymap")
        self.process = subprocess.Popen([pymap, "--host", "127.0.0.1", "--port", str(self.port), "--no-tls", "dict",
                                         "--demo-user", USER, "--demo-password", PASSWORD],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # polling a socket until it accepts: no fixed sleep
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode())
                time.sleep(0.05)
        raise RuntimeError("pymap did not start")

    def box(self):
        from imap_tools import MailBoxUnencrypted
        return MailBoxUnencrypted("127.0.0.1", self.port).login(USER, PASSWORD, initial_folder=None)

    def deliver(self, data: bytes, folder: str = "INBOX") -> None:
        with self.box() as box:
            box.append(data, folder)

    def subjects(self, folder: str) -> list[str]:
        with self.box() as box:
            if not box.folder.exists(folder):
                return []
            box.folder.set(folder)
            return [m.subject for m in box.fetch(mark_seen=False)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def config(self) -> str:
        return (f"\n[listen]\nimap_host = \"127.0.0.1\"\nimap_port = {self.port}\nimap_user = \"{USER}\"\n"
                f"imap_security = \"none\"\n")


@pytest.fixture
def imap(monkeypatch):
    server = ImapServer()
    monkeypatch.setenv("RELANCE_IMAP_PASSWORD", PASSWORD)
    yield server
    server.stop()
