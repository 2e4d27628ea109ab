"""Periodic housekeeping jobs, each on its own interval.

Run exactly one scheduler replica (`stakehouse scheduler`; `replicas: 1` in k8s): jobs
are not coordinated across processes. They are idempotent deletes, read-only audits and
idempotent decisions (a pending bet is decided under its row lock, once), so
an overlap during a rollout is harmless, but N replicas would do N times the work. Every job
runs once at start-up, so a restart never postpones housekeeping by a whole interval. A job
that fails is logged (once per outage) and tried again after a short backoff capped at its
interval; the `stakehouse_background_task_*` metrics report it under its name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from prometheus_client import Counter, Gauge

from domain.accounts import throttle
from domain.affiliates import postbacks as affiliate_postbacks
from domain.affiliates import statements as affiliate_statements
from domain.bonuses import cashback, free_bets, free_rounds, lifecycle, loyalty, tiers
from domain.compliance import exclusion, privacy, registers
from domain.compliance.kyc import checks as kyc_checks
from domain.kernel import clock, outbox
from domain.kernel.db import Database
from domain.kernel.settings import get_settings
from domain.kernel.supervision import TaskHealth, supervise
from domain.originals.free_rounds import StudioFreeRounds
from domain.reporting import reconciliation as report_reconciliation
from domain.reporting.formula import Formula
from domain.segments import campaigns, crm
from domain.segments import refresh as segment_refresh
from domain.sportsbook import live_delay
from domain.sportsbook.feed import heartbeats
from domain.sportsbook.feed.producers import ProducerHealth, producer_health
from domain.sportsbook.queries import settlement_backlog
from domain.wallets import integrity, invariants
from workers import queues
from workers.payouts import sweep_stuck_payouts
from workers.relay import PUBLISHED_RETENTION

log = logging.getLogger(__name__)

# Deleting in bounded batches keeps each transaction (and its locks and WAL) small; the cap
# bounds one run, and the next run continues where this one stopped.
OUTBOX_PRUNE_BATCH_SIZE: Final = 5_000
OUTBOX_PRUNE_BATCHES_MAX: Final = 100
# The audit aggregates the whole ledger: often enough that a broken invariant pages someone
# within minutes, rarely enough that its scans stay a small share of the database's time.
LEDGER_AUDIT_INTERVAL_S: Final = 5 * 60

# Exposed at /metrics of the process that runs the scheduler: `stakehouse dev` (the API's
# /metrics), or `stakehouse scheduler --metrics-port`. Alert on `> 0` and on a stale
# timestamp. Each check reports at most 100 ids, so a count of 100 means "100 or more".
LEDGER_INVARIANT_VIOLATIONS: Final = Gauge(
    "stakehouse_ledger_invariant_violations",
    "Ledger rows breaking an invariant at the last audit, by check (capped at 100 per check).",
    ("check",),
    multiprocess_mode="max",
)
LEDGER_AUDIT_LAST_RUN: Final = Gauge(
    "stakehouse_ledger_audit_last_run_timestamp_seconds",
    "Unix time at which the last ledger audit completed.",
    multiprocess_mode="max",
)


# Tamper evidence (domain/wallets/integrity.py): alert on a bad row (`> 0`), and on a
# watermark that stops moving while the ledger grows.
INTEGRITY_BAD_ROWS: Final = Gauge(
    "stakehouse_integrity_bad_rows",
    "1 when the last verification stopped at a row whose evidence fails, by table.",
    ("table",),
    multiprocess_mode="max",
)
INTEGRITY_VERIFIED_ROWS: Final = Counter(
    "stakehouse_integrity_verified_rows",
    "Audit rows and ledger transactions whose evidence was verified, by table.",
    ("table",),
)
INTEGRITY_WATERMARK: Final = Gauge(
    "stakehouse_integrity_watermark_id",
    "The last row id verified, by table.",
    ("table",),
    multiprocess_mode="max",
)
INTEGRITY_LAST_RUN: Final = Gauge(
    "stakehouse_integrity_last_run_timestamp_seconds",
    "Unix time at which the last integrity verification completed.",
    multiprocess_mode="max",
)
INTEGRITY_INTERVAL_S: Final = 60
# Only transactions this old are sealed (one still committing must not fall behind the
# watermark): see domain/wallets/integrity.py.
INTEGRITY_SETTLE = integrity.SETTLE_DEFAULT


@dataclass(frozen=True)
class Job:
    """A periodic job: `run` owns its transactions and returns how many rows it touched."""

    name: str
    interval_s: float
    run: Callable[[Database], Awaitable[int]]


async def prune_login_failures(db: Database) -> int:
    async with db.transaction() as uow:
        return await throttle.prune(uow)


async def prune_published_events(db: Database) -> int:
    """Delete outbox rows published more than PUBLISHED_RETENTION ago."""
    return await outbox.prune_published_batches(
        db,
        before=clock.now() - PUBLISHED_RETENTION,
        batch_size=OUTBOX_PRUNE_BATCH_SIZE,
        batches_max=OUTBOX_PRUNE_BATCHES_MAX,
    )


async def audit_ledger(db: Database) -> int:
    """Check the ledger's invariants; log each broken one at error level with the ids at
    fault and export a gauge per check. Returns how many violations it found."""
    async with db.uow() as uow:
        # Each check is one statement, so it reads one snapshot: postings committing
        # meanwhile never show up as a half-written transaction.
        report = await invariants.check(uow)
    for check, ids in report.violations.items():
        LEDGER_INVARIANT_VIOLATIONS.labels(check=check).set(len(ids))
        if ids:
            log.error(
                "ledger invariant %s violated by %d rows: %s",
                check,
                len(ids),
                ids,
                extra={"check": check, "violations": len(ids), "ids": ids},
            )
    LEDGER_AUDIT_LAST_RUN.set_to_current_time()
    return sum(len(ids) for ids in report.violations.values())


async def verify_integrity(db: Database) -> int:
    """Verify the audit rows and ledger transactions written since the last checkpoint and
    append the next one; log the first bad row at error level and export gauges. Returns
    how many rows it verified."""
    async with db.transaction() as uow:
        progress = await integrity.advance(uow, settle=INTEGRITY_SETTLE)
    for table, rows, watermark, finding in (
        ("audit_log", progress.audit_rows, progress.audit_last_id, progress.audit_finding),
        (
            "ledger_transactions",
            progress.ledger_transactions,
            progress.ledger_last_id,
            progress.ledger_finding,
        ),
    ):
        INTEGRITY_BAD_ROWS.labels(table=table).set(0 if finding is None else 1)
        INTEGRITY_VERIFIED_ROWS.labels(table=table).inc(rows)
        INTEGRITY_WATERMARK.labels(table=table).set(watermark)
        if finding is not None:
            log.error(
                "tamper evidence fails: %s",
                finding,
                extra={"table": finding.table, "row_id": finding.row_id},
            )
    INTEGRITY_LAST_RUN.set_to_current_time()
    return progress.audit_rows + progress.ledger_transactions


async def measure_queues(_db: Database) -> int:
    """Set each queue's depth, oldest wait and dead-letter gauges from the broker."""
    from workers.actors import broker  # noqa: PLC0415 (declares the queues)

    states = await asyncio.to_thread(queues.queue_states, broker, broker.get_declared_queues())
    return sum(state.dead for state in states)


