"""The Originals Slot's return: exact (enumeration of every stop combination) against a
seeded simulation, through the game's own `spin` (what real play runs) and through the
precomputed table the test uses.

    .venv/bin/python -m bench.originals_rtp [--spins 1000000] [--seed 20261126] [--table-only]

Fails (exit 1) when a simulation is more than 0.5 % (relative) from the exact RTP.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from fractions import Fraction

from domain.originals.slot import ORIGINALS_SLOT, simulate

TOLERANCE = 0.005


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def _through_spin(spins: int, seed: int) -> Fraction:
    rng = random.Random(seed)  # noqa: S311 - reproducible on purpose
    spin = ORIGINALS_SLOT.spin
    total = sum(spin(rng).multiplier for _ in range(spins))
    return Fraction(total, spins * ORIGINALS_SLOT.line_count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spins", type=int, default=10**6)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--table-only", action="store_true", help="skip the spin() run")
    options = parser.parse_args()
    exact = ORIGINALS_SLOT.rtp_exact()
    deviation = float(ORIGINALS_SLOT.variance_exact()) ** 0.5
    _say(f"exact RTP {exact} = {float(exact):.6%}; one spin's standard deviation {deviation:.4f}")
    _say(f"standard error over {options.spins:,} spins: {deviation / options.spins**0.5:.4%}")
    runs: list[tuple[str, Callable[[], Fraction]]] = [
        ("table", lambda: simulate(ORIGINALS_SLOT, options.spins, options.seed))
    ]
    if not options.table_only:
        runs.append(("spin()", lambda: _through_spin(options.spins, options.seed)))
    failed = False
    for name, run in runs:
        started = time.perf_counter()
        simulated = run()
        elapsed_s = time.perf_counter() - started
        relative = float(simulated / exact - 1)
        failed |= abs(relative) > TOLERANCE
        _say(
            f"{name:>7}: simulated {float(simulated):.6%} ({relative:+.4%} of exact) "
            f"in {elapsed_s:.2f}s"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
