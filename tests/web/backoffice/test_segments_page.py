"""CRM staff see the brand's segments with member counts and send a campaign to one from
the console; a list imports as a segment; other roles are refused the page."""

from __future__ import annotations

import uuid

from domain.brands.service import BrandRegistry
from domain.kernel.db import Database
from domain.segments import service
from tests.domain.segments.support import CRM, new_player
from tests.web.backoffice.support import signed_in_console


async def test_crm_sees_segments_and_sends_a_campaign(
    server: str, db: Database, registry: BrandRegistry
) -> None:
    players = [await new_player(db, registry) for _ in range(2)]
    rule = {"condition": {"field": "country", "op": "in", "values": ["MT"]}}
    async with db.transaction() as uow:
        await service.create_rule_segment(uow, CRM, "aurora", "Malta players", rule)
    crm = await signed_in_console(server, db, f"crm-{uuid.uuid4().hex[:6]}@op.example", ["crm"])

    desk = await crm.get("/segments")
    chooser = desk.text.split('id="campaign-segment"', 1)[1]
    segment_id = chooser.split('<option value="', 1)[1].split('"', 1)[0]
    missing = await crm.post("/segments/campaigns", {"segment": segment_id, "channel": "INBOX"})
    sent = await crm.post(
        "/segments/campaigns",
        {"segment": segment_id, "name": "Spring", "channel": "INBOX", "locale": "en",
         "subject": "Spring spins", "text": "Come and play.", "throttle": "100"},
    )  # fmt: skip
    # A text message has no subject: none is asked for SMS, and one the hidden field still
    # holds is left out; e-mail still needs one.
    texted = await crm.post(
        "/segments/campaigns",
        {"segment": segment_id, "name": "Spring texts", "channel": "SMS", "locale": "en",
         "text": "Come and play.", "throttle": "100"},
    )  # fmt: skip
    texted_with_leftover = await crm.post(
        "/segments/campaigns",
        {"segment": segment_id, "name": "Autumn texts", "channel": "SMS", "locale": "en",
         "subject": "typed before choosing SMS", "text": "Come and play.", "throttle": "100"},
    )  # fmt: skip
    mailed_without_subject = await crm.post(
        "/segments/campaigns",
        {"segment": segment_id, "name": "Bare mail", "channel": "EMAIL", "locale": "en",
         "text": "Come and play.", "throttle": "100"},
    )  # fmt: skip
    after = await crm.get(texted.headers["location"])
    imported = await crm.post(
        "/segments/import", {"name": "VIPs", "csv": f"player\n{players[0]}\n"}
    )
    listed = await crm.get(imported.headers["location"])
    support = await signed_in_console(
        server, db, f"support-{uuid.uuid4().hex[:6]}@op.example", ["support"]
    )
    refused = await support.get("/segments")

    assert desk.status_code == 200
    assert '<td>Malta players</td><td>rule</td><td class="num">2</td>' in desk.text
    assert missing.status_code == 400
    assert "Check the form" in missing.text
    assert sent.status_code == 303
    assert "The campaign is scheduled" in after.text
    assert "Spring" in after.text
    assert '<option value="SMS">sms</option>' in desk.text
    assert texted.status_code == 303
    assert texted_with_leftover.status_code == 303
    assert mailed_without_subject.status_code == 400
    # The subject field is not required by the browser and is hidden while SMS is chosen.
    subject_field = desk.text.split('class="campaign-subject"', 1)[1].split("</div>", 1)[0]
    assert 'name="subject"' in subject_field and "required" not in subject_field
    css = await crm.get("/static/backoffice.css")
    assert 'option[value="SMS"]:checked) .campaign-subject { display: none; }' in css.text
    assert "Spring texts" in after.text
    assert "<td>sms</td>" in after.text
    assert imported.status_code == 303
    assert '<td>VIPs</td><td>static</td><td class="num">1</td>' in listed.text
    assert refused.status_code == 403
    await crm.aclose()
    await support.aclose()
