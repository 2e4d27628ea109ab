"""Withdraw-only access, over HTTP on both brands: a self-excluded person signs in only
when asking for a withdraw-only session; it sees balances and history and withdraws cash,
and every other mutation is refused with WITHDRAW_ONLY, changing nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from domain.kernel.db import Database
from domain.wallets.models import HouseAccountKind, WalletKind
from domain.wallets.service import house_account_id, transfer, wallet_id
from tests.support import STRONG_PASSWORD, Api

SELF_EXCLUDE = """mutation { selfExclude(input: {period: SIX_MONTHS, confirm: true}) {
  excluded errors { code } } }"""
WITHDRAW_ONLY_LOGIN = """mutation($i: String!, $p: String!) {
  login(input: {identifier: $i, password: $p, withdrawOnly: true}) { token errors { code } }
}"""
VIEWER = """{ viewer { withdrawOnly player { status wallets { kind balance { amount } }
  transactions(first: 10) { edges { node { kind } } } } } }"""
WITHDRAW = """mutation($a: MoneyInput!, $k: String!) {
  requestWithdrawal(input: {amount: $a, idempotencyKey: $k}) {
    withdrawal { status amount { amount currency } } errors { code } } }"""
REFUSED = {
    "deposit": """mutation($a: MoneyInput!) { deposit(input: {amount: $a,
        idempotencyKey: "w-o-dep"}) { payment { id } errors { code } } }""",
    "setLimit": """mutation($a: MoneyInput!) { setLimit(input: {kind: DEPOSIT, period: WEEK,
        amount: $a}) { limit { kind } errors { code } } }""",
    "setOddsFormat": """mutation { setOddsFormat(input: {format: FRACTIONAL}) {
        errors { code } } }""",
    "takeTimeOut": """mutation { takeTimeOut(input: {period: ONE_DAY, confirm: true}) {
        errors { code } } }""",
    "selfExclude": SELF_EXCLUDE,
}


async def _fund(db: Database, brand: str, player_id: uuid.UUID, currency: str, amount: int) -> None:
    async with db.transaction() as uow:
        source = await house_account_id(uow, brand, HouseAccountKind.BONUS_POOL, currency)
        cash = await wallet_id(uow, brand, player_id, WalletKind.CASH, currency)
        await transfer(
            uow, brand=brand, kind="fund", source=source, destination=cash, amount_minor=amount,
            scope=None, key=None,
        )  # fmt: skip


async def _id(db: Database, brand: str, email: str) -> uuid.UUID:
    async with db.uow() as uow:
        found = await uow.session.scalar(
            text("SELECT id FROM players WHERE brand = :b AND email = :e"), {"b": brand, "e": email}
        )
    return uuid.UUID(str(found))


def _codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def test_a_self_excluded_person_withdraws_on_both_brands_and_may_do_nothing_else(
    server: str, db: Database, aurora: Api, northstar: Api
) -> None:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    await aurora.register(email=email, dateOfBirth="1988-02-14")
    await northstar.register(
        email=email, dateOfBirth="1988-02-14", country="SE", currency="SEK", locale="sv"
    )
    brands = [(aurora, "aurora", "EUR", "30.00"), (northstar, "northstar", "SEK", "300.00")]
    for _, slug, currency, _amount in brands:
        await _fund(
            db, slug, await _id(db, slug, email), currency, 5000 if currency == "EUR" else 50000
        )
    await aurora.login(email)
    assert (await aurora.query(SELF_EXCLUDE)).data["selfExclude"]["excluded"] is True

    for api, slug, currency, amount in brands:
        api.token = None
        plain = await api.login(email)
        assert (plain["token"], _codes(plain)) == (None, ["SELF_EXCLUDED"]), slug
        signed = (await api.query(WITHDRAW_ONLY_LOGIN, {"i": email, "p": STRONG_PASSWORD})).data
        assert _codes(signed["login"]) == [], slug
        api.token = signed["login"]["token"]

        viewer = (await api.query(VIEWER)).data["viewer"]
        money = {"amount": amount, "currency": currency}
        withdrawn = (await api.query(WITHDRAW, {"a": money, "k": uuid.uuid4().hex})).data
        refusals = {
            name: _codes(next(iter((await api.query(doc, {"a": money})).data.values())))
            if "$a" in doc
            else _codes(next(iter((await api.query(doc)).data.values())))
            for name, doc in REFUSED.items()
        }
        after = (await api.query(VIEWER)).data["viewer"]

        assert viewer["withdrawOnly"] is True
        assert viewer["player"]["status"] == "SELF_EXCLUDED"
        cash = {w["kind"]: w["balance"]["amount"] for w in viewer["player"]["wallets"]}["CASH"]
        assert cash == ("50.00" if currency == "EUR" else "500.00"), slug
        assert _codes(withdrawn["requestWithdrawal"]) == [], slug
        assert withdrawn["requestWithdrawal"]["withdrawal"]["amount"] == money
        assert refusals == {name: ["WITHDRAW_ONLY"] for name in REFUSED}, slug
        balances = {w["kind"]: w["balance"]["amount"] for w in after["player"]["wallets"]}
        assert balances["CASH"] == ("20.00" if currency == "EUR" else "200.00"), slug
    async with db.uow() as uow:
        limits = await uow.session.scalar(
            text(
                "SELECT count(*) FROM player_limits l JOIN players p ON p.id = l.player_id"
                " WHERE p.email = :e"
            ),
            {"e": email},
        )
    assert limits == 0
