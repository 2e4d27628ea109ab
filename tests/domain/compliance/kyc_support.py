"""Helpers for the KYC tests: a GB brand, players registered through the domain, checks
started at the built-in test provider and its signed decisions applied as the webhook
endpoint applies them."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from domain.accounts import sessions
from domain.accounts.models import Player, PrincipalKind, SessionState, SessionTransport
from domain.accounts.players import Registration
from domain.accounts.principal import Principal
from domain.brands.service import Brand, BrandRegistry, sync_brands
from domain.compliance import onboarding
from domain.compliance.kyc import checks, gates
from domain.compliance.kyc.models import KycCheck, KycTier
from domain.integrations.kyc import KycOutcome
from domain.integrations.kyc_sandbox import SandboxKyc
from domain.integrations.psp_sandbox import WebhookDelivery
from domain.kernel import clock
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from tests.support import STRONG_PASSWORD

BIRTH = date(1990, 2, 3)


def brand_in(
    registry: BrandRegistry, slug: str, jurisdiction: str, currencies: tuple[str, ...] = ()
) -> Brand:
    """A brand licensed in `jurisdiction` (built from aurora's theme)."""
    aurora = registry.get("aurora")
    return aurora.model_copy(
        update={
            "slug": slug,
            "jurisdiction": jurisdiction,
            "domains": (f"{slug}.localhost",),
            "currencies": currencies or aurora.currencies,
        }
    )


async def synced(db: Database, brand: Brand) -> Brand:
    async with db.transaction() as uow:
        await sync_brands(uow, BrandRegistry.from_brands([brand]))
    return brand


async def register(db: Database, brand: Brand, currency: str, country: str = "GB") -> Principal:
    """A new player of `brand`, signed in."""
    async with db.transaction() as uow:
        form = Registration(
            email=f"{uuid.uuid4().hex[:12]}@example.com", phone=None, username=None,
            password=STRONG_PASSWORD, date_of_birth=BIRTH, country=country, currency=currency,
        )  # fmt: skip
        player = await onboarding.register(uow, brand, form)
        issued = await sessions.issue(
            uow, kind=PrincipalKind.PLAYER, principal_id=player.id, brand=brand.slug,
            transport=SessionTransport.BEARER, state=SessionState.ACTIVE, ip_address=None,
            user_agent=None,
        )  # fmt: skip
    return Principal(PrincipalKind.PLAYER, player.id, issued.session.id, brand.slug, True)


async def start(
    db: Database, provider: SandboxKyc, principal: Principal, tier: KycTier
) -> KycCheck:
    """Start a check the way the startVerification mutation does."""
    assert principal.brand is not None
    async with db.transaction() as uow:
        prepared = await checks.prepare_check(uow, principal, principal.brand, tier, "/verify")
    session = await provider.start_check(prepared.request)
    async with db.transaction() as uow:
        return await checks.record_check(
            uow, prepared, brand=principal.brand, provider=provider.name, session=session
        )


async def deliver(
    db: Database, provider: SandboxKyc, brand: str, delivery: WebhookDelivery
) -> checks.DecisionResult:
    """Verify and apply one webhook, as POST /callbacks/kyc/<provider> does.
    Errors: InvalidWebhook, MalformedKycWebhook, CheckNotFound."""
    event = provider.verify_webhook(dict(delivery.headers), delivery.body, now=clock.now())
    async with db.transaction() as uow:
        return await checks.apply_decision(uow, brand=brand, provider=provider.name, event=event)


async def tier_of(db: Database, player_id: uuid.UUID) -> str:
    async with db.uow() as uow:
        return str(await uow.session.scalar(select(Player.kyc_tier).where(Player.id == player_id)))


def enforce_gates(monkeypatch: pytest.MonkeyPatch, enforced: bool = True) -> None:
    """Run with settings.kyc_gates set (on by default; the suite turns it off in conftest)."""
    chosen = get_settings().model_copy(update={"kyc_gates": enforced})
    monkeypatch.setattr(gates, "get_settings", lambda: chosen)


async def verified(
    db: Database, brand: str, player_id: uuid.UUID, tier: KycTier = KycTier.ENHANCED
) -> None:
    """The player finishes the test provider's hosted flow for `tier`, approved."""
    player = Principal(PrincipalKind.PLAYER, player_id, uuid.uuid4(), brand, True)
    provider = SandboxKyc()
    check = await start(db, provider, player, tier)
    for delivery in provider.complete_flow(check.flow_url, KycOutcome.APPROVED):
        await deliver(db, provider, brand, delivery)
