"""Segment rules: AND / OR / NOT over conditions on a player's attributes and on their
behaviour over rolling windows, validated where they enter and compiled to one SQL
predicate over `players` (bound parameters only, never text from the input).

A rule is JSON, as stored in `segments.rule`:

    {"all": [rule, ...]} | {"any": [rule, ...]} | {"not": rule} | {"condition": condition}

A condition names a `field`, an `op` and what it compares with:

- attributes: `country`, `status`, `kyc_tier`, `loyalty_tier`, `brand` (`in` / `not_in`
  `values`); `age_years`, `days_since_registration` (a comparison with `number`);
  `limit_set` (`values`: limit kinds, empty for any; `is` `flag`); `marketing_consent`
  (`channel`, `is` `flag`).
- behaviour over the last `window_days` (1-365, today included, UTC days):
  `deposit_count`, `bonuses_claimed` (compared with `number`); `deposit_sum`, `stake_sum`,
  `ggr` (compared with `amount` in `currency`; stakes and GGR of a `product` or all);
  `days_since_active` (days since the last stake or deposit; never active compares as
  a number larger than any window).

The same predicate serves the preview (count and sample over the brand), the one scan when
a segment is saved, and the re-evaluation of one player when an event about them arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from domain.accounts.models import Player
from domain.bonuses.models import LoyaltyStatus
from domain.compliance.models import PlayerLimit
from domain.kernel.money import AmountError, is_supported_currency, parse_amount
from domain.segments.errors import InvalidRule
from domain.segments.models import ConsentChannel, MarketingConsent, PlayerActivityDay

DEPTH_MAX: Final = 6
CONDITIONS_MAX: Final = 40
VALUES_MAX: Final = 100
VALUE_LENGTH_MAX: Final = 40
WINDOW_DAYS_MAX: Final = 365
NUMBER_MAX: Final = 1_000_000
# "Never active" compares as this many days.
NEVER_ACTIVE_DAYS: Final = 100_000

COMPARISONS: Final[Mapping[str, Callable[[Any, Any], ColumnElement[bool]]]] = {
    ">=": lambda left, right: left >= right,
    ">": lambda left, right: left > right,
    "<=": lambda left, right: left <= right,
    "<": lambda left, right: left < right,
    "=": lambda left, right: left == right,
}
SET_FIELDS: Final = {
    "country": Player.country,
    "status": Player.status,
    "kyc_tier": Player.kyc_tier,
    "brand": Player.brand,
    "loyalty_tier": None,
}
NUMBER_FIELDS: Final = frozenset(
    {"age_years", "days_since_registration", "deposit_count", "bonuses_claimed",
     "days_since_active"}
)  # fmt: skip
AMOUNT_FIELDS: Final = frozenset({"deposit_sum", "stake_sum", "ggr"})
FLAG_FIELDS: Final = frozenset({"limit_set", "marketing_consent"})
WINDOW_FIELDS: Final = frozenset(
    {"deposit_count", "bonuses_claimed", "deposit_sum", "stake_sum", "ggr"}
)
PRODUCTS: Final = frozenset({"casino", "sportsbook"})
LIMIT_KINDS: Final = frozenset({"deposit", "loss", "wager", "session"})

# Measures in segment_activity_days (domain.segments.facts writes them).
DEPOSIT: Final = "deposit"
BONUS_GRANT: Final = "bonus_grant"
ACTIVE: Final = "active"


def stake_measure(product: str) -> str:
    return f"stake:{product}"


def win_measure(product: str) -> str:
    return f"win:{product}"


def parse(rule: object) -> dict[str, Any]:
    """The rule, validated and normalised (amounts in minor units) for storage.
    Errors: InvalidRule (with the path of the part at fault)."""
    counter = [0]
    return _parse(rule, "rule", 0, counter)


def _parse(rule: object, path: str, depth: int, counter: list[int]) -> dict[str, Any]:
    if depth > DEPTH_MAX:
        raise InvalidRule(f"{path}: rules nest at most {DEPTH_MAX} deep.")
    if not isinstance(rule, dict) or len(rule) != 1:
        raise InvalidRule(f"{path}: give exactly one of all, any, not or condition.")
    ((key, value),) = rule.items()
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            raise InvalidRule(f"{path}.{key}: give at least one rule.")
        return {key: [_parse(item, f"{path}.{key}[{i}]", depth + 1, counter)
                      for i, item in enumerate(value)]}  # fmt: skip
    if key == "not":
        return {"not": _parse(value, f"{path}.not", depth + 1, counter)}
    if key == "condition":
        counter[0] += 1
        if counter[0] > CONDITIONS_MAX:
            raise InvalidRule(f"A rule has at most {CONDITIONS_MAX} conditions.")
        return {"condition": _condition(value, f"{path}.condition")}
    raise InvalidRule(f"{path}: unknown part {key!r}.")


def _condition(raw: object, path: str) -> dict[str, Any]:  # noqa: PLR0912
    if not isinstance(raw, dict):
        raise InvalidRule(f"{path}: a condition is an object.")
    field, op = raw.get("field"), raw.get("op")
    out: dict[str, Any] = {"field": field, "op": op}
    if field in SET_FIELDS:
        if op not in ("in", "not_in"):
            raise InvalidRule(f"{path}: {field} takes in or not_in.")
        out["values"] = _values(raw.get("values"), path)
    elif field in FLAG_FIELDS:
        if op != "is" or not isinstance(raw.get("flag"), bool):
            raise InvalidRule(f"{path}: {field} takes op is and a true or false flag.")
        out["flag"] = raw["flag"]
        if field == "limit_set":
            out["values"] = _values(raw.get("values") or [], path, allowed=LIMIT_KINDS)
        else:
            channel = raw.get("channel")
            if channel not in set(ConsentChannel):
                raise InvalidRule(f"{path}: channel is one of {', '.join(ConsentChannel)}.")
            out["channel"] = channel
    elif field in NUMBER_FIELDS or field in AMOUNT_FIELDS:
        if op not in COMPARISONS:
            raise InvalidRule(f"{path}: op is one of {', '.join(COMPARISONS)}.")
        if field in NUMBER_FIELDS:
            number = raw.get("number")
            if not isinstance(number, int) or isinstance(number, bool):
                raise InvalidRule(f"{path}: {field} compares with a whole number.")
            if not 0 <= number <= NUMBER_MAX:
                raise InvalidRule(f"{path}: number is 0-{NUMBER_MAX}.")
            out["number"] = number
        else:
            out.update(_amount(raw, path))
        if field in ("stake_sum", "ggr"):
            product = raw.get("product")
            if product is not None and product not in PRODUCTS:
                raise InvalidRule(f"{path}: product is one of {', '.join(sorted(PRODUCTS))}.")
            out["product"] = product
    else:
        raise InvalidRule(f"{path}: unknown field {field!r}.")
    if field in WINDOW_FIELDS:
        window = raw.get("window_days")
        if not isinstance(window, int) or not 1 <= window <= WINDOW_DAYS_MAX:
            raise InvalidRule(f"{path}: window_days is 1-{WINDOW_DAYS_MAX}.")
        out["window_days"] = window
    return out


def _values(raw: object, path: str, allowed: frozenset[str] | None = None) -> list[str]:
    if not isinstance(raw, list) or len(raw) > VALUES_MAX:
        raise InvalidRule(f"{path}: values is a list of at most {VALUES_MAX}.")
    values = []
    for value in raw:
        if not isinstance(value, str) or not value or len(value) > VALUE_LENGTH_MAX:
            raise InvalidRule(f"{path}: each value is 1-{VALUE_LENGTH_MAX} characters.")
        if allowed is not None and value not in allowed:
            raise InvalidRule(f"{path}: {value!r} is not one of {', '.join(sorted(allowed))}.")
        values.append(value)
    return values


def _amount(raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    currency, amount = raw.get("currency"), raw.get("amount")
    if "amount_minor" in raw and isinstance(raw["amount_minor"], int):
        # Stored form, parsed again when a saved rule is loaded.
        amount_minor = raw["amount_minor"]
        if not isinstance(currency, str) or not is_supported_currency(currency):
            raise InvalidRule(f"{path}: unknown currency.")
        return {"amount_minor": amount_minor, "currency": currency}
    if not isinstance(currency, str) or not is_supported_currency(currency):
        raise InvalidRule(f"{path}: unknown currency.")
    if not isinstance(amount, str):
        raise InvalidRule(f"{path}: amount is a decimal string.")
    try:
        amount_minor = parse_amount(amount, currency)
    except AmountError as error:
        raise InvalidRule(f"{path}: {error}") from None
    return {"amount_minor": amount_minor, "currency": currency}


@dataclass
class TimeEdges:
    """Where the passing of days alone can change what a rule matches: the rolling windows
    (days), the `days_since_registration` and `days_since_active` numbers, and whether an
    age is tested (a birthday moves it)."""

    windows: set[int] = field(default_factory=set)
    registration_days: set[int] = field(default_factory=set)
    active_days: set[int] = field(default_factory=set)
    ages: bool = False

    def add(self, other: TimeEdges) -> None:
        self.windows |= other.windows
        self.registration_days |= other.registration_days
        self.active_days |= other.active_days
        self.ages = self.ages or other.ages

    @property
    def any(self) -> bool:
        return bool(self.windows or self.registration_days or self.active_days or self.ages)


def time_edges(rule: Mapping[str, Any]) -> TimeEdges:
    """A stored rule's TimeEdges."""
    found = TimeEdges()
    for key, value in rule.items():
        if key in ("all", "any"):
            for item in value:
                found.add(time_edges(item))
        elif key == "not":
            found.add(time_edges(value))
        elif key == "condition":
            if value.get("window_days"):
                found.windows.add(int(value["window_days"]))
            elif value["field"] == "days_since_registration":
                found.registration_days.add(int(value["number"]))
            elif value["field"] == "days_since_active":
                found.active_days.add(int(value["number"]))
            elif value["field"] == "age_years":
                found.ages = True
    return found


