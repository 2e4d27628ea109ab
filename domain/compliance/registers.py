"""Screening players against their jurisdiction's national self-exclusion register (the
pack's `self_exclusion.national_register`), at registration, at sign-in and periodically.

The register is an outside call: `screen` makes it outside any transaction and verifies
the signed answer; `apply_hit` (a step, in the caller's transaction) excludes a listed
player. A register that cannot answer is what the pack says (`register_unavailable`):
"refuse" fails closed (RegisterUnavailable: no registration, no sign-in), "allow" lets the
player through and leaves them to the periodic screening.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from sqlalchemy import select, text, update

from domain.accounts import sessions
from domain.accounts.events import PlayerStatusChanged
from domain.accounts.models import AuthSession, Player, PlayerStatus, PrincipalKind
from domain.compliance.errors import SelfExcluded
from domain.compliance.jurisdictions import pack_for
from domain.integrations.registers import (
    DEV_REGISTER_SECRET,
    NationalRegister,
    RegisterAnswer,
    RegisterSubject,
    RegisterUnavailable,
    SandboxRegister,
    ask,
)
from domain.kernel import audit, clock
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.errors import DomainError
from domain.kernel.outbox import emit
from domain.kernel.settings import get_settings

# How often an active player is screened again by the periodic job.
SCREEN_INTERVAL: Final = timedelta(hours=24)
SCREEN_BATCH_MAX: Final = 100
# A player the register could not answer for is asked again after this, not at once (so a
# batch of unanswered players never keeps the others waiting).
SCREEN_RETRY_AFTER: Final = timedelta(hours=1)


def register_named(name: str, *, production: bool) -> NationalRegister:
    """The adapter of a named register. Only the built-in test register ships today, and
    only outside production, where it serves every name. In production no register has an
    adapter yet: RegisterUnavailable, so the pack's rule for an unanswered register decides
    (the UK refuses) instead of an empty test list answering "not excluded"."""
    if production:
        raise RegisterUnavailable()
    return SandboxRegister(name)


@dataclass(frozen=True)
class Screening:
    register: str
    answer: RegisterAnswer | None  # None: unavailable, and the pack lets the player through


async def screen(
    jurisdiction: str, email: str | None, phone: str | None, date_of_birth: date
) -> Screening | None:
    """Ask the jurisdiction's register about a person (None: the pack names no register).
    Errors: RegisterUnavailable (no verified answer, and the pack fails closed)."""
    pack = pack_for(jurisdiction)
    name = pack.self_exclusion.national_register
    if name is None:
        return None
    subject = RegisterSubject(email=email, phone=phone, date_of_birth=date_of_birth)
    try:
        adapter = register_named(name, production=get_settings().is_production)
        answer = await ask(adapter, subject, DEV_REGISTER_SECRET)
    except RegisterUnavailable:
        if pack.self_exclusion.register_unavailable == "refuse":
            raise
        return Screening(name, None)
    return Screening(name, answer)


async def apply_hit(uow: UnitOfWork, player: Player, answer: RegisterAnswer) -> bool:
    """Exclude an active player the register lists (audited, sessions ended); returns
    whether the status changed. A player already blocked keeps their status."""
    player.register_checked_at = clock.now()
    if not answer.excluded or player.status != PlayerStatus.ACTIVE:
        await uow.flush()
        return False
    before = player.status
    player.status = PlayerStatus.SELF_EXCLUDED
    await audit.record(
        uow,
        actor_kind="system",
        actor_id=None,
        action="player.register_exclusion",
        subject_type="player",
        subject_id=player.id,
        brand=player.brand,
        reason=f"listed on the national self-exclusion register {answer.register}",
        before={"status": before},
        after={"status": PlayerStatus.SELF_EXCLUDED.value, "reference": answer.reference},
    )
    await sessions.revoke_all(
        uow, kind=PrincipalKind.PLAYER, principal_id=player.id, reason="status:self_excluded"
    )
    await emit(
        uow,
        PlayerStatusChanged(
            player_id=str(player.id), before=before, after=PlayerStatus.SELF_EXCLUDED.value
        ),
        brand=player.brand,
    )
    await uow.flush()
    return True


# Active players of the brands whose pack names a register, not screened for a day.
_DUE = text("""
SELECT id FROM players
WHERE status = 'active' AND brand = ANY(:brands)
  AND (register_checked_at IS NULL OR register_checked_at < :before)
