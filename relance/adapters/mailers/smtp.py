"""The SMTP mailer: every message of a run over one connection, nothing sent twice.

Each message is the `EmailMessage` built by `to_mime` (the very bytes the outbox
stores: one deterministic Message-ID, threading headers, text + HTML, attachments),
handed to `smtplib` on a single connection opened at the first message (STARTTLS,
implicit TLS or, for a local relay, none) and closed at the end of the run. A copy
of every accepted message is written to the outbox folder as an ``.eml`` file.

Why not yagmail's ``send()`` (measured with yagmail 0.16 against a local aiosmtpd
server, see README "Sending by SMTP"): three ``send()`` calls opened three
connections and logged in three times; a login name without ``@`` such as
``apikey`` was sent as ``apikey@gmail.com``; it builds its own MIME tree (it cannot
send ours) and adds its own Message-ID, so passing ours gave two ``Message-ID``
headers, and two mails with the same recipient and subject got the same one; when
the connection dropped after the message had reached the server it slept 3 s and
sent it again: the client got it twice. Its connection setup (``login()``) has the
same login-name rewrite, so the connection is set up with smtplib directly.

What can go wrong, and what happens:
- the server refuses the message (unknown recipient 550, 421, 451, 554, sender
  refused): `MailError` with the server's code and answer, for that message only;
  the runner journals it ``failed`` and the run goes on (next run tries again);
- the connection drops before the end of the message reached the server: the server
  cannot have it, so reconnect and send it again (bounded retries, tenacity);
- the connection drops after the end of the message, before the server answered:
  the server may have it; `MailUncertain` (counted as sent, a human checks), never
  sent twice;
- login refused, TLS impossible, server unreachable after the retries: `MailError`
  for this message and, without trying again, for the rest of the run (repeated
  failed logins get mailboxes locked).

The password comes only from the environment variable ``RELANCE_SMTP_PASSWORD``;
a missing one is an error before anything is sent, never a prompt.
"""

from __future__ import annotations

import base64
import hmac
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.base64mime import body_encode as encode_base64
from email.utils import parseaddr
from pathlib import Path
from typing import Callable, Mapping, NoReturn

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential
from tenacity.wait import wait_base

from relance.core.config import Policy
from relance.adapters.faults import crashpoint
from relance.adapters.mailers import (MailError, MailRefused, MailUncertain, Message, SendReceipt, ascii_domain,
                                     needs_smtputf8, refusal_note, to_mime)
from relance.adapters.mailers.outbox import OutboxMailer
from relance.adapters.mailers.receipts import ACCEPTED, DATA, REJECTED, ReceiptLedger

PASSWORD_ENV = "RELANCE_SMTP_PASSWORD"
ATTEMPTS = 3
DEFAULT_WAIT = wait_exponential(multiplier=2, min=2, max=30)


class _Dropped(Exception):
    """The connection was lost (or never made) while the server could not have the message yet."""

    def __init__(self, reason: str, connecting: bool = False):
        super().__init__(reason)
        self.connecting = connecting


class _LedgerError(Exception):
    """The receipt ledger could not be written before the end of DATA: the message must not leave."""


