"""KYC resolvers: the profile (player and staff), verification status, starting a check at
the provider, and the staff review queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from domain.accounts.errors import (
    InvalidCredentials,
    InvalidTwoFactorCode,
    LoginThrottled,
    StepUpCodeRequired,
)
from domain.compliance import privacy
from domain.compliance.kyc import checks, profile, review, status
from domain.compliance.kyc.errors import CheckNotFound
from domain.compliance.kyc.models import KycTier
from domain.integrations import kyc_provider
from resolvers.context import Context
from resolvers.results import Outcome, attempt

# Where the provider's hosted flow sends the player back (the site's verification page).
RETURN_PATH = "/account/verification"


async def profile_of(ctx: Context, player_id: uuid.UUID) -> profile.Profile:
    """Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await profile.profile_of(uow, principal, ctx.brand.slug, player_id)


async def verification_of(ctx: Context, player_id: uuid.UUID) -> status.Verification:
    """Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired, PlayerNotFound."""
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await status.verification_of(uow, principal, ctx.brand.slug, player_id)


async def update_profile(
    ctx: Context,
    values: profile.ProfileFields,
    *,
    player_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> Outcome[profile.Profile]:
    async def run() -> profile.Profile:
        async with ctx.db.uow() as uow:
            saved = await profile.update_profile(
                uow, await ctx.principal(), ctx.brand.slug, values,
                player_id=player_id, reason=reason,
            )  # fmt: skip
            await uow.commit()
        return saved

    return await attempt(run)


async def start_verification(ctx: Context, tier: KycTier) -> Outcome[checks.CheckView]:
    """Ask the provider for a check (outside any transaction: a slow provider holds no
    connection), then store it."""

    async def run() -> checks.CheckView:
        return await checks.start_check(
            ctx.db, await ctx.principal(), brand=ctx.brand.slug, tier=tier,
            return_path=RETURN_PATH, provider=kyc_provider(ctx.settings),
        )  # fmt: skip

    return await attempt(run)


async def review_queue(ctx: Context, first: int) -> list[review.QueuedCheck]:
    """Errors: NotAuthenticated, PermissionDenied, TwoFactorRequired."""
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await review.review_queue(uow, principal, ctx.brand.slug, first)


async def decide_review(
    ctx: Context,
    check_id: uuid.UUID | None,
    decision: review.ReviewDecision,
    reason: str,
) -> Outcome[tuple[checks.CheckView, KycTier]]:
    async def run() -> tuple[checks.CheckView, KycTier]:
        principal = await ctx.principal()
        async with ctx.db.uow() as uow:
            if check_id is None:
                # Permission first: a denied caller learns nothing about checks.
                await review.review_queue(uow, principal, ctx.brand.slug, 1)
                raise CheckNotFound(field="checkId")
            decided = await review.decide_review(
                uow, principal, ctx.brand.slug, check_id, decision=decision, reason=reason
            )
            await uow.commit()
        return decided

    return await attempt(run)


async def personal_data(ctx: Context) -> dict[str, Any]:
    """Errors: NotAuthenticated, TwoFactorRequired, PlayerNotFound."""
    principal = await ctx.principal()
    async with ctx.db.uow() as uow:
        return await privacy.personal_data(uow, principal, ctx.brand.slug)


# Refusals of the re-authentication: only the guess count was written, and it must stick.
_GUESS_ERRORS = (InvalidCredentials, StepUpCodeRequired, InvalidTwoFactorCode, LoginThrottled)


async def request_erasure(
    ctx: Context, confirmed: bool, *, password: str | None, two_factor_code: str | None
) -> Outcome[datetime]:
    async def run() -> datetime:
        async with ctx.db.uow() as uow:
            try:
                retained = await privacy.request_erasure(
                    uow, await ctx.principal(), ctx.brand.slug, confirmed=confirmed,
                    password=password, two_factor_code=two_factor_code,
                )  # fmt: skip
            except _GUESS_ERRORS:
                await uow.commit()
                raise
            await uow.commit()
        return retained

    return await attempt(run)
