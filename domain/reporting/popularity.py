"""What is popular on a brand, from the read model: the casino lobby's "top games" rail
ranks games by the bets the read model counted per day and game, so a public query reads
at most a few thousand day x game cells instead of counting up to 90 days of rounds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Subquery, cast, func, select

from domain.reporting.kinds import Product
from domain.reporting.models import DailyFigures

WINDOW_DAYS_MAX: Final = 400


def window_start(time_zone: str, days: int, now: datetime) -> date:
    """The first of the brand's last `days` business days, today included."""
    assert 1 <= days <= WINDOW_DAYS_MAX
    return now.astimezone(ZoneInfo(time_zone)).date() - timedelta(days=days - 1)


def casino_game_bets(brand: str, day_from: date) -> Subquery:
    """The brand's real-money casino bets per provider and game since `day_from` (bets net
    of rollbacks, as the read model counts them), as a subquery of (provider, game_code,
    rounds) for a caller's ranking statement: one range of the brand's days on the read
    model's (brand, day, game, currency) index."""
    return (
        select(
            DailyFigures.provider,
            DailyFigures.game.label("game_code"),
            cast(func.sum(DailyFigures.bets), BigInteger).label("rounds"),
        )
        .where(
            DailyFigures.brand == brand,
            DailyFigures.day >= day_from,
            DailyFigures.product == Product.CASINO.value,
        )
        .group_by(DailyFigures.provider, DailyFigures.game)
        .subquery("plays")
    )
