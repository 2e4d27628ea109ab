"""Pages gzip-compressed as they render, with what every page of a brand repeats compressed
once.

A page's largest part is the brand's inline stylesheet (about 22 KB of a 50 KB lobby):
the same bytes on every page, yet compressing them was half of each page's gzip time.
A deflate stream is a run of blocks, and a block that a sync flush ended stops on a byte
boundary; a block compressed on its own (`CompressedBlock`) only refers back into itself,
so it can stand between the blocks compressed for this request, the way pigz joins the
parts it compresses in parallel. The gzip trailer's checksum and length cover the whole
text, block included.
"""

from __future__ import annotations

import contextlib
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

# Magic, deflate, no flags, no modification time, no extra flags, unknown OS (RFC 1952).
GZIP_HEADER: Final = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# Raw deflate: the gzip header and trailer are written here.
RAW_DEFLATE_BITS: Final = -zlib.MAX_WBITS
# A page's own text: most of the saving for a fraction of level 9's time (as before).
PAGE_LEVEL: Final = 5
# A block is compressed once per brand and version: the smallest output is worth the time.
BLOCK_LEVEL: Final = 9


@dataclass(frozen=True)
class CompressedBlock:
    """A text that many pages carry verbatim, compressed once (raw deflate, sync-flushed:
    byte-aligned, not final)."""

    text: str
    data: bytes
    deflated: bytes

    @classmethod
    def of(cls, text: str) -> CompressedBlock:
        data = text.encode()
        compressor = zlib.compressobj(BLOCK_LEVEL, zlib.DEFLATED, RAW_DEFLATE_BITS)
        deflated = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return cls(text=text, data=data, deflated=deflated)


class PageEncoder:
    """A page's text to the bytes sent, part after part: as it is (UTF-8)."""

    encoding: str | None = None

    def encode(self, pieces: list[str], *, last: bool) -> bytes:
        return "".join(pieces).encode()


class GzipPageEncoder(PageEncoder):
    """One gzip member across a page's parts. A piece equal to one of `blocks` (the
    template outputs the stylesheet as a piece of its own) goes out as its precompressed
    bytes; the rest is compressed here. Every part ends on a sync flush, so the browser
    can inflate what it has; the last one ends the stream and adds the trailer."""

    encoding = "gzip"

    def __init__(self, blocks: Iterable[CompressedBlock], level: int = PAGE_LEVEL) -> None:
        self._blocks = tuple(blocks)
        self._level = level
        self._compressor: zlib._Compress | None = None
        self._started = False
        self._crc = 0
        self._size = 0

    def encode(self, pieces: list[str], *, last: bool) -> bytes:
        out = [] if self._started else [GZIP_HEADER]
        self._started = True
        start = 0
        for at, block in self._found(pieces):
            out.append(self._compress("".join(pieces[start:at])))
            if self._compressor is not None:
                # Ends the blocks before on a byte boundary; the next text starts afresh,
                # so nothing after refers back across the precompressed block.
                out.append(self._compressor.flush(zlib.Z_SYNC_FLUSH))
                self._compressor = None
            out.append(block.deflated)
            self._crc = zlib.crc32(block.data, self._crc)
            self._size += len(block.data)
            start = at + 1
        out.append(self._compress("".join(pieces[start:])))
        compressor = self._compressor or self._new_compressor()
        if last:
            out.append(compressor.flush(zlib.Z_FINISH))
            out.append(struct.pack("<II", self._crc & 0xFFFFFFFF, self._size & 0xFFFFFFFF))
        else:
            out.append(compressor.flush(zlib.Z_SYNC_FLUSH))
        return b"".join(out)

    def _found(self, pieces: list[str]) -> list[tuple[int, CompressedBlock]]:
        """Where blocks stand in `pieces`, in order. `list.index` compares in C (by length
        first), so a page's thousand pieces cost no Python loop."""
        found = []
        for block in self._blocks:
            at = 0
            with contextlib.suppress(ValueError):
                while True:
                    at = pieces.index(block.text, at)
                    found.append((at, block))
                    at += 1
        return sorted(found, key=lambda pair: pair[0])

    def _new_compressor(self) -> zlib._Compress:
        self._compressor = zlib.compressobj(self._level, zlib.DEFLATED, RAW_DEFLATE_BITS)
        return self._compressor

    def _compress(self, text: str) -> bytes:
        if not text:
            return b""
        data = text.encode()
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        return (self._compressor or self._new_compressor()).compress(data)


def accepts_gzip(accept_encoding: str) -> bool:
    """As Starlette's GZipMiddleware reads the header (which this encoder stands in for)."""
    return "gzip" in accept_encoding
