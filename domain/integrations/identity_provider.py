"""The OpenID Connect identity-provider port: what connected login needs from a provider.

A provider publishes a discovery document (its authorization and token endpoints and the
URL of its signing keys), takes the player through its own sign-in page, and answers the
authorization code (with the PKCE verifier) with an ID token signed by one of its keys.
Whatever the adapter, the ID token is verified by the caller (domain.accounts.
connected_login) against the keys the adapter fetched: an adapter never vouches for a token.

Adapters: `HttpIdentityProvider` for a real provider (discovery, token endpoint with
client_secret_basic, JWKS, a timeout on every call), and the built-in test provider
(domain.integrations.test_identity_provider) that the app serves itself outside
production.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final, Protocol

import httpx

from domain.kernel.errors import DomainError

CALL_TIMEOUT_S: Final = 10.0
# Discovery documents and signing keys are kept this long (a key rotation is picked up
# at once anyway: an unknown key id fetches the keys again).
CACHE_S: Final = 3600.0
RESPONSE_BYTES_MAX: Final = 100_000


class IdentityProviderUnavailable(DomainError):
    code = "IDENTITY_PROVIDER_UNAVAILABLE"
    message = "The sign-in provider did not answer. Try again in a moment."


class AuthorizationRefused(DomainError):
    # The same reply for an unknown, replayed or expired state, a code the provider
    # refuses, a forged or foreign ID token and a wrong nonce: which check failed helps
    # only an attacker.
    code = "AUTHORIZATION_REFUSED"
    message = "This sign-in could not be confirmed. Please start again."


@dataclass(frozen=True)
class ProviderEndpoints:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


class IdentityProvider(Protocol):
    issuer: str
    client_id: str

    async def endpoints(self) -> ProviderEndpoints: ...

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> str:
        """The ID token the provider gives for this authorization code (unverified).
        Errors: AuthorizationRefused (the provider refuses the code: unknown, expired,
        used, or not matching the verifier), IdentityProviderUnavailable."""
        ...

    async def signing_keys(self, *, refresh: bool = False) -> dict[str, Any]:
        """The provider's JSON Web Key Set. Errors: IdentityProviderUnavailable."""
        ...


class HttpIdentityProvider:
    """A real provider over HTTPS, configured by its issuer URL and client credentials."""

    def __init__(
        self, issuer: str, client_id: str, client_secret: str, *, transport: Any = None
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        # `transport`: an httpx transport (tests route calls to an in-process provider).
        self._transport = transport
        self._endpoints: tuple[float, ProviderEndpoints] | None = None
        self._keys: tuple[float, dict[str, Any]] | None = None

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=CALL_TIMEOUT_S, transport=self._transport)

    async def _json(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200 or len(response.content) > RESPONSE_BYTES_MAX:
            raise IdentityProviderUnavailable()
        try:
            body = response.json()
        except ValueError:
            raise IdentityProviderUnavailable() from None
        if not isinstance(body, dict):
            raise IdentityProviderUnavailable()
        return body

    async def endpoints(self) -> ProviderEndpoints:
        if self._endpoints and time.monotonic() - self._endpoints[0] < CACHE_S:
            return self._endpoints[1]
        try:
            async with self._client() as client:
                response = await client.get(f"{self.issuer}/.well-known/openid-configuration")
        except httpx.HTTPError:
            raise IdentityProviderUnavailable() from None
        document = await self._json(response)
        try:
            endpoints = ProviderEndpoints(
                issuer=str(document["issuer"]),
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
            )
        except KeyError:
            raise IdentityProviderUnavailable() from None
        # The discovery document must name the issuer it was fetched for (OpenID
        # Connect Discovery 1.0 section 4.3): else anyone serving it could pose as another.
        if endpoints.issuer.rstrip("/") != self.issuer:
            raise IdentityProviderUnavailable()
        self._endpoints = (time.monotonic(), endpoints)
        return endpoints

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> str:
        endpoints = await self.endpoints()
        try:
            async with self._client() as client:
                response = await client.post(
                    endpoints.token_endpoint,
                    data={
                        "grant_type": "authorization_code",
                        "code": code,
                        "code_verifier": code_verifier,
                        "redirect_uri": redirect_uri,
                    },
                    auth=(self.client_id, self._client_secret),
                )
        except httpx.HTTPError:
            raise IdentityProviderUnavailable() from None
        if response.status_code == 400:  # RFC 6749 section 5.2: invalid_grant and kin
            raise AuthorizationRefused(field="code")
        token = (await self._json(response)).get("id_token")
        if not isinstance(token, str):
            raise IdentityProviderUnavailable()
        return token

    async def signing_keys(self, *, refresh: bool = False) -> dict[str, Any]:
        if not refresh and self._keys and time.monotonic() - self._keys[0] < CACHE_S:
            return self._keys[1]
        endpoints = await self.endpoints()
        try:
            async with self._client() as client:
                response = await client.get(endpoints.jwks_uri)
        except httpx.HTTPError:
            raise IdentityProviderUnavailable() from None
        keys = await self._json(response)
        self._keys = (time.monotonic(), keys)
        return keys
