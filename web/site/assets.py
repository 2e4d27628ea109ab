"""The site's third-party JavaScript (htmx and its SSE extension), installed from the npm
registry into the data folder at install or dev time, like the GraphiQL explorer: never a
copy committed here, never a CDN. Without them the site still works (every form posts and
every page renders without JavaScript); only live updates and partial swaps are missing.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Final

from domain.kernel.settings import Settings

log = logging.getLogger(__name__)

PACKAGES: Final = ("htmx.org@2.0", "htmx-ext-sse@2.2")
# URL name under /static/vendor/ -> file inside node_modules.
VENDOR_FILES: Final = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "sse.min.js": "htmx-ext-sse/dist/sse.min.js",
}
NPM_TIMEOUT_SECONDS: Final = 300


def modules_dir(settings: Settings) -> Path:
    return settings.data_dir / "site" / "node_modules"


def installed(modules: Path, files: dict[str, str] | None = None) -> bool:
    return all((modules / path).exists() for path in (files or VENDOR_FILES).values())


def npm_install(
    prefix: Path,
    packages: tuple[str, ...],
    *,
    present: Callable[[], bool] | None = None,
) -> bool:
    """`npm install packages` into `prefix`; False (logged) when npm is missing or fails.
    One install at a time per folder (test workers and dev processes start together, and
    two npm runs in one folder break each other): the lock's holder installs, the others
    wait and find the packages `present`. A failed run is tried once more."""
    npm = shutil.which("npm")
    if npm is None:
        log.warning("npm not found: %s not installed (apt-get install npm)", ", ".join(packages))
        return False
    prefix.mkdir(parents=True, exist_ok=True)
    with (prefix / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if present is not None and present():
            return True
        for attempt in (1, 2):
            try:
                subprocess.run(  # noqa: S603 (fixed argument list, no shell)
                    [npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix",
                     str(prefix), *packages],
                    check=True,
                    timeout=NPM_TIMEOUT_SECONDS,
                    capture_output=True,
                )  # fmt: skip
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
                stderr = getattr(error, "stderr", b"") or b""
                log.warning(
                    "installing %s failed (attempt %d): %s %s",
                    ", ".join(packages), attempt, error, stderr.decode(errors="replace")[-500:],
                )  # fmt: skip
                continue
            return True
    return False


def vendor_url(settings: Settings, name: str) -> str:
    """`/static/vendor/<name>` with the installed file's fingerprint in it (cached for a
    year), or the plain name while npm has not installed it yet."""
    from web.site.themes import file_digest, fingerprinted  # noqa: PLC0415

    relative = VENDOR_FILES.get(name)
    path = modules_dir(settings) / relative if relative else None
    if path is None or not path.is_file():
        return f"/static/vendor/{name}"
    return "/static/vendor/" + fingerprinted(name, file_digest(path))


def ensure_assets(settings: Settings) -> bool:
    """Install htmx once (a no-op when present)."""
    modules = modules_dir(settings)
    if installed(modules):
        return True
    return npm_install(modules.parent, PACKAGES, present=lambda: installed(modules)) and installed(
        modules
    )
