"""Staff notes on a player's profile: support and risk write what they learned (a call, a
document asked for, a concern), everyone who reads the player reads them, newest first.
Notes are append-only (a correction is a new note) and each is audited; both reads and
writes are limited to the staff member's brands."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select

from domain.accounts import players
from domain.accounts.errors import InvalidNote
from domain.accounts.models import PlayerNote, StaffUser
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission
from domain.kernel import audit
from domain.kernel.db import UnitOfWork

NOTE_CHARS_MAX: Final = 2_000
NOTES_LISTED_MAX: Final = 100
# C0 controls but tab and line breaks, DEL, C1, and the bidirectional overrides.
_REFUSED_CHARACTERS: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


@dataclass(frozen=True)
class Note:
    id: int
    player_id: uuid.UUID
    body: str
    created_at: datetime
    # The author's e-mail (None once their account is gone).
    author: str | None


async def add_note(
    uow: UnitOfWork, actor: Principal | None, brand: str, player_id: uuid.UUID, body: str
) -> Note:
    """Write a note on the brand's player. Errors: those of require_permission
    (player.note.write over the brand), PlayerNotFound, InvalidNote (empty, over 2,000
    characters, or control characters): nothing is stored then."""
    staff = require_permission(actor, Permission.PLAYER_NOTE_WRITE, brand)
    text = body.strip()
    if not text or len(text) > NOTE_CHARS_MAX or _REFUSED_CHARACTERS.search(text):
        raise InvalidNote(field="body")
    player = await players.get(uow, brand, player_id)
    note = PlayerNote(brand=brand, player_id=player.id, author_id=staff.id, body=text)
    uow.session.add(note)
    await uow.flush()
    await uow.session.refresh(note, ["created_at"])
    await audit.record(
        uow, actor_kind=staff.actor_kind, actor_id=staff.id, action="player.note",
        subject_type="player", subject_id=player.id, brand=brand,
        after={"note": note.id, "body": text},
    )  # fmt: skip
    author = await uow.session.scalar(select(StaffUser.email).where(StaffUser.id == staff.id))
    return Note(note.id, player.id, text, note.created_at, author)


async def notes_of_players(
    uow: UnitOfWork, brand: str, player_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Note]]:
    """Each player's notes on the brand, newest first (at most NOTES_LISTED_MAX each), in
    one statement; the caller checked player.read over the brand."""
    found: dict[uuid.UUID, list[Note]] = {player_id: [] for player_id in player_ids}
    if not player_ids:
        return found
    rows = await uow.session.execute(
        select(PlayerNote, StaffUser.email)
        .outerjoin(StaffUser, StaffUser.id == PlayerNote.author_id)
        .where(PlayerNote.brand == brand, PlayerNote.player_id.in_(list(player_ids)))
        .order_by(PlayerNote.player_id, PlayerNote.id.desc())
    )
    for note, email in rows:
        listed = found[note.player_id]
        if len(listed) < NOTES_LISTED_MAX:
            listed.append(Note(note.id, note.player_id, note.body, note.created_at, email))
    return found
