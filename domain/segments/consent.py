"""Marketing consent per channel, and who may never be in a marketing audience.

Consent is given and withdrawn by the player (account page, API, or a signed one-click
unsubscribe link); every change is audited and emits an event so segments that test
consent re-evaluate the player. Absent consent is no consent.

Protection overrides any segment: a player who is not active (self-excluded, suspended,
closed), is on a time-out, or whose person is self-excluded on any brand of the operator
(the exclusion follows the jurisdiction pack of the brand it was asked on) is suppressed
from every campaign. What a jurisdiction adds arrives through the same status: a player
its national self-exclusion register lists (the pack's `national_register`, screened by
domain.compliance.registers) becomes self-excluded, so no campaign reaches them either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.models import Player, PlayerStatus
from domain.accounts.principal import Principal, require_player
from domain.compliance.models import PersonLink, SelfExclusionRow
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import NotAuthenticated
from domain.kernel.outbox import emit
from domain.kernel.settings import get_settings
from domain.segments.errors import InvalidUnsubscribeToken
from domain.segments.events import MarketingConsentChanged
from domain.segments.models import ConsentChannel, MarketingConsent

TOKEN_LENGTH_MAX: Final = 400
_SIGNATURE_HEX: Final = 32


@dataclass(frozen=True)
class ConsentState:
    channel: ConsentChannel
    granted: bool
    changed_at: datetime | None


async def consents_of(uow: UnitOfWork, player_id: uuid.UUID) -> list[ConsentState]:
    """Every channel with the player's consent on it (not given until given)."""
    rows = await uow.session.execute(
        select(MarketingConsent.channel, MarketingConsent.granted, MarketingConsent.changed_at)
        .where(MarketingConsent.player_id == player_id)
    )  # fmt: skip
    found = {channel: (granted, at) for channel, granted, at in rows.all()}
    return [ConsentState(channel, *found.get(channel, (False, None))) for channel in ConsentChannel]


async def set_consent(
    uow: UnitOfWork,
    player: Player,
    channel: ConsentChannel,
    *,
    granted: bool,
    source: str,
) -> ConsentState:
    """Give or withdraw the player's consent on a channel (`source`: "site", "api",
    "unsubscribe_link"); audited. Setting what is already set changes and records nothing."""
    before = await uow.session.scalar(
        select(MarketingConsent.granted)
        .where(MarketingConsent.player_id == player.id, MarketingConsent.channel == channel)
        .with_for_update()
    )
    now = clock.now()
    if bool(before) == granted:
        return ConsentState(channel, granted, None)
    statement = insert(MarketingConsent).values(
        player_id=player.id, channel=channel, brand=player.brand, granted=granted, changed_at=now
    )
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["player_id", "channel"],
            set_={"granted": granted, "changed_at": now},
        )
    )
    await audit.record(
        uow,
        actor_kind="player",
        actor_id=player.id,
        action="marketing_consent.granted" if granted else "marketing_consent.withdrawn",
        subject_type="player",
        subject_id=player.id,
        brand=player.brand,
        reason=source,
        before={"channel": channel.value, "granted": bool(before)},
        after={"channel": channel.value, "granted": granted},
    )
    await emit(
        uow,
        MarketingConsentChanged(player_id=str(player.id), channel=channel.value, granted=granted),
        brand=player.brand,
    )
    return ConsentState(channel, granted, now)


async def set_own_consent(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    channel: ConsentChannel,
    *,
    granted: bool,
    source: str,
) -> ConsentState:
    """The signed-in player gives or withdraws their own consent (a self-excluded player's
    withdraw-only session may withdraw it too). Errors: NotAuthenticated,
    TwoFactorRequired, WithdrawOnly (giving it while self-excluded)."""
    principal = require_player(actor, withdraw_only_allowed=not granted)
    player = await uow.session.scalar(
        select(Player).where(Player.id == principal.id, Player.brand == brand)
    )
    if player is None:
        raise NotAuthenticated()
    return await set_consent(uow, player, channel, granted=granted, source=source)


async def own_consents(uow: UnitOfWork, actor: Principal | None) -> list[ConsentState]:
    """The signed-in player's consents. Errors: NotAuthenticated, TwoFactorRequired."""
    principal = require_player(actor, withdraw_only_allowed=True)
    return await consents_of(uow, principal.id)


def consented(channel: ConsentChannel) -> ColumnElement[bool]:
    """A predicate over Player: consent given on `channel`."""
    return exists().where(
        MarketingConsent.player_id == Player.id,
        MarketingConsent.channel == channel,
        MarketingConsent.granted.is_(True),
    )


def protected(now: datetime) -> ColumnElement[bool]:
    """A predicate over Player: never in a marketing audience."""
    excluded_person = exists().where(
        PersonLink.player_id == Player.id,
        SelfExclusionRow.person_id == PersonLink.person_id,
        SelfExclusionRow.lifted_at.is_(None),
    )
    return or_(
        Player.status != PlayerStatus.ACTIVE,
        Player.time_out_until > now,
        excluded_person,
    )


def _signature(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:_SIGNATURE_HEX]


def unsubscribe_token(brand: str, player_id: uuid.UUID, channel: ConsentChannel) -> str:
    """A signed, lasting token that withdraws one player's consent on one channel, signed
    with the current unsubscribe key (settings `unsubscribe_keys`)."""
    body = base64.urlsafe_b64encode(f"{brand}:{player_id}:{channel.value}".encode()).decode()
    return f"{body.rstrip('=')}.{_signature(get_settings().unsubscribe_keys[0], body)}"


def read_unsubscribe_token(token: str, brand: str) -> tuple[uuid.UUID, ConsentChannel]:
    """The player and channel a token names, if signed by us for this brand with the
    current or a previous unsubscribe key (links already sent outlive a rotation).
    Errors: InvalidUnsubscribeToken."""
    if len(token) > TOKEN_LENGTH_MAX or token.count(".") != 1:
        raise InvalidUnsubscribeToken(field="token")
    body, signature = token.split(".")
    padded = body + "=" * (-len(body) % 4)
    # Every key is compared (no early exit): the time taken says nothing of which matched.
    matches = [
        hmac.compare_digest(_signature(key, padded), signature)
        for key in get_settings().unsubscribe_keys
    ]
    if not any(matches):
        raise InvalidUnsubscribeToken(field="token")
    try:
        token_brand, player, channel = base64.urlsafe_b64decode(padded).decode().split(":")
        player_id, consent_channel = uuid.UUID(player), ConsentChannel(channel)
    except ValueError:
        raise InvalidUnsubscribeToken(field="token") from None
    if token_brand != brand:
        raise InvalidUnsubscribeToken(field="token")
    return player_id, consent_channel


async def unsubscribe(uow: UnitOfWork, token: str, brand: str) -> ConsentChannel:
    """Withdraw the consent a signed link names (one click; again is harmless).
    Errors: InvalidUnsubscribeToken."""
    player_id, channel = read_unsubscribe_token(token, brand)
    player = await uow.session.scalar(
        select(Player).where(Player.id == player_id, Player.brand == brand)
    )
    if player is None:
        raise InvalidUnsubscribeToken(field="token")
    await set_consent(uow, player, channel, granted=False, source="unsubscribe_link")
    return channel
