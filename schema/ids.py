"""Global ids: the one place they are built and the one decoder of those that enter the API.

Every id the API exposes is an opaque global id (DESIGN.md section 4), base64 of
"<type name>:<key>" as relay's `Node` builds it, also for objects that are not `Node`s
(yet): a client can neither count rows from a sequential key nor build ids it was not
given, and an object that later becomes a `Node` keeps its id. Build `ID` values here,
never from a raw key: a test holds schema/ to it.

An id of another type, a key that is not the
type's key (not digits, digits of another script, beyond the column's range) decodes to
None, which every caller answers as its typed NOT_FOUND (or null): the key never reaches
SQL malformed ("Sport:99999999999999999999" overflowed a bigint parameter)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.relay.utils import to_base64

# Every integer key the API exposes is a bigint identity column (starting at 1).
BIGINT_MAX = 2**63 - 1
# ASCII digits without a leading zero, at most as many as BIGINT_MAX has: `str.isdigit`
# accepts "²" (int() then raises) and other scripts' digits; the length bounds int().
_INTEGER_KEY = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)
# The canonical text of a UUID: `uuid.UUID` also accepts braces, "urn:uuid:" and no dashes.
_UUID_KEY = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)


def int_key(node_id: str, maximum: int = BIGINT_MAX) -> int | None:
    """The integer key of a node id, or None when it cannot be a row's key."""
    if not _INTEGER_KEY.fullmatch(node_id):
        return None
    key = int(node_id)
    return key if key <= maximum else None


def uuid_key(node_id: str) -> uuid.UUID | None:
    """The UUID key of a node id (canonical lower-case text, as the API writes it)."""
    return uuid.UUID(node_id) if _UUID_KEY.fullmatch(node_id) else None


def int_of(global_id: relay.GlobalID, type_name: str) -> int | None:
    """The integer key of a global id of `type_name`; None for any other id."""
    return int_key(global_id.node_id) if global_id.type_name == type_name else None


def uuid_of(global_id: relay.GlobalID, type_name: str) -> uuid.UUID | None:
    """The UUID key of a global id of `type_name`; None for any other id."""
    return uuid_key(global_id.node_id) if global_id.type_name == type_name else None


def int_keys(node_ids: Iterable[str]) -> list[int]:
    """For `resolve_nodes`: each id's key, or 0 (no row has it) when it cannot be one."""
    return [int_key(node_id) or 0 for node_id in node_ids]


def int_of_text(text: str, type_name: str) -> int | None:
    """The integer key of a global id given as text (a site's route parameter), or None
    when it is not a global id of `type_name` with a key its column can hold."""
    try:
        decoded_type, node_id = relay.from_base64(text)
    except ValueError:
        return None
    return int_key(node_id) if decoded_type == type_name else None


def uuid_of_text(text: str, type_name: str) -> uuid.UUID | None:
    """The UUID key of a global id given as text (an `ID` argument of a type that is not a
    relay Node), or None when it is not a global id of `type_name`."""
    try:
        decoded_type, node_id = relay.from_base64(text)
    except ValueError:
        return None
    return uuid_key(node_id) if decoded_type == type_name else None


# The type part of a ledger transaction's id (ledger transactions are not a GraphQL type:
# the movements that share one carry it).
LEDGER_TRANSACTION = "LedgerTransaction"


def global_id(type_name: str, key: object) -> strawberry.ID:
    return strawberry.ID(to_base64(type_name, key))


def ledger_transaction_id(transaction_id: int | str) -> strawberry.ID:
    return global_id(LEDGER_TRANSACTION, transaction_id)
