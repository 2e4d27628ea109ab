"""The ID-token checks of connected login, against the built-in test provider's keys: only
a token signed by a key the provider publishes, for this client, from this issuer, unexpired
and with this attempt's nonce vouches for anyone."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from domain.accounts.connected_login import AuthorizationRefused, verify_id_token
from domain.integrations import identity_sandbox

ISSUER = "http://aurora.localhost/test-idp"
CLIENT = identity_sandbox.client_id_for("aurora")
NONCE = "the-nonce-of-this-attempt"


def provider() -> identity_sandbox.SandboxIdentityProvider:
    return identity_sandbox.SandboxIdentityProvider(ISSUER, CLIENT)


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "sub": "tp-someone",
        "aud": CLIENT,
        "iat": now,
        "exp": now + 300,
        "nonce": NONCE,
        "email": "Someone@Example.com",
        "email_verified": True,
        **changes,
    }


def signed_by_provider(**changes: Any) -> str:
    kid, key = identity_sandbox.signing_key()
    return jwt.encode(claims(**changes), key, algorithm="RS256", headers={"kid": kid})


async def test_a_token_of_the_provider_vouches_for_its_subject_and_verified_email() -> None:
    identity = await verify_id_token(provider(), signed_by_provider(), NONCE)

    assert (identity.issuer, identity.subject, identity.email) == (
        ISSUER,
        "tp-someone",
        "someone@example.com",
    )


async def test_an_unverified_email_is_not_taken() -> None:
    identity = await verify_id_token(provider(), signed_by_provider(email_verified=False), NONCE)

    assert identity.email is None


async def test_a_token_signed_by_another_key_under_the_providers_key_id_is_refused() -> None:
    kid, _ = identity_sandbox.signing_key()
    forger = rsa.generate_private_key(65537, 2048)
    forged = jwt.encode(claims(), forger, algorithm="RS256", headers={"kid": kid})

    with pytest.raises(AuthorizationRefused):
        await verify_id_token(provider(), forged, NONCE)


async def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused() -> None:
    # The classic algorithm confusion: HS256 keyed with the provider's public key.
    kid, key = identity_sandbox.signing_key()
    public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'kid': kid, 'typ': 'JWT'})}.{part(claims())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()

    with pytest.raises(AuthorizationRefused):
        await verify_id_token(provider(), forged, NONCE)


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": "the nonce of another attempt"},
        {"aud": "another-client"},
        {"iss": "http://elsewhere.example/idp"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
    ],
    ids=["wrong nonce", "other audience", "other issuer", "expired"],
)
async def test_a_token_for_another_attempt_client_issuer_or_time_is_refused(
    changes: dict[str, Any],
) -> None:
    with pytest.raises(AuthorizationRefused):
        await verify_id_token(provider(), signed_by_provider(**changes), NONCE)


async def test_the_token_endpoint_answers_a_code_only_with_its_pkce_verifier() -> None:
    verifier = "a-verifier-long-enough-for-pkce-0123456789abcdef"
    code = identity_sandbox.issue_code(
        issuer=ISSUER,
        client_id=CLIENT,
        redirect_uri="http://aurora.localhost/login/connected/callback",
        email="someone@example.com",
        nonce=NONCE,
        code_challenge=identity_sandbox.pkce_challenge(verifier),
    )
    redirect = "http://aurora.localhost/login/connected/callback"

    with pytest.raises(AuthorizationRefused):
        await provider().exchange_code(code=code, code_verifier="another", redirect_uri=redirect)
    token = await provider().exchange_code(code=code, code_verifier=verifier, redirect_uri=redirect)

    assert (await verify_id_token(provider(), token, NONCE)).email == "someone@example.com"


def test_pages_let_the_connected_login_form_redirect_to_the_configured_provider_only() -> None:
    from types import SimpleNamespace

    from domain.kernel.settings import Settings
    from web.site.security import content_security_policy
    from web.site.site import Site

    issuers = {"aurora": "https://id.example.com/realms/players"}
    site: Any = SimpleNamespace(settings=Settings(connected_login_issuers=issuers))

    aurora = content_security_policy("n", form_targets=Site.provider_origins(site, "aurora"))
    kumo = content_security_policy("n", form_targets=Site.provider_origins(site, "kumo"))

    assert "form-action 'self' https://id.example.com;" in aurora
    assert "form-action 'self';" in kumo
