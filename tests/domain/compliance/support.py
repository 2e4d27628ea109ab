"""Helpers for the player-protection tests: a player principal with a real session, the
clock moved forward, and limits set through the domain."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from domain.accounts import sessions
from domain.accounts.models import PrincipalKind, SessionState, SessionTransport
from domain.accounts.principal import Principal
from domain.brands.service import BrandRegistry
from domain.casino.catalog import ORIGINALS
from domain.casino.protocol import WalletOperation, WalletRequest
from domain.casino.service import bet, win
from domain.compliance import limits
from domain.compliance.models import LimitKind, LimitPeriod
from domain.kernel import clock
from domain.kernel.db import Database

BRAND = "aurora"


async def signed_in(db: Database, player_id: uuid.UUID) -> Principal:
    """A fully signed-in player principal backed by a real auth session row."""
    async with db.transaction() as uow:
        issued = await sessions.issue(
            uow,
            kind=PrincipalKind.PLAYER,
            principal_id=player_id,
            brand=BRAND,
            transport=SessionTransport.BEARER,
            state=SessionState.ACTIVE,
            ip_address=None,
            user_agent=None,
        )
        session_id = issued.session.id
    return Principal(PrincipalKind.PLAYER, player_id, session_id, BRAND, True)


def advance(monkeypatch: pytest.MonkeyPatch, delta: timedelta) -> datetime:
    """Move the platform's clock (clock.now everywhere) forward by `delta` from now."""
    moved = clock.now() + delta
    monkeypatch.setattr(clock, "now", lambda: moved)
    return moved


async def set_limit(
    db: Database,
    principal: Principal,
    kind: LimitKind,
    period: LimitPeriod,
    amount_minor: int,
) -> limits.Limit:
    async with db.transaction() as uow:
        return await limits.set_limit(
            uow,
            principal,
            BRAND,
            kind=kind,
            period=period,
            amount_minor=amount_minor,
            currency=None if kind is LimitKind.SESSION else "EUR",
        )


async def limits_now(db: Database, principal: Principal) -> dict[tuple[str, str], limits.Limit]:
    async with db.uow() as uow:
        found = await limits.limits_of(uow, principal, BRAND, principal.id)
    return {(limit.kind.value, limit.period.value): limit for limit in found}


def casino_request(
    player_id: uuid.UUID, token: str, n: int, amount: int, op: str = "bet"
) -> WalletRequest:
    """A bet on Dice (round n), or with op="win" the win that closes round n."""
    return WalletRequest(
        operation=WalletOperation(op),
        request_uuid=f"req-{op}-{n}",
        token=token,
        user=str(player_id),
        transaction_uuid=f"{op}-{n}",
        reference_transaction_uuid=f"bet-{n}" if op == "win" else None,
        round=f"r{n}",
        round_closed=op == "win",
        game_code="originals-dice",
        amount_minor=amount,
        currency="EUR",
    )


async def casino_call(db: Database, registry: BrandRegistry, request: WalletRequest) -> None:
    """A provider callback (bet or win) in its own transaction, as the endpoint runs it."""
    async with db.transaction() as uow:
        operation = bet if request.operation is WalletOperation.BET else win
        await operation(uow, brand=registry.get("aurora"), provider=ORIGINALS.code, request=request)
