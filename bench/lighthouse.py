"""Lighthouse (from npm, run with Node) against Debian's Chromium, mobile emulation and
Lighthouse's default mobile throttling, on the player site's home, lobby, sports and event
pages of each brand.

    .venv/bin/python -m bench.lighthouse [--port 8000] [--brand aurora] [--page /casino]
        [--out test-artifacts/lighthouse] [--min-score 100] [--max-lcp-ms 1500] [--max-cls 0.05]

Against a running `stakehouse dev` (brands on `<slug>.localhost:<port>`). Lighthouse is
installed at the first run into `.stakehouse/lighthouse/` (never committed). Prints per page
the four category scores, LCP and CLS, and each audit that does not pass, then all pages in
one table with the machine's load average before and after; saves every
report as JSON under --out; exits 1 when a page misses a goal (scores below --min-score,
LCP above --max-lcp-ms, CLS above --max-cls). tests/browser/test_lighthouse.py runs it in CI
with a margin for a shared machine's noise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx

from web.site import assets

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
CACHE_DIR: Final = REPO_ROOT / ".stakehouse" / "lighthouse"
PACKAGE: Final = "lighthouse@12"
CLI: Final = "node_modules/lighthouse/cli/index.js"
CHROMIUM: Final = "/usr/bin/chromium"
CHROME_FLAGS: Final = (
    "--headless=new --no-sandbox --disable-gpu --no-first-run "
    "--host-resolver-rules=MAP *.localhost 127.0.0.1"
)
CATEGORIES: Final = ("performance", "accessibility", "best-practices", "seo")
BRANDS: Final = ("aurora", "kumo", "northstar")
# EVENT: the first event the sports page links to.
PAGES: Final = ("/", "/casino", "/sports", "EVENT")
RUN_TIMEOUT_S: Final = 180
# A run may fail on a loaded machine (Chromium slow to start, a page load timing out):
# tried once more before the page counts as missed.
RUN_ATTEMPTS: Final = 2
GOAL_SCORE: Final = 100
GOAL_LCP_MS: Final = 1500.0
GOAL_CLS: Final = 0.05


class LighthouseFailed(RuntimeError):
    """Lighthouse gave no report for a page (its own error, or a timeout)."""


@dataclass
class Result:
    url: str
    scores: dict[str, int]
    lcp_ms: float
    cls: float
    # "audit-id (score)" of each scored audit that does not pass.
    failing: list[str] = field(default_factory=list)

    def misses(self, min_score: int, max_lcp_ms: float, max_cls: float) -> list[str]:
        found = [f"{name} {score} < {min_score}" for name, score in self.scores.items()
                 if score < min_score]  # fmt: skip
        if self.lcp_ms > max_lcp_ms:
            found.append(f"LCP {self.lcp_ms:.0f} ms > {max_lcp_ms:.0f} ms")
        if self.cls > max_cls:
            found.append(f"CLS {self.cls:.3f} > {max_cls}")
        return found


def ensure_lighthouse(cache: Path = CACHE_DIR) -> Path:
    """The Lighthouse CLI, installed from npm into `cache` once. Errors: RuntimeError."""
    cli = cache / CLI
    if not cli.exists() and not assets.npm_install(cache, (PACKAGE,)):
        raise RuntimeError(f"npm install {PACKAGE} into {cache} failed")
    if shutil.which("node") is None:
        raise RuntimeError("node is missing (apt-get install nodejs npm)")
    return cli


def run_lighthouse(cli: Path, url: str, report: Path) -> Result:
    """One Lighthouse run (mobile form factor and throttling, Lighthouse's defaults)."""
    command = [
        "node", str(cli), url,
        "--output=json", f"--output-path={report}", "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]  # fmt: skip
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    for attempt in range(1, RUN_ATTEMPTS + 1):
        try:
            subprocess.run(  # noqa: S603 (fixed argument list, no shell)
                command, check=True, timeout=RUN_TIMEOUT_S, env=env, capture_output=True
            )
            break
        except subprocess.CalledProcessError as error:
            if attempt == RUN_ATTEMPTS:
                tail = error.stderr.decode(errors="replace").strip().splitlines()[-3:]
                raise LighthouseFailed(f"{url}: {' / '.join(tail)}") from None
        except subprocess.TimeoutExpired:
            if attempt == RUN_ATTEMPTS:
                raise LighthouseFailed(f"{url}: no report within {RUN_TIMEOUT_S} s") from None
    return read_report(json.loads(report.read_text(encoding="utf-8")))


def read_report(lhr: dict[str, Any]) -> Result:
    scores = {name: round(lhr["categories"][name]["score"] * 100) for name in CATEGORIES}
    audits = lhr["audits"]
    failing = sorted(
        f"{audit_id} ({audit['score']})"
        for audit_id, audit in audits.items()
        if audit.get("scoreDisplayMode") in {"binary", "numeric", "metricSavings"}
        and audit.get("score") is not None
        and audit["score"] < 0.9
    )
    return Result(
        url=lhr["finalDisplayedUrl"],
        scores=scores,
        lcp_ms=float(audits["largest-contentful-paint"]["numericValue"]),
        cls=float(audits["cumulative-layout-shift"]["numericValue"]),
        failing=failing,
    )


def event_path(port: int, host: str) -> str | None:
    """The first event page the sports page links to (asked of 127.0.0.1 by host name)."""
    page = httpx.get(f"http://127.0.0.1:{port}/sports", headers={"host": host}, timeout=30).text
    start = page.find('href="/sports/event/')
    if start < 0:
        return None
    start += len('href="')
    return page[start : page.index('"', start)]


# The pages of the last audit_site that Lighthouse could not audit.
failures: list[str] = []


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def format_result(brand: str, path: str, result: Result) -> str:
    scores = " ".join(f"{result.scores[name]:>4}" for name in CATEGORIES)
    return f"{brand:<10} {path:<44} {scores}   LCP {result.lcp_ms:>6.0f} ms   CLS {result.cls:.3f}"


TABLE_HEAD: Final = f"{'brand':<10} {'page':<44} perf a11y best  seo"


def format_table(results: Sequence[tuple[str, str, Result]]) -> list[str]:
    """Every audited page in one table (brand, page, the four scores, LCP, CLS), for the
    end of a run: the per-page lines above it are interleaved with the failing audits."""
    return [TABLE_HEAD, *(format_result(brand, path, result) for brand, path, result in results)]


def load_average() -> str:
    """The machine's load (1, 5, 15 minutes): the timing figures swing with it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def audit_site(
    port: int, brands: Sequence[str], pages: Sequence[str], out: Path
) -> list[tuple[str, str, Result]]:
    """Every page of every brand; a page Lighthouse could not audit is printed and left
    out (`failures` counts them). Errors: RuntimeError when Lighthouse cannot be installed."""
    cli = ensure_lighthouse()
    out.mkdir(parents=True, exist_ok=True)
    results = []
    failures.clear()
    _say(load_average())
    _say(TABLE_HEAD)
    for brand in brands:
        base = f"http://{brand}.localhost:{port}"
        for path in pages:
            host = f"{brand}.localhost:{port}"
            resolved = event_path(port, host) if path == "EVENT" else path
            if resolved is None:
                _say(f"{brand:<10} {path:<44} (no event open)")
                continue
            name = "event" if path == "EVENT" else (path.strip("/").replace("/", "-") or "home")
            try:
                result = run_lighthouse(cli, base + resolved, out / f"{brand}-{name}.json")
            except LighthouseFailed as error:
                _say(f"{brand:<10} {resolved:<44} NO REPORT: {error}")
                failures.append(str(error))
                continue
            _say(format_result(brand, resolved, result))
            if result.failing:
                _say(f"{'':<10} not passing: {', '.join(result.failing)}")
            results.append((brand, resolved, result))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--brand", action="append", choices=BRANDS)
    parser.add_argument("--page", action="append", help="paths (EVENT: an event page)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "test-artifacts" / "lighthouse")
    parser.add_argument("--min-score", type=int, default=GOAL_SCORE)
    parser.add_argument("--max-lcp-ms", type=float, default=GOAL_LCP_MS)
    parser.add_argument("--max-cls", type=float, default=GOAL_CLS)
    args = parser.parse_args(argv)
    results = audit_site(args.port, args.brand or BRANDS, args.page or PAGES, args.out)
    missed = [
        f"{brand} {path}: {'; '.join(misses)}"
        for brand, path, result in results
        if (misses := result.misses(args.min_score, args.max_lcp_ms, args.max_cls))
    ]
    missed += [f"no report: {failure}" for failure in failures]
    _say("")
    for line in format_table(results):
        _say(line)
    _say(load_average())
    for line in missed:
        _say(f"MISSED {line}")
    total = len(results) + len(failures)
    _say(f"{total - len(missed)} of {total} pages meet the goals")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
