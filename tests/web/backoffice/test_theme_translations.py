"""The theme editor's translations section in the console: the chosen language's messages
with the shipped text beside the override, searched and paged; a save with a broken
placeholder is refused with the message (what was typed stays) and nothing is stored; a
good one becomes a new version that starts from the newest one."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from domain.brands.models import ThemeVersion
from domain.kernel.db import Database
from tests.web.backoffice.support import signed_in_console

WELCOME = "Welcome to %(brand)s"
ROW = re.compile(r'<li data-msgid="([^"]*)">')
NEXT = re.compile(r'<a href="/themes\?([^"]+)#translations-title" rel="next">')


async def _versions(db: Database) -> int:
    async with db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(ThemeVersion)) or 0)


def _form(msgid: str, text: str) -> dict[str, str]:
    return {"locale": "de", "q": "welcome", "msgid_0": msgid, "text_0": text}


async def test_the_section_lists_searches_and_pages_the_chosen_language(
    server: str, db: Database
) -> None:
    admin = await signed_in_console(server, db, "tr-page@op.example", ["admin"])

    first = await admin.get("/themes?locale=de")
    following = NEXT.search(first.text)
    assert following is not None
    second = await admin.get("/themes?" + html.unescape(following.group(1)))
    searched = await admin.get("/themes?locale=de&q=welcome+to")

    shown = ROW.findall(first.text)
    assert len(shown) == 25 and shown == sorted(shown)
    assert ROW.findall(second.text)[0] > shown[-1]
    assert [html.unescape(m) for m in ROW.findall(searched.text)] == [WELCOME]
    assert "Willkommen bei %(brand)s" in searched.text
    assert 'aria-current="true">DE</a>' in searched.text
    await admin.aclose()


async def test_a_broken_placeholder_is_refused_and_a_good_text_saved_as_a_version(
    server: str, db: Database
) -> None:
    admin = await signed_in_console(server, db, "tr-save@op.example", ["admin"])
    await admin.get("/themes?locale=de")

    refused = await admin.post("/themes/translations", _form(WELCOME, "Hallo zusammen"))
    stored_after_refusal = await _versions(db)
    saved = await admin.post("/themes/translations", _form(WELCOME, "Hallo bei %(brand)s"))
    editor = await admin.get("/themes?locale=de&q=welcome+to")

    assert refused.status_code == 400
    assert "must keep the placeholders %(brand)s." in html.unescape(refused.text)
    assert ">Hallo zusammen</textarea>" in refused.text
    assert stored_after_refusal == 0
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/themes?notice=translations_saved&locale=de")
    assert ">Hallo bei %(brand)s</textarea>" in editor.text
    assert "Translations: 1 words overridden" in editor.text
    assert await _versions(db) == 1
    await admin.aclose()
