"""Live verification changes for the signed-in player: a KYC decision reaches the page
that waits for it (and the gates it opens) as soon as it commits."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.accounts.principal import require_player
from domain.compliance.kyc import models as kyc_models
from domain.compliance.kyc.events import KycTierChanged
from schema.accounts.subscriptions import _until_interrupted
from schema.context import Info
from schema.errors import as_query_error


@strawberry.type(
    description="The viewer's verification tier changed (a provider or staff decision, an "
    "expired document, an identity edit). The gates follow the tier from the same commit: "
    "refetch `verification` for what it unlocks."
)
class VerificationChange:
    tier: kyc_models.KycTier
    previous_tier: kyc_models.KycTier


@strawberry.type
class ComplianceSubscription:
    @strawberry.subscription(
        description="The signed-in player's verification tier changes, each sent after its "
        "transaction commits (also in withdraw-only mode). The stream ends when the session "
        "does."
    )
    async def verification_changed(self, info: Info) -> AsyncGenerator[VerificationChange, None]:
        with as_query_error():
            player = require_player(await info.context.principal(), withdraw_only_allowed=True)
        mine = str(player.id)
        brand = info.context.brand.slug
        async with info.context.hub.subscribe(KycTierChanged.topic, brand=brand) as events:
            async for event in _until_interrupted(events):
                if event.payload.get("player_id") != mine:
                    continue
                if await info.context.principal() is None:
                    return  # the session ended since the socket subscribed
                yield VerificationChange(
                    tier=kyc_models.KycTier(event.payload["after"]),
                    previous_tier=kyc_models.KycTier(event.payload["before"]),
                )
