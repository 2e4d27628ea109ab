"""Connected login (OpenID Connect): start, the provider's answer, registering or linking
with the verified identity. The flow and its checks are the domain's
(domain.accounts.connected_login, domain.compliance.connected_login)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.accounts import connected_login as accounts_connected
from domain.accounts.connected_login import Settled, Started
from domain.accounts.models import Player, SessionTransport
from domain.compliance import connected_login
from domain.integrations.identity_provider import IdentityProvider
from domain.kernel.errors import DomainError
from domain.messaging import notices
from resolvers.accounts.auth import SignedIn, _attempt, _signed_in, finish_screened_sign_in
from resolvers.compliance.protection import RegistrationLimit, apply_registration_limit
from resolvers.context import Context
from resolvers.results import Outcome, attempt, failed


@dataclass(frozen=True)
class ConnectedSignIn:
    signed_in: SignedIn | None
    settled: Settled


def _provider(ctx: Context) -> IdentityProvider:
    return accounts_connected.provider_for(ctx.settings, ctx.brand.slug, ctx.link_origin)


async def start_connected_login(ctx: Context, redirect_uri: str) -> Outcome[Started]:
    async def run() -> Started:
        provider = _provider(ctx)
        async with ctx.db.uow() as uow:
            started = await accounts_connected.start(uow, ctx.brand, provider, redirect_uri)
            await uow.commit()
        return started

    return await attempt(run)


async def complete_connected_login(
    ctx: Context, state: str, code: str, transport: SessionTransport
) -> Outcome[ConnectedSignIn]:
    async def run() -> ConnectedSignIn:
        completion = await connected_login.complete(
            ctx.db,
            ctx.brand,
            _provider(ctx),
            state=state,
            code=code,
            attempt=_attempt(ctx, "", transport),
            on_signed_in=notices.queue_new_device_notice,
        )
        issued = completion.issued
        signed_in = (
            _signed_in(ctx, issued, issued.session.state == "pending_two_factor")
            if issued is not None
            else None
        )
        return ConnectedSignIn(signed_in, completion.settled)

    return await attempt(run)


@dataclass(frozen=True)
class ConnectedRegistrationForm:
    ticket: str
    username: str | None
    date_of_birth: date
    country: str
    currency: str
    locale: str | None
    deposit_limit: RegistrationLimit | None
    transport: SessionTransport


async def register_with_connected_login(
    ctx: Context, form: ConnectedRegistrationForm
) -> Outcome[tuple[Player, SignedIn]]:
    registration = connected_login.ConnectedRegistration(
        username=form.username,
        date_of_birth=form.date_of_birth,
        country=form.country,
        currency=form.currency,
        locale=form.locale,
    )

    async def run() -> tuple[Player, SignedIn]:
        # The national register, asked outside the transaction as for a password registration.
        screening = await connected_login.screen_registration(
            ctx.db, ctx.brand, form.ticket, form.date_of_birth
        )
        async with ctx.db.uow() as uow:
            try:
                player, issued = await connected_login.register(
                    uow,
                    ctx.brand,
                    form.ticket,
                    registration,
                    _attempt(ctx, "", form.transport),
                    screening=screening,
                    address=ctx.client_address,
                )
            except DomainError:
                # register wrote only the attempt's count: keep it (as `register` does).
                await uow.commit()
                raise
            if form.deposit_limit is not None:
                await apply_registration_limit(uow, player, form.deposit_limit)
            await uow.commit()
        return player, _signed_in(ctx, issued, two_factor_required=False)

    return await attempt(run)


async def link_connected_login(
    ctx: Context, ticket: str, password: str, transport: SessionTransport
) -> Outcome[SignedIn]:
    try:
        async with ctx.db.uow() as uow:
            result = await connected_login.link_with_password(
                uow, ctx.brand, ticket, _attempt(ctx, password, transport)
            )
            if result.issued is not None:
                # A sign-in like any other: a device the player never used hears of it, as
                # after a password sign-in (login_player) or a connected one (on_signed_in).
                await notices.queue_new_device_notice(uow, result.issued.session)
            # Commit failures too: the throttle counts them.
            await uow.commit()
    except DomainError as error:
        return failed(error)
    return await finish_screened_sign_in(ctx, result)
