"""Accounts types: Player, StaffMember, Session, InboxMessage, Viewer, Brand."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any, Final, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from domain.accounts import models
from domain.accounts.permissions import Role
from domain.brands.service import Brand as BrandModel
from domain.compliance.protection import time_out_until
from domain.messaging.models import InboxMessage as InboxMessageModel
from resolvers.accounts import auth as auth_resolvers
from resolvers.accounts import players as player_resolvers
from resolvers.compliance import kyc as kyc_resolvers
from resolvers.compliance import protection as protection_resolvers
from resolvers.messaging import inbox as inbox_resolvers
from schema.accounts.notes import PlayerNote, notes_of
from schema.casino import fields as casino_fields
from schema.compliance import fields as compliance_fields
from schema.compliance import kyc as kyc_schema
from schema.compliance.types import ViewerSession
from schema.context import Info
from schema.errors import as_query_error
from schema.ids import global_id, uuid_key
from schema.sportsbook import fields as sportsbook_fields
from schema.sportsbook.types import OddsFormat
from schema.wallets import fields as wallet_fields

# The domain's enums are the GraphQL enums (registered in place), so values need no mapping.
PlayerStatus = strawberry.enum(models.PlayerStatus, name="PlayerStatus")
StaffRole = strawberry.enum(Role, name="StaffRole")


@strawberry.enum(description="Where a session's token travels.")
class SessionTransport(Enum):
    COOKIE = "cookie"
    BEARER = "bearer"


INBOX_PAGE_DEFAULT = 20


@strawberry.type(description="A brand served by this deployment.")
class Brand:
    slug: str
    name: str
    default_locale: str
    locales: list[str]
    currencies: list[str]
    jurisdiction: str

    @classmethod
    def from_model(cls, brand: BrandModel) -> Self:
        return cls(
            slug=brand.slug,
            name=brand.name,
            default_locale=brand.default_locale,
            locales=list(brand.all_locales),
            currencies=list(brand.currencies),
            jurisdiction=brand.jurisdiction,
        )


@strawberry.type(description="A message in the player's inbox.")
class InboxMessage:
    id: strawberry.ID
    kind: str
    subject: str
    body: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_model(cls, message: InboxMessageModel) -> Self:
        return cls(
            id=global_id("InboxMessage", message.id),
            kind=message.kind,
            subject=message.subject,
            body=message.body,
            created_at=message.created_at,
            read_at=message.read_at,
        )


@strawberry.type(description="A signed-in session of the viewer.")
class Session:
    id: strawberry.ID
    transport: SessionTransport
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip_address: str | None
    user_agent: str | None
    current: bool

    @classmethod
    def from_model(cls, session: models.AuthSession, current_id: uuid.UUID) -> Self:
        return cls(
            id=global_id("Session", session.id),
            transport=SessionTransport(session.transport),
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            ip_address=str(session.ip_address) if session.ip_address else None,
            user_agent=session.user_agent,
            current=session.id == current_id,
        )


# Staff reading a player's sessions: none of them is the caller's own.
NO_SESSION: Final = uuid.UUID(int=0)


@strawberry.type(description="A player of the current brand.")
class Player(relay.Node):
    id: relay.NodeID[str]
    email: str | None
    phone: str | None
    username: str | None
    date_of_birth: date
    country: str
    currency: str
    locale: str
    status: models.PlayerStatus
    two_factor_enabled: bool
    created_at: datetime
    reality_check_minutes: int | None = strawberry.field(
        description="Reality-check reminder interval in minutes; null when off."
    )
    time_out_until: datetime | None = strawberry.field(
        description="The end of a running time-out (break); null when none."
    )
    odds_format: OddsFormat = strawberry.field(
        description="How odds are written for this player: `display` without a `format` "
        "follows it. Change it with `setOddsFormat`."
    )
    email_verified: bool = strawberry.field(
        description="Whether the player followed the link of a verification e-mail (`verifyEmail`)."
    )
    limits = compliance_fields.limits_field
    linked_players = compliance_fields.linked_players_field
    reality_check = compliance_fields.reality_check_field
    profile = kyc_schema.profile_field
    verification = kyc_schema.verification_field
    wallets = wallet_fields.wallets_field
    transactions = wallet_fields.transactions_field
    game_rounds = casino_fields.game_rounds_field
    bets = sportsbook_fields.bets_field

    @classmethod
    def from_model(cls, player: models.Player) -> Self:
        return cls(
            id=str(player.id),
            email=player.email,
            phone=player.phone,
            username=player.username,
            date_of_birth=player.date_of_birth,
            country=player.country,
            currency=player.currency,
            locale=player.locale,
            status=models.PlayerStatus(player.status),
            two_factor_enabled=player.two_factor_enabled,
            created_at=player.created_at,
            reality_check_minutes=player.reality_check_minutes,
            time_out_until=time_out_until(player),
            odds_format=OddsFormat(player.odds_format),
            email_verified=player.email_verified_at is not None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        wanted = [uuid_key(node_id) for node_id in node_ids]
        found = await player_resolvers.players_by_id(
            info.context, [player_id for player_id in wanted if player_id]
        )
        return [cls.from_model(found[pid]) if pid in found else None for pid in wanted]

    @strawberry.field(
        description="The player's messages, newest first (the player, or staff with player.read)."
    )
    async def inbox(self, info: Info, first: int = INBOX_PAGE_DEFAULT) -> list[InboxMessage]:
        messages = await player_resolvers.inbox(info.context, uuid.UUID(self.id), first)
        return [InboxMessage.from_model(message) for message in messages]

    @strawberry.field(
        description="Staff with player.read: notes on the player, newest first (at most "
        "100; add one with `addPlayerNote`). Empty for anyone else."
    )
    async def notes(self, info: Info) -> list[PlayerNote]:
        return await notes_of(info, uuid.UUID(self.id))

    @strawberry.field(
        description="Staff with player.read: the player's live sessions, newest first (at "
        "most 100; revoke them with `revokePlayerSessions`). Empty for anyone else."
    )
    async def sessions(self, info: Info) -> list[Session]:
        rows = await player_resolvers.player_sessions(info.context, uuid.UUID(self.id))
        return [Session.from_model(row, NO_SESSION) for row in rows]

    @strawberry.field(
        description="Unread messages in the player's inbox (the player, or staff with "
        "player.read; null for anyone else). Live: the `inboxChanged` subscription."
    )
    async def unread_inbox_count(self, info: Info) -> int | None:
        return await inbox_resolvers.unread_count(info.context, uuid.UUID(self.id))


@strawberry.type(description="An operator staff user.")
class StaffMember(relay.Node):
    id: relay.NodeID[str]
    email: str
    roles: list[Role]
    brands: list[str] | None = strawberry.field(description="Brands in scope; null means all.")
    two_factor_enabled: bool
    password_change_required: bool

    @classmethod
    def from_model(cls, staff: models.StaffUser) -> Self:
        return cls(
            id=str(staff.id),
            email=staff.email,
            roles=[Role(role) for role in staff.roles],
            brands=staff.brands,
            two_factor_enabled=staff.two_factor_enabled,
            password_change_required=staff.password_change_required,
        )

    @classmethod
    def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        # Staff records are reached through the viewer and staff mutations only.
        return [None for _ in node_ids]


class _Self:
    """The viewer as the profile field's root (it reads only the id)."""

    def __init__(self, player_id: str) -> None:
        self.id = player_id


