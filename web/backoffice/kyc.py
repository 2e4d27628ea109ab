"""KYC reviews: the selected brand's checks the provider sent to manual review (oldest
first), approved or rejected with a reason (audited; the player's tier follows)."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.console import Console, Page, first_error, id_field, reason_of

AREA: Final = "kyc"
QUEUE_PAGE_SIZE: Final = 50
_DECISIONS: Final = {"approve": "APPROVE", "reject": "REJECT"}


class KycPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def queue(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._queue(request, page)

    async def _queue(
        self, request: Request, page: Page, *, status: int = 200, error: str | None = None
    ) -> Response:
        result = await self.console.run(request, "KycReviewQueue", {"first": QUEUE_PAGE_SIZE})
        items: list[dict[str, Any]] = result.data.get("kycReviewQueue") or []
        return self.console.render(
            page,
            "kyc.html",
            status=status,
            items=items,
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def decide(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "DecideKycReview")
        if refused is not None:
            return refused
        reason = reason_of(form)
        check = id_field(form, "check", "KycCheck")
        decision = _DECISIONS.get(str(form.get("decision") or ""))
        if not reason or check is None or decision is None:
            problem = "reason_required" if not reason else "invalid_input"
            return await self._queue(request, page, status=400, error=strings.TEXT[problem])
        variables = {"input": {"checkId": check, "decision": decision, "reason": reason}}
        result = await self.console.run(request, "DecideKycReview", variables)
        error = first_error(result.data["decideKycReview"])
        if error is not None:
            return await self._queue(request, page, status=400, error=error)
        return self.console.redirect(request, "/kyc?notice=kyc_decided")
