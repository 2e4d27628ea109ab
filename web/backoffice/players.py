"""Players: find one by any identifier (e-mail, phone, username, player id); their profile
with wallets, transactions, bets, game rounds, limits and exclusion; actions by role."""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from strawberry.relay import to_base64

from domain.accounts.notes import NOTE_CHARS_MAX
from web.backoffice import strings
from web.backoffice.console import (
    Console,
    Page,
    cursor_param,
    first_error,
    is_global_id,
    read_problem,
    reason_of,
    text_field,
)
from web.site.site import parse_amount

AREA: Final = "players"
SEARCH_RESULTS_MAX: Final = 50
STATUSES: Final = ("ACTIVE", "SUSPENDED", "CLOSED")
WALLET_KINDS: Final = ("CASH", "BONUS")


def player_id_of(search: str) -> str | None:
    """A search that is a player id: the global id itself, or the UUID inside one."""
    try:
        uuid.UUID(search)
    except ValueError:
        pass
    else:
        return to_base64("Player", search)
    try:
        decoded = base64.b64decode(search, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return search if decoded.startswith("Player:") else None


class PlayerPages:
    def __init__(self, console: Console) -> None:
        self.console = console

    async def search(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        query = request.query_params.get("q", "").strip()[:100]
        found: list[dict[str, Any]] = []
        if query:
            player_id = player_id_of(query)
            if player_id is not None:
                return self.console.redirect(request, f"/players/{player_id}")
            result = await self.console.run(
                request, "FindPlayers", {"search": query, "first": SEARCH_RESULTS_MAX}
            )
            found = result.data.get("players") or []
        return self.console.render(page, "players.html", query=query, found=found)

    async def profile(self, request: Request) -> Response:
        page, refused = await self.console.open_area(request, AREA)
        if refused is not None:
            return refused
        return await self._profile(request, page)

    async def _profile(
        self, request: Request, page: Page, *, status: int = 200, error: str | None = None
    ) -> Response:
        player_id = request.path_params["id"][:200]
        if not is_global_id(player_id, "Player"):
            return self.console.not_found(page)
        profile = await self.console.run(
            request,
            "PlayerProfile",
            {"id": player_id, "betsAfter": cursor_param(request, "bets_after")},
        )
        problem = read_problem(profile)
        if problem is not None:
            # A forged bets link: the profile with its first page of bets, and why.
            profile = await self.console.run(request, "PlayerProfile", {"id": player_id})
        player = profile.data.get("node")
        if not player:
            return self.console.not_found(page)
        money: dict[str, Any] | None = None
        if self.console.needs.allows("PlayerMoney", page.viewer.granted):
            result = await self.console.run(
                request, "PlayerMoney", {"id": player_id, "after": cursor_param(request)}
            )
            money = result.data.get("node")
            if (money_problem := read_problem(result)) is not None:
                problem = problem or money_problem
                result = await self.console.run(request, "PlayerMoney", {"id": player_id})
                money = result.data.get("node")
        rounds: dict[str, Any] | None = None
        if self.console.needs.allows("PlayerGameRounds", page.viewer.granted):
            result = await self.console.run(request, "PlayerGameRounds", {"id": player_id})
            rounds = result.data.get("node")
        allows = self.console.needs.allows
        return self.console.render(
            page,
            "player.html",
            status=400 if problem else status,
            player=player,
            money=money,
            rounds=rounds,
            error=error or problem,
            notice=strings.TEXT.get(request.query_params.get("notice", ""), None),
            statuses=STATUSES,
            wallet_kinds=WALLET_KINDS,
            may_set_status=allows("SetPlayerStatus", page.viewer.granted),
            may_revoke=allows("RevokePlayerSessions", page.viewer.granted),
            may_adjust=allows("AdjustBalance", page.viewer.granted),
            may_note=allows("AddPlayerNote", page.viewer.granted),
            idempotency_key=secrets.token_urlsafe(16),
        )

    async def _acted(
        self, request: Request, page: Page, payload: dict[str, Any] | None, notice: str
    ) -> Response:
        error = first_error(payload)
        if error is not None:
            return await self._profile(request, page, status=400, error=error)
        return self.console.redirect(
            request, f"/players/{request.path_params['id'][:200]}?notice={notice}"
        )

    async def set_status(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "SetPlayerStatus")
        if refused is not None:
            return refused
        if not is_global_id(request.path_params["id"], "Player"):
            return self.console.not_found(page)
        status = text_field(form, "status", 20)
        reason = reason_of(form)
        if status not in STATUSES or not reason:
            return await self._profile(
                request, page, status=400, error=strings.TEXT["reason_required"]
            )
        result = await self.console.run(
            request,
            "SetPlayerStatus",
            {"input": {"playerId": request.path_params["id"][:200], "status": status,
                       "reason": reason}},
        )  # fmt: skip
        return await self._acted(request, page, result.data["setPlayerStatus"], "status_changed")

    async def add_note(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "AddPlayerNote")
        if refused is not None:
            return refused
        if not is_global_id(request.path_params["id"], "Player"):
            return self.console.not_found(page)
        body = form.get("body")
        result = await self.console.run(
            request,
            "AddPlayerNote",
            {"input": {"playerId": request.path_params["id"][:200],
                       "body": body[:NOTE_CHARS_MAX + 1] if isinstance(body, str) else ""}},
        )  # fmt: skip
        return await self._acted(request, page, result.data["addPlayerNote"], "note_added")

    async def revoke_sessions(self, request: Request) -> Response:
        page, _, refused = await self.console.act(request, AREA, "RevokePlayerSessions")
        if refused is not None:
            return refused
        if not is_global_id(request.path_params["id"], "Player"):
            return self.console.not_found(page)
        result = await self.console.run(
            request,
            "RevokePlayerSessions",
            {"input": {"playerId": request.path_params["id"][:200]}},
        )
        return await self._acted(
            request, page, result.data["revokePlayerSessions"], "sessions_revoked"
        )

    async def adjust_balance(self, request: Request) -> Response:
        page, form, refused = await self.console.act(request, AREA, "AdjustBalance")
        if refused is not None:
            return refused
        if not is_global_id(request.path_params["id"], "Player"):
            return self.console.not_found(page)
        amount = parse_amount(form.get("amount"))
        reason = reason_of(form)
        wallet = text_field(form, "wallet", 20)
        direction = text_field(form, "direction", 10)
        key = text_field(form, "idempotency_key", 200)
        if (
            amount is None
            or not reason
            or wallet not in WALLET_KINDS
            or direction not in ("CREDIT", "DEBIT")
            or not key
        ):
            return await self._profile(
                request, page, status=400, error=strings.TEXT["invalid_input"]
            )
        result = await self.console.run(
            request,
            "AdjustBalance",
            {
                "input": {
                    "playerId": request.path_params["id"][:200],
                    "wallet": wallet,
                    "direction": direction,
                    "amount": {"amount": str(amount), "currency": text_field(form, "currency", 3)},
                    "reason": reason,
                    "idempotencyKey": key,
                }
            },
        )
        return await self._acted(request, page, result.data["adjustBalance"], "balance_adjusted")
