"""The dashboard's alerts and health, and the AML queue page: an admin sees the brand's
open AML alert, the failed deposit, the open bet's potential return as liability and the
outbox backlog; risk takes the alert and closes it as cleared with a reason, and it leaves
the queue; support has no AML page."""

from __future__ import annotations

import re

from strawberry.relay import to_base64

from domain.integrations.psp import ProviderStatus
from domain.kernel.db import Database
from tests.domain.payments.support import apply, deposit_webhook, opened_deposit
from tests.schema.sportsbook.support import add_market, signed_in_bettor
from tests.schema.sportsbook.test_place_bet import PLACE_BET, single
from tests.schema.test_staff_scope import _aurora_aml_alert
from tests.support import AURORA
from tests.web.backoffice.support import signed_in_console


def _figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">(.*?)</', html, re.DOTALL)
    assert found is not None, name
    return found.group(1).strip()


async def test_alerts_liability_and_backlog_show_and_risk_works_the_aml_queue(
    server: str, db: Database
) -> None:
    market = await add_market(db, {"home": "2.50", "away": "1.60"})
    bettor, player_id = await signed_in_bettor(server, AURORA, db, currency="EUR")
    slip = single(market.outcomes["home"], "2.50", "dash-1")
    slip["stake"] = {"amount": "10.00", "currency": "EUR"}
    placed = await bettor.query(PLACE_BET, {"i": slip})
    assert placed.data["placeBet"]["errors"] == []
    failed = await opened_deposit(db, player_id, 30_00)
    await apply(db, deposit_webhook(failed, ProviderStatus.FAILED))
    alert = await _aurora_aml_alert(db, player_id)
    admin = await signed_in_console(server, db, "dash-admin@op.example", ["admin"])
    risk = await signed_in_console(server, db, "dash-risk@op.example", ["risk"])
    support = await signed_in_console(server, db, "dash-support@op.example", ["support"])

    dashboard = await admin.get("/")
    queue = await risk.get("/aml")
    alert_id = to_base64("AmlAlert", str(alert))
    taken = await risk.post("/aml/take", {"alert": alert_id})
    no_reason = await risk.post("/aml/close", {"alert": alert_id, "outcome": "CLEARED"})
    closed = await risk.post(
        # Referred, not cleared: clearing needs the enhanced KYC tier first (a hold ends with
        # enhanced due diligence), which this player has not reached.
        "/aml/close",
        {"alert": alert_id, "outcome": "REFERRED", "reason": "salary slips unclear"},
    )
    after = await risk.get("/aml")
    risk_dashboard = await risk.get("/")

    assert dashboard.status_code == 200
    alerts = dashboard.text[dashboard.text.index('id="alerts"') :].split("</div>")[0]
    assert re.search(r'href="/aml"><span class="figure">1</span>', alerts)
    assert _figure(dashboard.text, "failed-payments") == "1"
    assert _figure(dashboard.text, "open-liability") == "25.00 EUR"
    assert int(_figure(dashboard.text, "outbox-pending")) >= 0
    assert queue.status_code == 200 and f'data-alert="{alert_id}"' in queue.text
    assert "cumulative deposits" in queue.text and "deposits held" in queue.text
    assert taken.headers["location"] == "/aml?notice=aml_taken"
    assert no_reason.status_code == 400
    assert closed.headers["location"] == "/aml?notice=aml_closed"
    assert f'data-alert="{alert_id}"' not in after.text
    # Risk works the queues but reads no report: alerts without the report's figures.
    assert 'href="/aml"' in risk_dashboard.text and 'id="operations"' not in risk_dashboard.text
    assert (await support.get("/aml")).status_code == 403
    for client in (admin, risk, support, bettor):
        await client.aclose()
