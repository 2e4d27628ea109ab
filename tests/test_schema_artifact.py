"""schema.graphql is an artefact: committed, and this test fails when it is stale."""

from __future__ import annotations

from pathlib import Path

from schema import schema_sdl

COMMITTED = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_sdl(), (
        "schema.graphql is stale: run `stakehouse export-schema --output schema.graphql`"
    )
