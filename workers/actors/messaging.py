"""Messaging actors: thin wrappers that decode an outbox event and call the domain."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import dramatiq

from domain.brands.errors import UnknownBrand
from domain.integrations.sms import HttpSmsProvider, SandboxSms, SmsProvider, SmsUnavailable
from domain.kernel import clock
from domain.kernel.settings import get_settings
from domain.messaging import mail, notices, sms
from domain.messaging.service import WELCOME_CONSUMER, deliver_welcome
from workers.broker import setup_broker
from workers.mail import mailer, renderer, sender_of, sms_renderer
from workers.runtime import brands, database

log = logging.getLogger(__name__)

QUEUE = "messaging"


# UnknownBrand is permanent (the brand is gone from the themes): retrying cannot help.
@dramatiq.actor(
    actor_name=WELCOME_CONSUMER,
    queue_name=QUEUE,
    broker=setup_broker(),
    throws=(UnknownBrand,),
)
async def send_welcome(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Put the welcome message in a new player's inbox, once per event however often the
    broker delivers it (deliver_welcome claims the event in the same transaction)."""
    player_id = uuid.UUID(str(payload["player_id"]))
    brand_name = brands().get(brand).name
    async with database().uow() as uow:
        delivered = await deliver_welcome(
            uow, event_id=event_id, player_id=player_id, brand_name=brand_name
        )
        await uow.commit()
    if not delivered:
        log.info("welcome for event %s skipped: already delivered or no such player", event_id)


SEND_EMAIL = "messaging.send_email"
EXCLUSION_CONFIRMATION = notices.EXCLUSION_CONFIRMATION_CONSUMER
# Backoff between attempts: a relay that is down for a few minutes loses nothing.
SEND_EMAIL_BACKOFF_MIN_MS = 1_000
SEND_EMAIL_BACKOFF_MAX_MS = 300_000


@dramatiq.actor(
    actor_name=SEND_EMAIL,
    queue_name=QUEUE,
    broker=setup_broker(),
    throws=(UnknownBrand,),
    # The message row counts attempts and fails itself at mail_send_attempts_max; the
    # broker's retries only have to outlast that.
    max_retries=50,
    min_backoff=SEND_EMAIL_BACKOFF_MIN_MS,
    max_backoff=SEND_EMAIL_BACKOFF_MAX_MS,
)
async def send_email(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Send one queued e-mail. Idempotent: only a message still queued is sent, and it is
    marked sent in the transaction that sent it, so a redelivery sends nothing. A transient
    failure is counted and retried with backoff; a refusal or the last attempt fails it."""
    message_id = uuid.UUID(str(payload["message_id"]))
    delivery = await mail.deliver(
        database(),
        message_id,
        mailer=mailer(),
        render=renderer(),
        sender=sender_of(brands().get(brand)),
        attempts_max=get_settings().mail_send_attempts_max,
    )
    if delivery.error is not None:
        log.warning(
            "e-mail %s not sent (%s): %s", message_id, delivery.error.code, delivery.error.message
        )
        if delivery.retry:
            # Dramatiq retries with backoff; the row counts the attempts.
            raise delivery.error
    elif not delivery.sent:
        log.info("e-mail %s skipped: already sent, failed or being sent", message_id)


@dramatiq.actor(
    actor_name=notices.PAYMENT_RECEIPT_CONSUMER, queue_name=QUEUE, broker=setup_broker()
)
async def queue_payment_receipt(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Queue the receipt of a credited deposit or a withdrawal (once per event)."""
    async with database().uow() as uow:
        await notices.queue_payment_receipt(uow, event_id=event_id, brand=brand, payload=payload)
        await uow.commit()


@dramatiq.actor(
    actor_name=notices.EXCLUSION_CONFIRMATION_CONSUMER, queue_name=QUEUE, broker=setup_broker()
)
async def queue_exclusion_confirmation(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Queue the confirmation of a self-exclusion (once per event)."""
    async with database().uow() as uow:
        await notices.queue_exclusion_confirmation(
            uow, event_id=event_id, brand=brand, payload=payload
        )
        await uow.commit()


SEND_SMS = "messaging.send_sms"


def sms_provider() -> SmsProvider:
    """The configured SMS provider, or (outside production, none configured) the
    built-in test provider writing to the dev SMS outbox."""
    settings = get_settings()
    if settings.sms_provider_url and settings.sms_account_id and settings.sms_auth_token:
        return HttpSmsProvider(
            settings.sms_provider_url, settings.sms_account_id, settings.sms_auth_token
        )
    if settings.is_production:
        raise SmsUnavailable("no SMS provider is configured")
    return SandboxSms(settings.sms_outbox_dir, clock.now())


@dramatiq.actor(
    actor_name=SEND_SMS,
    queue_name=QUEUE,
    broker=setup_broker(),
    throws=(UnknownBrand,),
    # The message row counts attempts and fails itself at sms_send_attempts_max.
    max_retries=50,
    min_backoff=SEND_EMAIL_BACKOFF_MIN_MS,
    max_backoff=SEND_EMAIL_BACKOFF_MAX_MS,
)
async def send_sms(event_id: int, brand: str, payload: dict[str, Any]) -> None:
    """Send one queued text message (idempotent like send_email); delivery status comes
    back by the provider's webhook to the brand's /callbacks/sms/status."""
    message_id = uuid.UUID(str(payload["message_id"]))
    settings = get_settings()
    delivery = await sms.deliver(
        database(),
        message_id,
        provider=sms_provider(),
        sender=settings.sms_sender,
        status_callback=f"https://{brands().get(brand).domains[0]}/callbacks/sms/status",
        attempts_max=settings.sms_send_attempts_max,
        render=sms_renderer(),
    )
    if delivery.error is not None:
        log.warning(
            "SMS %s not sent (%s): %s", message_id, delivery.error.code, delivery.error.message
        )
        if delivery.retry:
            raise delivery.error
    elif not delivery.sent:
        log.info("SMS %s skipped: already sent, failed or being sent", message_id)
