"""The player's protection tools on the site, without JavaScript: limits with what is used
and left, a higher limit that waits 24 hours for confirmation, a time-out that signs out
and keeps the player out, the reality-check setting and its reminder, and a deposit limit
chosen at registration."""

from __future__ import annotations

from sqlalchemy import func, select, text

from domain.accounts.models import Player
from domain.compliance.models import PlayerLimit
from domain.kernel.db import Database
from tests.support import STRONG_PASSWORD
from tests.web.site.support import SiteClient, register_and_sign_in

EMAIL = "lena@example.com"
LIMITS = "/responsible-gambling/limits"


async def _signed_in(site: SiteClient) -> None:
    await register_and_sign_in(site, email=EMAIL, password=STRONG_PASSWORD, country="MT")


async def _player(db: Database) -> Player:
    async with db.transaction() as uow:
        player = await uow.session.scalar(select(Player).where(Player.email == EMAIL))
        assert player is not None
        return player


async def _limit_count(db: Database) -> int:
    async with db.transaction() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(PlayerLimit)) or 0)


async def _deposit(site: SiteClient, amount: str) -> None:
    page = await site.get("/account/deposit")
    key = page.text.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]
    answer = await site.post("/account/deposit", {"amount": amount, "idempotency_key": key})
    assert answer.status_code == 200, answer.text


async def test_a_deposit_limit_shows_what_is_used_and_left(
    aurora_site: SiteClient,
) -> None:
    await _signed_in(aurora_site)
    empty = await aurora_site.get(LIMITS)
    await aurora_site.get(LIMITS)

    set_limit = await aurora_site.post(
        LIMITS, {"action": "set", "kind": "DEPOSIT", "period": "WEEK", "amount": "100"}
    )
    await _deposit(aurora_site, "30")
    shown = await aurora_site.get(set_limit.headers["location"])

    assert empty.status_code == 200
    assert empty.headers["cache-control"] == "no-store"
    assert "You have no limits yet." in empty.text
    assert set_limit.status_code == 303
    assert set_limit.headers["location"] == f"{LIMITS}?done=set"
    assert "Your limit applies now." in shown.text
    assert "<h3>Deposit limit, per 7 days</h3>" in shown.text
    assert "<dt>Limit</dt><dd>€100.00</dd>" in shown.text
    assert "<dt>Used</dt><dd>€30.00</dd>" in shown.text
    assert "<dt>Remaining</dt><dd>€70.00</dd>" in shown.text


async def test_an_increase_waits_24_hours_before_it_can_be_confirmed(
    aurora_site: SiteClient, db: Database
) -> None:
    await _signed_in(aurora_site)
    await aurora_site.get(LIMITS)
    wager = {"kind": "WAGER", "period": "MONTH"}
    await aurora_site.post(LIMITS, {"action": "set", **wager, "amount": "100"})

    raised = await aurora_site.post(LIMITS, {"action": "set", **wager, "amount": "150"})
    waiting = await aurora_site.get(raised.headers["location"])
    early = await aurora_site.post(LIMITS, {"action": "confirm", **wager})
    # A day passes for the request (moving the clock instead would idle the session out).
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "UPDATE player_limits SET pending_requested_at = pending_requested_at"
                " - interval '24 hours 1 second'"
            )
        )
    ready = await aurora_site.get(LIMITS)
    confirmed = await aurora_site.post(LIMITS, {"action": "confirm", **wager})
    after = await aurora_site.get(confirmed.headers["location"])

    assert raised.headers["location"] == f"{LIMITS}?done=pending"
    assert "Your higher limit waits 24 hours" in waiting.text
    assert "<dt>Limit</dt><dd>€100.00</dd>" in waiting.text
    assert "Change requested to €150.00." in waiting.text
    assert "You can confirm it from " in waiting.text
    assert 'value="confirm"' not in waiting.text
    assert early.status_code == 400
    assert 'id="error-wager-month"' in early.text
    assert "<dt>Limit</dt><dd>€100.00</dd>" in early.text
    assert "You can confirm it now." in ready.text
    assert 'value="confirm"' in ready.text
    assert confirmed.headers["location"] == f"{LIMITS}?done=confirmed"
    assert "<dt>Limit</dt><dd>€150.00</dd>" in after.text
    assert "Change requested" not in after.text