# Per brand: figures of its last closed days where the read model and the ledger differ
# (0 = proven equal). Alert on > 0; `stakehouse reports rebuild` repairs a range.
REPORTING_MISMATCHES: Final = Gauge(
    "stakehouse_reporting_mismatches",
    "Figures of closed days where the reporting read model differs from the ledger",
    ["brand"],
)
REPORTING_RECONCILE_INTERVAL_S: Final = 60 * 60


async def reconcile_reports(db: Database) -> int:
    """Prove each brand's last closed days of the read model against the ledger; log each
    difference at error level and export a gauge per brand. Returns the differences."""
    found = await report_reconciliation.reconcile_recent(db)
    for brand, mismatches in found.items():
        REPORTING_MISMATCHES.labels(brand=brand).set(len(mismatches))
        for mismatch in mismatches:
            log.error(
                "reporting differs from the ledger: %s %s %s %s ledger=%s report=%s",
                brand, mismatch.day, mismatch.currency, mismatch.figure, mismatch.ledger,
                mismatch.report,
            )  # fmt: skip
    return sum(len(m) for m in found.values())


FEED_PRODUCER_STATE: Final = Gauge(
    "stakehouse_feed_producer_state",
    "1 for each feed producer's current state (up, suspended: heartbeats stopped, "
    "recovering: a sequence gap until its snapshot), 0 for the others",
    ["producer", "state"],
)
SETTLEMENT_BACKLOG: Final = Gauge(
    "stakehouse_settlement_backlog_bets",
    "Open bets with a leg on a resulted outcome that settlement has not reached yet",
)


