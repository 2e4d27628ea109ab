"""The per-request GraphQL context.

It carries a database (a factory of units of work), never a shared session: sibling fields
resolve concurrently, and one AsyncSession must not be used by two coroutines at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

from domain.accounts import sessions
from domain.accounts.models import OddsFormat, PrincipalKind, SessionTransport
from domain.accounts.principal import Principal
from domain.brands.service import Brand, BrandRegistry
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.logs import bind_log_context
from domain.kernel.settings import Settings

if TYPE_CHECKING:
    from domain.kernel.dead_letters import DeadLetterCount
    from domain.kernel.pubsub import EventHub

K = TypeVar("K")
V = TypeVar("V")
# A page of sibling objects batches into one statement per field, up to this many keys.
LOADER_BATCH_MAX = 100

SESSION_COOKIE = "__Host-stakehouse_session"
# A long-lived context (WebSocket, the site's event streams) reuses the viewer's odds format
# this long, so a stream of events reads it about once per interval, not once per field.
ODDS_FORMAT_REUSE_S = 5.0


@dataclass(frozen=True)
class Credentials:
    token: str
    transport: SessionTransport


@dataclass
class Context:
    db: Database
    brand: Brand
    registry: BrandRegistry
    settings: Settings
    hub: EventHub
    request_id: str
    client_address: str | None
    user_agent: str | None
    credentials: Credentials | None
    # The HTTP request/response (or the WebSocket); only web/ touches them.
    request: Any = None
    response: Any = None
    # The brand site's origin the request came to (scheme, host, port), when it came to a
    # brand host: links in e-mails lead back there. None on API hosts.
    site_origin: str | None = None
    # The broker's dead letters (a port the app injects); None: no broker, figure unknown.
    dead_letters: DeadLetterCount | None = None
    # Set by the WebSocket handshake (graphql-transport-ws connection_init payload).
    connection_params: dict[str, Any] | None = None
    # Cookie to set or clear on the HTTP response: (token or None to clear).
    pending_cookie: tuple[str | None, int] | None = None
    # A WebSocket keeps one context for its whole life: there the principal is looked up
    # again for every operation and event, so a revoked session or a suspended player loses
    # its socket's powers at once. An HTTP request caches it for its own duration.
    cache_principal: bool = True
    _loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)
    _principal: Principal | None = None
    _principal_loaded: bool = False
    _principal_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _odds_format: OddsFormat | None = None
    _odds_format_read_at: float = 0.0
    _odds_format_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def link_origin(self) -> str:
        """Where links sent to the player (e-mails) point: the site they used, else the
        brand's first domain over HTTPS."""
        return self.site_origin or f"https://{self.brand.domains[0]}"

    async def principal(self, uow: UnitOfWork | None = None) -> Principal | None:
        """Who is calling (None: nobody, or a session that is no longer valid). A mutation
        passes its unit of work: the session is then read in the mutation's own
        transaction, on its connection, instead of on a connection of its own first."""
        if not self.cache_principal:
            return await self._authenticate(uow)
        async with self._principal_lock:
            if not self._principal_loaded:
                self._principal = await self._authenticate(uow)
                self._principal_loaded = True
                _bind_player(self._principal)
            return self._principal

    def principal_known(self) -> bool:
        """Whether `principal()` answers without I/O (this request already authenticated)."""
        return self.cache_principal and self._principal_loaded

    def authenticated(self, principal: Principal | None) -> None:
        """The principal of this request's credentials, judged by the sessions' own rules
        in a statement that read the session along with other data (placement's first
        read): kept as `principal()` keeps what it reads."""
        if self.cache_principal:
            self._principal = principal
            self._principal_loaded = True
            _bind_player(principal)

    def known_odds_format(self) -> OddsFormat | None:
        """The viewer's odds format if known without I/O (None: `odds_format()` must read
        it). Signed-out callers read decimal; on a request whose principal is already
        loaded, it came with it."""
        if self.credentials is None:
            return OddsFormat.DECIMAL
        if self._odds_format is not None and (
            self.cache_principal
            or time.monotonic() - self._odds_format_read_at < ODDS_FORMAT_REUSE_S
        ):
            return self._odds_format
        if self.cache_principal and self._principal_loaded:
            return _odds_format_of(self._principal)
        return None

    async def odds_format(self) -> OddsFormat:
        """How the viewer wants odds written (DECIMAL unless a signed-in player chose
        otherwise). Read at most once per request (the sibling fields that ask at the same
        time wait for the one read)."""
        known = self.known_odds_format()
        if known is not None:
            return known
        async with self._odds_format_lock:
            known = self.known_odds_format()
            if known is None:
                known = _odds_format_of(await self.principal())
                self._odds_format = known
                self._odds_format_read_at = time.monotonic()
            return known

    def remember_odds_format(self, odds_format: OddsFormat) -> None:
        """After the viewer changed it: the rest of the request writes odds the new way."""
        self._odds_format = odds_format
        self._odds_format_read_at = time.monotonic()

    def loader(
        self, name: str, load: Callable[[Sequence[K]], Awaitable[Sequence[V]]]
    ) -> DataLoader[K, V]:
        """The request's DataLoader called `name`, created on first use (Saleor's lazy
        per-request loaders). Uncached: a WebSocket keeps its context for hours, and a
        value read once must not be served stale to later operations."""
        existing = self._loaders.get(name)
        if existing is None:
            existing = DataLoader(load, max_batch_size=LOADER_BATCH_MAX, cache=False)
            self._loaders[name] = existing
        return existing

    def forget_principal(self) -> None:
        """Drop the cached principal after the session changed (login, logout, 2FA)."""
        self._principal = None
        self._principal_loaded = False
        self._odds_format = None

    async def _authenticate(self, within: UnitOfWork | None) -> Principal | None:
        if self.credentials is None:
            return None
        if within is not None:
            return await sessions.authenticate_token(
                within, self.credentials.token, self.brand.slug
            )
        # Every request authenticates: one standalone statement, no transaction around it.
        async with self.db.autocommit() as uow:
            return await sessions.authenticate_token(uow, self.credentials.token, self.brand.slug)

    def use_credentials(self, credentials: Credentials | None) -> None:
        self.credentials = credentials
        self.forget_principal()

    def signed_out(self) -> None:
        """The session this request came with has ended (sign-out, self-exclusion, a
        time-out): the rest of the request is anonymous, and a cookie session's browser is
        told to drop its cookie."""
        if self.credentials and self.credentials.transport is SessionTransport.COOKIE:
            self.pending_cookie = (None, 0)
        self.use_credentials(None)


def _odds_format_of(principal: Principal | None) -> OddsFormat:
    if principal is None or not principal.is_player:
        return OddsFormat.DECIMAL
    return principal.odds_format


def _bind_player(principal: Principal | None) -> None:
    """The signed-in player's id on the request's log lines (and on the outbox events it
    emits, so the actors' lines carry it too). Not reset here: the request's middleware
    restores the log context as it was when the request ends."""
    if principal is not None and principal.kind is PrincipalKind.PLAYER:
        bind_log_context(player=principal.id)
