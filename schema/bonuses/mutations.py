"""Bonus mutations. Each takes one `input` and returns `{ <result>, errors }`."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from domain.accounts import errors as account_errors
from domain.bonuses import errors as bonus_errors
from domain.bonuses import loyalty
from domain.bonuses.models import OfferKind as DomainOfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import (
    Audience,
    CashbackWallet,
    Contributions,
    Eligibility,
    ReloadPeriod,
    Terms,
    WageringBase,
)
from domain.kernel.errors import DomainError, PermissionDenied, ReasonRequired
from domain.wallets import errors as wallet_errors
from resolvers.bonuses import bonuses as resolvers
from resolvers.results import Outcome, failed
from resolvers.wallets.adjustments import amount_minor
from schema.bonuses.types import (
    BonusGrant,
    BonusOffer,
    ContributionScope,
    FreeBet,
    FreeSpins,
    Loyalty,
    LoyaltyProgramme,
)
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.ids import uuid_of
from schema.money import DecimalText, Money

_STAFF_ERRORS = (
    PermissionDenied,
    account_errors.TwoFactorRequired,
    account_errors.PasswordChangeRequired,
)
_OFFER_ERRORS = (
    *_STAFF_ERRORS,
    bonus_errors.InvalidTerms,
    bonus_errors.WageringCapExceeded,
    bonus_errors.MixedProductOffer,
    bonus_errors.CodeTaken,
    wallet_errors.InvalidAmount,
    wallet_errors.UnsupportedCurrency,
)


@strawberry.input
class ContributionInput:
    scope: ContributionScope
    name: str
    percent: int


@strawberry.input(description="Amounts are decimal strings in the offer's currency.")
class BonusTermsInput:
    match_percent: int = 0
    bonus_cap: DecimalText | None = None
    minimum_deposit: DecimalText | None = None
    bonus_amount: DecimalText | None = None
    wagering_multiplier: int = 0
    wagering_base: WageringBase = WageringBase.BONUS
    max_bet: DecimalText | None = None
    wagering_days: int = 30
    max_conversion_multiplier: int | None = None
    contributions: list[ContributionInput] | None = strawberry.field(
        default=None, description="Default: casino 100 %, sportsbook 0 %."
    )
    cashback_percent: int = 0
    cashback_minimum: DecimalText | None = None
    cashback_maximum: DecimalText | None = None
    cashback_wallet: CashbackWallet = CashbackWallet.CASH
    free_spins: int = 0
    free_spin_stake: DecimalText | None = None
    free_spins_provider: str | None = None
    free_spin_games: list[str] = strawberry.field(default_factory=list)
    winnings_wallet: CashbackWallet = strawberry.field(
        default=CashbackWallet.CASH,
        description="Free spins: winnings to cash, or as bonus under the offer's wagering.",
    )
    free_bet_amount: DecimalText | None = None
    free_bet_minimum_odds: str | None = strawberry.field(
        default=None, description='Decimal odds, e.g. "1.50".'
    )
    free_bet_sports: list[str] = strawberry.field(default_factory=list)
    free_bet_market_types: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class BonusEligibilityInput:
    countries: list[str] = strawberry.field(default_factory=list)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    audience: Audience = Audience.ALL
    player_ids: list[relay.GlobalID] = strawberry.field(default_factory=list)
    once_per_player: bool = True
    opt_in: bool = True
    claim_window_hours: int = 72
    stacks_with_active: bool = strawberry.field(
        default=True,
        description="Whether the offer may be claimed while the player holds an active bonus.",
    )
    reload_period: ReloadPeriod = strawberry.field(
        default=ReloadPeriod.WEEK,
        description="A RELOAD offer is claimed at most once per this period of the deposit.",
    )


def _minor(text: DecimalText | None, currency: str, field: str) -> int | None:
    return None if text is None else amount_minor(text, currency, field=field)


def _terms(given: BonusTermsInput, currency: str) -> Terms:
    contributions = Contributions()
    if given.contributions is not None:
        groups: dict[ContributionScope, dict[str, int]] = {scope: {} for scope in ContributionScope}
        for item in given.contributions:
            groups[item.scope][item.name] = item.percent
        contributions = Contributions(
            product=groups[ContributionScope.PRODUCT],
            category=groups[ContributionScope.CATEGORY],
            game=groups[ContributionScope.GAME],
        )
    return Terms(
        match_percent=given.match_percent,
        bonus_cap_minor=_minor(given.bonus_cap, currency, "terms.bonusCap"),
        min_deposit_minor=_minor(given.minimum_deposit, currency, "terms.minimumDeposit") or 0,
        bonus_minor=_minor(given.bonus_amount, currency, "terms.bonusAmount") or 0,
        wagering_multiplier=given.wagering_multiplier,
        wagering_base=WageringBase(given.wagering_base),
        max_bet_minor=_minor(given.max_bet, currency, "terms.maxBet"),
        wagering_days=given.wagering_days,
        max_conversion_multiplier=given.max_conversion_multiplier,
        contributions=contributions,
        cashback_percent=given.cashback_percent,
        cashback_min_minor=_minor(given.cashback_minimum, currency, "terms.cashbackMinimum") or 0,
        cashback_max_minor=_minor(given.cashback_maximum, currency, "terms.cashbackMaximum"),
        cashback_wallet=CashbackWallet(given.cashback_wallet),
        free_spins=given.free_spins,
        free_spin_stake_minor=_minor(given.free_spin_stake, currency, "terms.freeSpinStake") or 0,
        free_spins_provider=given.free_spins_provider,
        free_spin_games=tuple(given.free_spin_games),
        winnings_wallet=CashbackWallet(given.winnings_wallet),
        free_bet_minor=_minor(given.free_bet_amount, currency, "terms.freeBetAmount") or 0,
        free_bet_min_odds=given.free_bet_minimum_odds,
        free_bet_sports=tuple(given.free_bet_sports),
        free_bet_market_types=tuple(given.free_bet_market_types),
    )


def _eligibility(given: BonusEligibilityInput) -> Eligibility:
    player_ids = []
    for player in given.player_ids:
        key = uuid_of(player, "Player")
        if key is None:
            raise bonus_errors.InvalidTerms("Unknown player.", field="eligibility.playerIds")
        player_ids.append(key)
    return Eligibility(
        countries=tuple(given.countries),
        starts_at=given.starts_at,
        ends_at=given.ends_at,
        audience=Audience(given.audience),
        player_ids=tuple(player_ids),
        once_per_player=given.once_per_player,
        opt_in=given.opt_in,
        claim_window_hours=given.claim_window_hours,
        stacks_with_active=given.stacks_with_active,
        reload_period=ReloadPeriod(given.reload_period),
    )


def _draft(given: CreateBonusOfferInput | UpdateBonusOfferInput) -> OfferDraft:
    """The domain's draft of an offer input. Errors: InvalidAmount, UnsupportedCurrency,
    InvalidTerms (an amount or player id that cannot be one)."""
    return OfferDraft(
        kind=DomainOfferKind(given.kind),
        name=given.name,
        code=given.code,
        currency=given.currency,
        terms=_terms(given.terms, given.currency),
        eligibility=_eligibility(given.eligibility),
    )


@mutation_error(*_OFFER_ERRORS)
class CreateBonusOfferError(MutationError): ...


@strawberry.input
class CreateBonusOfferInput:
    kind: DomainOfferKind
    name: str
    code: str | None = None
    currency: str
    terms: BonusTermsInput
    eligibility: BonusEligibilityInput = strawberry.field(default_factory=BonusEligibilityInput)


@strawberry.type
class CreateBonusOfferPayload:
    offer: BonusOffer | None = None
    errors: list[CreateBonusOfferError]


@mutation_error(*_OFFER_ERRORS, bonus_errors.OfferNotFound)
class UpdateBonusOfferError(MutationError): ...


@strawberry.input
class UpdateBonusOfferInput:
    id: relay.GlobalID
    kind: DomainOfferKind
    name: str
    code: str | None = None
    currency: str
    terms: BonusTermsInput
    eligibility: BonusEligibilityInput = strawberry.field(default_factory=BonusEligibilityInput)
    active: bool = True


@strawberry.type
class UpdateBonusOfferPayload:
    offer: BonusOffer | None = None
    errors: list[UpdateBonusOfferError]


@mutation_error(
    bonus_errors.OfferNotFound,
    bonus_errors.NotEligible,
    bonus_errors.NoQualifyingDeposit,
    bonus_errors.AlreadyClaimed,
    account_errors.TwoFactorRequired,
)
class ClaimBonusError(MutationError): ...


@strawberry.input
class ClaimBonusInput:
    offer_id: relay.GlobalID | None = None
    code: str | None = strawberry.field(default=None, description="A bonus code instead.")


@strawberry.type
class ClaimBonusPayload:
    grant: BonusGrant | None = None
    errors: list[ClaimBonusError]


@mutation_error(
    bonus_errors.GrantNotFound, bonus_errors.GrantNotActive, account_errors.TwoFactorRequired
)
class ForfeitBonusError(MutationError): ...


@strawberry.input
class ForfeitBonusInput:
    grant_id: relay.GlobalID


@strawberry.type
class ForfeitBonusPayload:
    grant: BonusGrant | None = None
    errors: list[ForfeitBonusError]


@mutation_error(
    *_STAFF_ERRORS, ReasonRequired, bonus_errors.GrantNotFound, bonus_errors.GrantNotActive
)
class CancelBonusGrantError(MutationError): ...


@strawberry.input
class CancelBonusGrantInput:
    grant_id: relay.GlobalID
    reason: str


@strawberry.type
class CancelBonusGrantPayload:
    grant: BonusGrant | None = None
    errors: list[CancelBonusGrantError]


@mutation_error(
    *_STAFF_ERRORS,
    ReasonRequired,
    bonus_errors.OfferNotFound,
    bonus_errors.InvalidTerms,
    bonus_errors.AlreadyClaimed,
    account_errors.PlayerNotFound,
    wallet_errors.InvalidAmount,
    wallet_errors.UnsupportedCurrency,
)
class GrantBonusError(MutationError): ...


@strawberry.input
class GrantBonusInput:
    offer_id: relay.GlobalID
    player_id: relay.GlobalID
    amount: DecimalText | None = strawberry.field(
        default=None, description="The bonus, in the offer's currency (default: the offer's)."
    )
    reason: str


@strawberry.type
class GrantBonusPayload:
    grant: BonusGrant | None = None
    errors: list[GrantBonusError]


@mutation_error(
    *_STAFF_ERRORS,
    ReasonRequired,
    bonus_errors.OfferNotFound,
    bonus_errors.NotEligible,
    bonus_errors.AlreadyClaimed,
    account_errors.PlayerNotFound,
)
class GrantFreeSpinsError(MutationError): ...


@strawberry.input
class GrantFreeSpinsInput:
    offer_id: relay.GlobalID
    player_id: relay.GlobalID
    reason: str


@strawberry.type
class GrantFreeSpinsPayload:
    free_spins: FreeSpins | None = None
    errors: list[GrantFreeSpinsError]


@mutation_error(
    bonus_errors.OfferNotFound,
    bonus_errors.NotEligible,
    bonus_errors.AlreadyClaimed,
    account_errors.TwoFactorRequired,
)
class ClaimFreeSpinsError(MutationError): ...


@strawberry.input
class ClaimFreeSpinsInput:
    offer_id: relay.GlobalID | None = None
    code: str | None = strawberry.field(default=None, description="A bonus code instead.")


@strawberry.type
class ClaimFreeSpinsPayload:
    free_spins: FreeSpins | None = None
    errors: list[ClaimFreeSpinsError]


@mutation_error(
    *_STAFF_ERRORS,
    ReasonRequired,
    bonus_errors.FreeRoundsNotFound,
    bonus_errors.FreeRoundsNotAvailable,
)
class CancelFreeSpinsError(MutationError): ...


@strawberry.input
class CancelFreeSpinsInput:
    free_spins_id: relay.GlobalID
    reason: str


@strawberry.type
class CancelFreeSpinsPayload:
    free_spins: FreeSpins | None = None
    errors: list[CancelFreeSpinsError]


@mutation_error(
    *_STAFF_ERRORS,
    ReasonRequired,
    bonus_errors.OfferNotFound,
    bonus_errors.NotEligible,
    bonus_errors.AlreadyClaimed,
    account_errors.PlayerNotFound,
)
class GrantFreeBetError(MutationError): ...


@strawberry.input
class GrantFreeBetInput:
    offer_id: relay.GlobalID
    player_id: relay.GlobalID
    reason: str


@strawberry.type
class GrantFreeBetPayload:
    free_bet: FreeBet | None = None
    errors: list[GrantFreeBetError]


@mutation_error(
    bonus_errors.OfferNotFound,
    bonus_errors.NotEligible,
    bonus_errors.AlreadyClaimed,
    account_errors.TwoFactorRequired,
)
class ClaimFreeBetError(MutationError): ...


@strawberry.input
class ClaimFreeBetInput:
    offer_id: relay.GlobalID | None = None
    code: str | None = strawberry.field(default=None, description="A bonus code instead.")


@strawberry.type
class ClaimFreeBetPayload:
    free_bet: FreeBet | None = None
    errors: list[ClaimFreeBetError]


@mutation_error(*_STAFF_ERRORS, ReasonRequired, bonus_errors.FreeBetNotFound)
class CancelFreeBetError(MutationError): ...


@strawberry.input
class CancelFreeBetInput:
    free_bet_id: relay.GlobalID
    reason: str


@strawberry.type
class CancelFreeBetPayload:
    free_bet: FreeBet | None = None
    errors: list[CancelFreeBetError]


@strawberry.input
class LoyaltyTierInput:
    name: str
    min_points: int
    multiplier_percent: int = 100
    cashback_percent: int = 0


@strawberry.input
class SetLoyaltyProgrammeInput:
    casino_rate: int = strawberry.field(description="Points per 1.00 staked at the casino.")
    sportsbook_rate: int
    window_days: int = 90
    tiers: list[LoyaltyTierInput]
    redeem_points: int
    redeem_minor_units: int
    redeem_hold_days: int = strawberry.field(
        default=loyalty.REDEEM_HOLD_DAYS,
        description="Points earned by a stake become redeemable this many days later, so a "
        "refunded stake can still take its points back.",
    )


@mutation_error(*_STAFF_ERRORS, bonus_errors.InvalidTerms)
class SetLoyaltyProgrammeError(MutationError): ...


@strawberry.type
class SetLoyaltyProgrammePayload:
    programme: LoyaltyProgramme | None = None
    errors: list[SetLoyaltyProgrammeError]


@strawberry.input
class RedeemLoyaltyPointsInput:
    points: int
    idempotency_key: str


@mutation_error(
    bonus_errors.LoyaltyNotOffered,
    bonus_errors.InvalidTerms,
    bonus_errors.NotEnoughPoints,
    wallet_errors.IdempotencyConflict,
    wallet_errors.InvalidIdempotencyKey,
    account_errors.TwoFactorRequired,
)
class RedeemLoyaltyPointsError(MutationError): ...


@strawberry.type
class RedeemLoyaltyPointsPayload:
    cash: Money | None = None
    loyalty: Loyalty | None = None
    errors: list[RedeemLoyaltyPointsError]


@strawberry.type
class BonusesMutation:
    @strawberry.mutation(description="Staff (bonus.manage): make a bonus offer; audited.")
    async def create_bonus_offer(
        self, info: Info, input: CreateBonusOfferInput
    ) -> CreateBonusOfferPayload:
        try:
            draft = _draft(input)
        except DomainError as error:
            outcome: Outcome[object] = failed(error)
            return CreateBonusOfferPayload(errors=to_errors(CreateBonusOfferError, outcome.errors))
        result = await resolvers.create_offer(info.context, draft)
        if result.value is None:
            return CreateBonusOfferPayload(errors=to_errors(CreateBonusOfferError, result.errors))
        return CreateBonusOfferPayload(offer=BonusOffer.of(result.value), errors=[])

    @strawberry.mutation(
        description="Staff (bonus.manage): save a new version of an offer (grants already "
        "made keep their terms); `active: false` withdraws it; audited."
    )
    async def update_bonus_offer(
        self, info: Info, input: UpdateBonusOfferInput
    ) -> UpdateBonusOfferPayload:
        try:
            draft = _draft(input)
        except DomainError as error:
            return UpdateBonusOfferPayload(
                errors=to_errors(UpdateBonusOfferError, failed(error).errors)
            )
        result = await resolvers.update_offer(
            info.context, uuid_of(input.id, "BonusOffer"), draft, active=input.active
        )
        if result.value is None:
            return UpdateBonusOfferPayload(errors=to_errors(UpdateBonusOfferError, result.errors))
        return UpdateBonusOfferPayload(offer=BonusOffer.of(result.value), errors=[])

    @strawberry.mutation(
        description="The player claims an offer by id or code (a deposit match on their "
        "latest deposit, within the claim window)."
    )
    async def claim_bonus(self, info: Info, input: ClaimBonusInput) -> ClaimBonusPayload:
        offer_id = None if input.offer_id is None else uuid_of(input.offer_id, "BonusOffer")
        if input.offer_id is not None and offer_id is None and not input.code:
            return ClaimBonusPayload(
                errors=to_errors(ClaimBonusError, [bonus_errors.OfferNotFound(field="offerId")])
            )
        result = await resolvers.claim(info.context, offer_id, input.code)
        if result.value is None:
            return ClaimBonusPayload(errors=to_errors(ClaimBonusError, result.errors))
        return ClaimBonusPayload(grant=BonusGrant.of(result.value), errors=[])

    @strawberry.mutation(
        description="The player gives up a bonus: its bonus money is forfeited; the deposit "
        "and its winnings stay."
    )
    async def forfeit_bonus(self, info: Info, input: ForfeitBonusInput) -> ForfeitBonusPayload:
        result = await resolvers.forfeit(info.context, uuid_of(input.grant_id, "BonusGrant"))
        if result.value is None:
            return ForfeitBonusPayload(errors=to_errors(ForfeitBonusError, result.errors))
        return ForfeitBonusPayload(grant=BonusGrant.of(result.value), errors=[])

    @strawberry.mutation(description="Staff (bonus.manage): cancel a grant with a reason.")
    async def cancel_bonus_grant(
        self, info: Info, input: CancelBonusGrantInput
    ) -> CancelBonusGrantPayload:
        result = await resolvers.cancel(
            info.context, uuid_of(input.grant_id, "BonusGrant"), input.reason
        )
        if result.value is None:
            return CancelBonusGrantPayload(errors=to_errors(CancelBonusGrantError, result.errors))
        return CancelBonusGrantPayload(grant=BonusGrant.of(result.value), errors=[])

    @strawberry.mutation(
        description="Staff (bonus.manage): grant an offer to a player, with a reason."
    )
    async def grant_bonus(self, info: Info, input: GrantBonusInput) -> GrantBonusPayload:
        result = await resolvers.grant_to_player(
            info.context,
            uuid_of(input.offer_id, "BonusOffer"),
            uuid_of(input.player_id, "Player"),
            input.amount,
            input.reason,
        )
        if result.value is None:
            return GrantBonusPayload(errors=to_errors(GrantBonusError, result.errors))
        return GrantBonusPayload(grant=BonusGrant.of(result.value), errors=[])

    @strawberry.mutation(
        description="Staff (bonus.manage): grant a free-spins offer to a player, with a reason; "
        "the provider is asked at once (PENDING until it confirms; the sync sends it again)."
    )
    async def grant_free_spins(
        self, info: Info, input: GrantFreeSpinsInput
    ) -> GrantFreeSpinsPayload:
        result = await resolvers.grant_free_spins(
            info.context,
            uuid_of(input.offer_id, "BonusOffer"),
            uuid_of(input.player_id, "Player"),
            input.reason,
        )
        if result.value is None:
            return GrantFreeSpinsPayload(errors=to_errors(GrantFreeSpinsError, result.errors))
        return GrantFreeSpinsPayload(free_spins=FreeSpins.of(result.value), errors=[])

    @strawberry.mutation(
        description="The player claims a free-spins offer by id or code (within its claim "
        "window after registration)."
    )
    async def claim_free_spins(
        self, info: Info, input: ClaimFreeSpinsInput
    ) -> ClaimFreeSpinsPayload:
        offer_id = None if input.offer_id is None else uuid_of(input.offer_id, "BonusOffer")
        result = await resolvers.claim_free_spins(info.context, offer_id, input.code)
        if result.value is None:
            return ClaimFreeSpinsPayload(errors=to_errors(ClaimFreeSpinsError, result.errors))
        return ClaimFreeSpinsPayload(free_spins=FreeSpins.of(result.value), errors=[])

    @strawberry.mutation(
        description="Staff (bonus.manage): cancel free spins with a reason; the provider "
        "withdraws the spins not played; winnings already paid stay."
    )
    async def cancel_free_spins(
        self, info: Info, input: CancelFreeSpinsInput
    ) -> CancelFreeSpinsPayload:
        result = await resolvers.cancel_free_spins(
            info.context, uuid_of(input.free_spins_id, "FreeSpins"), input.reason
        )
        if result.value is None:
            return CancelFreeSpinsPayload(errors=to_errors(CancelFreeSpinsError, result.errors))
        return CancelFreeSpinsPayload(free_spins=FreeSpins.of(result.value), errors=[])

    @strawberry.mutation(
        description="Staff (bonus.manage): grant a free-bet offer to a player, with a reason "
        "(its stake into the player's free-bet wallet)."
    )
    async def grant_free_bet(self, info: Info, input: GrantFreeBetInput) -> GrantFreeBetPayload:
        result = await resolvers.grant_free_bet(
            info.context,
            uuid_of(input.offer_id, "BonusOffer"),
            uuid_of(input.player_id, "Player"),
            input.reason,
        )
        if result.value is None:
            return GrantFreeBetPayload(errors=to_errors(GrantFreeBetError, result.errors))
        return GrantFreeBetPayload(free_bet=FreeBet.of(result.value), errors=[])

    @strawberry.mutation(
        description="Staff (bonus.manage): cancel an unused free bet with a reason (its stake "
        "goes back to the house)."
    )
    async def cancel_free_bet(self, info: Info, input: CancelFreeBetInput) -> CancelFreeBetPayload:
        result = await resolvers.cancel_free_bet(
            info.context, uuid_of(input.free_bet_id, "FreeBet"), input.reason
        )
        if result.value is None:
            return CancelFreeBetPayload(errors=to_errors(CancelFreeBetError, result.errors))
        return CancelFreeBetPayload(free_bet=FreeBet.of(result.value), errors=[])

    @strawberry.mutation(
        description="Staff (bonus.manage): set the brand's loyalty programme (rates, tiers, "
        "redemption rate); audited."
    )
    async def set_loyalty_programme(
        self, info: Info, input: SetLoyaltyProgrammeInput
    ) -> SetLoyaltyProgrammePayload:
        programme = loyalty.Programme(
            rates={"casino": input.casino_rate, "sportsbook": input.sportsbook_rate},
            window_days=input.window_days,
            tiers=tuple(
                loyalty.Tier(t.name, t.min_points, t.multiplier_percent, t.cashback_percent)
                for t in input.tiers
            ),
            redeem_points=input.redeem_points,
            redeem_minor=input.redeem_minor_units,
            redeem_hold_days=input.redeem_hold_days,
        )
        result = await resolvers.set_loyalty_programme(info.context, programme)
        if result.value is None:
            return SetLoyaltyProgrammePayload(
                errors=to_errors(SetLoyaltyProgrammeError, result.errors)
            )
        return SetLoyaltyProgrammePayload(programme=LoyaltyProgramme.of(result.value), errors=[])

    @strawberry.mutation(
        description="The player redeems loyalty points for cash at the programme's rate, "
        "once per idempotency key."
    )
    async def redeem_loyalty_points(
        self, info: Info, input: RedeemLoyaltyPointsInput
    ) -> RedeemLoyaltyPointsPayload:
        result = await resolvers.redeem_loyalty_points(
            info.context, input.points, input.idempotency_key
        )
        if result.value is None:
            return RedeemLoyaltyPointsPayload(
                errors=to_errors(RedeemLoyaltyPointsError, result.errors)
            )
        cash, currency, seen = result.value
        return RedeemLoyaltyPointsPayload(
            cash=Money.of(cash, currency), loyalty=Loyalty.of(seen), errors=[]
        )

    @strawberry.mutation(
        description="The player claims a free-bet offer by id or code (within its claim "
        "window after registration)."
    )
    async def claim_free_bet(self, info: Info, input: ClaimFreeBetInput) -> ClaimFreeBetPayload:
        offer_id = None if input.offer_id is None else uuid_of(input.offer_id, "BonusOffer")
        result = await resolvers.claim_free_bet(info.context, offer_id, input.code)
        if result.value is None:
            return ClaimFreeBetPayload(errors=to_errors(ClaimFreeBetError, result.errors))
        return ClaimFreeBetPayload(free_bet=FreeBet.of(result.value), errors=[])
