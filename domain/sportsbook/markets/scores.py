"""What a finished event is, as its market rules read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchScore:
    """Football or basketball: the full-time score (basketball's after overtime) and,
    when played in halves, the half-time score."""

    home: int
    away: int
    half_time: tuple[int, int] | None = None

    @property
    def margin(self) -> int:
        return self.home - self.away

    @property
    def total(self) -> int:
        return self.home + self.away


@dataclass(frozen=True)
class SetsScore:
    """A tennis match: the games of each set played, (home, away), in order."""

    sets: tuple[tuple[int, int], ...]

    @property
    def sets_won(self) -> tuple[int, int]:
        home = sum(1 for h, a in self.sets if h > a)
        return home, len(self.sets) - home

    @property
    def games(self) -> int:
        return sum(h + a for h, a in self.sets)


@dataclass(frozen=True)
class Standings:
    """A race's finishing positions or a league's final table: (key, position) pairs; a
    shared position is a dead heat. A runner absent from it did not run (its bets void)."""

    positions: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, positions: dict[str, int]) -> Standings:
        return cls(tuple(sorted(positions.items())))

    def position(self, key: str) -> int | None:
        return dict(self.positions).get(key)

    def tied(self, position: int) -> int:
        return sum(1 for _, p in self.positions if p == position)
