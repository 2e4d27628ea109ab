-- Bet placement after one context read: share-lock the legs' outcomes and markets and check
-- they are as read ('moved' otherwise, nothing written); claim the key with the bet row;
-- add the potential return to each outcome's liability in outcome-id order (SHS01 over the
-- limit); count a paid stake toward the player's bonus wagering (stakehouse_bonus_wager:
-- SHB01 above the bonus max bet); stake through stakehouse_stake (SH402 when short); write
-- the legs. Any error: no bet, no liability, no progress, no money moved.
CREATE OR REPLACE FUNCTION stakehouse_sportsbook_place(p_brand text, p_player uuid, p_currency text, p_key text, p_request_hash bytea, p_bet jsonb, p_legs jsonb, p_wallets bigint[], p_counter bigint, p_scope text, p_stake_hash bytea, p_metadata jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $$
DECLARE
    v_bet bigint;
    v_moved integer;
    v_leg record;
    v_stake jsonb;
    v_potential bigint := (p_bet ->> 'potential_return_minor')::bigint;
    v_bonus jsonb;
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
        potential_return_minor, idempotency_key, request_hash, accept_after, trace_parent
    )
    SELECT p_brand, p_player, p_currency, b.bet_type, b.system_name, b.combination_sizes,
           b.line_count, b.stake_minor, b.total_stake_minor, b.each_way, b.free_bet,
           b.odds_policy, b.status, b.potential_return_minor, p_key, p_request_hash,
           b.accept_after, b.trace_parent
      FROM jsonb_to_record(p_bet) AS b(
          bet_type text, system_name text, combination_sizes smallint[], line_count integer,
          stake_minor bigint, total_stake_minor bigint, each_way boolean, free_bet boolean,
          odds_policy text, status text, potential_return_minor bigint,
          accept_after timestamptz, trace_parent text)
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

    IF NOT (p_bet ->> 'free_bet')::boolean THEN
        v_bonus := stakehouse_bonus_wager(
            p_brand, p_player, p_currency, (p_bet ->> 'total_stake_minor')::bigint,
            'sportsbook', NULL, NULL
        );
    END IF;
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
    -- Traders' liabilityChanged (domain.sportsbook.events.LiabilityChanged), published
    -- after commit; here, not from Python, so placement stays one round trip.
    INSERT INTO outbox_events (topic, brand, payload)
    SELECT 'sportsbook.liability_changed', p_brand,
           jsonb_build_object('market_ids', jsonb_agg(DISTINCT l.market_id ORDER BY l.market_id))
      FROM jsonb_to_recordset(p_legs) AS l(market_id bigint);
    RETURN jsonb_build_object(
        'outcome', 'accepted', 'bet_id', v_bet,
        'stake_split', v_stake -> 'metadata' -> 'split',
        'stake_transaction_id', (v_stake ->> 'transaction_id')::bigint,
        'bonus', v_bonus
    );
END $$
