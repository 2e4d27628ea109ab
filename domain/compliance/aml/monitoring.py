"""AML and harm monitoring: rules over a player's money movement, evaluated by a worker from
committed payment events (`payments.status_changed`), raising alerts to the risk queue.

Each rule is a pure function of the player's recent deposits (and, for a withdrawal, of
what they staked since) and the brand's pack; it returns a finding with its window and its
evidence, or None. A finding becomes an alert through one `INSERT … ON CONFLICT DO
NOTHING` on (player, rule, window): however often and however concurrently the events
are evaluated, a rule raises one alert per player and window. The 30-day rules count in
30-day periods from the epoch (the window is in the evidence); the others name the
payment or the hour that crossed them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert

from domain.accounts.models import Player
from domain.compliance import identity
from domain.compliance.aml.events import AmlAlertRaised
from domain.compliance.aml.models import AlertRule, AmlAlert
from domain.compliance.jurisdictions import JurisdictionPack, brand_pack
from domain.compliance.limits import GAMING_ENTRIES
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.ids import new_id
from domain.kernel.outbox import emit

MONTH: Final = timedelta(days=30)
WEEK: Final = timedelta(days=7)
# How far back the rules look: a month, and four weeks before the last one.
LOOK_BACK: Final = timedelta(days=35)
# A bound on the deposits read for one evaluation (a month of deposits every few minutes).
DEPOSITS_READ_MAX: Final = 2000
# At most this many payments listed in an alert's evidence (the newest).
EVIDENCE_PAYMENTS_MAX: Final = 50
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Deposit:
    id: uuid.UUID
    amount_minor: int
    currency: str
    provider: str
    at: datetime


@dataclass(frozen=True)
class Finding:
    rule: AlertRule
    window_key: str
    evidence: dict[str, Any]
    holds_deposits: bool = False


@dataclass(frozen=True)
class Withdrawal:
    id: uuid.UUID
    amount_minor: int
    currency: str
    at: datetime
    # What the player staked from cash since the first deposit of the look-back.
    staked_minor: int = 0


@dataclass
class Facts:
    now: datetime
    deposits: list[Deposit] = field(default_factory=list)

    def since(self, start: datetime) -> list[Deposit]:
        return [deposit for deposit in self.deposits if deposit.at >= start]


def _period(now: datetime, length: timedelta) -> tuple[int, datetime, datetime]:
    """The number of the `length`-long period since the epoch that holds `now`, its start
    and its end."""
    number = int((now - _EPOCH) / length)
    start = _EPOCH + number * length
    return number, start, start + length


def _evidence(deposits: Sequence[Deposit], currency: str, **values: Any) -> dict[str, Any]:
    listed = sorted(deposits, key=lambda deposit: deposit.at, reverse=True)[:EVIDENCE_PAYMENTS_MAX]
    return {
        "currency": currency,
        **values,
        "payments": [
            {"id": str(d.id), "amount_minor": d.amount_minor, "at": d.at.isoformat()}
            for d in listed
        ],
    }


def cumulative_deposits(facts: Facts, pack: JurisdictionPack, currency: str) -> Finding | None:
    threshold = pack.aml.cumulative_deposits_30d.get(currency)
    if threshold is None:
        return None
    recent = facts.since(facts.now - MONTH)
    total = sum(deposit.amount_minor for deposit in recent)
    if total < threshold:
        return None
    number, start, end = _period(facts.now, MONTH)
    return Finding(
        AlertRule.CUMULATIVE_DEPOSITS,
        f"30d:{number}",
        _evidence(
            recent,
            currency,
            threshold_minor=threshold,
            total_minor=total,
            window={"from": start.isoformat(), "to": end.isoformat()},
        ),
        holds_deposits=pack.aml.on_cumulative_deposits == "hold_deposits",
    )


def large_deposit(deposit: Deposit, pack: JurisdictionPack) -> Finding | None:
    threshold = pack.aml.single_deposit.get(deposit.currency)
    if threshold is None or deposit.amount_minor < threshold:
        return None
    return Finding(
        AlertRule.LARGE_DEPOSIT,
        f"payment:{deposit.id}",
        _evidence([deposit], deposit.currency, threshold_minor=threshold),
    )


def rapid_deposits(facts: Facts, pack: JurisdictionPack, currency: str) -> Finding | None:
    span = timedelta(minutes=pack.aml.rapid_deposits_minutes)
    recent = facts.since(facts.now - span)
    if len(recent) < pack.aml.rapid_deposits_count:
        return None
    number, _start, _end = _period(facts.now, span)
    return Finding(
        AlertRule.RAPID_DEPOSITS,
        f"{pack.aml.rapid_deposits_minutes}m:{number}",
        _evidence(
            recent,
            currency,
            count=len(recent),
            count_max=pack.aml.rapid_deposits_count,
            minutes=pack.aml.rapid_deposits_minutes,
            total_minor=sum(deposit.amount_minor for deposit in recent),
        ),
    )


def payment_methods(facts: Facts, pack: JurisdictionPack, currency: str) -> Finding | None:
    recent = facts.since(facts.now - MONTH)
    methods = sorted({deposit.provider for deposit in recent})
    if len(methods) < pack.aml.payment_methods_30d:
        return None
    number, start, end = _period(facts.now, MONTH)
    return Finding(
        AlertRule.PAYMENT_METHODS,
        f"30d:{number}",
        _evidence(
            recent,
            currency,
            methods=methods,
            window={"from": start.isoformat(), "to": end.isoformat()},
        ),
    )


def rising_deposit_frequency(facts: Facts, pack: JurisdictionPack, currency: str) -> Finding | None:
    """A marker of harm: the last week's deposits against the four weeks before."""
    week_start = facts.now - WEEK
    recent = facts.since(week_start)
    before = [d for d in facts.since(week_start - 4 * WEEK) if d.at < week_start]
    rules = pack.aml
    if not before or len(recent) < rules.rising_deposits_min:
        return None
    # recent >= factor * (before / 4), in integers.
    if 4 * len(recent) < rules.rising_deposits_factor * len(before):
        return None
    number, _start, _end = _period(facts.now, WEEK)
    return Finding(
        AlertRule.RISING_DEPOSIT_FREQUENCY,
        f"7d:{number}",
        _evidence(
            recent,
            currency,
            count=len(recent),
            count_before_28d=len(before),
            factor=rules.rising_deposits_factor,
        ),
    )


