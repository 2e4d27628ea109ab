"""Sportsbook tables. Odds are NUMERIC(10,4) (exact decimal, never float); money is integer
minor units in the bet's currency; fractions (each-way terms, dead-heat factors) are
integer numerator/denominator pairs so 1/3 stays exact.

A bet's lines (the combinations of a system, the win and place parts of an each-way bet)
are not stored: they are a pure function of the legs, `combination_sizes` and `each_way`
(`domain.sportsbook.systems.lines`), so placement writes one bet row and its legs only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from domain.kernel.db import Base

ODDS = Numeric(10, 4)


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class MarketStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEACTIVATED = "deactivated"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class SuspensionReason(StrEnum):
    FEED = "feed"  # the feed said so (bet_stop, a market status)
    HEARTBEAT = "heartbeat"  # the producer's heartbeats stopped
    TRADER = "trader"  # a trader suspended it
    # The producer's messages have a gap: held until its recovery completes
    # (domain.sportsbook.feed.producers).
    RECOVERY = "recovery"


class OutcomeStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class ResultKind(StrEnum):
    """An outcome's result as the feed reports it. Quarter-line Asian handicaps arrive as
    HALF_WIN / HALF_LOSE; dead heats as WIN with a factor below one."""

    WIN = "win"
    LOSE = "lose"
    VOID = "void"
    HALF_WIN = "half_win"
    HALF_LOSE = "half_lose"


class BetType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    SYSTEM = "system"


class OddsPolicy(StrEnum):
    """What the player accepts when the odds moved between display and placement."""

    NONE = "none"  # only the odds shown
    HIGHER = "higher"  # the odds shown or better
    ANY = "any"  # whatever the current odds are


class BetStatus(StrEnum):
    PENDING = "pending"  # live-bet delay: staked, waiting for accept_pending / refuse
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    VOID = "void"
    CASHED_OUT = "cashed_out"
    CANCELLED = "cancelled"
    REFUSED = "refused"  # refused after the live delay; stake returned


SETTLED_STATUSES = (BetStatus.WON, BetStatus.LOST, BetStatus.VOID)


class RunKind(StrEnum):
    SETTLE = "settle"
    ROLLBACK = "rollback"
    CANCEL = "cancel"
    # Reinstates the bets a cancellation voided (the feed's rollback_bet_cancel).
    UNCANCEL = "uncancel"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Sport(Base):
    __tablename__ = "sportsbook_sports"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Competition(Base):
    __tablename__ = "sportsbook_competitions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    sport_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("sportsbook_sports.id"))
    key: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("sport_id", "key"),)


class Event(Base):
    __tablename__ = "sportsbook_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    competition_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sportsbook_competitions.id")
    )
    # The odds feed's id of the event (the feed engineer's upsert key).
    feed_ref: Mapped[str | None] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    home: Mapped[str | None] = mapped_column(Text)
    away: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default=EventStatus.SCHEDULED)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    score: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    # The match clock as the feed or a trader last sent it, e.g. {"period": "2H", "minute": 67}.
    clock: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    # The highest feed sequence applied to the event's state (odds, statuses, fixture):
    # an older message arriving late is ignored (domain.sportsbook.feed).
    feed_sequence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(_in("status", EventStatus), name="status"),
        Index("ix_sportsbook_events_status_starts_at", "status", "starts_at"),
    )


class Market(Base):
    __tablename__ = "sportsbook_markets"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("sportsbook_events.id"))
    # e.g. "match_result", "asian_handicap", "total_goals", "race_winner".
    type: Mapped[str] = mapped_column(Text)
    # The line as text, e.g. "hcp=-0.25" or "total=2.5"; '' when the type has none.
    specifiers: Mapped[str] = mapped_column(Text, default="", server_default="")
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default=MarketStatus.ACTIVE)
    # Bet builders: legs of this market may combine with others of the same event.
    allows_same_event_combination: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # Each-way place terms (all three set, or none): e.g. 3 places at 1/5 of the odds.
    each_way_places: Mapped[int | None] = mapped_column(SmallInteger)
    each_way_fraction_numerator: Mapped[int | None] = mapped_column(SmallInteger)
    each_way_fraction_denominator: Mapped[int | None] = mapped_column(SmallInteger)
    # Live-bet delay: bets on a live event wait this long in PENDING before acceptance.
    bet_delay_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Limits in minor units of the bet's currency; NULL = the platform default / none.
    min_stake_minor: Mapped[int | None] = mapped_column(BigInteger)
    max_stake_minor: Mapped[int | None] = mapped_column(BigInteger)
    max_payout_minor: Mapped[int | None] = mapped_column(BigInteger)
    # Per outcome of this market and currency: the sum of potential returns it may carry.
    liability_limit_minor: Mapped[int | None] = mapped_column(BigInteger)
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The feed producer that prices the market (its heartbeat loss suspends the market).
    feed_producer: Mapped[str | None] = mapped_column(Text)
    # Why a SUSPENDED market is suspended (SuspensionReason); NULL otherwise. Each party
    # lifts only its own suspensions: a feed recovery never reopens a trader's.
    suspended_by: Mapped[str | None] = mapped_column(Text)
    # The status the feed last sent (NULL: a trader's market, or never priced by the feed),
    # kept beside `status` so a trader sees what the feed says under their suspension.
    feed_status: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint(_in("status", MarketStatus), name="status"),
        CheckConstraint(
            f"suspended_by IS NULL OR {_in('suspended_by', SuspensionReason)}",
            name="suspended_by",
        ),
        Index("ix_sportsbook_markets_feed_producer_status", "feed_producer", "status"),
        CheckConstraint(
            "(each_way_places IS NULL) = (each_way_fraction_numerator IS NULL) AND "
            "(each_way_places IS NULL) = (each_way_fraction_denominator IS NULL)",
            name="place_terms_complete",
        ),
        CheckConstraint(
            "each_way_places IS NULL OR (each_way_places > 0 AND "
            "each_way_fraction_numerator > 0 AND each_way_fraction_denominator > 0)",
            name="place_terms_positive",
        ),
        CheckConstraint("bet_delay_seconds >= 0", name="bet_delay_not_negative"),
        UniqueConstraint("event_id", "type", "specifiers"),
    )


class Outcome(Base):
    __tablename__ = "sportsbook_outcomes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    market_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("sportsbook_markets.id"))
    key: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    odds: Mapped[Decimal] = mapped_column(ODDS)
    status: Mapped[str] = mapped_column(Text, default=OutcomeStatus.ACTIVE)
    # The result (NULL until resulted). A dead heat is WIN with a factor below one.
    result: Mapped[str | None] = mapped_column(Text)
    dead_heat_numerator: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    dead_heat_denominator: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The place part of each-way bets (NULL: derived from `result`).
    place_result: Mapped[str | None] = mapped_column(Text)
    place_dead_heat_numerator: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    place_dead_heat_denominator: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Races: the finishing position once resulted (NULL: not a race, not run, or open).
    position: Mapped[int | None] = mapped_column(SmallInteger)
    # The price as the feed last sent it (before our margin); NULL for manual markets.
    feed_odds: Mapped[Decimal | None] = mapped_column(ODDS)
    # A trader's price holds against feed updates until released (domain.sportsbook.trading).
    odds_overridden: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )

    __table_args__ = (
        CheckConstraint("odds > 1", name="odds_above_one"),
        CheckConstraint(_in("status", OutcomeStatus), name="status"),
        CheckConstraint(f"result IS NULL OR {_in('result', ResultKind)}", name="result"),
        CheckConstraint(
            f"place_result IS NULL OR {_in('place_result', ResultKind)}", name="place_result"
        ),
        CheckConstraint(
            "0 < dead_heat_numerator AND dead_heat_numerator <= dead_heat_denominator AND "
            "0 < place_dead_heat_numerator AND "
            "place_dead_heat_numerator <= place_dead_heat_denominator",
            name="dead_heat_factor",
        ),
        UniqueConstraint("market_id", "key"),
    )


class OutcomeLiability(Base):
    """The potential returns an outcome carries, per currency: a placement adds its bet's
    potential return to every leg's outcome with one conditional upsert (so concurrent bets
    cannot overshoot the market's limit). Kept apart from the outcome row, which the feed
    updates with every price change."""

    __tablename__ = "sportsbook_outcome_liabilities"

    outcome_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sportsbook_outcomes.id"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(Text, primary_key=True)
    liability_minor: Mapped[int] = mapped_column(BigInteger)


class Bet(Base):
    __tablename__ = "sportsbook_bets"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    brand: Mapped[str] = mapped_column(Text, ForeignKey("brands.slug"))
    player_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("players.id"))
    currency: Mapped[str] = mapped_column(Text)
    bet_type: Mapped[str] = mapped_column(Text)
    # "yankee", "lucky15", … or "3/5" for a custom k-from-n; NULL for singles/multiples.
    system_name: Mapped[str | None] = mapped_column(Text)
    # The combination sizes the bet's lines are made of: [1] single, [n] n-fold, [2,3,4]
    # Yankee, [1,2,3,4] Lucky 15, [k] k-from-n.
    combination_sizes: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    line_count: Mapped[int] = mapped_column(Integer)
    # The stake per line (per part, for each-way), as the player entered it.
    stake_minor: Mapped[int] = mapped_column(BigInteger)
    # What was debited: stake * lines * (2 if each-way).
    total_stake_minor: Mapped[int] = mapped_column(BigInteger)
    each_way: Mapped[bool] = mapped_column(Boolean)
    free_bet: Mapped[bool] = mapped_column(Boolean)
    odds_policy: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    # The return if every leg wins (and is placed): the bet's exposure.
    potential_return_minor: Mapped[int] = mapped_column(BigInteger)
    payout_minor: Mapped[int | None] = mapped_column(BigInteger)
    # How much each wallet paid (by wallet kind); payouts go back in this proportion.
    stake_split: Mapped[dict[str, int] | None] = mapped_column(JSONB)
    stake_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    payout_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    # Bumped by every settlement: part of the payout's ledger key, so a resettlement after
    # a rollback pays under a new key while a retried settlement replays the old one.
    settlement_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    settlement_run_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    idempotency_key: Mapped[str] = mapped_column(Text)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Live delay: the earliest acceptance time of a PENDING bet.
    accept_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The placing request's W3C traceparent when it was traced: the settlement links to it.
    trace_parent: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("bet_type", BetType), name="bet_type"),
        CheckConstraint(_in("status", BetStatus), name="status"),
        CheckConstraint(_in("odds_policy", OddsPolicy), name="odds_policy"),
        CheckConstraint("stake_minor > 0 AND total_stake_minor >= stake_minor", name="stake"),
        CheckConstraint("payout_minor IS NULL OR payout_minor >= 0", name="payout"),
        UniqueConstraint("brand", "player_id", "idempotency_key"),
        Index("ix_sportsbook_bets_player_id_id", "player_id", "id"),
        # Reporting finds a stake's bet by its ledger transaction (domain/reporting).
        Index("ix_sportsbook_bets_stake_transaction_id", "stake_transaction_id"),
        Index(
            "ix_sportsbook_bets_pending",
            "accept_after",
            postgresql_where=text("status = 'pending'"),
        ),
    )


class BetLeg(Base):
    __tablename__ = "sportsbook_bet_legs"

    bet_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sportsbook_bets.id"), primary_key=True
    )
    leg_number: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    outcome_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("sportsbook_outcomes.id"))
    # Denormalised from the outcome: settlement walks a market's legs by this index.
    market_id: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int] = mapped_column(BigInteger)
    requested_odds: Mapped[Decimal] = mapped_column(ODDS)
    # The odds the bet took (may differ from the requested under the odds policy).
    odds: Mapped[Decimal] = mapped_column(ODDS)
    # Each-way terms as they were when the bet was placed.
    each_way_places: Mapped[int | None] = mapped_column(SmallInteger)
    each_way_fraction_numerator: Mapped[int | None] = mapped_column(SmallInteger)
    each_way_fraction_denominator: Mapped[int | None] = mapped_column(SmallInteger)
    # Written at settlement: the result and the multiplier each part's stake took.
    result: Mapped[str | None] = mapped_column(Text)
    win_factor: Mapped[Decimal | None] = mapped_column(Numeric(20, 10))
    place_factor: Mapped[Decimal | None] = mapped_column(Numeric(20, 10))

    __table_args__ = (
        CheckConstraint("odds > 1 AND requested_odds > 1", name="odds_above_one"),
        Index("ix_sportsbook_bet_legs_market_id_bet_id", "market_id", "bet_id"),
        Index("ix_sportsbook_bet_legs_outcome_id", "outcome_id"),
    )


class SettlementRun(Base):
    """One settlement, rollback or cancellation of a market, processed in chunks by its
    lanes (`RunLane`): each lane's cursor is the last bet id it handled, so a restarted
    worker resumes where it stopped."""

    __tablename__ = "sportsbook_settlement_runs"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    market_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("sportsbook_markets.id"))
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    # The request (results per outcome, or the cancellation window), to detect a reused id.
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The bets its completed lanes changed.
    bets_processed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bets a rollback could not reverse (the player had spent the payout): left settled,
    # for the risk team.
    unreversed_bet_ids: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), default=list, server_default="{}"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("kind", RunKind), name="kind"),
        CheckConstraint(_in("status", RunStatus), name="status"),
        Index("ix_sportsbook_settlement_runs_market_id", "market_id"),
    )


class RunLane(Base):
    """One share of a run's bets, walked in bet id order in chunks by one worker: the bets
    of the players whose id's last byte is this lane modulo `lanes` (runs._NEXT_BETS), so
    a huge market's lanes run side by side and never wait for each other's wallet locks.
    Its row is the chunk's lock (a duplicate delivery waits, then resumes at the cursor)."""

    __tablename__ = "sportsbook_run_lanes"

    run_id: Mapped[uuid.UUID] = mapped_column(
        UUID, ForeignKey("sportsbook_settlement_runs.id"), primary_key=True
    )
    lane: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    # The last bet id handled (0 before the first chunk).
    cursor_bet_id: Mapped[int] = mapped_column(BigInteger)
    # How many lanes the run has.
    lanes: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    status: Mapped[str] = mapped_column(Text)
    bets_processed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        CheckConstraint(_in("status", RunStatus), name="status"),
        CheckConstraint("lane >= 0 AND lane < lanes", name="lane"),
    )


