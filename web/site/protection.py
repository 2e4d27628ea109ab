"""The player's protection tools on the site: limits (deposit, loss, wager per day, week or
month, and minutes per session), a time-out, and reality-check reminders.

Every form works without JavaScript: a POST, then a 303 back to the page with a notice in
the query string (nothing personal in it), or the page again with the API's typed errors
next to the field they are about. The rules (24-hour cooling-off, which intervals exist)
are the API's; the site only offers them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from domain.compliance.jurisdictions import pack_for
from domain.compliance.limits import SESSION_MINUTES_MAX
from domain.kernel import clock
from web.site.refusals import field_errors, refusal
from web.site.site import Page, Site, local_path, parse_amount

LIMITS_PATH: Final = "/responsible-gambling/limits"
REALITY_CHECK_PATH: Final = "/responsible-gambling/reality-check"
# The API's LimitKind values that count money, and their periods (SESSION limits count
# minutes and have the one period SESSION).
MONEY_KINDS: Final = ("DEPOSIT", "LOSS", "WAGER")
MONEY_PERIODS: Final = ("DAY", "WEEK", "MONTH")
SESSION: Final = "SESSION"
# The API's TimeOutPeriod values.
TIME_OUT_PERIODS: Final = ("ONE_DAY", "ONE_WEEK", "ONE_MONTH")


def kind_names(page: Page) -> dict[str, str]:
    return {
        "DEPOSIT": page.gettext("Deposit limit"),
        "LOSS": page.gettext("Loss limit"),
        "WAGER": page.gettext("Wager limit"),
        "SESSION": page.gettext("Session time limit"),
    }


def period_names(page: Page) -> dict[str, str]:
    return {
        "DAY": page.gettext("per 24 hours"),
        "WEEK": page.gettext("per 7 days"),
        "MONTH": page.gettext("per 30 days"),
        "SESSION": page.gettext("per session"),
    }


def time_out_names(page: Page) -> dict[str, str]:
    return {
        "ONE_DAY": page.gettext("24 hours"),
        "ONE_WEEK": page.gettext("7 days"),
        "ONE_MONTH": page.gettext("30 days"),
    }


def _notice(page: Page, done: str) -> str | None:
    return {
        "set": page.gettext("Your limit applies now."),
        "pending": page.gettext(
            "Your higher limit waits 24 hours: confirm it then. Until you do, your "
            "current limit holds."
        ),
        "removal": page.gettext(
            "The removal waits 24 hours: confirm it then. Until you do, the limit holds."
        ),
        "confirmed": page.gettext("Your new limit applies now."),
        "removed": page.gettext("The limit is removed."),
        "saved": page.gettext("Your reality-check setting is saved."),
    }.get(done)


def _with_confirmable(limits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each limit with `confirmable`: a pending change whose cooling-off is over."""
    now = clock.now()
    shown = []
    for limit in limits:
        pending = limit.get("pending")
        ready = pending is not None and datetime.fromisoformat(pending["canConfirmAt"]) <= now
        shown.append({**limit, "confirmable": ready})
    return shown


def _limit_key(kind: str, period: str) -> str:
    return f"{kind.lower()}-{period.lower()}"


class PlayerProtectionPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    async def _protection(self, request: Request) -> dict[str, Any]:
        result = await self.site.graphql.run(request, "PlayerProtection")
        player: dict[str, Any] = result.data["viewer"]["player"]
        return player

    # Limits -------------------------------------------------------------------------------

    async def limits(self, request: Request) -> Response:
        """GET: the limits with usage and the forms. POST action=set|remove|confirm."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        if request.method == "GET":
            done = request.query_params.get("done", "")
            return await self._limits_page(request, page, notice=_notice(page, done))
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        action = form.get("action")
        if action == "set":
            return await self._set(request, page, form)
        if action in ("remove", "confirm"):
            return await self._change(request, page, form, str(action))
        return self.site.redirect(request, LIMITS_PATH)

    async def _limits_page(
        self,
        request: Request,
        page: Page,
        *,
        status: int = 200,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
    ) -> Response:
        player = await self._protection(request)
        return self.site.render(
            page,
            "responsible/limits.html",
            status=status,
            personal=True,
            limits=_with_confirmable(player["limits"]),
            currency=player["currency"],
            kinds=kind_names(page),
            periods=period_names(page),
            money_kinds=MONEY_KINDS,
            money_periods=MONEY_PERIODS,
            notice=notice,
            errors=errors or {},
            values=values or {},
        )

    async def _set(self, request: Request, page: Page, form: FormData) -> Response:
        kind = str(form.get("kind") or "")
        prefix = "session" if kind == SESSION else "money"
        values = {
            "kind": kind,
            "period": SESSION if kind == SESSION else str(form.get("period") or ""),
            "amount": str(form.get("amount") or "").strip(),
            "minutes": str(form.get("minutes") or "").strip(),
        }
        problem = self._set_problem(page, values)
        if problem is not None:
            field, message = problem
            return await self._limits_page(
                request, page, status=400, errors={f"{prefix}.{field}": message}, values=values
            )
        limit_input: dict[str, Any] = {"kind": kind, "period": values["period"]}
        if kind == SESSION:
            limit_input["minutes"] = int(values["minutes"])
        else:
            amount = parse_amount(values["amount"])
            assert page.viewer.player is not None
            currency = page.viewer.player["currency"]
            limit_input["amount"] = {"amount": str(amount), "currency": currency}
        result = await self.site.graphql.run(request, "SetLimit", {"input": limit_input})
        payload = result.data["setLimit"]
        if payload["errors"]:
            main = "minutes" if kind == SESSION else "amount"
            errors = {}
            for error in reversed(payload["errors"]):  # the first error of a field wins
                field = error.get("field")
                shown = field if field in ("kind", "period", main) else main
                errors[f"{prefix}.{shown}"] = refusal(page, error)
            return await self._limits_page(request, page, status=400, errors=errors, values=values)
        pending = (payload["limit"] or {}).get("pending")
        return self.site.redirect(request, f"{LIMITS_PATH}?done={'pending' if pending else 'set'}")

    def _set_problem(self, page: Page, values: dict[str, str]) -> tuple[str, str] | None:
        """(field, message) for a form the API would refuse anyway, before asking it."""
        kind = values["kind"]
        if kind == SESSION:
            minutes = values["minutes"]
            if not minutes.isdigit() or not 0 < int(minutes) <= SESSION_MINUTES_MAX:
                return "minutes", page.gettext("Enter a number of minutes above zero.")
            return None
        if kind not in MONEY_KINDS:
            return "kind", page.gettext("Choose what to limit.")
        if values["period"] not in MONEY_PERIODS:
            return "period", page.gettext("Choose a period.")
        if parse_amount(values["amount"]) is None:
            return "amount", page.gettext("Enter an amount above zero.")
        return None

    async def _change(self, request: Request, page: Page, form: FormData, action: str) -> Response:
        kind, period = str(form.get("kind") or ""), str(form.get("period") or "")
        known = (kind in MONEY_KINDS and period in MONEY_PERIODS) or kind == period == SESSION
        if not known:
            return self.site.redirect(request, LIMITS_PATH)
        operation, field = (
            ("RemoveLimit", "removeLimit") if action == "remove" else
            ("ConfirmLimitChange", "confirmLimitChange")
        )  # fmt: skip
        variables = {"input": {"kind": kind, "period": period}}
        result = await self.site.graphql.run(request, operation, variables)
        payload = result.data[field]
        if payload["errors"]:
            errors = {_limit_key(kind, period): refusal(page, payload["errors"][0])}
            return await self._limits_page(request, page, status=400, errors=errors)
        if action == "remove":
            return self.site.redirect(request, f"{LIMITS_PATH}?done=removal")
        done = "confirmed" if payload["limit"] else "removed"
        return self.site.redirect(request, f"{LIMITS_PATH}?done={done}")

    # Time-out -----------------------------------------------------------------------------

    async def time_out(self, request: Request) -> Response:
        """GET: choose a break. POST: take it (the API checks `confirm`), then the page
        that says until when, signed out."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        if request.method == "GET":
            return self._time_out_form(page, errors={}, period="")
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        period = str(form.get("period") or "")
        if period not in TIME_OUT_PERIODS:
            errors = {"period": page.gettext("Choose how long your break lasts.")}
            return self._time_out_form(page, errors=errors, period="")
        variables = {"input": {"period": period, "confirm": form.get("confirm") == "true"}}
        result = await self.site.graphql.run(request, "TakeTimeOut", variables)
        payload = result.data["takeTimeOut"]
        if payload["errors"]:
            errors = field_errors(page, payload["errors"])
            return self._time_out_form(page, errors=errors, period=period)
        # Signed out now: the page around the message shows a visitor.
        signed_out = await self.site.page(request)
        return self.site.render(
            signed_out,
            "responsible/time_out_taken.html",
            personal=True,
            until=payload["timeOutUntil"],
        )

    def _time_out_form(self, page: Page, *, errors: dict[str, str], period: str) -> Response:
        return self.site.render(
            page,
            "responsible/time_out.html",
            status=400 if errors else 200,
            personal=True,
            periods=time_out_names(page),
            period=period,
            errors=errors,
        )

    # Reality checks -----------------------------------------------------------------------

    async def reality_check(self, request: Request) -> Response:
        """GET: the interval now. POST: choose another (or none)."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        if request.method == "GET":
            # The page's own viewer read carries the interval (null: off).
            reality = (page.viewer.player or {}).get("realityCheck")
            done = request.query_params.get("done", "")
            return self._reality_check_form(
                page,
                minutes=reality["minutes"] if reality else None,
                notice=_notice(page, done),
                error=None,
            )
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        chosen = str(form.get("minutes") or "")
        minutes = int(chosen) if chosen.isdigit() else None
        if chosen != "off" and minutes not in _reality_choices(page):
            message = page.gettext("Choose how often to be reminded.")
            return self._reality_check_form(page, minutes=None, notice=None, error=message)
        variables = {"input": {"minutes": minutes}}
        result = await self.site.graphql.run(request, "SetRealityCheck", variables)
        errors = result.data["setRealityCheck"]["errors"]
        if errors:
            return self._reality_check_form(
                page, minutes=minutes, notice=None, error=refusal(page, errors[0])
            )
        return self.site.redirect(request, f"{REALITY_CHECK_PATH}?done=saved")

    def _reality_check_form(
        self, page: Page, *, minutes: int | None, notice: str | None, error: str | None
    ) -> Response:
        return self.site.render(
            page,
            "responsible/reality_check.html",
            status=400 if error else 200,
            personal=True,
            choices=_reality_choices(page),
            minutes=minutes,
            notice=notice,
            error=error,
        )

    async def continue_playing(self, request: Request) -> Response:
        """POST from the reminder: the player read it and goes on; back where they were."""
        page, refused = await self.site.signed_in_page(request)
        if refused:
            return refused
        form = await self.site.form(request)
        if form is None:
            return self.site.forbidden(page)
        await self.site.graphql.run(request, "AcknowledgeRealityCheck")
        return self.site.redirect(request, local_path(form.get("next"), default="/"))


def _reality_choices(page: Page) -> tuple[int, ...]:
    """The reminder intervals the brand's jurisdiction pack offers."""
    return pack_for(page.brand.jurisdiction).reality_check.choices_minutes
