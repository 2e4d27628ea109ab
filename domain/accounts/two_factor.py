"""TOTP two-factor authentication (RFC 6238): enrolment, sign-in step, disabling.

Optional for players; mandatory for staff, whose sessions stay pending until they enrol.
A code is accepted once: the last used time step is stored, so a captured code can't be replayed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pyotp

from domain.accounts import sessions, throttle
from domain.accounts.errors import (
    InvalidTwoFactorCode,
    StepUpCodeRequired,
    TwoFactorAlreadyEnabled,
    TwoFactorEnrolmentRequired,
    TwoFactorMandatory,
    TwoFactorNotEnabled,
    TwoFactorRequired,
)
from domain.accounts.models import (
    AuthSession,
    Player,
    PrincipalKind,
    SessionState,
    SessionTransport,
    StaffUser,
)
from domain.accounts.principal import Principal
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import NotAuthenticated

ISSUER = "Stakehouse"
STEP_SECONDS = 30
# Accept the previous and next step too, for clock drift between phone and server.
DRIFT_STEPS = 1
# Wrong codes allowed on one pending session before it is revoked.
PENDING_FAILURES_MAX = 5

Account = Player | StaffUser


@dataclass(frozen=True)
class Enrolment:
    secret: str
    provisioning_uri: str


def _label(account: Account) -> str:
    if isinstance(account, StaffUser):
        return account.email
    return account.email or account.phone or account.username or str(account.id)


def check_code(account: Account, code: str) -> bool:
    """Accept `code` if it matches a step newer than the last one used; remember that step."""
    if account.two_factor_secret is None:
        return False
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(account.two_factor_secret, interval=STEP_SECONDS)
    current = int(clock.now().timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if account.two_factor_last_step is not None and step <= account.two_factor_last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code):
            account.two_factor_last_step = step
            return True
    return False


async def account_of(uow: UnitOfWork, principal: Principal) -> Account:
    account: Account | None = (
        await uow.session.get(Player, principal.id, with_for_update=True)
        if principal.is_player
        else await uow.session.get(StaffUser, principal.id, with_for_update=True)
    )
    if account is None:
        raise NotAuthenticated()
    return account


async def begin_enrolment(uow: UnitOfWork, principal: Principal) -> Enrolment:
    """Create a new secret to scan. Errors: TwoFactorAlreadyEnabled, TwoFactorRequired."""
    account = await account_of(uow, principal)
    if account.two_factor_enabled:
        raise TwoFactorAlreadyEnabled()
    # A player must finish signing in first; only staff enrol from a pending session.
    if principal.is_player and not principal.fully_authenticated:
        raise TwoFactorRequired()
    account.two_factor_secret = pyotp.random_base32()
    account.two_factor_last_step = None
    await uow.flush()
    uri = pyotp.TOTP(account.two_factor_secret).provisioning_uri(
        name=_label(account), issuer_name=ISSUER
    )
    return Enrolment(account.two_factor_secret, uri)


async def confirm_enrolment(
    uow: UnitOfWork, principal: Principal, code: str, *, transport: SessionTransport
) -> sessions.IssuedSession | None:
    """Turn 2FA on once a code from the new secret checks out.

    For a pending staff session this completes sign-in: the session is replaced by a new,
    fully authenticated one (returned), since its privilege changes.
    Errors: TwoFactorAlreadyEnabled, InvalidTwoFactorCode.
    """
    account = await account_of(uow, principal)
    if account.two_factor_enabled:
        raise TwoFactorAlreadyEnabled()
    if not check_code(account, code):
        raise InvalidTwoFactorCode(field="code")
    account.two_factor_enabled = True
    await uow.flush()
    if principal.fully_authenticated:
        return None
    pending = await uow.session.get(AuthSession, principal.session_id)
    assert pending is not None
    return await _promote(uow, pending, transport)


async def complete_sign_in(
    uow: UnitOfWork, token: str, code: str, *, brand: str
) -> sessions.IssuedSession:
    """Exchange a pending session and a valid code for a full session. Staff who began
    enrolment may send the first code of their new secret: it turns 2FA on.

    Wrong codes count twice: on the pending session (too many revoke it) and per account
    (so fresh password logins do not buy fresh guesses). The pending row is locked while
    it is checked, so parallel guesses are counted one by one. The caller commits either
    way. Errors: NotAuthenticated (no such pending session on this brand),
    TwoFactorEnrolmentRequired (staff who have not begun enrolment), LoginThrottled,
    InvalidTwoFactorCode.
    """
    pending = await sessions.find_live(uow, token)
    if pending is None or pending.state != SessionState.PENDING_TWO_FACTOR:
        raise NotAuthenticated()
    if pending.player_id is not None and pending.brand != brand:
        raise NotAuthenticated()
    await uow.session.refresh(pending, with_for_update=True)
    if pending.revoked_at is not None:
        raise NotAuthenticated()
    account: Account | None = (
        await uow.session.get(Player, pending.player_id, with_for_update=True)
        if pending.player_id is not None
        else await uow.session.get(StaffUser, pending.staff_id, with_for_update=True)
    )
    if account is None:
        raise NotAuthenticated()
    enrolling = isinstance(account, StaffUser) and not account.two_factor_enabled
    if enrolling and account.two_factor_secret is None:
        # Staff owe enrolment first: say so, rather than an opaque refusal.
        raise TwoFactorEnrolmentRequired()
    if not (account.two_factor_enabled or enrolling):
        raise NotAuthenticated()
    guesses_key = guesses(pending.principal_kind, account.id)
    await throttle.guard_secret(uow, guesses_key)
    if not check_code(account, code):
        pending.two_factor_failures += 1
        await throttle.record_failure(uow, guesses_key, None)
        if pending.two_factor_failures >= PENDING_FAILURES_MAX:
            await sessions.revoke(uow, pending, "two_factor_failures")
        await uow.flush()
        raise InvalidTwoFactorCode(field="code")
    # Staff enrolling finish with the first code of their new secret, here as well as
    # through confirmTwoFactorEnrolment: either way the code proves the enrolment.
    account.two_factor_enabled = True
    return await _promote(uow, pending, SessionTransport(pending.transport))


async def _promote(
    uow: UnitOfWork, pending: AuthSession, transport: SessionTransport
) -> sessions.IssuedSession:
    await sessions.revoke(uow, pending, "two_factor_completed")
    kind = PrincipalKind(pending.principal_kind)
    principal_id = pending.player_id or pending.staff_id
    assert principal_id is not None
    return await sessions.issue(
        uow,
        kind=kind,
        principal_id=principal_id,
        brand=pending.brand,
        transport=transport,
        state=SessionState.ACTIVE,
        ip_address=pending.ip_address,
        user_agent=pending.user_agent,
    )


def guesses(kind: str, account_id: uuid.UUID) -> str:
    """The throttle key counting one account's wrong TOTP codes, wherever they are tried."""
    return throttle.account_key("totp", f"{kind}:{account_id}")


