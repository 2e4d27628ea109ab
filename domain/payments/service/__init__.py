"""Deposits and withdrawals: the payment rows, their status machines and the money they move.

A call to the PSP never happens inside a transaction (but the payout's, under its row
lock). Each function here is one step on the caller's unit of work; the steps that span
transactions or call the PSP are run by domain.payments.flows:

    deposit     flows.deposit: initiate_deposit -> commit -> PSP
                create_deposit(deposit_request(...)) -> open_deposit -> commit;   later
                the webhook: apply_webhook -> commit
    withdrawal  request_withdrawal -> commit;   finance: reject_withdrawal -> commit, or
                approve_withdrawal (queues PayoutRequested) -> commit;   the worker
                payments.submit_payout runs flows.submit_payout: submit_payout (PSP call
                under the payment's row lock) -> commit, retried until the PSP answers;
                a pending payout ends by webhook;   a payout never placed (retries
                exhausted, or found by the scheduler's sweep) ends with abandon_payout:
                failed, funds back to cash

so a crash between steps leaves a row that says what is owed (a deposit still `initiated`, a
withdrawal `approved` without a payout reference, its message still queued), and repeating
the step completes it: the PSP call is idempotent on our payment id, and every ledger
movement has a key of its own.

Every status change writes an audit row and a `payments.status_changed` outbox event in the
same transaction.
"""

from domain.payments.service.deposits import deposit_request, initiate_deposit, open_deposit
from domain.payments.service.reads import (
    PAGE_SIZE_MAX,
    DepositFilter,
    QueueCursor,
    QueuePage,
    net_deposits,
    payments_by_id,
    pending_withdrawals,
    search_deposits,
)
from domain.payments.service.steps import Actor
from domain.payments.service.webhooks import WebhookResult, apply_webhook
from domain.payments.service.withdrawals import (
    PAYOUT_NOT_PLACED,
    PAYOUT_STUCK_AFTER,
    REASON_LENGTH_MAX,
    abandon_payout,
    approve_withdrawal,
    payout_request,
    record_payout,
    reject_withdrawal,
    request_withdrawal,
    stuck_payouts,
    submit_payout,
)

__all__ = [
    "PAGE_SIZE_MAX",
    "PAYOUT_NOT_PLACED",
    "PAYOUT_STUCK_AFTER",
    "REASON_LENGTH_MAX",
    "Actor",
    "DepositFilter",
    "QueueCursor",
    "QueuePage",
    "WebhookResult",
    "abandon_payout",
    "apply_webhook",
    "approve_withdrawal",
    "deposit_request",
    "initiate_deposit",
    "net_deposits",
    "open_deposit",
    "payments_by_id",
    "payout_request",
    "pending_withdrawals",
    "record_payout",
    "reject_withdrawal",
    "request_withdrawal",
    "search_deposits",
    "stuck_payouts",
    "submit_payout",
]
