"""Broker URLs: Redis (the default, tested throughout) and RabbitMQ by URL."""

from __future__ import annotations

import os
import socket
import uuid

import dramatiq
import pytest

from domain.kernel.settings import ConfigurationError
from workers.broker import build_broker

RABBITMQ_URL = os.environ.get(
    "STAKEHOUSE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"
)


def _rabbitmq_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(
    "STAKEHOUSE_TEST_RABBITMQ_URL" not in os.environ and not _rabbitmq_reachable(),
    reason="no RabbitMQ on 127.0.0.1:5672 (set STAKEHOUSE_TEST_RABBITMQ_URL to point at one)",
)
def test_an_amqp_url_gives_a_working_rabbitmq_broker() -> None:
    broker = build_broker(RABBITMQ_URL)
    queue = f"stakehouse-test-{uuid.uuid4().hex[:8]}"
    broker.declare_queue(queue)
    sent = dramatiq.Message(
        queue_name=queue, actor_name="test.echo", args=(42,), kwargs={}, options={}
    )
    try:
        broker.enqueue(sent)
        consumer = broker.consume(queue, timeout=5000)
        received = next(message for message in consumer if message is not None)
        consumer.ack(received)
        consumer.close()
        assert received.message_id == sent.message_id
        assert received.args == (42,) or list(received.args) == [42]
    finally:
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):  # dramatiq's delay and dead queues
            broker.channel.queue_delete(name)
        broker.close()


def test_a_rabbitmq_publish_waits_for_the_brokers_confirmation() -> None:
    # Nothing connects until the first publish; the relay relies on the confirmation.
    broker = build_broker("amqp://guest:guest@127.0.0.1:5672/")

    assert broker.confirm_delivery is True  # type: ignore[attr-defined]


def test_an_unknown_broker_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="BROKER_URL"):
        build_broker("kafka://127.0.0.1:9092")