@strawberry.type(description="Who is calling. Null fields mean no such principal.")
class Viewer:
    player: Player | None
    staff: StaffMember | None
    two_factor_pending: bool = strawberry.field(
        description="The password step succeeded; a TOTP code (or, for staff, enrolment) is owed."
    )
    permissions: list[str]
    _principal: strawberry.Private[Any]

    @strawberry.field(
        description="A self-excluded player's withdraw-only session: balances, history, "
        "withdrawals and messages only (show a banner; hide play and deposits)."
    )
    def withdraw_only(self) -> bool:
        return bool(getattr(self._principal, "withdraw_only", False))

    @strawberry.field(
        description="The player's own session: its clock and net position, for brands whose "
        "jurisdiction shows them (null for staff)."
    )
    async def session(self, info: Info) -> ViewerSession | None:
        state = await protection_resolvers.session_display(info.context)
        return ViewerSession.of(state) if state else None

    @strawberry.field(
        description="The signed-in player's profile (legal name, address, nationality, "
        "phone); null for staff."
    )
    async def profile(self, info: Info) -> kyc_schema.PlayerProfile | None:
        if not getattr(self._principal, "is_player", False):
            return None
        return await kyc_schema.player_profile(_Self(str(self._principal.id)), info)

    @strawberry.field(
        description="Everything held about the signed-in player, as one JSON document "
        "(account, profile, verification, limits, exclusions, payments, wallet movements, "
        "bets, casino rounds, inbox, sessions; amounts in minor units). Null for staff."
    )
    async def personal_data(self, info: Info) -> JSON | None:
        if not getattr(self._principal, "is_player", False):
            return None
        with as_query_error():
            document = await kyc_resolvers.personal_data(info.context)
        return JSON(document)

    @strawberry.field(description="The viewer's live sessions, newest first.")
    async def sessions(self, info: Info) -> list[Session]:
        rows = await auth_resolvers.my_sessions(info.context, self._principal)
        return [Session.from_model(row, self._principal.session_id) for row in rows]
