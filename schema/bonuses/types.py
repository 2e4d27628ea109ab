"""Bonus offers and grants as the API shows them."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum

import strawberry

from domain.bonuses import loyalty, models
from domain.bonuses.terms import (
    Audience,
    CashbackWallet,
    Eligibility,
    ReloadPeriod,
    Terms,
    WageringBase,
)
from domain.kernel import clock
from schema.ids import global_id
from schema.money import Money

# The domain's enums, registered with the schema's names (strawberry.enum returns the same
# class, so fields annotate the domain type itself).
strawberry.enum(models.OfferKind, description="What an offer gives.")
strawberry.enum(models.GrantState, description="Where a bonus is in its life.")
strawberry.enum(models.FreeRoundsState, description="Where free spins are in their life.")
strawberry.enum(models.FreeBetState, description="Where a free bet is in its life.")
strawberry.enum(
    models.AbuseFlagKind,
    name="BonusAbuseFlagKind",
    description="A pattern of bonus abuse: accounts sharing an address claiming one offer "
    "(SHARED_ADDRESS); bonus money wagered on both sides of a market (OPPOSITE_BETS) or at "
    "very low odds (LOW_ODDS); stakes refused over a bonus's max bet (MAX_BET_REFUSED).",
)
strawberry.enum(WageringBase, name="BonusWageringBase")
strawberry.enum(Audience, name="BonusAudience")
strawberry.enum(CashbackWallet, name="BonusCashbackWallet")
strawberry.enum(ReloadPeriod, name="BonusReloadPeriod")


@strawberry.enum(description="What a wagering contribution applies to (the most specific wins).")
class ContributionScope(Enum):
    PRODUCT = "product"
    CATEGORY = "category"
    GAME = "game"


@strawberry.type(description="The percent of a stake that counts toward wagering.")
class Contribution:
    scope: ContributionScope
    name: str
    percent: int


@strawberry.type(description="An offer's terms (on a grant: as they were when it was granted).")
class BonusTerms:
    match_percent: int
    bonus_cap: Money | None
    minimum_deposit: Money
    bonus_amount: Money | None
    wagering_multiplier: int
    wagering_base: WageringBase
    max_bet: Money | None
    wagering_days: int
    max_conversion_multiplier: int | None
    contributions: list[Contribution]
    cashback_percent: int
    cashback_wallet: CashbackWallet
    free_spins: int = strawberry.field(description="Free spins: how many (0 for other kinds).")
    free_spin_stake: Money | None
    free_spins_provider: str | None
    free_spin_games: list[str]
    winnings_wallet: CashbackWallet = strawberry.field(
        description="Free spins: winnings paid to cash, or as bonus under these terms' wagering."
    )
    free_bet_amount: Money | None = strawberry.field(description="Free bet: its stake.")
    free_bet_minimum_odds: str | None = strawberry.field(
        description="Free bet: decimal odds the bet needs at least (all legs multiplied)."
    )
    free_bet_sports: list[str] = strawberry.field(description="Free bet: sport keys (empty: any).")
    free_bet_market_types: list[str] = strawberry.field(
        description="Free bet: market types (empty: any)."
    )

    @classmethod
    def of(cls, terms: Terms, currency: str) -> BonusTerms:
        def money(minor: int | None) -> Money | None:
            return None if minor is None else Money.of(minor, currency)

        contributions = [
            Contribution(scope=scope, name=name, percent=percent)
            for scope, group in (
                (ContributionScope.PRODUCT, terms.contributions.product),
                (ContributionScope.CATEGORY, terms.contributions.category),
                (ContributionScope.GAME, terms.contributions.game),
            )
            for name, percent in sorted(group.items())
        ]
        return cls(
            match_percent=terms.match_percent,
            bonus_cap=money(terms.bonus_cap_minor),
            minimum_deposit=Money.of(terms.min_deposit_minor, currency),
            bonus_amount=money(terms.bonus_minor or None),
            wagering_multiplier=terms.wagering_multiplier,
            wagering_base=terms.wagering_base,
            max_bet=money(terms.max_bet_minor),
            wagering_days=terms.wagering_days,
            max_conversion_multiplier=terms.max_conversion_multiplier,
            contributions=contributions,
            cashback_percent=terms.cashback_percent,
            cashback_wallet=terms.cashback_wallet,
            free_spins=terms.free_spins,
            free_spin_stake=money(terms.free_spin_stake_minor or None),
            free_spins_provider=terms.free_spins_provider,
            free_spin_games=list(terms.free_spin_games),
            winnings_wallet=terms.winnings_wallet,
            free_bet_amount=money(terms.free_bet_minor or None),
            free_bet_minimum_odds=terms.free_bet_min_odds,
            free_bet_sports=list(terms.free_bet_sports),
            free_bet_market_types=list(terms.free_bet_market_types),
        )


@strawberry.type(description="Who may claim an offer, and when.")
class BonusEligibility:
    countries: list[str]
    starts_at: datetime | None
    ends_at: datetime | None
    audience: Audience
    once_per_player: bool
    opt_in: bool
    claim_window_hours: int
    player_list_size: int
    stacks_with_active: bool
    reload_period: ReloadPeriod

    @classmethod
    def of(cls, rules: Eligibility) -> BonusEligibility:
        return cls(
            countries=list(rules.countries),
            starts_at=rules.starts_at,
            ends_at=rules.ends_at,
            audience=rules.audience,
            once_per_player=rules.once_per_player,
            opt_in=rules.opt_in,
            claim_window_hours=rules.claim_window_hours,
            player_list_size=len(rules.player_ids),
            stacks_with_active=rules.stacks_with_active,
            reload_period=rules.reload_period,
        )


@strawberry.type(description="A bonus offer of the brand.")
class BonusOffer:
    id: strawberry.ID
    kind: models.OfferKind
    name: str
    code: str | None
    currency: str
    version: int
    active: bool
    terms: BonusTerms
    eligibility: BonusEligibility

    @classmethod
    def of(cls, offer: models.BonusOffer) -> BonusOffer:
        return cls(
            id=global_id("BonusOffer", offer.id),
            kind=models.OfferKind(offer.kind),
            name=offer.name,
            code=offer.code,
            currency=offer.currency,
            version=offer.version,
            active=offer.active,
            terms=BonusTerms.of(Terms.from_json(offer.terms), offer.currency),
            eligibility=BonusEligibility.of(Eligibility.from_json(offer.eligibility)),
        )


@strawberry.type(description="Stakes that counted toward wagering at one contribution.")
class WageringShare:
    percent: int
    staked: Money
    counted: Money


@strawberry.type(description="A bonus a player holds or held, with the terms as granted.")
class BonusGrant:
    id: strawberry.ID
    offer_id: strawberry.ID
    offer_version: int
    state: models.GrantState
    bonus: Money
    deposit: Money
    wagered: Money = strawberry.field(description="Stakes counted so far, by contribution.")
    required: Money
    progress_basis_points: int = strawberry.field(
        description="wagered / required in hundredths of a percent (7142 = 71.42 %)."
    )
    by_contribution: list[WageringShare]
    max_bet: Money | None
    granted_at: datetime
    expires_at: datetime
    remaining_seconds: int = strawberry.field(description="0 once expired or ended.")
    ended_at: datetime | None
    end_reason: str | None
    converted: Money
    forfeited: Money
    terms: BonusTerms

    @classmethod
    def of(cls, grant: models.BonusGrant) -> BonusGrant:
        currency = grant.currency
        required = grant.required_minor
        progress = (
            10_000 if required == 0 else min(10_000, grant.wagered_minor * 10_000 // required)
        )
        active = grant.state == models.GrantState.ACTIVE.value
        remaining = max(0, int((grant.expires_at - clock.now()).total_seconds())) if active else 0
        shares = [
            WageringShare(
                percent=int(percent),
                staked=Money.of(int(staked), currency),
                counted=Money.of(int(staked) * int(percent) // 100, currency),
            )
            for percent, staked in sorted(
                grant.staked_by_contribution.items(), key=lambda item: -int(item[0])
            )
        ]
        return cls(
            id=global_id("BonusGrant", grant.id),
            offer_id=global_id("BonusOffer", grant.offer_id),
            offer_version=grant.offer_version,
            state=models.GrantState(grant.state),
            bonus=Money.of(grant.bonus_minor, currency),
            deposit=Money.of(grant.deposit_minor, currency),
            wagered=Money.of(grant.wagered_minor, currency),
            required=Money.of(required, currency),
            progress_basis_points=progress,
            by_contribution=shares,
            max_bet=None
            if grant.max_bet_minor is None
            else Money.of(grant.max_bet_minor, currency),
            granted_at=grant.granted_at,
            expires_at=grant.expires_at,
            remaining_seconds=remaining,
            ended_at=grant.ended_at,
            end_reason=grant.end_reason,
            converted=Money.of(grant.converted_minor, currency),
            forfeited=Money.of(grant.forfeited_minor, currency),
            terms=BonusTerms.of(Terms.from_json(grant.terms), currency),
        )


@strawberry.type(description="What one offer gave and cost over a period.")
class BonusOfferCost:
    offer_id: strawberry.ID
    name: str
    granted: Money
    converted: Money
    forfeited: Money
    cashback: Money
    cost: Money = strawberry.field(
        description="What left the house as cash: conversions and cashback."
    )


@strawberry.type(
    description="Free spins a player holds at a game provider, with the terms as granted."
)
class FreeSpins:
    id: strawberry.ID = strawberry.field(description="Also the reward id the provider knows.")
    offer_id: strawberry.ID
    offer_version: int
    state: models.FreeRoundsState
    provider: str
    games: list[str]
    rounds: int
    rounds_used: int
    rounds_left: int
    stake: Money = strawberry.field(description="The stake of each free spin.")
    won: Money
    winnings_wallet: CashbackWallet
    granted_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    bonus_grant_id: strawberry.ID | None = strawberry.field(
        description="The bonus holding the winnings, when they are paid as bonus."
    )

    @classmethod
    def of(cls, rounds: models.FreeRounds) -> FreeSpins:
        open_ = models.FreeRoundsState(rounds.state) in models.FREE_ROUNDS_OPEN
        return cls(
            id=global_id("FreeSpins", rounds.id),
            offer_id=global_id("BonusOffer", rounds.offer_id),
            offer_version=rounds.offer_version,
            state=models.FreeRoundsState(rounds.state),
            provider=rounds.provider,
            games=list(rounds.games),
            rounds=rounds.rounds,
            rounds_used=rounds.rounds_used,
            rounds_left=rounds.rounds - rounds.rounds_used if open_ else 0,
            stake=Money.of(rounds.stake_minor, rounds.currency),
            won=Money.of(rounds.won_minor, rounds.currency),
            winnings_wallet=CashbackWallet(rounds.winnings_wallet),
            granted_at=rounds.granted_at,
            expires_at=rounds.expires_at,
            ended_at=rounds.ended_at,
            end_reason=rounds.end_reason,
            bonus_grant_id=None
            if rounds.grant_id is None
            else global_id("BonusGrant", rounds.grant_id),
        )


@strawberry.type(description="A free bet a player holds, with the terms as granted.")
class FreeBet:
    id: strawberry.ID
    offer_id: strawberry.ID
    offer_version: int
    state: models.FreeBetState
    amount: Money = strawberry.field(description="The stake, staked whole by one bet.")
    minimum_odds: str | None
    sports: list[str]
    market_types: list[str]
    bet_id: strawberry.ID | None = strawberry.field(description="The bet that staked it.")
    granted_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    end_reason: str | None

    @classmethod
    def of(cls, free_bet: models.FreeBet) -> FreeBet:
        terms = Terms.from_json(free_bet.terms)
        return cls(
            id=global_id("FreeBet", free_bet.id),
            offer_id=global_id("BonusOffer", free_bet.offer_id),
            offer_version=free_bet.offer_version,
            state=models.FreeBetState(free_bet.state),
            amount=Money.of(free_bet.amount_minor, free_bet.currency),
            minimum_odds=terms.free_bet_min_odds,
            sports=list(terms.free_bet_sports),
            market_types=list(terms.free_bet_market_types),
            bet_id=None if free_bet.bet_id is None else global_id("Bet", free_bet.bet_id),
            granted_at=free_bet.granted_at,
            expires_at=free_bet.expires_at,
            ended_at=free_bet.ended_at,
            end_reason=free_bet.end_reason,
        )


@strawberry.type(description="A loyalty tier and what it brings.")
class LoyaltyTier:
    name: str
    min_points: int = strawberry.field(description="Points over the window to reach it.")
    multiplier_percent: int = strawberry.field(description="Points earned x this / 100.")
    cashback_percent: int

    @classmethod
    def of(cls, tier: loyalty.Tier) -> LoyaltyTier:
        return cls(
            name=tier.name,
            min_points=tier.min_points,
            multiplier_percent=tier.multiplier_percent,
            cashback_percent=tier.cashback_percent,
        )


@strawberry.type(description="A brand's loyalty programme.")
class LoyaltyProgramme:
    casino_rate: int = strawberry.field(description="Points per 1.00 staked at the casino.")
    sportsbook_rate: int = strawberry.field(description="Points per 1.00 staked on sports.")
    window_days: int = strawberry.field(description="The rolling window tiers are read over.")
    tiers: list[LoyaltyTier]
    redeem_points: int = strawberry.field(description="This many points buy redeemMinorUnits.")
    redeem_minor_units: int
    redeem_hold_days: int = strawberry.field(
        description="Points become redeemable this many days after the stake that earned them."
    )

    @classmethod
    def of(cls, programme: loyalty.Programme) -> LoyaltyProgramme:
        return cls(
            casino_rate=programme.rates.get("casino", 0),
            sportsbook_rate=programme.rates.get("sportsbook", 0),
            window_days=programme.window_days,
            tiers=[LoyaltyTier.of(tier) for tier in sorted(programme.tiers, key=_min_points)],
            redeem_points=programme.redeem_points,
            redeem_minor_units=programme.redeem_minor,
            redeem_hold_days=programme.redeem_hold_days,
        )


def _min_points(tier: loyalty.Tier) -> int:
    return tier.min_points


@strawberry.type(description="The player's loyalty points (points, not money) and tier.")
class Loyalty:
    points: int
    redeemable_points: int = strawberry.field(
        description="The points that can be redeemed now: those earned in the programme's "
        "hold (redeemHoldDays) wait until a refund can no longer take them back."
    )
    tier: LoyaltyTier
    window_points: int = strawberry.field(description="Points earned over the window.")
    next_tier: LoyaltyTier | None
    points_to_next_tier: int | None
    programme: LoyaltyProgramme

    @classmethod
    def of(cls, seen: loyalty.LoyaltyView) -> Loyalty:
        following = seen.next_tier
        return cls(
            points=seen.points,
            redeemable_points=seen.redeemable_points,
            tier=LoyaltyTier.of(seen.tier),
            window_points=seen.window_points,
            next_tier=None if following is None else LoyaltyTier.of(following),
            points_to_next_tier=None
            if following is None
            else following.min_points - seen.window_points,
            programme=LoyaltyProgramme.of(seen.programme),
        )


@strawberry.type(
    description="A pattern the bonus engine flagged to risk staff: a lead, not a verdict."
)
class BonusAbuseFlag:
    id: strawberry.ID
    kind: models.AbuseFlagKind
    player_id: strawberry.ID
    offer_id: strawberry.ID | None
    grant_id: strawberry.ID | None = strawberry.field(
        description="The bonus, free spins or free bet concerned."
    )
    related_player_ids: list[strawberry.ID] = strawberry.field(
        description="The other accounts in the pattern (SHARED_ADDRESS)."
    )
    details: str = strawberry.field(
        description="What was seen, as JSON text (addresses, bets, odds, stake)."
    )
    flagged_at: datetime

    @classmethod
    def of(cls, row: models.AbuseFlag) -> BonusAbuseFlag:
        return cls(
            id=global_id("BonusAbuseFlag", row.id),
            kind=models.AbuseFlagKind(row.kind),
            player_id=global_id("Player", row.player_id),
            offer_id=global_id("BonusOffer", row.offer_id) if row.offer_id else None,
            grant_id=(
                global_id(str(row.details.get("grant_type", "BonusGrant")), row.grant_id)
                if row.grant_id
                else None
            ),
            related_player_ids=[global_id("Player", other) for other in row.related_player_ids],
            details=json.dumps(row.details, sort_keys=True),
            flagged_at=row.created_at,
        )
