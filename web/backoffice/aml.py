"""AML: the selected brand's risk queue (alerts not closed, oldest first), each with its
rule, evidence and whether it holds the player's deposits; risk staff take an alert and
close it as cleared or referred with a reason (audited by the API)."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice.console import QueuePages, id_field, reason_of
from web.site.client import OperationResult

QUEUE_PAGE_SIZE: Final = 50
OUTCOMES: Final = ("CLEARED", "REFERRED")


class AmlPages(QueuePages):
    area = "aml"
    template = "aml.html"

    async def read(self, request: Request) -> tuple[OperationResult, dict[str, Any]]:
        result = await self.console.run(request, "AmlQueue", {"first": QUEUE_PAGE_SIZE})
        return result, {"alerts": result.data.get("amlAlerts") or [], "outcomes": OUTCOMES}

    async def take(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, self.area, "TakeAmlAlert")
        if refused is not None:
            return refused
        alert = id_field(form, "alert", "AmlAlert")
        if alert is None:
            return await self.refuse(request, page, "invalid_input")
        variables = {"input": {"alertId": alert}}
        return await self.perform(request, page, "TakeAmlAlert", variables, "aml_taken")

    async def close(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, self.area, "CloseAmlAlert")
        if refused is not None:
            return refused
        alert = id_field(form, "alert", "AmlAlert")
        reason = reason_of(form)
        outcome = str(form.get("outcome") or "")
        if not reason or alert is None or outcome not in OUTCOMES:
            return await self.refuse(
                request, page, "invalid_input" if reason else "reason_required"
            )
        variables = {"input": {"alertId": alert, "outcome": outcome, "reason": reason}}
        return await self.perform(request, page, "CloseAmlAlert", variables, "aml_closed")
