"""Transactional notices by e-mail, each queued from an outbox event of another context (or,
for a sign-in, in the sign-in's own transaction), in the player's language: deposit and
withdrawal receipts, limit and self-exclusion confirmations, a new-device sign-in
notice, and support's reply to a player away from the chat.

Each consumer claims its event in the transaction that queues the e-mail, so a redelivered
event queues nothing more; notices queued in the change's own transaction (sign-in,
limits) exist exactly when the change does. Players without an e-mail address get no
notice. Messaging imports neither payments nor compliance: event payloads and plain values
are the contract.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from domain.accounts.models import AuthSession, Player, PlayerStatus
from domain.accounts.principal import Principal
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import claim_message
from domain.messaging import mail
from domain.messaging.models import EmailKind, EmailMessage

PAYMENT_RECEIPT_CONSUMER = "messaging.payment_receipt"
EXCLUSION_CONFIRMATION_CONSUMER = "messaging.exclusion_confirmation"
USER_AGENT_SHOWN_MAX = 200

# (payment kind, status reached) → (e-mail kind, stage shown in the e-mail).
_RECEIPTS: Mapping[tuple[str, str], tuple[EmailKind, str]] = {
    ("deposit", "succeeded"): (EmailKind.DEPOSIT_RECEIPT, "credited"),
    ("withdrawal", "requested"): (EmailKind.WITHDRAWAL_RECEIPT, "requested"),
    ("withdrawal", "succeeded"): (EmailKind.WITHDRAWAL_RECEIPT, "paid"),
}


async def _player(uow: UnitOfWork, brand: str, player_id: object) -> Player | None:
    try:
        key = uuid.UUID(str(player_id))
    except ValueError:
        return None
    return await uow.session.scalar(select(Player).where(Player.id == key, Player.brand == brand))


async def _queue_for(
    uow: UnitOfWork, player: Player, kind: EmailKind, parameters: dict[str, Any]
) -> EmailMessage | None:
    if player.email is None:
        return None
    return await mail.queue(
        uow,
        brand=player.brand,
        kind=kind,
        recipient=player.email,
        locale=player.locale,
        player_id=player.id,
        parameters=parameters,
    )


async def queue_payment_receipt(
    uow: UnitOfWork, *, event_id: int, brand: str, payload: Mapping[str, Any]
) -> EmailMessage | None:
    """A receipt for a credited deposit, a withdrawal request and a paid withdrawal (a
    payments.status_changed event); other changes send nothing."""
    receipt = _RECEIPTS.get((str(payload.get("kind")), str(payload.get("after"))))
    if receipt is None or not await claim_message(uow, PAYMENT_RECEIPT_CONSUMER, event_id):
        return None
    player = await _player(uow, brand, payload.get("player_id"))
    if player is None:
        return None
    kind, stage = receipt
    return await _queue_for(
        uow,
        player,
        kind,
        {
            "stage": stage,
            "amount_minor": int(payload["amount_minor"]),
            "currency": str(payload["currency"]),
            "reference": str(payload["payment_id"]),
        },
    )


async def queue_exclusion_confirmation(
    uow: UnitOfWork, *, event_id: int, brand: str, payload: Mapping[str, Any]
) -> EmailMessage | None:
    """The confirmation of a self-exclusion (an accounts.player_status_changed event to
    self_excluded); other changes send nothing."""
    if payload.get("after") != PlayerStatus.SELF_EXCLUDED:
        return None
    if not await claim_message(uow, EXCLUSION_CONFIRMATION_CONSUMER, event_id):
        return None
    player = await _player(uow, brand, payload.get("player_id"))
    if player is None:
        return None
    return await _queue_for(uow, player, EmailKind.SELF_EXCLUSION_CONFIRMATION, {})


async def queue_new_device_notice(uow: UnitOfWork, session: AuthSession) -> EmailMessage | None:
    """In the sign-in's transaction: tell the player when a session was opened from a
    browser or app (user agent) none of their earlier sessions used. The first sign-in
    ever (right after registering) is no news."""
    if session.player_id is None or session.brand is None:
        return None
    earlier = select(AuthSession.id).where(
        AuthSession.player_id == session.player_id, AuthSession.id != session.id
    )
    known_agent = await uow.session.scalar(
        select(func.count()).select_from(
            earlier.where(AuthSession.user_agent.is_not_distinct_from(session.user_agent))
            .limit(1)
            .subquery()
        )
    )
    any_earlier = await uow.session.scalar(
        select(func.count()).select_from(earlier.limit(1).subquery())
    )
    if known_agent or not any_earlier:
        return None
    player = await _player(uow, session.brand, session.player_id)
    if player is None:
        return None
    return await _queue_for(
        uow,
        player,
        EmailKind.NEW_DEVICE_SIGN_IN,
        {
            "device": (session.user_agent or "")[:USER_AGENT_SHOWN_MAX],
            "address": str(session.ip_address or ""),
            "at": clock.now().isoformat(),
        },
    )


async def queue_limit_confirmation(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    *,
    kind: str,
    period: str,
    amount_minor: int | None,
    currency: str | None,
    pending_amount_minor: int | None = None,
    pending_from: datetime | None = None,
) -> EmailMessage | None:
    """In the transaction that changed a limit: confirm it to the player (compliance
    decides; this only writes to them). `amount_minor` None: the limit is gone. A pending
    raise or removal (cooling-off) is confirmed with the moment it may take effect."""
    if actor is None or not actor.is_player:
        return None
    player = await _player(uow, brand, actor.id)
    if player is None:
        return None
    if pending_from is not None:
        state, shown = "pending", pending_amount_minor
    elif amount_minor is None:
        state, shown = "removed", None
    else:
        state, shown = "set", amount_minor
    return await _queue_for(
        uow,
        player,
        EmailKind.LIMIT_CONFIRMATION,
        {
            "state": state,
            "limit_kind": kind,
            "period": period,
            "amount_minor": shown,
            "currency": currency,
            "pending_from": pending_from.isoformat() if pending_from else None,
        },
    )


async def queue_support_reply(
    uow: UnitOfWork, player: Player, *, reply: str, link: str
) -> EmailMessage | None:
    """In the reply's transaction: support's answer, for a player who is not following the
    chat, with the link back to it. Transactional (no marketing consent asked, no
    unsubscribe); a closed account or one without an e-mail address gets none."""
    if player.status == PlayerStatus.CLOSED:
        return None
    return await _queue_for(uow, player, EmailKind.SUPPORT_REPLY, {"reply": reply, "link": link})
