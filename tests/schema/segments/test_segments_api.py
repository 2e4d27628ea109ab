"""Segments, campaigns and consent over GraphQL: CRM staff preview, save and list segments
and campaigns with typed errors; players read and set their consent; lists read in the
same number of statements however many rows."""

from __future__ import annotations

from typing import Any

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from schema import build_schema
from tests.schema.accounts.test_staff import signed_in_staff
from tests.support import AURORA, Api, request_context, statements_of

SCHEMA = build_schema()
DEPOSITED_100: dict[str, Any] = {
    "all": [
        {"condition": {"field": "DEPOSIT_SUM", "op": "GTE", "windowDays": 7,
                       "amount": {"amount": "100.00", "currency": "EUR"}}},
        {"not": {"condition": {"field": "STATUS", "op": "IN", "values": ["self_excluded"]}}},
    ]
}  # fmt: skip
CREATE = """mutation($i: CreateSegmentInput!) { createSegment(input: $i) {
  segment { id name kind memberCount rule } errors { code field message } } }"""
PREVIEW = """query($r: SegmentRuleInput!) { segmentPreview(rule: $r, sampleSize: 5) {
  count sample { email country } } }"""
SEGMENTS = "{ segments(first: 50) { name memberCount } }"
CAMPAIGN = """mutation($i: CreateCampaignInput!) { createCampaign(input: $i) {
  campaign { name channel status counts { targeted sent } } errors { code field } } }"""
CAMPAIGNS = "{ campaigns(first: 50) { name counts { targeted suppressedConsent sent } } }"
CONSENT = """mutation($i: SetMarketingConsentInput!) { setMarketingConsent(input: $i) {
  consent { channel granted } errors { code } } }"""


async def test_crm_staff_preview_save_and_message_a_segment(server: str, db: Database) -> None:
    crm = await signed_in_staff(Api(server, AURORA), db, "crm@op.example", ["crm"], ["aurora"])
    player = Api(server, AURORA)
    await player.register(email="mia@example.com")
    await player.login("mia@example.com")
    consent = await player.query(CONSENT, {"i": {"channel": "INBOX", "granted": True}})
    everyone = {"condition": {"field": "COUNTRY", "op": "IN", "values": ["MT"]}}

    preview = await crm.query(PREVIEW, {"r": everyone})
    nobody = await crm.query(PREVIEW, {"r": DEPOSITED_100})
    saved = await crm.query(CREATE, {"i": {"name": "Malta", "rule": everyone}})
    bad = await crm.query(CREATE, {"i": {"name": "Bad", "rule": {"all": [], "any": []}}})
    number = await crm.query(
        CREATE,
        {"i": {"name": "Bad", "rule": {"condition": {"field": "DEPOSIT_SUM", "op": "GTE",
               "windowDays": 7, "amount": {"amount": 100, "currency": "EUR"}}}}},
    )  # fmt: skip
    segment = saved.data["createSegment"]["segment"]
    sent = await crm.query(
        CAMPAIGN,
        {"i": {"segmentId": segment["id"], "name": "Hello", "channel": "INBOX",
               "content": [{"locale": "en", "subject": "Hi", "text": "Hello"}]}},
    )  # fmt: skip
    push = await crm.query(
        CAMPAIGN,
        {"i": {"segmentId": segment["id"], "name": "Hello", "channel": "PUSH",
               "content": [{"locale": "en", "subject": "Hi", "text": "Hello"}]}},
    )  # fmt: skip

    assert consent.data["setMarketingConsent"] == {
        "consent": {"channel": "INBOX", "granted": True}, "errors": []
    }  # fmt: skip
    assert preview.data["segmentPreview"] == {
        "count": 1, "sample": [{"email": "mia@example.com", "country": "MT"}]
    }  # fmt: skip
    assert nobody.data["segmentPreview"] == {"count": 0, "sample": []}
    assert segment["name"] == "Malta"
    assert (segment["kind"], segment["memberCount"]) == ("RULE", 1)
    assert bad.data["createSegment"]["segment"] is None
    assert [e["code"] for e in bad.data["createSegment"]["errors"]] == ["INVALID_RULE"]
    assert [e["code"] for e in number.data["createSegment"]["errors"]] == ["INVALID_RULE"]
    assert sent.data["createCampaign"]["errors"] == []
    assert sent.data["createCampaign"]["campaign"]["status"] == "SCHEDULED"
    assert push.data["createCampaign"] == {
        "campaign": None, "errors": [{"code": "CHANNEL_UNAVAILABLE", "field": "channel"}]
    }  # fmt: skip
    support = await signed_in_staff(
        Api(server, AURORA), db, "support@op.example", ["support"], ["aurora"]
    )
    refused = await support.query(SEGMENTS)
    assert refused.body["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    for api in (crm, player, support):
        await api.aclose()


async def _listed(db: Database, registry: BrandRegistry, token: str, query: str) -> int:
    with statements_of(db) as statements:
        result = await SCHEMA.execute(
            query, context_value=request_context(db, registry, "aurora", token)
        )
    assert result.errors is None, result.errors
    return len(statements)


async def test_segment_and_campaign_lists_read_in_the_same_statements_however_long(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    crm = await signed_in_staff(Api(server, AURORA), db, "crm2@op.example", ["crm"], ["aurora"])
    rule = {"condition": {"field": "COUNTRY", "op": "IN", "values": ["MT"]}}

    async def add(name: str) -> None:
        saved = await crm.query(CREATE, {"i": {"name": name, "rule": rule}})
        segment_id = saved.data["createSegment"]["segment"]["id"]
        sent = await crm.query(
            CAMPAIGN,
            {"i": {"segmentId": segment_id, "name": name, "channel": "EMAIL",
                   "content": [{"locale": "en", "subject": "Hi", "text": "Hello"}]}},
        )  # fmt: skip
        assert sent.data["createCampaign"]["errors"] == []

    await add("one")
    one = (
        await _listed(db, registry, str(crm.token), SEGMENTS),
        await _listed(db, registry, str(crm.token), CAMPAIGNS),
    )
    for name in ("two", "three", "four"):
        await add(name)
    four = (
        await _listed(db, registry, str(crm.token), SEGMENTS),
        await _listed(db, registry, str(crm.token), CAMPAIGNS),
    )
    listed = await crm.query(SEGMENTS)

    assert [item["name"] for item in listed.data["segments"]] == ["four", "three", "two", "one"]
    assert four == one
    await crm.aclose()
