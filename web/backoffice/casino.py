"""Casino: the brand's games (switched off ones too) with on/off per game and per provider,
and the reconciliation of rounds over a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from domain.kernel import clock
from web.backoffice import strings
from web.backoffice.console import (
    Console,
    Page,
    cursor_param,
    first_error,
    id_field,
    read_problem,
    reason_of,
    text_field,
)

AREA: Final = "casino"
RECONCILIATION_AREA: Final = "reconciliation"
GAMES_PAGE_SIZE: Final = 50
RECONCILIATION_DAYS_DEFAULT: Final = 7


def _day(value: str | None, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else default
    except ValueError:
        return default


class CasinoPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def games(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._games(request, page)

    async def _games(
        self, request: Request, page: Page, *, status: int = 200, error: str | None = None
    ) -> Response:
        search = request.query_params.get("q", "").strip()[:100] or None
        provider = request.query_params.get("provider", "").strip()[:100] or None
        result = await self.console.run(
            request,
            "CasinoManagement",
            {
                "first": GAMES_PAGE_SIZE,
                "after": cursor_param(request),
                "search": search,
                "provider": provider,
            },
        )
        connection: dict[str, Any] = result.data.get("casinoGames") or {}
        problem = read_problem(result)
        error = error or problem
        return self.console.render(
            page,
            "casino.html",
            status=400 if problem else status,
            games=[edge["node"] for edge in connection.get("edges", [])],
            providers=result.data.get("casinoProviders") or [],
            page_info=connection.get("pageInfo") or {},
            search=search or "",
            provider=provider or "",
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def switch_game(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "SetCasinoGameEnabled")
        if refused is not None:
            return refused
        reason = reason_of(form)
        game = id_field(form, "game", "CasinoGame")
        if not reason or game is None:
            problem = "reason_required" if not reason else "invalid_input"
            return await self._games(request, page, status=400, error=strings.TEXT[problem])
        result = await self.console.run(
            request,
            "SetCasinoGameEnabled",
            {"input": {"game": game,
                       "enabled": form.get("enabled") == "true", "reason": reason}},
        )  # fmt: skip
        error = first_error(result.data["setCasinoGameEnabled"])
        if error is not None:
            return await self._games(request, page, status=400, error=error)
        return self.console.redirect(request, "/casino?notice=game_switched")

    async def switch_provider(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "SetCasinoProviderEnabled")
        if refused is not None:
            return refused
        reason = reason_of(form)
        if not reason:
            return await self._games(
                request, page, status=400, error=strings.TEXT["reason_required"]
            )
        result = await self.console.run(
            request,
            "SetCasinoProviderEnabled",
            {"input": {"provider": text_field(form, "provider", 100),
                       "enabled": form.get("enabled") == "true", "reason": reason}},
        )  # fmt: skip
        error = first_error(result.data["setCasinoProviderEnabled"])
        if error is not None:
            return await self._games(request, page, status=400, error=error)
        return self.console.redirect(request, "/casino?notice=provider_switched")

    async def reconciliation(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, RECONCILIATION_AREA)
        if refused is not None:
            return refused
        today = clock.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end = _day(request.query_params.get("to"), today + timedelta(days=1))
        start = _day(
            request.query_params.get("from"), end - timedelta(days=RECONCILIATION_DAYS_DEFAULT)
        )
        provider = request.query_params.get("provider", "").strip()[:100] or None
        result = await self.console.run(
            request,
            "CasinoReconciliation",
            {"from": start.isoformat(), "to": end.isoformat(), "provider": provider,
             "after": cursor_param(request)},
        )  # fmt: skip
        report: dict[str, Any] = result.data.get("casinoReconciliation") or {}
        rounds = report.get("rounds") or {}
        return self.console.render(
            page,
            "reconciliation.html",
            status=400 if result.error_codes else 200,
            error=read_problem(result),
            totals=report.get("totals") or [],
            rounds=[edge["node"] for edge in rounds.get("edges", [])],
            page_info=rounds.get("pageInfo") or {},
            start=start.date().isoformat(),
            end=end.date().isoformat(),
            provider=provider or "",
        )
