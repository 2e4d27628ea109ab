"""What a query selects below the field being resolved, read from the document itself (not
strawberry's `selected_fields`, which converts the whole subtree on every call)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from schema.context import Info
from schema.extensions import resolve_info

# A document nests fragments at most this deep here (validation already rejects cycles).
FRAGMENT_DEPTH_MAX = 32


def selects(info: Info, *path: str) -> bool:
    """Whether the current field's selection reaches `path` (field names, not aliases),
    through inline fragments and named ones. `@skip`/`@include` are not evaluated: a skipped
    field counts as selected, so the answer may over-read, never under-read."""
    raw = resolve_info(info)
    sets = [node.selection_set for node in raw.field_nodes if node.selection_set]
    return _reaches(sets, path, raw.fragments, 0)


def _reaches(
    selection_sets: Iterable[SelectionSetNode],
    path: tuple[str, ...],
    fragments: Mapping[str, FragmentDefinitionNode],
    depth: int,
) -> bool:
    if not path or depth > FRAGMENT_DEPTH_MAX:
        return True  # reached; or nested too deep to walk further: over-read
    head, rest = path[0], path[1:]
    for selection_set in selection_sets:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner, below = selection.selection_set, rest
                if selection.name.value != head or (below and inner is None):
                    continue
            elif isinstance(selection, InlineFragmentNode):
                inner, below = selection.selection_set, path
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is None:
                    continue
                inner, below = fragment.selection_set, path
            else:
                continue
            if not below or _reaches([inner], below, fragments, depth + 1):  # type: ignore[list-item]
                return True
    return False


# In `selected_below`'s answer: take every field as selected.
EVERY_FIELD = "*"


def selected_below(info: Info, *path: str) -> frozenset[str]:
    """The names of the fields selected directly below `path` (through inline and named
    fragments), e.g. which of a line's fields a page must fill. Like `selects`, it
    over-reads (a skipped field counts; EVERY_FIELD when too deep to walk) and never
    under-reads."""
    raw = resolve_info(info)
    sets = [node.selection_set for node in raw.field_nodes if node.selection_set]
    names: set[str] = set()
    _collect(sets, path, raw.fragments, 0, names)
    return frozenset(names)


def _collect(
    selection_sets: Iterable[SelectionSetNode],
    path: tuple[str, ...],
    fragments: Mapping[str, FragmentDefinitionNode],
    depth: int,
    names: set[str],
) -> None:
    if depth > FRAGMENT_DEPTH_MAX:
        names.add(EVERY_FIELD)  # nested too deep to walk further: over-read
        return
    for selection_set in selection_sets:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if not path:
                    names.add(selection.name.value)
                elif selection.name.value == path[0] and selection.selection_set is not None:
                    _collect([selection.selection_set], path[1:], fragments, depth + 1, names)
            elif isinstance(selection, InlineFragmentNode):
                _collect([selection.selection_set], path, fragments, depth + 1, names)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    _collect([fragment.selection_set], path, fragments, depth + 1, names)
