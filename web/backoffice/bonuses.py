"""Bonuses: the brand's offers, its grants by state (newest first), and cancelling an
active grant with a reason (its bonus money is taken back; audited by the API); for risk
staff, the brand's bonus abuse flags."""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.console import Console, Page, first_error, id_field, reason_of

AREA: Final = "bonuses"
ABUSE_AREA: Final = "bonus_abuse"
FLAGS_MAX: Final = 100
FLAG_KINDS: Final = ("SHARED_ADDRESS", "OPPOSITE_BETS", "LOW_ODDS", "MAX_BET_REFUSED")
GRANTS_MAX: Final = 100
STATES: Final = ("ACTIVE", "CONVERTED", "FORFEITED", "EXPIRED", "CANCELLED")


class BonusPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def desk(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        state = request.query_params.get("state", "ACTIVE")
        return await self._desk(
            request,
            page,
            state=state if state in STATES else "ACTIVE",
            notice=strings.TEXT.get(request.query_params.get("notice", "")),
        )

    async def _desk(
        self, request: Request, page: Page, *, state: str, status: int = 200, **values: Any
    ) -> Response:
        result = await self.console.run(request, "BonusDesk", {"state": state, "first": GRANTS_MAX})
        offers = result.data.get("bonusOffers") or []
        names = {offer["id"]: offer["name"] for offer in offers}
        return self.console.render(
            page,
            "bonuses.html",
            status=status,
            offers=offers,
            grants=result.data.get("bonusGrants") or [],
            offer_names=names,
            state=state,
            states=STATES,
            may_cancel=self.console.needs.allows("CancelBonusGrant", page.viewer.granted),
            **values,
        )

    async def cancel(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "CancelBonusGrant")
        if refused is not None:
            return refused
        reason = reason_of(form)
        grant = id_field(form, "grant", "BonusGrant")
        if not reason or grant is None:
            problem = "reason_required" if not reason else "invalid_input"
            return await self._desk(
                request, page, state="ACTIVE", status=400, error=strings.TEXT[problem]
            )
        result = await self.console.run(
            request, "CancelBonusGrant", {"input": {"grantId": grant, "reason": reason}}
        )
        error = first_error(result.data["cancelBonusGrant"])
        if error is not None:
            return await self._desk(request, page, state="ACTIVE", status=400, error=error)
        return self.console.redirect(request, "/bonuses?notice=grant_cancelled")

    async def abuse(self, request: Request) -> Response:
        """GET /bonuses/abuse: the brand's abuse flags for risk staff, of one kind or all."""
        page, refused = await self.console.open_area(request, ABUSE_AREA)
        if refused is not None:
            return refused
        kind = request.query_params.get("kind", "")
        chosen = kind if kind in FLAG_KINDS else None
        result = await self.console.run(
            request, "BonusAbuseFlags", {"kind": chosen, "first": FLAGS_MAX}
        )
        flags = [
            {**flag, "details": json.loads(flag["details"])}
            for flag in result.data.get("bonusAbuseFlags") or []
        ]
        return self.console.render(
            page, "bonus_abuse.html", flags=flags, kinds=FLAG_KINDS, kind=chosen
        )