def little_play(facts: Facts, pack: JurisdictionPack, withdrawal: Withdrawal) -> Finding | None:
    """Money in and out again with little staked between (the stakes since the first of the
    deposits within `little_play_days` before the withdrawal)."""
    deposits = facts.since(withdrawal.at - timedelta(days=pack.aml.little_play_days))
    deposited = sum(deposit.amount_minor for deposit in deposits)
    if not deposited:
        return None
    if 100 * withdrawal.staked_minor >= pack.aml.little_play_percent * deposited:
        return None
    return Finding(
        AlertRule.LITTLE_PLAY,
        f"payment:{withdrawal.id}",
        _evidence(
            deposits,
            withdrawal.currency,
            total_minor=deposited,
            staked_minor=withdrawal.staked_minor,
            withdrawal={
                "id": str(withdrawal.id),
                "amount_minor": withdrawal.amount_minor,
                "at": withdrawal.at.isoformat(),
            },
            percent_min=pack.aml.little_play_percent,
        ),
    )


@dataclass(frozen=True)
class NightPlay:
    """The last 7 days' stakes from cash, and those placed in the pack's night hours."""

    stakes: int
    night_stakes: int
    staked_minor: int
    night_staked_minor: int


def night_play(
    counts: NightPlay, pack: JurisdictionPack, now: datetime, currency: str
) -> Finding | None:
    """A marker of harm: much of the week's play happens at night."""
    rules = pack.aml
    if counts.night_stakes < rules.night_stakes_min:
        return None
    if 100 * counts.night_stakes < rules.night_stakes_percent * counts.stakes:
        return None
    number, _start, _end = _period(now, WEEK)
    return Finding(
        AlertRule.NIGHT_PLAY,
        f"7d:{number}",
        {
            "currency": currency,
            "count": counts.night_stakes,
            "stakes": counts.stakes,
            "total_minor": counts.night_staked_minor,
            "staked_minor": counts.staked_minor,
            "night_hours": [rules.night_from_hour, rules.night_to_hour],
            "payments": [],
        },
    )


# ---- reading the facts and raising -----------------------------------------------------

# The player's credited deposits of the look-back, newest first (index ix_payments_player).
_DEPOSITS = text("""
SELECT id, amount_minor, currency, provider, completed_at FROM payments
WHERE player_id = :player AND brand = :brand AND kind = 'deposit' AND status = 'succeeded'
  AND completed_at >= :since
ORDER BY completed_at DESC
LIMIT :limit
""")
_STAKED = text(f"""
SELECT coalesce(sum(-amount), 0) FROM ({GAMING_ENTRIES}) AS gaming WHERE amount < 0
""")  # noqa: S608 - GAMING_ENTRIES is a constant


