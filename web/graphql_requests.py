"""What a GraphQL request must look like before the schema sees it: one decoder for HTTP
bodies and `graphql-transport-ws` messages, and the shape rules of both.

Every way a body or message can fail (not UTF-8, not JSON, nested past the interpreter's
recursion limit, a number past Python's 4,300-digit conversion limit, `NaN`, a member
named twice, a JSON value that is not an object, members of the wrong type) is a refusal
with a stable code: a 400 over HTTP, a 4400 close over WebSocket. None of them may escape
as an exception, which the server would answer with a bare 500 (HTTP) or by dropping the
socket (1006).
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException

# The members of a GraphQL-over-HTTP request (and of a `subscribe` message's payload) and
# the JSON type each must have when present.
_REQUEST_MEMBERS: dict[str, type] = {
    "query": str,
    # A trusted document's id instead of its text (web/trusted_documents.py).
    "documentId": str,
    "operationName": str,
    "variables": dict,
    "extensions": dict,
}
_JSON_TYPE_NAMES: dict[type, str] = {str: "a string", dict: "an object"}


class RequestRejected(HTTPException):
    """A request refused before execution, with the stable code clients branch on."""

    def __init__(self, code: str, message: str, status_code: int = 400) -> None:
        super().__init__(status_code, message)
        self.code = code


class UndecodableJson(json.JSONDecodeError):
    """The text is not JSON this server can decode (see the module docstring). A
    `JSONDecodeError`, so strawberry's WebSocket handler closes with 4400 on it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)
        self.reason = reason


def decode_json(data: str | bytes) -> Any:
    """Strict JSON: UTF-8 only, no `NaN`/`Infinity`; every decoding failure is
    `UndecodableJson` (a `ValueError`, never a `RecursionError`)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    # ValueError covers JSONDecodeError, UnicodeDecodeError and the int digits limit;
    # RecursionError is deep nesting (the C decoder recurses per level).
    except (ValueError, RecursionError) as error:
        raise UndecodableJson(_reason(error)) from None


class _NonStandardConstant(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonStandardConstant(name)


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # `{"query": a, "query": b}` means b here and may mean a to a proxy or firewall in
    # front: ambiguous, like a header sent twice.
    members = dict(pairs)
    if len(members) != len(pairs):
        raise _DuplicateKey
    return members


def _reason(error: BaseException) -> str:
    """Completes "The request body is …", without echoing the offending value."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    if isinstance(error, _DuplicateKey):
        return "not valid JSON (an object names a member twice)"
    if isinstance(error, _NonStandardConstant):
        return f"not valid JSON ({error} is not a JSON number)"
    if "integer string conversion" in str(error):
        return "a number with too many digits"
    return "not valid JSON"


def request_problem(data: object) -> str | None:
    """Why `data` is not a GraphQL request object, or None when it is one."""
    if not isinstance(data, dict):
        return "it is not a JSON object"
    for name, expected in _REQUEST_MEMBERS.items():
        value = data.get(name)
        if value is not None and not isinstance(value, expected):
            return f"`{name}` must be {_JSON_TYPE_NAMES[expected]} or null"
    return None


def parse_http_request(body: bytes) -> dict[str, Any]:
    """The GraphQL request in an HTTP body, or `RequestRejected`."""
    try:
        data = decode_json(body)
    except UndecodableJson as error:
        raise RequestRejected("INVALID_JSON", f"The request body is {error.reason}.") from None
    if isinstance(data, list):
        raise RequestRejected("BATCHING_NOT_SUPPORTED", "Send one operation per request.")
    if (problem := request_problem(data)) is not None:
        raise RequestRejected("INVALID_REQUEST", f"The body is not a GraphQL request: {problem}.")
    assert isinstance(data, dict)
    return data


def message_problem(message: object) -> str | None:
    """Why a decoded graphql-transport-ws message is malformed, or None."""
    if not isinstance(message, dict):
        return "WebSocket message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "`type` must be a string"
    if kind in ("subscribe", "complete") and not (
        isinstance(message.get("id"), str) and message["id"]
    ):
        return "`id` must be a non-empty string"
    return _payload_problem(kind, message.get("payload"))


def _payload_problem(kind: str, payload: object) -> str | None:
    if kind == "subscribe":
        if not isinstance(payload, dict) or not (
            isinstance(payload.get("query"), str) or isinstance(payload.get("documentId"), str)
        ):
            return "a subscribe payload needs a `query` or `documentId` string"
        if (problem := request_problem(payload)) is not None:
            return f"the subscribe payload is not a GraphQL request: {problem}"
    elif kind in ("ping", "pong") and payload is not None and not isinstance(payload, dict):
        return "`payload` must be an object"
    return None
