"""An offer's terms and eligibility: plain values, validated once, stored as JSON on the
offer and copied whole onto every grant (the snapshot the player was granted)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from domain.bonuses.errors import InvalidTerms, MixedProductOffer, WageringCapExceeded
from domain.bonuses.models import OfferKind
from domain.bonuses.rules import BonusRules

PERCENT_MAX: Final = 100
MATCH_PERCENT_MAX: Final = 1000
WAGERING_MULTIPLIER_MAX: Final = 100
WAGERING_DAYS_MAX: Final = 365
PLAYER_LIST_MAX: Final = 10_000
AMOUNT_MAX_MINOR: Final = 10**12
PRODUCTS: Final = ("casino", "sportsbook")
NAME_LENGTH_MAX: Final = 100
FREE_SPINS_MAX: Final = 1_000
FREE_SPIN_GAMES_MAX: Final = 50
FREE_BET_ODDS_MAX: Final = Decimal(1000)
# Casino bonuses count casino stakes only unless the offer says otherwise.
DEFAULT_CONTRIBUTIONS: Final = {"casino": 100, "sportsbook": 0}


class WageringBase(StrEnum):
    BONUS = "bonus"
    BONUS_AND_DEPOSIT = "bonus_and_deposit"


class Audience(StrEnum):
    ALL = "all"
    NEW = "new"
    EXISTING = "existing"


class ReloadPeriod(StrEnum):
    """How often a reload offer may be claimed: once per calendar day, ISO week or month
    (UTC) of the qualifying deposit."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    def name_of(self, at: datetime) -> str:
        if self is ReloadPeriod.DAY:
            return at.date().isoformat()
        if self is ReloadPeriod.WEEK:
            year, week, _ = at.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{at.year}-{at.month:02d}"


class CashbackWallet(StrEnum):
    CASH = "cash"
    BONUS = "bonus"


# Free-spin winnings are paid to cash, or as bonus money under the terms' wagering.
WinningsWallet = CashbackWallet


@dataclass(frozen=True)
class Contributions:
    """Percent of a stake that counts toward wagering: the most specific rule wins (game,
    then category, then product); anything unnamed counts 0."""

    product: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CONTRIBUTIONS))
    category: dict[str, int] = field(default_factory=dict)
    game: dict[str, int] = field(default_factory=dict)

    def percent(self, product: str, category: str | None, game: str | None) -> int:
        if game is not None and game in self.game:
            return self.game[game]
        if category is not None and category in self.category:
            return self.category[category]
        return self.product.get(product, 0)

    def products(self) -> set[str]:
        """The products whose stakes can count (casino also through its categories/games)."""
        counted = {name for name, percent in self.product.items() if percent > 0}
        if any(percent > 0 for percent in (*self.category.values(), *self.game.values())):
            counted.add("casino")
        return counted


@dataclass(frozen=True)
class Terms:
    # Deposit match: percent of the deposit, capped; the deposit must reach the minimum.
    match_percent: int = 0
    bonus_cap_minor: int | None = None
    min_deposit_minor: int = 0
    # Sign-up / no-deposit: a fixed bonus.
    bonus_minor: int = 0
    wagering_multiplier: int = 0
    wagering_base: WageringBase = WageringBase.BONUS
    max_bet_minor: int | None = None
    wagering_days: int = 30
    # At completion at most this many times the bonus converts to cash; the rest is forfeited.
    max_conversion_multiplier: int | None = None
    contributions: Contributions = field(default_factory=Contributions)
    # Cashback: percent of the net loss over the period, between min and max, paid to a wallet.
    cashback_percent: int = 0
    cashback_min_minor: int = 0
    cashback_max_minor: int | None = None
    cashback_wallet: CashbackWallet = CashbackWallet.CASH
    # Free spins: rounds at a fixed stake on the provider's eligible games.
    free_spins: int = 0
    free_spin_stake_minor: int = 0
    free_spins_provider: str | None = None
    free_spin_games: tuple[str, ...] = ()
    winnings_wallet: WinningsWallet = WinningsWallet.CASH
    # Free bet: a stake, staked whole by one bet at these odds or more (decimal text, e.g.
    # "1.50"), on these sports / market types (empty: any).
    free_bet_minor: int = 0
    free_bet_min_odds: str | None = None
    free_bet_sports: tuple[str, ...] = ()
    free_bet_market_types: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Terms:
        values = dict(data)
        values["contributions"] = Contributions(**values.get("contributions", {}))
        values["wagering_base"] = WageringBase(values.get("wagering_base", "bonus"))
        values["cashback_wallet"] = CashbackWallet(values.get("cashback_wallet", "cash"))
        values["winnings_wallet"] = WinningsWallet(values.get("winnings_wallet", "cash"))
        values["free_spin_games"] = tuple(values.get("free_spin_games", ()))
        values["free_bet_sports"] = tuple(values.get("free_bet_sports", ()))
        values["free_bet_market_types"] = tuple(values.get("free_bet_market_types", ()))
        return cls(**values)

    def bonus_for_deposit(self, deposit_minor: int) -> int:
        bonus = deposit_minor * self.match_percent // 100
        return bonus if self.bonus_cap_minor is None else min(bonus, self.bonus_cap_minor)

    def required_minor(self, bonus_minor: int, deposit_minor: int) -> int:
        base = bonus_minor
        if self.wagering_base is WageringBase.BONUS_AND_DEPOSIT:
            base += deposit_minor
        return base * self.wagering_multiplier

    def max_conversion_minor(self, bonus_minor: int) -> int | None:
        if self.max_conversion_multiplier is None:
            return None
        return bonus_minor * self.max_conversion_multiplier


