"""What the site tells a player when the API refuses: a catalogue message per typed error
code, in the page's language, with amounts written for its locale.

The API's `message` is English for API clients and carries numbers written the English way;
the site never shows it. Each code of every mutation the site runs has its message here
(tests/web/site/test_refusals.py fails on a code without one), so a code added to the API
shows a translated message, not an English sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from starlette.requests import Request

    from web.site.site import Page, Site


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "translate later")
    """Marks a message for the catalogue; it is translated where it is shown."""
    return message


# A limit refusal names the limit and what is left of it (read from the player's limits).
LIMIT_KINDS: Final[Mapping[str, str]] = {
    "DEPOSIT_LIMIT_REACHED": "DEPOSIT",
    "LOSS_LIMIT_REACHED": "LOSS",
    "WAGER_LIMIT_REACHED": "WAGER",
    "SESSION_LIMIT_REACHED": "SESSION",
}
LIMIT_LEFT: Final[Mapping[str, str]] = {
    "DEPOSIT": N_("This is over your deposit limit: %(left)s left."),
    "LOSS": N_("This is over your loss limit: %(left)s left."),
    "WAGER": N_("This is over your wager limit: %(left)s left."),
    "SESSION": N_("This is over your session time limit: %(left)s left."),
}
MINUTES_LEFT: Final = N_("%(minutes)s min")

# Refusals that name a moment (a time-out's end, the end of a cooling-off): the API's errors
# carry no parameters, but its message writes the moment in this fixed UTC form.
MOMENT_REFUSALS: Final[Mapping[str, str]] = {
    "TIMED_OUT": N_("You are taking a break until %(moment)s."),
    "COOLING_OFF": N_("This change can be confirmed from %(moment)s."),
}
_UTC_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC")

# A code whose meaning depends on the field it names: the step-up code of one action is
# not the second factor of a sign-in.
FIELD_REFUSALS: Final[Mapping[tuple[str, str], str]] = {
    ("TWO_FACTOR_REQUIRED", "twoFactorCode"): N_(
        "Enter the code from your authenticator app to confirm."
    ),
    # A re-authentication before an irreversible action (erasure), not a sign-in.
    ("INVALID_CREDENTIALS", "password"): N_(
        "The password is not right. Enter your current password to confirm."
    ),
    ("INVALID_TERMS", "points"): N_("Redeem points in the steps shown."),
}

# A step refused for want of KYC names the step and the level needed: the API's error
# carries no parameters, but its message names both in this fixed English form.
VERIFICATION_STEPS: Final[Mapping[str, str]] = {
    "deposit": N_("Verify your identity before you deposit: %(level)s is needed."),
    "play": N_("Verify your identity before you play: %(level)s is needed."),
    "withdrawal": N_("Verify your identity before you withdraw: %(level)s is needed."),
}
VERIFICATION_LEVELS: Final[Mapping[str, str]] = {
    "basic": N_("basic verification"),
    "full": N_("full verification"),
    "enhanced": N_("enhanced verification"),
}
_VERIFICATION = re.compile(r": (deposit|play|withdrawal) needs the (basic|full|enhanced) ")

UNKNOWN: Final = N_("This was refused. Please try again or contact support.")
REFUSALS: Final[Mapping[str, str]] = {
    # Account state
    "ACCOUNT_CLOSED": N_("This account is closed."),
    "ACCOUNT_SUSPENDED": N_("This account is suspended. Contact support."),
    "PLAYER_BLOCKED": N_("This account cannot do that right now."),
    "PLAYER_NOT_FOUND": N_("This account cannot do that right now."),
    "SELF_EXCLUDED": N_("This account is self-excluded."),
    "WITHDRAW_ONLY": N_(
        "Your account is self-excluded: you can see your balances and history, withdraw and "
        "contact support, nothing else."
    ),
    "PERIOD_NOT_OFFERED": N_("This period is not offered under this brand's licence."),
    "TIMED_OUT": N_("This account is taking a break until the time-out ends."),
    "ENHANCED_CHECKS_REQUIRED": N_(
        "We need to run some extra checks before you can deposit again. Our team will contact you."
    ),
    "REGISTER_UNAVAILABLE": N_(
        "We cannot check the national self-exclusion register right now. Please try again later."
    ),
    "NOT_AUTHENTICATED": N_("Sign in to do this."),
    "TWO_FACTOR_REQUIRED": N_("Confirm your sign-in with your two-factor code first."),
    "TWO_FACTOR_ENROLMENT_REQUIRED": N_("Set up two-factor authentication first."),
    "PERMISSION_DENIED": N_("You cannot do this."),
    # Limits
    "DEPOSIT_LIMIT_REACHED": N_("This is over your deposit limit."),
    "LOSS_LIMIT_REACHED": N_("This is over your loss limit."),
    "WAGER_LIMIT_REACHED": N_("This is over your wager limit."),
    "SESSION_LIMIT_REACHED": N_("This is over your session time limit."),
    "INVALID_LIMIT": N_("This limit is not valid."),
    "LIMIT_NOT_FOUND": N_("You have no such limit."),
    "NO_PENDING_CHANGE": N_("This limit has no change waiting for confirmation."),
    "COOLING_OFF": N_("This change can only be confirmed once its cooling-off period ends."),
    "CONFIRMATION_REQUIRED": N_(
        "Confirm that you understand this cannot be undone before it ends."
    ),
    # Money
    "INSUFFICIENT_FUNDS": N_("Your balance is too low for this."),
    "INVALID_AMOUNT": N_("Enter a valid amount in your currency."),
    "CURRENCY_MISMATCH": N_("This amount is not in your account's currency."),
    "UNSUPPORTED_CURRENCY": N_("This currency is not offered here."),
    "UNKNOWN_PROVIDER": N_("This payment method is not offered here."),
    "PROVIDER_UNAVAILABLE": N_("Payments are unavailable right now. Please try again later."),
    "IDEMPOTENCY_CONFLICT": N_("This form was already sent with other values. Reload the page."),
    "INVALID_IDEMPOTENCY_KEY": N_("This form has expired. Reload the page and try again."),
    # Sign-in and registration
    "INVALID_CREDENTIALS": N_("The email, username or password is not right."),
    "INBOX_MESSAGE_NOT_FOUND": N_("This message is no longer in your inbox."),
    "INVALID_TOKEN": N_("This link is not valid any more. Ask for a new one."),
    "TOO_MANY_REQUESTS": N_("Too many requests. Wait a few minutes and try again."),
    "TOO_MANY_ATTEMPTS": N_("Too many attempts. Wait a few minutes and try again."),
    "AUTHORIZATION_REFUSED": N_("This sign-in could not be confirmed. Please start again."),
    "IDENTITY_PROVIDER_UNAVAILABLE": N_(
        "Your identity provider did not answer. Please try again in a moment."
    ),
    "CONNECTED_LOGIN_UNAVAILABLE": N_("Signing in with an identity provider is not offered here."),
    "IDENTITY_ALREADY_LINKED": N_("This identity is already linked to an account."),
    "INVALID_MESSAGE": N_("Write a message of up to 2,000 characters."),
    "INVALID_TWO_FACTOR_CODE": N_("This code is not right. Enter the current code."),
    "IDENTIFIER_REQUIRED": N_("Enter an email address or a username."),
    "IDENTIFIER_TAKEN": N_("This email address or username is already registered."),
    "INVALID_COUNTRY": N_("Choose a country this site accepts."),
    "INVALID_DATE_OF_BIRTH": N_("Enter a valid date of birth."),
    "INVALID_EMAIL": N_("Enter a valid email address."),
    "INVALID_PHONE": N_("Enter a valid phone number."),
    "INVALID_USERNAME": N_("Use 3 to 30 letters, digits, dots, dashes or underscores."),
    "PASSWORD_TOO_SHORT": N_("This password is too short."),
    "PASSWORD_TOO_LONG": N_("This password is too long."),
    "PASSWORD_TOO_WEAK": N_("This password is too easy to guess. Choose another."),
    "UNDERAGE": N_("You must be of legal gambling age to register."),
    "UNSUPPORTED_LOCALE": N_("This language is not offered here."),
    "UNSUPPORTED_ODDS_FORMAT": N_("This odds format is not offered."),
    # Casino
    "GAME_NOT_FOUND": N_("This casino does not offer this game."),
    "GAME_DISABLED": N_("This game is not available right now."),
    "DEMO_UNAVAILABLE": N_("This game has no play-money mode."),
    # Sportsbook
    "ODDS_CHANGED": N_("The odds have changed."),
    "INVALID_BET": N_("This bet is not valid."),
    "INVALID_ODDS": N_("These odds are not valid."),
    "SELECTION_NOT_FOUND": N_("A selection is no longer offered."),
    "SELECTION_SUSPENDED": N_("A selection's market is not taking bets right now."),
    "SAME_EVENT_COMBINATION": N_("Selections on the same event cannot be combined."),
    "EACH_WAY_UNAVAILABLE": N_("Each-way is not offered on a selection's market."),
    "STAKE_TOO_LOW": N_("The stake is below the minimum."),
    "STAKE_TOO_HIGH": N_("The stake is above the maximum."),
    "MAX_PAYOUT_EXCEEDED": N_("The potential return is above the maximum payout."),
    "LIABILITY_LIMIT_EXCEEDED": N_("This bet is above what we can accept on a selection."),
    "BONUS_MAX_BET_EXCEEDED": N_("The stake is above the maximum bet of your active bonus."),
    "FREE_BET_STAKE_MISMATCH": N_(
        "A free bet is staked whole: make the stake your free bet's amount."
    ),
    "FREE_BET_ODDS_TOO_LOW": N_("Your free bet needs higher odds."),
    "FREE_BET_NOT_ELIGIBLE": N_("Your free bet cannot be used on this sport or market."),
    "OFFER_NOT_FOUND": N_("There is no such bonus code."),
    "ALREADY_CLAIMED": N_("You have already claimed this bonus."),
    "NOT_ELIGIBLE": N_("This bonus is not open to your account."),
    "NO_QUALIFYING_DEPOSIT": N_("Make a qualifying deposit first to claim this bonus."),
    "GRANT_NOT_FOUND": N_("There is no such bonus."),
    "GRANT_NOT_ACTIVE": N_("This bonus has already ended."),
    "BONUS_FORFEIT_UNCONFIRMED": N_(
        "Withdrawing now forfeits your active bonus: tick the box to confirm."
    ),
    "PRICES_MOVING": N_("The prices are moving fast. Please try again."),
    "BET_NOT_FOUND": N_("No such bet."),
    "CASH_OUT_UNAVAILABLE": N_("Cash-out is not available for this bet right now."),
    "CASH_OUT_VALUE_CHANGED": N_("The cash-out value has changed."),
    "INVALID": N_("This is not valid."),
    "INVALID_TERMS": N_("These terms are not valid."),
    "LOYALTY_NOT_OFFERED": N_("This site has no loyalty programme."),
    "NOT_ENOUGH_POINTS": N_("You do not have that many points to redeem now."),
    # Verification and profile
    "VERIFICATION_REQUIRED": N_("Verify your identity first: see the Verification page."),
    "INVALID_PROFILE": N_("Check this field."),
    "TIER_NOT_OFFERED": N_("Choose a verification level."),
    "CHECK_RUNNING": N_("Your documents are being reviewed. We will let you know."),
    "BALANCE_REMAINING": N_("Withdraw your balance before you ask for your data to be erased."),
}


def refusal(page: Page, error: Mapping[str, Any]) -> str:
    """One typed error in the page's language (never the API's English message)."""
    code = str(error.get("code") or "")
    step = _VERIFICATION.search(str(error.get("message") or ""))
    if code == "VERIFICATION_REQUIRED" and step is not None:
        level = page.gettext(VERIFICATION_LEVELS[step.group(2)])
        return page.gettext(VERIFICATION_STEPS[step.group(1)]) % {"level": level}
    found = _UTC_MOMENT.search(str(error.get("message") or "")) if code in MOMENT_REFUSALS else None
    if found is not None:
        moment = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        return page.gettext(MOMENT_REFUSALS[code]) % {"moment": page.moment(moment)}
    message = FIELD_REFUSALS.get((code, str(error.get("field") or ""))) or REFUSALS.get(code)
    return page.gettext(message or UNKNOWN)


def field_errors(page: Page, errors: list[dict[str, Any]]) -> dict[str, str]:
    """A payload's typed errors as `{field: message}` for the form (the first per field);
    `""` holds those tied to no field."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.get("field") or "", refusal(page, error))
    return found


