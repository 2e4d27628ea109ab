"""The back office over HTTP against the real server: sign-in with mandatory two-factor,
CSRF, the staff cookie, the brand switcher, and each area's actions by role (what changed,
and that nothing changed on a refusal)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select
from strawberry.relay import from_base64, to_base64

from domain.accounts.models import AuthSession, Player
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.sportsbook.models import Outcome
from tests.domain.payments.support import deposited, wallet_balances
from tests.domain.sportsbook.support import add_market
from tests.schema.sportsbook.support import gid, signed_in_bettor
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.support import AURORA, Api, fresh_code
from tests.web.backoffice.support import (
    ADMIN_HOST,
    STAFF_PASSWORD,
    create_staff,
    first_sign_in,
    signed_in_console,
)
from tests.web.site.support import SiteClient
from web.backoffice.security import STAFF_SESSION_COOKIE

SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')


async def _player(server: str, email: str, phone: str | None = None) -> tuple[Api, str]:
    api = Api(server, AURORA)
    registered = await api.register(email=email, **({"phone": phone} if phone else {}))
    await api.login(email)
    return api, registered["player"]["id"]


async def _live_sessions(db: Database, global_id: str) -> int:
    player_id = uuid.UUID(from_base64(global_id)[1])
    async with db.uow() as uow:
        count = await uow.session.scalar(
            select(func.count())
            .select_from(AuthSession)
            .where(AuthSession.player_id == player_id, AuthSession.revoked_at.is_(None))
        )
    return int(count or 0)


async def last_audit_id(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.max(AuditEntry.id))) or 0)


async def _audit_rows(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_first_sign_in_enrols_two_factor_and_replaces_the_one_time_password(
    server: str, db: Database
) -> None:
    console = await signed_in_console(server, db, "admin@op.example", ["admin"])

    dashboard = await console.get("/")

    assert dashboard.status_code == 200
    assert "admin@op.example" in dashboard.text
    assert STAFF_SESSION_COOKIE in console.cookies
    assert "__Host-stakehouse_session" not in console.cookies
    session_cookie = next(h for h in console.set_cookie_headers if STAFF_SESSION_COOKIE in h)
    assert "HttpOnly" in session_cookie and "Secure" in session_cookie
    assert "samesite=strict" in session_cookie.lower()
    assert "nonce-" in dashboard.headers["content-security-policy"]
    assert dashboard.headers["cache-control"] == "no-store"
    await console.aclose()


async def test_a_password_alone_opens_no_page_and_a_wrong_code_is_refused(
    server: str, db: Database
) -> None:
    one_time = await create_staff(db, "fin@op.example", ["finance"])
    console = SiteClient(server, ADMIN_HOST)
    await console.get("/login")
    await console.post("/login", {"email": "fin@op.example", "password": one_time})

    payments = await console.get("/payments")
    enrol = await console.get("/login/two-factor")
    wrong = await console.post("/login/two-factor", {"step": "enrol", "code": "000000"})
    still = await console.get("/payments")

    assert payments.status_code == 303 and payments.headers["location"] == "/login/two-factor"
    assert SECRET.search(enrol.text) is not None
    assert wrong.status_code == 400
    assert still.headers["location"] == "/login/two-factor"
    await console.aclose()


async def test_staff_with_two_factor_sign_in_again_with_a_code(server: str, db: Database) -> None:
    first, secret = await first_sign_in(server, db, "risk@op.example", ["risk"])
    signed_out = await first.post("/logout", {})
    console = SiteClient(server, ADMIN_HOST)
    await console.get("/login")

    login = await console.post("/login", {"email": "risk@op.example", "password": STAFF_PASSWORD})
    before = await console.get("/players")
    wrong = await console.post("/login/two-factor", {"code": "000000"})
    # The enrolment used this step's code: the next one is fresh.
    right = await console.post("/login/two-factor", {"code": fresh_code(secret, steps_ahead=1)})
    after = await console.get("/players")

    assert signed_out.headers["location"] == "/login"
    assert (await first.get("/players")).headers["location"].startswith("/login")
    assert login.headers["location"] == "/login/two-factor"
    assert before.headers["location"] == "/login/two-factor"
    assert wrong.status_code == 400
    assert right.headers["location"] == "/"
    assert after.status_code == 200
    await first.aclose()
    await console.aclose()


async def test_wrong_password_answers_like_an_unknown_account(server: str, db: Database) -> None:
    await create_staff(db, "sup@op.example", ["support"])
    console = SiteClient(server, ADMIN_HOST)
    await console.get("/login")

    wrong = await console.post("/login", {"email": "sup@op.example", "password": "nope-nope-nope"})
    unknown = await console.post("/login", {"email": "who@op.example", "password": "nope-nope-1"})

    assert wrong.status_code == unknown.status_code == 400
    assert STAFF_SESSION_COOKIE not in console.cookies
    await console.aclose()


async def test_a_post_without_the_csrf_token_or_from_another_origin_is_refused(
    server: str, db: Database
) -> None:
    console = await signed_in_console(server, db, "admin@op.example", ["admin"])
    _, player_id = await _player(server, "csrf@example.com")

    no_token = await console.post(f"/players/{player_id}/revoke-sessions", {}, csrf=False)
    other_origin = await console.post(
        f"/players/{player_id}/revoke-sessions", {}, origin="http://evil.example"
    )

    assert no_token.status_code == 403
    assert other_origin.status_code == 403
    assert await _live_sessions(db, player_id) == 1
    await console.aclose()


async def test_support_finds_a_player_by_phone_and_revokes_their_sessions(
    server: str, db: Database
) -> None:
    player, player_id = await _player(server, "phoebe@example.com", "+35699123456")
    support = await signed_in_console(server, db, "support@op.example", ["support"])

    found = await support.get("/players", params={"q": "99123456"})
    profile = await support.get(f"/players/{player_id}")
    revoked = await support.post(f"/players/{player_id}/revoke-sessions", {})
    after = await support.get(revoked.headers["location"])

    assert f'href="/players/{player_id}"' in found.text
    assert "phoebe@example.com" in profile.text
    assert "Sign out everywhere" in profile.text
    assert "Adjust balance" not in profile.text  # support holds no wallet.adjust
    assert 'action="/players/' + player_id + '/status"' not in profile.text
    assert revoked.status_code == 303
    assert "sessions were revoked" in after.text
    sessions = profile.text[profile.text.index('id="player-sessions"') :].split("</table>")[0]
    assert sessions.count("<tr><td>") == 1 and "bearer" in sessions
    assert "No live session." in after.text.split('id="player-sessions"')[1]
    assert await _live_sessions(db, player_id) == 0
    assert (await player.query("query { viewer { player { id } } }")).data["viewer"] is None
    await player.aclose()
    await support.aclose()


async def test_a_player_id_finds_the_profile_directly(server: str, db: Database) -> None:
    _, player_id = await _player(server, "byid@example.com")
    support = await signed_in_console(server, db, "support@op.example", ["support"])

    by_global_id = await support.get("/players", params={"q": player_id})
    by_uuid = await support.get("/players", params={"q": from_base64(player_id)[1]})

    assert by_global_id.headers["location"] == f"/players/{player_id}"
    assert by_uuid.headers["location"] == f"/players/{player_id}"
    await support.aclose()


async def test_support_sees_no_finance_action_and_is_refused_when_forcing_one(
    server: str, db: Database
) -> None:
    _, player_id = await _player(server, "forced@example.com")
    support = await signed_in_console(server, db, "support@op.example", ["support"])
    audit_before = await _audit_rows(db)

    dashboard = await support.get("/")
    queue = await support.get("/payments")
    forced = await support.post(
        "/payments/approve", {"withdrawal": to_base64("Payment", str(uuid.uuid4()))}
    )
    adjust = await support.post(
        f"/players/{player_id}/adjust-balance",
        {"wallet": "CASH", "direction": "CREDIT", "amount": "100.00", "currency": "EUR",
         "reason": "forced", "idempotency_key": "forced-1"},
    )  # fmt: skip

    assert 'href="/payments"' not in dashboard.text
    assert queue.status_code == 403
    assert forced.status_code == 403
    assert adjust.status_code == 403
    assert await _audit_rows(db) == audit_before
    assert await wallet_balances(db, uuid.UUID(from_base64(player_id)[1])) == {
        "cash": 0,
        "withdrawal_pending": 0,
    }
    await support.aclose()


async def test_finance_approves_a_withdrawal_from_the_queue(server: str, db: Database) -> None:
    player, player_id = await _player(server, "payme@example.com")
    player_uuid = uuid.UUID(from_base64(player_id)[1])
    await deposited(db, player_uuid, 5000)
    requested = await player.query(
        """mutation($i: RequestWithdrawalInput!) { requestWithdrawal(input: $i) {
        withdrawal { id } errors { code } } }""",
        {"i": {"amount": {"amount": "20.00", "currency": "EUR"}, "idempotencyKey": "w-1"}},
    )
    withdrawal_id = requested.data["requestWithdrawal"]["withdrawal"]["id"]
    finance = await signed_in_console(server, db, "finance@op.example", ["finance"])
    since = await last_audit_id(db)  # the audit log is kept between tests

    queue = await finance.get("/payments")
    no_reason = await finance.post("/payments/reject", {"withdrawal": withdrawal_id})
    approved = await finance.post("/payments/approve", {"withdrawal": withdrawal_id})
    after = await finance.get(approved.headers["location"])

    assert withdrawal_id in queue.text and "20.00 EUR" in queue.text
    assert no_reason.status_code == 400 and "Give a reason" in no_reason.text
    assert approved.status_code == 303
    assert "withdrawal was approved" in after.text
    assert withdrawal_id not in after.text
    async with db.uow() as uow:
        actions = list(
            await uow.session.scalars(select(AuditEntry.action).where(AuditEntry.id > since))
        )
    assert "payment.withdrawal.approve" in actions
    assert "payment.withdrawal.reject" not in actions
    await player.aclose()
    await finance.aclose()


async def test_risk_suspends_a_player_with_a_reason(server: str, db: Database) -> None:
    player, player_id = await _player(server, "susp@example.com")
    risk = await signed_in_console(server, db, "risk@op.example", ["risk"])
    since = await last_audit_id(db)  # the audit log is kept between tests

    without = await risk.post(f"/players/{player_id}/status", {"status": "SUSPENDED"})
    suspended = await risk.post(
        f"/players/{player_id}/status", {"status": "SUSPENDED", "reason": "chargeback"}
    )

    assert without.status_code == 400
    assert suspended.status_code == 303
    async with db.uow() as uow:
        assert await uow.session.scalar(select(Player.status)) == "suspended"
        reasons = list(
            await uow.session.scalars(
                select(AuditEntry.reason).where(
                    AuditEntry.action == "player.status.change", AuditEntry.id > since
                )
            )
        )
    assert reasons == ["chargeback"]
    await player.aclose()
    await risk.aclose()


async def test_finance_adjusts_a_balance_once_per_form(server: str, db: Database) -> None:
    _, player_id = await _player(server, "adj@example.com")
    finance = await signed_in_console(server, db, "finance@op.example", ["finance"])
    form = {"wallet": "CASH", "direction": "CREDIT", "amount": "12.50", "currency": "EUR",
            "reason": "goodwill", "idempotency_key": "form-1"}  # fmt: skip

    first = await finance.post(f"/players/{player_id}/adjust-balance", form)
    resent = await finance.post(f"/players/{player_id}/adjust-balance", form)
    profile = await finance.get(f"/players/{player_id}")

    assert first.status_code == resent.status_code == 303
    assert await wallet_balances(db, uuid.UUID(from_base64(player_id)[1])) == {
        "cash": 1250,
        "withdrawal_pending": 0,
    }
    assert "12.50 EUR" in profile.text
    await finance.aclose()


async def test_the_brand_switcher_offers_only_the_staff_members_brands(
    server: str, db: Database
) -> None:
    console = await signed_in_console(
        server, db, "north@op.example", ["support"], brands=["northstar"]
    )

    page = await console.get("/players")
    switched_away = await console.post("/brand", {"brand": "aurora", "next": "/players"})

    assert 'value="northstar" selected' in page.text
    assert 'value="aurora"' not in page.text
    assert switched_away.status_code == 403
    await console.aclose()


async def test_admin_hosts_serve_only_the_console(server: str, db: Database) -> None:
    console = SiteClient(server, ADMIN_HOST)

    casino = await console.get("/casino/games")
    graphql = await console.client.post("/graphql", json={"query": "{ brand { slug } }"})
    login = await console.get("/login")

    assert casino.status_code == 404
    assert graphql.status_code == 404
    assert login.status_code == 200 and "Staff sign-in" in login.text
    await console.aclose()


async def test_a_player_session_is_no_staff_session(server: str, db: Database) -> None:
    player = Api(server, AURORA)
    await player.register(email="cookie@example.com")
    token = (await player.login("cookie@example.com"))["token"]
    console = SiteClient(server, ADMIN_HOST)
    console.cookies[STAFF_SESSION_COOKIE] = token

    page = await console.get("/players")

    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    await player.aclose()
    await console.aclose()


async def test_a_trader_sees_a_markets_liabilities_and_overrides_a_price(
    server: str, db: Database
) -> None:
    book = await add_market(db, {"home": "2.00", "away": "1.80"})
    bettor, _ = await signed_in_bettor(server, AURORA, db)
    placed = await bettor.query(PLACE_BET, {"i": single(book.outcomes["home"], "2.00", "b-1")})
    assert placed.data["placeBet"]["errors"] == []
    trader = await signed_in_console(server, db, "trader@op.example", ["trader"])
    market_id = gid("Market", book.market_id)
    home = gid("Outcome", book.outcomes["home"])

    market = await trader.get(f"/trading/market/{market_id}")
    no_reason = await trader.post(
        f"/trading/market/{market_id}/override", {"outcome": home, "odds": "2.50"}
    )
    overridden = await trader.post(
        f"/trading/market/{market_id}/override",
        {"outcome": home, "odds": "2.50", "reason": "sharp money"},
    )
    after = await trader.get(overridden.headers["location"])

    assert market.status_code == 200
    assert "20.00 GBP" in market.text  # the book pays 10.00 x 2.00 if home wins
    assert no_reason.status_code == 400
    assert overridden.status_code == 303
    assert "price was overridden" in after.text
    async with db.uow() as uow:
        odds = await uow.session.scalar(
            select(Outcome.odds).where(Outcome.id == book.outcomes["home"])
        )
    assert str(odds).startswith("2.5")
    await bettor.aclose()
    await trader.aclose()


async def test_a_role_without_market_trade_cannot_open_a_market(server: str, db: Database) -> None:
    book = await add_market(db, {"home": "2.00", "away": "1.80"})
    finance = await signed_in_console(server, db, "finance@op.example", ["finance"])

    market = await finance.get(f"/trading/market/{gid('Market', book.market_id)}")
    forced = await finance.post(
        f"/trading/market/{gid('Market', book.market_id)}/override",
        {"outcome": gid("Outcome", book.outcomes["home"]), "odds": "9.00", "reason": "x"},
    )

    assert market.status_code == forced.status_code == 403
    async with db.uow() as uow:
        odds = await uow.session.scalar(
            select(Outcome.odds).where(Outcome.id == book.outcomes["home"])
        )
    assert str(odds).startswith("2.0")
    await finance.aclose()


async def test_malformed_or_unknown_ids_answer_not_found(server: str, db: Database) -> None:
    admin = await signed_in_console(server, db, "admin@op.example", ["admin"])
    unknown_player = to_base64("Player", str(uuid.uuid4()))

    answers = [
        (await admin.get(path)).status_code
        for path in (
            "/players/not-an-id",
            f"/players/{unknown_player}",
            "/trading/market/not-an-id",
            f"/trading/market/{to_base64('Market', '999999')}",
        )
    ]
    approve = await admin.post("/payments/approve", {"withdrawal": "not-an-id"})

    assert answers == [404, 404, 404, 404]
    assert approve.status_code == 400
    await admin.aclose()
