"""Published palettes on every replica, without a restart.

The back office's theme editor publishes a version in the database and announces it
through the outbox (`brands.theme_published`). Each replica subscribes to that topic on its
event hub and reloads the live palettes (one small query: a row per brand that published)
into its site themes. It loads once at start and again after any interruption of the hub,
when announcements may have been missed; the theme folders stay the defaults of brands that
never published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Final

from domain.brands import theme_editor
from domain.brands.events import ThemePublished
from domain.kernel.db import Database
from domain.kernel.pubsub import EventHub, SubscriptionInterrupted
from domain.kernel.supervision import TaskHealth, supervise
from web.site.themes import SiteTheme

log = logging.getLogger(__name__)

LIVE_THEMES_TASK: Final = "live-themes"


async def load_live_palettes(db: Database, themes: Mapping[str, SiteTheme]) -> None:
    """Each brand's live version (palette, fonts, radii, pages, logo and favicon)."""
    async with db.uow() as uow:
        live = await theme_editor.live_versions(uow)
    for slug, theme in themes.items():
        theme.published = live.get(slug)


async def follow_live_themes(
    db: Database,
    hub: EventHub,
    themes: Mapping[str, SiteTheme],
    stop: asyncio.Event,
    *,
    health: TaskHealth,
) -> None:
    """Keep `themes` on their published palettes until `stop` is set."""

    async def body(health: TaskHealth) -> None:
        while not stop.is_set():
            try:
                # Subscribed before loading: a publication in between is not missed.
                async with hub.subscribe(ThemePublished.topic) as events:
                    await load_live_palettes(db, themes)
                    health.mark_up()
                    async for event in events:
                        log.info("theme published on %s", event.brand)
                        await load_live_palettes(db, themes)
            except SubscriptionInterrupted:
                continue  # reload and listen again

    await supervise(health, body, stop=stop)
