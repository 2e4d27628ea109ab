"""bench.lighthouse's summary: every audited page in one table, read from Lighthouse's own
JSON report (no browser here)."""

from __future__ import annotations

from typing import Any

from bench.lighthouse import format_table, read_report


def _report(url: str, scores: tuple[float, float, float, float], lcp_ms: float) -> dict[str, Any]:
    names = ("performance", "accessibility", "best-practices", "seo")
    return {
        "finalDisplayedUrl": url,
        "categories": {name: {"score": score} for name, score in zip(names, scores, strict=True)},
        "audits": {
            "largest-contentful-paint": {
                "numericValue": lcp_ms,
                "score": 1,
                "scoreDisplayMode": "numeric",
            },
            "cumulative-layout-shift": {
                "numericValue": 0.012,
                "score": 1,
                "scoreDisplayMode": "numeric",
            },
            "total-blocking-time": {
                "numericValue": 420,
                "score": 0.64,
                "scoreDisplayMode": "numeric",
            },
        },
    }


def test_the_table_shows_each_page_of_each_brand_with_its_scores_lcp_and_cls() -> None:
    home = read_report(_report("http://aurora.localhost:8000/", (0.89, 1, 1, 1), 971.4))
    lobby = read_report(_report("http://kumo.localhost:8000/casino", (1, 0.98, 1, 0.92), 1369))

    table = format_table([("aurora", "/", home), ("kumo", "/casino", lobby)])

    assert [line.split() for line in table] == [
        ["brand", "page", "perf", "a11y", "best", "seo"],
        ["aurora", "/", "89", "100", "100", "100", "LCP", "971", "ms", "CLS", "0.012"],
        ["kumo", "/casino", "100", "98", "100", "92", "LCP", "1369", "ms", "CLS", "0.012"],
    ]
    assert home.failing == ["total-blocking-time (0.64)"]