async def refusals(
    site: Site, request: Request, page: Page, errors: list[dict[str, Any]]
) -> list[str]:
    """Every error in the page's language; a limit refusal also says what is left of the
    tightest limit of its kind (one read of the player's limits, only on such a refusal)."""
    limited = [LIMIT_KINDS[e["code"]] for e in errors if e.get("code") in LIMIT_KINDS]
    left = await _left_of(site, request, page, set(limited)) if limited else {}
    messages = []
    for error in errors:
        kind = LIMIT_KINDS.get(str(error.get("code") or ""))
        if kind is not None and kind in left:
            messages.append(page.gettext(LIMIT_LEFT[kind]) % {"left": left[kind]})
        else:
            messages.append(refusal(page, error))
    return messages


async def _left_of(site: Site, request: Request, page: Page, kinds: set[str]) -> dict[str, str]:
    result = await site.graphql.run(request, "PlayerProtection")
    player = (result.data.get("viewer") or {}).get("player") or {}
    left: dict[str, tuple[Decimal, str]] = {}
    for limit in player.get("limits") or []:
        kind = limit["kind"]
        if kind not in kinds:
            continue
        if kind == "SESSION":
            if limit.get("remainingMinutes") is None:
                continue
            minutes = int(limit["remainingMinutes"])
            size, shown = (
                Decimal(minutes),
                page.gettext(MINUTES_LEFT) % {"minutes": page.number(minutes)},
            )
        else:
            remaining = limit.get("remaining")
            if not remaining:
                continue
            size = Decimal(remaining["amount"])
            shown = page.money(remaining["amount"], remaining["currency"])
        if kind not in left or size < left[kind][0]:
            left[kind] = (size, shown)
    return {kind: shown for kind, (_, shown) in left.items()}
