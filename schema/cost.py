"""What an operation will cost to resolve, estimated from its document before it runs.

The estimate counts the fields the server would resolve: each selected field once per
parent object it is resolved on. A field with a `first` or `last` argument (a connection
page) multiplies what lies beneath it by that number (a variable's value, else the
argument's default, else the page maximum) and the list right below it (`edges`, `nodes`)
does not multiply again; a list argument (`oddsChanged(events: [...])`) multiplies by its
length; any other list multiplies by LIST_SIZE_ASSUMED. Fragments count
where they are spread. So `events(first: 50) { edges { node { markets { outcomes { id } } } } }`
costs 1 (events) + 50 (edges) + 50 (node) + 50 (markets) + 400 (outcomes) + 3,200 (id)
= 3,751: nesting lists is what makes a query
expensive, and what the limit bounds. Documents that do not validate are not estimated
(validation refuses them first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from domain.kernel.paging import PAGE_SIZE_MAX

# A list that takes no page size (a market's outcomes, an event's markets): how many
# items it is assumed to hold.
LIST_SIZE_ASSUMED: Final = 8
PAGE_ARGUMENTS: Final = ("first", "last")


@dataclass(frozen=True)
class Cost:
    value: int
    # The variables the estimate read (page sizes): the same document with the same
    # values of these costs the same, so callers may cache on them.
    variables_read: tuple[str, ...]


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> Cost:
    """The estimated number of field resolutions of the operation `operation_name`."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    chosen = [op for op in operations if operation_name in (None, op.name and op.name.value)]
    if not chosen:
        return Cost(0, ())
    operation = chosen[0]
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return Cost(0, ())
    given = dict(variables or {})
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        if isinstance(default, IntValueNode):
            given.setdefault(definition.variable.name.value, int(default.value))
    estimate = _Estimate(schema, fragments, given)
    value = estimate.selection(operation.selection_set, root, multiplier=1, paged=False)
    return Cost(value, tuple(dict.fromkeys(estimate.variables_read)))


class _Estimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.variables_read: list[str] = []

    def selection(
        self, selection_set: SelectionSetNode, parent: Any, *, multiplier: int, paged: bool
    ) -> int:
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent, multiplier, paged)
                continue
            fragment: InlineFragmentNode | FragmentDefinitionNode | None
            if isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
            else:
                fragment = node if isinstance(node, InlineFragmentNode) else None
            if fragment is None:
                continue
            condition = fragment.type_condition
            on = self.schema.get_type(condition.name.value) if condition else parent
            total += self.selection(fragment.selection_set, on, multiplier=multiplier, paged=paged)
        return total

    def field(self, node: FieldNode, parent: Any, multiplier: int, paged: bool) -> int:
        name = node.name.value
        fields = getattr(get_named_type(parent), "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            return 0
        definition = fields[name]
        if node.selection_set is None:
            return multiplier
        page = self.page_size(node, definition)
        if page is not None:
            # A connection's page: the list right under it (`edges`) is the page itself.
            below, below_paged = multiplier * page, not _is_list(definition.type)
        elif _is_list(definition.type) and not paged:
            below, below_paged = multiplier * LIST_SIZE_ASSUMED, False
        else:
            below, below_paged = multiplier, False
        inner = get_named_type(definition.type)
        return multiplier + self.selection(
            node.selection_set, inner, multiplier=below, paged=below_paged
        )

    def page_size(self, node: FieldNode, definition: Any) -> int | None:
        """The page a `first`/`last` argument asks for: its literal or variable, else the
        argument's default, else the maximum; None when the field takes neither."""
        for argument_name in PAGE_ARGUMENTS:
            if argument_name not in definition.args:
                continue
            given = next((a for a in node.arguments or () if a.name.value == argument_name), None)
            value: Any = definition.args[argument_name].default_value
            if given is not None and isinstance(given.value, IntValueNode):
                value = int(given.value.value)
            elif given is not None and isinstance(given.value, VariableNode):
                self.variables_read.append(given.value.name.value)
                value = self.variables.get(given.value.name.value)
            return value if type(value) is int and 0 <= value <= PAGE_SIZE_MAX else PAGE_SIZE_MAX
        return self.listed(node, definition)

    def listed(self, node: FieldNode, definition: Any) -> int | None:
        """A list argument (`oddsChanged(events: [...])`) multiplies by its length."""
        sizes = []
        for argument in node.arguments or ():
            declared = definition.args.get(argument.name.value)
            if declared is None or not _is_list(declared.type):
                continue
            if isinstance(argument.value, ListValueNode):
                sizes.append(len(argument.value.values))
            elif isinstance(argument.value, VariableNode):
                self.variables_read.append(argument.value.name.value)
                value = self.variables.get(argument.value.name.value)
                sizes.append(len(value) if isinstance(value, list) else 1)
        return max(sizes, default=0) or None


def _is_list(graphql_type: Any) -> bool:
    while isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)