async def test_a_removal_waits_and_a_session_limit_counts_minutes(
    aurora_site: SiteClient,
) -> None:
    await _signed_in(aurora_site)
    await aurora_site.get(LIMITS)
    await aurora_site.post(LIMITS, {"action": "set", "kind": "SESSION", "minutes": "90"})

    removal = await aurora_site.post(
        LIMITS, {"action": "remove", "kind": "SESSION", "period": "SESSION"}
    )
    shown = await aurora_site.get(removal.headers["location"])

    assert removal.headers["location"] == f"{LIMITS}?done=removal"
    assert "<h3>Session time limit, per session</h3>" in shown.text
    assert "<dt>Limit</dt><dd>90 minutes</dd>" in shown.text
    assert "<dt>Used</dt><dd>0 minutes</dd>" in shown.text
    assert "Removal requested." in shown.text


async def test_an_invalid_amount_is_shown_next_to_the_field_and_sets_nothing(
    aurora_site: SiteClient, db: Database
) -> None:
    await _signed_in(aurora_site)
    await aurora_site.get(LIMITS)

    typed = await aurora_site.post(
        LIMITS, {"action": "set", "kind": "LOSS", "period": "DAY", "amount": "-5"}
    )
    precise = await aurora_site.post(
        LIMITS, {"action": "set", "kind": "LOSS", "period": "DAY", "amount": "5.001"}
    )

    assert typed.status_code == 400
    assert 'aria-describedby="error-money-amount"' in typed.text
    assert '<p class="error" id="error-money-amount">Enter an amount above zero.</p>' in typed.text
    assert 'value="-5"' in typed.text  # the form keeps what was typed
    assert precise.status_code == 400  # the API's typed refusal (minor units of EUR)
    assert '<p class="error" id="error-money-amount">' in precise.text
    assert await _limit_count(db) == 0


async def test_a_limit_form_without_the_page_token_is_refused_and_nothing_changes(
    aurora_site: SiteClient, db: Database
) -> None:
    await _signed_in(aurora_site)
    form = {"action": "set", "kind": "DEPOSIT", "period": "DAY", "amount": "10"}

    refused = await aurora_site.post(LIMITS, form, csrf=False)
    foreign = await aurora_site.post(LIMITS, form, origin="http://evil.example")

    assert refused.status_code == 403
    assert foreign.status_code == 403
    assert await _limit_count(db) == 0


async def test_the_pages_ask_a_visitor_to_sign_in(aurora_site: SiteClient) -> None:
    for path in (LIMITS, "/responsible-gambling/time-out", "/responsible-gambling/reality-check"):
        answer = await aurora_site.get(path)

        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=" + path


async def test_a_time_out_signs_out_and_sign_in_is_refused_until_it_ends(
    aurora_site: SiteClient, db: Database
) -> None:
    await _signed_in(aurora_site)
    choose = await aurora_site.get("/responsible-gambling/time-out")
    unconfirmed = await aurora_site.post("/responsible-gambling/time-out", {"period": "ONE_WEEK"})
    still_in = aurora_site.session is not None

    taken = await aurora_site.post(
        "/responsible-gambling/time-out", {"period": "ONE_WEEK", "confirm": "true"}
    )
    account = await aurora_site.get("/account")
    await aurora_site.get("/login")
    login = await aurora_site.post("/login", {"identifier": EMAIL, "password": STRONG_PASSWORD})

    assert choose.status_code == 200
    assert 'name="period" value="ONE_MONTH"' in choose.text
    assert "signs you out everywhere" in choose.text
    assert unconfirmed.status_code == 400
    assert 'id="error-confirm"' in unconfirmed.text
    assert still_in
    assert taken.status_code == 200
    assert "<h1>Your break has started</h1>" in taken.text
    assert 'href="/login"' in taken.text  # the header shows a visitor
    assert aurora_site.session is None
    assert account.status_code == 303
    assert login.status_code == 400
    assert "You are taking a break until " in login.text
    assert aurora_site.session is None
    assert (await _player(db)).time_out_until is not None


