"""Data protection: the player's copy of their data, and erasure requests.

`personal_data` gathers what the platform holds about the signed-in player into one JSON
document (one statement): the account, the profile, verification checks, limits,
self-exclusions, payments, wallet movements, bets, casino rounds, inbox, sessions, the
devices the fingerprinting provider recognised and the duplicate-account flags naming them.
Amounts are integer minor units with their currency.

`request_erasure` closes the account and pseudonymises at once what regulation lets go
(sign-in identifiers, password, second factor, phone, inbox, the devices and addresses of
sessions, device sightings) and keeps the regulated records (legal identity, date of
birth, KYC checks, payments, the ledger, bets and rounds, the audit log) until the
retention period after the relationship ends (`RETENTION`, the anti-money-laundering
rules' five years); the person link keeps only a digest, so a self-exclusion still
reaches the person's other players.
`complete_erasures` erases the legal identity and date of birth once that time is over,
with the keyed digests of the identity and documents and the duplicate-account flags.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from domain.accounts import credentials, sessions
from domain.accounts.errors import ConfirmationRequired, PlayerNotFound
from domain.accounts.models import PlayerStatus, PrincipalKind
from domain.accounts.principal import Principal, require_player
from domain.compliance.kyc.models import ErasureRequest
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError

# What the anti-money-laundering rules keep after the relationship ends (EU AMLD, UK MLR).
RETENTION = timedelta(days=5 * 365)
# Rows of each list in an export (a player's whole history up to this many).
EXPORT_ROWS_MAX = 10_000


class BalanceRemaining(DomainError):
    code = "BALANCE_REMAINING"
    message = "Withdraw your balance before you ask for your data to be erased."


_EXPORT = text(f"""
SELECT json_build_object(
  'account', (SELECT json_build_object(
      'id', p.id, 'brand', p.brand, 'email', p.email, 'phone', p.phone,
      'username', p.username, 'date_of_birth', p.date_of_birth, 'country', p.country,
      'currency', p.currency, 'locale', p.locale, 'status', p.status,
      'created_at', p.created_at, 'email_verified_at', p.email_verified_at,
      'kyc_tier', p.kyc_tier, 'two_factor_enabled', p.two_factor_enabled,
      'reality_check_minutes', p.reality_check_minutes, 'time_out_until', p.time_out_until)
    FROM players p WHERE p.id = :player AND p.brand = :brand),
  'profile', (SELECT json_build_object(
      'given_name', f.given_name, 'family_name', f.family_name,
      'address_line1', f.address_line1, 'address_line2', f.address_line2, 'city', f.city,
      'postal_code', f.postal_code, 'address_country', f.address_country,
      'nationality', f.nationality, 'phone', f.phone,
      'phone_verified_at', f.phone_verified_at, 'updated_at', f.updated_at)
    FROM player_profiles f WHERE f.player_id = :player),
  'verification_checks', coalesce((SELECT json_agg(json_build_object(
      'tier', c.tier, 'status', c.status, 'reason', c.reason,
      'document_type', c.document_type, 'document_expires_on', c.document_expires_on,
      'created_at', c.created_at, 'decided_at', c.decided_at) ORDER BY c.created_at)
    FROM kyc_checks c WHERE c.player_id = :player), '[]'),
  'limits', coalesce((SELECT json_agg(json_build_object(
      'kind', l.kind, 'period', l.period, 'amount_minor', l.amount_minor,
      'currency', l.currency, 'created_at', l.created_at) ORDER BY l.kind, l.period)
    FROM player_limits l WHERE l.player_id = :player), '[]'),
  'self_exclusions', coalesce((SELECT json_agg(json_build_object(
      'brand', x.brand, 'period', x.period, 'started_at', x.started_at,
      'ends_at', x.ends_at, 'lifted_at', x.lifted_at) ORDER BY x.started_at)
    FROM self_exclusions x WHERE x.player_id = :player), '[]'),
  'payments', coalesce((SELECT json_agg(row_to_json(y) ORDER BY y.created_at) FROM (
      SELECT kind, status, amount_minor, currency, provider, created_at FROM payments
      WHERE player_id = :player ORDER BY created_at LIMIT {EXPORT_ROWS_MAX}) y), '[]'),
  'wallet_movements', coalesce((SELECT json_agg(row_to_json(m) ORDER BY m.id) FROM (
      SELECT e.id, a.kind AS wallet, t.kind, e.amount AS amount_minor, e.currency,
             e.created_at
      FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
      JOIN ledger_transactions t ON t.id = e.transaction_id
      WHERE a.player_id = :player ORDER BY e.id LIMIT {EXPORT_ROWS_MAX}) m), '[]'),
  'bets', coalesce((SELECT json_agg(row_to_json(b) ORDER BY b.placed_at) FROM (
      SELECT id, bet_type, total_stake_minor, currency, status, potential_return_minor,
             payout_minor, placed_at FROM sportsbook_bets
      WHERE player_id = :player ORDER BY placed_at LIMIT {EXPORT_ROWS_MAX}) b), '[]'),
  'casino_rounds', coalesce((SELECT json_agg(row_to_json(r) ORDER BY r.id) FROM (
      SELECT id, provider, game_code, currency, status, bet_minor FROM casino_rounds
      WHERE player_id = :player ORDER BY id LIMIT {EXPORT_ROWS_MAX}) r), '[]'),
  'inbox', coalesce((SELECT json_agg(row_to_json(i) ORDER BY i.created_at) FROM (
      SELECT kind, subject, body, created_at, read_at FROM inbox_messages
      WHERE player_id = :player AND deleted_at IS NULL
      ORDER BY created_at LIMIT {EXPORT_ROWS_MAX}) i), '[]'),
  'sessions', coalesce((SELECT json_agg(row_to_json(s) ORDER BY s.created_at) FROM (
      SELECT created_at, last_seen_at, revoked_at, host(ip_address) AS ip_address,
             user_agent FROM auth_sessions
      WHERE player_id = :player ORDER BY created_at LIMIT {EXPORT_ROWS_MAX}) s), '[]'),
  'devices', coalesce((SELECT json_agg(row_to_json(d) ORDER BY d.first_seen_at) FROM (
      SELECT device_id, risk_signals, first_seen_at, last_seen_at FROM device_sightings
      WHERE player_id = :player ORDER BY first_seen_at LIMIT {EXPORT_ROWS_MAX}) d), '[]'),
  'duplicate_account_flags', coalesce((SELECT json_agg(row_to_json(g) ORDER BY g.flagged_at)
    FROM (SELECT rule, flagged_at FROM duplicate_flags
      WHERE :player IN (player_id, other_player_id)
      ORDER BY flagged_at LIMIT {EXPORT_ROWS_MAX}) g), '[]')
)
""")  # noqa: S608 - the interpolated limit is a constant of this module


async def personal_data(uow: UnitOfWork, actor: Principal | None, brand: str) -> dict[str, Any]:
    """Everything held about the signed-in player, as one JSON document (one statement).
    Errors: NotAuthenticated, TwoFactorRequired, PlayerNotFound."""
    principal = require_player(actor, withdraw_only_allowed=True)
    document = await uow.session.scalar(_EXPORT, {"player": principal.id, "brand": brand})
    if not document or document.get("account") is None:
        raise PlayerNotFound(field="playerId")
    return {"exported_at": clock.now().isoformat(), **document}


_BALANCE = text("""
SELECT coalesce(sum(balance), 0) FROM ledger_accounts
WHERE player_id = :player AND brand = :brand AND tracks_balance
  AND kind IN ('cash', 'withdrawal_pending')
