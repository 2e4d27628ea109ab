"""Payments: the withdrawal queue of the selected brand (oldest first, keyset-paged) with
approve and reject (a reason for the rejection)."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice import strings
from web.backoffice.console import (
    Console,
    Page,
    cursor_param,
    first_error,
    id_field,
    read_problem,
    reason_of,
)

AREA: Final = "payments"
QUEUE_PAGE_SIZE: Final = 50


class PaymentPages:
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
        result = await self.console.run(
            request,
            "PendingWithdrawals",
            {"first": QUEUE_PAGE_SIZE, "after": cursor_param(request)},
        )
        connection: dict[str, Any] = result.data.get("pendingWithdrawals") or {}
        problem = read_problem(result)
        error = error or problem
        return self.console.render(
            page,
            "payments.html",
            status=400 if problem else status,
            withdrawals=[edge["node"] for edge in connection.get("edges", [])],
            page_info=connection.get("pageInfo") or {},
            error=error,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
        )

    async def approve(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "ApproveWithdrawal")
        if refused is not None:
            return refused
        withdrawal = id_field(form, "withdrawal", "Payment")
        if withdrawal is None:
            return await self._queue(request, page, status=400, error=strings.TEXT["invalid_input"])
        result = await self.console.run(
            request, "ApproveWithdrawal", {"input": {"withdrawalId": withdrawal}}
        )
        error = first_error(result.data["approveWithdrawal"])
        if error is not None:
            return await self._queue(request, page, status=400, error=error)
        return self.console.redirect(request, "/payments?notice=withdrawal_approved")

    async def reject(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "RejectWithdrawal")
        if refused is not None:
            return refused
        reason = reason_of(form)
        withdrawal = id_field(form, "withdrawal", "Payment")
        if not reason or withdrawal is None:
            problem = "reason_required" if not reason else "invalid_input"
            return await self._queue(request, page, status=400, error=strings.TEXT[problem])
        result = await self.console.run(
            request, "RejectWithdrawal", {"input": {"withdrawalId": withdrawal, "reason": reason}}
        )
        error = first_error(result.data["rejectWithdrawal"])
        if error is not None:
            return await self._queue(request, page, status=400, error=error)
        return self.console.redirect(request, "/payments?notice=withdrawal_rejected")