class FeedMessage(Base):
    """A feed message applied: claimed in the transaction that applies it, so a duplicate
    delivery (the feed's or the broker's) changes nothing."""

    __tablename__ = "sportsbook_feed_messages"

    producer: Mapped[str] = mapped_column(Text, primary_key=True)
    message_id: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class FeedProducer(Base):
    """A feed producer's liveness: the last `alive` heartbeat, and since when it is down
    (its markets suspended) if it is."""

    __tablename__ = "sportsbook_feed_producers"

    producer: Mapped[str] = mapped_column(Text, primary_key=True)
    last_alive_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    down_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The producer sequence of the last message applied (HTTP producers number every
    # message 1, 2, 3, …; domain.sportsbook.feed.producers): 0 before the first.
    applied_sequence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Set from a gap in its sequence until its snapshot_complete: its markets are held
    # suspended (SuspensionReason.RECOVERY) meanwhile.
    recovering_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MarketMargin(Base):
    """The margin (overround) we price a market type at, applied to the feed's odds: 0.05
    prices a book whose implied probabilities sum to 1.05. No row: the feed's own odds."""

    __tablename__ = "sportsbook_market_margins"

    market_type: Mapped[str] = mapped_column(Text, primary_key=True)
    margin: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (CheckConstraint("margin >= 0 AND margin < 1", name="margin_range"),)


class FeedMarketResults(Base):
    """What the feed says a market's results and cancellation are (`results`, the
    cancellation window), each with the sequence of the message that said it, so a late
    message never overwrites a newer one; and what the market's runs have been started to
    make of its bets (`applied_*`). domain.sportsbook.feed.results converges the second
    to the first, one run at a time."""

    __tablename__ = "sportsbook_feed_market_results"

    market_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sportsbook_markets.id"), primary_key=True
    )
    results_sequence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # results_to_json's form (outcome id -> result); NULL: no results (rolled back, or none).
    results: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    cancel_sequence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The cancellation window [from, to); both NULL: not cancelled.
    cancel_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The results the market's bets are settled (or being settled) on; NULL: none.
    applied_results: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The cancel run whose voided bets stand (its request holds the window); NULL: none.
    applied_cancel_run_id: Mapped[uuid.UUID | None] = mapped_column(UUID)

    __table_args__ = (
        CheckConstraint(
            "(cancel_from IS NULL) = (cancel_to IS NULL)", name="cancel_window_complete"
        ),
    )