""")
_PSEUDONYMISE = text("""
UPDATE players SET email = 'erased+' || id || '@invalid', phone = NULL, username = NULL,
       password_hash = :unusable, two_factor_secret = NULL, two_factor_enabled = false,
       status = 'closed'
WHERE id = :player AND brand = :brand
RETURNING status
""")
_FORGET_PHONE = text("UPDATE player_profiles SET phone = NULL, phone_verified_at = NULL "
                     "WHERE player_id = :player")  # fmt: skip
_FORGET_INBOX = text("UPDATE inbox_messages SET deleted_at = coalesce(deleted_at, :now) "
                     "WHERE player_id = :player")  # fmt: skip
_FORGET_DEVICES = text("UPDATE auth_sessions SET ip_address = NULL, user_agent = NULL "
                       "WHERE player_id = :player")  # fmt: skip
_FORGET_SIGHTINGS = text("DELETE FROM device_sightings WHERE player_id = :player")


async def request_erasure(
    uow: UnitOfWork,
    actor: Principal | None,
    brand: str,
    *,
    confirmed: bool,
    password: str | None = None,
    two_factor_code: str | None = None,
) -> datetime:
    """Erase what may go now and close the account; returns until when the regulated
    records are kept. A session alone cannot erase an account: the player proves who they
    are again (credentials.reauthenticate: a fresh 2FA code where it is on, else their
    password). Audited (`player.erasure.request`).
    Errors: NotAuthenticated, TwoFactorRequired, ConfirmationRequired, StepUpCodeRequired,
    InvalidTwoFactorCode, LoginThrottled, InvalidCredentials, BalanceRemaining,
    PlayerNotFound."""
    principal = require_player(actor, withdraw_only_allowed=True)
    if not confirmed:
        raise ConfirmationRequired(field="confirm")
    await credentials.reauthenticate(
        uow, principal, password=password, two_factor_code=two_factor_code
    )
    parameters = {"player": principal.id, "brand": brand}
    if int(await uow.session.scalar(_BALANCE, parameters) or 0) > 0:
        raise BalanceRemaining(field="confirm")
    closed = await uow.session.scalar(
        _PSEUDONYMISE, {**parameters, "unusable": f"!erased:{secrets.token_hex(16)}"}
    )
    if closed is None:
        raise PlayerNotFound(field="playerId")
    now = clock.now()
    await uow.session.execute(_FORGET_PHONE, parameters)
    await uow.session.execute(_FORGET_INBOX, {**parameters, "now": now})
    await sessions.revoke_all(
        uow, kind=PrincipalKind.PLAYER, principal_id=principal.id, reason="erasure"
    )
    await uow.session.execute(_FORGET_DEVICES, parameters)
    await uow.session.execute(_FORGET_SIGHTINGS, parameters)
    retained_until = now + RETENTION
    uow.session.add(
        ErasureRequest(
            player_id=principal.id, brand=brand, requested_at=now, retain_until=retained_until
        )
    )
    await uow.flush()
    await audit.record(
        uow,
        actor_kind=principal.actor_kind,
        actor_id=principal.id,
        action="player.erasure.request",
        subject_type="player",
        subject_id=principal.id,
        brand=brand,
        reason="player request",
        before=None,
        after={"status": PlayerStatus.CLOSED.value, "retained_until": retained_until.date()},
    )
    return retained_until


# The regulated records' personal parts, once their retention is over: the legal identity
# goes; the amounts, bets and ledger stay (no longer anyone's) for the books.
_ERASE_IDENTITY = text("""
UPDATE player_profiles SET given_name = NULL, family_name = NULL, address_line1 = NULL,
       address_line2 = NULL, city = NULL, postal_code = NULL, address_country = NULL,
       nationality = NULL, updated_at = :now
