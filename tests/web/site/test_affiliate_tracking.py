"""A visitor lands on a brand site through an affiliate's link: the session keeps the code
(the latest one, by default) and registering on the site refers the player to that code's
affiliate."""

from __future__ import annotations

from domain.kernel.db import Database
from tests.domain.affiliates.support import affiliate, cpa_plan, revshare_plan
from tests.domain.reporting.support import execute
from tests.support import STRONG_PASSWORD
from tests.web.site.support import SiteClient, register_and_sign_in
from web.site.tracking import TRACKING_COOKIE


async def test_the_last_landing_code_is_kept_and_refers_the_site_registration(
    aurora_site: SiteClient, db: Database
) -> None:
    await affiliate(db, "Cpa Partners", cpa_plan(), "cpa-spring")
    later = await affiliate(db, "Share Media", revshare_plan(), "share-1")

    landed = await aurora_site.get("/?btag=cpa-spring")
    assert landed.status_code == 200
    (header,) = [h for h in landed.headers.get_list("set-cookie") if TRACKING_COOKIE in h]
    assert header == f"{TRACKING_COOKIE}=cpa-spring; Path=/; Secure; HttpOnly; SameSite=Lax"
    await aurora_site.get("/?btag=share-1")
    await aurora_site.get("/?btag=%3Cscript%3E")  # malformed: ignored, the code stays
    await aurora_site.get("/register")
    assert aurora_site.cookies[TRACKING_COOKIE] == "share-1"

    await register_and_sign_in(
        aurora_site, email="landed@example.com", password=STRONG_PASSWORD, country="MT"
    )

    assert await execute(
        db,
        "SELECT r.affiliate_id, r.code FROM affiliate_referrals r "
        "JOIN players p ON p.id = r.player_id WHERE p.email = 'landed@example.com'",
    ) == [(later.affiliate.id, "share-1")]


async def test_a_visit_without_a_code_sets_no_cookie(aurora_site: SiteClient) -> None:
    page = await aurora_site.get("/")
    assert not [h for h in page.headers.get_list("set-cookie") if TRACKING_COOKIE in h]
