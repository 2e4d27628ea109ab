"""sportsbook: sports, competitions, events, markets, outcomes, liabilities, bets, legs,
settlement runs; the placement function; the ledger's set-based posting functions

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Placement is the hot path: after one context read (player FOR SHARE, wallets, selections)
# this one call does the rest in the caller's transaction.
# 1. Share-locks the legs' outcomes and markets and checks they are as the caller read them
#    (odds, statuses, each-way terms, event status); if not it returns 'moved' having written
#    nothing, and the caller re-reads and re-decides under the bet's odds policy.
# 2. Claims the idempotency key with the bet row (ON CONFLICT DO NOTHING: a concurrent
#    duplicate waits on the unique index, then gets 'existing').
# 3. Adds the bet's potential return to each leg outcome's liability with one conditional
#    upsert each, in outcome-id order (no deadlock between bets); the WHERE is evaluated on
#    the row's latest version under its lock, so concurrent bets cannot overshoot (SHS01).
# 4. Stakes through the ledger's own stakehouse_stake (SH402 when short), records the split.
# 5. Writes the legs.
# Any error aborts the caller's transaction: no bet, no liability, no money moved.
PLACE_FUNCTION = """
CREATE FUNCTION stakehouse_sportsbook_place(
    p_brand text, p_player uuid, p_currency text, p_key text, p_request_hash bytea,
    p_bet jsonb, p_legs jsonb, p_wallets bigint[], p_counter bigint, p_scope text,
    p_stake_hash bytea, p_metadata jsonb
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_bet bigint;
    v_moved integer;
    v_leg record;
    v_stake jsonb;
    v_potential bigint := (p_bet ->> 'potential_return_minor')::bigint;
BEGIN
    PERFORM 1 FROM sportsbook_outcomes o JOIN sportsbook_markets m ON m.id = o.market_id
     WHERE o.id IN (SELECT (l ->> 'outcome_id')::bigint FROM jsonb_array_elements(p_legs) l)
     ORDER BY o.id FOR SHARE OF o, m;
    SELECT count(*) INTO v_moved
      FROM jsonb_to_recordset(p_legs) AS l(
          outcome_id bigint, odds numeric, event_status text, each_way_places smallint,
          each_way_fraction_numerator smallint, each_way_fraction_denominator smallint)
      LEFT JOIN sportsbook_outcomes o ON o.id = l.outcome_id
      LEFT JOIN sportsbook_markets m ON m.id = o.market_id
      LEFT JOIN sportsbook_events e ON e.id = m.event_id
     WHERE o.id IS NULL OR o.odds <> l.odds OR o.status <> 'active' OR m.status <> 'active'
        OR e.status <> l.event_status
        OR m.each_way_places IS DISTINCT FROM l.each_way_places
        OR m.each_way_fraction_numerator IS DISTINCT FROM l.each_way_fraction_numerator
        OR m.each_way_fraction_denominator IS DISTINCT FROM l.each_way_fraction_denominator;
    IF v_moved > 0 THEN
        RETURN jsonb_build_object('outcome', 'moved');
    END IF;

    INSERT INTO sportsbook_bets (
        brand, player_id, currency, bet_type, system_name, combination_sizes, line_count,
        stake_minor, total_stake_minor, each_way, free_bet, odds_policy, status,
        potential_return_minor, idempotency_key, request_hash, accept_after
    )
    SELECT p_brand, p_player, p_currency, b.bet_type, b.system_name, b.combination_sizes,
           b.line_count, b.stake_minor, b.total_stake_minor, b.each_way, b.free_bet,
           b.odds_policy, b.status, b.potential_return_minor, p_key, p_request_hash,
           b.accept_after
      FROM jsonb_to_record(p_bet) AS b(
          bet_type text, system_name text, combination_sizes smallint[], line_count integer,
          stake_minor bigint, total_stake_minor bigint, each_way boolean, free_bet boolean,
          odds_policy text, status text, potential_return_minor bigint,
          accept_after timestamptz)
    ON CONFLICT (brand, player_id, idempotency_key) DO NOTHING
    RETURNING id INTO v_bet;
    IF v_bet IS NULL THEN
        RETURN jsonb_build_object('outcome', 'existing');
    END IF;

    FOR v_leg IN
        SELECT o.id AS outcome_id, m.liability_limit_minor AS limit_minor
          FROM jsonb_to_recordset(p_legs) AS l(outcome_id bigint)
          JOIN sportsbook_outcomes o ON o.id = l.outcome_id
          JOIN sportsbook_markets m ON m.id = o.market_id
         ORDER BY o.id
    LOOP
        INSERT INTO sportsbook_outcome_liabilities AS li (outcome_id, currency, liability_minor)
        SELECT v_leg.outcome_id, p_currency, v_potential
         WHERE v_leg.limit_minor IS NULL OR v_potential <= v_leg.limit_minor
        ON CONFLICT (outcome_id, currency) DO UPDATE
           SET liability_minor = li.liability_minor + excluded.liability_minor
         WHERE v_leg.limit_minor IS NULL
            OR li.liability_minor + excluded.liability_minor <= v_leg.limit_minor;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'liability limit of outcome % reached', v_leg.outcome_id
                USING ERRCODE = 'SHS01', DETAIL = v_leg.outcome_id::text;
        END IF;
    END LOOP;

    v_stake := stakehouse_stake(
        p_brand, p_scope, p_key, p_stake_hash, 'sportsbook.stake',
        p_metadata || jsonb_build_object('bet_id', v_bet), p_wallets, p_counter,
        (p_bet ->> 'total_stake_minor')::bigint
    );
    UPDATE sportsbook_bets
       SET stake_split = v_stake -> 'metadata' -> 'split',
           stake_transaction_id = (v_stake ->> 'transaction_id')::bigint
     WHERE id = v_bet;
    INSERT INTO sportsbook_bet_legs (
        bet_id, leg_number, outcome_id, market_id, event_id, requested_odds, odds,
        each_way_places, each_way_fraction_numerator, each_way_fraction_denominator
    )
    SELECT v_bet, l.leg_number, l.outcome_id, l.market_id, l.event_id, l.requested_odds,
           l.odds, l.each_way_places, l.each_way_fraction_numerator,
           l.each_way_fraction_denominator
      FROM jsonb_to_recordset(p_legs) AS l(
          leg_number smallint, outcome_id bigint, market_id bigint, event_id bigint,
          requested_odds numeric, odds numeric, each_way_places smallint,
          each_way_fraction_numerator smallint, each_way_fraction_denominator smallint);
    RETURN jsonb_build_object(
        'outcome', 'accepted', 'bet_id', v_bet,
        'stake_split', v_stake -> 'metadata' -> 'split',
        'stake_transaction_id', (v_stake ->> 'transaction_id')::bigint
    );
END $$;
"""
PLACE_SIGNATURE = (
    "stakehouse_sportsbook_place(text, uuid, text, text, bytea, jsonb, jsonb, bigint[], "
    "bigint, text, bytea, jsonb)"
)

# The ledger's set-based functions (owned by domain.wallets, called only from
# domain/wallets/settlement.py): many balanced transactions in one call, each through
# stakehouse_post (its own key claim, balance check, sorted wallet locks, entries, outbox).
# The caller orders payout items by their first wallet id, so concurrent chunks lock
# wallets in one global order. A reversal negates the entries of the transaction it
# reverses (never deletes them); one the player can no longer cover (SH402, inside its own
# subtransaction) is left out and reported under 'short'.
LEDGER_BATCH_FUNCTIONS = """
CREATE FUNCTION stakehouse_post_many(p_scope text, p_kind text, p_items jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_item record;
    v_posted jsonb;
    v_result jsonb := '{}'::jsonb;
BEGIN
    FOR v_item IN
        SELECT e.item FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(item, position)
         ORDER BY e.position
    LOOP
        v_posted := stakehouse_post(
            v_item.item ->> 'brand', p_scope, v_item.item ->> 'key',
            decode(v_item.item ->> 'request_hash', 'hex'), p_kind, v_item.item -> 'metadata',
            ARRAY(SELECT a.value::bigint
                    FROM jsonb_array_elements_text(v_item.item -> 'accounts')
                         WITH ORDINALITY AS a(value, position) ORDER BY a.position),
            ARRAY(SELECT a.value::bigint
                    FROM jsonb_array_elements_text(v_item.item -> 'amounts')
                         WITH ORDINALITY AS a(value, position) ORDER BY a.position)
        );
        v_result := v_result || jsonb_build_object(v_item.item ->> 'key', v_posted -> 'transaction_id');
    END LOOP;
    RETURN v_result;
END $$;

CREATE FUNCTION stakehouse_reverse_many(p_scope text, p_kind text, p_items jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_item record;
    v_posted jsonb;
    v_result jsonb := '{}'::jsonb;
    v_short jsonb := '[]'::jsonb;
BEGIN
    FOR v_item IN
        SELECT i.brand, i.key, i.transaction_id,
               array_agg(e.account_id ORDER BY e.id) AS accounts,
               array_agg(-e.amount ORDER BY e.id) AS amounts,
               min(e.account_id) FILTER (WHERE a.tracks_balance) AS first_wallet
          FROM jsonb_to_recordset(p_items) AS i(brand text, key text, transaction_id bigint)
          JOIN ledger_transactions t ON t.id = i.transaction_id AND t.brand = i.brand
          JOIN ledger_entries e ON e.transaction_id = t.id
          JOIN ledger_accounts a ON a.id = e.account_id
         GROUP BY i.brand, i.key, i.transaction_id
         ORDER BY first_wallet, i.key
    LOOP
        BEGIN
            v_posted := stakehouse_post(
                v_item.brand, p_scope, v_item.key,
                sha256(convert_to(v_item.key || '/' || v_item.transaction_id, 'UTF8')), p_kind,
                jsonb_build_object('reverses', v_item.transaction_id), v_item.accounts,
                v_item.amounts
            );
            v_result := v_result || jsonb_build_object(v_item.key, v_posted -> 'transaction_id');
        EXCEPTION WHEN SQLSTATE 'SH402' THEN
            v_short := v_short || to_jsonb(v_item.key);
        END;
    END LOOP;
    RETURN jsonb_build_object('posted', v_result, 'short', v_short);
END $$;
"""
LEDGER_BATCH_SIGNATURES = (
    "stakehouse_post_many(text, text, jsonb)",
    "stakehouse_reverse_many(text, text, jsonb)",
)


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _catalog() -> None:
    op.create_table(
        "sportsbook_sports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sportsbook_sports")),
        sa.UniqueConstraint("key", name=op.f("uq_sportsbook_sports_key")),
    )
    op.create_table(
        "sportsbook_competitions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("sport_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("country", sa.Text(), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["sport_id"],
            ["sportsbook_sports.id"],
            name=op.f("fk_sportsbook_competitions_sport_id_sportsbook_sports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sportsbook_competitions")),
        sa.UniqueConstraint(
            "sport_id", "key", name=op.f("uq_sportsbook_competitions_sport_id_key")
        ),
    )
    op.create_table(
        "sportsbook_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("competition_id", sa.BigInteger(), nullable=False),
        sa.Column("feed_ref", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("home", sa.Text(), nullable=True),
        sa.Column("away", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "score",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        _created_at(),
        sa.CheckConstraint(
            "status IN ('scheduled', 'live', 'ended', 'cancelled')",
            name=op.f("ck_sportsbook_events_status"),
        ),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["sportsbook_competitions.id"],
            name=op.f("fk_sportsbook_events_competition_id_sportsbook_competitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sportsbook_events")),
        sa.UniqueConstraint("feed_ref", name=op.f("uq_sportsbook_events_feed_ref")),
    )
    op.create_index(
        "ix_sportsbook_events_status_starts_at", "sportsbook_events", ["status", "starts_at"]
    )
    op.create_table(
        "sportsbook_markets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("specifiers", sa.Text(), server_default="", nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "allows_same_event_combination",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
        sa.Column("each_way_places", sa.SmallInteger(), nullable=True),
        sa.Column("each_way_fraction_numerator", sa.SmallInteger(), nullable=True),
        sa.Column("each_way_fraction_denominator", sa.SmallInteger(), nullable=True),
        sa.Column("bet_delay_seconds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("min_stake_minor", sa.BigInteger(), nullable=True),
        sa.Column("max_stake_minor", sa.BigInteger(), nullable=True),
        sa.Column("max_payout_minor", sa.BigInteger(), nullable=True),
        sa.Column("liability_limit_minor", sa.BigInteger(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'deactivated', 'settled', 'cancelled')",
            name=op.f("ck_sportsbook_markets_status"),
        ),
        sa.CheckConstraint(
            "(each_way_places IS NULL) = (each_way_fraction_numerator IS NULL) AND "
            "(each_way_places IS NULL) = (each_way_fraction_denominator IS NULL)",
            name=op.f("ck_sportsbook_markets_place_terms_complete"),
        ),
        sa.CheckConstraint(
            "each_way_places IS NULL OR (each_way_places > 0 AND "
            "each_way_fraction_numerator > 0 AND each_way_fraction_denominator > 0)",
            name=op.f("ck_sportsbook_markets_place_terms_positive"),
        ),
        sa.CheckConstraint(
            "bet_delay_seconds >= 0", name=op.f("ck_sportsbook_markets_bet_delay_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["sportsbook_events.id"],
            name=op.f("fk_sportsbook_markets_event_id_sportsbook_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sportsbook_markets")),
        sa.UniqueConstraint(
            "event_id",
            "type",
            "specifiers",
            name=op.f("uq_sportsbook_markets_event_id_type_specifiers"),
        ),
    )
    op.create_table(
        "sportsbook_outcomes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("odds", sa.Numeric(precision=10, scale=4), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("dead_heat_numerator", sa.Integer(), server_default="1", nullable=False),
        sa.Column("dead_heat_denominator", sa.Integer(), server_default="1", nullable=False),
        sa.Column("place_result", sa.Text(), nullable=True),
        sa.Column("place_dead_heat_numerator", sa.Integer(), server_default="1", nullable=False),
        sa.Column("place_dead_heat_denominator", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("odds > 1", name=op.f("ck_sportsbook_outcomes_odds_above_one")),
        sa.CheckConstraint(
            "status IN ('active', 'suspended')", name=op.f("ck_sportsbook_outcomes_status")
        ),
        sa.CheckConstraint(
            "result IS NULL OR result IN ('win', 'lose', 'void', 'half_win', 'half_lose')",
            name=op.f("ck_sportsbook_outcomes_result"),
        ),
        sa.CheckConstraint(
            "place_result IS NULL OR "
            "place_result IN ('win', 'lose', 'void', 'half_win', 'half_lose')",
            name=op.f("ck_sportsbook_outcomes_place_result"),
        ),
        sa.CheckConstraint(
            "0 < dead_heat_numerator AND dead_heat_numerator <= dead_heat_denominator AND "
            "0 < place_dead_heat_numerator AND "
            "place_dead_heat_numerator <= place_dead_heat_denominator",
            name=op.f("ck_sportsbook_outcomes_dead_heat_factor"),
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["sportsbook_markets.id"],
            name=op.f("fk_sportsbook_outcomes_market_id_sportsbook_markets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sportsbook_outcomes")),
        sa.UniqueConstraint("market_id", "key", name=op.f("uq_sportsbook_outcomes_market_id_key")),
    )
    op.create_table(
        "sportsbook_outcome_liabilities",
        sa.Column("outcome_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("liability_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["sportsbook_outcomes.id"],
            name=op.f("fk_sportsbook_outcome_liabilities_outcome_id_sportsbook_outcomes"),
        ),
        sa.PrimaryKeyConstraint(
            "outcome_id", "currency", name=op.f("pk_sportsbook_outcome_liabilities")
        ),
    )


def _bets() -> None:
    op.create_table(
        "sportsbook_bets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("player_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("bet_type", sa.Text(), nullable=False),
        sa.Column("system_name", sa.Text(), nullable=True),
        sa.Column("combination_sizes", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("stake_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_stake_minor", sa.BigInteger(), nullable=False),
        sa.Column("each_way", sa.Boolean(), nullable=False),
        sa.Column("free_bet", sa.Boolean(), nullable=False),
        sa.Column("odds_policy", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("potential_return_minor", sa.BigInteger(), nullable=False),
        sa.Column("payout_minor", sa.BigInteger(), nullable=True),
        sa.Column("stake_split", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("stake_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("payout_transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("settlement_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("settlement_run_id", sa.UUID(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.LargeBinary(), nullable=False),
        sa.Column(
            "placed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("accept_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "bet_type IN ('single', 'multiple', 'system')", name=op.f("ck_sportsbook_bets_bet_type")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'open', 'won', 'lost', 'void', 'cashed_out', 'cancelled', "
            "'refused')",
            name=op.f("ck_sportsbook_bets_status"),
        ),
        sa.CheckConstraint(
            "odds_policy IN ('none', 'higher', 'any')", name=op.f("ck_sportsbook_bets_odds_policy")
        ),
        sa.CheckConstraint(
            "stake_minor > 0 AND total_stake_minor >= stake_minor",
            name=op.f("ck_sportsbook_bets_stake"),
        ),
        sa.CheckConstraint(
            "payout_minor IS NULL OR payout_minor >= 0", name=op.f("ck_sportsbook_bets_payout")
        ),
        sa.ForeignKeyConstraint(
            ["brand"], ["brands.slug"], name=op.f("fk_sportsbook_bets_brand_brands")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_sportsbook_bets_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sportsbook_bets")),
        sa.UniqueConstraint(
            "brand",
            "player_id",
            "idempotency_key",
            name=op.f("uq_sportsbook_bets_brand_player_id_idempotency_key"),
        ),
    )
    op.create_index("ix_sportsbook_bets_player_id_id", "sportsbook_bets", ["player_id", "id"])
    op.create_index(
        "ix_sportsbook_bets_pending",
        "sportsbook_bets",
        ["accept_after"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "sportsbook_bet_legs",
        sa.Column("bet_id", sa.BigInteger(), nullable=False),
        sa.Column("leg_number", sa.SmallInteger(), nullable=False),
        sa.Column("outcome_id", sa.BigInteger(), nullable=False),
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_odds", sa.Numeric(precision=10, scale=4), nullable=False),
        sa.Column("odds", sa.Numeric(precision=10, scale=4), nullable=False),
        sa.Column("each_way_places", sa.SmallInteger(), nullable=True),
        sa.Column("each_way_fraction_numerator", sa.SmallInteger(), nullable=True),
        sa.Column("each_way_fraction_denominator", sa.SmallInteger(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("win_factor", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("place_factor", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.CheckConstraint(
            "odds > 1 AND requested_odds > 1", name=op.f("ck_sportsbook_bet_legs_odds_above_one")
        ),
        sa.ForeignKeyConstraint(
            ["bet_id"],
            ["sportsbook_bets.id"],
            name=op.f("fk_sportsbook_bet_legs_bet_id_sportsbook_bets"),
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["sportsbook_outcomes.id"],
            name=op.f("fk_sportsbook_bet_legs_outcome_id_sportsbook_outcomes"),
        ),
        sa.PrimaryKeyConstraint("bet_id", "leg_number", name=op.f("pk_sportsbook_bet_legs")),
    )
    op.create_index(
        "ix_sportsbook_bet_legs_market_id_bet_id", "sportsbook_bet_legs", ["market_id", "bet_id"]
    )
    op.create_index("ix_sportsbook_bet_legs_outcome_id", "sportsbook_bet_legs", ["outcome_id"])
    op.create_table(
        "sportsbook_settlement_runs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("market_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cursor_bet_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("bets_processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "unreversed_bet_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default="{}",
            nullable=False,
        ),
        _created_at(),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('settle', 'rollback', 'cancel')",
            name=op.f("ck_sportsbook_settlement_runs_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('running', 'completed')", name=op.f("ck_sportsbook_settlement_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["sportsbook_markets.id"],
            name=op.f("fk_sportsbook_settlement_runs_market_id_sportsbook_markets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sportsbook_settlement_runs")),
    )
    op.create_index(
        "ix_sportsbook_settlement_runs_market_id", "sportsbook_settlement_runs", ["market_id"]
    )


def upgrade() -> None:
    _catalog()
    _bets()
    # One statement per execute: asyncpg prepares each, and a prepared statement is one command.
    op.execute(PLACE_FUNCTION)
    for definition in ("\n" + LEDGER_BATCH_FUNCTIONS).split("\n\nCREATE FUNCTION")[1:]:
        op.execute("CREATE FUNCTION" + definition)


def downgrade() -> None:
    for signature in (PLACE_SIGNATURE, *LEDGER_BATCH_SIGNATURES):
        op.execute(f"DROP FUNCTION {signature}")
    for table in (
        "sportsbook_settlement_runs",
        "sportsbook_bet_legs",
        "sportsbook_bets",
        "sportsbook_outcome_liabilities",
        "sportsbook_outcomes",
        "sportsbook_markets",
        "sportsbook_events",
        "sportsbook_competitions",
        "sportsbook_sports",
    ):
        op.drop_table(table)
