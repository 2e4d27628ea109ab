"""A brand's look as data: design tokens (colours, fonts, radii), assets and their rules.

Tokens become CSS custom properties on the site; every colour pair the base stylesheet
puts text on is checked against WCAG 2.2 AA (4.5:1 for normal text, 3:1 for the borders of
form controls), so a brand cannot ship an unreadable palette. Font stacks and radii are
interpolated into CSS, so they are held to patterns that cannot close a declaration.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

HexColour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
# Letters, digits, spaces, commas, hyphens and quotes: a font stack and nothing else.
FontStack = Annotated[str, Field(pattern=r"^[A-Za-z0-9 ,'\"-]{1,200}$")]
Length = Annotated[str, Field(pattern=r"^(0|[0-9]{1,3}(\.[0-9]{1,3})?(px|rem|em))$")]

# WCAG 2.2 success criteria 1.4.3 (text) and 1.4.11 (user-interface components).
TEXT_CONTRAST_MIN: Final = 4.5
COMPONENT_CONTRAST_MIN: Final = 3.0

# (foreground, background) token pairs the base stylesheet renders text with.
TEXT_PAIRS: Final = (
    ("text", "background"),
    ("text", "surface"),
    ("muted", "background"),
    ("muted", "surface"),
    ("link", "background"),
    ("link", "surface"),
    ("on_primary", "primary"),
    ("on_accent", "accent"),
    ("danger", "surface"),
    ("danger", "background"),
    ("success", "surface"),
    ("success", "background"),
)
# Borders of inputs and buttons against the page they sit on.
COMPONENT_PAIRS: Final = (("border", "background"), ("border", "surface"))


class ColourTokens(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    background: HexColour = "#ffffff"
    surface: HexColour = "#f3f4f6"
    text: HexColour = "#111827"
    muted: HexColour = "#4b5563"
    link: HexColour = "#1d4ed8"
    primary: HexColour = "#1d4ed8"
    on_primary: HexColour = "#ffffff"
    accent: HexColour = "#065f46"
    on_accent: HexColour = "#ffffff"
    border: HexColour = "#6b7280"
    danger: HexColour = "#b91c1c"
    success: HexColour = "#166534"


class FontTokens(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    body: FontStack = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
    heading: FontStack = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


class RadiusTokens(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    small: Length = "4px"
    medium: Length = "8px"
    large: Length = "16px"


class ThemeTokens(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    colour: ColourTokens = ColourTokens()
    font: FontTokens = FontTokens()
    radius: RadiusTokens = RadiusTokens()

    def css_variables(self) -> dict[str, str]:
        """`--colour-text: #111827`, … in a stable order."""
        variables: dict[str, str] = {}
        for group_name in ("colour", "font", "radius"):
            group: BaseModel = getattr(self, group_name)
            for name, value in group.model_dump().items():
                variables[f"--{group_name}-{name.replace('_', '-')}"] = value
        return variables


class ThemeAssets(BaseModel):
    """Files of the theme folder (relative paths); None: the base theme's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    logo: str | None = None
    favicon: str | None = None

    @field_validator("logo", "favicon")
    @classmethod
    def _relative(cls, value: str | None) -> str | None:
        if value is None:
            return None
        path = PurePosixPath(value)
        if path.is_absolute() or ".." in path.parts or not re.fullmatch(r"[\w./-]+", value):
            raise ValueError(f"{value!r} must be a plain path inside the theme folder")
        if path.suffix not in {".svg", ".png", ".ico", ".webp"}:
            raise ValueError(f"{value!r} must be an .svg, .png, .ico or .webp file")
        return value


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of `#rrggbb`."""
    channels = []
    for start in (1, 3, 5):
        value = int(colour[start : start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def contrast_problems(colours: ColourTokens) -> list[str]:
    """Every token pair below its WCAG 2.2 AA minimum, named with its ratio."""
    problems = []
    pairs = [(pair, TEXT_CONTRAST_MIN, "normal text") for pair in TEXT_PAIRS]
    pairs += [(pair, COMPONENT_CONTRAST_MIN, "control borders") for pair in COMPONENT_PAIRS]
    for (foreground, background), minimum, role in pairs:
        front, back = getattr(colours, foreground), getattr(colours, background)
        ratio = contrast_ratio(front, back)
        if ratio < minimum:
            # Rounded down, so a failing 4.497 is never reported as 4.50.
            shown = math.floor(ratio * 100) / 100
            problems.append(
                f"{foreground} ({front}) on {background} ({back}) has contrast "
                f"{shown:.2f}:1, below WCAG 2.2 AA {minimum:g}:1 ({role})"
            )
    return problems
