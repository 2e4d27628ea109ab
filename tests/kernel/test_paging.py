"""The paging kit and every context's cursor built on it: one format, one strict decoder,
the same refusals everywhere."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from domain.casino.lobby import LobbyCursor
from domain.casino.rounds import RoundCursor
from domain.kernel import paging
from domain.payments.service import QueueCursor
from domain.sportsbook import bet_history
from domain.sportsbook.catalog import EventCursor
from domain.wallets import history

MOMENT = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
GAME_ID = uuid.UUID("0190f0c4-7d7a-7b3e-9c1a-2f4e5d6c7b8a")


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def test_every_kind_of_value_round_trips() -> None:
    text = paging.encode_cursor("t1", MOMENT, 42, GAME_ID)

    assert paging.decode_cursor(text, "t1", paging.INSTANT, paging.ID, paging.UUID) == (
        MOMENT,
        42,
        GAME_ID,
    )


@pytest.mark.parametrize("name", ['Book | of "Stars"', "100% Ünïcode|%7C", "a" * 300, "|"])
def test_text_with_separators_and_escapes_round_trips(name: str) -> None:
    text = paging.encode_cursor("t1", name, 7)

    assert paging.decode_cursor(text, "t1", paging.TEXT, paging.ID) == (name, 7)


# Each context's cursor: how it is read and a cursor it issues.
CONTEXTS: dict[str, tuple[Callable[[str], object], str, str]] = {
    # name: (decode, version, the fields after the version of a cursor it issues)
    "wallet history": (history.Cursor.decode, "v2", "42"),
    "casino lobby": (LobbyCursor.decode, "g2", f"Crash|{GAME_ID}"),
    "casino rounds": (RoundCursor.decode, "r1", f"{MOMENT.isoformat()}|42"),
    "sportsbook events": (EventCursor.decode, "e1", f"{MOMENT.isoformat()}|42"),
    "sportsbook bets": (bet_history.decode_cursor, "b1", "42"),
    "withdrawal queue": (QueueCursor.decode, "w1", f"{MOMENT.isoformat()}|{GAME_ID}"),
}


def _forgeries(version: str, fields: str) -> list[str]:
    """Cursors the API never issued, each one step away from an issued one."""
    *rest, last = fields.split("|")
    prefix = "|".join([version, *rest])
    forged_last = (
        # An id: signed, zero-padded, another script's digits, past bigint, not a number.
        ["+42", "042", "-5", "0", "٤٢", "4_2", str(2**63), "9" * 30, "", "4.2"]
        if last.isdigit()
        # A uuid: braces, no hyphens, upper case, truncated.
        else [f"{{{last}}}", last.replace("-", ""), last.upper(), last[:-3]]
    )
    forged = [_b64(f"{prefix}|{value}") for value in forged_last]
    if MOMENT.isoformat() in fields:
        # A time without its zone, or not in the form the API writes.
        forged.append(_b64(f"{version}|{fields.replace('+00:00', '')}"))
        forged.append(_b64(f"{version}|{fields.replace('T', ' ')}"))
    return [
        *forged,
        "",
        "not base64 at all!",
        _b64(f"x9|{fields}"),  # another version
        _b64(f"{version}|{fields}|1"),  # one field too many
        _b64(version),  # no fields
        base64.urlsafe_b64encode(b"\xff\xfe|1").decode(),  # not UTF-8
        "A" * (paging.CURSOR_LENGTH_MAX + 1),  # refused before decoding
        _b64(f"{version}|{fields}")[:-3],  # truncated
    ]


@pytest.mark.parametrize("context", sorted(CONTEXTS))
def test_every_context_reads_the_cursors_it_issues(context: str) -> None:
    decode, version, fields = CONTEXTS[context]

    decode(_b64(f"{version}|{fields}"))


@pytest.mark.parametrize(
    ("context", "cursor"),
    [(name, forged) for name, (_, v, f) in sorted(CONTEXTS.items()) for forged in _forgeries(v, f)],
)
def test_every_context_refuses_a_cursor_it_did_not_issue(context: str, cursor: str) -> None:
    decode = CONTEXTS[context][0]

    with pytest.raises(paging.InvalidCursor) as refused:
        decode(cursor)

    assert refused.value.code == "INVALID_CURSOR"
    assert refused.value.field == "after"


def test_a_lobby_cursor_issued_before_the_kit_still_names_its_game() -> None:
    legacy = _b64(json.dumps(["g1", "Book | of Stars", str(GAME_ID)]))

    assert LobbyCursor.decode(legacy) == LobbyCursor("Book | of Stars", GAME_ID)


@pytest.mark.parametrize("first", [0, -1, 101, True])
def test_a_page_size_outside_1_to_100_is_refused(first: int) -> None:
    with pytest.raises(paging.InvalidPageSize) as refused:
        paging.check_page_size(first)

    assert (refused.value.code, refused.value.field) == ("INVALID_PAGE_SIZE", "first")
    assert refused.value.message == "Ask for 1 to 100 items per page."


def test_the_bounds_of_a_page_are_accepted() -> None:
    paging.check_page_size(1)
    paging.check_page_size(paging.PAGE_SIZE_MAX)
