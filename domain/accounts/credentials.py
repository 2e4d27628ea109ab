"""Changing a signed-in account's password (players and staff alike), and a player's fresh
proof of who they are before an irreversible action."""

from __future__ import annotations

from domain.accounts import passwords, sessions, throttle, two_factor
from domain.accounts.errors import InvalidCredentials, TwoFactorRequired
from domain.accounts.models import Player, StaffUser
from domain.accounts.principal import Principal
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import NotAuthenticated


async def change_password(
    uow: UnitOfWork, principal: Principal, current_password: str, new_password: str
) -> None:
    """Change the signed-in account's password; other sessions are revoked. Wrong current
    passwords count towards the account's sign-in throttle (the caller commits them), so
    a stolen session cannot guess the password at leisure.
    Errors: NotAuthenticated, TwoFactorRequired, LoginThrottled, InvalidCredentials,
    PasswordToo*."""
    account: Player | StaffUser | None = (
        await uow.session.get(Player, principal.id, with_for_update=True)
        if principal.is_player
        else await uow.session.get(StaffUser, principal.id, with_for_update=True)
    )
    if account is None:
        raise NotAuthenticated()
    # A pending session proves the password only. That is all a staff member who still
    # owes enrolment has, so they may replace their one-time password before or after
    # enrolling; an account with 2FA on needs the code first (else a stolen password
    # could lock its owner out).
    enrolment_owed = isinstance(account, StaffUser) and not account.two_factor_enabled
    if not (principal.fully_authenticated or enrolment_owed):
        raise TwoFactorRequired()
    guesses_key = throttle.account_key("password", f"{principal.kind}:{principal.id}")
    await throttle.guard_secret(uow, guesses_key)
    if not await passwords.verify_password(account.password_hash, current_password):
        await throttle.record_failure(uow, guesses_key, None)
        raise InvalidCredentials(field="currentPassword")
    identifiers = (
        [account.email]
        if isinstance(account, StaffUser)
        else [account.email, account.phone, account.username]
    )
    problem = passwords.password_problem(new_password, *identifiers)
    if problem:
        problem.field = "newPassword"
        raise problem
    account.password_hash = await passwords.hash_password(new_password)
    if isinstance(account, StaffUser):
        account.password_change_required = False
    await sessions.revoke_all(
        uow,
        kind=principal.kind,
        principal_id=principal.id,
        reason="password_changed",
        keep=principal.session_id,
    )
    await audit.record(
        uow,
        actor_kind=principal.actor_kind,
        actor_id=principal.id,
        action="account.password.change",
        subject_type=principal.kind.value,
        subject_id=principal.id,
        brand=principal.brand if principal.is_player else None,
    )
    await uow.flush()


async def reauthenticate(
    uow: UnitOfWork, principal: Principal, *, password: str | None, two_factor_code: str | None
) -> None:
    """A fresh proof, before an irreversible action (an erasure), that the player at the
    keyboard owns the account, not just its session: a fresh authenticator code when
    they turned two-factor on, else their current password. Wrong guesses count like
    sign-in guesses; nothing else is written, so the caller commits on failure too.
    Errors: NotAuthenticated, StepUpCodeRequired, InvalidTwoFactorCode, LoginThrottled,
    InvalidCredentials (on `password`)."""
    player = await uow.session.get(Player, principal.id, with_for_update=True)
    if player is None or not principal.is_player:
        raise NotAuthenticated()
    if player.two_factor_enabled:
        await two_factor.step_up(uow, player.id, two_factor_code)
        return
    # The sign-in's own count (players.sign_in_key): a stolen session guessing the
    # password here locks the sign-in too, and a locked sign-in refuses guesses here.
    guesses_key = throttle.account_key("player", str(player.id))
    await throttle.guard_secret(uow, guesses_key)
    if not password or not await passwords.verify_password(player.password_hash, password):
        await throttle.record_failure(uow, guesses_key, None)
        raise InvalidCredentials(field="password")
