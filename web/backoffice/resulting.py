"""Trading desk, closing the book: a trader results a market (each outcome's result) or
voids it, with a reason, through a confirm step that shows the open bets' potential returns
and the payout the result triggers before anything changes; a settled market is resulted
again (resettlement) or its settlement rolled back."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, Final

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from domain.sportsbook.markets.catalogue import MARKET_TYPES
from web.backoffice import strings
from web.backoffice.console import Console, Page, is_global_id, reason_of, text_field
from web.backoffice.trading_setup import refusal

AREA: Final = "trading"
RESULTS: Final = ("WIN", "LOSE", "VOID", "HALF_WIN", "HALF_LOSE")
RESULT_NAMES: Final = {
    "WIN": "Win",
    "LOSE": "Lose",
    "VOID": "Void",
    "HALF_WIN": "Half win",
    "HALF_LOSE": "Half lose",
}
# How the trader closes the market: by the outcomes' results, or void as a whole.
MODES: Final = ("result", "void")


def chosen_results(form: FormData | None, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Outcome id -> the result the form gives it (LOSE unless said otherwise)."""
    chosen = {}
    for row in rows:
        outcome = row["outcome"]
        value = text_field(form, f"result-{outcome['key']}", 20) if form is not None else ""
        chosen[outcome["id"]] = value if value in RESULTS else "LOSE"
    return chosen


def is_race(market: dict[str, Any]) -> bool:
    """A race's result also gives each runner's finishing position (each-way places)."""
    template = MARKET_TYPES.get(market["type"])
    return template is not None and template.each_way


def chosen_places(form: FormData | None, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Outcome id -> the finishing position the form gives it (races; none left out)."""
    places = {}
    for row in rows:
        text = text_field(form, f"place-{row['outcome']['key']}", 3) if form is not None else ""
        if text.isdigit() and int(text) > 0:
            places[row["outcome"]["id"]] = int(text)
    return places


def payout(rows: list[dict[str, Any]], results: dict[str, str]) -> list[dict[str, str]]:
    """The potential returns of the open bets on the winning outcomes, per currency: what
    settling pays at once."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if results[row["outcome"]["id"]] == "WIN":
            for money in row["liabilities"]:
                totals[money["currency"]] += Decimal(str(money["amount"]))
    return [{"amount": str(totals[code]), "currency": code} for code in sorted(totals)]


class ResultingPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def _rows(self, request: Request) -> list[dict[str, Any]]:
        market_id = request.path_params["id"][:200]
        if not is_global_id(market_id, "Market"):
            return []
        result = await self.console.run(request, "MarketLiabilities", {"market": market_id})
        return [] if result.error_codes else list(result.data.get("outcomeLiabilities") or [])

    async def form(self, request: Request) -> Response:
        """The result form: each outcome with its open bets' potential returns."""
        page, refused = await self.console.open_area(request, AREA)
        if refused is None and not self.console.needs.allows("ResultMarket", page.viewer.granted):
            refused = self.console.forbidden(page)
        if refused is not None:
            return refused
        return await self._form(request, page)

    async def _form(
        self,
        request: Request,
        page: Page,
        *,
        status: int = 200,
        error: str | None = None,
        form: FormData | None = None,
    ) -> Response:
        rows = await self._rows(request)
        if not rows:
            return self.console.not_found(page)
        return self.console.render(
            page,
            "trading_result.html",
            status=status,
            rows=rows,
            market=rows[0]["outcome"]["market"],
            results=RESULTS,
            result_names=RESULT_NAMES,
            chosen=chosen_results(form, rows),
            places=chosen_places(form, rows),
            race=is_race(rows[0]["outcome"]["market"]),
            mode=text_field(form, "mode", 10) if form is not None else "result",
            reason=reason_of(form) if form is not None else "",
            may_roll_back=self.console.needs.allows("RollbackSettlement", page.viewer.granted),
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def submit(self, request: Request) -> Response:
        """`step=review` shows what the result will do; `step=confirm` does it."""
        page, form, refused = await self.console.act(request, AREA, "ResultMarket")
        mode = text_field(form, "mode", 10)
        operation = "VoidMarket" if mode == "void" else "ResultMarket"
        if refused is None and not self.console.needs.allows(operation, page.viewer.granted):
            refused = self.console.forbidden(page)
        if refused is not None:
            return refused
        rows = await self._rows(request)
        if not rows:
            return self.console.not_found(page)
        problem = None if mode in MODES else "invalid_input"
        if not reason_of(form):
            problem = "reason_required"
        if problem is not None:
            return await self._form(
                request, page, status=400, error=strings.TEXT[problem], form=form
            )
        results = chosen_results(form, rows)
        if text_field(form, "step", 10) != "confirm":
            return self._review(page, rows, results, form)
        return await self._settle(request, page, form, rows, results)

    async def _settle(
        self,
        request: Request,
        page: Page,
        form: FormData,
        rows: list[dict[str, Any]],
        results: dict[str, str],
    ) -> Response:
        market = rows[0]["outcome"]["market"]
        variables: dict[str, Any] = {"market": market["id"], "reason": reason_of(form)}
        if text_field(form, "mode", 10) == "void":
            operation, field, notice = "VoidMarket", "voidMarket", "market_voided"
        else:
            operation, field, notice = "ResultMarket", "resultMarket", "market_resulted"
            places = chosen_places(form, rows)
            variables["outcomes"] = [
                {"outcome": key, "result": value}
                | ({"place": places[key]} if key in places else {})
                for key, value in results.items()
            ]
        result = await self.console.run(request, operation, {"input": variables})
        error = refusal(result, field)
        if error is not None:
            return await self._form(request, page, status=400, error=error, form=form)
        return self.console.redirect(
            request, f"/trading/market/{market['id']}/result?notice={notice}"
        )

    def _review(
        self,
        page: Page,
        rows: list[dict[str, Any]],
        results: dict[str, str],
        form: FormData,
    ) -> Response:
        mode = text_field(form, "mode", 10)
        return self.console.render(
            page,
            "trading_result_confirm.html",
            rows=rows,
            market=rows[0]["outcome"]["market"],
            chosen=results,
            places=chosen_places(form, rows),
            race=is_race(rows[0]["outcome"]["market"]),
            result_names=RESULT_NAMES,
            mode=mode,
            reason=reason_of(form),
            payout=payout(rows, results),
            partial=any(value in ("VOID", "HALF_WIN", "HALF_LOSE") for value in results.values()),
            each_way=is_race(rows[0]["outcome"]["market"]),
            any_open=any(row["liabilities"] for row in rows),
        )

    async def roll_back(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "RollbackSettlement")
        if refused is not None:
            return refused
        rows = await self._rows(request)
        if not rows:
            return self.console.not_found(page)
        if not reason_of(form):
            return await self._form(
                request, page, status=400, error=strings.TEXT["reason_required"]
            )
        market_id = rows[0]["outcome"]["market"]["id"]
        result = await self.console.run(
            request,
            "RollbackSettlement",
            {"input": {"market": market_id, "reason": reason_of(form)}},
        )
        error = refusal(result, "rollbackSettlement")
        if error is not None:
            return await self._form(request, page, status=400, error=error)
        return self.console.redirect(
            request, f"/trading/market/{market_id}/result?notice=settlement_rolled_back"
        )
