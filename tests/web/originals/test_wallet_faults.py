"""When the operator does not answer: a bet whose reply is lost is rolled back (refunded if
it landed, tombstoned if not), and an unconfirmed win is sent again by the next play."""

from __future__ import annotations

import httpx
import pytest

from domain.kernel.db import Database
from domain.kernel.settings import DEV_CASINO_PROVIDER_SECRET
from domain.originals import store
from domain.originals.models import OriginalsSession
from tests.support import AURORA
from tests.web.originals.conftest import GameBrowser, Player, cash_balance, launch_url, rows
from web.originals.play import Bet, PlayRefused, play_real
from web.originals.wallet import OperatorWallet


class LosingTransport(httpx.AsyncBaseTransport):
    """The real network to the server, except that replies to `lose` never arrive (after
    the request was delivered, or before, as `deliver` says)."""

    def __init__(self, lose: str, *, deliver: bool, times: int = 100) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose, self.deliver, self.times = lose, deliver, times
        self.operations: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        operation = request.url.path.rsplit("/", 1)[1]
        self.operations.append(operation)
        if operation == self.lose and self.times > 0:
            self.times -= 1
            if self.deliver:
                response = await self.inner.handle_async_request(request)
                await response.aread()
            raise httpx.ReadTimeout("reply lost", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _session(db: Database, browser: GameBrowser) -> OriginalsSession:
    assert browser.key is not None
    async with db.uow() as uow:
        session = await store.session_by_key(uow, browser.key)
    assert session is not None
    return session


def _wallet(server: str, transport: httpx.AsyncBaseTransport) -> OperatorWallet:
    client = httpx.AsyncClient(base_url=server, transport=transport, timeout=5)
    return OperatorWallet(client, secret=DEV_CASINO_PROVIDER_SECRET, brand="aurora", host=AURORA)


@pytest.mark.parametrize("delivered", [True, False], ids=["bet-landed", "bet-lost"])
async def test_a_bet_without_a_reply_is_rolled_back(
    server: str, db: Database, player: Player, browser: GameBrowser, delivered: bool
) -> None:
    await browser.open(await launch_url(db, player.player_id, "originals-dice"))
    transport = LosingTransport("bet", deliver=delivered)
    wallet = _wallet(server, transport)

    with pytest.raises(PlayRefused) as refused:
        await play_real(db, wallet, await _session(db, browser), Bet(500, 5000))
    await wallet.client.aclose()

    assert refused.value.code == "WALLET_UNAVAILABLE"
    assert transport.operations == ["bet", "rollback"]
    assert await cash_balance(player.api) == "100.00"
    assert await rows(db, "SELECT status FROM originals_rounds") == [("rolled_back",)]
    # Landed: refunded. Lost: the operator keeps a tombstone, so the bet can never land late.
    expected = (
        [("bet", "rolled_back"), ("rollback", "accepted")]
        if delivered
        else [("bet", "tombstone"), ("rollback", "refused")]
    )
    assert await rows(db, "SELECT kind, status FROM casino_transactions ORDER BY kind") == expected


async def test_an_unconfirmed_win_is_sent_again_by_the_next_play(
    server: str, db: Database, player: Player, browser: GameBrowser
) -> None:
    await browser.open(await launch_url(db, player.player_id, "originals-dice"))
    session = await _session(db, browser)
    flaky = _wallet(server, LosingTransport("win", deliver=False))

    # The win call (its amount, 0 for a loss, also closes the round) never gets an answer.
    first = await play_real(db, flaky, session, Bet(1_000, 9_800))
    await flaky.client.aclose()
    healthy = _wallet(server, httpx.AsyncHTTPTransport())
    second = await play_real(db, healthy, session, Bet(100, 5_000))
    await healthy.client.aclose()

    assert (first.settled, first.round.status) == (False, "open")
    assert second.settled
    assert await rows(db, "SELECT status FROM originals_rounds ORDER BY id") == [
        ("settled",),
        ("settled",),
    ]
    paid = first.round.payout_minor + second.round.payout_minor
    assert await cash_balance(player.api) == f"{(10_000 - 1_100 + paid) / 100:.2f}"
