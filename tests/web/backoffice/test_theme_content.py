"""The theme editor beyond colours: fonts from a safe list, radii, logo and favicon uploads
(PNG or WebP by their bytes; SVG and disguised files refused) and legal pages in Markdown
(raw HTML shown as text), seen on the brand site once published and, before that, in the
signed preview the editor frames."""

from __future__ import annotations

import re
import struct
import zlib

from sqlalchemy import func, select

from domain.brands.models import ThemeAsset, ThemeVersion
from domain.brands.service import BrandRegistry
from domain.brands.theme_content import FONT_CHOICES
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from tests.support import AURORA
from tests.web.backoffice.support import signed_in_console
from tests.web.site.support import SiteClient

VERSION_ID = re.compile(r'name="version" value="([^"]+)"')
PREVIEW = re.compile(r'<iframe id="theme-preview" src="([^"]+)"')


def png(width: int = 2, height: int = 1) -> bytes:
    """A real PNG (grey pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )  # fmt: skip


def _form(registry: BrandRegistry, **changes: str) -> dict[str, str]:
    return {**registry.get("aurora").tokens.colour.model_dump(), **changes}


async def _counts(db: Database) -> tuple[int, int]:
    async with db.uow() as uow:
        versions = await uow.session.scalar(select(func.count()).select_from(ThemeVersion))
        assets = await uow.session.scalar(select(func.count()).select_from(ThemeAsset))
    return int(versions or 0), int(assets or 0)


async def test_svg_disguised_and_oversized_uploads_are_refused_and_nothing_is_stored(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    admin = await signed_in_console(server, db, "theme-up@op.example", ["admin"])
    await admin.get("/themes")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    as_svg = await admin.post(
        "/themes/save", _form(registry), files={"logo": ("logo.svg", svg, "image/svg+xml")}
    )
    disguised = await admin.post(
        "/themes/save", _form(registry), files={"logo": ("logo.png", svg, "image/png")}
    )
    oversized = await admin.post(
        "/themes/save",
        _form(registry),
        files={"favicon": ("f.png", png() + b"\x00" * 20_000, "image/png")},
    )
    bad_font = await admin.post("/themes/save", {**_form(registry), "font_body": "Comic; x"})
    bad_radius = await admin.post("/themes/save", {**_form(registry), "radius_large": "99px"})

    for refused in (as_svg, disguised, oversized, bad_font, bad_radius):
        assert refused.status_code == 400
    assert "The logo was refused: Upload a PNG or WebP image (SVG is refused)" in as_svg.text
    assert "The logo was refused" in disguised.text
    assert "The favicon was refused: A favicon is at most 16 KiB." in oversized.text
    assert "Choose each font from the editor&#39;s list." in bad_font.text
    assert "at most 32px" in bad_radius.text
    assert await _counts(db) == (0, 0)
    await admin.aclose()


async def test_fonts_radius_logo_and_pages_show_in_the_preview_then_live_once_published(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    site = SiteClient(server, AURORA)
    admin = await signed_in_console(server, db, "theme-all@op.example", ["admin"])
    await admin.get("/themes")
    logo = png(4, 2)
    terms = "# House rules\n\nPlay *fair* at {brand}.\n\n<script>alert('x')</script>\n"

    saved = await admin.post(
        "/themes/save",
        {
            **_form(registry, primary="#3d1f9c"),
            "font_body": "serif", "font_heading": "slab",
            "radius_small": "2px", "radius_medium": "6px", "radius_large": "1rem",
            "page_terms": terms,
        },
        files={"logo": ("brand.png", logo, "application/octet-stream")},
    )  # fmt: skip
    editor = await admin.get("/themes")
    preview_url = PREVIEW.search(editor.text)
    assert saved.status_code == 303 and preview_url is not None, saved.text
    preview_path = preview_url.group(1).split(":", 2)[2].partition("/")[2]
    preview = await site.get("/" + preview_path)
    preview_terms = await site.get("/" + preview_path + "/legal/terms")
    live_before = await site.get("/")
    forged = await site.get("/_theme-preview/1.9999999999.AAAA")

    assert preview.status_code == 200
    assert "--colour-primary: #3d1f9c;" in preview.text
    assert FONT_CHOICES["serif"].replace("'", "&#39;") in preview.text or (
        FONT_CHOICES["serif"] in preview.text
    )
    assert "--radius-large: 1rem;" in preview.text
    assert "frame-ancestors" in preview.headers["content-security-policy"]
    assert "admin.localhost" in preview.headers["content-security-policy"]
    # CSP governs the preview's framing: no X-Frame-Options DENY beside it (its legal
    # pages too); the brand's own pages keep both.
    assert "x-frame-options" not in preview.headers
    assert "x-frame-options" not in preview_terms.headers
    assert live_before.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in live_before.headers["content-security-policy"]
    assert forged.headers["x-frame-options"] == "DENY"
    logo_path = re.search(r'class="logo"[^>]*><img src="(/theme-assets/[^"]+)"', preview.text)
    assert logo_path is not None
    assert "<h1>House rules</h1>" in preview_terms.text
    assert "Play <em>fair</em> at Aurora Casino." in preview_terms.text
    assert "<script>alert" not in preview_terms.text
    assert "&lt;script&gt;alert" in preview_terms.text
    assert "--colour-primary: #3d1f9c;" not in live_before.text  # not published yet
    assert forged.status_code == 404
    served = await site.get(logo_path.group(1))
    assert served.status_code == 200 and served.content == logo
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]

    version = VERSION_ID.findall(editor.text)[0]
    published = await admin.post("/themes/publish", {"version": version, "reason": "new look"})
    assert published.status_code == 303
    live = await site.get("/")
    for _ in range(50):
        if logo_path.group(1) in live.text:
            break
        live = await site.get("/")
    live_terms = await site.get("/legal/terms")
    assert logo_path.group(1) in live.text and "--radius-large: 1rem;" in live.text
    assert "<h1>House rules</h1>" in live_terms.text
    await site.aclose()
    await admin.aclose()


async def test_a_full_save_under_the_editors_own_body_limit_succeeds_and_one_over_is_refused(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    """Three full legal pages, a 48 KiB logo and a 16 KiB favicon are more than the app-wide
    100 KB limit: the editor's save has its own 512 KiB, on admin hosts only."""
    admin = await signed_in_console(server, db, "theme-big@op.example", ["admin"])
    await admin.get("/themes")
    page = "Fair play at the tables.\n" * 800  # 20,000 characters: a page's most
    logo = png(4, 2)
    favicon = png()
    full = {f"page_{name}": page for name in ("terms", "privacy", "responsible-gambling")}
    files = {
        "logo": ("logo.png", logo + b"\x00" * (48 * 1024 - len(logo)), "image/png"),
        "favicon": ("favicon.png", favicon + b"\x00" * (16 * 1024 - len(favicon)), "image/png"),
    }
    before = await _counts(db)

    saved = await admin.post("/themes/save", {**_form(registry), **full}, files=files)
    # The same save padded to just under the limit (the form ignores fields it does not know).
    padding = 512 * 1024 - int(saved.request.headers["content-length"]) - 300
    near_limit = await admin.post(
        "/themes/save", {**_form(registry), **full, "padding": "p" * padding}, files=files
    )
    after_save = await _counts(db)
    too_large = await admin.post(
        "/themes/save", {**_form(registry), "page_terms": "x" * (512 * 1024 + 1)}
    )
    # Elsewhere the app-wide limit stands: the API refuses the same bytes as before.
    elsewhere = await admin.post("/aml/take", {"alert": "x" * 150_000})

    assert int(saved.request.headers["content-length"]) > get_settings().graphql_max_body_bytes
    assert 511 * 1024 < int(near_limit.request.headers["content-length"]) < 512 * 1024
    for ok in (saved, near_limit):
        assert ok.status_code in (302, 303), ok.text[:500]
        assert ok.headers["location"] == "/themes?notice=theme_saved"
    assert after_save == (before[0] + 2, before[1] + 4)
    assert too_large.status_code == 413
    assert "This form is too large: at most 512 KiB, pages and uploads together." in (
        too_large.text
    )
    assert await _counts(db) == after_save
    assert elsewhere.status_code == 413
    assert elsewhere.json()["error"]["code"] == "BODY_TOO_LARGE"
    await admin.aclose()
