"""The shape of a jurisdiction pack and its loading (validated like a theme).

Money in a pack is written per currency as canonical decimal strings ({ GBP = "5.00" }) and
parsed by the one money parser into minor units; a rule with no amount for a currency does
not apply in it.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import text

from domain.compliance.errors import InvalidPack
from domain.kernel.db import UnitOfWork
from domain.kernel.money import AmountError, parse_amount

PACKS_DIR = Path(__file__).parent / "packs"
CODE_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"

# The values the platform's enums offer; a pack chooses among them.
LimitPeriodName = Literal["day", "week", "month"]
SelfExclusionPeriodName = Literal["six_months", "one_year", "five_years", "permanent"]
TimeOutPeriodName = Literal["one_day", "one_week", "one_month"]
KycTier = Literal["none", "basic", "full", "enhanced"]
Positive = Annotated[int, Field(gt=0)]


def _amounts(value: Mapping[str, str]) -> dict[str, int]:
    """{ "GBP": "5.00" } -> { "GBP": 500 }: exact, through the one money parser."""
    parsed = {}
    for currency, written in value.items():
        if not isinstance(written, str):
            raise ValueError(f'{currency}: write amounts as decimal strings, e.g. "5.00"')
        try:
            parsed[currency] = parse_amount(written, currency)
        except AmountError as error:
            raise ValueError(f"{currency}: {error}") from None
    return parsed


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KycRules(_Strict):
    # The tier a player needs before each step ("none": no check before it).
    tier_before_deposit: KycTier
    tier_before_play: KycTier
    tier_before_withdrawal: KycTier
    # Cumulative deposits within 30 days from which the enhanced tier is required.
    enhanced_after_deposits_30d: dict[str, int] = {}
    # Days a player may play before verification where the pack allows it (0: none).
    grace_days: int = Field(default=0, ge=0, le=90)

    _money = field_validator("enhanced_after_deposits_30d", mode="before")(_amounts)


class LimitRules(_Strict):
    # Which periods a player may set a money limit over.
    periods: tuple[LimitPeriodName, ...] = Field(min_length=1)
    # How long an increase or removal waits before the player may confirm it.
    increase_cooling_off_hours: int = Field(ge=0, le=24 * 31)
    # Registration asks for a deposit limit (the player may still choose none).
    deposit_limit_prompt: bool
    # Limits apply to the person across the operator's brands.
    across_brands: bool = False

    @property
    def increase_cooling_off(self) -> timedelta:
        return timedelta(hours=self.increase_cooling_off_hours)


class RealityCheckRules(_Strict):
    # The interval a new player starts with (0: off until they choose one).
    default_minutes: int = Field(ge=0, le=240)
    choices_minutes: tuple[Positive, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_offered(self) -> RealityCheckRules:
        if self.default_minutes and self.default_minutes not in self.choices_minutes:
            raise ValueError("default_minutes must be one of choices_minutes")
        return self


class TimeOutRules(_Strict):
    # Length in days of each break offered.
    lengths_days: dict[TimeOutPeriodName, Annotated[int, Field(gt=0, le=366)]] = Field(min_length=1)


class SelfExclusionRules(_Strict):
    # Length in days of each period offered; permanent is offered when listed in `periods`.
    lengths_days: dict[SelfExclusionPeriodName, Annotated[int, Field(ge=0)]] = Field(min_length=1)
    # What happens once the period is over: "at_date" ends it then; "on_request" keeps the
    # player excluded until they ask, and lifts it after `end_cooling_off_hours`.
    at_end: Literal["at_date", "on_request"]
    end_cooling_off_hours: int = Field(default=0, ge=0, le=24 * 31)
    national_register: str | None = None
    # When the register cannot answer: "refuse" fails closed (no registration or sign-in);
    # "allow" lets the player in and leaves them to the periodic screening.
    register_unavailable: Literal["refuse", "allow"] = "refuse"

    @field_validator("lengths_days")
    @classmethod
    def _at_least_six_months(cls, lengths: dict[str, int]) -> dict[str, int]:
        for name, days in lengths.items():
            if name == "permanent" and days != 0:
                raise ValueError("permanent has no length: write 0")
            if name != "permanent" and days < 183:
                raise ValueError(f"{name}: a self-exclusion lasts at least 183 days")
        return lengths

    @property
    def end_cooling_off(self) -> timedelta:
        return timedelta(hours=self.end_cooling_off_hours)


class AgeBand(_Strict):
    # Applies to players up to this age (inclusive); absent: every age not in a band above.
    age_to: int | None = Field(default=None, ge=16, le=120)
    max_stake: dict[str, int]

    _money = field_validator("max_stake", mode="before")(_amounts)


class SlotRules(_Strict):
    min_spin_seconds: float = Field(ge=0, le=60)
    autoplay: bool
    # Maximum stake per spin, by age band (first band whose age_to covers the player).
    stake_bands: tuple[AgeBand, ...] = ()

    @field_validator("stake_bands")
    @classmethod
    def _ordered(cls, bands: tuple[AgeBand, ...]) -> tuple[AgeBand, ...]:
        ages = [band.age_to for band in bands]
        if None in ages[:-1]:
            raise ValueError("only the last band may leave out age_to")
        bounded = [age for age in ages if age is not None]
        if bounded != sorted(set(bounded)):
            raise ValueError("bands go from the youngest up, each age_to higher")
        return bands


class BonusRules(_Strict):
    max_wagering_multiplier: int | None = Field(default=None, gt=0, le=100)
    mixed_product_offers: bool
    # A withdrawal while wagering forfeits the player's active bonuses (the player is
    # warned and confirms first); false: bonuses stay and only cash leaves.
    forfeit_on_withdrawal: bool = True


class DisplayRules(_Strict):
    net_position: bool
    session_clock: bool


class AmlRules(_Strict):
    """The thresholds of AML and harm monitoring (domain.compliance.aml): each rule raises
    one alert per player and window to the risk queue."""

    # Deposits within 30 days from which the player needs enhanced checks.
    cumulative_deposits_30d: dict[str, int]
    # What crossing it does beyond the alert: "hold_deposits" refuses further deposits
    # (ENHANCED_CHECKS_REQUIRED) until risk staff record an outcome; "alert" only raises.
    on_cumulative_deposits: Literal["hold_deposits", "alert"]
    single_deposit: dict[str, int] = {}
    # This many deposits within `rapid_deposits_minutes`.
    rapid_deposits_count: int = Field(ge=2, le=100)
    rapid_deposits_minutes: int = Field(gt=0, le=24 * 60)
    # This many payment methods (PSPs) used for deposits within 30 days.
    payment_methods_30d: int = Field(ge=2, le=20)
    # A withdrawal within `little_play_days` of deposits of which less than this percentage
    # was staked since.
    little_play_percent: int = Field(ge=1, le=100)
    little_play_days: int = Field(gt=0, le=30)
    # Markers of harm: deposits in the last 7 days at least this many times the weekly
    # average of the 28 days before (and at least `rising_deposits_min` of them).
    rising_deposits_factor: int = Field(ge=2, le=20)
    rising_deposits_min: int = Field(ge=2, le=100)
    # This many limit increases or removals asked for within 30 days.
    limit_increases_30d: int = Field(ge=1, le=20)
    # Night play (a marker of harm): of the last 7 days' stakes, at least
    # `night_stakes_percent` % (and `night_stakes_min` of them) placed between these hours
    # of the brand's time zone ([from, to)).
    night_from_hour: int = Field(ge=0, le=23)
    night_to_hour: int = Field(ge=1, le=24)
    night_stakes_min: int = Field(ge=1, le=10_000)
    night_stakes_percent: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _night_is_a_span(self) -> AmlRules:
        if self.night_to_hour <= self.night_from_hour:
            raise ValueError("night_to_hour must come after night_from_hour")
        return self

    _money = field_validator("cumulative_deposits_30d", "single_deposit", mode="before")(_amounts)


class HelpOrganisation(_Strict):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(pattern=r"^https://[^\s]+$")


class JurisdictionPack(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    regulator: str = Field(min_length=1, max_length=100)
    minimum_age_years: int = Field(ge=16, le=25)
    kyc: KycRules
    limits: LimitRules
    reality_check: RealityCheckRules
    time_out: TimeOutRules
    self_exclusion: SelfExclusionRules
    slots: SlotRules
    bonus: BonusRules
    display: DisplayRules
    aml: AmlRules
    help: HelpOrganisation

    def max_stake_minor(self, currency: str, birth: date, today: date) -> int | None:
        """The largest slot stake per spin for a player born on `birth` (None: no cap in
        this currency)."""
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        for band in self.slots.stake_bands:
            if band.age_to is None or age <= band.age_to:
                return band.max_stake.get(currency)
        return None


def load_pack(path: Path) -> JurisdictionPack:
    """Errors: InvalidPack (naming the file and the field)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InvalidPack(f"{path}: {error}") from None
    try:
        pack = JurisdictionPack.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise InvalidPack(f"{path}: {problems}") from None
    if pack.code != path.stem:
        raise InvalidPack(f"{path}: code: {pack.code!r} must match the file name")
    return pack