def predicate(rule: Mapping[str, Any], today: date) -> ColumnElement[bool]:
    """A stored rule as a predicate over `players` (Player), for the day `today`."""
    ((key, value),) = rule.items()
    if key == "all":
        return and_(true(), *(predicate(item, today) for item in value))
    if key == "any":
        return or_(false(), *(predicate(item, today) for item in value))
    if key == "not":
        return not_(predicate(value, today))
    return _compile(value, today)


def _compile(c: Mapping[str, Any], today: date) -> ColumnElement[bool]:  # noqa: PLR0911
    field, op = c["field"], c["op"]
    if field == "loyalty_tier":
        tier = exists().where(
            LoyaltyStatus.player_id == Player.id, LoyaltyStatus.tier.in_(c["values"])
        )
        return tier if op == "in" else not_(tier)
    if field in SET_FIELDS:
        column = SET_FIELDS[field]
        assert column is not None
        return column.in_(c["values"]) if op == "in" else column.not_in(c["values"])
    if field == "limit_set":
        limit = exists().where(PlayerLimit.player_id == Player.id)
        if c["values"]:
            limit = limit.where(PlayerLimit.kind.in_(c["values"]))
        return limit if c["flag"] else not_(limit)
    if field == "marketing_consent":
        consent = exists().where(
            MarketingConsent.player_id == Player.id,
            MarketingConsent.channel == c["channel"],
            MarketingConsent.granted.is_(True),
        )
        return consent if c["flag"] else not_(consent)
    compare = COMPARISONS[op]
    if field == "age_years":
        # Age N or more <=> born on or before today minus N years (as a date interval).
        years = func.extract("year", func.age(literal(today), Player.date_of_birth))
        return compare(years, c["number"])
    if field == "days_since_registration":
        return compare(literal(today) - func.date(func.timezone("UTC", Player.created_at)),
                       c["number"])  # fmt: skip
    if field == "days_since_active":
        last = (
            select(func.max(PlayerActivityDay.day))
            .where(PlayerActivityDay.player_id == Player.id, PlayerActivityDay.measure == ACTIVE)
            .scalar_subquery()
        )
        return compare(func.coalesce(literal(today) - last, NEVER_ACTIVE_DAYS), c["number"])
    return compare(_window_figure(c, today), c.get("number", c.get("amount_minor")))


