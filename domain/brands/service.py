"""Load, validate and look up brands; resolve the brand of a request.

Errors: InvalidTheme (a theme.toml fails validation, naming the file and field),
UnknownBrand (a host or brand slug that no theme allows).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from sqlalchemy.dialects.postgresql import insert

from domain.brands.errors import InvalidTheme, UnknownBrand
from domain.brands.models import BrandRow
from domain.brands.theme import ThemeAssets, ThemeTokens, contrast_problems
from domain.kernel.db import UnitOfWork
from domain.kernel.money import is_supported_currency

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
HOST_PATTERN = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
BASE_THEME = "base"

Locale = Annotated[str, Field(pattern=r"^[a-z]{2}(_[A-Z]{2})?$")]


class Brand(BaseModel):
    """A brand as its theme.toml declares it (tokens and assets are the site's concern)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    slug: str = Field(pattern=SLUG_PATTERN.pattern)
    name: str = Field(min_length=1, max_length=80)
    domains: tuple[str, ...] = Field(min_length=1)
    default_locale: Locale
    locales: tuple[Locale, ...] = ()
    currencies: tuple[str, ...] = Field(min_length=1)
    default_currency: str | None = None
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    # The IANA zone the brand's business day runs in (reports cut days here).
    time_zone: str = "UTC"
    countries: tuple[str, ...] = ()
    # Which wallets pay a stake, in order (wins go back in the same proportion).
    stake_consumption_order: tuple[str, ...] = ("cash", "bonus")
    # The site's look: design tokens (checked for WCAG 2.2 AA contrast) and asset files.
    tokens: ThemeTokens = ThemeTokens()
    assets: ThemeAssets = ThemeAssets()

    @field_validator("domains")
    @classmethod
    def _domains(cls, domains: tuple[str, ...]) -> tuple[str, ...]:
        lowered = tuple(domain.lower() for domain in domains)
        for domain in lowered:
            if not HOST_PATTERN.match(domain):
                raise ValueError(f"{domain!r} is not a host name")
        return lowered

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}") from None
        return name

    @field_validator("currencies")
    @classmethod
    def _currencies(cls, currencies: tuple[str, ...]) -> tuple[str, ...]:
        for code in currencies:
            if not is_supported_currency(code):
                raise ValueError(f"{code!r} is not a supported ISO 4217 currency")
        return currencies

    @field_validator("stake_consumption_order")
    @classmethod
    def _consumption(cls, order: tuple[str, ...]) -> tuple[str, ...]:
        allowed = {"cash", "bonus", "casino_bonus", "sportsbook_free_bet"}
        if not order or len(set(order)) != len(order) or not set(order) <= allowed:
            raise ValueError(f"must list distinct wallets among {sorted(allowed)}")
        return order

    @field_validator("countries")
    @classmethod
    def _countries(cls, countries: tuple[str, ...]) -> tuple[str, ...]:
        for code in countries:
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
        return countries

    @field_validator("tokens")
    @classmethod
    def _readable(cls, tokens: ThemeTokens) -> ThemeTokens:
        problems = contrast_problems(tokens.colour)
        if problems:
            raise ValueError("colour: " + "; ".join(problems))
        return tokens

    @property
    def all_locales(self) -> tuple[str, ...]:
        return (self.default_locale, *(loc for loc in self.locales if loc != self.default_locale))

    @property
    def primary_currency(self) -> str:
        return self.default_currency or self.currencies[0]

    def allows_country(self, country: str) -> bool:
        return not self.countries or country in self.countries


def load_theme(folder: Path) -> Brand:
    path = folder / "theme.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InvalidTheme(f"{path}: {error}") from None
    try:
        return Brand.model_validate({**data, "slug": folder.name})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise InvalidTheme(f"{path}: {problems}") from None


@dataclass(frozen=True)
class BrandRegistry:
    """Every brand this deployment serves, indexed by slug and by host."""

    by_slug: Mapping[str, Brand]
    by_host: Mapping[str, Brand]

    @classmethod
    def from_brands(cls, brands: Iterable[Brand]) -> BrandRegistry:
        by_slug: dict[str, Brand] = {}
        by_host: dict[str, Brand] = {}
        for brand in brands:
            by_slug[brand.slug] = brand
            for domain in brand.domains:
                if domain in by_host:
                    other = by_host[domain].slug
                    raise InvalidTheme(
                        f"host {domain!r} is claimed by {other!r} and {brand.slug!r}"
                    )
                by_host[domain] = brand
        if not by_slug:
            raise InvalidTheme("no brand themes found")
        return cls(by_slug, by_host)

    @classmethod
    def load(cls, themes_dir: Path) -> BrandRegistry:
        folders = sorted(
            child
            for child in themes_dir.iterdir()
            if child.is_dir() and child.name != BASE_THEME and (child / "theme.toml").exists()
        )
        return cls.from_brands(load_theme(folder) for folder in folders)

    def get(self, slug: str) -> Brand:
        try:
            return self.by_slug[slug]
        except KeyError:
            raise UnknownBrand(field="brand") from None

    def for_host(self, host: str) -> Brand | None:
        return self.by_host.get(normalise_host(host))


def normalise_host(host: str) -> str:
    """`Aurora.localhost:8000` -> `aurora.localhost` (IPv6 literals keep their brackets)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def resolve_request_brand(
    registry: BrandRegistry, *, host: str, api_hosts: Iterable[str], brand_header: str | None
) -> Brand:
    """The brand of a request: from an allow-listed brand host, or on an API host from the
    brand header. A brand header that disagrees with a brand host is refused, and an unknown
    host never falls back to a default brand.
    """
    brand = registry.for_host(host)
    if brand is not None:
        if brand_header and brand_header != brand.slug:
            raise UnknownBrand("The brand header does not match this host.", field="brand")
        return brand
    if normalise_host(host) in {h.lower() for h in api_hosts}:
        if not brand_header:
            raise UnknownBrand("API requests on this host must name a brand.", field="brand")
        return registry.get(brand_header)
    raise UnknownBrand(field="host")


async def sync_brands(uow: UnitOfWork, registry: BrandRegistry) -> None:
    """Upsert the database's brand rows from the themes."""
    for brand in registry.by_slug.values():
        statement = insert(BrandRow).values(
            slug=brand.slug,
            name=brand.name,
            jurisdiction=brand.jurisdiction,
            time_zone=brand.time_zone,
        )
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=[BrandRow.slug],
                set_={
                    "name": statement.excluded.name,
                    "jurisdiction": statement.excluded.jurisdiction,
                    "time_zone": statement.excluded.time_zone,
                },
            )
        )
