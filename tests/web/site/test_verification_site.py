"""The profile and verification pages over HTTP, as a browser uses them: the player saves
their profile (a bad field says what is wrong, in the page's language), sees what each
step needs under the brand's jurisdiction, starts a verification, is sent to the test
provider's hosted page, decides there and comes back verified."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.domain.compliance.kyc_support import enforce_gates
from tests.support import STRONG_PASSWORD
from tests.web.site.support import SiteClient, register_and_sign_in


async def _signed_in(server: str, host: str, **extra: str) -> SiteClient:
    site = SiteClient(server, host)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    await register_and_sign_in(site, email=email, password=STRONG_PASSWORD, **extra)
    return site


async def test_the_player_saves_a_profile_and_a_bad_field_is_named(server: str) -> None:
    site = await _signed_in(server, "aurora.localhost", country="MT")
    await site.get("/account/profile")

    bad = await site.post("/account/profile", {"givenName": "Ada", "nationality": "Malta"})
    saved = await site.post(
        "/account/profile",
        {"givenName": "Ada", "familyName": "Azzopardi", "addressLine1": "1 Triq il-Kbira",
         "city": "Valletta", "postalCode": "VLT 1000", "addressCountry": "MT",
         "nationality": "MT", "phone": "+356 2123 4567"},
    )  # fmt: skip
    shown = await site.get(saved.headers["location"])

    assert bad.status_code == 400
    assert 'id="error-nationality"' in bad.text
    assert "Use a two-letter country code" not in bad.text or "ISO 3166" not in bad.text
    assert (saved.status_code, saved.headers["location"]) == (303, "/account/profile?done=saved")
    assert "Your profile is saved." in shown.text
    assert 'value="Azzopardi"' in shown.text and 'value="+35621234567"' in shown.text
    assert "Phone number not verified yet." in shown.text
    await site.aclose()


async def test_verification_goes_to_the_provider_s_page_and_back_verified(server: str) -> None:
    site = await _signed_in(server, "aurora.localhost", country="MT")

    before = await site.get("/account/verification")
    started = await site.post("/account/verification", {"tier": "FULL"})
    flow = started.headers["location"]
    hosted = await site.get(flow)
    decided = await site.post(flow.replace("?", "/approve?", 1), {"delivery": "duplicate"})
    after = await site.get(decided.headers["location"])

    assert before.status_code == 200
    assert "Not verified" in before.text
    assert "Withdrawals: needs Full verification" in before.text
    assert started.status_code == 303 and flow.startswith("/test-kyc/flow/")
    assert hosted.status_code == 200 and "Approve" in hosted.text
    assert decided.headers["location"] == "/account/verification"
    assert "Full verification" in after.text
    assert "Withdrawals: unlocked" in after.text
    assert "You are verified for everything this site offers." in after.text
    assert re.search(r"Document valid until \w", after.text)
    await site.aclose()


async def test_the_swedish_site_says_it_in_swedish(server: str) -> None:
    site = await _signed_in(server, "northstar.localhost", country="SE", currency="SEK")

    page = await site.get("/account/verification")
    profile = await site.get("/account/profile")

    assert page.status_code == 200
    assert "Inte verifierad" in page.text
    assert "Insättningar" in page.text
    assert "Min profil" in profile.text
    await site.aclose()


async def test_the_player_downloads_their_data_and_erases_it(server: str) -> None:
    site = SiteClient(server, "aurora.localhost")
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    await register_and_sign_in(site, email=email, password=STRONG_PASSWORD, country="MT")
    await site.post("/account/profile", {"givenName": "Ingrid", "familyName": "Data"})

    download = await site.get("/account/data.json")
    profile = await site.get("/account/profile")
    unconfirmed = await site.post("/account/erasure", {})
    no_password = await site.post("/account/erasure", {"confirm": "yes"})
    wrong = await site.post(
        "/account/erasure", {"confirm": "yes", "erasure-password": "not-my-password-1"}
    )
    still_open = await site.get("/account/profile")
    erased = await site.post(
        "/account/erasure", {"confirm": "yes", "erasure-password": STRONG_PASSWORD}
    )
    afterwards = await site.get("/account")

    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="my-data.json"'
    assert download.headers["cache-control"] == "no-store"
    data = download.json()
    assert data["account"]["email"] == email
    assert data["profile"]["given_name"] == "Ingrid"
    assert "Download my data (JSON)" in profile.text
    assert unconfirmed.status_code == 400
    assert "Confirm that you understand this cannot be undone" in unconfirmed.text
    # A session alone cannot erase the account: the password proves it is the player.
    assert [no_password.status_code, wrong.status_code] == [400, 400]
    assert "The password is not right. Enter your current password to confirm." in wrong.text
    assert still_open.status_code == 200
    assert 'id="field-erasure-password"' in still_open.text
    assert erased.status_code == 200
    assert "Your account is closed and your data erased." in erased.text
    assert (afterwards.status_code, afterwards.headers["location"].startswith("/login")) == (
        303, True,
    )  # fmt: skip
    await site.aclose()


async def test_a_deposit_before_verification_is_refused_in_swedish_naming_the_step(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sweden's pack asks for basic verification before a deposit (gates enforced)."""
    enforce_gates(monkeypatch)
    site = await _signed_in(server, "northstar.localhost", country="SE", currency="SEK")
    form = await site.get("/account/deposit")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
    assert key is not None

    refused = await site.post("/account/deposit", {"amount": "100", "idempotency_key": key[1]})
    status = await site.get("/account/verification")

    assert refused.status_code == 400
    assert (
        "Verifiera din identitet innan du gör en insättning: grundläggande verifiering krävs."
        in refused.text
    )
    assert "Insättningar: kräver Grundläggande verifiering" in status.text
    await site.aclose()
