"""Translations in the theme editor over GraphQL: an admin of the brand lists its messages
beside their overrides, saves an override as a version (refusals typed, nothing stored),
publishes it and the brand's German page shows it, escaped, on the running server without
a restart; an admin of another brand reads nothing and changes nothing."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from sqlalchemy import func, select

from domain.brands import theme_editor, theme_translations
from domain.brands.models import ThemeVersion
from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from resolvers.brands import themes as theme_resolvers
from tests.conftest import app_server
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import AURORA, NORTHSTAR, Api, request_context, statements_of
from tests.web.site.support import SiteClient

WELCOME = "Welcome to %(brand)s"
EDITOR = theme_editor.Editor("staff", uuid.uuid4())
LIST = """query($locale: String!, $search: String!, $after: String, $version: ID) {
  themeTranslations(locale: $locale, search: $search, first: 2, after: $after,
                    version: $version) {
    edges { cursor node { msgid shipped override charsMax } }
    pageInfo { hasNextPage endCursor }
  } }"""
SAVE = """mutation($input: SaveThemeTranslationsInput!) {
  saveThemeTranslations(input: $input) {
    version { id number live translationsOverridden }
    errors { code field message } } }"""
PUBLISH = """mutation($input: PublishThemeInput!) {
  publishTheme(input: $input) { version { number live } errors { code } } }"""
HEADING = re.compile(r'<h1 id="hero-heading">(.*?)</h1>', re.DOTALL)


async def _versions(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(ThemeVersion)) or 0)


async def _save(api: Api, texts: dict[str, str], **extra: Any) -> dict[str, Any]:
    values = [{"msgid": k, "text": v} for k, v in texts.items()]
    result = await api.query(SAVE, {"input": {"locale": "de", "translations": values, **extra}})
    return dict(result.data["saveThemeTranslations"])


async def _heading_becomes(site: SiteClient, text: str) -> bool:
    for _ in range(100):
        found = HEADING.search((await site.get("/")).text)
        if found is not None and found.group(1).strip() == text:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_an_admin_lists_the_messages_beside_their_overrides_page_by_page(
    server: str, db: Database
) -> None:
    admin = await signed_in_staff(Api(server, AURORA), db, "tr-list@op.example", ["admin"])
    saved = await _save(admin, {"Providers": "Spielehersteller"})

    draft = saved["version"]["id"]
    first = await admin.query(LIST, {"locale": "de", "search": "", "version": draft})
    page = first.data["themeTranslations"]
    second = await admin.query(
        LIST, {"locale": "de", "search": "", "after": page["pageInfo"]["endCursor"]}
    )
    found = await admin.query(
        LIST, {"locale": "de", "search": "SPIELEHERSTELLER", "version": draft}
    )
    live = await admin.query(LIST, {"locale": "de", "search": "spielehersteller"})
    forged = await admin.query(LIST, {"locale": "de", "search": "", "after": "bm9wZQ=="})

    assert saved["errors"] == [] and saved["version"]["translationsOverridden"] == 1
    assert len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"] is True
    msgids = [e["node"]["msgid"] for e in page["edges"] + second.data["themeTranslations"]["edges"]]
    assert msgids == sorted(msgids) and len(set(msgids)) == 4
    assert [e["node"] for e in found.data["themeTranslations"]["edges"]] == [
        {"msgid": "Providers", "shipped": "Anbieter", "override": "Spielehersteller",
         "charsMax": 60},
    ]  # fmt: skip
    # Not published: the live version overrides nothing.
    assert live.data["themeTranslations"]["edges"] == []
    assert forged.body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    await admin.aclose()


async def test_a_bad_override_is_refused_with_its_code_and_field_and_nothing_is_stored(
    server: str, db: Database
) -> None:
    admin = await signed_in_staff(Api(server, AURORA), db, "tr-bad@op.example", ["admin"])

    placeholder = await _save(admin, {WELCOME: "Willkommen!"})
    unknown = await _save(admin, {"Not a shipped message": "x"})
    markup = await _save(admin, {"Providers": "<script>alert(1)</script>"})

    assert placeholder == {
        "version": None,
        "errors": [{
            "code": "PLACEHOLDER_MISMATCH", "field": WELCOME,
            "message": "The text for “Welcome to %(brand)s” must keep the placeholders "
                       "%(brand)s.",
        }],
    }  # fmt: skip
    assert unknown["errors"][0]["code"] == "UNKNOWN_MESSAGE"
    assert markup["errors"][0]["code"] == "MARKUP_IN_TRANSLATION"
    assert await _versions(db) == 0
    await admin.aclose()


async def test_a_published_override_shows_escaped_on_the_german_page_then_rolls_back(
    server: str, db: Database
) -> None:
    site = SiteClient(server, AURORA)
    await site.get("/language/de")
    admin = await signed_in_staff(Api(server, AURORA), db, "tr-pub@op.example", ["admin"])
    shipped = (await _save(admin, {}))["version"]["id"]
    await admin.query(PUBLISH, {"input": {"version": shipped, "reason": "shipped words"}})
    text = 'Spiele & "%(brand)s" < mehr'
    worded = await _save(admin, {WELCOME: text})
    before = await _heading_becomes(site, "Willkommen bei Aurora Casino")

    published = await admin.query(
        PUBLISH, {"input": {"version": worded["version"]["id"], "reason": "friendlier"}}
    )
    shown = await _heading_becomes(site, "Spiele &amp; &#34;Aurora Casino&#34; &lt; mehr")
    english = SiteClient(server, AURORA)
    english_heading = HEADING.search((await english.get("/")).text)
    rolled_back = await admin.query(
        PUBLISH, {"input": {"version": shipped, "reason": "back to the shipped words"}}
    )
    restored = await _heading_becomes(site, "Willkommen bei Aurora Casino")

    assert before and shown and restored
    assert published.data["publishTheme"] == {"version": {"number": 2, "live": True}, "errors": []}
    assert rolled_back.data["publishTheme"]["errors"] == []
    assert english_heading is not None
    assert english_heading.group(1).strip() == "Welcome to Aurora Casino"
    for client in (site, english, admin):
        await client.aclose()


async def test_an_admin_of_another_brand_reads_nothing_and_changes_nothing(
    server: str, db: Database
) -> None:
    outsider = await signed_in_staff(
        Api(server, NORTHSTAR), db, "tr-north@op.example", ["admin"], ["northstar"]
    )
    outsider_on_aurora = Api(server, AURORA)
    outsider_on_aurora.token = outsider.token

    listed = await outsider_on_aurora.query(LIST, {"locale": "de", "search": ""})
    saved = await _save(outsider_on_aurora, {"Providers": "Spielehersteller"})

    assert listed.body["data"] is None
    assert listed.body["errors"][0]["extensions"]["code"] in {
        "PERMISSION_DENIED",
        "NOT_AUTHENTICATED",
    }
    assert saved["version"] is None
    assert saved["errors"][0]["code"] in {"PERMISSION_DENIED", "NOT_AUTHENTICATED"}
    assert await _versions(db) == 0
    for client in (outsider, outsider_on_aurora):
        await client.aclose()


async def test_a_published_override_reaches_another_replica(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    async with app_server(registry) as other_replica:
        elsewhere = SiteClient(other_replica, AURORA)
        await elsewhere.get("/language/de")
        admin = await signed_in_staff(Api(server, AURORA), db, "tr-far@op.example", ["admin"])
        worded = await _save(admin, {WELCOME: "Grüß Gott bei %(brand)s"})

        await admin.query(
            PUBLISH, {"input": {"version": worded["version"]["id"], "reason": "regional"}}
        )

        assert await _heading_becomes(elsewhere, "Grüß Gott bei Aurora Casino")
        for client in (elsewhere, admin):
            await client.aclose()


async def test_a_full_page_of_messages_reads_the_live_version_in_two_statements(
    db: Database, registry: BrandRegistry
) -> None:
    async with db.transaction() as uow:
        version = await theme_editor.save_translations(
            uow, EDITOR, "aurora",
            {"de": theme_translations.catalogue(get_settings().themes_dir, "aurora", "de")},
            {"de": {"Providers": "Spielehersteller"}}, based_on=None,
            folder_colours=registry.get("aurora").tokens.colour.model_dump(),
        )  # fmt: skip
        await theme_editor.publish(uow, EDITOR, "aurora", version.id, "words")
    context = request_context(db, registry, "aurora")

    with statements_of(db) as seen:
        page = await theme_resolvers.translations(
            context, "de", None, search="", overridden_only=False, after=None, first=100
        )

    assert len(page.entries) == 100 and page.has_next_page
    # The live publication and its version: the catalogue is read from memory.
    assert len(seen) == 2