_NIGHT = text(f"""
WITH gaming AS ({GAMING_ENTRIES}), stakes AS (
    SELECT -amount AS staked,
           extract(hour FROM created_at AT TIME ZONE
                   (SELECT time_zone FROM brands WHERE slug = :brand)) AS hour
    FROM gaming WHERE amount < 0
)
SELECT count(*) AS stakes,
       count(*) FILTER (WHERE hour >= :night_from AND hour < :night_to) AS night_stakes,
       coalesce(sum(staked), 0) AS staked,
       coalesce(sum(staked) FILTER (WHERE hour >= :night_from AND hour < :night_to), 0)
           AS night_staked
FROM stakes
""")  # noqa: S608 - GAMING_ENTRIES is a constant


async def night_counts(
    uow: UnitOfWork, brand: str, player_id: uuid.UUID, pack: JurisdictionPack, now: datetime
) -> NightPlay:
    """The player's stakes of the last 7 days, and those in the pack's night hours of the
    brand's time zone (one statement)."""
    row = (
        await uow.session.execute(
            _NIGHT,
            {
                "brand": brand,
                "player": player_id,
                "since": now - WEEK,
                "night_from": pack.aml.night_from_hour,
                "night_to": pack.aml.night_to_hour,
            },
        )
    ).one()
    return NightPlay(int(row.stakes), int(row.night_stakes), int(row.staked), int(row.night_staked))


