"""Ports to outside providers (PSP, ...) and the built-in test providers.

`payment_providers` is the registry the payments context, the GraphQL resolvers and the
webhook endpoint share. The test PSP signs with a public dev secret by default, so it is
offered only outside production: there, a webhook claiming to come from it is an unknown
provider (404).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from domain.integrations.psp import PaymentProvider, UnknownProvider
from domain.integrations.psp_sandbox import SandboxPsp
from domain.kernel.settings import Settings


@cache
def _providers(production: bool, webhook_secret: str) -> Mapping[str, PaymentProvider]:
    if production:
        # Real PSP adapters register here as they are integrated.
        return MappingProxyType({})
    sandbox = SandboxPsp(webhook_secret)
    return MappingProxyType({sandbox.name: sandbox})


def payment_providers(settings: Settings) -> Mapping[str, PaymentProvider]:
    """The payment providers this deployment accepts, by name (the webhook path segment)."""
    return _providers(settings.is_production, settings.psp_webhook_secret)


def payment_provider(settings: Settings, name: str) -> PaymentProvider:
    """Errors: UnknownProvider."""
    provider = payment_providers(settings).get(name)
    if provider is None:
        raise UnknownProvider(field="provider")
    return provider


def default_payment_provider(settings: Settings, brand: str) -> PaymentProvider:
    """The PSP a brand takes deposits and pays out with. Errors: UnknownProvider.

    Every brand uses the test PSP outside production until brands name theirs.
    """
    providers = payment_providers(settings)
    if not providers:
        raise UnknownProvider(field="provider")
    return next(iter(providers.values()))


def built_in_sandbox_psp(settings: Settings) -> SandboxPsp | None:
    """The built-in test PSP of this deployment (None in production)."""
    provider = payment_providers(settings).get(SandboxPsp.default_name)
    return provider if isinstance(provider, SandboxPsp) else None


__all__ = [
    "PaymentProvider",
    "UnknownProvider",
    "built_in_sandbox_psp",
    "default_payment_provider",
    "payment_provider",
    "payment_providers",
]
