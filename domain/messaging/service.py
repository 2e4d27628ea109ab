"""The inbox: delivery (idempotent per consumer and event), reading, marking read and
deleting. Each change emits InboxChanged with the unread count, for live badges."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from domain.accounts.models import Player
from domain.accounts.principal import Principal, require_player
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import claim_message, emit
from domain.messaging.errors import InboxMessageNotFound
from domain.messaging.events import InboxChanged
from domain.messaging.models import InboxMessage

WELCOME_CONSUMER = "messaging.send_welcome"
INBOX_PAGE_MAX = 100

_WELCOME = {
    "en": ("Welcome to {brand}", "Your account is ready. Set deposit limits any time under "
           "Responsible gambling, and contact support if you need help."),
    "de": ("Willkommen bei {brand}", "Ihr Konto ist bereit. Einzahlungslimits können Sie "
           "jederzeit unter Verantwortungsvolles Spielen festlegen."),
    "sv": ("Välkommen till {brand}", "Ditt konto är klart. Du kan när som helst sätta "
           "insättningsgränser under Ansvarsfullt spelande."),
}  # fmt: skip


async def deliver_welcome(
    uow: UnitOfWork, *, event_id: int, player_id: uuid.UUID, brand_name: str
) -> bool:
    """Put the welcome message in the player's inbox once, however often the event arrives.
    Returns False when this event was already applied."""
    if not await claim_message(uow, WELCOME_CONSUMER, event_id):
        return False
    player = await uow.session.get(Player, player_id)
    if player is None:
        return False
    subject, body = _WELCOME.get(player.locale.split("_")[0], _WELCOME["en"])
    uow.session.add(
        InboxMessage(
            brand=player.brand,
            player_id=player.id,
            kind="welcome",
            subject=subject.format(brand=brand_name),
            body=body,
        )
    )
    await uow.flush()
    await _inbox_changed(uow, player.brand, player.id)
    return True


async def deliver_notice(
    uow: UnitOfWork, player: Player, *, kind: str, subject: str, body: str
) -> InboxMessage:
    """Put a notice in the player's inbox (a step: the caller's transaction)."""
    message = InboxMessage(
        brand=player.brand, player_id=player.id, kind=kind, subject=subject, body=body
    )
    uow.session.add(message)
    await uow.flush()
    await _inbox_changed(uow, player.brand, player.id)
    return message


async def unread_counts(
    uow: UnitOfWork, brand: str, player_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Each player's unread (and not deleted) messages, in one statement."""
    rows = await uow.session.execute(
        select(InboxMessage.player_id, func.count())
        .where(
            InboxMessage.brand == brand,
            InboxMessage.player_id.in_(player_ids),
            InboxMessage.read_at.is_(None),
            InboxMessage.deleted_at.is_(None),
        )
        .group_by(InboxMessage.player_id)
    )
    found = {player_id: int(count) for player_id, count in rows.all()}
    return {player_id: found.get(player_id, 0) for player_id in player_ids}


async def _inbox_changed(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> None:
    unread = (await unread_counts(uow, brand, [player_id]))[player_id]
    await emit(uow, InboxChanged(player_id=str(player_id), unread_count=unread), brand=brand)


async def _own_message(
    uow: UnitOfWork, actor: Principal | None, brand: str, message_id: uuid.UUID | None
) -> InboxMessage:
    player = require_player(actor)
    message = (
        await uow.session.scalar(
            select(InboxMessage)
            .where(
                InboxMessage.id == message_id,
                InboxMessage.brand == brand,
                InboxMessage.player_id == player.id,
                InboxMessage.deleted_at.is_(None),
            )
            .with_for_update()
        )
        if message_id is not None
        else None
    )
    if message is None:
        raise InboxMessageNotFound(field="messageId")
    return message


async def mark_read(
    uow: UnitOfWork, actor: Principal | None, brand: str, message_id: uuid.UUID | None
) -> InboxMessage:
    """The signed-in player marks one of their messages read (again: no change).
    Errors: NotAuthenticated, TwoFactorRequired, InboxMessageNotFound."""
    message = await _own_message(uow, actor, brand, message_id)
    if message.read_at is None:
        message.read_at = clock.now()
        await uow.flush()
        await _inbox_changed(uow, brand, message.player_id)
    return message


async def delete(
    uow: UnitOfWork, actor: Principal | None, brand: str, message_id: uuid.UUID | None
) -> None:
    """The signed-in player deletes one of their messages from their inbox.
    Errors: NotAuthenticated, TwoFactorRequired, InboxMessageNotFound."""
    message = await _own_message(uow, actor, brand, message_id)
    message.deleted_at = clock.now()
    await uow.flush()
    await _inbox_changed(uow, brand, message.player_id)


async def inboxes(
    uow: UnitOfWork, brand: str, player_ids: Sequence[uuid.UUID], limit: int
) -> dict[uuid.UUID, list[InboxMessage]]:
    """The newest `limit` messages of each player, newest first, in one statement."""
    newest = (
        func.row_number()
        .over(
            partition_by=InboxMessage.player_id,
            order_by=(InboxMessage.created_at.desc(), InboxMessage.id.desc()),
        )
        .label("newest")
    )
    ranked = (
        select(InboxMessage.id, newest)
        .where(
            InboxMessage.brand == brand,
            InboxMessage.player_id.in_(player_ids),
            InboxMessage.deleted_at.is_(None),
        )
        .subquery()
    )
    rows = await uow.session.scalars(
        select(InboxMessage)
        .join(ranked, ranked.c.id == InboxMessage.id)
        .where(ranked.c.newest <= max(1, min(limit, INBOX_PAGE_MAX)))
        .order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc())
    )
    found: dict[uuid.UUID, list[InboxMessage]] = {player_id: [] for player_id in player_ids}
    for message in rows:
        found[message.player_id].append(message)
    return found


async def deliver_to_inbox(
    uow: UnitOfWork, *, brand: str, player_id: uuid.UUID, kind: str, subject: str, body: str
) -> InboxMessage:
    """Put one message in a player's inbox (the caller decided it is due and claims its own
    idempotency); the unread count follows through the outbox."""
    message = InboxMessage(
        id=uuid.uuid4(), brand=brand, player_id=player_id, kind=kind, subject=subject, body=body
    )
    uow.session.add(message)
    await uow.flush()
    await _inbox_changed(uow, brand, player_id)
    return message
