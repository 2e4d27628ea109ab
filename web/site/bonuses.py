"""Bonuses on the site: the brand's promotions page (offers the viewer can claim, their
terms in plain words, claim), the account's bonuses with live wagering progress, and
forfeiting one after a confirmation that says what is lost.

A deposit offer is claimed with its code on the deposit form (the deposit mutation takes
the code and claims when the deposit is credited), so its "claim" leads there. Progress is
re-rendered by server-sent events from the `bonusUpdated` subscription, which follows
every committed stake of the player, like the live balances.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.site.refusals import refusals
from web.site.site import Page, Site
from web.streams import KEEPALIVE, RESYNC_AFTER_S, event_stream, sse, subscribed

GRANT_ID_LENGTH_MAX: Final = 200
OFFER_ID_LENGTH_MAX: Final = 200
# The promotions page's claim form, by the offer's kind: the document and its result field.
_CLAIMS: Final = {
    "BONUS": ("ClaimBonus", "claimBonus"),
    "FREE_SPINS": ("ClaimFreeSpins", "claimFreeSpins"),
    "FREE_BET": ("ClaimFreeBet", "claimFreeBet"),
}


def held_bonus(grant: Mapping[str, Any], grants: list[dict[str, Any]], bonus_wallet: str) -> str:
    """The bonus money a forfeit of `grant` would take, as the domain's end of a grant
    counts it: the bonus wallet less what the player's other active grants were given."""
    others = sum(
        Decimal(other["bonus"]["amount"])
        for other in grants
        if other["state"] == "ACTIVE" and other["id"] != grant["id"]
    )
    return str(max(Decimal(0), Decimal(bonus_wallet) - others))


class BonusPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def promotions(self, request: Request) -> Response:
        """GET /promotions: open to visitors (who sign in to claim)."""
        page = await self.site.page(request)
        return await self._promotions(request, page, problem=None, claimed=False)

    async def _promotions(
        self, request: Request, page: Page, *, problem: str | None, claimed: bool, status: int = 200
    ) -> Response:
        result = await self.site.graphql.run(request, "PromotionOffers")
        offers = result.data.get("availableBonusOffers") or []
        return self.site.render(
            page,
            "bonuses/promotions.html",
            status=status,
            personal=page.viewer.signed_in,
            offers=offers,
            problem=problem,
            claimed=claimed,
        )

    async def claim(self, request: Request) -> Response:
        """POST /promotions/claim: an opt-in offer without a deposit (a deposit offer is
        claimed with its code on the deposit form)."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        offer_id = str(form.get("offer_id") or "")[:OFFER_ID_LENGTH_MAX]
        # Free spins and a free bet are claimed by their own mutations; the form says which
        # (a wrong kind is refused by the mutation, nothing is granted).
        document, field = _CLAIMS.get(str(form.get("kind") or ""), _CLAIMS["BONUS"])
        result = await self.site.graphql.run(request, document, {"input": {"offerId": offer_id}})
        errors = result.data[field]["errors"]
        if errors:
            messages = await refusals(self.site, request, page, errors)
            return await self._promotions(
                request, page, problem=" ".join(messages), claimed=False, status=400
            )
        return self.site.redirect(request, "/account/bonuses")

    async def account_bonuses(self, request: Request) -> Response:
        """GET /account/bonuses: each bonus with its progress, time left and terms."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        grants, bonus_wallet = await self._grants_and_bonus_wallet(request, page)
        forfeited = request.query_params.get("forfeited") == "1"
        return self.site.render(
            page,
            "account/bonuses.html",
            personal=True,
            grants=grants,
            bonus_wallet=bonus_wallet,
            held_bonus=held_bonus,
            notice=page.gettext("The bonus was forfeited.") if forfeited else None,
            problem=None,
        )

    async def forfeit(self, request: Request) -> Response:
        """POST /account/bonuses/forfeit (the grant's id in the form, since a global id
        may hold a "/"), sent from the confirmation."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        grant_id = str(form.get("grant_id") or "")[:GRANT_ID_LENGTH_MAX]
        result = await self.site.graphql.run(
            request, "ForfeitBonus", {"input": {"grantId": grant_id}}
        )
        errors = result.data["forfeitBonus"]["errors"]
        if not errors:
            return self.site.redirect(request, "/account/bonuses?forfeited=1")
        grants, bonus_wallet = await self._grants_and_bonus_wallet(request, page)
        return self.site.render(
            page,
            "account/bonuses.html",
            status=400,
            personal=True,
            grants=grants,
            bonus_wallet=bonus_wallet,
            held_bonus=held_bonus,
            notice=None,
            problem=" ".join(await refusals(self.site, request, page, errors)),
        )

    async def _grants_and_bonus_wallet(
        self, request: Request, page: Page
    ) -> tuple[list[dict[str, Any]], str]:
        grants = await self._grants(request, page)
        balances = await self.site.graphql.run(request, "AccountBalances")
        player = (balances.data.get("viewer") or {}).get("player") or {}
        bonus = next(
            (w["balance"]["amount"] for w in player.get("wallets") or [] if w["kind"] == "BONUS"),
            "0",
        )
        return grants, bonus

    async def _grants(self, request: Request, page: Page) -> list[dict[str, Any]]:
        if page.viewer.withdraw_only:
            return []  # self-exclusion forfeited them, and such a session reads balances only
        result = await self.site.graphql.run(request, "MyBonuses")
        grants: list[dict[str, Any]] = result.data.get("myBonuses") or []
        return grants

    async def progress_stream(self, request: Request) -> Response:
        """Server-sent events: the active bonuses' progress again after each change."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return Response(status_code=204)  # EventSource stops on 204
        return event_stream(self._progress_events(request, page))

    async def _progress_events(self, request: Request, page: Page) -> AsyncIterator[str]:
        events = [self.site.graphql.subscribe(request, "BonusUpdated")]
        yield self._progress_event(page, await self._grants(request, page))
        resync = True
        quiet = subscribed(events, first_quiet_s=RESYNC_AFTER_S)
        async with contextlib.aclosing(quiet) as changes:
            async for data in changes:
                if data is None and resync:
                    yield self._progress_event(page, await self._grants(request, page))
                elif data is None:
                    yield KEEPALIVE
                else:
                    yield self._progress_event(page, data["bonusUpdated"])
                resync = False

    def _progress_event(self, page: Page, grants: list[dict[str, Any]]) -> str:
        """One event per bonus, named for it (`bonus-<id>`): each card on the page swaps in
        its own progress, and the terms and the forfeit confirmation around it stay."""
        template = page.theme.environment.get_template("account/_bonus_progress.html")
        translations = page.theme.translations_for(page.locale)
        events = []
        for grant in grants:
            html = template.render(page=page, translations=translations, grant=grant)
            events.append(sse(f"bonus-{grant['id']}", html))
        return "".join(events) or ": no bonuses\n\n"
