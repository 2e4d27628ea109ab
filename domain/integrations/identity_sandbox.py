"""The built-in test OpenID Connect provider (dev and tests, never production).

It behaves like a real provider: the app serves its discovery document, its signing keys
(JWKS) and its own sign-in page under `/test-idp` on each brand host (web.identity_sandbox_pages); a
sign-in there redirects back with an authorization code, and the token endpoint answers
the code, checked against its PKCE challenge and redirect URI, with an RS256-signed ID
token carrying the nonce. Codes are themselves signed tokens (so any replica answers
them) and live two minutes. The signing key is made once per process.

`SandboxIdentityProvider` is the in-process adapter of the port: the same answers as the
HTTP endpoints, without a request to itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import uuid
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.integrations.identity_provider import AuthorizationRefused, ProviderEndpoints

PATH: Final = "/test-idp"
CODE_SECONDS: Final = 120
ID_TOKEN_SECONDS: Final = 300
RSA_BITS: Final = 2048
_lock = threading.Lock()
# The one key of this process (made on first use: key generation takes a moment).
_keys: list[tuple[str, rsa.RSAPrivateKey]] = []


def signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    """(key id, private key) of this process's test provider."""
    with _lock:
        if not _keys:
            _keys.append((uuid.uuid4().hex[:16], rsa.generate_private_key(65537, RSA_BITS)))
        return _keys[0]


def issuer_for(origin: str) -> str:
    return origin.rstrip("/") + PATH


def client_id_for(brand: str) -> str:
    return f"stakehouse-{brand}"


def subject_for(email: str) -> str:
    """The provider's stable id of the person who signs in with `email`."""
    return "tp-" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def jwks() -> dict[str, Any]:
    kid, key = signing_key()
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [{**public, "kid": kid, "alg": "RS256", "use": "sig"}]}


def discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "scopes_supported": ["openid", "email"],
    }


def _sign(claims: dict[str, Any]) -> str:
    kid, key = signing_key()
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue_code(
    *,
    issuer: str,
    client_id: str,
    redirect_uri: str,
    email: str,
    nonce: str,
    code_challenge: str,
) -> str:
    """The authorization code the sign-in page sends back for `email`."""
    now = int(time.time())
    return _sign(
        {
            "iss": issuer,
            "aud": f"{client_id}#code",
            "iat": now,
            "exp": now + CODE_SECONDS,
            "email": email.strip().lower(),
            "nonce": nonce,
            "redirect_uri": redirect_uri,
            "code_challenge": code_challenge,
        }
    )


def id_token(*, issuer: str, client_id: str, email: str, nonce: str) -> str:
    now = int(time.time())
    return _sign(
        {
            "iss": issuer,
            "sub": subject_for(email),
            "aud": client_id,
            "iat": now,
            "exp": now + ID_TOKEN_SECONDS,
            "nonce": nonce,
            "email": email,
            "email_verified": True,
        }
    )


def redeem_code(
    *, issuer: str, client_id: str, code: str, code_verifier: str, redirect_uri: str
) -> str:
    """The token endpoint: the ID token for a code, or AuthorizationRefused for a code it
    did not issue, an expired one, another redirect URI or a wrong verifier."""
    _, key = signing_key()
    try:
        claims = jwt.decode(
            code,
            key.public_key(),
            algorithms=["RS256"],
            audience=f"{client_id}#code",
            issuer=issuer,
            options={"require": ["exp", "iat", "aud", "iss"]},
        )
    except jwt.PyJWTError:
        raise AuthorizationRefused(field="code") from None
    if claims.get("redirect_uri") != redirect_uri or not hmac.compare_digest(
        str(claims.get("code_challenge")), pkce_challenge(code_verifier)
    ):
        raise AuthorizationRefused(field="code")
    return id_token(
        issuer=issuer, client_id=client_id, email=str(claims["email"]), nonce=str(claims["nonce"])
    )


class SandboxIdentityProvider:
    """The test provider as the port's adapter (same answers as its HTTP endpoints)."""

    def __init__(self, issuer: str, client_id: str) -> None:
        self.issuer = issuer
        self.client_id = client_id

    async def endpoints(self) -> ProviderEndpoints:
        document = discovery(self.issuer)
        return ProviderEndpoints(
            issuer=self.issuer,
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
        )

    async def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> str:
        return redeem_code(
            issuer=self.issuer,
            client_id=self.client_id,
            code=code,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
        )

    async def signing_keys(self, *, refresh: bool = False) -> dict[str, Any]:
        return jwks()
