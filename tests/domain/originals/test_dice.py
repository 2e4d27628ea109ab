"""Provably-fair dice: the roll follows the published recipe, verifies from the revealed
seed, and pays 99 % of the stake's fair odds."""

from __future__ import annotations

import hashlib
import hmac
from fractions import Fraction

import pytest

from domain.originals import dice

SERVER_SEED = "3f" * 32
CLIENT_SEED = "lucky-client"


def _published_recipe(server_seed: str, client_seed: str, nonce: int) -> int:
    """The recipe the verify page states, written out again from the text."""
    digest = hmac.new(
        server_seed.encode(), f"{client_seed}:{nonce}".encode(), hashlib.sha256
    ).digest()
    for offset in range(0, 32, 4):
        chunk = int.from_bytes(digest[offset : offset + 4], "big")
        if chunk < 4_294_960_000:
            return chunk % 10_000
    raise AssertionError("unreachable in practice")


def test_rolls_follow_the_published_recipe_and_verify() -> None:
    for nonce in range(200):
        rolled = dice.roll(SERVER_SEED, CLIENT_SEED, nonce)
        assert 0 <= rolled <= 9_999
        assert rolled == _published_recipe(SERVER_SEED, CLIENT_SEED, nonce)
        assert dice.verify(SERVER_SEED, CLIENT_SEED, nonce) == rolled
    # Different nonces, different rolls (not all the same).
    assert len({dice.roll(SERVER_SEED, CLIENT_SEED, n) for n in range(50)}) > 40


def test_the_hash_shown_before_betting_commits_to_the_server_seed() -> None:
    seed = dice.new_server_seed()

    assert dice.SERVER_SEED.match(seed)
    assert dice.seed_hash(seed) == hashlib.sha256(seed.encode()).hexdigest()
    assert dice.seed_hash(seed) != dice.seed_hash(dice.new_server_seed())


@pytest.mark.parametrize(
    ("stake", "target", "rolled", "paid"),
    [
        (100, 4_950, 4_949, 200),
        (100, 4_950, 4_950, 0),
        (100, 100, 0, 9_900),
        (1_000, 9_800, 9_799, 1_010),
    ],
)
def test_roll_under_pays_the_fair_odds_less_one_percent(
    stake: int, target: int, rolled: int, paid: int
) -> None:
    assert dice.payout_minor(stake, target, rolled) == paid


def test_every_target_returns_at_most_99_percent() -> None:
    returns = [
        dice.rtp_exact(100, target) for target in range(dice.TARGET_MIN, dice.TARGET_MAX + 1)
    ]

    assert max(returns) == Fraction(99, 100)
    assert min(returns) >= Fraction(98, 100)
    assert dice.multiplier(4_950) == 2