def load_packs(folder: Path = PACKS_DIR) -> dict[str, JurisdictionPack]:
    """Every pack in `folder` by code. Errors: InvalidPack."""
    packs = {path.stem: load_pack(path) for path in sorted(folder.glob("*.toml"))}
    if not packs:
        raise InvalidPack(f"{folder}: no jurisdiction packs")
    return packs


@functools.cache
def _shipped() -> Mapping[str, JurisdictionPack]:
    return load_packs()


def pack_for(jurisdiction_code: str) -> JurisdictionPack:
    """The pack of a jurisdiction (a brand's `jurisdiction`). Errors: InvalidPack."""
    try:
        return _shipped()[jurisdiction_code]
    except KeyError:
        raise InvalidPack(f"no jurisdiction pack for {jurisdiction_code!r}") from None


def check_packs(jurisdictions: Iterable[str]) -> None:
    """At start-up: every pack loads, and each of these jurisdictions has one.
    Errors: InvalidPack."""
    packs = _shipped()
    missing = sorted(set(jurisdictions) - set(packs))
    if missing:
        raise InvalidPack(f"{PACKS_DIR}: no jurisdiction pack for {', '.join(missing)}")


_BRAND_JURISDICTION = text("SELECT jurisdiction FROM brands WHERE slug = :brand")


async def brand_pack(uow: UnitOfWork, brand: str) -> JurisdictionPack:
    """The pack of a brand's jurisdiction (the row sync_brands keeps from theme.toml), for
    the paths that hold a brand slug, not the Brand. Errors: InvalidPack."""
    code = await uow.session.scalar(_BRAND_JURISDICTION, {"brand": brand})
    if code is None:
        raise InvalidPack(f"brand {brand!r} has no jurisdiction")
    return pack_for(str(code))
