"""The SMTP adapter against a real SMTP server process that requires STARTTLS."""

from __future__ import annotations

import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.integrations.mail import MailRejected, MailUnavailable, OutgoingMail, SmtpMailer
from domain.kernel.settings import SmtpSecurity
from web import devmail
from web.devmail import read_mailbox


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def tls_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path, Path]]:
    """A dev SMTP server process that refuses mail before STARTTLS, with a self-signed
    certificate for 127.0.0.1; yields its port, its CA file and its mail folder."""
    folder = tmp_path_factory.mktemp("tls-relay")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    process = devmail.start_process("127.0.0.1", port, folder / "mail", tls_cert=cert, tls_key=key)
    yield port, cert, folder / "mail"
    devmail.stop_process(process)


def a_mail() -> OutgoingMail:
    return OutgoingMail(
        message_id=f"<{uuid.uuid4()}@aurora.localhost>",
        sender="Aurora Casino <no-reply@aurora.localhost>",
        recipient=f"{uuid.uuid4().hex[:8]}@example.com",
        subject="Hello",
        text="Hello",
        html="<p>Hello</p>",
    )


async def test_starttls_with_the_relays_ca_delivers(tls_relay: tuple[int, Path, Path]) -> None:
    port, ca, folder = tls_relay
    mailer = SmtpMailer(
        "127.0.0.1", port, security=SmtpSecurity.STARTTLS, ca_file=str(ca), timeout_s=5
    )
    mail = a_mail()

    await mailer.send(mail)

    assert [received.message_id for received in read_mailbox(folder)
            if received.recipient == mail.recipient] == [mail.message_id]  # fmt: skip


async def test_without_starttls_the_relay_refuses_for_good(
    tls_relay: tuple[int, Path, Path],
) -> None:
    port, _, _ = tls_relay
    mailer = SmtpMailer("127.0.0.1", port, security=SmtpSecurity.NONE, timeout_s=5)

    with pytest.raises(MailRejected, match="530"):
        await mailer.send(a_mail())


async def test_an_untrusted_certificate_is_not_sent_to(tls_relay: tuple[int, Path, Path]) -> None:
    port, _, folder = tls_relay
    # The system's CAs do not know the relay's self-signed certificate.
    mailer = SmtpMailer("127.0.0.1", port, security=SmtpSecurity.STARTTLS, timeout_s=5)
    mail = a_mail()

    with pytest.raises(MailUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        await mailer.send(mail)
    assert all(received.recipient != mail.recipient for received in read_mailbox(folder))
