"""Artwork of the demo studios' games, drawn from a seed: a lobby tile per game and the
slot symbols as shapes (never words). The same code always gives the same picture, so the
SVG can be cached for a year under a versioned URL (`aggregator.studio_art_url`).

Pure string building: no randomness but SHA-256 of the seed, no fonts, no outside files.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from html import escape

TILE_WIDTH = 320
TILE_HEIGHT = 240


@dataclass(frozen=True)
class Palette:
    background: str
    glow: str
    accent: str
    ink: str


class _Stream:
    """Deterministic numbers from a seed (SHA-256 in counter mode): art, not chance."""

    def __init__(self, seed: str) -> None:
        self.seed = seed.encode()
        self.counter = 0
        self.pool = b""

    def byte(self) -> int:
        if not self.pool:
            self.pool = hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        value, self.pool = self.pool[0], self.pool[1:]
        return value

    def between(self, low: int, high: int) -> int:
        """A number from low to high inclusive (high - low < 65536)."""
        span = high - low + 1
        return low + ((self.byte() << 8) | self.byte()) % span


def palette(seed: str) -> Palette:
    stream = _Stream(f"palette:{seed}")
    hue = stream.between(0, 359)
    return Palette(
        background=f"hsl({hue} 55% 18%)",
        glow=f"hsl({(hue + 40) % 360} 70% 42%)",
        accent=f"hsl({(hue + 180) % 360} 85% 62%)",
        ink=f"hsl({(hue + 200) % 360} 90% 92%)",
    )


def _star(cx: float, cy: float, outer: float, inner: float, points: int) -> str:
    corners = []
    for index in range(points * 2):
        radius = outer if index % 2 == 0 else inner
        angle = math.pi * index / points - math.pi / 2
        corners.append(f"{cx + radius * math.cos(angle):.1f},{cy + radius * math.sin(angle):.1f}")
    return " ".join(corners)


# Each symbol drawn in a 100 x 100 box: fill colours come from the game's palette.
def _shape(symbol: str, colours: Palette) -> str:
    accent, ink, glow = colours.accent, colours.ink, colours.glow
    shapes = {
        # Demo studio slots: gem, crown, star, heart, leaf, coin.
        "G": f'<polygon points="50,8 86,36 50,92 14,36" fill="{accent}"/>'
        f'<polygon points="50,8 66,36 50,92 34,36" fill="{ink}" opacity=".45"/>',
        "K": f'<polygon points="12,78 18,30 36,52 50,18 64,52 82,30 88,78" fill="{accent}"/>'
        f'<rect x="12" y="78" width="76" height="10" rx="3" fill="{ink}"/>',
        "S": f'<polygon points="{_star(50, 52, 42, 18, 5)}" fill="{accent}"/>',
        "H": f'<path d="M50 88 L14 50 A20 20 0 0 1 50 24 A20 20 0 0 1 86 50 Z" fill="{glow}"/>',
        "T": f'<path d="M50 10 C84 30 84 70 50 90 C16 70 16 30 50 10 Z" fill="{glow}"/>'
        f'<path d="M50 18 L50 84" stroke="{ink}" stroke-width="4"/>',
        "O": f'<circle cx="50" cy="50" r="38" fill="{accent}"/>'
        f'<circle cx="50" cy="50" r="26" fill="none" stroke="{ink}" stroke-width="6"/>',
        # Stakehouse Originals slot: seven, bar, bell, plum, lemon, cherries, as drawings.
        "7": f'<polygon points="{_star(50, 50, 44, 22, 7)}" fill="#ff4d6d"/>'
        f'<circle cx="50" cy="50" r="14" fill="{ink}"/>',
        "B": '<rect x="10" y="32" width="80" height="36" rx="8" fill="#e8eef4"/>'
        '<rect x="18" y="44" width="64" height="12" rx="4" fill="#3b4a5a"/>',
        "L": '<path d="M50 12 C30 12 26 32 24 56 L16 72 L84 72 L76 56 C74 32 70 12 50 12 Z" '
        'fill="#f5b83d"/><circle cx="50" cy="80" r="8" fill="#f5b83d"/>',
        "P": '<circle cx="50" cy="56" r="32" fill="#b57cff"/>'
        '<path d="M50 24 C56 10 70 10 76 14 C68 22 58 24 50 24 Z" fill="#5fbf6a"/>',
        "M": '<ellipse cx="50" cy="52" rx="40" ry="28" fill="#f0e14a"/>'
        '<ellipse cx="38" cy="44" rx="10" ry="5" fill="#fff7b0"/>',
        "C": '<path d="M34 66 C40 40 52 24 70 14 M66 66 C62 44 64 28 70 14" '
        'stroke="#5fbf6a" stroke-width="4" fill="none"/>'
        '<circle cx="32" cy="70" r="16" fill="#ff6b6b"/>'
        '<circle cx="66" cy="72" r="16" fill="#e0434b"/>',
    }
    return shapes.get(symbol, f'<circle cx="50" cy="50" r="30" fill="{ink}"/>')


def symbol_svg(symbol: str, seed: str, label: str) -> str:
    """One reel symbol as inline SVG (the page sizes it), with `label` as its accessible
    name."""
    return (
        f'<svg viewBox="0 0 100 100" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{_shape(symbol, palette(seed))}</svg>'
    )


def tile_svg(seed: str, title: str, kind: str) -> str:
    """A game's lobby tile (320 x 240): a gradient, scattered shapes and the game's emblem,
    all chosen by the seed. `kind` is "slots" or "table"."""
    stream = _Stream(f"tile:{seed}")
    colours = palette(seed)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{TILE_WIDTH}" height="{TILE_HEIGHT}" '
        f'viewBox="0 0 {TILE_WIDTH} {TILE_HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        '<defs><radialGradient id="g" cx="50%" cy="45%" r="75%">'
        f'<stop offset="0" stop-color="{colours.glow}"/>'
        f'<stop offset="1" stop-color="{colours.background}"/></radialGradient></defs>',
        f'<rect width="{TILE_WIDTH}" height="{TILE_HEIGHT}" fill="url(#g)"/>',
    ]
    for _ in range(stream.between(7, 12)):
        x, y = stream.between(0, TILE_WIDTH), stream.between(0, TILE_HEIGHT)
        radius = stream.between(4, 26)
        opacity = stream.between(10, 35) / 100
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="{radius}" fill="{colours.ink}" opacity="{opacity}"/>'
        )
    if kind == "table":
        parts.append(_wheel(colours, stream.between(0, 35) * 10))
    else:
        symbols = "GKSHTO"
        emblem = symbols[stream.between(0, len(symbols) - 1)]
        side = symbols[stream.between(0, len(symbols) - 1)]
        parts.append(f'<g transform="translate(30 80) scale(.8)">{_shape(side, colours)}</g>')
        parts.append(f'<g transform="translate(100 40) scale(1.6)">{_shape(emblem, colours)}</g>')
        parts.append(f'<g transform="translate(210 80) scale(.8)">{_shape(side, colours)}</g>')
    parts.append("</svg>")
    return "".join(parts)


def _wheel(colours: Palette, turn: int) -> str:
    """A roulette wheel: 37 pockets around a hub, turned by the seed."""
    pockets = []
    for index in range(37):
        start = 2 * math.pi * index / 37
        end = 2 * math.pi * (index + 1) / 37
        points = [(160, 120)] + [
            (160 + 92 * math.cos(angle), 120 + 92 * math.sin(angle)) for angle in (start, end)
        ]
        fill = "#1f9d55" if index == 0 else ("#c62828" if index % 2 else "#1b1b1f")
        corners = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        pockets.append(f'<polygon points="{corners}" fill="{fill}"/>')
    return (
        f'<g transform="rotate({turn} 160 120)">'
        f'<circle cx="160" cy="120" r="100" fill="{colours.accent}"/>{"".join(pockets)}'
        f'<circle cx="160" cy="120" r="40" fill="{colours.background}"/>'
        f'<circle cx="160" cy="120" r="12" fill="{colours.ink}"/></g>'
    )