async def test_the_reality_check_reminder_shows_when_due_and_continue_acknowledges_it(
    aurora_site: SiteClient, db: Database
) -> None:
    await _signed_in(aurora_site)
    off = await aurora_site.get("/responsible-gambling/reality-check")
    saved = await aurora_site.post("/responsible-gambling/reality-check", {"minutes": "15"})
    chosen = await aurora_site.get(saved.headers["location"])
    not_due = await aurora_site.get("/account")
    # The session began 20 minutes ago: the first reminder is due.
    player = await _player(db)
    async with db.transaction() as uow:
        await uow.session.execute(
            text(
                "UPDATE auth_sessions SET created_at = created_at - interval '20 minutes'"
                " WHERE player_id = :player"
            ),
            {"player": player.id},
        )
    due = await aurora_site.get("/account")
    continued = await aurora_site.post(
        "/responsible-gambling/reality-check/continue", {"next": "/account"}
    )
    after = await aurora_site.get("/account")

    assert 'id="minutes-off" name="minutes" value="off" checked' in off.text
    assert saved.status_code == 303
    assert 'id="minutes-15" name="minutes" value="15" checked' in chosen.text
    assert "Your reality-check setting is saved." in chosen.text
    assert "Reality check" not in not_due.text
    assert '<h2 id="reality-check-heading">Reality check</h2>' in due.text
    assert "You have played for 20 minutes in this session." in due.text
    assert "Net loss in this session: €0.00." in due.text
    assert 'href="/responsible-gambling/time-out"' in due.text
    assert continued.status_code == 303
    assert continued.headers["location"] == "/account"
    assert "reality-check-heading" not in after.text


async def test_an_invalid_reality_check_interval_is_refused(aurora_site: SiteClient) -> None:
    await _signed_in(aurora_site)
    await aurora_site.get("/responsible-gambling/reality-check")

    refused = await aurora_site.post("/responsible-gambling/reality-check", {"minutes": "20"})
    switched_off = await aurora_site.post("/responsible-gambling/reality-check", {"minutes": "off"})

    assert refused.status_code == 400
    assert 'id="error-minutes"' in refused.text
    assert switched_off.status_code == 303


async def test_a_deposit_limit_chosen_at_registration_is_on_the_limits_page(
    aurora_site: SiteClient,
) -> None:
    form = {
        "email": EMAIL, "password": STRONG_PASSWORD, "date_of_birth": "1990-05-17",
        "country": "MT", "deposit_limit_period": "MONTH",
    }  # fmt: skip
    prompt = await aurora_site.get("/register")
    half = await aurora_site.post("/register", form)
    registered = await aurora_site.post("/register", {**form, "deposit_limit_amount": "250"})
    await aurora_site.get("/login")
    await aurora_site.post("/login", {"identifier": EMAIL, "password": STRONG_PASSWORD})
    limits = await aurora_site.get(LIMITS)

    assert 'name="deposit_limit_period"' in prompt.text
    assert 'name="deposit_limit_amount"' in prompt.text
    assert half.status_code == 400
    assert 'id="error-deposit-limit"' in half.text
    assert registered.status_code == 303
    assert "<h3>Deposit limit, per 30 days</h3>" in limits.text
    assert "<dt>Limit</dt><dd>€250.00</dd>" in limits.text
    assert "<dt>Remaining</dt><dd>€250.00</dd>" in limits.text


async def test_the_limits_page_speaks_the_players_language_and_formats_its_money(
    aurora_site: SiteClient,
) -> None:
    await aurora_site.get("/language/de")
    await _signed_in(aurora_site)
    await aurora_site.get(LIMITS)

    await aurora_site.post(
        LIMITS, {"action": "set", "kind": "DEPOSIT", "period": "DAY", "amount": "1000"}
    )
    shown = await aurora_site.get(LIMITS)

    assert "<h1>Ihre Limits</h1>" in shown.text
    assert "<h3>Einzahlungslimit, pro 24 Stunden</h3>" in shown.text
    assert "<dt>Limit</dt><dd>1.000,00\xa0€</dd>" in shown.text
