"""Affiliates: the brand's affiliates (search by name or tracking code, keyset pages by
name), one affiliate's plan, tracking codes and monthly statements with their figures (and
as CSV); finance creates an affiliate and adds tracking codes.

The API lists the brand's first 100 affiliates by name in one answer; this page searches
and pages within that answer, its cursor the last affiliate's (name, id) shown."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.console import Console, Page, is_global_id, text_field
from web.backoffice.dashboard import brand_today
from web.backoffice.trading_setup import refusal
from web.exports import _csv

AREA: Final = "affiliates"
PAGE_SIZE: Final = 20
PLANS: Final = ("CPA", "REVSHARE", "HYBRID")
# The API answers at most 13 months of statements at once.
MONTHS_MAX: Final = 13
STATEMENT_AMOUNTS: Final = ("ngr", "carriedIn", "revshare", "cpa", "total", "carriedOut")


def month_of(text: str) -> date | None:
    """`2026-11` (or a whole day) as the month's first day; None when unreadable."""
    try:
        return date.fromisoformat(text + "-01" if len(text) == 7 else text).replace(day=1)
    except ValueError:
        return None


def months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def matches(affiliate: dict[str, Any], search: str) -> bool:
    needle = search.casefold()
    codes = (code["code"].casefold() for code in affiliate["trackingCodes"])
    return needle in affiliate["name"].casefold() or any(needle in code for code in codes)


