"""The simulated calendar: competitions in their own time zones and the slots their
fixtures take (football on Saturday and Sunday afternoons and midweek evenings, tennis
through the day, basketball in the evening, races every half hour or so in the
afternoon), and each day's fixtures drawn from the seed, the day and the competition
alone, so a day looks the same whenever the simulator was started.

Spread over time zones from Sydney to New York, something is nearly always in play.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from domain.sportsbook.feed.simulated.basketball import BasketballGame
from domain.sportsbook.feed.simulated.event import Competition, SimulatedEvent
from domain.sportsbook.feed.simulated.football import FootballMatch
from domain.sportsbook.feed.simulated.racing import Outright, Race
from domain.sportsbook.feed.simulated.tennis import TennisMatch
from domain.sportsbook.markets.football import Team

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
# The spread of football strengths: wide enough for clear favourites, within the range
# where a one-goal lead is worth more with every minute that passes under the Poisson
# model (domain.sportsbook.markets.football; checked by the simulator's tests).
STRENGTH_SPREAD = 0.07

TOWNS = (
    "Ashford", "Bramley", "Carlow", "Dunmore", "Eastleigh", "Fairhaven", "Glenwood",
    "Harlow", "Irvine", "Kingsbridge", "Lakeside", "Marston", "Northgate", "Oakham",
    "Portland", "Queensbury", "Redcliffe", "Stanmore", "Thornbury", "Westfield",
)  # fmt: skip
CLUBS = ("United", "City", "Rovers", "Athletic", "Town", "Wanderers", "Albion", "FC")
FIRST_NAMES = (
    "Ana", "Ben", "Carla", "Dmitri", "Elena", "Felix", "Greta", "Hugo", "Iris",
    "Jonas", "Kenji", "Lena", "Marco", "Nina", "Oscar", "Paula", "Rafael", "Sofia",
)  # fmt: skip
LAST_NAMES = (
    "Almeida", "Berg", "Costa", "Duval", "Eriksen", "Fischer", "Garcia", "Horvat",
    "Ivanov", "Jensen", "Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Petrov",
)  # fmt: skip
HORSE_WORDS = (
    "Silver", "Northern", "Midnight", "Golden", "Royal", "Wild", "Quiet", "Desert",
    "Storm", "Harbour", "Velvet", "Copper", "Arrow", "Lantern", "Comet", "Meadow",
)  # fmt: skip


@dataclass(frozen=True)
class Calendar:
    competition: Competition
    sport: str
    # Local kick-off times by weekday.
    slots: dict[int, tuple[time, ...]]
    size: int = 20


def _at(*times: str) -> tuple[time, ...]:
    return tuple(time.fromisoformat(t) for t in times)


def _every(first: time, minutes: int, races: int) -> tuple[time, ...]:
    start = first.hour * 60 + first.minute
    return tuple(time(*divmod(start + n * minutes, 60)) for n in range(races))


EVERY_DAY = range(7)
# Two courts' order of play, a match about every hour and three quarters on each.
TENNIS_COURTS = _at(
    "11:00",
    "11:30",
    "12:45",
    "13:15",
    "14:30",
    "15:00",
    "16:15",
    "16:45",
    "18:00",
    "18:30",
    "19:45",
)
CALENDARS = (
    Calendar(
        Competition("premier-league", "Premier League", "England", "Europe/London"), "football",
        {SATURDAY: _at("12:30", "15:00", "15:00", "15:00", "17:30"),
         SUNDAY: _at("14:00", "16:30"), TUESDAY: _at("19:45", "20:00"),
         WEDNESDAY: _at("19:45", "20:00")},
    ),
    Calendar(
        Competition("bundesliga", "Bundesliga", "Germany", "Europe/Berlin"), "football",
        {FRIDAY: _at("20:30"), SATURDAY: _at("15:30", "15:30", "15:30", "18:30"),
         SUNDAY: _at("15:30", "17:30")}, 18,
    ),
    Calendar(
        Competition("j1-league", "J1 League", "Japan", "Asia/Tokyo"), "football",
        {SATURDAY: _at("14:00", "15:00", "19:00"), SUNDAY: _at("15:00", "16:00"),
         WEDNESDAY: _at("19:00", "19:30")}, 18,
    ),
    Calendar(
        Competition("mls", "Major League Soccer", "USA", "America/New_York"), "football",
        {SATURDAY: _at("19:30", "19:30", "22:30"), SUNDAY: _at("17:00"),
         WEDNESDAY: _at("19:30", "20:00")},
    ),
    Calendar(
        Competition("atp-melbourne", "ATP Melbourne", "Australia", "Australia/Melbourne"),
        "tennis", dict.fromkeys(EVERY_DAY, TENNIS_COURTS),
    ),
    Calendar(
        Competition("atp-shanghai", "ATP Shanghai", "China", "Asia/Shanghai"), "tennis",
        dict.fromkeys(EVERY_DAY, TENNIS_COURTS),
    ),
    Calendar(
        Competition("wta-paris", "WTA Paris", "France", "Europe/Paris"), "tennis",
        dict.fromkeys(EVERY_DAY, TENNIS_COURTS),
    ),
    Calendar(
        Competition("atp-miami", "ATP Miami", "USA", "America/New_York"), "tennis",
        dict.fromkeys(EVERY_DAY, TENNIS_COURTS),
    ),
    Calendar(
        Competition("nba", "NBA", "USA", "America/New_York"), "basketball",
        dict.fromkeys(EVERY_DAY, _at("19:00", "19:30", "20:00", "22:00")), 30,
    ),
    Calendar(
        Competition("euroleague", "EuroLeague", "Europe", "Europe/Madrid"), "basketball",
        {TUESDAY: _at("18:45", "20:45"), THURSDAY: _at("18:45", "20:45"),
         FRIDAY: _at("20:00", "20:45")}, 18,
    ),
    Calendar(
        Competition("kempton", "Kempton", "England", "Europe/London"), "racing",
        dict.fromkeys(EVERY_DAY, _every(time(13, 0), 35, 7)),
    ),
    Calendar(
        Competition("randwick", "Randwick", "Australia", "Australia/Sydney"), "racing",
        dict.fromkeys(EVERY_DAY, _every(time(12, 15), 35, 8)),
    ),
    Calendar(
        Competition("aqueduct", "Aqueduct", "USA", "America/New_York"), "racing",
        dict.fromkeys(EVERY_DAY, _every(time(13, 0), 30, 8)),
    ),
)  # fmt: skip


class Schedule:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._sides = {c.competition.key: self._sides_of(c) for c in CALENDARS}

    def _random(self, *parts: object) -> random.Random:
        # Seeded from text: the same seed, day and competition give the same draw.
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))  # noqa: S311

    def _sides_of(self, calendar: Calendar) -> dict[str, float] | dict[str, Team]:
        draw = self._random(calendar.competition.key, "sides")
        if calendar.sport == "football":
            names = [f"{town} {draw.choice(CLUBS)}" for town in draw.sample(TOWNS, calendar.size)]
            return {
                name: Team(
                    name,
                    round(draw.uniform(1 - STRENGTH_SPREAD, 1 + STRENGTH_SPREAD), 3),
                    round(draw.uniform(1 - STRENGTH_SPREAD, 1 + STRENGTH_SPREAD), 3),
                )
                for name in names
            }
        if calendar.sport == "tennis":
            names = sorted({f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES})
            return {name: draw.uniform(-1, 1) for name in draw.sample(names, 24)}
        if calendar.sport == "basketball":
            towns = draw.sample(TOWNS, min(calendar.size, len(TOWNS)))
            return {f"{town} {draw.choice(('Hawks', 'Giants', 'Stars', 'Bears'))}":
                    draw.uniform(104, 118) for town in towns}  # fmt: skip
        return {}

    def outrights(self, now: datetime) -> Iterator[SimulatedEvent]:
        for calendar in CALENDARS:
            if calendar.sport != "football":
                continue
            competition = calendar.competition
            teams = self._sides[competition.key]
            ratings = {
                name: (team.attack / team.defence) ** 12
                for name, team in teams.items()
                if isinstance(team, Team)
            }
            zone = ZoneInfo(competition.timezone)
            season_end = datetime(now.year + 1, 5, 24, 16, 0, tzinfo=zone)
            yield Outright(
                ref=f"sim:outright:{competition.key}:{season_end.year}", competition=competition,
                name=f"{competition.name} {season_end.year - 1}/{season_end.year % 100:02d} winner",
                starts_at=season_end, seed=f"{self.seed}:outright:{competition.key}",
                teams=ratings,
            )  # fmt: skip

    def day(self, day: date) -> Iterator[SimulatedEvent]:
        """Every fixture of the local `day` in every competition."""
        for calendar in CALENDARS:
            zone = ZoneInfo(calendar.competition.timezone)
            slots = calendar.slots.get(day.weekday(), ())
            draw = self._random(calendar.competition.key, day.isoformat())
            sides = list(self._sides[calendar.competition.key])
            draw.shuffle(sides)
            for number, slot in enumerate(slots):
                starts_at = datetime.combine(day, slot, tzinfo=zone)
                ref = f"sim:{calendar.competition.key}:{day.isoformat()}:{number}"
                seed = f"{self.seed}:{ref}"
                pair = sides[2 * number : 2 * number + 2]
                yield self._event(calendar, ref, seed, starts_at, pair=pair, draw=draw)

    def _event(
        self, calendar: Calendar, ref: str, seed: str, starts_at: datetime, *,
        pair: list[str], draw: random.Random,
    ) -> SimulatedEvent:  # fmt: skip
        competition = calendar.competition
        common = {"ref": ref, "competition": competition, "starts_at": starts_at, "seed": seed}
        sides = self._sides[competition.key]
        if calendar.sport == "football":
            home, away = (sides[name] for name in pair)
            assert isinstance(home, Team)
            assert isinstance(away, Team)
            return FootballMatch(name=f"{home.name} v {away.name}", teams=(home, away), **common)
        if calendar.sport == "tennis":
            first, second = pair
            edge = float(sides[first]) - float(sides[second])  # type: ignore[arg-type]
            best_of = 5 if competition.key.startswith("atp-melbourne") else 3
            return TennisMatch(name=f"{first} v {second}", players=(first, second), edge=edge,
                               best_of=best_of, **common)  # fmt: skip
        if calendar.sport == "basketball":
            home_name, away_name = pair
            expected = (float(sides[home_name]) + 1.5, float(sides[away_name]) - 1.5)  # type: ignore[arg-type]
            return BasketballGame(name=f"{home_name} v {away_name}", home=home_name,
                                  away=away_name, expected=expected, **common)  # fmt: skip
        runners = {
            f"{draw.choice(HORSE_WORDS)} {draw.choice(HORSE_WORDS)}": draw.lognormvariate(0, 0.7)
            for _ in range(draw.randint(5, 16))
        }
        local = starts_at.strftime("%H:%M")
        return Race(name=f"{local} {competition.name}", runners=runners,
                    handicap=draw.random() < 0.4, **common)  # fmt: skip
