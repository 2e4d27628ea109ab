"""A player's way in: registration and sign-in as the other contexts see them.

Accounts owns the player, the password and the session; it imports neither the ledger nor
player protection, so both steps are composed here, one layer above accounts and wallets
(the arrows in pyproject.toml's import-linter contracts): registration opens the wallets
in the same transaction, and sign-in refuses players on a break and drops the protection
flag when a break has ended. DESIGN.md section 6: protection is checked at registration
and login. Each is a single step: it takes the caller's unit of work and never commits.
"""

from __future__ import annotations

from domain.accounts import players
from domain.accounts.errors import AccountClosed
from domain.accounts.models import Player, PlayerStatus
from domain.accounts.sign_in import Attempt, SignInResult
from domain.brands.service import Brand
from domain.compliance import exclusion, identity
from domain.compliance.errors import AccountSuspended, SelfExcluded
from domain.compliance.jurisdictions import pack_for
from domain.compliance.limits import refresh_protection
from domain.compliance.protection import time_out_refusal
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.wallets import service as wallets


async def register(
    uow: UnitOfWork, brand: Brand, form: players.Registration, *, address: str | None = None
) -> Player:
    """Create a player on `brand` with every wallet open in their currency.
    The minimum age and the reality-check interval to start with are the brand's
    jurisdiction pack's. The player is linked to their
    person (domain.compliance.identity); a person under a self-exclusion taken on another
    brand is excluded here too, from the start.
    Errors: those of accounts.players.register (InvalidInput, RegistrationThrottled)."""
    pack = pack_for(brand.jurisdiction)
    player = await players.register(
        uow, brand, form, address=address, minimum_age_years=pack.minimum_age_years
    )
    await wallets.open_wallets(uow, brand.slug, player.id, player.currency)
    if pack.reality_check.default_minutes:
        # The jurisdiction's default reminder; the player may change or switch it off.
        player.reality_check_minutes = pack.reality_check.default_minutes
    person = await identity.link_player(uow, player)
    if await identity.person_held(uow, person):
        # The person's deposits are held by an AML alert: on a new account too.
        player.deposits_held = True
    if await exclusion.excluded_person(uow, player):
        await _excluded_from_the_start(uow, player)
    return player


async def _excluded_from_the_start(uow: UnitOfWork, player: Player) -> None:
    player.status = PlayerStatus.SELF_EXCLUDED
    await audit.record(
        uow,
        actor_kind="player",
        actor_id=player.id,
        action="player.self_exclude",
        subject_type="player",
        subject_id=player.id,
        brand=player.brand,
        reason="registered while self-excluded on another brand of the operator",
        before={"status": PlayerStatus.ACTIVE.value},
        after={"status": PlayerStatus.SELF_EXCLUDED.value},
    )
    await uow.flush()


def sign_in_refusal(player: Player, *, withdraw_only: bool = False) -> DomainError | None:
    """Why this player may not sign in (None: they may). A self-excluded player signs in
    only when asking for a withdraw-only session (`withdraw_only`); a running time-out
    keeps them out until it ends."""
    if withdraw_only and player.status == PlayerStatus.SELF_EXCLUDED:
        return None
    by_status: dict[PlayerStatus, DomainError] = {
        PlayerStatus.SUSPENDED: AccountSuspended(),
        PlayerStatus.SELF_EXCLUDED: SelfExcluded(),
        PlayerStatus.CLOSED: AccountClosed(),
    }
    return by_status.get(PlayerStatus(player.status)) or time_out_refusal(player)


async def login(
    uow: UnitOfWork, brand: Brand, identifier: str, attempt: Attempt, *, withdraw_only: bool = False
) -> SignInResult:
    """Sign a player in with an email, phone or username on `brand`. A self-exclusion whose
    end has come (by its pack's rule) is lifted first, for the whole person; a running one
    refuses sign-in unless `withdraw_only` asks for a withdraw-only session. Returns the
    failure (InvalidCredentials, LoginThrottled, AccountSuspended, SelfExcluded,
    AccountClosed, TimedOut) rather than raising it, so the caller can commit the failure
    count."""
    known = await players.find_by_identifier(uow, brand.slug, identifier)
    if known is not None and known.status == PlayerStatus.SELF_EXCLUDED:
        # Only what the clock already says: an ended exclusion's players become active.
        await exclusion.lift_if_over(uow, known)

    def refusal(player: Player) -> DomainError | None:
        return sign_in_refusal(player, withdraw_only=withdraw_only)

    result, player = await players.login(uow, brand, identifier, attempt, refusal=refusal)
    if result.issued and player and player.protection_active:
        # Back from a break that ended: drop the flag unless limits keep it.
        await refresh_protection(uow, player)
    return result