@dataclass(frozen=True)
class Eligibility:
    countries: tuple[str, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    audience: Audience = Audience.ALL
    player_ids: tuple[uuid.UUID, ...] = ()
    once_per_player: bool = True
    # Opt-in: the player claims it; automatic: granted when the qualifying event happens.
    opt_in: bool = True
    # How long after the qualifying deposit (or registration) a claim is accepted.
    claim_window_hours: int = 72
    # Stacking: whether this offer may be claimed while the player holds an active bonus
    # in its currency.
    stacks_with_active: bool = True
    # A reload offer: claimed at most once per this period (of the qualifying deposit).
    reload_period: ReloadPeriod = ReloadPeriod.WEEK

    def to_json(self) -> dict[str, Any]:
        return {
            "countries": list(self.countries),
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "audience": self.audience.value,
            "player_ids": [str(player) for player in self.player_ids],
            "once_per_player": self.once_per_player,
            "opt_in": self.opt_in,
            "claim_window_hours": self.claim_window_hours,
            "stacks_with_active": self.stacks_with_active,
            "reload_period": self.reload_period.value,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Eligibility:
        return cls(
            countries=tuple(data.get("countries", ())),
            starts_at=_datetime(data.get("starts_at")),
            ends_at=_datetime(data.get("ends_at")),
            audience=Audience(data.get("audience", "all")),
            player_ids=tuple(uuid.UUID(player) for player in data.get("player_ids", ())),
            once_per_player=bool(data.get("once_per_player", True)),
            opt_in=bool(data.get("opt_in", True)),
            claim_window_hours=int(data.get("claim_window_hours", 72)),
            stacks_with_active=bool(data.get("stacks_with_active", True)),
            reload_period=ReloadPeriod(data.get("reload_period", "week")),
        )

    def open_at(self, at: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= at) and (
            self.ends_at is None or at < self.ends_at
        )


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _percent(value: int, field_name: str, maximum: int = PERCENT_MAX) -> None:
    if not 0 <= value <= maximum:
        raise InvalidTerms(f"Give a percentage from 0 to {maximum}.", field=field_name)


def _amount(value: int | None, field_name: str) -> None:
    if value is not None and not 0 <= value <= AMOUNT_MAX_MINOR:
        raise InvalidTerms("Give an amount of zero or more.", field=field_name)


def validate(kind: OfferKind, terms: Terms, eligibility: Eligibility, rules: BonusRules) -> None:
    """Errors: InvalidTerms (naming the field), WageringCapExceeded, MixedProductOffer."""
    _validate_amounts(kind, terms)
    _validate_wagering(terms)
    _validate_eligibility(eligibility)
    cap = rules.max_wagering_multiplier
    if cap is not None and terms.wagering_multiplier > cap:
        raise WageringCapExceeded(
            f"Wagering is capped at {cap}x in this jurisdiction.", field="terms.wageringMultiplier"
        )
    if not rules.mixed_product_offers and len(terms.contributions.products()) > 1:
        raise MixedProductOffer(field="terms.contributions")


def _validate_amounts(kind: OfferKind, terms: Terms) -> None:
    _percent(terms.match_percent, "terms.matchPercent", MATCH_PERCENT_MAX)
    for name, value in (
        ("terms.bonusCap", terms.bonus_cap_minor),
        ("terms.minimumDeposit", terms.min_deposit_minor),
        ("terms.bonusAmount", terms.bonus_minor),
        ("terms.maxBet", terms.max_bet_minor),
        ("terms.cashbackMinimum", terms.cashback_min_minor),
        ("terms.cashbackMaximum", terms.cashback_max_minor),
        ("terms.freeSpinStake", terms.free_spin_stake_minor),
        ("terms.freeBetAmount", terms.free_bet_minor),
    ):
        _amount(value, name)
    if kind in {OfferKind.DEPOSIT_MATCH, OfferKind.RELOAD} and terms.match_percent <= 0:
        raise InvalidTerms("A deposit match needs a match percentage.", field="terms.matchPercent")
    if kind is OfferKind.SIGN_UP and terms.bonus_minor <= 0:
        raise InvalidTerms("A sign-up bonus needs an amount.", field="terms.bonusAmount")
    if kind is OfferKind.CASHBACK and not 0 < terms.cashback_percent <= PERCENT_MAX:
        raise InvalidTerms("Give a cashback percentage.", field="terms.cashbackPercent")
    if kind is OfferKind.FREE_SPINS:
        _validate_free_spins(terms)
    if kind is OfferKind.FREE_BET:
        _validate_free_bet(terms)


def _validate_free_bet(terms: Terms) -> None:
    if terms.free_bet_minor <= 0:
        raise InvalidTerms("Give the free bet's stake.", field="terms.freeBetAmount")
    if terms.free_bet_min_odds is not None:
        try:
            odds = Decimal(terms.free_bet_min_odds)
        except ArithmeticError:
            odds = Decimal(0)
        if not odds.is_finite() or not Decimal(1) <= odds <= FREE_BET_ODDS_MAX:
            raise InvalidTerms(
                "Give the minimum odds as decimal odds.", field="terms.freeBetMinimumOdds"
            )
    for name, values in (
        ("terms.freeBetSports", terms.free_bet_sports),
        ("terms.freeBetMarketTypes", terms.free_bet_market_types),
    ):
        if len(values) > FREE_SPIN_GAMES_MAX or any(
            not value or len(value) > NAME_LENGTH_MAX or not value.isprintable() for value in values
        ):
            raise InvalidTerms("Name each one, or none for any.", field=name)


def _validate_free_spins(terms: Terms) -> None:
    if not 1 <= terms.free_spins <= FREE_SPINS_MAX:
        raise InvalidTerms(f"Give from 1 to {FREE_SPINS_MAX} free spins.", field="terms.freeSpins")
    if terms.free_spin_stake_minor <= 0:
        raise InvalidTerms("Give the stake of each free spin.", field="terms.freeSpinStake")
    provider = terms.free_spins_provider
    if not provider or len(provider) > NAME_LENGTH_MAX or not provider.isprintable():
        raise InvalidTerms("Name the games' provider.", field="terms.freeSpinsProvider")
    games = terms.free_spin_games
    if not 1 <= len(games) <= FREE_SPIN_GAMES_MAX or any(
        not game or len(game) > NAME_LENGTH_MAX or not game.isprintable() for game in games
    ):
        raise InvalidTerms("Name the games the free spins are for.", field="terms.freeSpinGames")


def _validate_wagering(terms: Terms) -> None:
    if not 0 <= terms.wagering_multiplier <= WAGERING_MULTIPLIER_MAX:
        raise InvalidTerms("Give a wagering multiplier.", field="terms.wageringMultiplier")
    if not 1 <= terms.wagering_days <= WAGERING_DAYS_MAX:
        raise InvalidTerms("Give the wagering window in days.", field="terms.wageringDays")
    if terms.max_conversion_multiplier is not None and terms.max_conversion_multiplier < 1:
        raise InvalidTerms("Give a conversion cap of 1 or more.", field="terms.maxConversion")
    contributions = terms.contributions
    groups = (contributions.product, contributions.category, contributions.game)
    for group in groups:
        for key, percent in group.items():
            _percent(percent, "terms.contributions")
            if not key or len(key) > NAME_LENGTH_MAX:
                raise InvalidTerms(
                    "Name what the contribution is for.", field="terms.contributions"
                )
    if set(contributions.product) - set(PRODUCTS):
        raise InvalidTerms("Unknown product.", field="terms.contributions")


def _validate_eligibility(eligibility: Eligibility) -> None:
    if len(eligibility.player_ids) > PLAYER_LIST_MAX:
        raise InvalidTerms("The player list is too long.", field="eligibility.playerIds")
    starts, ends = eligibility.starts_at, eligibility.ends_at
    if starts and ends and ends <= starts:
        raise InvalidTerms("The offer must end after it starts.", field="eligibility.endsAt")
    if not 1 <= eligibility.claim_window_hours <= 24 * WAGERING_DAYS_MAX:
        raise InvalidTerms("Give the claim window in hours.", field="eligibility.claimWindowHours")
    if any(len(country) != 2 or not country.isalpha() for country in eligibility.countries):
        raise InvalidTerms("Give countries as ISO 3166 codes.", field="eligibility.countries")
