"""First data for a new database: brand rows, the first admin, and (for `stakehouse dev`) a
demo player per brand. Safe to run again: it only creates what is missing.

Demo players (dev only, never seed them in production):
    username `demo`, email `demo@<brand slug>.example`, password `stakehouse-play-1`,
    fully verified at the built-in test KYC provider (the KYC gates are on in dev too).
The password policy refuses passwords that contain the username, so it is not
`stakehouse-demo-1`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from domain.accounts import players, staff
from domain.accounts.errors import IdentifierTaken, InvalidInput, StaffEmailTaken
from domain.bonuses.demo import seed_demo_offers
from domain.brands.service import Brand, BrandRegistry, sync_brands
from domain.casino.catalog import (
    apply_catalogue,
    fetch_catalogue,
    retire_provider_games,
    seed_demo_catalog,
)
from domain.compliance import onboarding
from domain.compliance.kyc import checks
from domain.compliance.kyc.errors import DevOnly
from domain.integrations.aggregator import FORMER_TEST_AGGREGATOR_STUDIOS, TestAggregator
from domain.integrations.kyc_sandbox import PROVIDER_NAME
from domain.kernel.db import Database, UnitOfWork
from domain.kernel.settings import get_settings

log = logging.getLogger(__name__)

ADMIN_EMAIL = "admin@stakehouse.local"
ADMIN_ROLES = ("admin",)
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "stakehouse-play-1"  # noqa: S105 (documented dev-only demo credential)
DEMO_DATE_OF_BIRTH = date(1990, 1, 1)
DEMO_COUNTRY_FALLBACK = "MT"


@dataclass(frozen=True)
class DemoPlayer:
    brand: str
    username: str
    email: str
    password: str
    created: bool


@dataclass(frozen=True)
class SeedReport:
    brands: tuple[str, ...]
    admin_email: str
    # Only when this run created the admin: it is stored hashed and never shown again.
    admin_one_time_password: str | None
    demo_players: tuple[DemoPlayer, ...] = ()

    @property
    def admin_created(self) -> bool:
        return self.admin_one_time_password is not None


def demo_email(brand: Brand) -> str:
    return f"{DEMO_USERNAME}@{brand.slug}.example"


async def seed(db: Database, registry: BrandRegistry, *, demo: bool) -> SeedReport:
    """Sync brand rows, create the first admin if absent and, with `demo`, a demo player per
    brand if absent, and the demo casino catalogue (Stakehouse Originals, and the studios of
    the built-in test aggregator, synced through the aggregator port). One transaction, so
    a failure leaves nothing half-seeded. Errors: DevOnly (`demo` in production: demo
    players with a published password, verified without a provider, never exist there)."""
    if demo and get_settings().is_production:
        raise DevOnly()
    # Fetched before the transaction: a real aggregator is slow I/O.
    catalogue = await fetch_catalogue(TestAggregator()) if demo else []
    async with db.transaction() as uow:
        await sync_brands(uow, registry)
        one_time_password = await _ensure_admin(uow)
        demo_players = []
        if demo:
            for brand in registry.by_slug.values():
                demo_players.append(await _ensure_demo_player(uow, brand))
            await seed_demo_catalog(uow, registry.by_slug)
            await apply_catalogue(uow, catalogue, registry.by_slug)
            for brand in registry.by_slug.values():
                await seed_demo_offers(uow, brand)
            for studio in FORMER_TEST_AGGREGATOR_STUDIOS:
                await retire_provider_games(uow, studio)
    return SeedReport(
        brands=tuple(registry.by_slug),
        admin_email=ADMIN_EMAIL,
        admin_one_time_password=one_time_password,
        demo_players=tuple(demo_players),
    )


async def _ensure_admin(uow: UnitOfWork) -> str | None:
    if await staff.find_by_email(uow, ADMIN_EMAIL) is not None:
        return None
    try:
        created = await staff.create(uow, None, email=ADMIN_EMAIL, roles=list(ADMIN_ROLES))
    except StaffEmailTaken:
        # A concurrent seed created it between the look-up and the insert.
        return None
    log.info("created admin %s", ADMIN_EMAIL)
    return created.one_time_password


async def _ensure_demo_player(uow: UnitOfWork, brand: Brand) -> DemoPlayer:
    email = demo_email(brand)
    existing = await players.find_by_identifier(uow, brand.slug, DEMO_USERNAME)
    created = existing is None
    if created:
        form = players.Registration(
            email=email,
            phone=None,
            username=DEMO_USERNAME,
            password=DEMO_PASSWORD,
            date_of_birth=DEMO_DATE_OF_BIRTH,
            country=brand.countries[0] if brand.countries else DEMO_COUNTRY_FALLBACK,
            currency=brand.primary_currency,
        )
        try:
            player = await onboarding.register(uow, brand, form)
        except InvalidInput as error:
            # Taken identifiers mean a concurrent seed won; anything else is a real problem.
            if not all(isinstance(problem, IdentifierTaken) for problem in error.errors):
                raise
            created = False
        else:
            log.info("created demo player %s on %s", DEMO_USERNAME, brand.slug)
            existing = player
    if existing is not None:
        # Also for demo players of databases seeded before the gates were on everywhere.
        await checks.verify_demo_player(uow, existing.id, brand.slug, provider=PROVIDER_NAME)
    return DemoPlayer(brand.slug, DEMO_USERNAME, email, DEMO_PASSWORD, created)