class _SMTP(smtplib.SMTP):
    """smtplib's client, remembering where the exchange stands.

    ``data_sent`` turns True once the end-of-data marker (CRLF.CRLF, which only
    `smtplib.SMTP.data` sends) has left: from then on the server may hold the
    message. ``before_end_of_data`` runs just before that marker leaves (the receipt
    ledger's ``data`` line). ``last_reply`` is the last answer read (after DATA: the
    queue id). Credentials are sent as UTF-8 (smtplib encodes them as ASCII and
    raises on an accented password)."""

    data_sent = False
    last_reply: tuple[int, bytes] = (0, b"")
    before_end_of_data: Callable[[], None] | None = None

    def send(self, s):
        end_of_data = isinstance(s, bytes) and s.endswith(b"\r\n.\r\n")
        if end_of_data and self.before_end_of_data is not None:
            try:
                self.before_end_of_data()
            except OSError as exc:
                raise _LedgerError(str(exc.strerror or exc)) from None
        super().send(s)
        if end_of_data:
            self.data_sent = True
            crashpoint("smtp : fin de DATA envoyée")

    def getreply(self):
        self.last_reply = super().getreply()
        return self.last_reply

    def auth(self, mechanism, authobject, *, initial_response_ok=True):
        """`smtplib.SMTP.auth` with UTF-8 instead of ASCII (RFC 4616: PLAIN is UTF-8)."""
        mechanism = mechanism.upper()
        initial_response = authobject() if initial_response_ok else None
        if initial_response is not None:
            code, resp = self.docmd("AUTH", mechanism + " " + encode_base64(initial_response.encode("utf-8"), eol=""))
            challenges = 1
        else:
            code, resp = self.docmd("AUTH", mechanism)
            challenges = 0
        while code == 334:
            challenges += 1
            response = encode_base64(authobject(base64.decodebytes(resp)).encode("utf-8"), eol="")
            code, resp = self.docmd(response)
            if challenges > smtplib._MAXCHALLENGE:
                raise smtplib.SMTPException("le serveur répète ses questions d'identification")
        if code in (235, 503):
            return code, resp
        raise smtplib.SMTPAuthenticationError(code, resp)

    def auth_cram_md5(self, challenge=None):
        if challenge is None:
            return None
        return self.user + " " + hmac.HMAC(self.password.encode("utf-8"), challenge, "md5").hexdigest()