async def measure_sportsbook(db: Database) -> int:
    """Set the feed producers' state and the settlement backlog gauges; returns the
    backlog."""
    async with db.uow() as uow:
        health = await producer_health(uow)
        backlog = await settlement_backlog(uow)
    for producer, current in health.items():
        for state in ProducerHealth:
            FEED_PRODUCER_STATE.labels(producer, state.value).set(1 if state is current else 0)
    SETTLEMENT_BACKLOG.set(backlog)
    return backlog


async def check_feed_heartbeats(db: Database) -> int:
    """Suspend the markets of feed producers whose heartbeats stopped."""
    async with db.transaction() as uow:
        return await heartbeats.suspend_silent_producers(
            uow, now=clock.now(), timeout_s=get_settings().feed_heartbeat_timeout_seconds
        )


async def lift_ended_exclusions(db: Database) -> int:
    """Lift the self-exclusions whose end has come by their pack's rule (sign-in lifts them
    too; this keeps statuses right for everyone else)."""
    async with db.transaction() as uow:
        return await exclusion.lift_ended(uow)


async def expire_kyc_documents(db: Database) -> int:
    """Lower the KYC tier of players whose identity document has expired."""
    async with db.transaction() as uow:
        return await kyc_checks.expire_documents(uow)


async def screen_national_registers(db: Database) -> int:
    """Ask the national self-exclusion registers about active players not screened for a
    day (a batch per run); a listed player is excluded."""
    screened, _excluded = await registers.screen_due(db)
    return screened


async def complete_erasures(db: Database) -> int:
    """Erase the regulated records' personal parts once their retention is over."""
    async with db.transaction() as uow:
        return await privacy.complete_erasures(uow)


async def decide_pending_bets(db: Database) -> int:
    """Accept or refuse the live bets whose delay is over (the sportsbook's flow)."""
    return await live_delay.decide_due_bets(
        db, batch_size=PENDING_BETS_BATCH_SIZE, batches_max=PENDING_BETS_BATCHES_MAX
    )


# A live bet waits its market's delay (a few seconds): decide it within a second of that.
PENDING_BETS_INTERVAL_S: Final = 1.0
PENDING_BETS_BATCH_SIZE: Final = 100
PENDING_BETS_BATCHES_MAX: Final = 20
# Often enough for an alert on a growing queue or a new dead letter within a minute.
QUEUE_METRICS_INTERVAL_S: Final = 15.0
# Well under the heartbeat timeout, so a silent producer is caught within a few seconds.
FEED_HEARTBEAT_CHECK_INTERVAL_S: Final = 2.0


async def expire_bonus_grants(db: Database) -> int:
    """End the grants whose wagering window has passed (their bonus money forfeited), and
    the unused free bets past their time."""
    return await lifecycle.expire_due_batches(db) + await free_bets.expire_due(db)


async def pay_last_weeks_cashback(db: Database) -> int:
    """Last ISO week's cashback: pays each player once per offer and week, so running
    it every hour only pays what is still owed."""
    period = cashback.Period.of(clock.today() - timedelta(days=7))
    async with db.uow() as uow:
        runs = await cashback.pay_all_cashback(uow, period)
        await uow.commit()
    return sum(run.players_paid for run in runs)


