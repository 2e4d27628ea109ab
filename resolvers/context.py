"""The per-request GraphQL context.

It carries a database (a factory of units of work), never a shared session: sibling fields
resolve concurrently, and one AsyncSession must not be used by two coroutines at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

from domain.accounts import sessions
from domain.accounts.models import SessionTransport
from domain.accounts.principal import Principal
from domain.brands.service import Brand, BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import Settings

if TYPE_CHECKING:
    from domain.kernel.pubsub import EventHub

K = TypeVar("K")
V = TypeVar("V")
# A page of sibling objects batches into one statement per field, up to this many keys.
LOADER_BATCH_MAX = 100

SESSION_COOKIE = "__Host-stakehouse_session"


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

    async def principal(self) -> Principal | None:
        """Who is calling (None: nobody, or a session that is no longer valid)."""
        if not self.cache_principal:
            return await self._authenticate()
        async with self._principal_lock:
            if not self._principal_loaded:
                self._principal = await self._authenticate()
                self._principal_loaded = True
            return self._principal

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

    async def _authenticate(self) -> Principal | None:
        if self.credentials is None:
            return None
        # Every request authenticates: one standalone statement, no transaction around it.
        async with self.db.autocommit() as uow:
            return await sessions.authenticate_token(uow, self.credentials.token, self.brand.slug)

    def use_credentials(self, credentials: Credentials | None) -> None:
        self.credentials = credentials
        self.forget_principal()
