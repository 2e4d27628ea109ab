"""Shared execution of identical subscriptions over graphql-transport-ws.

Sockets that subscribe with the same document, operation name and variables, on the same
brand, to a field whose answer depends on nothing about the viewer but the odds format
(`SHARED_FIELDS`), join one group per (document, variables, brand, odds format). The group
runs the subscription once, on a context of its own with no viewer, and serialises each
result once; every member sends those bytes, framed with its own operation id. Five
thousand sockets watching a match cost one execution and one serialisation per price
change, not five thousand (issue 19: 84 % of the API's time at 1,000 sockets went into
re-executing the selection per socket).

A field may join `SHARED_FIELDS` only when nothing under it reads the principal (its
payload is built from published events and public reads; `display` without a format reads
the odds format, which is part of the group key). A signed-in viewer's odds format is read
when the subscription starts: a change applies to the next subscription.

Members are the fan-out's (resolvers/sportsbook/fanout.py): one that falls behind is cut
off with the same typed error as a per-socket subscription; when the execution ends or is
refused, every member gets the same end.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, Literal

from graphql import FieldNode, GraphQLError, OperationType, parse
from graphql.error import GraphQLSyntaxError
from graphql.utilities import get_operation_ast
from prometheus_client import Counter
from starlette.websockets import WebSocketDisconnect
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from domain.accounts.models import OddsFormat
from domain.accounts.principal import Principal
from domain.kernel.db import UnitOfWork
from domain.kernel.pubsub import SubscriptionInterrupted
from resolvers.context import Context
from resolvers.sportsbook.fanout import WriteFailed, fanout_for

if TYPE_CHECKING:
    from strawberry.schema.base import BaseSchema

# Root subscription fields whose answer is the same for every viewer of a brand (given the
# odds format). Per-viewer streams (betUpdated, cashOutOffer, balanceChanged...) never.
SHARED_FIELDS: Final = frozenset({"oddsChanged"})

SHARED_EXECUTIONS: Final = Counter(
    "stakehouse_graphql_shared_subscription_results",
    "Results of shared subscription executions (each serialised once for its group)",
    ["field"],
)

Kind = Literal["next", "error"]


@dataclass(frozen=True)
class Shared:
    """What a socket's subscription is shared by: the group key and the field."""

    key: Hashable
    field: str


@lru_cache(maxsize=256)
def shared_field(query: str, operation_name: str | None) -> str | None:
    """The root field of a subscription document that may be shared, or None (not a
    subscription, more than one selection, a fragment or directive at the root, a field
    outside SHARED_FIELDS, or a document that does not parse: strawberry answers those)."""
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
        return None
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    root = selections[0]
    if root.directives or root.name.value not in SHARED_FIELDS:
        return None
    return root.name.value


async def shared(
    context: Context, query: str, variables: dict[str, Any] | None, operation_name: str | None
) -> Shared | None:
    """The group this subscription joins, or None when it must run on its own."""
    field = shared_field(query, operation_name)
    if field is None:
        return None
    try:
        variables_key = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    odds_format = await context.odds_format()
    key = ("shared-subscription", context.brand.slug, odds_format, query, operation_name)
    return Shared(key=(*key, variables_key), field=field)


@dataclass
class SharedContext(Context):
    """The group's context: the brand's, with no viewer, writing odds in the group's format."""

    shared_odds_format: OddsFormat = OddsFormat.DECIMAL

    def known_odds_format(self) -> OddsFormat | None:
        return self.shared_odds_format

    async def principal(self, uow: UnitOfWork | None = None) -> Principal | None:
        return None


def group_context(context: Context, odds_format: OddsFormat) -> SharedContext:
    return SharedContext(
        db=context.db,
        brand=context.brand,
        registry=context.registry,
        settings=context.settings,
        hub=context.hub,
        request_id=f"shared-{context.request_id}",
        client_address=None,
        user_agent=None,
        credentials=None,
        site_origin=context.site_origin,
        cache_principal=True,
        shared_odds_format=odds_format,
    )


async def _results(
    schema: BaseSchema,
    encode: Any,
    field: str,
    *,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: SharedContext,
) -> AsyncIterator[tuple[Kind, str]]:
    """The group's one execution: each result serialised once, as the payload of a `next`
    message (or of an `error` message for a refusal before execution)."""
    source = await schema.stream(
        query, variable_values=variables, context_value=context, operation_name=operation_name
    )
    async with aclosing(source):
        first = True
        async for result in source:
            if first and isinstance(result, PreExecutionError):
                yield "error", encode([error.formatted for error in result.errors or ()])
                return
            first = False
            if not isinstance(result, ExecutionResult):
                refusal = GraphQLError("Incremental delivery is not supported here")
                yield "error", encode([refusal.formatted])
                return
            payload: dict[str, Any] = {"data": result.data}
            if result.errors:
                payload["errors"] = [error.formatted for error in result.errors]
            if result.extensions:
                payload["extensions"] = result.extensions
            SHARED_EXECUTIONS.labels(field).inc()
            yield "next", encode(payload)


def frame(operation_id: str, kind: Kind, payload: str) -> str:
    """The message strawberry would send, from an already serialised payload."""
    return f'{{"id":{json.dumps(operation_id)},"type":"{kind}","payload":{payload}}}'


INTERRUPTED: Final = {
    "data": None,
    "errors": [
        {
            "message": "The event stream was interrupted ({reason}); subscribe again.",
            "extensions": {"code": "SUBSCRIPTION_INTERRUPTED"},
        }
    ],
}


async def run_shared(handler: Any, operation: Any, group: Shared) -> None:
    """Serve one socket's operation from its group (see the module's docstring).
    `handler` is the socket's graphql-transport-ws handler, `operation` strawberry's."""
    context: Context = handler.context
    view = handler.view
    key = group.key
    odds_format: OddsFormat = key[2]  # type: ignore[index]
    websocket = handler.websocket.ws

    def produce() -> AsyncIterator[tuple[Kind, str]]:
        return _results(
            handler.schema,
            view.encode_json,
            group.field,
            query=operation.query,
            variables=operation.variables,
            operation_name=operation.operation_name,
            context=group_context(context, odds_format),
        )

    # What is per socket: this prefix, built once, and the send, which the group's loop
    # runs for every member in one pass (resolvers/sportsbook/fanout.py: no task switch
    # per socket unless this socket's send has to wait).
    next_prefix = frame(operation.id, "next", "")[:-1]
    send = websocket.send

    async def write(item: tuple[Kind, str]) -> None:
        if operation.completed:
            return
        kind, payload = item
        if kind == "error":
            operation.completed = True
            handler.operations.pop(operation.id, None)
            await send({"type": "websocket.send", "text": frame(operation.id, kind, payload)})
            return
        await send({"type": "websocket.send", "text": f"{next_prefix}{payload}}}"})

    try:
        async with fanout_for(context.hub).join(key, produce, write=write) as member:
            try:
                async for _ in member:
                    pass  # the group's loop writes; this waits for the end
            except SubscriptionInterrupted as interrupted:
                interrupted_payload = json.loads(json.dumps(INTERRUPTED))
                message = interrupted_payload["errors"][0]["message"]
                interrupted_payload["errors"][0]["message"] = message.format(reason=interrupted)
                await websocket.send_text(
                    frame(operation.id, "next", view.encode_json(interrupted_payload))
                )
        await operation.send_operation_message({"id": operation.id, "type": "complete"})
    except (WebSocketDisconnect, WriteFailed):
        handler.operations.pop(operation.id, None)