def _window_figure(c: Mapping[str, Any], today: date) -> Any:
    field = c["field"]
    since = today - timedelta(days=int(c["window_days"]) - 1)
    figure: ColumnElement[Any]
    facts = [PlayerActivityDay.player_id == Player.id, PlayerActivityDay.day >= since]
    if field in ("deposit_count", "bonuses_claimed"):
        measure = DEPOSIT if field == "deposit_count" else BONUS_GRANT
        figure = func.sum(PlayerActivityDay.count)
        facts.append(PlayerActivityDay.measure == measure)
    else:
        facts.append(PlayerActivityDay.currency == c["currency"])
        products = [c["product"]] if c.get("product") else sorted(PRODUCTS)
        if field == "deposit_sum":
            facts.append(PlayerActivityDay.measure == DEPOSIT)
            figure = func.sum(PlayerActivityDay.amount_minor)
        elif field == "stake_sum":
            facts.append(PlayerActivityDay.measure.in_([stake_measure(p) for p in products]))
            figure = func.sum(PlayerActivityDay.amount_minor)
        else:  # ggr: stakes less wins
            stakes = [stake_measure(p) for p in products]
            wins = [win_measure(p) for p in products]
            facts.append(PlayerActivityDay.measure.in_(stakes + wins))
            # Both sums coalesced: a player with wins only has a negative GGR, not none.
            signed = func.coalesce(
                func.sum(PlayerActivityDay.amount_minor).filter(
                    PlayerActivityDay.measure.in_(stakes)
                ),
                0,
            ) - func.coalesce(
                func.sum(PlayerActivityDay.amount_minor).filter(
                    PlayerActivityDay.measure.in_(wins)
                ),
                0,
            )
            figure = signed
    return func.coalesce(select(figure).where(*facts).scalar_subquery(), 0)
