-- Posts a chunk of payouts in a few statements, whatever its size: claim every key by
-- inserting the transactions (ON CONFLICT on their key: a concurrent duplicate waits, then
-- is a replay or SH409), check the legs (SH404, SH422), lock the player wallets once each
-- in id order, insert the entries with running balances (SH402 below zero), move each
-- wallet once, one outbox event and one key row per transaction. Each item is its own
-- balanced transaction with its own digest. A scope goes through this function or through
-- stakehouse_post, never both (they claim in a different order).
CREATE OR REPLACE FUNCTION stakehouse_post_many(p_scope text, p_kind text, p_items jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $$
DECLARE
    -- The items, in the caller's order (position 1..n).
    v_brands text[];
    v_keys text[];
    v_hashes bytea[];
    v_metadata jsonb[];
    -- Every leg: the position of its item, its account and amount.
    v_leg_items integer[];
    v_leg_accounts bigint[];
    v_leg_amounts bigint[];
    -- Positions of the items this call claimed (the others are replays).
    v_claimed integer[];
    v_replayed jsonb;
    v_bad record;
    v_transactions bigint[];
    v_entry_items integer[];
    v_entry_accounts bigint[];
    v_entry_amounts bigint[];
    v_entry_currencies text[];
    v_entry_balances bigint[];
    v_entry_players uuid[];
    v_entry_wallets text[];
    v_item_balances jsonb;
BEGIN
    SELECT array_agg(e.item ->> 'brand' ORDER BY e.position),
           array_agg(e.item ->> 'key' ORDER BY e.position),
           array_agg(decode(e.item ->> 'request_hash', 'hex') ORDER BY e.position),
           array_agg(e.item -> 'metadata' ORDER BY e.position)
      INTO v_brands, v_keys, v_hashes, v_metadata
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(item, position);
    IF v_keys IS NULL THEN
        RETURN '{}'::jsonb;
    END IF;

    -- 1. Claim the keys by inserting the transactions: their unique (brand, scope, key)
    -- index makes a concurrent duplicate wait until the first commits, then skip. The
    -- caller's order is one global order (first wallet, key), so two chunks claiming
    -- overlapping keys wait in one order.
    WITH inserted AS (
        -- Each carries the digest of what step 4 writes for it (stakehouse_ledger_digest):
        -- its legs summed per account, zero sums left out.
        INSERT INTO ledger_transactions (
            id, brand, kind, idempotency_scope, idempotency_key, metadata, created_at, digest
        )
        SELECT n.id, n.brand, p_kind, p_scope, n.key, n.metadata, now(),
               stakehouse_ledger_digest(n.id, n.brand, p_kind, p_scope, n.key, n.metadata,
                                        now(), n.accounts, n.amounts)
          FROM (
            -- Read from each item, not looked up by position in p_items: that would copy
            -- the whole chunk once per item.
            SELECT nextval('ledger_transactions_id_seq'::regclass) AS id,
                   e.item ->> 'brand' AS brand, e.item ->> 'key' AS key,
                   e.item -> 'metadata' AS metadata, e.position, legs.accounts, legs.amounts
              FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(item, position)
             CROSS JOIN LATERAL (
                SELECT array_agg(l.account_id ORDER BY l.account_id) AS accounts,
                       array_agg(l.amount ORDER BY l.account_id) AS amounts
                  FROM (
                    SELECT a.account_id::bigint AS account_id, sum(a.amount::bigint)::bigint AS amount
                      FROM ROWS FROM (jsonb_array_elements_text(e.item -> 'accounts'),
                                      jsonb_array_elements_text(e.item -> 'amounts'))
                           AS a(account_id, amount)
                     GROUP BY a.account_id::bigint
                    HAVING sum(a.amount::bigint) <> 0
                  ) AS l
             ) AS legs
          ) AS n
         ORDER BY n.position
        ON CONFLICT (brand, idempotency_scope, idempotency_key) DO NOTHING
        RETURNING id, brand, idempotency_key
    )
    SELECT coalesce(array_agg(i.position ORDER BY i.position) FILTER (WHERE t.id IS NOT NULL), '{}'),
           array_agg(t.id ORDER BY i.position)
      INTO v_claimed, v_transactions
      FROM unnest(v_brands, v_keys) WITH ORDINALITY AS i(brand, key, position)
      LEFT JOIN inserted t ON t.brand = i.brand AND t.idempotency_key = i.key;

    -- The others were posted before: by this very request (a replay: its transaction), or
    -- by another one (SH409).
    SELECT i.key INTO v_bad
      FROM unnest(v_brands, v_keys, v_hashes) WITH ORDINALITY AS i(brand, key, hash, position)
      LEFT JOIN idempotency_keys k ON k.brand = i.brand AND k.scope = p_scope AND k.key = i.key
     WHERE i.position <> ALL(v_claimed)
       AND (k.key IS NULL OR k.request_hash <> i.hash OR k.result IS NULL)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'idempotency key % was used for another request', v_bad.key
            USING ERRCODE = 'SH409';
    END IF;
    SELECT coalesce(jsonb_object_agg(i.key, k.result -> 'transaction_id'), '{}'::jsonb)
      INTO v_replayed
      FROM unnest(v_brands, v_keys) WITH ORDINALITY AS i(brand, key, position)
      JOIN idempotency_keys k ON k.brand = i.brand AND k.scope = p_scope AND k.key = i.key
     WHERE i.position <> ALL(v_claimed);
    IF cardinality(v_claimed) = 0 THEN
        RETURN v_replayed;
    END IF;

    -- 2. The claimed items' legs, summed per account as a single posting sums them.
    SELECT array_agg(l.position ORDER BY l.position, l.account_id),
           array_agg(l.account_id ORDER BY l.position, l.account_id),
           array_agg(l.amount ORDER BY l.position, l.account_id)
      INTO v_leg_items, v_leg_accounts, v_leg_amounts
      FROM (
        SELECT e.position::integer AS position, a.account_id::bigint AS account_id,
               sum(a.amount::bigint)::bigint AS amount
          FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(item, position),
               ROWS FROM (jsonb_array_elements_text(e.item -> 'accounts'),
                          jsonb_array_elements_text(e.item -> 'amounts')) AS a(account_id, amount)
         WHERE e.position = ANY(v_claimed)
         GROUP BY e.position, a.account_id::bigint
      ) AS l;
    IF EXISTS (
        SELECT 1 FROM unnest(v_leg_items, v_leg_accounts) AS l(position, account_id)
          LEFT JOIN ledger_accounts a ON a.id = l.account_id AND a.brand = v_brands[l.position]
         WHERE a.id IS NULL
    ) THEN
        RAISE EXCEPTION 'a leg names an unknown account' USING ERRCODE = 'SH404';
    END IF;
    IF EXISTS (
        SELECT 1 FROM unnest(v_leg_items, v_leg_accounts, v_leg_amounts) AS l(position, account_id, amount)
          JOIN ledger_accounts a ON a.id = l.account_id
         GROUP BY l.position, a.currency HAVING sum(l.amount) <> 0
    ) THEN
        RAISE EXCEPTION 'legs do not balance per currency' USING ERRCODE = 'SH422';
    END IF;

    -- 3. Lock the player wallets, each once, in id order.
    PERFORM 1 FROM ledger_accounts
      WHERE id = ANY(v_leg_accounts) AND tracks_balance
      ORDER BY id FOR UPDATE;

    -- 4. The entries, with each wallet's running balance in the caller's order.
    SELECT array_agg(e.position ORDER BY e.position, e.account_id),
           array_agg(e.account_id ORDER BY e.position, e.account_id),
           array_agg(e.amount ORDER BY e.position, e.account_id),
           array_agg(e.currency ORDER BY e.position, e.account_id),
           array_agg(e.balance_after ORDER BY e.position, e.account_id),
           array_agg(e.player_id ORDER BY e.position, e.account_id),
           array_agg(e.kind ORDER BY e.position, e.account_id)
      INTO v_entry_items, v_entry_accounts, v_entry_amounts, v_entry_currencies,
           v_entry_balances, v_entry_players, v_entry_wallets
      FROM (
        SELECT l.position, l.account_id, l.amount, a.currency, a.player_id, a.kind,
               CASE WHEN a.tracks_balance THEN
                   a.balance + sum(l.amount) OVER (
                       PARTITION BY l.account_id ORDER BY l.position
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
               END AS balance_after
          FROM unnest(v_leg_items, v_leg_accounts, v_leg_amounts) AS l(position, account_id, amount)
          JOIN ledger_accounts a ON a.id = l.account_id
         WHERE l.amount <> 0
      ) AS e;

    SELECT e.account_id, e.balance INTO v_bad
      FROM unnest(v_entry_accounts, v_entry_balances, v_entry_amounts)
           AS e(account_id, balance, amount)
     WHERE e.balance < 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insufficient funds'
            USING ERRCODE = 'SH402',
                  DETAIL = json_build_object(
                      'account', v_bad.account_id, 'balance', v_bad.balance
                  )::text;
    END IF;

    INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after)
    SELECT v_transactions[e.position], e.account_id, e.amount, e.currency, e.balance
      FROM unnest(v_entry_items, v_entry_accounts, v_entry_amounts, v_entry_currencies,
                  v_entry_balances) AS e(position, account_id, amount, currency, balance);

    -- 5. Each wallet moves once; one outbox event and one key result per transaction.
    UPDATE ledger_accounts a
       SET balance = a.balance + d.delta
      FROM (
        SELECT e.account_id, sum(e.amount)::bigint AS delta
          FROM unnest(v_entry_accounts, v_entry_amounts, v_entry_balances)
               AS e(account_id, amount, balance)
         WHERE e.balance IS NOT NULL
         GROUP BY e.account_id
      ) AS d
     WHERE a.id = d.account_id;

    WITH per_item AS (
        SELECT e.position,
               jsonb_agg(jsonb_build_object(
                   'player_id', e.player_id, 'wallet', e.wallet, 'currency', e.currency,
                   'balance_minor', e.balance, 'delta_minor', e.amount
               ) ORDER BY e.account_id) AS changes,
               jsonb_object_agg(e.account_id::text, e.balance) AS balances
          FROM unnest(v_entry_items, v_entry_accounts, v_entry_amounts, v_entry_currencies,
                      v_entry_balances, v_entry_players, v_entry_wallets)
               AS e(position, account_id, amount, currency, balance, player_id, wallet)
         WHERE e.balance IS NOT NULL
         GROUP BY e.position
    ), outbox AS (
        INSERT INTO outbox_events (topic, brand, payload)
        SELECT 'wallets.balance_changed', v_brands[p.position], jsonb_build_object(
                   'transaction_id', v_transactions[p.position], 'kind', p_kind,
                   'changes', p.changes, 'occurred_at', now())
          FROM per_item p
         ORDER BY p.position
    )
    SELECT coalesce(jsonb_object_agg(p.position::text, p.balances), '{}'::jsonb)
      INTO v_item_balances
      FROM per_item p;

    -- Looked up by position in a jsonb object: a join here would be planned as a nested
    -- loop (arrays carry no statistics) and cost the square of the chunk.
    INSERT INTO idempotency_keys (brand, scope, key, request_hash, result)
    SELECT v_brands[r.position], p_scope, v_keys[r.position], v_hashes[r.position],
           jsonb_build_object(
               'transaction_id', v_transactions[r.position],
               'balances', coalesce(v_item_balances -> r.position::text, '{}'::jsonb),
               'metadata', v_metadata[r.position],
               'replayed', false)
      FROM unnest(v_claimed) AS r(position);

    RETURN v_replayed || (
        SELECT jsonb_object_agg(v_keys[c.position], v_transactions[c.position])
          FROM unnest(v_claimed) AS c(position)
    );
END $$
