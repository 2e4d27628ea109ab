"""Casino types: CasinoGame, CasinoProvider, CasinoCategory, GameSession, GameRound,
CasinoTransaction and the reconciliation totals."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Self

import strawberry
from strawberry import relay

from domain.accounts.permissions import Permission
from domain.casino import lobby, models, rounds
from domain.casino.reconciliation import CurrencyTotals
from resolvers.casino import lobby as lobby_resolvers
from resolvers.casino import rounds as round_resolvers
from resolvers.permissions import HasPermission
from schema.context import Info
from schema.ids import global_id, int_keys, ledger_transaction_id, uuid_key, uuid_of
from schema.money import Money
from schema.pagination import forward_connection

# The domain's enums are the GraphQL enums (registered in place), so values need no mapping.
GameMode = strawberry.enum(
    models.GameMode,
    name="GameMode",
    description="REAL stakes the player's money; DEMO plays for fun, no money moves.",
)
RoundStatus = strawberry.enum(
    models.RoundStatus,
    name="GameRoundStatus",
    description="OPEN takes bets; CLOSED takes none (late wins still pay).",
)
TransactionKind = strawberry.enum(models.TransactionKind, name="CasinoTransactionKind")
TransactionStatus = strawberry.enum(
    models.TransactionStatus,
    name="CasinoTransactionStatus",
    description="ACCEPTED; ROLLED_BACK (a bet refunded by a rollback); REFUSED (a rollback "
    "of a bet never seen). Tombstones are not listed.",
)


@strawberry.enum(description="How a game's wins are spread: rare and large, or frequent.")
class GameVolatility(Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


def parse_game_id(global_id: relay.GlobalID) -> uuid.UUID | None:
    return uuid_of(global_id, "CasinoGame")


@strawberry.type(description="A casino game provider (studio or aggregator).")
class CasinoProvider:
    code: str
    name: str


@strawberry.type(description="A lobby category and how many games it lists on this brand.")
class CasinoCategory:
    code: str
    game_count: int


@strawberry.type(description="A casino game this brand lists.")
class CasinoGame(relay.Node):
    id: relay.NodeID[str]
    code: str = strawberry.field(description="Unique per provider; launch by `id`.")
    name: str
    provider: CasinoProvider
    category: str
    tags: list[str]
    rtp: Decimal = strawberry.field(
        description='Return to player in percent, a decimal string, e.g. "96.50".'
    )
    volatility: GameVolatility
    thumbnail_url: str | None
    demo_available: bool = strawberry.field(description="Whether launchGame takes mode DEMO.")
    enabled: bool = strawberry.field(
        description="Switched on for this brand (always true in the lobby; staff listing "
        "`includeDisabled` see the rest)."
    )
    released_on: date = strawberry.field(
        description="The day the studio released it (else the day it reached the lobby); "
        "`newCasinoGames` orders by it."
    )

    @classmethod
    def from_game(cls, game: lobby.Game) -> Self:
        return cls(
            id=str(game.id),
            code=game.code,
            name=game.name,
            provider=CasinoProvider(code=game.provider, name=game.provider_name),
            category=game.category,
            tags=list(game.tags),
            rtp=Decimal(game.rtp_basis_points).scaleb(-2),
            volatility=GameVolatility(game.volatility),
            thumbnail_url=game.thumbnail_url,
            demo_available=game.demo_available,
            enabled=game.enabled,
            released_on=game.released_on,
        )

    @strawberry.field(description="Whether the signed-in player marked it (false otherwise).")
    async def is_favourite(self, info: Info) -> bool:
        return await lobby_resolvers.is_favourite(info.context, uuid.UUID(self.id))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        wanted = [uuid_key(node_id) for node_id in node_ids]
        found = await lobby_resolvers.games_by_id(info.context, [i for i in wanted if i])
        return [cls.from_game(found[i]) if i in found else None for i in wanted]


@strawberry.type(description="A game of `topCasinoGames` with what ranks it.")
class TopCasinoGame:
    game: CasinoGame
    rounds: int = strawberry.field(
        description="Real-money bets placed on this brand over the days asked (net of "
        "rollbacks), from the reporting read model: demo play does not count."
    )


@strawberry.type(description="A launched game session.")
class GameSession:
    id: strawberry.ID
    mode: models.GameMode
    expires_at: datetime = strawberry.field(
        description="The provider takes no bets on this session after this time."
    )


@strawberry.type(description="One provider wallet transaction of a round.")
class CasinoTransaction:
    id: strawberry.ID
    kind: models.TransactionKind
    status: models.TransactionStatus
    amount: Money
    provider_transaction_id: str = strawberry.field(description="The provider's id.")
    reference_transaction_id: str | None = strawberry.field(
        description="Wins and rollbacks: the provider's id of the bet they refer to."
    )
    ledger_transaction_id: strawberry.ID | None = strawberry.field(
        description="The ledger transaction that moved the money (none for a zero win)."
    )
    response_status: str | None = strawberry.field(
        description="What the provider was answered, e.g. RS_OK."
    )
    created_at: datetime

    @classmethod
    def from_transaction(cls, row: rounds.Transaction) -> Self:
        ledger = row.ledger_transaction_id
        return cls(
            id=global_id("CasinoTransaction", row.id),
            kind=models.TransactionKind(row.kind),
            status=models.TransactionStatus(row.status),
            amount=Money.of(row.amount_minor, row.currency),
            provider_transaction_id=row.transaction_uuid,
            reference_transaction_id=row.reference_transaction_uuid,
            ledger_transaction_id=ledger_transaction_id(ledger) if ledger is not None else None,
            response_status=row.response_status,
            created_at=row.created_at,
        )


@strawberry.type(description="A game round: a player's bets on one provider round and its wins.")
class GameRound(relay.Node):
    id: relay.NodeID[str]
    round_id: str = strawberry.field(description="The provider's round id.")
    provider: str
    game_code: str
    player_id: relay.GlobalID = strawberry.field(description="The player's global ID.")
    stake: Money = strawberry.field(description="Every bet of the round together.")
    win: Money = strawberry.field(description="Every win of the round together.")
    refund: Money = strawberry.field(description="Bets rolled back (refunded).")
    status: models.RoundStatus
    big_win: bool = strawberry.field(
        description="Wins reached the operator's big-win rule (a multiple of the stake and "
        "a minimum amount)."
    )
    opened_at: datetime
    closed_at: datetime | None
    _player: strawberry.Private[uuid.UUID]

    @classmethod
    def from_round(cls, row: rounds.Round) -> Self:
        return cls(
            id=str(row.id),
            round_id=row.round_ref,
            provider=row.provider,
            game_code=row.game_code,
            player_id=relay.GlobalID("Player", str(row.player_id)),
            stake=Money.of(row.bet_minor, row.currency),
            win=Money.of(row.win_minor, row.currency),
            refund=Money.of(row.refund_minor, row.currency),
            status=models.RoundStatus(row.status),
            big_win=row.big_win,
            opened_at=row.opened_at,
            closed_at=row.closed_at,
            _player=row.player_id,
        )

    @strawberry.field(description="The game (null if the brand no longer offers it).")
    async def game(self, info: Info) -> CasinoGame | None:
        found = await lobby_resolvers.game_of_round(info.context, self.provider, self.game_code)
        return CasinoGame.from_game(found) if found is not None else None

    @strawberry.field(
        description="The provider transactions, oldest first (staff with casino.reconcile).",
        extensions=[HasPermission.extension(Permission.CASINO_RECONCILE)],
    )
    async def transactions(self, info: Info) -> list[CasinoTransaction] | None:
        rows = await round_resolvers.transactions(info.context, int(self.id))
        return [CasinoTransaction.from_transaction(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        wanted = int_keys(node_ids)
        found = await round_resolvers.rounds_by_id(info.context, [i for i in wanted if i])
        return [cls.from_round(found[i]) if i in found else None for i in wanted]


@strawberry.type(description="The totals of a reconciliation's rounds in one currency.")
class CasinoTotals:
    currency: str
    round_count: int
    stakes: Money
    wins: Money
    refunds: Money
    gross_gaming_revenue: Money = strawberry.field(description="Stakes - refunds - wins.")

    @classmethod
    def from_totals(cls, totals: CurrencyTotals) -> Self:
        currency = totals.currency
        return cls(
            currency=currency,
            round_count=totals.round_count,
            stakes=Money.of(totals.stakes_minor, currency),
            wins=Money.of(totals.wins_minor, currency),
            refunds=Money.of(totals.refunds_minor, currency),
            gross_gaming_revenue=Money.of(totals.gross_gaming_revenue_minor, currency),
        )


@strawberry.type(description="Rounds of a period (newest first) and their totals.")
class CasinoReconciliation:
    totals: list[CasinoTotals] = strawberry.field(
        description="Per currency, over every round of the filter (not only this page)."
    )
    rounds: relay.Connection[GameRound]


def game_connection(page: lobby.LobbyPage, *, after: str | None) -> relay.Connection[CasinoGame]:
    edges = [
        relay.Edge(cursor=game.cursor.encode(), node=CasinoGame.from_game(game))
        for game in page.games
    ]
    return forward_connection(edges, has_next_page=page.has_next_page, after=after)


def round_connection(page: rounds.RoundPage, *, after: str | None) -> relay.Connection[GameRound]:
    edges = [
        relay.Edge(
            cursor=rounds.RoundCursor(row.opened_at, row.id).encode(),
            node=GameRound.from_round(row),
        )
        for row in page.rounds
    ]
    return forward_connection(edges, has_next_page=page.has_next_page, after=after)