class _SMTPSSL(_SMTP, smtplib.SMTP_SSL):
    """The same over implicit TLS (port 465)."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str = ""                 # empty: no login (a local relay)
    security: str = "starttls"     # "starttls" | "ssl" | "none"
    timeout: float = 30.0


def answer(code: int, text: bytes | str) -> str:
    """``550 5.1.1 Utilisateur inconnu``: the server's words, on one line."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def for_good(code: int, text: bytes | str) -> bool:
    """Whether a refused recipient is refused for good (the address is wrong), not just today.

    A 5xx, except a full mailbox: RFC 5321 4.5.3.1.10 asks clients to treat a 552 to RCPT as
    temporary, and RFC 3463's X.2.2 (mailbox full) is the client's problem for a few days, not a
    wrong address. Declaring it refused would stop the emails and switch the client to letters."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return code >= 500 and code != 552 and not text.lstrip().startswith("5.2.2")


class SmtpMailer:
    def __init__(self, settings: SmtpSettings, password: str = "", *, outbox: Path | None = None,
                 tls: ssl.SSLContext | None = None, wait: wait_base = DEFAULT_WAIT, attempts: int = ATTEMPTS):
        if settings.user and not password:
            raise MailError(f"mot de passe SMTP absent : définissez la variable d'environnement {PASSWORD_ENV} "
                            f"(compte {settings.user} sur {settings.host}). Rien n'a été envoyé.")
        self.settings = settings
        self._password = password
        self.outbox = OutboxMailer(outbox) if outbox else None
        self.receipts = ReceiptLedger(outbox) if outbox else None
        self.tls = tls
        self.wait, self.attempts = wait, attempts
        self._smtp: _SMTP | None = None
        self._broken: MailError | None = None

    @classmethod
    def from_policy(cls, policy: Policy, environ: Mapping[str, str] = os.environ, **options) -> "SmtpMailer":
        mail = policy.mail
        settings = SmtpSettings(mail.smtp_host, mail.smtp_port, mail.smtp_user, mail.smtp_security)
        return cls(settings, environ.get(PASSWORD_ENV, ""), outbox=policy.resolve(mail.outbox), **options)

    @property
    def folder(self) -> Path | None:
        """The outbox folder holding a copy of every message the server accepted (the Mailer protocol)."""
        return self.outbox.folder if self.outbox else None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    # --- the connection ---

    def _connect(self) -> _SMTP:
        s = self.settings
        smtp: _SMTP | None = None
        try:
            if s.security == "ssl":
                smtp = _SMTPSSL(s.host, s.port, timeout=s.timeout, context=self.tls or ssl.create_default_context())
            else:
                smtp = _SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=self.tls or ssl.create_default_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, self._password)
        except smtplib.SMTPAuthenticationError as exc:
            self._give_up(smtp, f"le serveur {self.where} refuse l'identification de {s.user} : "
                                f"{answer(exc.smtp_code, exc.smtp_error)} (vérifiez {PASSWORD_ENV})")
        except smtplib.SMTPNotSupportedError as exc:
            self._give_up(smtp, f"le serveur {self.where} ne permet pas ce qui est configuré "
                                f"(smtp_security = \"{s.security}\", identification) : {exc}")
        except ssl.SSLError as exc:  # includes certificate verification: a configuration problem, not a glitch
            self._give_up(smtp, f"connexion chiffrée impossible avec {self.where} : {exc}")
        except OSError as exc:  # refused, reset, timed out, 421 greeting (smtplib's errors are OSErrors)
            if smtp is not None:
                smtp.close()
            raise _Dropped(f"connexion à {self.where} impossible : {exc}", connecting=True) from None
        return smtp

    def _give_up(self, smtp: smtplib.SMTP | None, reason: str) -> NoReturn:
        if smtp is not None:
            smtp.close()
        self._broken = MailError(reason)
        raise self._broken

    def _connection(self) -> _SMTP:
        if self._smtp is None or self._smtp.sock is None:  # never opened, or closed by the server (421)
            self._smtp = self._connect()
        return self._smtp

    def _forget_connection(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None

    # --- one message ---

    def _deliver(self, data: Message, sender: str, recipients: list[str]) -> tuple[str, dict]:
        smtp = self._connection()
        if not smtp.has_extn("smtputf8"):  # before MAIL FROM: an address this server cannot carry is unusable
            unusable = {a: "inutilisable : partie locale accentuée et le serveur ne propose pas SMTPUTF8"
                        for a in recipients if needs_smtputf8(a)}
            if unusable:
                raise MailRefused(refusal_note(unusable), unusable)
        smtp.data_sent = False
        if self.receipts is not None:
            receipts = self.receipts
            smtp.before_end_of_data = lambda: receipts.record(DATA, data.key, data.message_id)
        options: list[str] = []
        if smtp.has_extn("8bitmime") and "".join([sender, *recipients]).isascii():
            options.append("BODY=8BITMIME")  # smtplib adds it itself for international addresses
        try:
            refused = smtp.send_message(to_mime(data), sender, recipients, mail_options=options)
        except _LedgerError as exc:  # before the end of DATA: the server cannot have it
            self._forget_connection()
            raise MailError(f"registre des accusés SMTP ({self.receipts.path if self.receipts else '?'}) "
                            f"impossible à écrire : {exc} ; message non envoyé") from None
        except smtplib.SMTPRecipientsRefused as exc:
            replies = {address: answer(*reply) for address, reply in exc.recipients.items()}
            if all(for_good(*reply) for reply in exc.recipients.values()):  # for good: not tried again tomorrow
                raise MailRefused(refusal_note(replies), replies) from None
            raise MailError("destinataire(s) refusé(s) temporairement par le serveur (nouvel essai au prochain "
                            "passage) : " + "; ".join(f"{a} : {r}" for a, r in replies.items())) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, DATA refused, 421…: an answer, not a doubt
            if smtp.data_sent and self.receipts is not None:  # the server answered the end of DATA: no
                try:
                    self.receipts.record(REJECTED, data.key, data.message_id, answer(exc.smtp_code, exc.smtp_error))
                except OSError:
                    pass  # then a later crash reads it as uncertain: the safe side
            raise MailError(f"refusé par le serveur {self.where} : {answer(exc.smtp_code, exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. an accented address and no SMTPUTF8
            raise MailError(f"envoi impossible par {self.where} : {exc}") from None
        except OSError as exc:  # SMTPServerDisconnected, timeouts, resets: the connection is gone
            self._forget_connection()
            if smtp.data_sent:
                raise MailUncertain(f"connexion perdue avec {self.where} après l'envoi complet du message, avant "
                                    f"la réponse du serveur : réception incertaine, non renvoyé ({exc})") from None
            raise _Dropped(f"connexion perdue avec {self.where} : {exc}") from None
        return answer(*smtp.last_reply), refused

    def send(self, message: Message) -> SendReceipt:
        if self._broken is not None:
            raise MailError(f"{self._broken} (pas de nouvel essai pendant cette exécution)")
        try:
            sender = ascii_domain(parseaddr(message.sender)[1])
            given = {ascii_domain(parseaddr(a)[1]): parseaddr(a)[1] for a in message.to + message.cc}
        except ValueError as exc:
            raise MailError(f"adresse inutilisable : {exc}") from None
        recipients = list(given)
        retrying = Retrying(stop=stop_after_attempt(self.attempts), wait=self.wait,
                            retry=retry_if_exception_type(_Dropped), reraise=True)
        try:
            reply, refused = retrying(self._deliver, message, sender, recipients)
        except _Dropped as exc:
            error = MailError(self._scrub(f"{exc} ({self.attempts} essais)"))
            if exc.connecting:  # the last attempt could not even connect: the server is out for this run
                self._broken = error
            raise error from None
        except MailRefused as exc:  # journaled with the address as typed in Clients (the planner compares it)
            typed = {given.get(a, a): reply for a, reply in exc.addresses.items()}
            raise MailRefused(refusal_note(typed), typed) from None
        except MailError as exc:
            if self._password and self._password in str(exc):  # never the password in a journal row
                raise MailError(self._scrub(str(exc))) from None
            raise
        except Exception as exc:  # anything else is this message's failure, never a crash of the run
            self._forget_connection()
            raise MailError(self._scrub(f"envoi impossible par {self.where} : erreur inattendue "
                                        f"{type(exc).__name__} : {exc}")) from None
        if self.receipts is not None:  # the proof first: a crash from here on still counts it as sent
            try:
                self.receipts.record(ACCEPTED, message.key, message.message_id, reply)
            except OSError as exc:
                reply += f" (accusé local non écrit : {exc.strerror or exc})"
            crashpoint("smtp : acceptation enregistrée")
        detail = f"accepté par {self.where} : {reply}"
        if refused:  # some recipients (a Cc) refused: the message left to the others
            permanent = {a: answer(*r) for a, r in refused.items() if for_good(*r)}
            detail += " ; " + (refusal_note(permanent) if permanent else "refusé(s) : " + "; ".join(
                f"{a} : {answer(*r)}" for a, r in refused.items()))
        path = ""
        if self.outbox is not None:
            try:
                path = self.outbox.send(message).path
            except MailError as exc:  # the message left; a missing copy must not make it "failed"
                detail += f" ; copie non écrite : {exc}"
        return SendReceipt(message.message_id, detail, path)

    def _scrub(self, text: str) -> str:
        """The password never reaches a message, a journal row or a log."""
        return text.replace(self._password, "***") if self._password else text

    def was_sent(self, message_id: str, key: str) -> bool | None:
        """From the receipt ledger (receipts.py): True with the server's 250 on record (or the outbox
        copy, written after it); False when the end of DATA never left (the server cannot have it);
        None when it left and no answer was recorded: only the recipient's mailbox could tell."""
        if self.outbox is not None and self.outbox.was_sent(message_id, key):
            return True
        if self.receipts is None:
            return None
        state = self.receipts.state(key)
        return True if state == ACCEPTED else None if state == DATA else False

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._forget_connection()