async def deliver_affiliate_postbacks(db: Database) -> int:
    """Postbacks owed to affiliates that are due (new, or past their backoff)."""
    production = get_settings().is_production
    return await affiliate_postbacks.deliver_due(
        db, affiliate_postbacks.sender(production=production)
    )


async def write_affiliate_statements(db: Database) -> int:
    """Last month's affiliate statements of every brand, booked once the settle delay has
    passed (idempotent: after the first run of a month, the hourly runs write nothing)."""
    settings = get_settings()
    formula = Formula.of(settings.report_bonus_cost, settings.report_ngr_deductions)
    return await affiliate_statements.run_last_months(
        db, formula, settle_days=settings.affiliate_statement_settle_days
    )


async def sync_free_rounds(db: Database) -> int:
    """Free rounds at the providers (the built-in studio serves the dev ones): expire,
    send again, end and withdraw as the provider's status says; idempotent."""
    report = await free_rounds.sync(db, StudioFreeRounds(db))
    return report.expired + report.confirmed + report.ended + report.withdrawn


async def accrue_loyalty_points(db: Database) -> int:
    """Points for the stakes committed since the last run (each stake earns once)."""
    return await loyalty.accrue(db)


async def recalculate_loyalty_tiers(db: Database) -> int:
    """Each player's tier from the points of the rolling window (idempotent)."""
    return await tiers.recalculate_tiers(db)


async def release_due_campaigns(db: Database) -> int:
    """Campaigns reaching their moment, and throttled ones owed their next batch: an event
    each for `segments.send_campaign` (a batch sent twice sends nothing twice)."""
    async with db.uow() as uow:
        count = await campaigns.due(uow)
        await uow.commit()
    return count


async def refresh_segment_windows(db: Database) -> int:
    """Rolling windows, ages and "days since" numbers move with the day: re-evaluate only
    the players the days since the last completed run can have changed, per brand and in
    short batches (resumes where a stopped run left off; catches up a missed midnight)."""
    return await segment_refresh.refresh_all(db)


CRM_PENDING: Final = Gauge(
    "stakehouse_crm_pending_events",
    "Player events owed to the brands' outside CRMs, not yet accepted by them",
)
CRM_OLDEST_AGE: Final = Gauge(
    "stakehouse_crm_oldest_pending_age_seconds",
    "Seconds since the oldest event owed to a CRM was recorded (0: none): a CRM that is "
    "down holds its players' lanes, and this grows",
)


async def release_due_crm_lanes(db: Database) -> int:
    """Players' CRM lanes whose head is due again and that no live worker holds (a lost
    retry message, a worker that died mid-turn): an event each for `crm.deliver`; and the
    backlog gauges."""
    async with db.uow() as uow:
        count = await crm.due_lanes(uow)
        found = await crm.backlog(uow)
        await uow.commit()
    CRM_PENDING.set(found.pending)
    CRM_OLDEST_AGE.set(found.oldest_age_s)
    return count


SCHEDULER_TASK: Final = "scheduler"

