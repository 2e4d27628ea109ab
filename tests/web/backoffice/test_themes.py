"""The theme editor in the console: a low-contrast palette is refused with each failing
pair and its ratio and nothing is stored; a good one is saved as a version, published, and
the brand site's stylesheet changes on the running server (through the outbox and the
event hub, as on every replica), then rolls back to the earlier version."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select

from domain.brands.models import ThemePublication, ThemeVersion
from domain.brands.service import BrandRegistry
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from tests.conftest import app_server
from tests.support import AURORA
from tests.web.backoffice.support import signed_in_console
from tests.web.backoffice.test_console import last_audit_id
from tests.web.site.support import SiteClient

VERSION_ID = re.compile(r'name="version" value="([^"]+)"')


def _palette(registry: BrandRegistry, **changes: str) -> dict[str, str]:
    return {**registry.get("aurora").tokens.colour.model_dump(), **changes}


async def _rows(db: Database) -> tuple[int, int]:
    async with db.uow() as uow:
        versions = await uow.session.scalar(select(func.count()).select_from(ThemeVersion))
        published = await uow.session.scalar(select(func.count()).select_from(ThemePublication))
    return int(versions or 0), int(published or 0)


async def _stylesheet_shows(site: SiteClient, colour: str) -> bool:
    """Whether aurora's stylesheet (as its pages carry it, inline in their head) reaches
    `colour` within seconds."""
    for _ in range(100):
        home = await site.get("/")
        style = re.search(r"<style nonce=\"[^\"]+\">(.*?)</style>", home.text, re.DOTALL)
        assert style is not None
        if f"--colour-primary: {colour};" in style.group(1):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_low_contrast_palette_is_refused_with_the_pair_and_its_ratio(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    admin = await signed_in_console(server, db, "admin@op.example", ["admin"])
    await admin.get("/themes")

    refused = await admin.post("/themes/save", _palette(registry, text="#1a1f3d"))

    assert refused.status_code == 400
    assert (
        "text (#1a1f3d) on background (#0f1226) has contrast 1.15:1, below WCAG 2.2 AA 4.5:1"
        in refused.text
    )
    assert "text (#1a1f3d) on surface (#1a1f3d) has contrast 1.00:1" in refused.text
    assert 'value="#1a1f3d"' in refused.text  # what was typed stays in the form
    assert await _rows(db) == (0, 0)
    await admin.aclose()


async def test_publish_changes_the_live_site_without_a_restart_then_rolls_back(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    site = SiteClient(server, AURORA)
    shipped = registry.get("aurora").tokens.colour.primary
    admin = await signed_in_console(server, db, "admin@op.example", ["admin"])
    await admin.get("/themes")
    since = await last_audit_id(db)  # the audit log is kept between tests

    first = await admin.post("/themes/save", _palette(registry, primary="#5b3df0"))
    second = await admin.post("/themes/save", _palette(registry, primary="#4a2fd0"))
    editor = await admin.get("/themes")
    # Newest first: version 2, then version 1.
    newest, oldest = VERSION_ID.findall(editor.text)
    unpublished_css_kept = await _stylesheet_shows(site, shipped)
    no_reason = await admin.post("/themes/publish", {"version": newest})
    published = await admin.post("/themes/publish", {"version": newest, "reason": "rebrand"})
    live_after_publish = await _stylesheet_shows(site, "#4a2fd0")
    rolled_back = await admin.post("/themes/publish", {"version": oldest, "reason": "too dark"})
    live_after_rollback = await _stylesheet_shows(site, "#5b3df0")

    assert first.status_code == second.status_code == 303
    assert unpublished_css_kept
    assert no_reason.status_code == 400
    assert published.status_code == rolled_back.status_code == 303
    assert live_after_publish and live_after_rollback
    assert await _rows(db) == (2, 2)
    async with db.uow() as uow:
        audit = list(
            await uow.session.execute(
                select(AuditEntry.action, AuditEntry.reason)
                .where(AuditEntry.action.startswith("brand.theme."), AuditEntry.id > since)
                .order_by(AuditEntry.id)
            )
        )
    assert [tuple(row) for row in audit] == [
        ("brand.theme.draft", None),
        ("brand.theme.draft", None),
        ("brand.theme.publish", "rebrand"),
        ("brand.theme.publish", "too dark"),
    ]
    await site.aclose()
    await admin.aclose()


async def test_only_a_role_holding_theme_manage_reaches_the_editor(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    finance = await signed_in_console(server, db, "finance@op.example", ["finance"])

    page = await finance.get("/themes")
    forced = await finance.post("/themes/save", _palette(registry, primary="#5b3df0"))

    assert page.status_code == forced.status_code == 403
    assert await _rows(db) == (0, 0)
    await finance.aclose()


async def test_a_publication_reaches_another_replica(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    async with app_server(registry) as other_replica:
        elsewhere = SiteClient(other_replica, AURORA)
        admin = await signed_in_console(server, db, "admin@op.example", ["admin"])
        await admin.get("/themes")
        await admin.post("/themes/save", _palette(registry, primary="#3b1fc0"))
        version = VERSION_ID.findall((await admin.get("/themes")).text)[0]

        published = await admin.post("/themes/publish", {"version": version, "reason": "x"})

        assert published.status_code == 303
        assert await _stylesheet_shows(elsewhere, "#3b1fc0")
        await elsewhere.aclose()
        await admin.aclose()
