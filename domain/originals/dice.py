"""Originals Dice, provably fair.

Before a bet the player sees `sha256(server_seed)`; the server seed itself (32 random
bytes, hex) stays secret until the player rotates seeds. Each bet uses the next nonce of
the seed pair, and its roll is

    digest = HMAC-SHA256(key=server_seed, message=f"{client_seed}:{nonce}")   (ASCII)
    roll   = the first 4-byte big-endian chunk of digest below 4_294_960_000,
             modulo 10_000                                    -> 0 .. 9999 (0.00 .. 99.99)

The rejection of the top 7_296 values makes every roll exactly equally likely (a chunk is
rejected with probability 1.7e-6; all eight with ~1e-46, when the digest modulo 10_000
is used). A bet "roll under T" wins when roll < T and pays
floor(stake x (10_000 - edge) / T): the house edge is 1 %, whatever the target.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from fractions import Fraction

OUTCOMES = 10_000
# 1 % house edge: the return of any target is 99 % (a little less after rounding down).
HOUSE_EDGE_BASIS_POINTS = 100
# Win chances from 1.00 % to 98.00 %.
TARGET_MIN = 100
TARGET_MAX = 9_800
_CHUNK_LIMIT = (2**32 // OUTCOMES) * OUTCOMES
SERVER_SEED = re.compile(r"^[0-9a-f]{64}$")
CLIENT_SEED = re.compile(r"^[\x21-\x7e]{1,64}$")
NONCE_MAX = 2**31 - 1


def new_server_seed() -> str:
    return secrets.token_hex(32)


def new_client_seed() -> str:
    return secrets.token_hex(8)


def seed_hash(server_seed: str) -> str:
    """What the player sees before betting: it commits the server to its seed."""
    return hashlib.sha256(server_seed.encode("ascii")).hexdigest()


def roll(server_seed: str, client_seed: str, nonce: int) -> int:
    """The roll in hundredths (0..9999) of one bet."""
    assert 0 <= nonce <= NONCE_MAX, "nonces count bets"
    digest = hmac.new(
        server_seed.encode("ascii"), f"{client_seed}:{nonce}".encode("ascii"), hashlib.sha256
    ).digest()
    for offset in range(0, len(digest), 4):
        chunk = int.from_bytes(digest[offset : offset + 4], "big")
        if chunk < _CHUNK_LIMIT:
            return chunk % OUTCOMES
    return int.from_bytes(digest, "big") % OUTCOMES


def verify(server_seed: str, client_seed: str, nonce: int) -> int:
    """Recompute a past roll from the revealed server seed (the same function as `roll`,
    named for what the player does with it)."""
    return roll(server_seed, client_seed, nonce)


def wins(roll_value: int, target: int) -> bool:
    return roll_value < target


def multiplier(target: int) -> Fraction:
    """Payout per unit staked on a win of "roll under `target`"."""
    assert TARGET_MIN <= target <= TARGET_MAX
    return Fraction(OUTCOMES - HOUSE_EDGE_BASIS_POINTS, target)


def payout_minor(stake_minor: int, target: int, roll_value: int) -> int:
    """What a bet pays back (stake included), rounded down to the minor unit."""
    if not wins(roll_value, target):
        return 0
    return stake_minor * (OUTCOMES - HOUSE_EDGE_BASIS_POINTS) // target


def rtp_exact(stake_minor: int, target: int) -> Fraction:
    """Return of one bet over the 10_000 equally likely rolls (99 % less rounding)."""
    return Fraction(target * payout_minor(stake_minor, target, 0), OUTCOMES * stake_minor)


def format_roll(roll_value: int) -> str:
    return f"{roll_value // 100}.{roll_value % 100:02d}"
