"""The back office from outside: a browser-like client on the admin host (cookies, the
page's CSRF token, Origin), and a staff member signed in through the console's own pages
(one-time password, TOTP enrolment, new password)."""

from __future__ import annotations

import re
from typing import Final

from domain.accounts import staff as staff_service
from domain.kernel.db import Database
from tests.support import fresh_code
from tests.web.site.support import SiteClient

ADMIN_HOST: Final = "admin.localhost"
STAFF_PASSWORD: Final = "console-password-2026!"
_SECRET: Final = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')


async def create_staff(
    db: Database, email: str, roles: list[str], brands: list[str] | None = None
) -> str:
    """A staff member as `stakehouse seed` or an admin makes one: its one-time password."""
    async with db.transaction() as uow:
        created = await staff_service.create(uow, None, email=email, roles=roles, brands=brands)
    return created.one_time_password


async def signed_in_console(
    server: str, db: Database, email: str, roles: list[str], brands: list[str] | None = None
) -> SiteClient:
    """A console client whose staff member walked the whole first sign-in in the UI."""
    console, _ = await first_sign_in(server, db, email, roles, brands)
    return console


async def first_sign_in(
    server: str, db: Database, email: str, roles: list[str], brands: list[str] | None = None
) -> tuple[SiteClient, str]:
    """`signed_in_console`, and the TOTP secret the staff member enrolled."""
    console = SiteClient(server, ADMIN_HOST)
    one_time = await create_staff(db, email, roles, brands)
    await console.get("/login")
    login = await console.post("/login", {"email": email, "password": one_time})
    assert login.headers.get("location") == "/login/two-factor", (
        login.status_code,
        login.headers,
        login.text,
    )
    enrol = await console.get("/login/two-factor")
    found = _SECRET.search(enrol.text)
    assert found is not None, enrol.text
    confirmed = await console.post(
        "/login/two-factor", {"step": "enrol", "code": fresh_code(found.group(1))}
    )
    assert confirmed.headers["location"] == "/password", confirmed.text
    await console.get("/password")
    changed = await console.post(
        "/password", {"current_password": one_time, "new_password": STAFF_PASSWORD}
    )
    assert changed.headers["location"] == "/", changed.text
    return console, found.group(1)
