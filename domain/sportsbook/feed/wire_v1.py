"""Version 1 of the feed's HTTP format: the JSON Schema in `schema/v1.json`, and reading a
request body into numbered messages, all or none.

A body is one message or a batch `{"messages": [...]}` of up to BATCH_MESSAGES_MAX. Every
message is checked against the schema and then decoded (domain.sportsbook.feed.port, which
also refuses values no retry could apply) before any is applied: one bad message refuses
the whole body with its index, message id and the field at fault, and nothing changes.
Every message must name the producer that signed the request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from domain.kernel.errors import DomainError
from domain.sportsbook.feed.port import FeedMessage, InvalidFeedMessage, from_wire

FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).parent / "schema" / "v1.json"
BATCH_MESSAGES_MAX = 100
# JSON nested deeper than any message of the schema is refused before it is walked.
NESTING_MAX = 12


class MalformedFeedMessage(DomainError):
    code = "MALFORMED_MESSAGE"
    message = "The message does not match the feed format (version 1)."

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        index: int | None = None,
        message_id: str | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.index = index
        self.message_id = message_id


class ProducerMismatch(DomainError):
    code = "PRODUCER_MISMATCH"
    message = "Every message must come from the producer that signed the request."


@dataclass(frozen=True)
class NumberedMessage:
    message: FeedMessage
    # None for `alive` only (heartbeats are not numbered).
    producer_sequence: int | None


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@cache
def _message_validator() -> Draft202012Validator:
    """The schema of one message (the root's `$defs/message`), with the root's $defs."""
    root = schema()
    one_message = {key: value for key, value in root.items() if key != "oneOf"}
    one_message["$ref"] = "#/$defs/message"
    Draft202012Validator.check_schema(one_message)
    return Draft202012Validator(one_message)


def decode_body(body: bytes, producer: str) -> list[NumberedMessage]:
    """The body's messages in order. Errors: MalformedFeedMessage, ProducerMismatch."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedFeedMessage("The body is not JSON.", field="body") from None
    if _depth(document) > NESTING_MAX:
        raise MalformedFeedMessage("The body is nested too deeply.", field="body")
    raws = _messages(document)
    decoded = [_decode(index, raw) for index, raw in enumerate(raws)]
    for index, numbered in enumerate(decoded):
        if numbered.message.producer != producer:
            raise ProducerMismatch(field=f"messages/{index}/producer")
    return decoded


def _messages(document: Any) -> list[Any]:
    if isinstance(document, Mapping) and "messages" in document:
        messages = document["messages"]
        if set(document) != {"messages"}:
            raise MalformedFeedMessage("A batch has only `messages`.", field="body")
        if not isinstance(messages, list) or not 1 <= len(messages) <= BATCH_MESSAGES_MAX:
            raise MalformedFeedMessage(
                f"`messages` is a list of 1 to {BATCH_MESSAGES_MAX} messages.", field="messages"
            )
        return messages
    return [document]


def _decode(index: int, raw: Any) -> NumberedMessage:
    message_id = raw.get("message_id") if isinstance(raw, Mapping) else None
    message_id = message_id if isinstance(message_id, str) else None
    error = best_match(_message_validator().iter_errors(raw))
    if error is not None:
        path = "/".join(str(part) for part in error.absolute_path)
        raise MalformedFeedMessage(
            f"Message {index}: {_reason(error.message)}",
            field=f"messages/{index}" + (f"/{path}" if path else ""),
            index=index,
            message_id=message_id,
        )
    try:
        message = from_wire(raw)
    except InvalidFeedMessage:
        raise MalformedFeedMessage(
            f"Message {index}: a value cannot be applied (a time without its offset, odds "
            "above the maximum or a dead-heat factor outside (0, 1]).",
            field=f"messages/{index}",
            index=index,
            message_id=message_id,
        ) from None
    return NumberedMessage(message, raw.get("producer_sequence"))


def _reason(text: str) -> str:
    """The validator's words, cut short: a huge bad value is not echoed back whole."""
    return text if len(text) <= 300 else text[:297] + "..."


def _depth(value: Any, level: int = 0) -> int:
    if level > NESTING_MAX:
        return level
    if isinstance(value, Mapping):
        return max((_depth(item, level + 1) for item in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in value), default=level + 1)
    return level
