"""Pages are gzip-compressed by the site itself, the brand's stylesheet precompressed once:
whatever the parts a page goes out in, a browser inflates exactly the page."""

from __future__ import annotations

import gzip
import zlib

from tests.web.site.support import SiteClient
from web.site.compression import CompressedBlock, GzipPageEncoder, PageEncoder

STYLESHEET = ":root { --colour: #123456; }\n" + "body { margin: 0; }\n" * 400


def test_a_page_with_the_stylesheet_inflates_to_the_same_text_in_one_part_or_many() -> None:
    block = CompressedBlock.of(STYLESHEET)
    pieces = ["<!doctype html><style>", STYLESHEET, "</style>", "<p>é ünïcode</p>" * 50]

    whole = GzipPageEncoder([block]).encode(pieces, last=True)
    streamed = GzipPageEncoder([block])
    parts = [streamed.encode(pieces[:1], last=False), streamed.encode(pieces[1:3], last=False)]
    parts.append(streamed.encode(pieces[3:], last=False))
    parts.append(streamed.encode([], last=True))

    assert gzip.decompress(whole).decode() == "".join(pieces)
    assert gzip.decompress(b"".join(parts)).decode() == "".join(pieces)
    # The stylesheet went out as compressed once, not compressed again.
    assert block.deflated in whole


def test_each_part_of_a_streamed_page_inflates_as_it_arrives() -> None:
    encoder = GzipPageEncoder([CompressedBlock.of(STYLESHEET)])
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)

    first = inflater.decompress(encoder.encode(["<head><style>", STYLESHEET], last=False))
    second = inflater.decompress(encoder.encode(["</style></head>"], last=True))

    assert first.decode() == "<head><style>" + STYLESHEET
    assert second.decode() == "</style></head>"
    assert inflater.eof


def test_text_that_only_resembles_the_stylesheet_is_compressed_as_text() -> None:
    block = CompressedBlock.of(STYLESHEET)
    lookalike = STYLESHEET.replace("#123456", "#654321")

    body = GzipPageEncoder([block]).encode([lookalike], last=True)

    assert gzip.decompress(body).decode() == lookalike
    assert block.deflated not in body


def test_without_gzip_the_page_is_its_text() -> None:
    assert PageEncoder().encode(["<p>", "é", "</p>"], last=True) == "<p>é</p>".encode()


async def test_the_lobby_is_the_same_page_compressed_or_not_and_goes_whole(
    aurora_site: SiteClient,
) -> None:
    compressed = await aurora_site.get("/casino")
    plain = await aurora_site.get("/casino", headers={"accept-encoding": "identity"})

    assert compressed.headers["content-encoding"] == "gzip"
    assert int(compressed.headers["content-length"]) < len(plain.content) // 3
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(plain.content)
    assert "Accept-Encoding" in compressed.headers["vary"]
    # The same page (its per-request nonce and CSRF token aside), stylesheet included.
    assert compressed.text.count("<style nonce=") == plain.text.count("<style nonce=") == 1
    assert len(compressed.text) == len(plain.text)
    assert compressed.text.rstrip().endswith("</html>")
