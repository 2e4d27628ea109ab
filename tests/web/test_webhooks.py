"""Every inbound webhook reads its body the same way (web/webhooks.py): past its cap, declared
up front or only streamed, it is refused with 413 BODY_TOO_LARGE before its signature is
looked at; a body at the cap is read and then judged by its signature like any other."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from domain.integrations.mail import BOUNCE_BODY_MAX_BYTES
from domain.integrations.psp import WEBHOOK_BODY_MAX_BYTES
from tests.support import AURORA

RECEIVERS = [
    ("/callbacks/psp/test", WEBHOOK_BODY_MAX_BYTES),
    ("/callbacks/kyc/test", WEBHOOK_BODY_MAX_BYTES),
    ("/crm/audiences", WEBHOOK_BODY_MAX_BYTES),
    ("/callbacks/sms/status", WEBHOOK_BODY_MAX_BYTES),
    ("/callbacks/mail/bounces", BOUNCE_BODY_MAX_BYTES),
]


async def _streamed(body: bytes) -> AsyncIterator[bytes]:
    # No content-length: the cap must hold while the body streams in.
    for start in range(0, len(body), 4096):
        yield body[start : start + 4096]


@pytest.mark.parametrize(("path", "body_max_bytes"), RECEIVERS)
async def test_a_body_past_the_cap_is_refused_whether_declared_or_streamed(
    server: str, path: str, body_max_bytes: int
) -> None:
    oversized = b"x" * (body_max_bytes + 1)

    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as client:
        declared = await client.post(path, content=oversized)
        streamed = await client.post(path, content=_streamed(oversized))

    for reply in (declared, streamed):
        assert reply.status_code == 413
        assert reply.json()["error"]["code"] == "BODY_TOO_LARGE"
        assert reply.json()["error"]["message"] == "Request body too large."
    assert "content-length" not in streamed.request.headers


@pytest.mark.parametrize(("path", "body_max_bytes"), RECEIVERS)
async def test_a_body_at_the_cap_is_read_and_refused_only_for_its_missing_signature(
    server: str, path: str, body_max_bytes: int
) -> None:
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as client:
        reply = await client.post(path, content=b"x" * body_max_bytes)

    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "INVALID_SIGNATURE"


@pytest.mark.parametrize("path", ["/callbacks/psp/test", "/callbacks/kyc/test"])
async def test_a_provider_refused_for_its_signature_is_told_the_realm_and_nothing_is_cached(
    server: str, path: str
) -> None:
    async with httpx.AsyncClient(base_url=server, headers={"host": AURORA}) as client:
        reply = await client.post(path, content=b"{}")

    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == 'Signature realm="psp"'
    assert reply.headers["cache-control"] == "no-store"