WHERE player_id = :player
""")
_ERASE_BIRTH = text("UPDATE players SET date_of_birth = DATE '1900-01-01' WHERE id = :player")
# The digests of the identity and documents (they would still single the human out) and
# the duplicate-account flags naming the player go with it.
_ERASE_IDENTITY_DIGEST = text(
    "UPDATE player_profiles SET identity_digest = NULL WHERE player_id = :player"
)
_ERASE_CHECK_DIGESTS = text(
    "UPDATE kyc_checks SET document_digest = NULL, identity_digest = NULL WHERE player_id = :player"
)
_ERASE_FLAGS = text("DELETE FROM duplicate_flags WHERE :player IN (player_id, other_player_id)")
_ERASE_SIGHTINGS = _FORGET_SIGHTINGS
ERASURE_BATCH_MAX = 200


async def complete_erasures(uow: UnitOfWork) -> int:
    """Erase the legal identity and date of birth of players whose erasure request's
    retention is over (the scheduler's `compliance.complete_erasures`, daily); audited.
    Returns how many were completed."""
    now = clock.now()
    due = list(
        await uow.session.scalars(
            select(ErasureRequest)
            .where(ErasureRequest.completed_at.is_(None), ErasureRequest.retain_until <= now)
            .order_by(ErasureRequest.retain_until)
            .limit(ERASURE_BATCH_MAX)
            .with_for_update(skip_locked=True)
        )
    )
    for request in due:
        parameters = {"player": request.player_id, "now": now}
        await uow.session.execute(_ERASE_IDENTITY, parameters)
        await uow.session.execute(_ERASE_BIRTH, parameters)
        for statement in (
            _ERASE_IDENTITY_DIGEST, _ERASE_CHECK_DIGESTS, _ERASE_FLAGS, _ERASE_SIGHTINGS,
        ):  # fmt: skip
            await uow.session.execute(statement, parameters)
        request.completed_at = now
        await audit.record(
            uow,
            actor_kind="system",
            actor_id="compliance.complete_erasures",
            action="player.erasure.complete",
            subject_type="player",
            subject_id=request.player_id,
            brand=request.brand,
            reason="retention period over",
        )
    await uow.flush()
    return len(due)
