"""Audience lists from a brand's outside CRM, over HTTP on the real server: a signed list
becomes a static segment of that brand (a later one updates it), audited; a forged or
stale signature, another brand's players and a brand without a CRM change nothing."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domain.brands.service import BrandRegistry
from domain.integrations.crm import CRM_SIGNATURE
from domain.kernel.audit import AuditEntry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from domain.segments.models import Segment, SegmentKind, SegmentMembershipChange
from schema.ids import global_id
from tests.conftest import app_server
from tests.domain.segments.support import members, new_player
from tests.support import AURORA, NORTHSTAR

AUDIENCES = "/crm/audiences"
AURORA_SECRET = "aurora-crm-audience-secret-1"
NORTHSTAR_SECRET = "northstar-crm-audience-secret"


@pytest.fixture(scope="module")
async def crm_server(db: Database, registry: BrandRegistry) -> AsyncIterator[str]:
    """The app with a CRM for aurora and northstar (each its own secret); kumo has none."""
    settings = get_settings().model_copy(
        update={
            "crm_urls": {"aurora": "https://crm.example/a", "northstar": "https://crm.example/n"},
            "crm_secrets": {"aurora": AURORA_SECRET, "northstar": NORTHSTAR_SECRET},
            "crm_test_receiver_url": None,
        }
    )
    async with app_server(registry, settings) as url:
        yield url


async def post_audience(
    server: str, host: str, document: dict[str, Any], *, secret: str = AURORA_SECRET,
    at: int | None = None,
) -> httpx.Response:  # fmt: skip
    body = json.dumps(document).encode()
    headers = CRM_SIGNATURE.headers(secret.encode(), at or int(time.time()), body)
    async with httpx.AsyncClient(base_url=server, headers={"host": host}) as client:
        return await client.post(
            AUDIENCES, content=body, headers={**headers, "content-type": "application/json"}
        )


async def crm_segment(db: Database, brand: str, audience_id: str) -> Segment | None:
    async with db.uow() as uow:
        return await uow.session.scalar(
            select(Segment).where(Segment.brand == brand, Segment.crm_audience == audience_id)
        )


async def test_a_signed_audience_becomes_a_static_segment_and_a_later_list_updates_it_audited(
    db: Database, registry: BrandRegistry, crm_server: str
) -> None:
    first, second, third = [await new_player(db, registry) for _ in range(3)]
    audience_id = f"winback-{uuid.uuid4().hex[:8]}"

    created = await post_audience(
        crm_server, AURORA,
        {"audience_id": audience_id, "name": "Win-back", "player_ids": [str(first), str(second)]},
    )  # fmt: skip
    segment = await crm_segment(db, "aurora", audience_id)
    assert segment is not None
    assert created.status_code == 200
    assert created.json() == {
        "segment_id": global_id("Segment", segment.id), "created": True, "members": 2,
        "added": 2, "removed": 0,
    }  # fmt: skip
    assert (segment.kind, segment.name) == (SegmentKind.STATIC, "Win-back")
    assert await members(db, segment.id) == {first, second}

    updated = await post_audience(
        crm_server, AURORA,
        {"audience_id": audience_id, "name": "Win-back II", "player_ids": [str(second), str(third)]},
    )  # fmt: skip
    assert updated.json()["created"] is False
    assert (updated.json()["added"], updated.json()["removed"]) == (1, 1)
    assert await members(db, segment.id) == {second, third}
    async with db.uow() as uow:
        renamed = await uow.session.get(Segment, segment.id)
        assert renamed is not None and renamed.name == "Win-back II"
        history = (
            await uow.session.execute(
                select(SegmentMembershipChange.player_id, SegmentMembershipChange.entered)
                .where(SegmentMembershipChange.segment_id == segment.id)
                .order_by(SegmentMembershipChange.id)
            )
        ).all()
        audited = (
            await uow.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject_id == str(segment.id))
                .order_by(AuditEntry.id)
            )
        ).all()
    assert sorted(history[:2]) == sorted([(first, True), (second, True)])
    assert sorted(history[2:]) == sorted([(third, True), (first, False)])
    assert audited == ["segment.crm_audience_created", "segment.crm_audience_updated"]


async def test_a_forged_or_stale_audience_signature_is_refused_and_changes_nothing(
    db: Database, registry: BrandRegistry, crm_server: str
) -> None:
    player = await new_player(db, registry)
    audience_id = f"forged-{uuid.uuid4().hex[:8]}"
    document = {"audience_id": audience_id, "player_ids": [str(player)]}

    forged = await post_audience(crm_server, AURORA, document, secret="guessed-secret-of-16+")
    # Northstar's genuine secret is not aurora's.
    other = await post_audience(crm_server, AURORA, document, secret=NORTHSTAR_SECRET)
    stale = await post_audience(crm_server, AURORA, document, at=int(time.time()) - 3600)
    body = json.dumps(document).encode()
    async with httpx.AsyncClient(base_url=crm_server, headers={"host": AURORA}) as client:
        unsigned = await client.post(AUDIENCES, content=body)

    for refused in (forged, other, stale, unsigned):
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert await crm_segment(db, "aurora", audience_id) is None


async def test_an_audience_naming_another_brands_player_is_refused_whole(
    db: Database, registry: BrandRegistry, crm_server: str
) -> None:
    ours = await new_player(db, registry)
    theirs = await new_player(db, registry, brand="northstar")
    audience_id = f"mixed-{uuid.uuid4().hex[:8]}"

    refused = await post_audience(
        crm_server, AURORA, {"audience_id": audience_id, "player_ids": [str(ours), str(theirs)]}
    )
    # Northstar's CRM, signing with its own secret on its own host, cannot reach aurora's
    # players either.
    across = await post_audience(
        crm_server, NORTHSTAR, {"audience_id": audience_id, "player_ids": [str(ours)]},
        secret=NORTHSTAR_SECRET,
    )  # fmt: skip
    own = await post_audience(
        crm_server, NORTHSTAR, {"audience_id": audience_id, "player_ids": [str(theirs)]},
        secret=NORTHSTAR_SECRET,
    )  # fmt: skip

    assert refused.status_code == across.status_code == 422
    assert refused.json()["error"] == {
        "code": "UNKNOWN_PLAYERS", "field": "player_ids",
        "message": "The audience names 1 players this brand does not have; nothing changed.",
    }  # fmt: skip
    assert await crm_segment(db, "aurora", audience_id) is None
    assert own.status_code == 200
    segment = await crm_segment(db, "northstar", audience_id)
    assert segment is not None and await members(db, segment.id) == {theirs}


async def test_a_brand_without_a_crm_accepts_no_audience_and_a_malformed_list_is_refused(
    db: Database, registry: BrandRegistry, crm_server: str
) -> None:
    kumo = await post_audience(
        crm_server, "kumo.localhost", {"audience_id": "any", "player_ids": []}
    )
    malformed = await post_audience(
        crm_server, AURORA, {"audience_id": "bad id!", "player_ids": ["not-an-id"]}
    )
    not_ids = await post_audience(crm_server, AURORA, {"audience_id": "ok", "player_ids": ["x"]})

    assert kumo.status_code == 401
    assert malformed.status_code == 400
    assert malformed.json()["error"]["field"] == "audience_id"
    assert not_ids.json()["error"] == {
        "code": "INVALID_AUDIENCE", "field": "player_ids",
        "message": "Each player id is a player's id.",
    }  # fmt: skip


async def test_two_lists_of_a_new_audience_at_once_make_one_segment(
    db: Database, registry: BrandRegistry, crm_server: str
) -> None:
    first, second = [await new_player(db, registry) for _ in range(2)]
    audience_id = f"race-{uuid.uuid4().hex[:8]}"

    answers = await asyncio.gather(
        *(
            post_audience(crm_server, AURORA, {"audience_id": audience_id, "player_ids": [str(p)]})
            for p in (first, second)
        )
    )

    assert [answer.status_code for answer in answers] == [200, 200]
    assert sorted(answer.json()["created"] for answer in answers) == [False, True]
    async with db.uow() as uow:
        found = (
            await uow.session.scalars(select(Segment.id).where(Segment.crm_audience == audience_id))
        ).all()
    assert len(found) == 1
    assert len(await members(db, found[0])) == 1
