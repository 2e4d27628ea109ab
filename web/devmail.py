"""The dev and test mail server: a real SMTP server process (aiosmtpd) that keeps every
message it receives as an `.eml` file, and the dev mailbox page that lists them.

`python -m web.devmail --port 2525 --dir .stakehouse/mailbox` runs the server; `stakehouse
dev` and the tests start it as a separate process (`start_process`), and the platform's
SMTP adapter talks to it exactly as to a production relay. `/dev/mailbox` on a brand host
(never in production) lists the brand's mail, newest first, with its text and a link to
its rendered HTML (served on its own, sandboxed, with no script allowed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from domain.kernel.settings import Settings

MAILBOX_LIST_MAX = 100
START_TIMEOUT_S = 10.0


class MailboxHandler:
    """aiosmtpd handler: each accepted message becomes one file, written whole (a reader
    never sees half a message: it is renamed into place)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        partial = self.folder / f".{name}.tmp"
        partial.write_bytes(envelope.original_content or envelope.content)
        partial.rename(self.folder / f"{name}.eml")
        return "250 Message accepted for delivery"


def serve(
    host: str, port: int, folder: Path, *, tls_cert: Path | None = None, tls_key: Path | None = None
) -> None:
    """Serve until interrupted. With a certificate, clients must STARTTLS before sending
    (as a production relay on port 587 would have them)."""
    from aiosmtpd.controller import Controller  # noqa: PLC0415

    tls: dict[str, Any] = {}
    if tls_cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls_cert, tls_key)
        tls = {"tls_context": context, "require_starttls": True}
    controller = Controller(MailboxHandler(folder), hostname=host, port=port, **tls)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


def start_process(
    host: str, port: int, folder: Path, *, tls_cert: Path | None = None, tls_key: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start the server as a process of its own; returns once it accepts connections."""
    command = [sys.executable, "-m", "web.devmail", "--host", host, "--port", str(port)]
    command += ["--dir", str(folder)]
    if tls_cert is not None and tls_key is not None:
        command += ["--tls-cert", str(tls_cert), "--tls-key", str(tls_key)]
    process = subprocess.Popen(command, start_new_session=True)  # noqa: S603 (our own argv)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dev SMTP server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the dev SMTP server did not listen on {host}:{port}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass(frozen=True)
class ReceivedMail:
    key: str  # the file name without .eml
    brand: str | None
    kind: str | None
    sender: str
    recipient: str
    subject: str
    date: str
    message_id: str
    text: str
    html: str

    @classmethod
    def parse(cls, key: str, data: bytes) -> ReceivedMail:
        message = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(message, EmailMessage)
        return cls(
            key=key,
            brand=message.get("X-Stakehouse-Brand"),
            kind=message.get("X-Stakehouse-Kind"),
            sender=str(message.get("From", "")),
            recipient=str(message.get("To", "")),
            subject=str(message.get("Subject", "")),
            date=str(message.get("Date", "")),
            message_id=str(message.get("Message-ID", "")),
            text=_part(message, "plain"),
            html=_part(message, "html"),
        )


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    return body.get_content() if body is not None else ""


def read_mailbox(folder: Path, *, brand: str | None = None) -> list[ReceivedMail]:
    """The mail received, newest first (up to MAILBOX_LIST_MAX), of one brand if given."""
    if not folder.exists():
        return []
    found = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        mail = ReceivedMail.parse(path.stem, path.read_bytes())
        if brand is None or mail.brand == brand:
            found.append(mail)
        if len(found) >= MAILBOX_LIST_MAX:
            break
    return found


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dev mailbox</title></head><body>
<main><h1>Dev mailbox</h1><p>Mail sent through the dev SMTP server ({count}). Dev only.</p>
{items}</main></body></html>"""
_ITEM = """<article class="mail" data-kind="{kind}" data-to="{to}">
<h2>{subject}</h2><p>To {to} · from {sender} · {date}</p>
<p><a href="/dev/mailbox/{key}.html">Rendered HTML</a></p>
<pre>{text}</pre></article>"""


def mailbox_routes(settings: Settings) -> list[Route]:
    """The dev mailbox pages; none in production."""
    if settings.is_production:
        return []
    folder = settings.mailbox_dir

    def brand_of(request: Request) -> str | None:
        return getattr(request.scope["state"].get("brand"), "slug", None)

    async def listing(request: Request) -> Response:
        brand = brand_of(request)
        if brand is None:
            return Response(status_code=404)
        mails = await asyncio.to_thread(read_mailbox, folder, brand=brand)
        items = "\n".join(
            _ITEM.format(
                kind=html.escape(mail.kind or ""),
                to=html.escape(mail.recipient),
                subject=html.escape(mail.subject),
                sender=html.escape(mail.sender),
                date=html.escape(mail.date),
                key=html.escape(mail.key),
                text=html.escape(mail.text),
            )
            for mail in mails
        )
        return HTMLResponse(_PAGE.format(count=len(mails), items=items or "<p>No mail yet.</p>"))

    async def rendered(request: Request) -> Response:
        brand = brand_of(request)
        key = request.path_params["key"]
        path = folder / f"{key}.eml"
        # The key is a file name we wrote: digits, a dash and hex, nothing else.
        if brand is None or not key.replace("-", "").isalnum() or not path.exists():
            return Response(status_code=404)
        mail = ReceivedMail.parse(key, await asyncio.to_thread(path.read_bytes))
        if mail.brand != brand:
            return Response(status_code=404)
        response = HTMLResponse(mail.html)
        # The mail's own HTML, as a mail client shows it: inline styles, no script, no
        # forms, its links open normally.
        response.headers["content-security-policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
            "sandbox allow-top-navigation-by-user-activation allow-popups"
        )
        return response

    return [
        Route("/dev/mailbox", listing, methods=["GET"]),
        Route("/dev/mailbox/{key}.html", rendered, methods=["GET"]),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The dev SMTP server (keeps mail as files).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("MAILBOX", "mailbox")))
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate: require STARTTLS")
    parser.add_argument("--tls-key", type=Path, help="its PEM private key")
    arguments = parser.parse_args(argv)
    serve(
        arguments.host,
        arguments.port,
        arguments.dir,
        tls_cert=arguments.tls_cert,
        tls_key=arguments.tls_key,
    )


if __name__ == "__main__":
    main()
