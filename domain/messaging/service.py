"""Inbox delivery and reading. Delivery is idempotent per (consumer, event)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from domain.accounts.models import Player
from domain.kernel.db import UnitOfWork
from domain.kernel.outbox import claim_message
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
    return True


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
        .where(InboxMessage.brand == brand, InboxMessage.player_id.in_(player_ids))
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
