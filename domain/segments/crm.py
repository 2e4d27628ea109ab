"""Player events streamed to the brand's outside CRM, in order per player.

Committed outbox events reach `record` (the `crm` workers, one transaction per event): each
becomes one delivery per player it concerns, with the next number of that player's lane.
The lane row is locked by the statement that numbers it until the transaction commits, so
a player's sequences commit in order. The same transaction emits `CrmLaneDue`, which sends
a worker to `deliver_lane`.

`deliver_lane` leases the player's lane (one worker at a time) and sends its pending
deliveries oldest first, each outside any transaction; the first that fails stops the lane
with a back-off that doubles per attempt (`retry_first_ms`, capped at `retry_max_ms`), and
nothing later is sent before it succeeds. Nothing is ever given up: order wins, and a CRM
that is down for a day gets the day's events, in order, when it is back. `due_lanes` (the
scheduler) hands out lanes whose head is due again, and lanes a dead worker left leased.

What leaves: `{"id", "type", "brand", "player_id", "sequence", "recorded_at", "data"}` and,
only when the brand's configuration names fields, `"player": {...}` with exactly those. The
`id` is fixed when recorded, so a redelivery carries the same one and the receiver drops it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import distinct_on, insert

from domain.accounts.events import PlayerRegistered, PlayerStatusChanged
from domain.accounts.models import Player
from domain.compliance.events import LimitChanged, LimitIncreaseRequested, PlayerTimedOut
from domain.integrations.crm import CRM_TIMEOUT_S, CrmDeliveryFailed, CrmEndpoint, CrmSender
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.money import from_minor
from domain.kernel.outbox import claim_message, emit
from domain.payments.events import PaymentStatusChanged
from domain.segments.events import CrmLaneDue, MarketingConsentChanged
from domain.segments.models import CrmDelivery, CrmDeliveryStatus, CrmLane
from domain.sportsbook.events import BetsSettled
from domain.sportsbook.models import Bet

CONSUMER: Final = "crm.record"
# The topics streamed; each is translated by one function below.
TOPICS: Final = (
    PlayerRegistered.topic,
    PaymentStatusChanged.topic,
    BetsSettled.topic,
    MarketingConsentChanged.topic,
    PlayerStatusChanged.topic,
    PlayerTimedOut.topic,
    LimitChanged.topic,
    LimitIncreaseRequested.topic,
)
# A lane's worker sends at most this many events per turn, then hands the lane on.
LANE_TURN_MAX: Final = 100
# A leased lane is nobody else's for this long (renewed at every send): longer than one
# send at its timeout, so only a dead worker's lane is ever taken over.
LANE_LEASE: Final = timedelta(seconds=CRM_TIMEOUT_S * 2 + 30)
DUE_LANES_MAX: Final = 500
# Payment statuses the CRM hears of: a deposit when credited; a withdrawal when asked for,
# refused or paid.
_DEPOSIT_STATUSES: Final = frozenset({"succeeded"})
_WITHDRAWAL_STATUSES: Final = frozenset({"requested", "rejected", "succeeded"})

EndpointOf = Callable[[str], CrmEndpoint | None]


@dataclass(frozen=True)
class PlayerEvent:
    brand: str | None
    player_id: uuid.UUID
    type: str
    data: dict[str, Any]


def _money(amount_minor: int, currency: str) -> dict[str, str]:
    return {"amount": str(from_minor(amount_minor, currency)), "currency": currency}


def _one(
    brand: str | None, payload: Mapping[str, Any], kind: str, data: dict[str, Any]
) -> list[PlayerEvent]:
    return [PlayerEvent(brand, uuid.UUID(str(payload["player_id"])), kind, data)]


def _payment(brand: str | None, payload: Mapping[str, Any]) -> list[PlayerEvent]:
    kind, status = str(payload["kind"]), str(payload["after"])
    statuses = _DEPOSIT_STATUSES if kind == "deposit" else _WITHDRAWAL_STATUSES
    if status not in statuses or payload.get("before") == status:
        return []
    data = {"payment_id": str(payload["payment_id"]), "status": status}
    data |= _money(int(payload["amount_minor"]), str(payload["currency"]))
    return _one(brand, payload, kind, data)


def _limit(brand: str | None, payload: Mapping[str, Any]) -> list[PlayerEvent]:
    """A limit now in force (set, lowered, or raised after its cooling-off) as `limit_set`
    with its amount; a removal as `limit_removed`."""
    data: dict[str, Any] = {"kind": payload["kind"], "period": payload["period"]}
    amount, currency = payload.get("amount_minor"), payload.get("currency")
    if amount is None:
        return _one(brand, payload, "limit_removed", data)
    if currency is None:
        data["minutes"] = int(amount)
    else:
        data |= _money(int(amount), str(currency))
    return _one(brand, payload, "limit_set", data)


def _registration(brand: str | None, payload: Mapping[str, Any]) -> list[PlayerEvent]:
    return _one(brand, payload, "registration", {"locale": payload["locale"]})


def _consent(brand: str | None, payload: Mapping[str, Any]) -> list[PlayerEvent]:
    data = {"channel": payload["channel"], "granted": bool(payload["granted"])}
    return _one(brand, payload, "consent_changed", data)


def _status(brand: str | None, payload: Mapping[str, Any]) -> list[PlayerEvent]:
    data = {"status": payload["after"], "before": payload["before"]}
    return _one(brand, payload, "status_changed", data)


def _time_out(brand: str | None, payload: Mapping[str, Any]) -> list[PlayerEvent]:
    # A break is a status to the CRM (it must stop marketing), though not a player status.
    data = {"status": "timed_out", "period": payload["period"], "until": payload["until"]}
    return _one(brand, payload, "status_changed", data)


def _increase_requested(brand: str | None, payload: Mapping[str, Any]) -> list[PlayerEvent]:
    data = {"kind": payload["kind"], "period": payload["period"]}
    return _one(brand, payload, "limit_increase_requested", data)


_TRANSLATIONS: Final[Mapping[str, Callable[[str | None, Mapping[str, Any]], list[PlayerEvent]]]] = {
    PlayerRegistered.topic: _registration,
    PaymentStatusChanged.topic: _payment,
    MarketingConsentChanged.topic: _consent,
    PlayerStatusChanged.topic: _status,
    PlayerTimedOut.topic: _time_out,
    LimitChanged.topic: _limit,
    LimitIncreaseRequested.topic: _increase_requested,
}


def translate(topic: str, brand: str | None, payload: Mapping[str, Any]) -> list[PlayerEvent]:
    """What the CRM hears of one event naming a player (bet settlements: `bets_settled`)."""
    translation = _TRANSLATIONS.get(topic)
    return translation(brand, payload) if translation is not None else []


async def bets_settled(uow: UnitOfWork, payload: Mapping[str, Any]) -> list[PlayerEvent]:
    """One summary per player and currency of a settled chunk (bets of any brand): how many
    bets, what they staked and what they returned. One statement."""
    bet_ids = [int(bet_id) for bet_id in payload.get("bet_ids", [])]
    if not bet_ids:
        return []
    rows = await uow.session.execute(
        select(
            Bet.brand, Bet.player_id, Bet.currency, func.count(), func.sum(Bet.total_stake_minor),
            func.coalesce(func.sum(Bet.payout_minor), 0),
        )
        .where(Bet.id.in_(bet_ids))
        .group_by(Bet.brand, Bet.player_id, Bet.currency)
        .order_by(Bet.player_id, Bet.currency)
    )  # fmt: skip
    found: list[PlayerEvent] = []
    for brand, player_id, currency, count, stake_minor, return_minor in rows:
        data = {
            "product": "sportsbook", "bets": int(count), "currency": currency,
            "stake": str(from_minor(int(stake_minor or 0), currency)),
            "return": str(from_minor(int(return_minor or 0), currency)),
        }  # fmt: skip
        found.append(PlayerEvent(brand, player_id, "bet_settled", data))
    return found


async def record(
    uow: UnitOfWork,
    endpoint_of: EndpointOf,
    *,
    topic: str,
    event_id: int,
    brand: str | None,
    payload: Mapping[str, Any],
) -> int:
    """Owe the CRM what one committed event tells it, once however often it is delivered
    (the event is claimed in this transaction); returns how many deliveries were recorded.
    Brands that stream to no CRM are skipped."""
    events = (
        await bets_settled(uow, payload)
        if topic == BetsSettled.topic
        else translate(topic, brand, payload)
    )
    owed = [
        (event, endpoint)
        for event in events
        if event.brand is not None and (endpoint := endpoint_of(event.brand)) is not None
    ]
    # Claimed only when something is owed: with no CRM configured nothing is written.
    if not owed or not await claim_message(uow, CONSUMER, event_id):
        return 0
    recorded = 0
    for event, endpoint in owed:
        player = await uow.session.get(Player, event.player_id)
        if player is None or player.brand != event.brand:
            continue
        await _owe(uow, endpoint, player, event, source=f"{event_id}:{player.id}")
        recorded += 1
    return recorded


async def _owe(
    uow: UnitOfWork, endpoint: CrmEndpoint, player: Player, event: PlayerEvent, *, source: str
) -> None:
    # Numbering locks the lane row until commit: the player's next event waits for this one.
    numbered = insert(CrmLane).values(player_id=player.id, brand=player.brand, last_sequence=1)
    sequence = await uow.session.scalar(
        numbered.on_conflict_do_update(
            index_elements=[CrmLane.player_id],
            set_={"last_sequence": CrmLane.last_sequence + 1},
        ).returning(CrmLane.last_sequence)
    )
    assert sequence is not None
    now = clock.now()
    event_id = uuid.uuid4()
    body: dict[str, Any] = {
        "id": str(event_id), "type": event.type, "brand": player.brand,
        "player_id": str(player.id), "sequence": sequence, "recorded_at": now.isoformat(),
        "data": event.data,
    }  # fmt: skip
    if endpoint.player_fields:
        body["player"] = {name: getattr(player, name) for name in endpoint.player_fields}
    uow.session.add(
        CrmDelivery(
            event_id=event_id, source=source, brand=player.brand, player_id=player.id,
            sequence=sequence, type=event.type, body=body, status=CrmDeliveryStatus.PENDING,
            attempts=0, next_attempt_at=now,
        )
    )  # fmt: skip
    await uow.flush()
    await emit(uow, CrmLaneDue(player_id=str(player.id)), brand=player.brand)


def encode(body: Mapping[str, Any]) -> bytes:
    """The bytes sent (and signed) for a delivery's body: compact, keys sorted."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