ORDER BY register_checked_at NULLS FIRST, id
LIMIT :limit
""")


_BRANDS = text("SELECT slug, jurisdiction FROM brands")


async def screen_due(database: Database, *, limit: int = SCREEN_BATCH_MAX) -> tuple[int, int]:
    """The periodic screening: up to `limit` active players of the brands whose pack names
    a register, not screened within SCREEN_INTERVAL, each asked outside any transaction.
    Returns (screened, excluded). A player the register cannot answer for is left for the
    next run."""
    async with database.uow() as uow:
        brands = (await uow.session.execute(_BRANDS)).all()
    jurisdiction = {
        str(slug): str(code)
        for slug, code in brands
        if code is not None and pack_for(str(code)).self_exclusion.national_register
    }
    if not jurisdiction:
        return 0, 0
    async with database.uow() as uow:
        ids = list(
            await uow.session.scalars(
                _DUE,
                {
                    "brands": list(jurisdiction),
                    "before": clock.now() - SCREEN_INTERVAL,
                    "limit": limit,
                },
            )
        )
    screened = excluded = 0
    for player_id in ids:
        changed = await _screen_one(database, jurisdiction, player_id)
        if changed is not None:
            screened += 1
            excluded += int(changed)
    return screened, excluded


async def _screen_one(
    database: Database, jurisdiction: dict[str, str], player_id: uuid.UUID
) -> bool | None:
    async with database.uow() as uow:
        player = await uow.session.get(Player, player_id)
        assert player is not None
        email, phone, born, brand = player.email, player.phone, player.date_of_birth, player.brand
    try:
        found = await screen(jurisdiction[brand], email, phone, born)
    except RegisterUnavailable:
        found = None
    if found is None or found.answer is None:
        await _retry_later(database, player_id)
        return None
    async with database.uow() as uow:
        player = await uow.session.scalar(
            select(Player).where(Player.id == player_id).with_for_update()
        )
        assert player is not None
        changed = await apply_hit(uow, player, found.answer)
        await uow.commit()
    return changed


async def screen_sign_in(
    database: Database, jurisdiction: str, player_id: uuid.UUID, session_id: uuid.UUID
) -> DomainError | None:
    """After a sign-in issued a session (its password checked, so no account is revealed):
    ask the register. A listed player is excluded (the new session ends with the others)
    and gets SelfExcluded; a register that cannot answer where the pack fails closed ends
    the new session and gets RegisterUnavailable. None: the sign-in stands."""
    async with database.uow() as uow:
        player = await uow.session.get(Player, player_id)
        assert player is not None
        email, phone, born = player.email, player.phone, player.date_of_birth
    try:
        found = await screen(jurisdiction, email, phone, born)
    except RegisterUnavailable as error:
        async with database.uow() as uow:
            await sessions.revoke_where(
                uow, AuthSession.id == session_id, reason="register_unavailable"
            )
            await uow.commit()
        return error
    if found is None or found.answer is None:
        return None
    async with database.uow() as uow:
        player = await uow.session.scalar(
            select(Player).where(Player.id == player_id).with_for_update()
        )
        assert player is not None
        excluded = await apply_hit(uow, player, found.answer)
        await uow.commit()
    return SelfExcluded() if excluded else None


async def _retry_later(database: Database, player_id: uuid.UUID) -> None:
    """Due again SCREEN_RETRY_AFTER from now (the screening takes players not screened
    within SCREEN_INTERVAL)."""
    async with database.uow() as uow:
        await uow.session.execute(
            update(Player)
            .where(Player.id == player_id)
            .values(register_checked_at=clock.now() - SCREEN_INTERVAL + SCREEN_RETRY_AFTER)
        )
        await uow.commit()
