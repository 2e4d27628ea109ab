"""The app's process after start-up: what start-up built is out of the collector's reach,
and full collections are rare, so one does not stall thousands of sockets' frames while it
walks their objects (issue 19)."""

from __future__ import annotations

import gc

from tests.support import AURORA, Api
from web.app import GC_THRESHOLDS


async def test_what_start_up_built_is_frozen_and_the_app_still_answers(server: str) -> None:
    frozen = gc.get_freeze_count()
    thresholds = gc.get_threshold()
    api = Api(server, AURORA)
    try:
        answer = await api.query("{ __typename }")
    finally:
        await api.aclose()

    # The app's start-up alone builds ~280k objects; the test session's own come on top.
    assert frozen > 100_000
    assert thresholds == GC_THRESHOLDS
    assert answer.data == {"__typename": "Query"}