JOBS: Final[tuple[Job, ...]] = (
    Job("accounts.prune_login_failures", interval_s=5 * 60, run=prune_login_failures),
    Job("outbox.prune_published", interval_s=15 * 60, run=prune_published_events),
    Job("wallets.audit_ledger", interval_s=LEDGER_AUDIT_INTERVAL_S, run=audit_ledger),
    Job("payments.sweep_stuck_payouts", interval_s=15 * 60, run=sweep_stuck_payouts),
    Job("wallets.verify_integrity", interval_s=INTEGRITY_INTERVAL_S, run=verify_integrity),
    Job("reporting.reconcile", interval_s=REPORTING_RECONCILE_INTERVAL_S, run=reconcile_reports),
    Job(
        "sportsbook.check_feed_heartbeats",
        interval_s=FEED_HEARTBEAT_CHECK_INTERVAL_S,
        run=check_feed_heartbeats,
    ),
    Job("broker.measure_queues", interval_s=QUEUE_METRICS_INTERVAL_S, run=measure_queues),
    Job("compliance.lift_ended_exclusions", interval_s=15 * 60, run=lift_ended_exclusions),
    Job("compliance.expire_kyc_documents", interval_s=6 * 60 * 60, run=expire_kyc_documents),
    Job("compliance.screen_national_registers", interval_s=5 * 60, run=screen_national_registers),
    Job("compliance.complete_erasures", interval_s=24 * 60 * 60, run=complete_erasures),
    Job(
        "sportsbook.measure",
        interval_s=QUEUE_METRICS_INTERVAL_S,
        run=measure_sportsbook,
    ),
    Job(
        "sportsbook.decide_pending_bets",
        interval_s=PENDING_BETS_INTERVAL_S,
        run=decide_pending_bets,
    ),
    Job("bonuses.expire_grants", interval_s=60, run=expire_bonus_grants),
    Job("bonuses.pay_cashback", interval_s=60 * 60, run=pay_last_weeks_cashback),
    Job("bonuses.sync_free_rounds", interval_s=5 * 60, run=sync_free_rounds),
    Job("bonuses.accrue_loyalty", interval_s=60, run=accrue_loyalty_points),
    Job("bonuses.loyalty_tiers", interval_s=60 * 60, run=recalculate_loyalty_tiers),
    Job("affiliates.deliver_postbacks", interval_s=60, run=deliver_affiliate_postbacks),
    Job("affiliates.statements", interval_s=60 * 60, run=write_affiliate_statements),
    Job("segments.release_campaigns", interval_s=30, run=release_due_campaigns),
    Job("segments.refresh_windows", interval_s=60 * 60, run=refresh_segment_windows),
    Job("crm.release_lanes", interval_s=30, run=release_due_crm_lanes),
)


async def run_scheduler(db: Database, stop: asyncio.Event, *, jobs: Sequence[Job] = JOBS) -> None:
    """Run each job every `interval_s` (all of them at once at start) until `stop` is set.

    Each job is a long-lived task of its own (TaskHealth named after it): one that fails is
    tried again after a short backoff (capped at its interval), so a database blip never
    postpones a five-minute job by five minutes, and it never holds the other jobs back."""
    healths = [TaskHealth(job.name) for job in jobs]
    # Monotonic time: a wall-clock jump must not skip or repeat jobs.
    due_at = [time.monotonic()] * len(jobs)

    async def schedule(_task: TaskHealth) -> None:
        while not stop.is_set():
            for index, job in enumerate(jobs):
                if stop.is_set():
                    return
                if due_at[index] <= time.monotonic():
                    health = healths[index]
                    wait_s = job.interval_s
                    if not await _run_job(db, job, health):
                        wait_s = min(health.retry_delay_s(), job.interval_s)
                    due_at[index] = time.monotonic() + wait_s
            await _wait(stop, min(due_at) - time.monotonic())

    try:
        await supervise(TaskHealth(SCHEDULER_TASK), schedule, stop=stop)
    finally:
        # The postback sender's HTTP client lives as long as the scheduler.
        await affiliate_postbacks.close_senders()


async def _run_job(db: Database, job: Job, health: TaskHealth) -> bool:
    """Run `job` once; False when it failed (logged once per outage by `health`)."""
    started = time.monotonic()
    try:
        count = await job.run(db)
    except Exception as error:  # any failure: the job is tried again, never dropped
        health.mark_down(error)
        return False
    health.mark_up()
    # DEBUG: most runs find nothing, and a job whose finding needs a person logs it itself
    # (the ledger audit's violations, an abandoned payout).
    log.debug("scheduled job %s: %d rows in %.3fs", job.name, count, time.monotonic() - started)
    return True


async def _wait(stop: asyncio.Event, timeout_s: float) -> None:
    """Return when `stop` is set or after `timeout_s`, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(timeout_s, 0.0))
