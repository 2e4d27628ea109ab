"""The e-mail port, its SMTP adapter, and the signed bounce webhooks of mail providers.

`Mailer.send` hands one message to the outside world. The SMTP adapter is a real SMTP client
(stdlib smtplib, run in a thread so the event loop never blocks), with STARTTLS or TLS and
authentication from settings and a timeout on every connection. In dev and test it talks to
a real local SMTP server process (web/devmail.py); in production to the operator's relay.

Failures are typed: MailRejected is permanent (the relay refused the recipient or the
message: retrying cannot help), MailUnavailable is transient (connection, timeout, 4xx).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from domain.kernel.errors import DomainError
from domain.kernel.settings import Settings, SmtpSecurity

SIGNATURE_HEADER = "x-stakehouse-signature"
# A bounce signed further from now than this is refused (replay window).
SIGNATURE_WINDOW_S = 300
BOUNCE_BODY_MAX_BYTES = 16_384


class MailUnavailable(DomainError):
    code = "MAIL_UNAVAILABLE"
    message = "The mail relay could not be reached or deferred the message."


class MailRejected(DomainError):
    code = "MAIL_REJECTED"
    message = "The mail relay refused the message."


class InvalidMailWebhook(DomainError):
    code = "INVALID_SIGNATURE"
    message = "The webhook signature is missing, wrong or outside its time window."


@dataclass(frozen=True)
class OutgoingMail:
    message_id: str  # the Message-ID header, e.g. "<uuid@stakehouse>"
    sender: str
    recipient: str
    subject: str
    text: str
    html: str
    headers: Mapping[str, str] = field(default_factory=dict)
    sent_at: datetime | None = None

    def to_mime(self) -> EmailMessage:
        """A multipart/alternative message: the text part first, the HTML part preferred."""
        message = EmailMessage()
        message["Message-ID"] = self.message_id
        message["From"] = self.sender
        message["To"] = self.recipient
        message["Subject"] = self.subject
        if self.sent_at is not None:
            message["Date"] = format_datetime(self.sent_at)
        for name, value in self.headers.items():
            message[name] = value
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        return message


def message_id_for(key: str, domain: str) -> str:
    """A stable Message-ID for one of our messages (a resend carries the same one, so a
    receiver can tell a duplicate)."""
    return f"<{key}@{domain}>" if key else make_msgid(domain=domain)


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None:
        """Errors: MailUnavailable, MailRejected."""


class SmtpMailer:
    """Sends through an SMTP relay. One connection per message: mail leaves from workers
    one message at a time, and a long-lived connection would outlive relay time-outs."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: SmtpSecurity = SmtpSecurity.NONE,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        ca_file: str | None = None,
    ) -> None:
        self.host = host
        # Certificates are always verified: against `ca_file` (a private CA) when set, else
        # against the system's CAs.
        self.ca_file = ca_file
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout_s=settings.smtp_timeout_seconds,
            ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        )

    async def send(self, mail: OutgoingMail) -> None:
        await asyncio.to_thread(self._send, mail.to_mime())

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        if self.security is SmtpSecurity.STARTTLS:
            try:
                client.starttls(context=context)
            except BaseException:
                client.close()
                raise
        return client

    def _send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as client:
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise MailRejected(_describe(error)) from None
        except smtplib.SMTPResponseException as error:
            # 5xx is the relay's final word; 4xx (greylisting, full queue) may pass later.
            failure = MailRejected if 500 <= error.smtp_code < 600 else MailUnavailable
            raise failure(_describe(error)) from None
        except (OSError, smtplib.SMTPException) as error:
            raise MailUnavailable(_describe(error)) from None


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def bounce_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value a provider sends with a bounce: `t=<unix>,v1=<hex HMAC-SHA256>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_bounce(secret: str, header: str | None, body: bytes, now: datetime) -> None:
    """Check a bounce webhook's signature and time window before its body is read.
    Errors: InvalidMailWebhook."""
    parts = dict(part.split("=", 1) for part in (header or "").split(",") if part.count("=") == 1)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise InvalidMailWebhook() from None
    if abs(now.timestamp() - timestamp) > SIGNATURE_WINDOW_S:
        raise InvalidMailWebhook()
    expected = bounce_signature(secret, timestamp, body).split("v1=", 1)[1]
    if not hmac.compare_digest(expected.encode(), parts.get("v1", "").encode()):
        raise InvalidMailWebhook()
