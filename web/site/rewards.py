"""The account's rewards page: free spins (rounds left, the games they open, expiry),
free bets (stake, minimum odds, expiry, state) and loyalty points (balance, what can be
redeemed now, tier and progress to the next), with a form that redeems points for cash.

A brand without a loyalty programme answers `myLoyalty` with an error, so the loyalty
part is read by its own document and the page says there is none.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any, Final

from babel.numbers import get_currency_precision
from starlette.requests import Request
from starlette.responses import Response

from web.site.client import UnexpectedGraphQLError
from web.site.refusals import refusals
from web.site.site import Page, Site

POINTS_DIGITS_MAX: Final = 9
IDEMPOTENCY_KEY_LENGTH_MAX: Final = 100


class RewardsPage:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def show(self, request: Request) -> Response:
        """GET /account/rewards."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        return await self._render(request, page, notice=None, problem=None)

    async def redeem(self, request: Request) -> Response:
        """POST /account/rewards/redeem: points for cash, once per form (its key)."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        key = str(form.get("idempotency_key") or "")[:IDEMPOTENCY_KEY_LENGTH_MAX]
        written = str(form.get("points") or "").strip()
        if not written.isdigit() or len(written) > POINTS_DIGITS_MAX or int(written) <= 0:
            problem = page.gettext("Enter a whole number of points above zero.")
            return await self._render(request, page, notice=None, problem=problem, status=400)
        result = await self.site.graphql.run(
            request,
            "RedeemLoyaltyPoints",
            {"input": {"points": int(written), "idempotencyKey": key}},
        )
        answer = result.data["redeemLoyaltyPoints"]
        if answer["errors"]:
            problem = " ".join(await refusals(self.site, request, page, answer["errors"]))
            return await self._render(request, page, notice=None, problem=problem, status=400)
        cash = answer["cash"]
        notice = page.gettext("%(amount)s was added to your balance.") % {
            "amount": page.money(cash["amount"], cash["currency"])
        }
        return await self._render(request, page, notice=notice, problem=None)

    async def _game_names(self, request: Request, spins: list[dict[str, Any]]) -> dict[str, str]:
        """The names of the games the player's unused free spins open (a handful at most),
        by code; a game the brand no longer lists keeps its code."""
        codes = {code for spin in spins if spin["roundsLeft"] for code in spin["games"]}
        names = {}
        for code in sorted(codes):
            variables = {"code": code, "signedIn": False}
            found = (await self.site.graphql.run(request, "CasinoGame", variables)).data
            game = found.get("casinoGame") or {}
            names[code] = str(game.get("name") or code)
        return names

    async def _render(
        self,
        request: Request,
        page: Page,
        *,
        notice: str | None,
        problem: str | None,
        status: int = 200,
    ) -> Response:
        spins: list[dict[str, Any]] = []
        games: dict[str, str] = {}
        bets: list[dict[str, Any]] = []
        loyalty: dict[str, Any] | None = None
        if not page.viewer.withdraw_only:  # such a session reads balances only
            rewards = await self.site.graphql.run(request, "MyRewards")
            spins = rewards.data.get("myFreeSpins") or []
            bets = rewards.data.get("myFreeBets") or []
            games = await self._game_names(request, spins)
            try:
                loyalty = (await self.site.graphql.run(request, "MyLoyalty")).data["myLoyalty"]
            except UnexpectedGraphQLError:
                loyalty = None  # the brand runs no loyalty programme
        if loyalty is not None:
            programme = loyalty["programme"]
            step = int(programme["redeemPoints"])
            player = page.viewer.player
            assert player is not None  # a signed-in page
            currency = str(player["currency"])
            worth = Decimal(programme["redeemMinorUnits"]).scaleb(-get_currency_precision(currency))
            loyalty = {
                **loyalty,
                "step": step,
                "step_worth": page.money(worth, currency),
                # The most the player can redeem now, in whole steps.
                "redeemable_steps": int(loyalty["redeemablePoints"]) // step * step,
            }
        return self.site.render(
            page,
            "account/rewards.html",
            status=status,
            personal=True,
            spins=spins,
            games=games,
            bets=bets,
            loyalty=loyalty,
            key=secrets.token_urlsafe(16),
            notice=notice,
            problem=problem,
        )