def page_after(
    affiliates: list[dict[str, Any]], after: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The page after the cursor (an affiliate's id), ordered by (name, id), and the next
    page's cursor (None on the last page)."""
    ordered = sorted(affiliates, key=lambda a: (a["name"].casefold(), a["id"]))
    start = 0
    if after is not None:
        keys = [(a["name"].casefold(), a["id"]) for a in ordered]
        cursor = next((key for key in keys if key[1] == after), None)
        start = len(ordered) if cursor is None else keys.index(cursor) + 1
    shown = ordered[start : start + PAGE_SIZE]
    more = start + PAGE_SIZE < len(ordered)
    return shown, (shown[-1]["id"] if more and shown else None)


class AffiliatePages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def _affiliates(self, request: Request) -> tuple[list[dict[str, Any]], str | None]:
        result = await self.console.run(request, "Affiliates")
        if result.error_codes:
            return [], strings.TEXT["read_refused"].format(code=", ".join(result.error_codes))
        return list(result.data.get("affiliates") or []), None

    async def overview(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._list(request, page)

    async def _list(
        self,
        request: Request,
        page: Page,
        *,
        status: int = 200,
        error: str | None = None,
        created: dict[str, Any] | None = None,
    ) -> Response:
        search = request.query_params.get("q", "").strip()[:100]
        after = request.query_params.get("after", "")[:200]
        affiliates, problem = await self._affiliates(request)
        found = [a for a in affiliates if not search or matches(a, search)]
        shown, next_cursor = page_after(found, after if is_global_id(after, "Affiliate") else None)
        return self.console.render(
            page,
            "affiliates.html",
            status=status,
            affiliates=shown,
            search=search,
            next_cursor=next_cursor,
            paged=bool(after),
            plans=PLANS,
            created=created,
            may_manage=self.console.needs.allows("CreateAffiliate", page.viewer.granted),
            last_month=months_back(brand_today(page.brand.time_zone).replace(day=1), 1),
            error=error or problem,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def create(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "CreateAffiliate")
        if refused is not None:
            return refused
        plan = text_field(form, "plan", 20)
        cpa_amount = text_field(form, "cpa_amount", 30)
        cpa = []
        if cpa_amount:
            cpa.append(
                {
                    "currency": text_field(form, "cpa_currency", 3).upper(),
                    "amount": cpa_amount,
                    "minimumDeposits": text_field(form, "cpa_minimum_deposits", 30) or "0",
                    "minimumStakes": text_field(form, "cpa_minimum_stakes", 30) or "0",
                }
            )
        values = {
            "name": text_field(form, "name", 200),
            "plan": plan if plan in PLANS else "CPA",
            "cpa": cpa,
            "revsharePercent": text_field(form, "revshare_percent", 20) or "0",
            "negativeCarryOver": form.get("negative_carry_over") == "on",
            "postbackUrl": text_field(form, "postback_url", 500) or None,
        }
        if not values["name"] or plan not in PLANS:
            return await self._list(request, page, status=400, error=strings.TEXT["invalid_input"])
        result = await self.console.run(request, "CreateAffiliate", {"input": values})
        error = refusal(result, "createAffiliate")
        if error is not None:
            return await self._list(request, page, status=400, error=error)
        return await self._list(request, page, created=result.data["createAffiliate"])

    async def run_statements(self, request: Request) -> Response:
        """Write the brand's statements of a month that has ended and book their
        commissions; a month already stated pays nothing again."""
        page, form, refused = await self.console.act(request, AREA, "RunAffiliateStatements")
        if refused is not None:
            return refused
        month = month_of(text_field(form, "month", 10))
        if month is None:
            return await self._list(
                request, page, status=400, error=strings.TEXT["unreadable_month"]
            )
        result = await self.console.run(
            request, "RunAffiliateStatements", {"input": {"month": month.isoformat()}}
        )
        error = refusal(result, "runAffiliateStatements")
        if error is not None:
            return await self._list(request, page, status=400, error=error)
        written = len(result.data["runAffiliateStatements"]["statements"] or [])
        notice = "statements_written" if written else "statements_already_written"
        return self.console.redirect(request, f"/affiliates?notice={notice}")

    def _range(self, request: Request, page: Page) -> tuple[date, date, str | None]:
        """The months [from, to] of the page's link; by default the last 13 months to this
        one (in the brand's time zone)."""
        given = {name: request.query_params.get(name, "")[:10] for name in ("from", "to")}
        read = {name: month_of(text) if text else None for name, text in given.items()}
        last = read["to"] or brand_today(page.brand.time_zone).replace(day=1)
        first = read["from"] or months_back(last, MONTHS_MAX - 1)
        unreadable = any(given[name] and read[name] is None for name in given)
        return first, last, strings.TEXT["unreadable_month"] if unreadable else None

    async def _statements(
        self, request: Request, page: Page, affiliate_id: str
    ) -> tuple[list[dict[str, Any]] | None, date, date, str | None]:
        first, last, problem = self._range(request, page)
        result = await self.console.run(
            request,
            "AffiliateStatements",
            {"affiliate": affiliate_id, "from": first.isoformat(), "to": last.isoformat()},
        )
        if result.error_codes:
            codes = ", ".join(result.error_codes)
            return [], first, last, problem or strings.TEXT["read_refused"].format(code=codes)
        return result.data.get("affiliateStatements"), first, last, problem

    async def affiliate(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._affiliate(request, page)

    async def _affiliate(
        self, request: Request, page: Page, *, status: int = 200, error: str | None = None
    ) -> Response:
        affiliate_id = request.path_params["id"][:200]
        if not is_global_id(affiliate_id, "Affiliate"):
            return self.console.not_found(page)
        statements, first, last, problem = await self._statements(request, page, affiliate_id)
        affiliates, _ = await self._affiliates(request)
        affiliate = next((a for a in affiliates if a["id"] == affiliate_id), None)
        if statements is None or affiliate is None:
            return self.console.not_found(page)
        statements = sorted(statements, key=lambda s: (s["month"], s["currency"]), reverse=True)
        return self.console.render(
            page,
            "affiliate.html",
            status=400 if problem and status == 200 else status,
            affiliate=affiliate,
            statements=statements,
            latest_players=statements[0]["players"] if statements else None,
            first_month=first.isoformat()[:7],
            last_month=last.isoformat()[:7],
            may_manage=self.console.needs.allows("AddAffiliateTrackingCode", page.viewer.granted),
            error=error or problem,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def add_code(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "AddAffiliateTrackingCode")
        if refused is not None:
            return refused
        affiliate_id = request.path_params["id"][:200]
        if not is_global_id(affiliate_id, "Affiliate"):
            return self.console.not_found(page)
        result = await self.console.run(
            request,
            "AddAffiliateTrackingCode",
            {
                "input": {
                    "affiliateId": affiliate_id,
                    "code": text_field(form, "code", 64),
                    "campaign": text_field(form, "campaign", 200),
                }
            },
        )
        error = refusal(result, "addAffiliateTrackingCode")
        if error is not None:
            return await self._affiliate(request, page, status=400, error=error)
        return self.console.redirect(
            request, f"/affiliates/{affiliate_id}?notice=tracking_code_added"
        )

    async def csv(self, request: Request) -> Response:
        """The affiliate's statements over the page's months, one row per month and
        currency, amounts as exact decimal strings."""
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        affiliate_id = request.path_params["id"][:200]
        if not is_global_id(affiliate_id, "Affiliate"):
            return self.console.not_found(page)
        statements, _, _, problem = await self._statements(request, page, affiliate_id)
        if statements is None:
            return self.console.not_found(page)
        if problem is not None:
            return self.console.render(
                page, "message.html", status=400, title=strings.TEXT["statements"], message=problem
            )
        rows: list[tuple[str, ...]] = [
            ("month", "currency", "players", "cpa_players", *STATEMENT_AMOUNTS)
        ]
        for statement in sorted(statements, key=lambda s: (s["month"], s["currency"])):
            rows.append(
                (
                    statement["month"][:7],
                    statement["currency"],
                    str(statement["players"]),
                    str(statement["cpaPlayers"]),
                    *(str(statement[name]["amount"]) for name in STATEMENT_AMOUNTS),
                )
            )
        return Response(
            _csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": 'attachment; filename="affiliate-statements.csv"',
                "cache-control": "no-store",
            },
        )
