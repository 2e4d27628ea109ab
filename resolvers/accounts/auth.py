"""Sign-in, sign-out, sessions and two-factor steps for players and staff."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from domain.accounts import credentials as account_credentials
from domain.accounts import sessions, staff, two_factor
from domain.accounts.errors import TwoFactorRequired
from domain.accounts.models import AuthSession, SessionTransport
from domain.accounts.principal import Principal
from domain.accounts.sign_in import Attempt, SignInResult
from domain.compliance import onboarding, registers
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError, NotAuthenticated
from domain.messaging import notices
from resolvers.context import Context, Credentials
from resolvers.results import Outcome, attempt, failed

T = TypeVar("T")


@dataclass(frozen=True)
class SignedIn:
    # The bearer token (None when the session rides in the cookie).
    token: str | None
    two_factor_required: bool


def _attempt(ctx: Context, password: str, transport: SessionTransport) -> Attempt:
    previous = ctx.credentials.token if ctx.credentials else None
    return Attempt(
        throttle_key="",
        password=password,
        transport=transport,
        ip_address=ctx.client_address,
        user_agent=ctx.user_agent,
        previous_token=previous,
    )


def _signed_in(ctx: Context, issued: sessions.IssuedSession, two_factor_required: bool) -> SignedIn:
    transport = SessionTransport(issued.session.transport)
    ctx.use_credentials(Credentials(issued.token, transport))
    if transport is SessionTransport.COOKIE:
        ctx.pending_cookie = (issued.token, ctx.settings.session_ttl_hours * 3600)
        return SignedIn(None, two_factor_required)
    return SignedIn(issued.token, two_factor_required)


async def _finish_sign_in(ctx: Context, result: SignInResult) -> Outcome[SignedIn]:
    if result.error is not None or result.issued is None:
        assert result.error is not None
        return failed(result.error)
    return Outcome(value=_signed_in(ctx, result.issued, result.two_factor_required))


async def login_player(
    ctx: Context,
    identifier: str,
    password: str,
    transport: SessionTransport,
    *,
    withdraw_only: bool = False,
) -> Outcome[SignedIn]:
    async with ctx.db.uow() as uow:
        result = await onboarding.login(
            uow,
            ctx.brand,
            identifier,
            _attempt(ctx, password, transport),
            withdraw_only=withdraw_only,
        )
        if result.issued is not None:
            await notices.queue_new_device_notice(uow, result.issued.session)
        # Commit failures too: the throttle counts them.
        await uow.commit()
    if withdraw_only:
        return await _finish_sign_in(ctx, result)
    return await finish_screened_sign_in(ctx, result)


async def finish_screened_sign_in(ctx: Context, result: SignInResult) -> Outcome[SignedIn]:
    """A committed player sign-in, once the national register has been asked about the
    player (registers.screen_sign_in): every way a player signs in with full rights
    (password, or linking a connected login with it) ends here."""
    if result.issued is not None:
        session = result.issued.session
        assert session.player_id is not None
        refusal = await registers.screen_sign_in(
            ctx.db, ctx.brand.jurisdiction, session.player_id, session.id
        )
        if refusal is not None:
            return failed(refusal)
    return await _finish_sign_in(ctx, result)


async def login_staff(
    ctx: Context, email: str, password: str, transport: SessionTransport
) -> Outcome[SignedIn]:
    async with ctx.db.uow() as uow:
        result = await staff.login(uow, email, _attempt(ctx, password, transport))
        await uow.commit()
    return await _finish_sign_in(ctx, result)


async def complete_two_factor(ctx: Context, code: str) -> Outcome[SignedIn]:
    if ctx.credentials is None:
        return failed(NotAuthenticated())
    token = ctx.credentials.token
    outcome = await _counting_guesses(
        ctx, lambda uow: two_factor.complete_sign_in(uow, token, code, brand=ctx.brand.slug)
    )
    if outcome.value is None:
        return Outcome(errors=outcome.errors)
    return Outcome(value=_signed_in(ctx, outcome.value, two_factor_required=False))


async def _counting_guesses(
    ctx: Context, action: Callable[[UnitOfWork], Awaitable[T]]
) -> Outcome[T]:
    """Run `action` in its own transaction and commit even when it fails: wrong passwords
    and codes are counted (and may revoke a pending session), and that must stick."""
    async with ctx.db.uow() as uow:
        try:
            value = await action(uow)
        except DomainError as error:
            await uow.commit()
            return failed(error)
        await uow.commit()
    return Outcome(value=value)


async def logout(ctx: Context) -> Outcome[bool]:
    principal = await ctx.principal()
    if principal is None:
        return failed(NotAuthenticated())
    async with ctx.db.uow() as uow:
        session = await uow.session.get(AuthSession, principal.session_id)
        if session is not None:
            await sessions.revoke(uow, session, "logout")
        await uow.commit()
    ctx.signed_out()
    return Outcome(value=True)


async def revoke_my_sessions(ctx: Context, *, keep_current: bool) -> Outcome[int]:
    principal = await ctx.principal()
    if principal is None:
        return failed(NotAuthenticated())
    if not principal.fully_authenticated:
        # A password alone (second factor still owed) must not end the owner's sessions.
        return failed(TwoFactorRequired())

    async def revoke() -> int:
        async with ctx.db.uow() as uow:
            count = await sessions.revoke_all(
                uow,
                kind=principal.kind,
                principal_id=principal.id,
                reason="revoked_by_owner",
                keep=principal.session_id if keep_current else None,
            )
            await uow.commit()
        return count

    return await attempt(revoke)


async def my_sessions(ctx: Context, principal: Principal) -> list[AuthSession]:
    if not principal.fully_authenticated:
        return []  # devices and addresses are for the owner, not for a password alone
    async with ctx.db.uow() as uow:
        return await sessions.list_live(uow, kind=principal.kind, principal_id=principal.id)


async def begin_two_factor(ctx: Context) -> Outcome[two_factor.Enrolment]:
    principal = await ctx.principal()
    if principal is None:
        return failed(NotAuthenticated())

    async def begin() -> two_factor.Enrolment:
        async with ctx.db.uow() as uow:
            enrolment = await two_factor.begin_enrolment(uow, principal)
            await uow.commit()
        return enrolment

    return await attempt(begin)


async def confirm_two_factor(ctx: Context, code: str) -> Outcome[SignedIn | None]:
    principal = await ctx.principal()
    if principal is None or ctx.credentials is None:
        return failed(NotAuthenticated())
    transport = ctx.credentials.transport

    async def confirm() -> SignedIn | None:
        async with ctx.db.uow() as uow:
            issued = await two_factor.confirm_enrolment(uow, principal, code, transport=transport)
            await uow.commit()
        return _signed_in(ctx, issued, two_factor_required=False) if issued else None

    return await attempt(confirm)


async def disable_two_factor(ctx: Context, code: str) -> Outcome[bool]:
    principal = await ctx.principal()
    if principal is None:
        return failed(NotAuthenticated())

    async def disable(uow: UnitOfWork) -> bool:
        await two_factor.disable(uow, principal, code)
        return True

    return await _counting_guesses(ctx, disable)


async def change_password(ctx: Context, current_password: str, new_password: str) -> Outcome[bool]:
    principal = await ctx.principal()
    if principal is None:
        return failed(NotAuthenticated())

    async def change(uow: UnitOfWork) -> bool:
        await account_credentials.change_password(uow, principal, current_password, new_password)
        return True

    outcome = await _counting_guesses(ctx, change)
    if outcome.value:
        ctx.forget_principal()
    return outcome


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
