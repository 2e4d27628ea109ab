"""Payments: the withdrawal queue of the selected brand (oldest first, keyset-paged) with
approve and reject (a reason for the rejection)."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from web.backoffice.console import QueuePages, cursor_param, id_field, reason_of
from web.site.client import OperationResult

QUEUE_PAGE_SIZE: Final = 50


class PaymentPages(QueuePages):
    area = "payments"
    template = "payments.html"

    async def read(self, request: Request) -> tuple[OperationResult, dict[str, Any]]:
        variables = {"first": QUEUE_PAGE_SIZE, "after": cursor_param(request)}
        result = await self.console.run(request, "PendingWithdrawals", variables)
        connection: dict[str, Any] = result.data.get("pendingWithdrawals") or {}
        return result, {
            "withdrawals": [edge["node"] for edge in connection.get("edges", [])],
            "page_info": connection.get("pageInfo") or {},
        }

    async def approve(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, self.area, "ApproveWithdrawal")
        if refused is not None:
            return refused
        withdrawal = id_field(form, "withdrawal", "Payment")
        if withdrawal is None:
            return await self.refuse(request, page, "invalid_input")
        variables = {"input": {"withdrawalId": withdrawal}}
        notice = "withdrawal_approved"
        return await self.perform(request, page, "ApproveWithdrawal", variables, notice)

    async def reject(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, self.area, "RejectWithdrawal")
        if refused is not None:
            return refused
        reason = reason_of(form)
        withdrawal = id_field(form, "withdrawal", "Payment")
        if not reason or withdrawal is None:
            return await self.refuse(
                request, page, "invalid_input" if reason else "reason_required"
            )
        variables = {"input": {"withdrawalId": withdrawal, "reason": reason}}
        notice = "withdrawal_rejected"
        return await self.perform(request, page, "RejectWithdrawal", variables, notice)