@dataclass(frozen=True)
class LaneTurn:
    delivered: int
    # After this turn's attempt failed: the back-off before the head is due again (the
    # caller schedules the retry); None when the lane is empty, busy or already waiting.
    retry_in_ms: int | None


async def deliver_lane(
    db: Database,
    sender: CrmSender,
    endpoint_of: EndpointOf,
    player_id: uuid.UUID,
    *,
    retry_first_ms: int,
    retry_max_ms: int,
) -> LaneTurn:
    """Send a player's pending events in order until the lane is empty, its head fails or
    is not due yet, or LANE_TURN_MAX were sent. A flow (its own units of work); a lane
    another worker holds is left to it. Raises nothing for a failed send (it is recorded)."""
    delivered = 0
    while delivered < LANE_TURN_MAX:
        lease = await _lease(db, player_id)
        if lease is None:
            return LaneTurn(delivered, None)
        endpoint = endpoint_of(lease.brand)
        try:
            head = await _head(db, player_id)
            while delivered < LANE_TURN_MAX:
                if head is None or endpoint is None:
                    break
                if head.next_attempt_at > clock.now():
                    # Backing off: the worker whose attempt failed has scheduled the retry.
                    return LaneTurn(delivered, None)
                error: str | None = None
                try:
                    await sender.send(
                        endpoint, encode(head.body), timestamp=int(clock.now().timestamp())
                    )
                except CrmDeliveryFailed as failed:
                    error = str(failed) or "failed"
                outcome = await _outcome(
                    db, lease, head, error, retry_first_ms=retry_first_ms, retry_max_ms=retry_max_ms
                )
                if outcome.retry_ms is not None:
                    return LaneTurn(delivered, outcome.retry_ms)
                delivered += 1
                if not outcome.still_leased:
                    # Held past its lease (a stalled database): another worker has the
                    # lane now and sends from its head; a repeat is dropped by its id.
                    return LaneTurn(delivered, None)
                head = outcome.next_head
        finally:
            await _release(db, lease)
        # A later event recorded while the lane was leased found it busy: look once more
        # now that it is free, so it is not left to the sweep.
        head = await _head(db, player_id)
        if head is None or endpoint is None or head.next_attempt_at > clock.now():
            break
    return LaneTurn(delivered, None)


