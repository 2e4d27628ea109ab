"""The signed-in player's pages: balances (live), history, deposit, withdrawal, inbox.

Personal pages are `Cache-Control: no-store` and carry `hx-history="false"`, so neither the
browser cache nor htmx's history snapshots keep balances after sign-out.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from web.site import labels
from web.site.protection import kind_names, period_names
from web.site.refusals import refusals
from web.site.site import Page, Site, parse_amount
from web.streams import KEEPALIVE, RESYNC_AFTER_S, event_stream, sse, subscribed

HISTORY_PAGE_SIZE: Final = 20
# The filter's choices: every transaction kind and wallet the site has a label for
# (web.site.labels, checked against the domain's kinds).
TRANSACTION_KINDS: Final = tuple(labels.TRANSACTION_KINDS)
WALLET_KINDS: Final = tuple(labels.WALLET_KINDS)
BONUS_CODE_LENGTH_MAX: Final = 64
# The overview's dashboard: this many of the latest bets and casino rounds.
DASHBOARD_BETS: Final = 5
DASHBOARD_ROUNDS: Final = 5


def _history_filters(request: Request) -> dict[str, str]:
    params = request.query_params
    filters = {
        "kind": params.get("kind", ""),
        "wallet": params.get("wallet", ""),
        "from": params.get("from", ""),
        "to": params.get("to", ""),
    }
    if filters["kind"] not in TRANSACTION_KINDS:
        filters["kind"] = ""
    if filters["wallet"] not in WALLET_KINDS:
        filters["wallet"] = ""
    for name in ("from", "to"):
        try:
            date.fromisoformat(filters[name])
        except ValueError:
            filters[name] = ""
    return filters


def _used_percent(used: Any, limit: Any) -> int:
    """How much of a limit is used, in whole percent (0-100), exactly: amounts are decimal
    strings, minutes whole numbers."""
    try:
        used_value, limit_value = Decimal(str(used)), Decimal(str(limit))
    except InvalidOperation:
        return 0
    if limit_value <= 0:
        return 100
    return int(min(Decimal(100), max(Decimal(0), used_value * 100 / limit_value)))


def _limit_rows(limits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each limit in force with the percentage of it used (money or minutes)."""
    rows = []
    for limit in limits:
        if limit.get("amount"):
            percent = _used_percent(limit["used"]["amount"], limit["amount"]["amount"])
        else:
            percent = _used_percent(limit.get("usedMinutes") or 0, limit.get("minutes") or 0)
        rows.append({**limit, "percent": percent})
    return rows


def _start_of_day(value: str) -> str | None:
    return f"{value}T00:00:00+00:00" if value else None


class AccountPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def _wallets(self, request: Request) -> list[dict[str, Any]]:
        result = await self.site.graphql.run(request, "AccountBalances")
        player = (result.data.get("viewer") or {}).get("player") or {}
        wallets: list[dict[str, Any]] = player.get("wallets") or []
        return wallets

    async def overview(self, request: Request) -> Response:
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        wallets = await self._wallets(request)
        active = [] if page.viewer.withdraw_only else await self._active_bonuses(request)
        variables = {
            "bets": DASHBOARD_BETS,
            "rounds": DASHBOARD_ROUNDS,
            "format": page.viewer.odds_format,
        }
        found = await self.site.graphql.run(request, "AccountDashboard", variables)
        player = (found.data.get("viewer") or {}).get("player") or {}
        return self.site.render(
            page,
            "account/overview.html",
            personal=True,
            wallets=wallets,
            active_bonuses=active,
            limits=_limit_rows(player.get("limits") or []),
            limit_kinds=kind_names(page),
            limit_periods=period_names(page),
            bets=[edge["node"] for edge in (player.get("bets") or {}).get("edges") or []],
            rounds=[edge["node"] for edge in (player.get("gameRounds") or {}).get("edges") or []],
        )

    async def _active_bonuses(self, request: Request) -> list[dict[str, Any]]:
        result = await self.site.graphql.run(request, "MyBonuses")
        return [grant for grant in result.data.get("myBonuses") or [] if grant["state"] == "ACTIVE"]

    async def balance_stream(self, request: Request) -> Response:
        """Server-sent events: the balances partial again after each committed change, from
        the `balanceChanged` subscription (the same pub/sub as GraphQL subscriptions)."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return Response(status_code=204)  # EventSource stops on 204
        return event_stream(self._balance_events(request, page))

    async def _balance_events(self, request: Request, page: Page) -> AsyncIterator[str]:
        events = [self.site.graphql.subscribe(request, "BalanceChanged")]
        # The state now, so a change between the page and this stream is not lost; and
        # once more when the subscription has surely started (RESYNC_AFTER_S), unless a
        # change came first.
        yield self._balances_event(page, await self._fresh_wallets(request))
        resync = True
        quiet = subscribed(events, first_quiet_s=RESYNC_AFTER_S)
        async with contextlib.aclosing(quiet) as changes:
            async for data in changes:
                if data is None and not resync:
                    yield KEEPALIVE
                    continue
                resync = False
                yield self._balances_event(page, await self._fresh_wallets(request))

    async def _fresh_wallets(self, request: Request) -> list[dict[str, Any]]:
        # The stream's context looks the session up again each time (long-lived).
        return await self._wallets(request)

    def _balances_event(self, page: Page, wallets: list[dict[str, Any]]) -> str:
        html = page.theme.environment.get_template("account/_balances.html").render(
            page=page, translations=page.theme.translations_for(page.locale), wallets=wallets
        )
        return sse("balances", html)

    async def transactions(self, request: Request) -> Response:
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        filters = _history_filters(request)
        variables = {
            "first": HISTORY_PAGE_SIZE,
            "after": request.query_params.get("after") or None,
            "kinds": [filters["kind"]] if filters["kind"] else None,
            "walletKind": filters["wallet"] or None,
            "from": _start_of_day(filters["from"]),
            "to": _start_of_day(filters["to"]),
        }
        result = await self.site.graphql.run(request, "Transactions", variables)
        if result.error_codes:
            # A stale cursor or from >= to: show the first page with a note.
            return self.site.render(
                page,
                "account/transactions.html",
                personal=True,
                status=400,
                edges=[],
                page_info={"hasNextPage": False},
                filters=filters,
                csv_url="/account/transactions.csv",
                next_url=None,
                problem=page.gettext("These filters cannot be applied."),
            )
        connection = result.data["viewer"]["player"]["transactions"]
        export = {
            "kind": filters["kind"],
            "wallet": filters["wallet"].lower(),
            "from": _start_of_day(filters["from"]) or "",
            "to": _start_of_day(filters["to"]) or "",
        }
        csv_query = urlencode({key: value for key, value in export.items() if value})
        page_info = connection["pageInfo"]
        next_url = None
        if page_info["hasNextPage"]:
            kept = {key: value for key, value in filters.items() if value}
            next_url = "/account/transactions?" + urlencode(
                {**kept, "after": page_info["endCursor"]}
            )
        return self.site.render(
            page,
            "account/transactions.html",
            personal=True,
            edges=connection["edges"],
            filters=filters,
            kinds=TRANSACTION_KINDS,
            wallet_kinds=WALLET_KINDS,
            csv_url="/account/transactions.csv" + (f"?{csv_query}" if csv_query else ""),
            next_url=next_url,
            problem=None,
        )

    async def deposit(self, request: Request) -> Response:
        return await self._payment(request, "deposit")

    async def withdraw(self, request: Request) -> Response:
        return await self._payment(request, "withdraw")

    async def _payment(self, request: Request, kind: str) -> Response:
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        template = f"account/{kind}.html"
        assert page.viewer.player is not None
        currency = str(page.viewer.player["currency"])
        values: dict[str, Any] = {
            "currency": currency,
            "wallets": await self._wallets(request),
            "two_factor": False,
        }
        if kind == "deposit":
            # A code from the promotions page arrives filled in (?code=); the API checks it.
            values["bonus_code"] = request.query_params.get("code", "")[:BONUS_CODE_LENGTH_MAX]
        if kind == "withdraw":
            # A player with 2FA confirms each withdrawal with a fresh code (step-up).
            form_data = await self.site.graphql.run(request, "WithdrawForm")
            values["two_factor"] = bool(form_data.data["viewer"]["player"]["twoFactorEnabled"])
            # Where the jurisdiction forfeits bonuses on withdrawal, the form warns, says
            # what is lost and asks for the confirmation the API requires.
            # (A withdraw-only session holds none: exclusion forfeited them.)
            forfeits = page.pack.bonus.forfeit_on_withdrawal and not page.viewer.withdraw_only
            if forfeits and await self._active_bonuses(request):
                values["bonus_forfeit"] = next(
                    (w["balance"] for w in values["wallets"] if w["kind"] == "BONUS"),
                    {"amount": "0", "currency": currency},
                )
        if request.method == "GET":
            return self.site.render(
                page, template, personal=True, outcome=None, key=secrets.token_urlsafe(16),
                partial=False, **values,
            )  # fmt: skip
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        key = str(form.get("idempotency_key") or "")
        amount = parse_amount(form.get("amount"))
        outcome: dict[str, Any]
        if amount is None:
            outcome = {"errors": [{"message": page.gettext("Enter an amount above zero.")}]}
        else:
            money = {"amount": str(amount), "currency": currency}
            operation, field = (
                ("Deposit", "deposit") if kind == "deposit" else
                ("RequestWithdrawal", "requestWithdrawal")
            )  # fmt: skip
            variables: dict[str, Any] = {"input": {"amount": money, "idempotencyKey": key}}
            if kind == "deposit":
                bonus_code = str(form.get("bonus_code") or "").strip()[:BONUS_CODE_LENGTH_MAX]
                values["bonus_code"] = bonus_code
                if bonus_code:
                    variables["input"]["bonusCode"] = bonus_code
            code = str(form.get("two_factor_code") or "").strip()
            if kind == "withdraw" and code:
                variables["input"]["twoFactorCode"] = code
            if kind == "withdraw" and form.get("forfeit_bonuses") == "yes":
                variables["input"]["forfeitBonuses"] = True
            result = await self.site.graphql.run(request, operation, variables)
            outcome = dict(result.data[field])
            # The API's English messages stay with API clients: the page says them in
            # its language, with amounts written for its locale.
            messages = await refusals(self.site, request, page, outcome["errors"])
            outcome["errors"] = [{"message": message} for message in messages]
        partial = request.headers.get("hx-request") == "true"
        status = 400 if outcome["errors"] and not partial else 200
        # A new key for the next payment; a resubmitted form replays the same one.
        return self.site.render(
            page,
            f"account/_{kind}_outcome.html" if partial else template,
            personal=True,
            status=status,
            outcome=outcome,
            key=secrets.token_urlsafe(16),
            partial=partial,
            **values,
        )

    async def inbox(self, request: Request) -> Response:
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        result = await self.site.graphql.run(request, "Inbox")
        messages = result.data["viewer"]["player"]["inbox"]
        return self.site.render(page, "account/inbox.html", personal=True, messages=messages)
