"""The casino `bet` callback's domain path with an active wagering grant against the same
path without one, in one run (issue 14's goal: with >= 0.85x without).

    .venv/bin/python -m bench.bonus_wagering [--workers 8] [--rounds 3] [--duration 2]

Two groups of funded players with live game sessions: one without bonuses, one where each
player holds an active grant (no max bet, a requirement no run can meet, so every stake
locks the grant and counts toward it). The phases take turns for `--rounds` rounds (pooled
per phase), each staking one minor unit per call under a fresh transaction id through
`domain.casino.service.bet` in a committed unit of work, as the callback endpoint runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from dataclasses import replace

from bench import fixtures
from bench.casino_bet import Bets, domain_operation
from bench.ledger_debit import PRIME_S, Result, pooled, run_phase, say
from domain.accounts.models import PrincipalKind
from domain.accounts.permissions import permissions_for
from domain.accounts.principal import Principal
from domain.bonuses import grants, offers
from domain.bonuses.models import OfferKind
from domain.bonuses.offers import OfferDraft
from domain.bonuses.terms import Eligibility, Terms
from domain.brands.service import Brand, BrandRegistry
from domain.kernel.db import Database
from domain.kernel.settings import get_settings

WITHOUT = "bet, no bonus"
WITH = "bet, wagering grant"
RATIO_GOAL = 0.85
_CRM = Principal(
    kind=PrincipalKind.STAFF, id=uuid.uuid4(), session_id=uuid.uuid4(), brand=None,
    fully_authenticated=True, roles=("crm",), permissions=permissions_for(["crm"]),
)  # fmt: skip


async def _grant_each(db: Database, brand: Brand, fx: fixtures.CasinoFixtures) -> None:
    draft = OfferDraft(
        kind=OfferKind.SIGN_UP, name="Bench bonus", code=None, currency=fixtures.CURRENCY,
        terms=Terms(bonus_minor=10_000, wagering_multiplier=100, wagering_days=365),
        eligibility=Eligibility(),
    )  # fmt: skip
    async with db.transaction() as uow:
        offer = await offers.create_offer(uow, _CRM, brand, draft)
        for player in fx.players:
            await grants.grant_by_staff(
                uow, _CRM, brand.slug, offer, player.id, bonus_minor=None, reason="bench"
            )


async def phases(args: argparse.Namespace, url: str) -> list[Result]:
    registry = BrandRegistry.load(get_settings().themes_dir)
    brand = registry.get(fixtures.BRAND)
    db = Database.connect(url, pool_size=args.workers)
    try:
        everyone = await fixtures.prepare_casino(db, registry, args.workers * 2)
        plain = replace(everyone, players=everyone.players[: args.workers])
        holding = replace(everyone, players=everyone.players[args.workers :])
        await _grant_each(db, brand, holding)
        timing = {"workers": args.workers, "warmup_s": args.warmup, "duration_s": args.duration}
        operations = {
            WITHOUT: domain_operation(db, brand, Bets(plain, run_id=uuid.uuid4().hex[:8])),
            WITH: domain_operation(db, brand, Bets(holding, run_id=uuid.uuid4().hex[:8])),
        }
        for name, operation in operations.items():
            await run_phase(f"prime {name}", operation, **{**timing, "duration_s": PRIME_S})
        rounds: dict[str, list[Result]] = {name: [] for name in operations}
        for turn in range(args.rounds):
            # Alternate which goes first, so a load that comes and goes weighs on both.
            order = list(operations) if turn % 2 == 0 else list(reversed(operations))
            for name in order:
                rounds[name].append(await run_phase(name, operations[name], **timing))
        return [pooled(name, results) for name, results in rounds.items()]
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=2.0, help="measured seconds a turn")
    parser.add_argument("--warmup", type=float, default=0.5)
    args = parser.parse_args()
    os.environ.setdefault("STAKEHOUSE_LOG_LEVEL", "WARNING")
    say(f"bonus wagering benchmark: {args.workers} workers, {args.rounds} rounds")
    with fixtures.bench_database() as (url, _broker_url):
        results = asyncio.run(phases(args, url))
    by_name = {result.name: result for result in results}
    for result in results:
        say(
            f"{result.name:<22} {result.count:>7} bets {result.rate:>8.0f}/s  "
            f"p50 {result.percentile_ms(50):.2f} ms  p99 {result.percentile_ms(99):.2f} ms"
        )
    ratio = by_name[WITH].rate / by_name[WITHOUT].rate
    say(f"with grant / without {ratio:.2f}   (goal >= {RATIO_GOAL})")


if __name__ == "__main__":
    main()
