"""`reportUpdated` over graphql-transport-ws: staff with report.read hear that their
brand's read model moved, after the figures commit; others are refused."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from websockets.exceptions import ConnectionClosed

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.outbox import EVENTS_CHANNEL
from domain.kernel.pubsub import PublishedEvent, encode_notification
from domain.reporting.events import ReportUpdated
from tests.domain.reporting.support import apply_outbox, execute, player
from tests.schema.accounts.test_staff import signed_in_staff
from tests.schema.wallets.support import next_message, subscribe
from tests.support import AURORA, Api

REPORT_UPDATED = "subscription { reportUpdated { day } }"


# How long a subscription case listens while aurora's events are published.
STREAM_LISTEN_S = 1.5


async def streamed(
    server: str, host: str, token: str | None, document: str, db: Database
) -> tuple[list[str | None], Any]:
    """What a subscription delivers on `host` while an aurora event of its topic is
    published (NOTIFY, as the relay does, without writing a row the fingerprint counts):
    the refusal codes and the data of the first message, or nothing."""
    try:
        socket = await subscribe(server, host, token, document)
    except ConnectionClosed:
        # The socket's init was refused (4403: the token is no session on this host).
        return ["NOT_AUTHENTICATED"], None
    try:
        first = await next_message(socket, 0.3)
        if first is None:
            for _ in range(3):
                await _publish_aurora_report_update(db)
                first = await next_message(socket, STREAM_LISTEN_S / 3)
                if first is not None:
                    break
    finally:
        await socket.close()
    if first is None:
        return [], None
    payload = first.get("payload")
    if first["type"] == "error":
        return [e.get("extensions", {}).get("code") for e in payload], None
    codes = [e.get("extensions", {}).get("code") for e in payload.get("errors") or []]
    data = payload.get("data")
    return codes, next(iter(data.values())) if data else None


async def _publish_aurora_report_update(db: Database) -> None:
    event = PublishedEvent(0, ReportUpdated.topic, "aurora", {"day": "2026-01-01"})
    async with db.uow() as uow:
        await uow.session.execute(
            text("SELECT pg_notify(:channel, :message)"),
            {"channel": EVENTS_CHANNEL, "message": encode_notification(event)},
        )
        await uow.commit()


async def test_finance_hears_of_a_registration_once_it_is_in_the_figures(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    finance = await signed_in_staff(Api(server, AURORA), db, "fin@op.example", ["finance"])
    socket = await subscribe(server, AURORA, finance.token, REPORT_UPDATED)

    # The subscription goes live asynchronously: register players (forgetting the
    # throttle's last signal each time) until one signal arrives.
    message = None
    for _ in range(20):
        await execute(db, "DELETE FROM reporting_signals")
        await player(db, registry, "aurora", "EUR")
        assert await apply_outbox(db) >= 1
        message = await next_message(socket, 0.5)
        if message is not None:
            break

    assert message is not None
    assert message["type"] == "next", message
    day = message["payload"]["data"]["reportUpdated"]["day"]
    registered = await execute(
        db, "SELECT sum(registrations) FROM reporting_daily WHERE brand = 'aurora' AND day = :d",
        d=date.fromisoformat(day),
    )  # fmt: skip
    assert registered[0][0] >= 1
    await socket.close()


async def test_a_player_cannot_subscribe(server: str, db: Database) -> None:
    player_api = Api(server, AURORA)
    await player_api.register(email="rex@example.com")
    await player_api.login("rex@example.com")
    assert player_api.token
    socket = await subscribe(server, AURORA, player_api.token, REPORT_UPDATED)

    message = await next_message(socket, 5)

    assert message is not None
    # Refused when the stream starts: a result carrying only the typed error.
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] in {
        "PERMISSION_DENIED", "NOT_AUTHENTICATED",
    }  # fmt: skip
    await socket.close()


async def test_the_scope_matrixs_published_event_reaches_a_staff_member_of_its_brand(
    server: str, db: Database
) -> None:
    """The control of the staff-scope matrix's subscription case: what it publishes for
    aurora does arrive on aurora, so northstar's silence there is a real refusal."""
    finance = await signed_in_staff(Api(server, AURORA), db, "fin@op.example", ["finance"])

    codes, data = await streamed(server, AURORA, finance.token, REPORT_UPDATED, db)

    assert (codes, data) == ([], {"day": "2026-01-01"})
