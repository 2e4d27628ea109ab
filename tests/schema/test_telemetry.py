"""Per-operation GraphQL metrics over HTTP against the real server: known operation names
are labels, any other name or none collapses to one label; errors are counted."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from domain.kernel.db import Database
from tests.support import Api


def _count(operation: str, kind: str) -> float:
    labels = {"operation": operation, "type": kind}
    return (
        REGISTRY.get_sample_value("stakehouse_graphql_operation_duration_seconds_count", labels)
        or 0.0
    )


def _errors(operation: str, kind: str) -> float:
    labels = {"operation": operation, "type": kind}
    return REGISTRY.get_sample_value("stakehouse_graphql_operation_errors_total", labels) or 0.0


async def test_a_site_operation_is_labelled_by_name_and_others_collapse_into_one(
    aurora: Api,
) -> None:
    known, other = _count("SiteViewer", "query"), _count("other", "query")
    invented = f"Invented{uuid.uuid4().hex[:8]}"

    await aurora.query("query SiteViewer { __typename }")
    await aurora.query(f"query {invented} {{ __typename }}")
    await aurora.query("{ __typename }")

    assert _count("SiteViewer", "query") == known + 1
    assert _count("other", "query") == other + 2
    assert _count(invented, "query") == 0


async def test_operations_answered_with_errors_are_counted(aurora: Api) -> None:
    failed, fine = _errors("other", "query"), _errors("SiteViewer", "query")
    unknown = _errors("other", "unknown")

    invalid = await aurora.query("query Nope { noSuchField }")
    await aurora.query("query SiteViewer { __typename }")
    unparsable = await aurora.query("query {")

    assert invalid.status == 200 and invalid.body["errors"]
    assert unparsable.body["errors"]
    assert _errors("other", "query") == failed + 1
    assert _errors("SiteViewer", "query") == fine
    assert _errors("other", "unknown") == unknown + 1


async def test_the_pool_gauge_counts_connections_while_they_are_checked_out(db: Database) -> None:
    before = REGISTRY.get_sample_value("stakehouse_db_pool_checked_out") or 0.0
    async with db.uow() as uow:
        await uow.session.connection()
        held = REGISTRY.get_sample_value("stakehouse_db_pool_checked_out")
    after = REGISTRY.get_sample_value("stakehouse_db_pool_checked_out")

    assert held == before + 1
    assert after == before
    assert (REGISTRY.get_sample_value("stakehouse_db_pool_size") or 0) >= 1
