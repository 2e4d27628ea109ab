-- Wagering inside the stake (called by the stake paths' SQL functions, in the stake's own
-- statement): the player's active grants in the stake's currency are locked (expiry order,
-- the one lock order); a stake above the lowest max bet among them is refused (SHB01, the
-- stake's whole transaction aborts: nothing claimed, counted or moved, so nothing is ever
-- voided afterwards); otherwise the earliest-expiring grant counts the stake times its
-- contribution (game, then category, then product; unnamed: 0 %). NULL when the player
-- has no active grant. 'completed' tells the caller to convert the grant now; 'counted' and
-- 'percent' go with the stake's ledger metadata, so a rollback can take them back.
CREATE OR REPLACE FUNCTION stakehouse_bonus_wager(p_brand text, p_player uuid, p_currency text, p_amount bigint, p_product text, p_category text, p_game text)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $$
DECLARE
    v_grants uuid[];
    v_max_bet bigint;
    v_grant uuid;
    v_terms jsonb;
    v_percent integer;
    v_wagered bigint;
    v_required bigint;
    v_counted bigint;
BEGIN
    SELECT array_agg(g.id ORDER BY g.expires_at, g.granted_at, g.id), min(g.max_bet_minor)
      INTO v_grants, v_max_bet
      FROM (SELECT id, expires_at, granted_at, max_bet_minor FROM bonus_grants
             WHERE player_id = p_player AND currency = p_currency AND brand = p_brand
               AND state = 'active' AND expires_at > now()
             ORDER BY expires_at, granted_at, id
             FOR UPDATE) AS g;
    IF v_grants IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_max_bet IS NOT NULL AND p_amount > v_max_bet THEN
        RAISE EXCEPTION 'stake above the bonus max bet'
            USING ERRCODE = 'SHB01',
                  DETAIL = json_build_object('max_bet', v_max_bet)::text;
    END IF;
    v_grant := v_grants[1];
    SELECT terms INTO v_terms FROM bonus_grants WHERE id = v_grant;
    v_percent := coalesce(
        (v_terms -> 'contributions' -> 'game' ->> p_game)::integer,
        (v_terms -> 'contributions' -> 'category' ->> p_category)::integer,
        (v_terms -> 'contributions' -> 'product' ->> p_product)::integer,
        0);
    v_counted := p_amount * v_percent / 100;
    UPDATE bonus_grants
       SET wagered_minor = wagered_minor + v_counted,
           staked_by_contribution = staked_by_contribution || jsonb_build_object(
               v_percent::text,
               coalesce((staked_by_contribution ->> v_percent::text)::bigint, 0) + p_amount)
     WHERE id = v_grant
    RETURNING wagered_minor, required_minor INTO v_wagered, v_required;
    RETURN jsonb_build_object(
        'grant', v_grant, 'wagered', v_wagered, 'required', v_required,
        'counted', v_counted, 'percent', v_percent, 'staked', p_amount,
        'completed', v_wagered >= v_required);
END $$
