"""Postbacks: a referred registration reaches the affiliate's URL signed with its secret and
naming no person; an endpoint that is down is retried with backoff, then given up."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Mapping

import httpx
import pytest

from domain.affiliates import postbacks, programme
from domain.affiliates.errors import InvalidPostbackUrl
from domain.brands.service import BrandRegistry
from domain.integrations.postbacks import (
    POSTBACK_TIMEOUT_S,
    Address,
    HttpPostbacks,
    SandboxPostbacks,
    signature,
)
from domain.kernel.db import Database
from tests.domain.affiliates.support import affiliate, cpa_plan, referred_player, revshare_plan
from tests.domain.reporting.support import execute

MAKE_DUE = "UPDATE affiliate_postbacks SET next_attempt_at = now() - interval '1 second'"


async def test_a_referred_registration_is_posted_back_signed_and_without_personal_data(
    db: Database, registry: BrandRegistry
) -> None:
    created = await affiliate(
        db, "Cpa Partners", cpa_plan(), "cpa-spring", postback_url="https://cpa.example/pb"
    )
    await affiliate(db, "Quiet", revshare_plan(), "quiet-1")  # no URL: owed nothing
    player_id = await referred_player(db, registry, "cpa-spring")
    await referred_player(db, registry, "quiet-1")
    receiver = SandboxPostbacks()

    assert await postbacks.deliver_due(db, receiver) == 1
    assert await postbacks.deliver_due(db, receiver) == 0  # delivered once

    (received,) = receiver.received
    assert received.url == "https://cpa.example/pb"
    timestamp = int(received.headers["X-Stakehouse-Timestamp"])
    expected = signature(created.postback_secret, timestamp, received.body)
    assert received.headers["X-Stakehouse-Signature"] == expected
    body = json.loads(received.body)
    assert body["event"] == "registration"
    assert body["code"] == "cpa-spring"
    assert body["brand"] == "aurora"
    assert len(body["referral"]) == 24
    (email,) = (await execute(db, "SELECT email FROM players WHERE id = :p", p=player_id))[0]
    assert str(player_id) not in received.body.decode()
    assert str(email) not in received.body.decode()


async def test_a_postback_to_an_endpoint_that_is_down_is_retried_then_given_up(
    db: Database, registry: BrandRegistry
) -> None:
    await affiliate(
        db, "Flaky", cpa_plan(), "flaky-1", postback_url="https://postback-down.example/pb"
    )
    await referred_player(db, registry, "flaky-1")
    receiver = SandboxPostbacks()

    assert await postbacks.deliver_due(db, receiver) == 0
    status = "SELECT status, attempts, next_attempt_at > now() FROM affiliate_postbacks"
    assert await execute(db, status) == [("pending", 1, True)]
    # Not due again until its backoff has passed.
    assert await postbacks.deliver_due(db, receiver) == 0
    assert await execute(db, status) == [("pending", 1, True)]
    for _ in range(postbacks.ATTEMPTS_MAX - 1):
        await execute(db, MAKE_DUE)
        await postbacks.deliver_due(db, receiver)

    assert await execute(db, "SELECT status, attempts, last_error FROM affiliate_postbacks") == [
        ("failed", postbacks.ATTEMPTS_MAX, "HTTP 503")
    ]
    assert receiver.received == []


INTERNAL_URLS = (
    "https://localhost/pb",  # a name resolving to loopback
    "https://127.0.0.1/pb",
    "https://10.1.2.3/pb",
    "https://192.168.0.10:8443/pb",
    "https://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
    "https://[::1]/pb",
    "https://[::ffff:10.0.0.1]/pb",  # IPv4-mapped private
    "https://224.0.0.1/pb",  # multicast
    "https://240.0.0.1/pb",  # reserved
    "https://0.0.0.0/pb",
)


@pytest.mark.parametrize("url", INTERNAL_URLS)
async def test_a_postback_url_on_an_internal_host_is_refused_when_set(
    db: Database, url: str
) -> None:
    with pytest.raises(InvalidPostbackUrl):
        async with db.transaction() as uow:  # the real sender's check, by default
            await programme.create_affiliate(
                uow, None, brand="aurora", name="Inside", plan=cpa_plan(), postback_url=url
            )
    assert not await HttpPostbacks().allows(url)
    assert await execute(db, "SELECT count(*) FROM affiliates") == [(0,)]


async def test_a_public_address_is_allowed_and_the_sandbox_refuses_literal_internal_ones() -> None:
    assert await HttpPostbacks().allows("https://93.184.216.34/pb")
    sandbox = SandboxPostbacks()
    assert await sandbox.allows("https://cpa.example/pb")  # a name: the sandbox reaches no one
    for url in INTERNAL_URLS[1:]:
        assert not await sandbox.allows(url), url


async def test_a_postback_whose_host_became_internal_is_not_sent(
    db: Database, registry: BrandRegistry
) -> None:
    await affiliate(db, "Moved", cpa_plan(), "moved-1", postback_url="https://93.184.216.34/pb")
    await referred_player(db, registry, "moved-1")
    await execute(db, "UPDATE affiliates SET postback_url = 'https://127.0.0.1:1/pb'")

    assert await postbacks.deliver_due(db, HttpPostbacks()) == 0
    assert await execute(db, "SELECT status, attempts, last_error FROM affiliate_postbacks") == [
        ("pending", 1, "not a public host")
    ]


async def test_two_concurrent_batches_never_send_one_postback_twice(
    db: Database, registry: BrandRegistry
) -> None:
    await affiliate(db, "Busy", cpa_plan(), "busy-1", postback_url="https://busy.example/pb")
    for _ in range(4):
        await referred_player(db, registry, "busy-1")
    first, second = SandboxPostbacks(delay_s=0.05), SandboxPostbacks(delay_s=0.05)

    sent = await asyncio.gather(postbacks.deliver_due(db, first), postbacks.deliver_due(db, second))

    bodies = [json.loads(r.body)["id"] for r in first.received + second.received]
    assert sum(sent) == 4
    assert sorted(bodies) == sorted(set(bodies)) and len(bodies) == 4
    assert (
        await execute(db, "SELECT status, attempts FROM affiliate_postbacks")
        == [("delivered", 1)] * 4
    )
    assert await postbacks.deliver_due(db, first) == 0


async def test_a_claimed_postback_is_not_due_again_until_its_lease_passes(
    db: Database, registry: BrandRegistry
) -> None:
    await affiliate(db, "Lease", cpa_plan(), "lease-1", postback_url="https://lease.example/pb")
    await referred_player(db, registry, "lease-1")

    class Dies(SandboxPostbacks):
        async def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
            raise RuntimeError("the scheduler died mid-send")

    with pytest.raises(RuntimeError):
        await postbacks.deliver_due(db, Dies())
    receiver = SandboxPostbacks()
    assert await postbacks.deliver_due(db, receiver) == 0  # still leased to the dead batch
    await execute(db, MAKE_DUE)  # the lease has passed
    assert await postbacks.deliver_due(db, receiver) == 1


class RebindingResolver:
    """A test resolver for a name that answers `first` once, then `later` (what a DNS
    rebinding attacker's server does between a check and a connection)."""

    def __init__(self, first: list[str], later: list[str]) -> None:
        self.answers = [first, later]
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[Address]:
        self.asked.append((host, port))
        answer = self.answers[min(len(self.asked), 2) - 1]
        return [ipaddress.ip_address(a) for a in answer]


def receiving_transport(seen: list[httpx.Request]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    return httpx.MockTransport(answer)


async def test_a_name_that_rebinds_after_the_check_is_reached_at_the_checked_address(
    db: Database, registry: BrandRegistry
) -> None:
    await affiliate(
        db, "Rebinder", cpa_plan(), "rebind-1", postback_url="https://pb.rebind.example:8443/in?x=1"
    )
    await referred_player(db, registry, "rebind-1")
    resolver = RebindingResolver(["93.184.216.34"], ["127.0.0.1"])
    seen: list[httpx.Request] = []
    sender = HttpPostbacks(resolver=resolver, transport=receiving_transport(seen))

    assert await postbacks.deliver_due(db, sender) == 1

    # Resolved once; the connection goes to the address that was checked, never to the
    # loopback address the name answers now, with the name kept for Host and TLS.
    assert resolver.asked == [("pb.rebind.example", 8443)]
    (request,) = seen
    assert str(request.url) == "https://93.184.216.34:8443/in?x=1"
    assert request.headers["host"] == "pb.rebind.example:8443"
    assert request.extensions["sni_hostname"] == "pb.rebind.example"
    assert json.loads(request.content)["event"] == "registration"


@pytest.mark.parametrize(
    "answer",
    [
        ["93.184.216.34", "10.0.0.7"],  # one internal address among public ones
        ["169.254.169.254"],  # the cloud metadata service (link-local)
        ["::ffff:127.0.0.1"],  # loopback behind an IPv4-mapped IPv6 address
        ["fd00::1"],  # unique local IPv6
        [],
    ],
)
async def test_a_name_resolving_to_any_internal_address_is_never_connected_to(
    db: Database, registry: BrandRegistry, answer: list[str]
) -> None:
    await affiliate(db, "Inner", cpa_plan(), "inner-1", postback_url="https://in.example/pb")
    await referred_player(db, registry, "inner-1")
    seen: list[httpx.Request] = []
    resolver = RebindingResolver(answer, answer)
    sender = HttpPostbacks(resolver=resolver, transport=receiving_transport(seen))

    assert not await sender.allows("https://in.example/pb")
    assert await postbacks.deliver_due(db, sender) == 0

    assert seen == []
    assert await execute(db, "SELECT status, attempts, last_error FROM affiliate_postbacks") == [
        ("pending", 1, "not a public host")
    ]


async def test_a_public_ipv6_name_is_reached_at_its_bracketed_address() -> None:
    seen: list[httpx.Request] = []
    sender = HttpPostbacks(
        resolver=RebindingResolver(["2606:2800:220:1:248:1893:25c8:1946"], ["::1"]),
        transport=receiving_transport(seen),
    )

    await sender.send("https://v6.example/pb", b"{}", {"Content-Type": "application/json"})

    (request,) = seen
    assert str(request.url) == "https://[2606:2800:220:1:248:1893:25c8:1946]/pb"
    assert request.headers["host"] == "v6.example"


class _CountingTransport(httpx.AsyncBaseTransport):
    """Answers 204 and counts the requests it carries and how often it is closed."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.closed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(204)

    async def aclose(self) -> None:
        self.closed += 1


async def test_one_sender_sends_through_one_client_with_timeouts_until_it_is_closed() -> None:
    transport = _CountingTransport()
    sender = HttpPostbacks(
        resolver=RebindingResolver(["93.184.216.34"], ["93.184.216.34"]), transport=transport
    )

    for number in range(3):
        await sender.send(f"https://pb.example/in?n={number}", b"{}", {})
    open_while_sending = transport.closed
    await sender.aclose()
    await sender.aclose()  # closing twice (a shutdown after a failed start) is harmless

    assert len(transport.requests) == 3
    # A client per send would have closed its transport after each one.
    assert open_while_sending == 0
    assert transport.closed == 1
    timeouts = transport.requests[0].extensions["timeout"]
    assert set(timeouts.values()) == {POSTBACK_TIMEOUT_S}
