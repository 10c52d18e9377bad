"""`relance courrier` over a mailbox of 1 000 messages, against a real IMAP server (pymap, in memory).

Run: python -m benchmarks.mailbox_1k [--size N]
The inbox holds 10 % replies to our reminders, 5 % bounces (RFC 3464 DSN), 5 % out-of-office
replies and 80 % unrelated mail; the register has 1 000 clients with one sent reminder each.
Printed: seconds to deliver (setup, not counted), for the first pass (read, classify, journal,
move), and for a second pass (only the unrelated mail is left to read).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from .report import one_size

TODAY = date(2026, 11, 25)
USER, PASSWORD = "compta@atelier-dupont.example", "bench"


def start_server() -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pymap = str(Path(sys.executable).parent / "pymap")
    process = subprocess.Popen([pymap, "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict",
                                "--demo-user", USER, "--demo-password", PASSWORD],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("pymap did not start")


def message(i: int, our_id: str) -> bytes:
    kind = i % 20
    head = f"Message-ID: <m{i}@bench>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0100\r\nTo: {USER}\r\n"
    if kind in (0, 1):
        return (head + f"From: c{i}@client.example\r\nSubject: RE: Rappel\r\nIn-Reply-To: {our_id}\r\n\r\n"
                "Bonjour, le paiement part demain.\r\n> Rappel\r\n").encode()
    if kind == 2:
        return (head + "From: MAILER-DAEMON@bench\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\n"
                "Content-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
                f"Reporting-MTA: dns; bench\r\n\r\nFinal-Recipient: rfc822; c{i}@client.example\r\n"
                "Action: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n").encode()
    if kind == 3:
        return (head + f"From: c{i}@client.example\r\nSubject: Absence\r\nAuto-Submitted: auto-replied\r\n"
                f"In-Reply-To: {our_id}\r\n\r\nJe suis absent.\r\n").encode()
    return (head + f"From: news{i}@supplier.example\r\nSubject: Offre {i}\r\n\r\nBonjour.\r\n").encode()


def measure(size: int) -> dict:
    from imap_tools import MailBoxUnencrypted

    from relance.adapters.backends.xlsx import create_workbook
    from relance.core.config import load_policy
    from relance.shells.mailroom import read_mail
    process, port = start_server()
    try:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            (work / "config.toml").write_text(
                f"[register]\npath = \"registre.xlsx\"\n[listen]\nimap_host = \"127.0.0.1\"\nimap_port = {port}\n"
                f"imap_user = \"{USER}\"\nimap_security = \"none\"\nsent_folder = \"\"\n", encoding="utf-8")
            clients = [{"code": f"C{i}", "name": f"Client {i}", "email": f"c{i}@client.example", "kind": "B2B"} for i in range(size)]
            invoices = [{"invoice": f"F{i}", "client": f"C{i}", "due": TODAY - timedelta(days=10),
                         "amount": Decimal("100.00")} for i in range(size)]
            journal = [{"timestamp": datetime(2026, 11, 25, 9), "invoice": f"F{i}", "client": f"C{i}",
                        "stage": "amiable", "channel": "email", "status": "sent", "key": f"k{i}",
                        "message_id": f"<relance.{i}@bench>"} for i in range(size)]
            create_workbook(work / "registre.xlsx", {"Factures": invoices, "Clients": clients, "Journal": journal})
            start = time.perf_counter()
            with MailBoxUnencrypted("127.0.0.1", port).login(USER, PASSWORD, initial_folder=None) as box:
                for i in range(size):
                    box.append(message(i, f"<relance.{i}@bench>"), "INBOX")
            delivered = time.perf_counter() - start
            os.environ["RELANCE_IMAP_PASSWORD"] = PASSWORD
            policy = load_policy(work / "config.toml")
            start = time.perf_counter()
            first = read_mail(policy, today=TODAY + timedelta(days=1))
            first_s = time.perf_counter() - start
            start = time.perf_counter()
            second = read_mail(policy, today=TODAY + timedelta(days=1))
            second_s = time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(10)
    kinds: dict[str, int] = {}
    for item in first.handled:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    return {"messages": size, "deliver_s": round(delivered, 2), "first_pass_s": round(first_s, 2),
            "read": first.read, "handled": kinds, "second_pass_s": round(second_s, 2), "read_again": second.read,
            "handled_again": len(second.handled)}


def main(argv: list[str] | None = None) -> dict:
    return one_size(measure, "python -m benchmarks.mailbox_1k", 1000, argv)


if __name__ == "__main__":
    main()
