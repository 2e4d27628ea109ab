"""Payments over GraphQL: deposit and requestWithdrawal (players), the review queue,
approveWithdrawal and rejectWithdrawal (finance), net deposits (staff), with denials that
change nothing."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from strawberry.relay import from_base64

from domain.accounts.models import Player, PlayerStatus
from domain.kernel.db import Database
from domain.payments.models import Payment
from schema import build_schema
from schema.extensions import graphql_core_schema
from tests.domain.payments.support import (
    PSP,
    assert_invariants,
    audit_actions,
    clearing_total,
    deposited,
    wallet_balances,
)
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import AURORA, Api, fresh_code
from tests.workers import eventually, flushed_broker, running_worker  # noqa: F401 (fixture)
from workers.actors import payments as payment_actors

PAYMENT = "id kind status amount { amount currency } redirectUrl failureReason reviewReason"
DEPOSIT = f"""mutation($i: DepositInput!) {{
  deposit(input: $i) {{ payment {{ {PAYMENT} }} errors {{ code field message }} }} }}"""
REQUEST = f"""mutation($i: RequestWithdrawalInput!) {{
  requestWithdrawal(input: $i) {{ withdrawal {{ {PAYMENT} }} errors {{ code field }} }} }}"""
APPROVE = f"""mutation($i: ApproveWithdrawalInput!) {{
  approveWithdrawal(input: $i) {{ withdrawal {{ {PAYMENT} }} errors {{ code field }} }} }}"""
REJECT = f"""mutation($i: RejectWithdrawalInput!) {{
  rejectWithdrawal(input: $i) {{ withdrawal {{ {PAYMENT} }} errors {{ code field }} }} }}"""
QUEUE = """query($first: Int!, $after: String) { pendingWithdrawals(first: $first, after: $after) {
  edges { node { id status amount { amount } playerId } }
  pageInfo { hasNextPage endCursor } } }"""
NET = "query($p: ID!) { playerNetDeposits(playerId: $p) { amount currency } }"


def _eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def _player(server: str, email: str) -> tuple[Api, uuid.UUID, str]:
    """A registered, signed-in player of aurora: (client, id, global id)."""
    api = Api(server, AURORA)
    registered = await api.register(email=email)
    await api.login(email)
    global_id = registered["player"]["id"]
    return api, uuid.UUID(from_base64(global_id)[1]), global_id


async def _staff(server: str, db: Database, role: str) -> Api:
    return await signed_in_staff(Api(server, AURORA), db, f"{role}@op.example", [role])


async def _status_after_payout_worker(staff: Api, withdrawal_id: str) -> str:
    """Run a real payments worker until the withdrawal leaves `APPROVED`; its status."""
    node = "query($id: ID!) { node(id: $id) { ... on Payment { status } } }"
    status = "APPROVED"

    async def decided() -> bool:
        nonlocal status
        status = (await staff.query(node, {"id": withdrawal_id})).data["node"]["status"]
        return status != "APPROVED"

    async with running_worker(payment_actors.QUEUE):
        await eventually(decided)
    return status


async def _payment_count(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Payment)) or 0)


async def _deposit(api: Api, amount: str, key: str, **extra: Any) -> dict[str, Any]:
    result = await api.query(
        DEPOSIT, {"i": {"amount": _eur(amount), "idempotencyKey": key, **extra}}
    )
    return result.data["deposit"]


async def _withdraw(api: Api, amount: str, key: str) -> dict[str, Any]:
    result = await api.query(REQUEST, {"i": {"amount": _eur(amount), "idempotencyKey": key}})
    return result.data["requestWithdrawal"]


async def test_hosted_deposit_credits_the_balance_once(server: str, db: Database) -> None:
    player, player_id, _ = await _player(server, "dee@example.com")

    opened = await _deposit(player, "25.00", "dep-1")
    payment = opened["payment"]
    assert opened["errors"] == []
    assert (payment["kind"], payment["status"]) == ("DEPOSIT", "PENDING")
    page = await player.client.get(payment["redirectUrl"])
    assert page.status_code == 200
    assert "€25.00" in page.text
    reference = urlsplit(payment["redirectUrl"]).path.rsplit("/", 1)[-1]
    query = urlsplit(payment["redirectUrl"]).query
    paid = await player.client.post(f"/test-psp/checkout/{reference}/pay?{query}")
    again = await player.client.post(f"/test-psp/checkout/{reference}/pay?{query}")

    assert (paid.status_code, again.status_code) == (200, 200)
    assert "Payment received" in paid.text
    assert await wallet_balances(db, player_id) == {"cash": 2500, "withdrawal_pending": 0}
    node = await player.query(
        "query($id: ID!) { node(id: $id) { ... on Payment { status } } }", {"id": payment["id"]}
    )
    assert node.data["node"] == {"status": "SUCCEEDED"}
    await assert_invariants(db)
    await player.aclose()


async def test_a_replayed_deposit_returns_the_same_payment(server: str, db: Database) -> None:
    player, _, _ = await _player(server, "rey@example.com")
    first = await _deposit(player, "10.00", "dep-1")

    replay = await _deposit(player, "10.00", "dep-1")
    conflict = await _deposit(player, "11.00", "dep-1")

    assert replay == first
    assert conflict == {
        "payment": None,
        "errors": [
            {
                "code": "IDEMPOTENCY_CONFLICT",
                "field": "idempotencyKey",
                "message": "This idempotency key was already used for a different request.",
            }
        ],
    }
    assert await _payment_count(db) == 1
    await player.aclose()


async def test_a_direct_deposit_is_final_at_once(server: str, db: Database) -> None:
    player, player_id, _ = await _player(server, "dir@example.com")

    paid = await _deposit(player, "10.00", "d-1", flow="DIRECT")
    declined = await _deposit(player, "10.01", "d-2", flow="DIRECT")

    assert (paid["payment"]["status"], paid["payment"]["redirectUrl"]) == ("SUCCEEDED", None)
    assert (declined["payment"]["status"], declined["payment"]["failureReason"]) == (
        "FAILED",
        "card_declined",
    )
    assert await wallet_balances(db, player_id) == {"cash": 1000, "withdrawal_pending": 0}
    await assert_invariants(db)
    await player.aclose()


async def test_an_unreachable_psp_is_a_typed_error_and_moves_nothing(
    server: str, db: Database
) -> None:
    player, player_id, _ = await _player(server, "una@example.com")

    result = await _deposit(player, "10.05", "dep-1")  # ..05: the test PSP is unreachable

    assert result["payment"] is None
    assert [error["code"] for error in result["errors"]] == ["PROVIDER_UNAVAILABLE"]
    async with db.uow() as uow:
        statuses = list(await uow.session.scalars(select(Payment.status)))
    assert statuses == ["initiated"]  # owed: the same key retries the PSP call
    assert await wallet_balances(db, player_id) == {"cash": 0, "withdrawal_pending": 0}
    await player.aclose()


async def test_a_player_suspended_after_sign_in_cannot_deposit_or_withdraw(
    server: str, db: Database
) -> None:
    player, player_id, _ = await _player(server, "sus@example.com")
    await deposited(db, player_id, 5000)
    async with db.transaction() as uow:
        row = await uow.session.get(Player, player_id)
        assert row is not None
        row.status = PlayerStatus.SUSPENDED.value

    deposit = await _deposit(player, "10.00", "dep-1")
    withdrawal = await _withdraw(player, "10.00", "w-1")

    assert [error["code"] for error in deposit["errors"]] == ["NOT_AUTHENTICATED"]
    assert [error["code"] for error in withdrawal["errors"]] == ["NOT_AUTHENTICATED"]
    assert await _payment_count(db) == 1  # the deposit that funded the player
    assert await wallet_balances(db, player_id) == {"cash": 5000, "withdrawal_pending": 0}
    await player.aclose()


async def test_withdrawal_request_holds_the_funds_and_cannot_be_cancelled(
    server: str, db: Database
) -> None:
    player, player_id, _ = await _player(server, "wil@example.com")
    await deposited(db, player_id, 5000)

    requested = await _withdraw(player, "20.00", "w-1")
    replay = await _withdraw(player, "20.00", "w-1")
    too_much = await _withdraw(player, "30.01", "w-2")

    assert requested["errors"] == []
    assert requested["withdrawal"]["status"] == "REQUESTED"
    assert replay == requested
    assert [error["code"] for error in too_much["errors"]] == ["INSUFFICIENT_FUNDS"]
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 2000}
    # No way back for the player: nothing in the schema cancels a withdrawal.
    mutation_type = graphql_core_schema(build_schema()).mutation_type
    assert mutation_type is not None
    assert [
        name
        for name in mutation_type.fields
        if "cancel" in name.lower()
        and any(w in name.lower() for w in ("withdraw", "payout", "payment"))
    ] == []
    approve = await player.query(APPROVE, {"i": {"withdrawalId": requested["withdrawal"]["id"]}})
    assert [e["code"] for e in approve.data["approveWithdrawal"]["errors"]] == ["PERMISSION_DENIED"]
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 2000}
    await assert_invariants(db)
    await player.aclose()


async def test_a_player_with_two_factor_confirms_a_withdrawal_with_a_fresh_code(
    server: str, db: Database
) -> None:
    player, player_id, _ = await _player(server, "stu@example.com")
    begin = "mutation { beginTwoFactorEnrolment { secret } }"
    confirm = "mutation($c: String!) { confirmTwoFactorEnrolment(input: {code: $c}) { enabled } }"
    secret = (await player.query(begin)).data["beginTwoFactorEnrolment"]["secret"]
    enabled = await player.query(confirm, {"c": fresh_code(secret)})
    assert enabled.data["confirmTwoFactorEnrolment"] == {"enabled": True}
    await deposited(db, player_id, 5000)
    payments_before = await _payment_count(db)

    async def withdraw(key: str, code: str | None) -> dict[str, Any]:
        values = {"amount": _eur("20.00"), "idempotencyKey": key, "twoFactorCode": code}
        return (await player.query(REQUEST, {"i": values})).data["requestWithdrawal"]

    without = await withdraw("w-1", None)
    wrong = await withdraw("w-1", "000000")
    assert without == {"withdrawal": None, "errors": [
        {"code": "TWO_FACTOR_REQUIRED", "field": "twoFactorCode"}]}  # fmt: skip
    assert wrong == {"withdrawal": None, "errors": [
        {"code": "INVALID_TWO_FACTOR_CODE", "field": "twoFactorCode"}]}  # fmt: skip
    assert await _payment_count(db) == payments_before
    assert await wallet_balances(db, player_id) == {"cash": 5000, "withdrawal_pending": 0}

    code = fresh_code(secret, steps_ahead=1)
    confirmed = await withdraw("w-1", code)
    retry = await withdraw("w-1", None)  # the same request again: confirmed the first time
    replayed_code = await withdraw("w-2", code)

    assert confirmed["errors"] == [] and confirmed["withdrawal"]["status"] == "REQUESTED"
    assert retry == confirmed
    assert replayed_code["errors"] == [
        {"code": "INVALID_TWO_FACTOR_CODE", "field": "twoFactorCode"}
    ]
    assert await _payment_count(db) == payments_before + 1
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 2000}
    await assert_invariants(db)
    await player.aclose()


async def test_finance_approves_and_the_payout_succeeds(server: str, db: Database) -> None:
    player, player_id, player_gid = await _player(server, "pay@example.com")
    await deposited(db, player_id, 5000)
    withdrawal = (await _withdraw(player, "20.00", "w-1"))["withdrawal"]
    finance = await _staff(server, db, "finance")

    queue = (await finance.query(QUEUE, {"first": 10})).data["pendingWithdrawals"]
    approved = (await finance.query(APPROVE, {"i": {"withdrawalId": withdrawal["id"]}})).data
    empty = (await finance.query(QUEUE, {"first": 10})).data["pendingWithdrawals"]
    # The approval queued the payout; a worker places it with the PSP.
    status = await _status_after_payout_worker(finance, withdrawal["id"])
    net = (await finance.query(NET, {"p": player_gid})).data["playerNetDeposits"]

    assert [edge["node"] for edge in queue["edges"]] == [
        {"id": withdrawal["id"], "status": "REQUESTED", "amount": {"amount": "20.00"},
         "playerId": player_gid}
    ]  # fmt: skip
    assert approved["approveWithdrawal"]["errors"] == []
    assert approved["approveWithdrawal"]["withdrawal"]["status"] == "APPROVED"
    assert status == "SUCCEEDED"
    assert empty == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    assert net == {"amount": "30.00", "currency": "EUR"}
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 0}
    assert await clearing_total(db) == -3000
    payment_id = uuid.UUID(from_base64(withdrawal["id"])[1])
    assert await audit_actions(db, payment_id) == [
        "payment.withdrawal.request",
        "payment.withdrawal.approve",
        "payment.withdrawal.pay",
    ]
    await assert_invariants(db)
    await player.aclose()
    await finance.aclose()


async def test_finance_rejects_and_the_funds_return(server: str, db: Database) -> None:
    player, player_id, _ = await _player(server, "rej@example.com")
    await deposited(db, player_id, 5000)
    withdrawal = (await _withdraw(player, "20.00", "w-1"))["withdrawal"]
    finance = await _staff(server, db, "finance")

    no_reason = await finance.query(REJECT, {"i": {"withdrawalId": withdrawal["id"], "reason": ""}})
    rejected = await finance.query(
        REJECT, {"i": {"withdrawalId": withdrawal["id"], "reason": "Source of funds"}}
    )
    twice = await finance.query(APPROVE, {"i": {"withdrawalId": withdrawal["id"]}})

    assert no_reason.data["rejectWithdrawal"]["errors"] == [
        {"code": "REASON_REQUIRED", "field": "reason"}
    ]
    payload = rejected.data["rejectWithdrawal"]
    assert (payload["withdrawal"]["status"], payload["withdrawal"]["reviewReason"]) == (
        "REJECTED",
        "Source of funds",
    )
    assert twice.data["approveWithdrawal"]["errors"] == [
        {"code": "WITHDRAWAL_ALREADY_REVIEWED", "field": "withdrawalId"}
    ]
    assert await wallet_balances(db, player_id) == {"cash": 5000, "withdrawal_pending": 0}
    payment_id = uuid.UUID(from_base64(withdrawal["id"])[1])
    assert await audit_actions(db, payment_id) == [
        "payment.withdrawal.request",
        "payment.withdrawal.reject",
    ]
    await assert_invariants(db)
    await player.aclose()
    await finance.aclose()


async def test_a_failed_payout_returns_the_funds(server: str, db: Database) -> None:
    player, player_id, _ = await _player(server, "fai@example.com")
    await deposited(db, player_id, 5000)
    withdrawal = (await _withdraw(player, "20.01", "w-1"))["withdrawal"]  # ..01: payout fails
    finance = await _staff(server, db, "finance")

    result = await finance.query(APPROVE, {"i": {"withdrawalId": withdrawal["id"]}})
    status = await _status_after_payout_worker(finance, withdrawal["id"])

    assert result.data["approveWithdrawal"]["errors"] == []
    assert status == "FAILED"
    async with db.uow() as uow:
        payment = await uow.session.get(Payment, uuid.UUID(from_base64(withdrawal["id"])[1]))
        assert payment is not None and payment.failure_reason == "account_closed"
    assert await wallet_balances(db, player_id) == {"cash": 5000, "withdrawal_pending": 0}
    await assert_invariants(db)
    await player.aclose()
    await finance.aclose()


async def test_staff_without_withdrawal_approve_are_denied_and_nothing_changes(
    server: str, db: Database
) -> None:
    player, player_id, player_gid = await _player(server, "den@example.com")
    await deposited(db, player_id, 5000)
    withdrawal = (await _withdraw(player, "20.00", "w-1"))["withdrawal"]
    support = await _staff(server, db, "support")
    crm = await signed_in_staff(Api(server, AURORA), db, "crm@op.example", ["crm"])

    approve = await support.query(APPROVE, {"i": {"withdrawalId": withdrawal["id"]}})
    reject = await support.query(REJECT, {"i": {"withdrawalId": withdrawal["id"], "reason": "no"}})
    queue = await support.query(QUEUE, {"first": 10})
    net = await crm.query(NET, {"p": player_gid})

    assert approve.data["approveWithdrawal"] == {
        "withdrawal": None,
        "errors": [{"code": "PERMISSION_DENIED", "field": None}],
    }
    assert reject.data["rejectWithdrawal"] == {
        "withdrawal": None,
        "errors": [{"code": "PERMISSION_DENIED", "field": None}],
    }
    assert queue.body["data"] is None
    assert queue.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert net.body["data"] == {"playerNetDeposits": None}
    assert net.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert await wallet_balances(db, player_id) == {"cash": 3000, "withdrawal_pending": 2000}
    payment_id = uuid.UUID(from_base64(withdrawal["id"])[1])
    assert await audit_actions(db, payment_id) == ["payment.withdrawal.request"]
    for api in (player, support, crm):
        await api.aclose()


async def test_the_review_queue_is_brand_scoped_and_pages(server: str, db: Database) -> None:
    player, player_id, _ = await _player(server, "que@example.com")
    await deposited(db, player_id, 5000)
    for n in range(3):
        await _withdraw(player, f"1.0{n}", f"w-{n}")
    finance = await _staff(server, db, "finance")
    other_brand = Api(server, "northstar.localhost")
    other_brand.token = finance.token

    first = (await finance.query(QUEUE, {"first": 2})).data["pendingWithdrawals"]
    after = first["pageInfo"]["endCursor"]
    second = (await finance.query(QUEUE, {"first": 2, "after": after})).data
    elsewhere = (await other_brand.query(QUEUE, {"first": 2})).data["pendingWithdrawals"]
    bad_size = await finance.query(QUEUE, {"first": 101})

    amounts = [edge["node"]["amount"]["amount"] for edge in first["edges"]]
    assert (amounts, first["pageInfo"]["hasNextPage"]) == (["1.00", "1.01"], True)
    assert [e["node"]["amount"]["amount"] for e in second["pendingWithdrawals"]["edges"]] == [
        "1.02"
    ]
    assert elsewhere["edges"] == []
    assert bad_size.body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"
    for api in (player, finance, other_brand):
        await api.aclose()


async def test_webhook_deliveries_through_http_credit_once(server: str, db: Database) -> None:
    player, player_id, _ = await _player(server, "web@example.com")
    payment = (await _deposit(player, "10.03", "dep-1"))["payment"]  # ..03: DUPLICATE

    replies = [
        await player.client.post(d.path, content=d.body, headers=dict(d.headers))
        for d in PSP.complete_checkout(payment["redirectUrl"])
    ]

    assert [(r.status_code, r.json()) for r in replies] == [
        (200, {"received": True, "applied": True}),
        (200, {"received": True, "applied": False}),
    ]
    assert await wallet_balances(db, player_id) == {"cash": 1003, "withdrawal_pending": 0}
    await player.aclose()