@dataclass(frozen=True)
class _Head:
    id: int
    body: dict[str, Any]
    attempts: int
    next_attempt_at: datetime


@dataclass(frozen=True)
class _Lease:
    player_id: uuid.UUID
    brand: str
    token: uuid.UUID


async def _lease(db: Database, player_id: uuid.UUID) -> _Lease | None:
    token = uuid.uuid4()
    async with db.uow() as uow:
        now = clock.now()
        brand = await uow.session.scalar(
            update(CrmLane)
            .where(
                CrmLane.player_id == player_id,
                (CrmLane.leased_until.is_(None)) | (CrmLane.leased_until <= now),
            )
            .values(leased_until=now + LANE_LEASE, lease_token=token)
            .returning(CrmLane.brand)
        )
        await uow.commit()
    return _Lease(player_id, brand, token) if brand is not None else None


async def _release(db: Database, lease: _Lease) -> None:
    # Only our own lease: one taken over after it lapsed is the other worker's.
    async with db.uow() as uow:
        await uow.session.execute(
            update(CrmLane)
            .where(CrmLane.player_id == lease.player_id, CrmLane.lease_token == lease.token)
            .values(leased_until=None, lease_token=None)
        )
        await uow.commit()


async def _head(db: Database, player_id: uuid.UUID) -> _Head | None:
    async with db.uow() as uow:
        return await _head_in(uow, player_id)


