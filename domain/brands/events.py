from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from domain.kernel.outbox import Event


@dataclass(frozen=True)
class ThemePublished(Event):
    """A brand's live palette changed: every replica reloads it (web/site/themes.py)."""

    topic: ClassVar[str] = "brands.theme_published"
    brand: str
    version: int
