"""Trading: events with their markets and prices (keyset-paged), suspend and resume a market
with a reason, and a market type's margin."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.console import (
    Console,
    Page,
    cursor_param,
    first_error,
    id_field,
    is_global_id,
    read_problem,
    reason_of,
    text_field,
)

AREA: Final = "trading"
EVENTS_PAGE_SIZE: Final = 20
STATUSES: Final = ("SCHEDULED", "LIVE", "ENDED", "CANCELLED")


class TradingPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def events(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._events(request, page)

    async def _events(
        self, request: Request, page: Page, *, status: int = 200, error: str | None = None
    ) -> Response:
        chosen = request.query_params.get("status", "")
        result = await self.console.run(
            request,
            "TradingEvents",
            {
                "first": EVENTS_PAGE_SIZE,
                "after": cursor_param(request),
                "status": [chosen] if chosen in STATUSES else None,
            },
        )
        connection: dict[str, Any] = result.data.get("sportsbookEvents") or {}
        problem = read_problem(result)
        error = error or problem
        return self.console.render(
            page,
            "trading.html",
            status=400 if problem else status,
            events=[edge["node"] for edge in connection.get("edges", [])],
            page_info=connection.get("pageInfo") or {},
            statuses=STATUSES,
            chosen_status=chosen,
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
            may_trade=self.console.needs.allows("SuspendMarket", page.viewer.granted),
            may_create=self.console.needs.allows("CreateMarket", page.viewer.granted),
            may_result=self.console.needs.allows("ResultMarket", page.viewer.granted),
        )

    async def _market(self, request: Request, operation: str, field: str, notice: str) -> Response:
        page, form, refused = await self.console.act(request, AREA, operation)
        if refused is not None:
            return refused
        reason = reason_of(form)
        market = id_field(form, "market", "Market")
        if not reason or market is None:
            problem = "reason_required" if not reason else "invalid_input"
            return await self._events(request, page, status=400, error=strings.TEXT[problem])
        result = await self.console.run(
            request, operation, {"input": {"market": market, "reason": reason}}
        )
        error = first_error(result.data[field])
        if error is not None:
            return await self._events(request, page, status=400, error=error)
        return self.console.redirect(request, f"/trading?notice={notice}")

    async def suspend(self, request: Request) -> Response:
        return await self._market(request, "SuspendMarket", "suspendMarket", "market_suspended")

    async def resume(self, request: Request) -> Response:
        return await self._market(request, "ResumeMarket", "resumeMarket", "market_resumed")

    async def market(self, request: Request) -> Response:
        """One market: its outcomes with prices and the book's liability on each, and the
        price overrides."""
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._market_page(request, page)

    async def _market_page(
        self, request: Request, page: Page, *, status: int = 200, error: str | None = None
    ) -> Response:
        market_id = request.path_params["id"][:200]
        if not is_global_id(market_id, "Market"):
            return self.console.not_found(page)
        result = await self.console.run(request, "MarketLiabilities", {"market": market_id})
        rows = result.data.get("outcomeLiabilities") or []
        if result.error_codes or not rows:
            return self.console.not_found(page)
        return self.console.render(
            page,
            "market.html",
            status=status,
            rows=rows,
            market=rows[0]["outcome"]["market"],
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def _price(self, request: Request, operation: str, field: str, notice: str) -> Response:
        page, form, refused = await self.console.act(request, AREA, operation)
        if refused is not None:
            return refused
        reason = reason_of(form)
        outcome = id_field(form, "outcome", "Outcome")
        values = {"outcome": outcome or "", "reason": reason}
        if operation == "OverrideOdds":
            values["odds"] = text_field(form, "odds", 20)
        if not reason or outcome is None or values.get("odds") == "":
            problem = "reason_required" if not reason else "invalid_input"
            return await self._market_page(request, page, status=400, error=strings.TEXT[problem])
        result = await self.console.run(request, operation, {"input": values})
        error = first_error(result.data[field])
        if error is not None:
            return await self._market_page(request, page, status=400, error=error)
        market_id = request.path_params["id"][:200]
        return self.console.redirect(request, f"/trading/market/{market_id}?notice={notice}")

    async def override(self, request: Request) -> Response:
        return await self._price(request, "OverrideOdds", "overrideOdds", "odds_overridden")

    async def release(self, request: Request) -> Response:
        return await self._price(
            request, "ReleaseOddsOverride", "releaseOddsOverride", "override_released"
        )

    async def margin(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "SetMarketMargin")
        if refused is not None:
            return refused
        reason = reason_of(form)
        if not reason:
            return await self._events(
                request, page, status=400, error=strings.TEXT["reason_required"]
            )
        result = await self.console.run(
            request,
            "SetMarketMargin",
            {
                "input": {
                    "marketType": text_field(form, "market_type", 100),
                    "margin": text_field(form, "margin", 20),
                    "reason": reason,
                }
            },
        )
        error = first_error(result.data["setMarketMargin"])
        if error is not None:
            return await self._events(request, page, status=400, error=error)
        return self.console.redirect(request, "/trading?notice=margin_set")
