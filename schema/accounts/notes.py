"""Staff notes on a player: the `Player.notes` list and `addPlayerNote`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.accounts import notes as notes_model
from domain.kernel.errors import PermissionDenied
from resolvers.accounts import notes as note_resolvers
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import global_id, uuid_of


@mutation_error(
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
    account_errors.PlayerNotFound,
    account_errors.InvalidNote,
)
class AddPlayerNoteError(MutationError): ...


@strawberry.type(description="A staff note on a player's profile (notes are never edited).")
class PlayerNote:
    id: strawberry.ID
    body: str
    created_at: datetime
    author: str | None = strawberry.field(description="The author's e-mail.")

    @classmethod
    def of(cls, note: notes_model.Note) -> Self:
        return cls(
            id=global_id("PlayerNote", note.id),
            body=note.body,
            created_at=note.created_at,
            author=note.author,
        )


async def notes_of(info: Info, player_id: uuid.UUID) -> list[PlayerNote]:
    return [PlayerNote.of(n) for n in await note_resolvers.player_notes(info.context, player_id)]


@strawberry.input
class AddPlayerNoteInput:
    player_id: relay.GlobalID
    body: str = strawberry.field(description="1 to 2,000 characters.")


@strawberry.type
class AddPlayerNotePayload:
    note: PlayerNote | None = None
    errors: list[AddPlayerNoteError]


@strawberry.type
class NotesMutation:
    @strawberry.mutation(
        description="Staff (player.note.write): add a note to a player's profile of this "
        "brand. Audited."
    )
    async def add_player_note(self, info: Info, input: AddPlayerNoteInput) -> AddPlayerNotePayload:
        outcome = await note_resolvers.add_player_note(
            info.context, uuid_of(input.player_id, "Player"), input.body
        )
        return AddPlayerNotePayload(
            note=PlayerNote.of(outcome.value) if outcome.value else None,
            errors=to_errors(AddPlayerNoteError, outcome.errors),
        )
