"""Connected login: sign in or register through the brand's OpenID Connect provider."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.accounts import connected_login as domain_connected
from domain.accounts import errors as account_errors
from domain.accounts.models import SessionTransport as SessionTransportModel
from domain.compliance import errors as compliance_errors
from domain.compliance.models import LimitPeriod as LimitPeriodModel
from domain.integrations.identity_provider import AuthorizationRefused, IdentityProviderUnavailable
from domain.integrations.registers import RegisterUnavailable
from resolvers.accounts import connected_login
from resolvers.compliance.protection import RegistrationLimit
from schema.accounts.types import Player, SessionTransport
from schema.context import Info
from schema.errors import MutationError, mutation_error, to_errors
from schema.money import DecimalText

E = account_errors
_REFUSALS = (AuthorizationRefused, IdentityProviderUnavailable)
_UNAVAILABLE = domain_connected.ConnectedLoginUnavailable
_PROTECTION = (
    E.AccountClosed,
    compliance_errors.AccountSuspended,
    compliance_errors.SelfExcluded,
    compliance_errors.TimedOut,
)
_FORM_ERRORS = (
    E.InvalidUsername, E.IdentifierRequired, E.IdentifierTaken, E.Underage,
    E.InvalidDateOfBirth, E.InvalidCountry, E.UnsupportedCurrency, E.UnsupportedLocale,
    E.InvalidEmail, E.RegistrationThrottled, compliance_errors.InvalidLimit,
)  # fmt: skip


@mutation_error(*_REFUSALS, _UNAVAILABLE)
class StartConnectedLoginError(MutationError): ...


@mutation_error(*_REFUSALS, _UNAVAILABLE, *_PROTECTION, RegisterUnavailable)
class CompleteConnectedLoginError(MutationError): ...


@mutation_error(
    *_REFUSALS,
    _UNAVAILABLE,
    domain_connected.IdentityAlreadyLinked,
    *_PROTECTION,
    *_FORM_ERRORS,
    RegisterUnavailable,
)
class RegisterWithConnectedLoginError(MutationError): ...


@mutation_error(
    *_REFUSALS,
    _UNAVAILABLE,
    domain_connected.IdentityAlreadyLinked,
    E.InvalidCredentials,
    E.LoginThrottled,
    *_PROTECTION,
    RegisterUnavailable,
)
class LinkConnectedLoginError(MutationError): ...


@strawberry.input
class StartConnectedLoginInput:
    redirect_uri: str = strawberry.field(
        description="Where the provider sends the player back: this brand's "
        "/login/connected/callback on one of its own hosts."
    )


@strawberry.type
class StartConnectedLoginPayload:
    authorization_url: str | None = strawberry.field(
        default=None, description="Send the player here (the provider's sign-in page)."
    )
    state: str | None = strawberry.field(
        default=None,
        description="Keep it with the player's browser (e.g. a cookie) and check that the "
        "provider's answer carries the same state before completing.",
    )
    errors: list[StartConnectedLoginError]


@strawberry.input
class CompleteConnectedLoginInput:
    state: str
    code: str
    transport: SessionTransport = SessionTransport.BEARER


@strawberry.type(
    description="A verified identity linked to no player yet: register with the ticket, or, "
    "when an account with its e-mail exists, link it with that account's password."
)
class ConnectedRegistration:
    ticket: str
    email: str | None
    account_exists: bool


@strawberry.type
class CompleteConnectedLoginPayload:
    signed_in: bool = False
    token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer <token>`. Null for COOKIE."
    )
    two_factor_required: bool = False
    registration: ConnectedRegistration | None = None
    errors: list[CompleteConnectedLoginError]


@strawberry.input
class RegisterWithConnectedLoginInput:
    ticket: str
    username: str | None = None
    date_of_birth: date
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. MT.")
    currency: str
    locale: str | None = None
    deposit_limit_period: LimitPeriodModel | None = None
    deposit_limit_amount: DecimalText | None = None
    transport: SessionTransport = SessionTransport.BEARER


@strawberry.type
class RegisterWithConnectedLoginPayload:
    player: Player | None = None
    token: str | None = None
    errors: list[RegisterWithConnectedLoginError]


@strawberry.input
class LinkConnectedLoginInput:
    ticket: str
    password: str = strawberry.field(description="The password of the existing account.")
    transport: SessionTransport = SessionTransport.BEARER


@strawberry.type
class LinkConnectedLoginPayload:
    token: str | None = None
    two_factor_required: bool = False
    errors: list[LinkConnectedLoginError]


def _transport(transport: SessionTransport) -> SessionTransportModel:
    return SessionTransportModel(transport.value)


@strawberry.type
class ConnectedLoginMutation:
    @strawberry.mutation(description="Begin signing in through the brand's identity provider.")
    async def start_connected_login(
        self, info: Info, input: StartConnectedLoginInput
    ) -> StartConnectedLoginPayload:
        outcome = await connected_login.start_connected_login(info.context, input.redirect_uri)
        started = outcome.value
        return StartConnectedLoginPayload(
            authorization_url=started.authorization_url if started else None,
            state=started.state if started else None,
            errors=to_errors(StartConnectedLoginError, outcome.errors),
        )

    @strawberry.mutation(
        description="Finish with the provider's answer (its state and code): signs in the "
        "linked player, or returns a registration ticket. A forged, foreign or replayed "
        "answer is refused (AUTHORIZATION_REFUSED)."
    )
    async def complete_connected_login(
        self, info: Info, input: CompleteConnectedLoginInput
    ) -> CompleteConnectedLoginPayload:
        outcome = await connected_login.complete_connected_login(
            info.context, input.state, input.code, _transport(input.transport)
        )
        value = outcome.value
        errors = to_errors(CompleteConnectedLoginError, outcome.errors)
        if value is None:
            return CompleteConnectedLoginPayload(errors=errors)
        settled = value.settled
        return CompleteConnectedLoginPayload(
            signed_in=value.signed_in is not None,
            token=value.signed_in.token if value.signed_in else None,
            two_factor_required=bool(value.signed_in and value.signed_in.two_factor_required),
            registration=ConnectedRegistration(
                ticket=settled.ticket, email=settled.email, account_exists=settled.account_exists
            )
            if settled.ticket
            else None,
            errors=errors,
        )

    @strawberry.mutation(
        description="Create an account with a verified identity's ticket (its e-mail), "
        "answering what the brand's jurisdiction asks, and sign in."
    )
    async def register_with_connected_login(
        self, info: Info, input: RegisterWithConnectedLoginInput
    ) -> RegisterWithConnectedLoginPayload:
        limit = (
            RegistrationLimit(input.deposit_limit_period, input.deposit_limit_amount)
            if input.deposit_limit_period and input.deposit_limit_amount
            else None
        )
        outcome = await connected_login.register_with_connected_login(
            info.context,
            connected_login.ConnectedRegistrationForm(
                ticket=input.ticket,
                username=input.username,
                date_of_birth=input.date_of_birth,
                country=input.country,
                currency=input.currency,
                locale=input.locale,
                deposit_limit=limit,
                transport=_transport(input.transport),
            ),
        )
        player, signed_in = outcome.value if outcome.value else (None, None)
        return RegisterWithConnectedLoginPayload(
            player=Player.from_model(player) if player else None,
            token=signed_in.token if signed_in else None,
            errors=to_errors(RegisterWithConnectedLoginError, outcome.errors),
        )

    @strawberry.mutation(
        description="Link a verified identity to the existing account of its e-mail by "
        "proving control of it (its password), and sign in."
    )
    async def link_connected_login(
        self, info: Info, input: LinkConnectedLoginInput
    ) -> LinkConnectedLoginPayload:
        outcome = await connected_login.link_connected_login(
            info.context, input.ticket, input.password, _transport(input.transport)
        )
        signed_in = outcome.value
        return LinkConnectedLoginPayload(
            token=signed_in.token if signed_in else None,
            two_factor_required=bool(signed_in and signed_in.two_factor_required),
            errors=to_errors(LinkConnectedLoginError, outcome.errors),
        )
