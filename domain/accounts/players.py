"""Players: registration, sign-in, status, and staff look-ups. Every read takes the brand."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert

from domain.accounts import passwords, sessions, throttle
from domain.accounts.errors import (
    IdentifierRequired,
    IdentifierTaken,
    InvalidCountry,
    InvalidDateOfBirth,
    InvalidInput,
    PlayerNotFound,
    SelfExclusionActive,
    Underage,
    UnsupportedCurrency,
    UnsupportedLocale,
    UnsupportedOddsFormat,
)
from domain.accounts.events import PlayerRegistered, PlayerStatusChanged
from domain.accounts.identifiers import (
    IdentifierKind,
    classify,
    normalise_email,
    normalise_phone,
    normalise_username,
)
from domain.accounts.models import OddsFormat, Player, PlayerStatus, PrincipalKind
from domain.accounts.permissions import Permission
from domain.accounts.principal import Principal, require_permission, require_player
from domain.accounts.sign_in import Attempt, Candidate, SignInResult, sign_in
from domain.accounts.throttle import account_key
from domain.brands.service import Brand
from domain.kernel import audit, clock
from domain.kernel.db import UnitOfWork
from domain.kernel.errors import DomainError
from domain.kernel.outbox import emit
from domain.kernel.settings import get_settings

AGE_MAX_YEARS = 120
SEARCH_LIMIT_MAX = 100
SEARCH_TEXT_LENGTH_MAX = 100
REASON_LENGTH_MAX = audit.REASON_LENGTH_MAX
# ISO 3166-1 alpha-2 letters only (str.isalpha would also accept other scripts).
_COUNTRY = re.compile(r"[A-Za-z]{2}")
# Statuses that end every session at once (DESIGN.md section 6 for self-exclusion).
SESSION_ENDING_STATUSES = frozenset(
    {PlayerStatus.SUSPENDED, PlayerStatus.SELF_EXCLUDED, PlayerStatus.CLOSED}
)


@dataclass(frozen=True)
class Registration:
    email: str | None
    phone: str | None
    username: str | None
    password: str
    date_of_birth: date
    country: str
    currency: str
    locale: str | None = None


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _validated(
    brand: Brand, form: Registration, minimum_age_years: int
) -> tuple[dict[str, str | None], list[DomainError]]:
    errors: list[DomainError] = []
    identifiers: dict[str, str | None] = {"email": None, "phone": None, "username": None}
    for name, normalise, value in (
        ("email", normalise_email, form.email),
        ("phone", normalise_phone, form.phone),
        ("username", normalise_username, form.username),
    ):
        if value is not None and value.strip():
            try:
                identifiers[name] = normalise(value)
            except DomainError as error:
                errors.append(error)
    if not any(identifiers.values()) and not errors:
        errors.append(IdentifierRequired(field="email"))
    problem = passwords.password_problem(form.password, *identifiers.values())
    if problem:
        errors.append(problem)
    today = clock.today()
    if form.date_of_birth > today or age_on(form.date_of_birth, today) > AGE_MAX_YEARS:
        errors.append(InvalidDateOfBirth(field="dateOfBirth"))
    elif age_on(form.date_of_birth, today) < minimum_age_years:
        errors.append(Underage(field="dateOfBirth"))
    if not _COUNTRY.fullmatch(form.country) or not brand.allows_country(form.country.upper()):
        errors.append(InvalidCountry(field="country"))
    if form.currency not in brand.currencies:
        errors.append(UnsupportedCurrency(field="currency"))
    if form.locale is not None and form.locale not in brand.all_locales:
        errors.append(UnsupportedLocale(field="locale"))
    return identifiers, errors


async def register(
    uow: UnitOfWork,
    brand: Brand,
    form: Registration,
    *,
    address: str | None = None,
    minimum_age_years: int = 0,
) -> Player:
    """Create a player on `brand`. The same email may register separately on another brand.
    Opens no wallet: accounts sits below the ledger, so the caller composes the two
    (domain.compliance.onboarding.register).

    A well-formed attempt is counted per client `address` and per identifier before the
    uniqueness check, since IdentifierTaken tells whoever asks that an identifier is
    registered: probing is throttled like sign-in. Failures write nothing but that count,
    so the caller commits on failure too, for the count to stick. `minimum_age_years`: the
    brand's jurisdiction's (its pack); the deployment's setting is a floor under it.

    Errors: InvalidInput, holding every field error found (InvalidEmail, InvalidPhone,
    InvalidUsername, IdentifierRequired, PasswordTooShort/TooLong/TooWeak, Underage,
    InvalidDateOfBirth, InvalidCountry, UnsupportedCurrency, UnsupportedLocale,
    IdentifierTaken); RegistrationThrottled.
    """
    minimum_age = max(minimum_age_years, get_settings().minimum_age_years)
    identifiers, errors = _validated(brand, form, minimum_age)
    if errors:
        raise InvalidInput(errors)
    await throttle.count_registration(
        uow,
        address,
        [
            account_key(f"registration:{brand.slug}", f"{name}:{value}")
            for name, value in identifiers.items()
            if value is not None
        ],
    )
    player_id = uuid.uuid4()
    # ON CONFLICT DO NOTHING: a concurrent registration of the same identifier loses cleanly.
    inserted = await uow.session.scalar(
        insert(Player)
        .values(
            id=player_id,
            brand=brand.slug,
            **identifiers,
            password_hash=await passwords.hash_password(form.password),
            date_of_birth=form.date_of_birth,
            country=form.country.upper(),
            currency=form.currency,
            locale=form.locale or brand.default_locale,
            status=PlayerStatus.ACTIVE,
            two_factor_enabled=False,
        )
        .on_conflict_do_nothing()
        .returning(Player.id)
    )
    if inserted is None:
        taken = await _taken_identifiers(uow, brand.slug, identifiers)
        raise InvalidInput([IdentifierTaken(field=name) for name in taken])
    player = await uow.session.get(Player, player_id)
    assert player is not None
    await emit(
        uow, PlayerRegistered(player_id=str(player.id), locale=player.locale), brand=brand.slug
    )
    return player


async def _taken_identifiers(
    uow: UnitOfWork, brand: str, identifiers: dict[str, str | None]
) -> list[str]:
    taken = []
    for name, value in identifiers.items():
        if value is not None:
            column = getattr(Player, name)
            if await uow.session.scalar(
                select(Player.id).where(Player.brand == brand, column == value)
            ):
                taken.append(name)
    return taken or ["email"]


async def find_by_identifier(uow: UnitOfWork, brand: str, identifier: str) -> Player | None:
    classified = classify(identifier)
    if classified is None:
        return None
    kind, value = classified
    column = {
        IdentifierKind.EMAIL: Player.email,
        IdentifierKind.PHONE: Player.phone,
        IdentifierKind.USERNAME: Player.username,
    }[kind]
    return await uow.session.scalar(select(Player).where(Player.brand == brand, column == value))


def sign_in_key(brand: str, identifier: str, player: Player | None) -> str:
    """The throttle key of a sign-in: the account itself, so guesses through its email,
    phone and username share one count; an unknown identifier counts on its own."""
    if player is not None:
        return account_key("player", str(player.id))
    classified = classify(identifier)
    return account_key(f"player:{brand}", classified[1] if classified else identifier)


async def login(
    uow: UnitOfWork,
    brand: Brand,
    identifier: str,
    attempt: Attempt,
    *,
    refusal: Callable[[Player], DomainError | None],
) -> tuple[SignInResult, Player | None]:
    """Sign a player in with an email, phone or username on `brand`, and the player the
    identifier names. `refusal` says why a known player may not sign in: player
    protection decides it (domain.compliance.onboarding.login), which accounts may not
    import. Returns the failure (InvalidCredentials, LoginThrottled, or the refusal)
    rather than raising it, so the caller can commit the failure count."""
    player = await find_by_identifier(uow, brand.slug, identifier)
    candidate = (
        Candidate(
            kind=PrincipalKind.PLAYER,
            id=player.id,
            brand=player.brand,
            password_hash=player.password_hash,
            second_factor_owed=player.two_factor_enabled,
            refusal=refusal(player),
        )
        if player
        else None
    )
    keyed = replace(attempt, throttle_key=sign_in_key(brand.slug, identifier, player))
    result = await sign_in(uow, candidate, keyed)
    if result.issued and player and passwords.needs_rehash(player.password_hash):
        player.password_hash = await passwords.hash_password(attempt.password)
    return result, player


async def get(uow: UnitOfWork, brand: str, player_id: uuid.UUID) -> Player:
    player = await uow.session.scalar(
        select(Player).where(Player.id == player_id, Player.brand == brand)
    )
    if player is None:
        raise PlayerNotFound(field="playerId")
    return player


async def search(
    uow: UnitOfWork, actor: Principal, brand: str, text: str, limit: int
) -> list[Player]:
    """Players of `brand` whose identifier contains `text` (staff with player.read)."""
    require_permission(actor, Permission.PLAYER_READ, brand)
    if len(text) > SEARCH_TEXT_LENGTH_MAX or not text.isprintable():
        raise DomainError(
            f"Search for at most {SEARCH_TEXT_LENGTH_MAX} printable characters.", field="search"
        )
    pattern = (
        "%"
        + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        + "%"
    )
    result = await uow.session.scalars(
        select(Player)
        .where(Player.brand == brand)
        .where(
            or_(
                Player.email.like(pattern),
                Player.username.like(pattern),
                Player.phone.like(pattern),
            )
        )
        .order_by(Player.created_at.desc(), Player.id)
        .limit(max(1, min(limit, SEARCH_LIMIT_MAX)))
    )
    return list(result)


async def set_status(
    uow: UnitOfWork,
    actor: Principal,
    brand: str,
    player_id: uuid.UUID,
    *,
    status: PlayerStatus,
    reason: str,
) -> Player:
    """Change a player's status (staff with player.status.write), audited. Suspension,
    self-exclusion and closure end every session of the player at once.
    Errors: PermissionDenied, PlayerNotFound, ReasonRequired."""
    require_permission(actor, Permission.PLAYER_STATUS_WRITE, brand)
    audit.audit_reason(reason)
    player = await uow.session.scalar(
        select(Player).where(Player.id == player_id, Player.brand == brand).with_for_update()
    )
    if player is None:
        raise PlayerNotFound(field="playerId")
    before = player.status
    if before == status:
        return player
    if before == PlayerStatus.SELF_EXCLUDED:
        # Exclusion periods (at least six months, DESIGN.md section 6) come with the
        # compliance rules; until then nobody may lift one early.
        raise SelfExclusionActive(field="status")
    await apply_status(
        uow, actor, player, status, action="player.status.change", reason=reason.strip()
    )
    return player


async def apply_status(
    uow: UnitOfWork,
    actor: Principal,
    player: Player,
    status: PlayerStatus,
    *,
    action: str,
    reason: str,
    audit_after: dict[str, str | None] | None = None,
) -> None:
    """Set the status, audited; a session-ending status signs the player out everywhere
    (SessionRevoked events close their live streams too)."""
    before = player.status
    player.status = status
    await audit.record(
        uow,
        actor_kind=actor.actor_kind,
        actor_id=actor.id,
        action=action,
        subject_type="player",
        subject_id=player.id,
        brand=player.brand,
        reason=reason,
        before={"status": before},
        after={"status": status.value, **(audit_after or {})},
    )
    if status in SESSION_ENDING_STATUSES:
        await sessions.revoke_all(
            uow, kind=PrincipalKind.PLAYER, principal_id=player.id, reason=f"status:{status.value}"
        )
    await emit(
        uow,
        PlayerStatusChanged(player_id=str(player.id), before=before, after=status.value),
        brand=player.brand,
    )
    await uow.flush()


class SelfExclusionPeriod(StrEnum):
    SIX_MONTHS = "six_months"
    ONE_YEAR = "one_year"
    FIVE_YEARS = "five_years"
    PERMANENT = "permanent"


async def set_odds_format(
    uow: UnitOfWork, actor: Principal | None, brand: str, odds_format: str
) -> Player:
    """The signed-in player chooses how odds are written for them (decimal, fractional or
    american). A display preference: neither audited nor emitted. Errors:
    NotAuthenticated, TwoFactorRequired, UnsupportedOddsFormat, PlayerNotFound."""
    player_principal = require_player(actor)
    if odds_format not in OddsFormat.__members__.values():
        raise UnsupportedOddsFormat(field="format")
    player = await get(uow, brand, player_principal.id)
    player.odds_format = OddsFormat(odds_format)
    await uow.session.flush()
    return player
