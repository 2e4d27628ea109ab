"""The demo studios' maths and catalogue: each game's certified RTP is the exact return of
its machine, seeded draws are uniform and replayable, names are invented and never repeat,
and the artwork is a deterministic drawing, not words."""

from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction

import pytest

from domain.casino.catalog import fetch_catalogue
from domain.integrations.aggregator import (
    DEMO_ROULETTE_RTP_BASIS_POINTS,
    DEMO_SLOT_RTP_BASIS_POINTS,
    TestAggregator,
)
from domain.integrations.studio_art import symbol_svg, tile_svg
from domain.originals import studio
from domain.originals.slot import simulate


@pytest.mark.parametrize("volatility", ["low", "medium", "high"])
def test_each_slot_variant_returns_exactly_its_certified_rtp(volatility: str) -> None:
    machine = studio.SLOT_VARIANTS[volatility].machine

    exact = machine.rtp_exact()

    assert round(exact * 10_000) == DEMO_SLOT_RTP_BASIS_POINTS[volatility]
    # A seeded simulation agrees within four standard errors.
    spins = 200_000
    error = 4 * (float(machine.variance_exact()) / spins) ** 0.5
    assert abs(float(simulate(machine, spins, seed=20) - exact)) < error


def test_volatility_rises_from_low_to_high() -> None:
    deviation = {
        name: float(variant.machine.variance_exact()) ** 0.5
        for name, variant in studio.SLOT_VARIANTS.items()
    }
    assert deviation["low"] < deviation["medium"] < deviation["high"]
    for variant in studio.SLOT_VARIANTS.values():
        assert all(stake % variant.machine.line_count == 0 for stake in variant.stakes_minor)


def test_every_roulette_bet_returns_36_in_37() -> None:
    for bet, covered in studio.ROULETTE_BETS.items():
        returned = Fraction(len(covered) * (36 // len(covered)), studio.ROULETTE_POCKETS)
        assert returned == Fraction(36, 37), bet
    assert round(Fraction(36, 37) * 10_000) == DEMO_ROULETTE_RTP_BASIS_POINTS
    assert len(studio.RED_NUMBERS) == 18


def test_seeded_draws_replay_exactly_and_spread_evenly() -> None:
    seed = bytes(range(32))
    one, other = studio.SeededDraw(seed), studio.SeededDraw(seed)
    assert [one.randrange(37) for _ in range(20)] == [other.randrange(37) for _ in range(20)]
    draw = studio.SeededDraw(seed)
    counts = Counter(draw.randrange(37) for _ in range(37_000))
    assert set(counts) == set(range(37))
    # Each pocket about 1000 times (a chi-square far below its 0.1 % critical value, 73.4).
    chi_square = sum((count - 1000) ** 2 / 1000 for count in counts.values())
    assert chi_square < 73.4
    assert studio.SeededDraw.fresh().seed != studio.SeededDraw.fresh().seed


def test_a_recorded_seed_gives_the_recorded_payout() -> None:
    game = studio.STUDIO_GAMES["quillmoor-002"]
    payout, detail = studio.slot_outcome(game, 400, studio.SeededDraw.fresh())
    assert studio.replay(game, 400, None, detail["seed"]) == payout
    table = studio.STUDIO_GAMES["velvetine-quayside-roulette"]
    payout, detail = studio.roulette_outcome(100, "dozen-2", studio.SeededDraw.fresh())
    assert studio.replay(table, 100, "dozen-2", detail["seed"]) == payout
    assert payout in (0, 300)


async def test_the_catalogue_names_are_invented_and_unique() -> None:
    catalogue = await fetch_catalogue(TestAggregator(page_size=7))
    names = [game.name for spec in catalogue for game in spec.games]
    # Real studios' and real games' marks that the demo must never use.
    marks = re.compile(
        r"book of|gates of|olympus|lightning|dream catcher|starburst|gonzo|bonanza|"
        r"northlight|evolution|pragmatic|netent|novomatic|play'n go",
        re.IGNORECASE,
    )
    assert len(names) == len(set(names)) == 28
    assert [name for name in names if marks.search(name)] == []
    assert [spec.name for spec in catalogue if marks.search(spec.name)] == []
    assert {spec.launch_url for spec in catalogue} == {"/studio/launch"}
    # Every listed game plays on the demo game server.
    assert {game.code for spec in catalogue for game in spec.games} == set(studio.STUDIO_GAMES)


def test_artwork_is_deterministic_per_game_and_draws_shapes_not_words() -> None:
    first = tile_svg("quillmoor-007", "Moonlit Kites", "slots")
    assert first == tile_svg("quillmoor-007", "Moonlit Kites", "slots")
    assert first != tile_svg("quillmoor-008", "Ember Kites", "slots")
    assert first.startswith("<svg") and 'width="320" height="240"' in first
    symbols = "".join(symbol_svg(symbol, "quillmoor-007", "x") for symbol in "GKSHTO7BLPMC")
    visible_text = re.findall(r">([^<]+)<", first + symbols)
    assert visible_text == ["Moonlit Kites"]  # the tile's <title>, nothing drawn as text
    assert "BELL" not in symbols.upper() and "LEMON" not in symbols.upper()
