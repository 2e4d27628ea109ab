"""Screenshots of the player site's key pages, per brand, at a phone's and a desktop's size,
and a check that no page scrolls sideways on the narrowest phone (320 px).

    .venv/bin/python -m bench.screenshots [--port 8000] [--out test-artifacts/screenshots]
        [--brand aurora --brand kumo] [--user demo --password stakehouse-play-1]

Against a running `stakehouse dev` (brands on `<slug>.localhost:<port>`), driving Debian's
Chromium. Signed out it photographs the public pages; with `--user` it signs in on each
brand and adds the account pages. Prints one line per page and size and each page that
overflows at 320 px, and exits 1 if any does. tests/browser/test_mobile_<brand>.py run the same
code against the test server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
)
BRANDS: Final = ("aurora", "kumo", "northstar")
# (width, height, name): a phone, a desktop.
SIZES: Final = ((390, 844, "phone"), (1280, 800, "desktop"))
NARROWEST_PX: Final = 320
PUBLIC_PAGES: Final = (
    "/", "/casino", "/sports", "EVENT", "/login", "/register", "/responsible-gambling",
    "/legal/terms",
)  # fmt: skip
ACCOUNT_PAGES: Final = (
    "/account", "/account/deposit", "/account/transactions", "/account/bets", "GAME",
)  # fmt: skip
# The first event of the sports page stands for "an event page", the lobby's first game
# (in play money) for "a game page".
EVENT_LINK: Final = "a[href^='/sports/event/']"
GAME_LINK: Final = "#game-list a.game-demo"
PSEUDO_PAGES: Final = {"EVENT": ("/sports", EVENT_LINK), "GAME": ("/casino", GAME_LINK)}
# Widest element of the page against the viewport: what makes it scroll sideways. The
# width is the one the context was given: a mobile viewport widens its layout to fit
# overflowing content (as a phone zooms out), so clientWidth would hide the overflow.
OVERFLOW_SCRIPT: Final = """(width) => {
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .filter(e => getComputedStyle(e).position !== 'fixed')
    .filter(e => !e.closest('.rail, .sports-nav .nav-list, .table-scroll'))
    .slice(0, 3)
    .map(e => e.tagName.toLowerCase() + '.' + String(e.className || '').split(' ')[0]);
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


@dataclass
class Report:
    shots: list[Path] = field(default_factory=list)
    # "brand path: scrollWidth > width (elements)" for each page wider than 320 px.
    overflows: list[str] = field(default_factory=list)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def brand_url(brand: str, port: int) -> str:
    return f"http://{brand}.localhost:{port}"


async def _linked_path(page: Any, base: str, pseudo: str) -> str | None:
    """The path of the first link of a kind (an event, a game) on the page that lists them."""
    listing, selector = PSEUDO_PAGES[pseudo]
    await page.goto(base + listing)
    link = page.locator(selector).first
    if await link.count() == 0:
        return None
    href: str = await link.get_attribute("href")
    return href


async def sign_in(page: Any, base: str, user: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#field-identifier", user)
    await page.fill("#field-password", password)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state()


async def photograph_brand(
    browser: Any,
    base: str,
    brand: str,
    out: Path,
    *,
    signed_in: bool,
    pages: Sequence[str] | None = None,
    before: Any = None,
) -> Report:
    """Every key page of one brand at each size (full-page PNGs under `out`) and its width
    at 320 px. `before(page)`: an async step run once per fresh context (e.g. signing in)."""
    report = Report()
    paths = list(pages or (PUBLIC_PAGES + (ACCOUNT_PAGES if signed_in else ())))
    for width, height, size in ((NARROWEST_PX, 640, "narrow"), *SIZES):
        context = await browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            is_mobile=width < 800,
            has_touch=width < 800,
            locale="en-GB",
        )
        page = await context.new_page()
        if before is not None:
            await before(page)
        for path in paths:
            pseudo = path in PSEUDO_PAGES
            resolved = await _linked_path(page, base, path) if pseudo else path
            if resolved is None:
                continue
            await page.goto(base + resolved)
            await page.wait_for_load_state("load")
            if size == "narrow":
                found = await page.evaluate(OVERFLOW_SCRIPT, width)
                if found["scroll"] > width:
                    report.overflows.append(
                        f"{brand} {resolved}: {found['scroll']} px > {width} px "
                        f"({', '.join(found['wide'])})"
                    )
                continue
            name = path.lower() if pseudo else (path.strip("/").replace("/", "-") or "home")
            who = "-player" if signed_in else ""
            target = out / f"{brand}-{name}{who}-{size}.png"
            await page.screenshot(path=str(target), full_page=True)
            report.shots.append(target)
        await context.close()
    return report


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--out", type=Path, default=Path("test-artifacts/screenshots"))
    parser.add_argument("--brand", action="append", choices=BRANDS)
    parser.add_argument("--user")
    parser.add_argument("--password", default="stakehouse-play-1")
    parser.add_argument("--page", action="append", help="only these paths (EVENT: an event)")
    args = parser.parse_args(argv)
    from playwright.async_api import async_playwright  # noqa: PLC0415

    args.out.mkdir(parents=True, exist_ok=True)
    overflows: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        for brand in args.brand or BRANDS:
            base = brand_url(brand, args.port)

            async def before(page: Any, base: str = base) -> None:
                if args.user:
                    await sign_in(page, base, args.user, args.password)

            report = await photograph_brand(
                browser, base, brand, args.out, signed_in=bool(args.user), pages=args.page,
                before=before,
            )  # fmt: skip
            for shot in report.shots:
                _say(f"{brand:<10} {shot}")
            overflows += report.overflows
        await browser.close()
    for line in overflows:
        _say(f"OVERFLOW at {NARROWEST_PX} px: {line}")
    _say(f"{len(overflows)} page(s) scroll sideways at {NARROWEST_PX} px")
    return 1 if overflows else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
