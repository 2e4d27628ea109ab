"""E-mail verification and password reset: the e-mails (messaging) and what following
their links does (accounts). Each runs in its own transaction."""

from __future__ import annotations

from domain.accounts import recovery
from domain.accounts.models import Player
from domain.compliance.kyc import phone
from domain.kernel.errors import DomainError
from domain.messaging import phone as phone_sms
from domain.messaging import recovery as recovery_mail
from resolvers.context import Context
from resolvers.results import Outcome, attempt, failed


async def verify_email(ctx: Context, token: str) -> Outcome[Player]:
    async def run() -> Player:
        async with ctx.db.uow() as uow:
            player = await recovery.verify_email(uow, ctx.brand.slug, token)
            await uow.commit()
        return player

    return await attempt(run)


async def resend_verification_email(ctx: Context) -> Outcome[bool]:
    principal = await ctx.principal()

    async def run() -> bool:
        async with ctx.db.uow() as uow:
            await recovery_mail.resend_verification(
                uow, principal, ctx.brand.slug, origin=ctx.link_origin
            )
            await uow.commit()
        return True

    return await attempt(run)


async def request_password_reset(ctx: Context, email: str) -> Outcome[bool]:
    """The same answer for known and unknown addresses (the e-mail differs, not the reply)."""
    async with ctx.db.uow() as uow:
        try:
            await recovery_mail.request_password_reset(
                uow, ctx.brand, email, address=ctx.client_address, origin=ctx.link_origin
            )
        except DomainError as error:
            return failed(error)
        await uow.commit()
    return Outcome(value=True)


async def reset_password(ctx: Context, token: str, new_password: str) -> Outcome[Player]:
    async def run() -> Player:
        async with ctx.db.uow() as uow:
            player = await recovery.reset_password(uow, ctx.brand.slug, token, new_password)
            await uow.commit()
        return player

    outcome = await attempt(run)
    if outcome.ok and ctx.credentials is not None:
        # This request's own session (if any) ended with all the others.
        ctx.signed_out()
    return outcome


async def send_phone_verification_code(ctx: Context) -> Outcome[bool]:
    async def run() -> bool:
        async with ctx.db.uow() as uow:
            await phone_sms.send_code(uow, await ctx.principal(), ctx.brand.slug)
            await uow.commit()
        return True

    return await attempt(run)


async def verify_phone(ctx: Context, code: str) -> Outcome[bool]:
    async def run() -> bool:
        async with ctx.db.uow() as uow:
            refusal = await phone.verify(uow, await ctx.principal(), ctx.brand.slug, code)
            # A wrong code is committed too: its guess stays counted.
            await uow.commit()
        if refusal is not None:
            raise refusal
        return True

    return await attempt(run)
