"""Validation results are cached per document (bench/ledger_debit.py: validation cost more
CPU than a small mutation), and a cached result still carries every limit's refusal."""

from __future__ import annotations

from domain.kernel.settings import get_settings
from schema import build_schema
from schema.extensions import ParsedDocuments, validation_cache_hits

TYPENAME_QUERY = "{ __typename }"


def _cache_hits() -> int:
    return validation_cache_hits()


async def test_the_same_document_is_validated_once() -> None:
    schema = build_schema(get_settings())
    await schema.execute(TYPENAME_QUERY)
    hits_before = _cache_hits()

    await schema.execute(TYPENAME_QUERY)
    await schema.execute(TYPENAME_QUERY)

    assert _cache_hits() == hits_before + 2


async def test_a_cached_refusal_is_refused_again() -> None:
    schema = build_schema(get_settings())
    depth = get_settings().graphql_max_depth + 2
    document = "{ " + "viewer { player { " * (depth // 2) + "id" + " }" * (depth // 2 * 2) + " }"
    aliases = " ".join(
        f"a{index}: brand {{ slug }}" for index in range(get_settings().graphql_max_aliases + 1)
    )

    for _ in range(2):
        too_deep = await schema.execute(document)
        too_many_aliases = await schema.execute("{ " + aliases + " }")

        assert too_deep.data is None
        assert too_deep.errors is not None
        assert "exceeds maximum operation depth" in too_deep.errors[0].message
        assert too_many_aliases.data is None
        assert too_many_aliases.errors is not None
        assert "aliases" in too_many_aliases.errors[0].message


async def test_a_document_is_parsed_once_and_syntax_errors_are_never_kept() -> None:
    schema = build_schema(get_settings())
    document = "{ __typename brand { slug } }"
    broken = "{ __typename brand { "

    await schema.execute(document)
    first = ParsedDocuments._documents.get(document)
    await schema.execute(document)
    failed = await schema.execute(broken)

    assert first is not None and ParsedDocuments._documents[document] is first
    assert failed.errors is not None and "Syntax Error" in failed.errors[0].message
    assert broken not in ParsedDocuments._documents
