"""`GET /account/transactions.csv` on the real server: who may download, what is in it,
and that no cell can run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import httpx

from domain.accounts.models import SessionTransport
from domain.kernel.db import Database
from domain.wallets.models import WalletKind
from resolvers.context import SESSION_COOKIE
from tests.schema.wallets.support import (
    database_now,
    fund,
    ledger_id,
    signed_in_player,
    signed_in_staff,
    spend,
)
from tests.support import AURORA, NORTHSTAR, STRONG_PASSWORD, Api

PATH = "/account/transactions.csv"
HEADER = ["created_at", "transaction_id", "kind", "wallet", "currency", "amount", "balance_after"]
COOKIE_LOGIN = "mutation($i: LoginInput!) { login(input: $i) { errors { code } } }"


async def _download(
    server: str, host: str, *, params: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server, headers={"host": host}) as client:
        return await client.get(PATH, params=params, headers=headers)  # type: ignore[arg-type]


def _rows(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


def _bearer(api: Api) -> dict[str, str]:
    return {"authorization": f"Bearer {api.token}"}


async def test_a_player_downloads_their_movements_newest_first(server: str, db: Database) -> None:
    player, player_id = await signed_in_player(server, AURORA, "lea@example.com")
    deposit = await fund(db, player_id, 1_000)
    stake = await spend(db, player_id, 250)

    response = await _download(server, AURORA, headers=_bearer(player))

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="transactions.csv"'
    assert response.headers["cache-control"] == "no-store"
    rows = _rows(response)
    assert rows[0] == HEADER
    assert [row[1:] for row in rows[1:]] == [
        [ledger_id(stake.transaction_id), "stake", "cash", "EUR", "-2.50", "7.50"],
        [ledger_id(deposit.transaction_id), "deposit", "cash", "EUR", "10.00", "10.00"],
    ]
    assert all(datetime.fromisoformat(row[0]).tzinfo is not None for row in rows[1:])
    await player.aclose()


async def test_the_export_takes_the_history_filters(server: str, db: Database) -> None:
    player, player_id = await signed_in_player(server, AURORA, "max@example.com")
    await fund(db, player_id, 1_000)
    moment = await database_now(db)
    await fund(db, player_id, 300, wallet=WalletKind.BONUS, kind="bonus_grant")
    await spend(db, player_id, 200)

    deposits = await _download(server, AURORA, params={"kind": "deposit"}, headers=_bearer(player))
    kinds = await _download(
        server, AURORA, params=[("kind", "stake"), ("kind", "bonus_grant")], headers=_bearer(player)
    )
    bonus = await _download(server, AURORA, params={"wallet": "BONUS"}, headers=_bearer(player))
    since = await _download(
        server, AURORA, params={"from": moment.isoformat()}, headers=_bearer(player)
    )

    assert [row[5] for row in _rows(deposits)[1:]] == ["10.00"]
    assert [row[5] for row in _rows(kinds)[1:]] == ["-2.00", "3.00"]
    assert [row[5] for row in _rows(bonus)[1:]] == ["3.00"]
    assert [row[5] for row in _rows(since)[1:]] == ["-2.00", "3.00"]
    await player.aclose()


async def test_cells_that_a_spreadsheet_would_run_are_escaped(server: str, db: Database) -> None:
    player, player_id = await signed_in_player(server, AURORA, "ned@example.com")
    await fund(db, player_id, 100, kind='=HYPERLINK("https://evil.example","win")')
    await fund(db, player_id, 100, kind="+1+1")
    await fund(db, player_id, 100, kind="@SUM(A1)")
    await spend(db, player_id, 50, kind="-2+3")

    rows = _rows(await _download(server, AURORA, headers=_bearer(player)))

    assert [(row[2], row[5]) for row in rows[1:]] == [
        ("'-2+3", "-0.50"),
        ("'@SUM(A1)", "1.00"),
        ("'+1+1", "1.00"),
        ('\'=HYPERLINK("https://evil.example","win")', "1.00"),
    ]
    await player.aclose()


async def test_without_a_session_or_with_another_brands_token_nothing_is_sent(
    server: str, db: Database
) -> None:
    player, player_id = await signed_in_player(server, AURORA, "ola@example.com")
    await fund(db, player_id, 1_000)

    anonymous = await _download(server, AURORA)
    forged = await _download(server, AURORA, headers={"authorization": "Bearer not-a-token"})
    other_brand = await _download(server, NORTHSTAR, headers=_bearer(player))

    for response in (anonymous, forged, other_brand):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {
            "error": {"code": "NOT_AUTHENTICATED", "message": "Sign in to do this.", "field": None}
        }
    await player.aclose()


async def test_the_session_cookie_counts_only_on_a_same_site_request(
    server: str, db: Database
) -> None:
    api = Api(server, AURORA)
    await api.register(email="pia@example.com")
    login = await api.query(
        COOKIE_LOGIN,
        {
            "i": {
                "identifier": "pia@example.com",
                "password": STRONG_PASSWORD,
                "transport": SessionTransport.COOKIE.name,
            }
        },
        headers={"origin": "http://aurora.localhost"},
    )
    cookie = {"cookie": login.headers["set-cookie"].split(";")[0]}
    assert cookie["cookie"].startswith(f"{SESSION_COOKIE}=")

    navigation = await _download(server, AURORA, headers=cookie | {"sec-fetch-site": "none"})
    same_origin = await _download(
        server, AURORA, headers=cookie | {"origin": "http://aurora.localhost"}
    )
    cross_site = await _download(server, AURORA, headers=cookie | {"sec-fetch-site": "cross-site"})
    foreign_origin = await _download(
        server, AURORA, headers=cookie | {"origin": "https://evil.example"}
    )

    assert (navigation.status_code, _rows(navigation)) == (200, [HEADER])
    assert same_origin.status_code == 200
    assert cross_site.status_code == 401
    assert foreign_origin.status_code == 401
    await api.aclose()


async def test_staff_have_no_export_and_bad_filters_are_refused(server: str, db: Database) -> None:
    support = await signed_in_staff(server, AURORA, db, ["support"])
    player, _ = await signed_in_player(server, AURORA, "quin@example.com")

    as_staff = await _download(server, AURORA, headers=_bearer(support))
    bad_date = await _download(
        server, AURORA, params={"from": "yesterday"}, headers=_bearer(player)
    )
    bad_wallet = await _download(server, AURORA, params={"wallet": "gold"}, headers=_bearer(player))
    inverted = await _download(
        server,
        AURORA,
        params={"from": "2026-02-01T00:00:00+00:00", "to": "2026-01-01T00:00:00+00:00"},
        headers=_bearer(player),
    )

    assert as_staff.status_code == 403
    assert as_staff.json()["error"]["code"] == "PERMISSION_DENIED"
    assert [
        (r.status_code, r.json()["error"]["field"]) for r in (bad_date, bad_wallet, inverted)
    ] == [
        (400, "from"),
        (400, "wallet"),
        (400, "from"),
    ]
    assert {r.json()["error"]["code"] for r in (bad_date, bad_wallet, inverted)} == {
        "INVALID_FILTER"
    }
    await support.aclose()
    await player.aclose()