async def _head_in(uow: UnitOfWork, player_id: uuid.UUID) -> _Head | None:
    row = (
        await uow.session.execute(
            select(
                CrmDelivery.id,
                CrmDelivery.body,
                CrmDelivery.attempts,
                CrmDelivery.next_attempt_at,
            )
            .where(
                CrmDelivery.player_id == player_id,
                CrmDelivery.status == CrmDeliveryStatus.PENDING,
            )
            .order_by(CrmDelivery.sequence)
            .limit(1)
        )
    ).first()
    return _Head(*row) if row is not None else None


@dataclass(frozen=True)
class _Outcome:
    # The back-off after a failed attempt; None when it was delivered.
    retry_ms: int | None
    still_leased: bool
    # The lane's next head, read in the same transaction (None after a failure).
    next_head: _Head | None


async def _outcome(
    db: Database,
    lease: _Lease,
    head: _Head,
    error: str | None,
    *,
    retry_first_ms: int,
    retry_max_ms: int,
) -> _Outcome:
    """Record one attempt, renew the lease and read the next head, in one transaction."""
    attempts = head.attempts + 1
    now = clock.now()
    values: dict[str, Any] = {"attempts": attempts}
    retry_ms: int | None = None
    if error is None:
        values |= {"status": CrmDeliveryStatus.DELIVERED, "delivered_at": now, "last_error": None}
    else:
        # Doubling, capped; the exponent is bounded first so the power stays small.
        retry_ms = min(retry_first_ms * 2 ** min(attempts - 1, 40), retry_max_ms)
        values |= {
            "last_error": error[:200],
            "next_attempt_at": now + timedelta(milliseconds=retry_ms),
        }
    async with db.uow() as uow:
        await uow.session.execute(
            update(CrmDelivery)
            .where(CrmDelivery.id == head.id, CrmDelivery.status == CrmDeliveryStatus.PENDING)
            .values(**values)
        )
        renewed = await uow.session.scalar(
            update(CrmLane)
            .where(CrmLane.player_id == lease.player_id, CrmLane.lease_token == lease.token)
            .values(leased_until=now + LANE_LEASE)
            .returning(CrmLane.player_id)
        )
        following = await _head_in(uow, lease.player_id) if retry_ms is None else None
        await uow.commit()
    return _Outcome(retry_ms, renewed is not None, following)


async def due_lanes(uow: UnitOfWork, *, limit: int = DUE_LANES_MAX) -> int:
    """Hand out (as CrmLaneDue events) the lanes whose head is due and that no live worker
    holds: after a back-off whose delayed message was lost, or a worker that died."""
    now = clock.now()
    heads = (
        select(CrmDelivery.player_id, CrmDelivery.next_attempt_at)
        .ext(distinct_on(CrmDelivery.player_id))
        .where(CrmDelivery.status == CrmDeliveryStatus.PENDING)
        .order_by(CrmDelivery.player_id, CrmDelivery.sequence)
        .subquery()
    )
    rows = (
        await uow.session.execute(
            select(CrmLane.player_id, CrmLane.brand)
            .join(heads, heads.c.player_id == CrmLane.player_id)
            .where(
                heads.c.next_attempt_at <= now,
                (CrmLane.leased_until.is_(None)) | (CrmLane.leased_until <= now),
            )
            .limit(limit)
        )
    ).all()
    for player_id, brand in rows:
        await emit(uow, CrmLaneDue(player_id=str(player_id)), brand=brand)
    return len(rows)


@dataclass(frozen=True)
class Backlog:
    pending: int
    # Seconds since the oldest pending event was recorded (0: none pending).
    oldest_age_s: float


async def backlog(uow: UnitOfWork) -> Backlog:
    """Events owed to CRMs and how long the oldest has waited (one statement)."""
    count, oldest = (
        await uow.session.execute(
            select(func.count(), func.min(CrmDelivery.created_at)).where(
                CrmDelivery.status == CrmDeliveryStatus.PENDING
            )
        )
    ).one()
    age_s = (clock.now() - oldest).total_seconds() if oldest is not None else 0.0
    return Backlog(int(count), max(0.0, age_s))