async def disable(uow: UnitOfWork, principal: Principal, code: str) -> None:
    """Turn 2FA off (players only); wrong codes count like sign-in guesses (the caller
    commits them). Errors: TwoFactorMandatory, TwoFactorNotEnabled, LoginThrottled,
    InvalidTwoFactorCode."""
    if principal.is_staff:
        raise TwoFactorMandatory()
    if not principal.fully_authenticated:
        raise TwoFactorRequired()
    account = await account_of(uow, principal)
    if not account.two_factor_enabled:
        raise TwoFactorNotEnabled()
    guesses_key = guesses(principal.kind, account.id)
    await throttle.guard_secret(uow, guesses_key)
    if not check_code(account, code):
        await throttle.record_failure(uow, guesses_key, None)
        raise InvalidTwoFactorCode(field="code")
    account.two_factor_enabled = False
    account.two_factor_secret = None
    await uow.flush()


async def step_up(uow: UnitOfWork, player_id: uuid.UUID, code: str | None) -> None:
    """Before a sensitive action of a player (a withdrawal): if they turned 2FA on, a fresh
    code must come with it, single-use like any code, wrong ones counted like sign-in
    guesses. Nothing but that count is written, so the caller commits on failure too.
    Errors: StepUpCodeRequired, LoginThrottled, InvalidTwoFactorCode."""
    player = await uow.session.get(Player, player_id, with_for_update=True)
    if player is None or not player.two_factor_enabled:
        return
    if code is None or not code.strip():
        raise StepUpCodeRequired(field="twoFactorCode")
    guesses_key = guesses(PrincipalKind.PLAYER, player.id)
    await throttle.guard_secret(uow, guesses_key)
    if not check_code(player, code):
        await throttle.record_failure(uow, guesses_key, None)
        raise InvalidTwoFactorCode(field="twoFactorCode")
