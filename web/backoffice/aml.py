"""AML: the selected brand's risk queue (alerts not closed, oldest first), each with its
rule, evidence and whether it holds the player's deposits; risk staff take an alert and
close it as cleared or referred with a reason (audited by the API)."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.console import Console, Page, first_error, id_field, read_problem, reason_of

AREA: Final = "aml"
QUEUE_PAGE_SIZE: Final = 50
OUTCOMES: Final = ("CLEARED", "REFERRED")


class AmlPages:
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
        result = await self.console.run(request, "AmlQueue", {"first": QUEUE_PAGE_SIZE})
        alerts: list[dict[str, Any]] = result.data.get("amlAlerts") or []
        return self.console.render(
            page,
            "aml.html",
            status=status,
            alerts=alerts,
            outcomes=OUTCOMES,
            error=error or read_problem(result),
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def take(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "TakeAmlAlert")
        if refused is not None:
            return refused
        alert = id_field(form, "alert", "AmlAlert")
        if alert is None:
            return await self._queue(request, page, status=400, error=strings.TEXT["invalid_input"])
        result = await self.console.run(request, "TakeAmlAlert", {"input": {"alertId": alert}})
        error = first_error(result.data["takeAmlAlert"])
        if error is not None:
            return await self._queue(request, page, status=400, error=error)
        return self.console.redirect(request, "/aml?notice=aml_taken")

    async def close(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "CloseAmlAlert")
        if refused is not None:
            return refused
        alert = id_field(form, "alert", "AmlAlert")
        reason = reason_of(form)
        outcome = str(form.get("outcome") or "")
        if not reason or alert is None or outcome not in OUTCOMES:
            problem = "reason_required" if not reason else "invalid_input"
            return await self._queue(request, page, status=400, error=strings.TEXT[problem])
        variables = {"input": {"alertId": alert, "outcome": outcome, "reason": reason}}
        result = await self.console.run(request, "CloseAmlAlert", variables)
        error = first_error(result.data["closeAmlAlert"])
        if error is not None:
            return await self._queue(request, page, status=400, error=error)
        return self.console.redirect(request, "/aml?notice=aml_closed")
