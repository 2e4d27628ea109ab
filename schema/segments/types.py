"""GraphQL types of segments, campaigns and marketing consent."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Any, Self

import strawberry

from domain.accounts.models import Player
from domain.segments import campaigns as campaign_service
from domain.segments.consent import ConsentState
from domain.segments.models import CampaignStatus, ConsentChannel, SegmentKind
from domain.segments.service import SegmentView
from schema.ids import global_id
from schema.money import MoneyInput, NumberSent

# The domain's enum registered under the schema's name (strawberry.enum returns the same
# class, so fields annotate the domain type itself).
strawberry.enum(
    ConsentChannel,
    name="MarketingChannel",
    description="A channel players consent to marketing on. Campaigns send on INBOX, EMAIL "
    "and SMS (to a verified phone) today.",
)
strawberry.enum(
    SegmentKind,
    name="SegmentKind",
    description="RULE: kept from events by its rule. STATIC: an imported list.",
)
strawberry.enum(CampaignStatus, name="CampaignStatus")


@strawberry.enum(description="What a segment condition looks at.")
class SegmentField(Enum):
    BRAND = "brand"
    COUNTRY = "country"
    STATUS = "status"
    KYC_TIER = "kyc_tier"
    LOYALTY_TIER = "loyalty_tier"
    AGE_YEARS = "age_years"
    DAYS_SINCE_REGISTRATION = "days_since_registration"
    LIMIT_SET = "limit_set"
    MARKETING_CONSENT = "marketing_consent"
    DEPOSIT_COUNT = "deposit_count"
    DEPOSIT_SUM = "deposit_sum"
    STAKE_SUM = "stake_sum"
    GGR = "ggr"
    DAYS_SINCE_ACTIVE = "days_since_active"
    BONUSES_CLAIMED = "bonuses_claimed"


@strawberry.enum(description="How a condition compares.")
class SegmentOperator(Enum):
    IN = "in"
    NOT_IN = "not_in"
    IS = "is"
    GTE = ">="
    GT = ">"
    LTE = "<="
    LT = "<"
    EQ = "="


@strawberry.enum(description="A product for stakes and GGR conditions.")
class SegmentProduct(Enum):
    CASINO = "casino"
    SPORTSBOOK = "sportsbook"


@strawberry.input(
    description="One condition. Attributes: COUNTRY, STATUS, KYC_TIER, LOYALTY_TIER, BRAND "
    "take IN / NOT_IN `values`; AGE_YEARS and DAYS_SINCE_REGISTRATION compare with "
    "`number`; LIMIT_SET (`values`: limit kinds, none for any) and MARKETING_CONSENT "
    "(`channel`) take IS `flag`. Behaviour over the last `windowDays` (1-365): "
    "DEPOSIT_COUNT and BONUSES_CLAIMED compare with `number`; DEPOSIT_SUM, STAKE_SUM and GGR "
    "with `amount` (STAKE_SUM and GGR of one `product`, or all); DAYS_SINCE_ACTIVE compares "
    "with `number` (no window)."
)
class SegmentConditionInput:
    field: SegmentField
    op: SegmentOperator
    values: list[str] | None = None
    number: int | None = None
    amount: MoneyInput | None = None
    product: SegmentProduct | None = None
    window_days: int | None = None
    channel: ConsentChannel | None = None
    flag: bool | None = None


@strawberry.input(
    description="A rule: exactly one of `all` (every rule holds), `any` (one holds), `not` "
    "(the rule does not hold) or `condition`. At most 6 deep and 40 conditions."
)
class SegmentRuleInput:
    all: list[SegmentRuleInput] | None = None
    any: list[SegmentRuleInput] | None = None
    not_: SegmentRuleInput | None = strawberry.field(default=None, name="not")
    condition: SegmentConditionInput | None = None


def rule_of(rule: SegmentRuleInput) -> dict[str, Any]:
    """The input as the domain's rule JSON (the domain validates it)."""
    given: dict[str, Any] = {}
    if rule.all is not None:
        given["all"] = [rule_of(item) for item in rule.all]
    if rule.any is not None:
        given["any"] = [rule_of(item) for item in rule.any]
    if rule.not_ is not None:
        given["not"] = rule_of(rule.not_)
    if rule.condition is not None:
        given["condition"] = _condition_of(rule.condition)
    return given


