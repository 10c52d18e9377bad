"""A local SMTP server (aiosmtpd) that records what arrives and misbehaves on request.

It listens on 127.0.0.1 on a free port, in a thread, for one test. Each message
that gets a 250 is parsed and kept in `server.messages`; `server.peers` counts
TCP connections (one per EHLO peer), `server.logins` the AUTH names. Faults are
plain attributes a test sets:

- ``refuse = {"bad@example.com": "550 5.1.1 Utilisateur inconnu"}``: RCPT answer
  for that address (the other recipients are accepted);
- ``mail_answer = ["421 4.7.0 Try again later"]``: answers to the next MAIL
  commands, one per command (then normal service);
- ``data_answer = ["554 5.7.1 Message refused"]``: same, for the end of DATA;
- ``drop_at = {("MAIL", 2)}``: close the connection, without answering, on the
  2nd MAIL (``"RCPT"`` and ``"DATA"`` too; DATA drops *after* keeping the message:
  the server has it, the client never hears the 250).
"""

from __future__ import annotations

import email
import socket
import ssl
from email import policy as email_policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingHandler:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.peers: list[tuple] = []
        self.logins: list[str] = []
        self.refuse: dict[str, str] = {}
        self.mail_answer: list[str] = []
        self.data_answer: list[str] = []
        self.drop_at: set[tuple[str, int]] = set()
        self.counts = {"MAIL": 0, "RCPT": 0, "DATA": 0}
        self.password = b"s3cret"  # the one password AUTH accepts (bytes as they arrive: UTF-8)

    def _drop(self, server, command: str) -> bool:
        self.counts[command] += 1
        if (command, self.counts[command]) in self.drop_at:
            server.transport.close()
            return True
        return False

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if session.peer not in self.peers:
            self.peers.append(session.peer)
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        if self._drop(server, "MAIL"):
            return "421 dropped"
        if self.mail_answer:
            return self.mail_answer.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self._drop(server, "RCPT"):
            return "421 dropped"
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_answer:
            self.counts["DATA"] += 1
            return self.data_answer.pop(0)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email_policy.default))
        if self._drop(server, "DATA"):
            return "421 dropped"
        return "250 2.0.0 Ok: queued as 42"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.password == self.password:
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


class SmtpServer:
    """`with SmtpServer() as server:` a running server; `server.port`, `server.handler`."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, implicit_tls: bool = False, auth: bool = False,
                 smtputf8: bool = True):
        self.handler = RecordingHandler()
        self.port = free_port()
        options = {"hostname": "127.0.0.1", "port": self.port, "server_hostname": "smtp.test",
                   "enable_SMTPUTF8": smtputf8}  # False: a server without it (and ASCII answers only)
        if implicit_tls:
            options["ssl_context"] = tls
        elif tls:
            options["tls_context"] = tls
        if auth:
            # aiosmtpd only knows STARTTLS as "TLS": with implicit TLS it must not insist on it
            options.update(authenticator=self.handler.authenticate, auth_require_tls=bool(tls) and not implicit_tls)
        self.controller = Controller(self.handler, **options)

    def __getattr__(self, name):
        return getattr(self.handler, name)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def self_signed(tmp_path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) for a certificate valid for 127.0.0.1."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=3650))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client