async def _facts(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> Facts:
    now = clock.now()
    rows = await uow.session.execute(
        _DEPOSITS,
        {"player": player_id, "brand": brand, "since": now - LOOK_BACK, "limit": DEPOSITS_READ_MAX},
    )
    deposits = [
        Deposit(row.id, row.amount_minor, row.currency, row.provider, row.completed_at)
        for row in rows
    ]
    return Facts(now=now, deposits=deposits)


async def hold_person(uow: UnitOfWork, player_id: uuid.UUID, alert_id: object) -> None:
    """Hold the deposits of every player of the player's person, on every brand: money
    held back on one account must not flow in through the person's others. Their rows
    are locked in id order (as a release locks them), so the two never deadlock. The
    person's registration locks are taken first, so a player registered at the same
    moment is either held here or sees the hold when it links (onboarding). Each player
    held now gets an audit row naming the alert (`player.deposits.hold`), whatever its
    brand."""
    await identity.serialise_with_registrations(uow, player_id)
    person = await identity.person_of(uow, player_id)
    players = await identity.players_of_person(uow, person) if person else []
    newly = [(p.id, p.brand) for p in players if not p.deposits_held]
    await uow.session.execute(
        update(Player)
        .where(Player.id.in_([player_id, *(p.id for p in players)]))
        .values(deposits_held=True)
    )
    for held_id, brand in newly:
        await audit.record(
            uow, actor_kind="system", actor_id="compliance.aml", action="player.deposits.hold",
            subject_type="player", subject_id=held_id, brand=brand,
            reason=f"AML alert {alert_id}", before={"deposits_held": False},
            after={"deposits_held": True},
        )  # fmt: skip


async def raise_alert(uow: UnitOfWork, brand: str, player_id: uuid.UUID, found: Finding) -> bool:
    """Insert the finding's alert unless its window has one; hold the player's deposits when
    it says so. Returns whether it was raised now."""
    alert_id = await uow.session.scalar(
        insert(AmlAlert)
        .values(
            id=new_id(),
            brand=brand,
            player_id=player_id,
            rule=found.rule.value,
            window_key=found.window_key,
            evidence=found.evidence,
            holds_deposits=found.holds_deposits,
        )
        .on_conflict_do_nothing(index_elements=["player_id", "rule", "window_key"])
        .returning(AmlAlert.id)
    )
    if alert_id is None:
        return False
    if found.holds_deposits:
        await hold_person(uow, player_id, alert_id)
    await emit(
        uow,
        AmlAlertRaised(
            alert_id=str(alert_id),
            player_id=str(player_id),
            rule=found.rule.value,
            holds_deposits=found.holds_deposits,
        ),
        brand=brand,
    )
    return True


async def evaluate_payment(uow: UnitOfWork, brand: str, payload: dict[str, Any]) -> list[AlertRule]:
    """Evaluate the rules a payment's new status concerns (a credited deposit, a requested
    withdrawal; others concern none). Returns the rules that raised an alert now.
    Errors: InvalidPack (the brand has no pack)."""
    kind, after = payload.get("kind"), payload.get("after")
    if (kind, after) not in {("deposit", "succeeded"), ("withdrawal", "requested")}:
        return []
    if kind == "withdrawal" and payload.get("before") is not None:
        return []
    player_id = uuid.UUID(str(payload["player_id"]))
    currency = str(payload["currency"])
    pack = await brand_pack(uow, brand)
    facts = await _facts(uow, brand, player_id)
    if kind == "deposit":
        this = next((d for d in facts.deposits if str(d.id) == str(payload["payment_id"])), None)
        findings = [
            cumulative_deposits(facts, pack, currency),
            large_deposit(this, pack) if this is not None else None,
            rapid_deposits(facts, pack, currency),
            payment_methods(facts, pack, currency),
            rising_deposit_frequency(facts, pack, currency),
            night_play(
                await night_counts(uow, brand, player_id, pack, facts.now),
                pack,
                facts.now,
                currency,
            ),
        ]
    else:
        withdrawal = await _withdrawal(uow, brand, player_id, facts, pack=pack, payload=payload)
        findings = [little_play(facts, pack, withdrawal)]
    raised = []
    for found in findings:
        if found is not None and await raise_alert(uow, brand, player_id, found):
            raised.append(found.rule)
    return raised


async def _withdrawal(
    uow: UnitOfWork,
    brand: str,
    player_id: uuid.UUID,
    facts: Facts,
    *,
    pack: JurisdictionPack,
    payload: dict[str, Any],
) -> Withdrawal:
    """The withdrawal with what the player staked since the first deposit of the rule's
    days before it."""
    window = facts.since(facts.now - timedelta(days=pack.aml.little_play_days))
    since = min((d.at for d in window), default=facts.now)
    staked = await uow.session.scalar(
        _STAKED, {"brand": brand, "player": player_id, "since": since}
    )
    return Withdrawal(
        id=uuid.UUID(str(payload["payment_id"])),
        amount_minor=int(payload["amount_minor"]),
        currency=str(payload["currency"]),
        at=facts.now,
        staked_minor=int(staked or 0),
    )


# ---- markers of harm from protection events --------------------------------------------

# The player's limit increases and removals asked for since :since, from the audit log (on
# the player's audit chain: a slice of the chain index, not the whole log).
_LIMIT_REQUESTS = text("""
SELECT at, before->>'kind' AS kind, before->>'period' AS period FROM audit_log
WHERE chain = :chain AND subject_type = 'player' AND subject_id = :player
  AND action IN ('player.limit.increase_requested', 'player.limit.removal_requested')
  AND at >= :since
ORDER BY at DESC
LIMIT :limit
""")
_PLAYER_CURRENCY = text("SELECT currency FROM players WHERE id = :player AND brand = :brand")


def limit_increases(
    requests: Sequence[tuple[datetime, str, str]],
    pack: JurisdictionPack,
    now: datetime,
    currency: str,
) -> Finding | None:
    """A marker of harm: the player keeps asking for more room."""
    if len(requests) < pack.aml.limit_increases_30d:
        return None
    number, start, end = _period(now, MONTH)
    return Finding(
        AlertRule.LIMIT_INCREASES,
        f"30d:{number}",
        {
            "currency": currency,
            "count": len(requests),
            "window": {"from": start.isoformat(), "to": end.isoformat()},
            "requests": [
                {"at": at.isoformat(), "kind": kind, "period": period}
                for at, kind, period in requests[:EVIDENCE_PAYMENTS_MAX]
            ],
            "payments": [],
        },
    )


async def evaluate_limit_increase(
    uow: UnitOfWork, brand: str, payload: dict[str, Any]
) -> list[AlertRule]:
    """Count the player's limit increases and removals of the last 30 days against the
    pack. Returns the rules that raised an alert now. Errors: InvalidPack."""
    player_id = uuid.UUID(str(payload["player_id"]))
    pack = await brand_pack(uow, brand)
    now = clock.now()
    rows = await uow.session.execute(
        _LIMIT_REQUESTS,
        {
            "chain": audit.chain_of("player", str(player_id)),
            "player": str(player_id),
            "since": now - MONTH,
            "limit": DEPOSITS_READ_MAX,
        },
    )
    requests = [(row.at, str(row.kind), str(row.period)) for row in rows]
    currency = await uow.session.scalar(_PLAYER_CURRENCY, {"player": player_id, "brand": brand})
    found = limit_increases(requests, pack, now, str(currency))
    if found is not None and await raise_alert(uow, brand, player_id, found):
        return [found.rule]
    return []
