"""Marketing consent on the site: the account page shows and saves the player's consent per
channel (audited through the API), and an e-mail's signed unsubscribe link withdraws it,
from the page's button or in one click (RFC 8058) without a CSRF token."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from domain.accounts.models import Player
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.segments import consent
from domain.segments.models import ConsentChannel
from tests.support import STRONG_PASSWORD
from tests.web.site.support import SiteClient, register_and_sign_in

EMAIL = "ines@example.com"


async def _player_id(db: Database) -> uuid.UUID:
    async with db.uow() as uow:
        found = await uow.session.scalar(select(Player.id).where(Player.email == EMAIL))
    assert found is not None
    return found


async def _granted(db: Database, player_id: uuid.UUID) -> dict[str, bool]:
    async with db.uow() as uow:
        return {
            state.channel.value: state.granted
            for state in await consent.consents_of(uow, player_id)
        }


async def test_the_player_gives_and_withdraws_consent_per_channel(
    aurora_site: SiteClient, db: Database
) -> None:
    await register_and_sign_in(aurora_site, email=EMAIL, password=STRONG_PASSWORD, country="MT")
    blank = await aurora_site.get("/account/marketing")
    saved = await aurora_site.post("/account/marketing", {"email": "on", "inbox": "on"})
    shown = await aurora_site.get(saved.headers["location"])
    player_id = await _player_id(db)
    after_saving = await _granted(db, player_id)
    await aurora_site.post("/account/marketing", {"inbox": "on"})
    forged = await aurora_site.post("/account/marketing", {"sms": "on"}, csrf=False)

    assert blank.status_code == 200
    assert '<a href="/account/marketing">Marketing preferences</a>' in blank.text
    assert 'id="consent-email" name="email">' in blank.text
    assert saved.status_code == 303
    assert "Your preferences are saved." in shown.text
    assert 'id="consent-email" name="email" checked>' in shown.text
    assert after_saving == {"email": True, "sms": False, "inbox": True, "push": False}
    assert forged.status_code == 403
    assert await _granted(db, player_id) == {
        "email": False, "sms": False, "inbox": True, "push": False
    }  # fmt: skip
    async with db.uow() as uow:
        actions = (
            await uow.session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.subject_id == str(player_id), AuditEntry.action.like("marketing%")
                )
                .order_by(AuditEntry.id)
            )
        ).all()
    assert actions == [
        "marketing_consent.granted", "marketing_consent.granted", "marketing_consent.withdrawn"
    ]  # fmt: skip


async def test_an_unsubscribe_link_shows_a_button_and_one_click_withdraws_consent(
    aurora_site: SiteClient, db: Database
) -> None:
    await register_and_sign_in(aurora_site, email=EMAIL, password=STRONG_PASSWORD, country="MT")
    await aurora_site.post("/account/marketing", {"email": "on", "sms": "on"})
    player_id = await _player_id(db)
    email_token = consent.unsubscribe_token("aurora", player_id, ConsentChannel.EMAIL)
    sms_token = consent.unsubscribe_token("aurora", player_id, ConsentChannel.SMS)
    visitor = SiteClient(str(aurora_site.client.base_url), aurora_site.host)
    try:
        page = await visitor.get(f"/unsubscribe?token={email_token}")
        unchanged = await _granted(db, player_id)
        clicked = await visitor.post("/unsubscribe", {"token": email_token}, csrf=False)
        # A mail client's one-click POST: the token in the URL, no page, no CSRF token.
        one_click = await visitor.post(
            f"/unsubscribe?token={sms_token}", {"List-Unsubscribe": "One-Click"}, csrf=False,
            origin="null",
        )  # fmt: skip
        forged = await visitor.post("/unsubscribe", {"token": email_token[:-2] + "00"}, csrf=False)
    finally:
        await visitor.aclose()

    assert page.status_code == 200
    assert "Stop receiving news and offers from Aurora Casino this way?" in page.text
    assert unchanged["email"] is True  # opening the link changes nothing
    assert clicked.status_code == 200
    assert "You are unsubscribed" in clicked.text
    assert one_click.status_code == 200
    assert forged.status_code == 400
    assert "This unsubscribe link is not valid." in forged.text
    assert await _granted(db, player_id) == {
        "email": False, "sms": False, "inbox": False, "push": False
    }  # fmt: skip
