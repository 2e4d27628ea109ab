"""KYC reviews: the selected brand's checks the provider sent to manual review (oldest
first), approved or rejected with a reason (audited; the player's tier follows)."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice.console import QueuePages, id_field, reason_of
from web.site.client import OperationResult

QUEUE_PAGE_SIZE: Final = 50
_DECISIONS: Final = {"approve": "APPROVE", "reject": "REJECT"}


class KycPages(QueuePages):
    area = "kyc"
    template = "kyc.html"

    async def read(self, request: Request) -> tuple[OperationResult, dict[str, Any]]:
        result = await self.console.run(request, "KycReviewQueue", {"first": QUEUE_PAGE_SIZE})
        return result, {"items": result.data.get("kycReviewQueue") or []}

    async def decide(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, self.area, "DecideKycReview")
        if refused is not None:
            return refused
        reason = reason_of(form)
        check = id_field(form, "check", "KycCheck")
        decision = _DECISIONS.get(str(form.get("decision") or ""))
        if not reason or check is None or decision is None:
            return await self.refuse(
                request, page, "invalid_input" if reason else "reason_required"
            )
        variables = {"input": {"checkId": check, "decision": decision, "reason": reason}}
        return await self.perform(request, page, "DecideKycReview", variables, "kyc_decided")
