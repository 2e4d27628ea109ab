"""Connected login: signing in and registering through an OpenID Connect provider.

The authorization code flow with PKCE (RFC 7636, S256) and the checks OpenID Connect Core
asks of a client: the `state` sent back must be one this server issued, not yet answered
and not expired (it is claimed once, so a replayed answer is refused); the ID token must
be signed by one of the provider's published keys with an asymmetric algorithm, name the
provider as issuer and this client as audience, be unexpired, and carry the nonce of this
attempt. Any failed check refuses with the same AuthorizationRefused, and nothing is
signed in.

A verified identity already linked to a player signs that player in. Otherwise it waits
behind a single-use ticket for the registration form (which still asks what the brand's
jurisdiction requires) or, when a player of the brand has the provider's verified e-mail
address, for that account's password: an identity is linked to an existing account only
after its holder proved control of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import jwt
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from domain.accounts import sessions
from domain.accounts.identifiers import normalise_email
from domain.accounts.models import (
    ConnectedLoginAttempt,
    Player,
    PlayerIdentity,
    PrincipalKind,
    SessionState,
    SessionTransport,
)
from domain.brands.service import Brand
from domain.integrations import identity_sandbox
from domain.integrations.identity_provider import (
    AuthorizationRefused,
    HttpIdentityProvider,
    IdentityProvider,
)
from domain.kernel import clock
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.kernel.settings import Environment, Settings, get_settings

SECRET_BYTES: Final = 32
# Asymmetric algorithms only: a symmetric one (HS256) would let the public key sign.
ID_TOKEN_ALGORITHMS: Final = ("RS256", "PS256", "ES256")
CLOCK_SKEW_S: Final = 60
STATE_LENGTH_MAX: Final = 128
CODE_LENGTH_MAX: Final = 4096
ID_TOKEN_LENGTH_MAX: Final = 16_384
CALLBACK_PATH: Final = "/login/connected/callback"
_http_providers: dict[tuple[str, str, str], HttpIdentityProvider] = {}


class ConnectedLoginUnavailable(DomainError):
    code = "CONNECTED_LOGIN_UNAVAILABLE"
    message = "Signing in with another account is not available here."


class IdentityAlreadyLinked(DomainError):
    code = "IDENTITY_ALREADY_LINKED"
    message = "This account at the provider is already linked to a player."


@dataclass(frozen=True)
class Started:
    authorization_url: str
    state: str


@dataclass(frozen=True)
class Pending:
    attempt_id: uuid.UUID
    nonce: str
    code_verifier: str
    redirect_uri: str


@dataclass(frozen=True)
class VerifiedIdentity:
    issuer: str
    subject: str
    email: str | None


@dataclass(frozen=True)
class Settled:
    """A verified answer: the linked player, or a ticket for registering or linking."""

    player: Player | None = None
    ticket: str | None = None
    email: str | None = None
    # A player of the brand has this e-mail: link with its password, not a new account.
    account_exists: bool = False


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def provider_for(settings: Settings, brand: str, origin: str) -> IdentityProvider:
    """The brand's provider: the configured one, else (outside production) the built-in
    test provider on `origin`. Errors: ConnectedLoginUnavailable."""
    issuer = settings.connected_login_issuers.get(brand)
    if issuer is None:
        if settings.env is Environment.PRODUCTION:
            raise ConnectedLoginUnavailable()
        return identity_sandbox.SandboxIdentityProvider(
            identity_sandbox.issuer_for(origin), identity_sandbox.client_id_for(brand)
        )
    client_id = settings.connected_login_client_ids.get(brand)
    client_secret = settings.connected_login_client_secrets.get(brand)
    if not client_id or not client_secret:
        raise ConnectedLoginUnavailable()
    key = (brand, issuer, client_id)
    if key not in _http_providers:  # kept, for its cached discovery document and keys
        _http_providers[key] = HttpIdentityProvider(issuer, client_id, client_secret)
    return _http_providers[key]


def _own_redirect(brand: Brand, redirect_uri: str) -> bool:
    parts = urlsplit(redirect_uri)
    return (
        parts.scheme in ("http", "https")
        and (parts.hostname or "") in brand.domains
        and parts.path == CALLBACK_PATH
        and not parts.query
        and not parts.fragment
    )


async def start(
    uow: UnitOfWork, brand: Brand, provider: IdentityProvider, redirect_uri: str
) -> Started:
    """Begin a connected login: a fresh state, nonce and PKCE verifier kept here, and the
    provider's authorization URL to send the player to. `redirect_uri` must be this
    brand's callback. Errors: AuthorizationRefused (another redirect URI),
    IdentityProviderUnavailable."""
    if not _own_redirect(brand, redirect_uri):
        raise AuthorizationRefused(field="redirectUri")
    endpoints = await provider.endpoints()
    state = secrets.token_urlsafe(SECRET_BYTES)
    nonce = secrets.token_urlsafe(SECRET_BYTES)
    verifier = secrets.token_urlsafe(SECRET_BYTES)
    uow.session.add(
        ConnectedLoginAttempt(
            brand=brand.slug,
            state_hash=_hash(state),
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            expires_at=clock.now() + timedelta(minutes=get_settings().connected_login_minutes),
        )
    )
    await uow.flush()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email",
            "state": state,
            "nonce": nonce,
            "code_challenge": identity_sandbox.pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in endpoints.authorization_endpoint else "?"
    return Started(f"{endpoints.authorization_endpoint}{separator}{query}", state)


async def claim_answer(uow: UnitOfWork, brand: str, state: str) -> Pending:
    """Claim the attempt a provider's answer names by its state, once: a second answer
    with the same state (a replay) finds it claimed. Errors: AuthorizationRefused."""
    if not state or len(state) > STATE_LENGTH_MAX:
        raise AuthorizationRefused(field="state")
    row = (
        await uow.session.execute(
            update(ConnectedLoginAttempt)
            .where(
                ConnectedLoginAttempt.state_hash == _hash(state),
                ConnectedLoginAttempt.brand == brand,
                ConnectedLoginAttempt.answered_at.is_(None),
                ConnectedLoginAttempt.expires_at > clock.now(),
            )
            .values(answered_at=clock.now())
            .returning(
                ConnectedLoginAttempt.id,
                ConnectedLoginAttempt.nonce,
                ConnectedLoginAttempt.code_verifier,
                ConnectedLoginAttempt.redirect_uri,
            )
        )
    ).first()
    if row is None:
        raise AuthorizationRefused(field="state")
    return Pending(row.id, row.nonce, row.code_verifier, row.redirect_uri)


def _signing_key(keys: dict[str, Any], token: str) -> Any:
    try:
        header = jwt.get_unverified_header(token)
        key_set = jwt.PyJWKSet.from_dict(keys)
    except jwt.PyJWTError:
        raise AuthorizationRefused(field="code") from None
    if header.get("alg") not in ID_TOKEN_ALGORITHMS:
        raise AuthorizationRefused(field="code")
    for key in key_set.keys:
        if key.key_id == header.get("kid") or (
            header.get("kid") is None and len(key_set.keys) == 1
        ):
            return key
    return None


async def verify_id_token(provider: IdentityProvider, token: str, nonce: str) -> VerifiedIdentity:
    """The identity an ID token vouches for, once its signature (a key the provider
    publishes), issuer, audience, expiry and nonce check out. An unknown key id fetches
    the provider's keys once more (rotation). Errors: AuthorizationRefused,
    IdentityProviderUnavailable."""
    if len(token) > ID_TOKEN_LENGTH_MAX:
        raise AuthorizationRefused(field="code")
    key = _signing_key(await provider.signing_keys(), token)
    if key is None:
        key = _signing_key(await provider.signing_keys(refresh=True), token)
    if key is None:
        raise AuthorizationRefused(field="code")
    endpoints = await provider.endpoints()
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=list(ID_TOKEN_ALGORITHMS),
            audience=provider.client_id,
            issuer=endpoints.issuer,
            leeway=CLOCK_SKEW_S,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
        )
    except jwt.PyJWTError:
        raise AuthorizationRefused(field="code") from None
    if not hmac.compare_digest(str(claims["nonce"]), nonce):
        raise AuthorizationRefused(field="code")
    email: str | None = None
    if claims.get("email_verified") is True and isinstance(claims.get("email"), str):
        try:
            email = normalise_email(claims["email"])
        except DomainError:
            email = None
    return VerifiedIdentity(endpoints.issuer, str(claims["sub"]), email)


async def settle(
    uow: UnitOfWork, brand: str, attempt_id: uuid.UUID, identity: VerifiedIdentity
) -> Settled:
    """The player linked to `identity`, or else a ticket (kept hashed on the attempt)
    for registering with it or linking it to the account of its e-mail address."""
    player = await uow.session.scalar(
        select(Player)
        .join(PlayerIdentity, PlayerIdentity.player_id == Player.id)
        .where(
            PlayerIdentity.brand == brand,
            PlayerIdentity.issuer == identity.issuer,
            PlayerIdentity.subject == identity.subject,
        )
    )
    if player is not None:
        return Settled(player=player)
    ticket = secrets.token_urlsafe(SECRET_BYTES)
    await uow.session.execute(
        update(ConnectedLoginAttempt)
        .where(ConnectedLoginAttempt.id == attempt_id)
        .values(
            issuer=identity.issuer,
            subject=identity.subject,
            email=identity.email,
            ticket_hash=_hash(ticket),
        )
    )
    exists = identity.email is not None and bool(
        await uow.session.scalar(
            select(Player.id).where(Player.brand == brand, Player.email == identity.email)
        )
    )
    return Settled(ticket=ticket, email=identity.email, account_exists=exists)


async def take_ticket(uow: UnitOfWork, brand: str, ticket: str) -> ConnectedLoginAttempt:
    """The verified attempt behind an unused, unexpired ticket, locked until the caller's
    transaction ends. Errors: AuthorizationRefused."""
    attempt = (
        await uow.session.scalar(
            select(ConnectedLoginAttempt)
            .where(
                ConnectedLoginAttempt.ticket_hash == _hash(ticket),
                ConnectedLoginAttempt.brand == brand,
                ConnectedLoginAttempt.ticket_used_at.is_(None),
                ConnectedLoginAttempt.expires_at > clock.now(),
            )
            .with_for_update()
        )
        if ticket and len(ticket) <= STATE_LENGTH_MAX
        else None
    )
    if attempt is None or attempt.issuer is None or attempt.subject is None:
        raise AuthorizationRefused(field="ticket")
    return attempt


async def link(uow: UnitOfWork, player: Player, attempt: ConnectedLoginAttempt) -> None:
    """Link the ticket's identity to `player` and use the ticket up.
    Errors: IdentityAlreadyLinked (the identity, or this provider for this player)."""
    linked = await uow.session.scalar(
        insert(PlayerIdentity)
        .values(
            id=uuid.uuid4(),
            brand=player.brand,
            player_id=player.id,
            issuer=attempt.issuer,
            subject=attempt.subject,
        )
        .on_conflict_do_nothing()
        .returning(PlayerIdentity.id)
    )
    if linked is None:
        raise IdentityAlreadyLinked(field="ticket")
    attempt.ticket_used_at = clock.now()
    await uow.flush()


async def issue_session(
    uow: UnitOfWork,
    player: Player,
    *,
    transport: SessionTransport,
    ip_address: str | None,
    user_agent: str | None,
    previous_token: str | None,
) -> sessions.IssuedSession:
    """A session for a player the provider vouched for (the caller checked it may sign
    in): a second factor is still owed when the player turned it on; the session the
    browser had is rotated."""
    if previous_token:
        previous = await sessions.find_live(uow, previous_token)
        if previous is not None:
            await sessions.revoke(uow, previous, "rotated")
    return await sessions.issue(
        uow,
        kind=PrincipalKind.PLAYER,
        principal_id=player.id,
        brand=player.brand,
        transport=transport,
        state=SessionState.PENDING_TWO_FACTOR if player.two_factor_enabled else SessionState.ACTIVE,
        ip_address=ip_address,
        user_agent=user_agent,
    )


def unusable_password() -> str:
    """The password of an account registered through a provider: random and never shown
    (the player may set one with "forgot password")."""
    return base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")
