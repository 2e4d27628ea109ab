"""Wallets types: Wallet, WalletTransaction (one movement of one wallet), BalanceChange."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from domain.wallets import adjustments, history, models
from domain.wallets.service import Balance
from resolvers.wallets import wallets as wallet_resolvers
from schema.context import Info
from schema.ids import global_id, int_keys, ledger_transaction_id
from schema.money import Money
from schema.pagination import forward_connection

# The domain's enums are the GraphQL enums (registered in place), so values need no mapping.
WalletKind = strawberry.enum(
    models.WalletKind, name="WalletKind", description="A kind of player balance."
)
AdjustmentDirection = strawberry.enum(
    adjustments.Direction,
    name="AdjustmentDirection",
    description="CREDIT adds to the wallet, DEBIT takes from it.",
)


@strawberry.type(description="One of a player's balances.")
class Wallet:
    kind: models.WalletKind
    balance: Money

    @classmethod
    def from_balance(cls, balance: Balance) -> Self:
        return cls(kind=balance.kind, balance=Money.of(balance.amount_minor, balance.currency))


@strawberry.type(
    description="One movement of one of the player's wallets. A transaction that moves two "
    "of the player's wallets (e.g. cash to withdrawal pending) appears once per wallet, "
    "with the same `transactionId`."
)
class WalletTransaction(relay.Node):
    id: relay.NodeID[str]
    transaction_id: strawberry.ID = strawberry.field(
        description="The ledger transaction; shared by its movements."
    )
    kind: str = strawberry.field(
        description="What moved the money, e.g. deposit, withdrawal, stake, win, adjustment."
    )
    wallet: models.WalletKind
    amount: Money = strawberry.field(description="Signed: negative when money left the wallet.")
    balance_after: Money = strawberry.field(description="The wallet's balance right after.")
    created_at: datetime
    bet_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The sportsbook bet this moved money for (its stake, payout, refund, "
        "cash-out, or a correction of one): the `Bet` id to open with `node(id:)`. Null "
        "for other movements.",
    )

    @classmethod
    def from_movement(cls, movement: history.Movement) -> Self:
        return cls(
            id=str(movement.entry_id),
            transaction_id=ledger_transaction_id(movement.transaction_id),
            kind=movement.kind,
            wallet=movement.wallet,
            amount=Money.of(movement.amount_minor, movement.currency),
            balance_after=Money.of(movement.balance_after_minor, movement.currency),
            created_at=movement.created_at,
            bet_id=global_id("Bet", movement.bet_id) if movement.bet_id is not None else None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        wanted = int_keys(node_ids)
        found = await wallet_resolvers.movements_by_id(info.context, [i for i in wanted if i])
        return [cls.from_movement(found[i]) if i in found else None for i in wanted]


def connection(page: history.Page, *, after: str | None) -> relay.Connection[WalletTransaction]:
    edges = [
        relay.Edge(cursor=movement.cursor.encode(), node=WalletTransaction.from_movement(movement))
        for movement in page.movements
    ]
    return forward_connection(edges, has_next_page=page.has_next_page, after=after)


@strawberry.type(description="How one wallet changed.")
class WalletChange:
    wallet: Wallet = strawberry.field(description="The wallet with its new balance.")
    delta: Money = strawberry.field(description="Signed: negative when money left the wallet.")


@strawberry.type(description="A committed transaction changed the viewer's balances.")
class BalanceChange:
    transaction_id: strawberry.ID = strawberry.field(
        description="The ledger transaction: an opaque global id, the `transactionId` of "
        "its movements in `Player.transactions`."
    )
    kind: str
    changes: list[WalletChange]

    @classmethod
    def from_event(cls, payload: Mapping[str, Any], player_id: str) -> Self | None:
        """The part of a `wallets.balance_changed` payload about `player_id`, if any."""
        changes = [
            WalletChange(
                wallet=Wallet(
                    kind=models.WalletKind(change["wallet"]),
                    balance=Money.of(int(change["balance_minor"]), str(change["currency"])),
                ),
                delta=Money.of(int(change["delta_minor"]), str(change["currency"])),
            )
            for change in payload.get("changes", ())
            if change.get("player_id") == player_id
        ]
        if not changes:
            return None
        return cls(
            transaction_id=ledger_transaction_id(str(payload["transaction_id"])),
            kind=str(payload["kind"]),
            changes=changes,
        )
