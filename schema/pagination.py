"""Forward-only Relay connections: the one way every keyset-paginated list answers.

Our lists page forward only (`first` and `after`, never `last`/`before`), so a page has
rows before it exactly when the client gave a cursor; the start and end cursors are the
first and last edge's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from strawberry import relay

NodeT = TypeVar("NodeT", bound=relay.Node)


class _HasCursor(Protocol):
    @property
    def cursor(self) -> str: ...


def forward_page_info(
    edges: Sequence[_HasCursor], *, has_next_page: bool, after: str | None
) -> relay.PageInfo:
    return relay.PageInfo(
        has_next_page=has_next_page,
        # Forward pagination only: a cursor means rows came before it.
        has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


def forward_connection(
    edges: list[relay.Edge[NodeT]], *, has_next_page: bool, after: str | None
) -> relay.Connection[NodeT]:
    page_info = forward_page_info(edges, has_next_page=has_next_page, after=after)
    return relay.Connection(edges=edges, page_info=page_info)