def _condition_of(condition: SegmentConditionInput) -> dict[str, Any]:
    out: dict[str, Any] = {"field": condition.field.value, "op": condition.op.value}
    if condition.values is not None:
        out["values"] = list(condition.values)
    if condition.number is not None:
        out["number"] = condition.number
    if condition.amount is not None:
        # A JSON number is refused by the domain's parser (amounts are decimal strings).
        sent = condition.amount.amount
        out["amount"] = None if isinstance(sent, NumberSent) else str(sent)
        out["currency"] = condition.amount.currency
    if condition.product is not None:
        out["product"] = condition.product.value
    if condition.window_days is not None:
        out["window_days"] = condition.window_days
    if condition.channel is not None:
        out["channel"] = ConsentChannel(condition.channel).value
    if condition.flag is not None:
        out["flag"] = condition.flag
    return out


@strawberry.type(description="A group of the brand's players, by rule or imported list.")
class Segment:
    id: strawberry.ID
    name: str
    kind: SegmentKind
    rule: str | None = strawberry.field(
        description="The rule as JSON (amounts in minor units); null for a static list."
    )
    member_count: int
    created_at: datetime
    archived_at: datetime | None

    @classmethod
    def of(cls, view: SegmentView) -> Self:
        row = view.segment
        return cls(
            id=global_id("Segment", row.id),
            name=row.name,
            kind=SegmentKind(row.kind),
            rule=json.dumps(row.rule, sort_keys=True) if row.rule is not None else None,
            member_count=view.member_count,
            created_at=row.created_at,
            archived_at=row.archived_at,
        )


@strawberry.type(description="A player in a segment preview's sample.")
class SegmentSamplePlayer:
    player_id: strawberry.ID
    email: str | None
    country: str
    registered_at: datetime

    @classmethod
    def of(cls, player: Player) -> Self:
        return cls(
            player_id=global_id("Player", player.id),
            email=player.email,
            country=player.country,
            registered_at=player.created_at,
        )


@strawberry.type(description="How many players a rule matches now, and a few of them.")
class SegmentPreview:
    count: int
    sample: list[SegmentSamplePlayer]


@strawberry.type(description="A campaign's figures.")
class CampaignCounts:
    targeted: int = strawberry.field(description="The segment's members when it was first due.")
    suppressed_consent: int = strawberry.field(description="Without consent on the channel.")
    suppressed_protected: int = strawberry.field(
        description="Self-excluded, timed out, suspended or closed: never messaged."
    )
    suppressed_unreachable: int = strawberry.field(
        description="Nowhere to send it on the channel: no e-mail address, no verified phone."
    )
    pending: int = strawberry.field(description="Waiting for their batch (the throttle).")
    sent: int
    failed: int = strawberry.field(
        description="The e-mail failed or bounced, or the text message failed, after it was queued."
    )


@strawberry.type(description="A message to a segment's consenting, unprotected members.")
class Campaign:
    id: strawberry.ID
    segment_id: strawberry.ID
    name: str
    channel: ConsentChannel
    status: CampaignStatus
    send_at: datetime
    throttle_per_minute: int
    counts: CampaignCounts
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, view: campaign_service.CampaignView) -> Self:
        row, counts = view.campaign, view.counts
        return cls(
            id=global_id("Campaign", row.id),
            segment_id=global_id("Segment", row.segment_id),
            name=row.name,
            channel=ConsentChannel(row.channel),
            status=CampaignStatus(row.status),
            send_at=row.send_at,
            throttle_per_minute=row.throttle_per_minute,
            counts=CampaignCounts(
                targeted=counts.targeted,
                suppressed_consent=counts.suppressed_consent,
                suppressed_protected=counts.suppressed_protected,
                suppressed_unreachable=counts.suppressed_unreachable,
                pending=counts.pending,
                sent=counts.sent,
                failed=counts.failed,
            ),
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


@strawberry.type(description="The player's marketing consent on one channel.")
class MarketingConsent:
    channel: ConsentChannel
    granted: bool
    changed_at: datetime | None

    @classmethod
    def of(cls, state: ConsentState) -> Self:
        return cls(channel=state.channel, granted=state.granted, changed_at=state.changed_at)
