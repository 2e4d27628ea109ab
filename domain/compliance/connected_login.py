"""Connected login as player protection sees it: the provider's answer signs a player in
only if protection lets them (as a password sign-in would), and registration through a
provider is the ordinary registration (the jurisdiction's minimum age, wallets, the
person, the register's answer), with the provider's verified e-mail instead of a typed one.
The OpenID Connect checks themselves are domain.accounts.connected_login's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date

from domain.accounts import connected_login, players
from domain.accounts.connected_login import Settled
from domain.accounts.models import AuthSession, Player, PlayerStatus
from domain.accounts.sessions import IssuedSession
from domain.accounts.sign_in import Attempt, SignInResult
from domain.brands.service import Brand
from domain.compliance import exclusion, onboarding, registers
from domain.compliance.limits import refresh_protection
from domain.integrations.identity_provider import AuthorizationRefused, IdentityProvider
from domain.kernel import clock
from domain.kernel.db import Database, UnitOfWork

SignedInHook = Callable[[UnitOfWork, AuthSession], Awaitable[object]]


@dataclass(frozen=True)
class Completion:
    settled: Settled
    issued: IssuedSession | None = None


async def complete(
    database: Database,
    brand: Brand,
    provider: IdentityProvider,
    *,
    state: str,
    code: str,
    attempt: Attempt,
    on_signed_in: SignedInHook | None = None,
) -> Completion:
    """The provider's answer (state and code): claim the attempt (committed, so the same
    answer never counts twice), exchange the code at the provider outside any transaction,
    verify the ID token, then sign the linked player in, or hand back a ticket for
    registering or linking. `on_signed_in` runs in the sign-in's transaction (the caller's
    new-device notice). Errors: AuthorizationRefused, IdentityProviderUnavailable, and a
    linked player's refusal (AccountSuspended, SelfExcluded, AccountClosed, TimedOut), and
    the national register's (SelfExcluded, RegisterUnavailable), asked after the sign-in as
    a password sign-in asks it (registers.screen_sign_in)."""
    if not code or len(code) > connected_login.CODE_LENGTH_MAX:
        raise AuthorizationRefused(field="code")
    async with database.uow() as uow:
        pending = await connected_login.claim_answer(uow, brand.slug, state)
        await uow.commit()
    token = await provider.exchange_code(
        code=code, code_verifier=pending.code_verifier, redirect_uri=pending.redirect_uri
    )
    identity = await connected_login.verify_id_token(provider, token, pending.nonce)
    async with database.uow() as uow:
        settled = await connected_login.settle(uow, brand.slug, pending.attempt_id, identity)
        if settled.player is None:
            await uow.commit()
            return Completion(settled)
        issued = await _sign_in(uow, settled.player, attempt)
        if on_signed_in is not None:
            await on_signed_in(uow, issued.session)
        await uow.commit()
    await _screen_sign_in(database, brand, issued)
    return Completion(settled, issued)


async def _screen_sign_in(database: Database, brand: Brand, issued: IssuedSession) -> None:
    session = issued.session
    assert session.player_id is not None
    refusal = await registers.screen_sign_in(
        database, brand.jurisdiction, session.player_id, session.id
    )
    if refusal is not None:
        raise refusal


async def screen_registration(
    database: Database, brand: Brand, ticket: str, date_of_birth: date
) -> registers.Screening | None:
    """The national register's answer for the ticket's person, asked outside any
    transaction, as registration with a password asks it (registers.screen); pass it to
    `register`. Errors: AuthorizationRefused (ticket), RegisterUnavailable (the pack fails
    closed)."""
    async with database.uow() as uow:
        # Read only: the ticket is taken for good by `register`.
        email = (await connected_login.take_ticket(uow, brand.slug, ticket)).email
    return await registers.screen(brand.jurisdiction, email, None, date_of_birth)


async def _sign_in(uow: UnitOfWork, player: Player, attempt: Attempt) -> IssuedSession:
    if player.status == PlayerStatus.SELF_EXCLUDED:
        await exclusion.lift_if_over(uow, player)
    refusal = onboarding.sign_in_refusal(player)
    if refusal is not None:
        raise refusal
    issued = await connected_login.issue_session(
        uow,
        player,
        transport=attempt.transport,
        ip_address=attempt.ip_address,
        user_agent=attempt.user_agent,
        previous_token=attempt.previous_token,
    )
    if player.protection_active:
        await refresh_protection(uow, player)
    return issued


@dataclass(frozen=True)
class ConnectedRegistration:
    username: str | None
    date_of_birth: date
    country: str
    currency: str
    locale: str | None


async def register(
    uow: UnitOfWork,
    brand: Brand,
    ticket: str,
    form: ConnectedRegistration,
    attempt: Attempt,
    *,
    screening: registers.Screening | None,
    address: str | None = None,
) -> tuple[Player, IssuedSession]:
    """Register with the ticket's identity (its verified e-mail, already verified here)
    and sign in. The registration asks what the jurisdiction asks of everyone, and a
    person the national register lists (`screening`, from `screen_registration`) is
    excluded as at a password registration (registers.apply_hit).
    Errors: AuthorizationRefused (ticket), IdentityAlreadyLinked, those of
    onboarding.register (InvalidInput, RegistrationThrottled), and the sign-in's refusal
    of an excluded person (SelfExcluded): the account stays, excluded, as with a password."""
    verified = await connected_login.take_ticket(uow, brand.slug, ticket)
    player = await onboarding.register(
        uow,
        brand,
        players.Registration(
            email=verified.email,
            phone=None,
            username=form.username,
            password=connected_login.unusable_password(),
            date_of_birth=form.date_of_birth,
            country=form.country,
            currency=form.currency,
            locale=form.locale,
        ),
        address=address,
    )
    if screening is not None and screening.answer is not None:
        await registers.apply_hit(uow, player, screening.answer)
    if verified.email is not None:
        player.email_verified_at = clock.now()
    await connected_login.link(uow, player, verified)
    return player, await _sign_in(uow, player, attempt)


async def link_with_password(
    uow: UnitOfWork, brand: Brand, ticket: str, attempt: Attempt
) -> SignInResult:
    """Prove control of the account that has the ticket's e-mail with its password
    (throttled like any sign-in); on success the identity is linked and the player signed
    in. Returns the sign-in's failure rather than raising it (the caller commits the
    failure count). Errors: AuthorizationRefused (ticket), IdentityAlreadyLinked."""
    verified = await connected_login.take_ticket(uow, brand.slug, ticket)
    if verified.email is None:
        raise AuthorizationRefused(field="ticket")
    result = await onboarding.login(uow, brand, verified.email, replace(attempt))
    if result.issued is None:
        return result
    player = await players.get(uow, brand.slug, result.issued.session.player_id)  # type: ignore[arg-type]
    await connected_login.link(uow, player, verified)
    return result
