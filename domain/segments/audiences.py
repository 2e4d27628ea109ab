"""Audience lists from the brand's outside CRM, kept as static segments.

The CRM POSTs a list (signed with the brand's CRM secret; the web layer checks the
signature before this module sees a byte of it):

    {"audience_id": "winback-2026-12", "name": "Win-back December",
     "player_ids": ["<player id>", ...]}

The first list of an `audience_id` makes a static segment of the brand; a later one
replaces its members (entries and exits kept in the membership history, as for any
segment) and its name. A list naming any player the brand does not have (another brand's
included) is refused whole and changes nothing. Every applied list is audited.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import func, select, text

from domain.accounts.models import Player
from domain.kernel import audit
from domain.kernel.db import UnitOfWork
from domain.segments import membership
from domain.segments.errors import InvalidAudience, UnknownAudiencePlayers
from domain.segments.models import Segment, SegmentKind
from domain.segments.service import NAME_LENGTH_MAX

# A list travels in one signed webhook body (64 KiB): about this many ids.
AUDIENCE_PLAYERS_MAX: Final = 1_500
AUDIENCE_ID: Final = re.compile(r"[A-Za-z0-9._:-]{1,100}")
# The audit log's actor for what the CRM does (it signs with the brand's secret).
CRM_ACTOR: Final = "crm"
_LOCK_AUDIENCE: Final = text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")


@dataclass(frozen=True)
class Audience:
    audience_id: str
    name: str
    player_ids: frozenset[uuid.UUID]


@dataclass(frozen=True)
class AppliedAudience:
    segment_id: uuid.UUID
    created: bool
    members: int
    added: int
    removed: int


def parse(body: bytes) -> Audience:
    """The audience a verified body carries. Errors: InvalidAudience (with its field)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidAudience("The body is not JSON.") from None
    if not isinstance(document, dict):
        raise InvalidAudience("The body is not a JSON object.")
    audience_id = document.get("audience_id")
    if not isinstance(audience_id, str) or not AUDIENCE_ID.fullmatch(audience_id):
        raise InvalidAudience(
            "Give an audience_id of 1-100 letters, digits, . _ : -.", field="audience_id"
        )
    name = document.get("name", audience_id)
    if (
        not isinstance(name, str)
        or not 0 < len(name.strip()) <= NAME_LENGTH_MAX
        or not name.isprintable()
    ):
        raise InvalidAudience("Give a name of 1-100 printable characters.", field="name")
    return Audience(audience_id, name.strip(), _player_ids(document.get("player_ids")))


def _player_ids(value: Any) -> frozenset[uuid.UUID]:
    if not isinstance(value, list) or len(value) > AUDIENCE_PLAYERS_MAX:
        raise InvalidAudience(
            f"Give player_ids as a list of at most {AUDIENCE_PLAYERS_MAX} ids.", field="player_ids"
        )
    ids: set[uuid.UUID] = set()
    for item in value:
        try:
            ids.add(uuid.UUID(item) if isinstance(item, str) and len(item) <= 36 else uuid.UUID(""))
        except ValueError:
            raise InvalidAudience("Each player id is a player's id.", field="player_ids") from None
    return frozenset(ids)


async def apply(uow: UnitOfWork, brand: str, audience: Audience) -> AppliedAudience:
    """Make or update the brand's static segment of the audience. Errors:
    UnknownAudiencePlayers (nothing changes)."""
    known = await uow.session.scalar(
        select(func.count()).where(Player.brand == brand, Player.id.in_(audience.player_ids))
    ) if audience.player_ids else 0  # fmt: skip
    if known != len(audience.player_ids):
        raise UnknownAudiencePlayers(len(audience.player_ids) - (known or 0))
    # Two lists of a new audience at once: the second waits and updates what the first made
    # (a row lock cannot serialise them: there is no row yet).
    await uow.session.execute(
        _LOCK_AUDIENCE, {"name": f"crm-audience:{brand}:{audience.audience_id}"}
    )
    segment = await uow.session.scalar(
        select(Segment)
        .where(Segment.brand == brand, Segment.crm_audience == audience.audience_id)
        .with_for_update()
    )
    created = segment is None
    before = None if segment is None else {"name": segment.name}
    if segment is None:
        segment = Segment(
            id=uuid.uuid4(), brand=brand, name=audience.name, kind=SegmentKind.STATIC,
            rule=None, created_by=None, crm_audience=audience.audience_id,
        )  # fmt: skip
        uow.session.add(segment)
    segment.name = audience.name
    # A list sent again after staff archived its segment brings it back: the CRM says so.
    segment.archived_at = None
    await uow.flush()
    added, removed = await membership.replace_listed(uow, segment, audience.player_ids)
    await audit.record(
        uow, actor_kind="system", actor_id=CRM_ACTOR,
        action="segment.crm_audience_created" if created else "segment.crm_audience_updated",
        subject_type="segment", subject_id=segment.id, brand=brand,
        reason="audience list from the brand's CRM", before=before,
        after={
            "name": segment.name, "audience_id": audience.audience_id,
            "members": len(audience.player_ids), "added": added, "removed": removed,
        },
    )  # fmt: skip
    return AppliedAudience(segment.id, created, len(audience.player_ids), added, removed)
