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

from domain.integrations.kyc import KycProvider, UnknownKycProvider
from domain.integrations.kyc_sandbox import SandboxKyc
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


@cache
def _kyc_providers(production: bool, webhook_secret: str) -> Mapping[str, KycProvider]:
    if production:
        # Real KYC adapters register here as they are integrated.
        return MappingProxyType({})
    sandbox = SandboxKyc(webhook_secret)
    return MappingProxyType({sandbox.name: sandbox})


def kyc_providers(settings: Settings) -> Mapping[str, KycProvider]:
    """The KYC providers this deployment accepts, by name (the webhook path segment)."""
    return _kyc_providers(settings.is_production, settings.kyc_webhook_secret)


def kyc_provider(settings: Settings, name: str | None = None) -> KycProvider:
    """The named provider, or the deployment's default (the first). Errors:
    UnknownKycProvider."""
    providers = kyc_providers(settings)
    provider = providers.get(name) if name else next(iter(providers.values()), None)
    if provider is None:
        raise UnknownKycProvider(field="provider")
    return provider


def built_in_sandbox_kyc(settings: Settings) -> SandboxKyc | None:
    """The built-in test KYC provider of this deployment (None in production)."""
    provider = kyc_providers(settings).get(SandboxKyc.default_name)
    return provider if isinstance(provider, SandboxKyc) else None


__all__ = [
    "KycProvider",
    "PaymentProvider",
    "UnknownProvider",
    "built_in_sandbox_kyc",
    "built_in_sandbox_psp",
    "default_payment_provider",
    "kyc_provider",
    "kyc_providers",
    "payment_provider",
    "payment_providers",
]
