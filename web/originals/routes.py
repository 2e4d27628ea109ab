"""The Originals game server: `/originals/...` on a brand host.

    GET  /originals/launch?game&token&user&mode&currency   the operator's launch URL:
         real money is checked with the operator (`authenticate`), then 303 to the page
    GET  /originals/play?session=<key>                      the game page (iframe-able)
    POST /originals/api/play     {"session", "stake", "target"?}   one round (JSON)
    POST /originals/api/seeds    {"session", "client_seed"?}       reveal and rotate seeds
    GET  /originals/history?session=<key>                   past rounds, seeds once revealed
    GET  /originals/dice/verify?server_seed&client_seed&nonce  recompute any roll

The same server hosts the built-in aggregator's demo studios (`domain/originals/studio.py`)
under `/studio/...` (launch, play, history, api/play), and their artwork at
`GET /studio/art/<version>/<code>.svg`; their wallet calls are signed as their own studio.

The page holds a session key (not a cookie: nothing ambient for a cross-site request to
ride on). Money moves only through the operator's wallet API (`web.originals.wallet`).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from domain.integrations.aggregator import (
    DEMO_STUDIO_NAMES,
    studio_art_url,
)
from domain.integrations.studio_art import symbol_svg
from domain.kernel.db import Database
from domain.kernel.money import AmountError, exponent, is_supported_currency, to_minor
from domain.kernel.settings import Settings
from domain.originals import dice, games, slot, store, studio
from domain.originals.models import OriginalsSession, PlayMode
from web.originals.pages import error_page, json_reply, money, render
from web.originals.play import Bet, PlayRefused, PlayResult, play_demo, play_real
from web.originals.wallet import PROVIDER, OperatorWallet, WalletUnavailable, provider_secret

JSON_BODY_MAX_BYTES = 4_096
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_USER = re.compile(r"^[\x21-\x7e]{1,100}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LAUNCH_REFUSALS = {
    "RS_ERROR_TOKEN_EXPIRED": "This game link has expired: open the game again from the casino.",
    "RS_ERROR_USER_DISABLED": "Your account cannot play right now.",
}


def _db(request: Request) -> Database:
    db: Database = request.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.state.settings
    return settings


def _operator_address(request: Request, settings: Settings) -> tuple[str, str | None]:
    """The operator's base URL and the Host to send (None: the URL's own)."""
    if settings.originals_operator_url:
        return settings.originals_operator_url.rstrip("/"), None
    # Same server: the address this request reached, and the brand host it came by.
    host, port = request.scope.get("server") or (settings.http_host, settings.http_port)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}", request.headers.get("host")


@asynccontextmanager
async def operator_wallet(
    request: Request, brand: str, game_code: str
) -> AsyncIterator[OperatorWallet]:
    """The operator's wallet API as the game's studio reaches it. Errors: PlayRefused (no
    signing secret configured)."""
    settings = _settings(request)
    provider = studio_of(game_code)
    secret = provider_secret(settings, provider)
    if secret is None:
        raise PlayRefused("NOT_CONFIGURED", "Real-money play is not configured.", 503)
    base_url, host = _operator_address(request, settings)
    timeout = httpx.Timeout(settings.originals_wallet_timeout_ms / 1000)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:
        yield OperatorWallet(client, secret=secret, brand=brand, host=host, provider=provider)


def studio_of(game_code: str) -> str:
    """The studio a game belongs to (it signs the game's wallet calls)."""
    demo_game = studio.STUDIO_GAMES.get(game_code)
    return demo_game.provider if demo_game is not None else PROVIDER


async def _session(request: Request, key: object) -> OriginalsSession | None:
    """The live session of `key` on this brand (a key is no good on another brand)."""
    if not isinstance(key, str):
        return None
    async with _db(request).uow() as uow:
        session = await store.session_by_key(uow, key)
    if session is None or session.brand != request.state.brand.slug:
        return None
    return session


async def launch(request: Request) -> Response:
    query = request.query_params
    game, mode = query.get("game", ""), query.get("mode", PlayMode.REAL.value)
    currency = query.get("currency", "")
    if (game not in games.GAMES and game not in studio.STUDIO_GAMES) or mode not in (
        "real",
        "demo",
    ):
        return error_page(request, 404, "Game not found", "This game is not offered.")
    if not _CURRENCY.match(currency) or not is_supported_currency(currency):
        return error_page(request, 400, "Unsupported currency", "This currency is not offered.")
    if mode == PlayMode.DEMO:
        # Play money has no value: a demo needs no operator token (anyone may try a game).
        async with _db(request).transaction() as uow:
            opened = await store.open_session(
                uow,
                brand=request.state.brand.slug,
                mode=PlayMode.DEMO,
                game_code=game,
                currency=currency,
                demo_balance_minor=games.DEMO_BALANCE_UNITS * 10 ** exponent(currency),
            )
        return RedirectResponse(f"/originals/play?session={opened.key}", 303)
    return await _launch_real(request, game, currency)


async def _launch_real(request: Request, game: str, currency: str) -> Response:
    """The operator vouches for the token (`authenticate`) before the page opens."""
    token, user = request.query_params.get("token", ""), request.query_params.get("user", "")
    if not _TOKEN.match(token) or not _USER.match(user):
        return error_page(request, 403, "Invalid game link", "This game link is not valid.")
    try:
        async with operator_wallet(request, request.state.brand.slug, game) as wallet:
            answer = await wallet.call(
                "authenticate", {"token": token, "user": user, "currency": currency}
            )
    except (WalletUnavailable, PlayRefused):
        return error_page(request, 503, "Game unavailable", "Please try again in a moment.")
    if not answer.ok:
        message = _LAUNCH_REFUSALS.get(answer.status, "This game link is not valid.")
        return error_page(request, 403, "Cannot open the game", message)
    async with _db(request).transaction() as uow:
        opened = await store.open_session(
            uow,
            brand=request.state.brand.slug,
            mode=PlayMode.REAL,
            game_code=game,
            currency=answer.currency or currency,
            user_ref=user,
            operator_token=token,
        )
    return RedirectResponse(f"/originals/play?session={opened.key}", 303)


async def _seed_view(request: Request, owner: str) -> dict[str, Any]:
    async with _db(request).uow() as uow:
        seed = await store.active_seed(uow, owner)
    return {
        "server_seed_hash": seed.server_seed_hash,
        "client_seed": seed.client_seed,
        "nonce": seed.next_nonce,
    }


async def play_page(request: Request) -> Response:
    session = await _session(request, request.query_params.get("session"))
    if session is None:
        return error_page(
            request, 401, "Session ended", "Open the game again from the casino's lobby."
        )
    balance = session.demo_balance_minor
    if session.mode == PlayMode.REAL:
        try:
            async with operator_wallet(request, session.brand, session.game_code) as wallet:
                answer = await wallet.call(
                    "balance", {"token": session.operator_token, "user": session.user_ref}
                )
            balance = answer.balance_minor if answer.ok else None
        except (WalletUnavailable, PlayRefused):
            balance = None
    context: dict[str, Any] = {
        "session_key": request.query_params["session"],
        "game": session.game_code,
        "demo": session.mode == PlayMode.DEMO,
        "currency": session.currency,
        "balance": money(balance, session.currency),
        "seed": await _seed_view(request, session.owner),
    }
    demo_game = studio.STUDIO_GAMES.get(session.game_code)
    if demo_game is not None:
        return render(request, *_studio_page(session, demo_game, context))
    if session.game_code == games.SLOT:
        machine = slot.ORIGINALS_SLOT
        context |= {
            "stakes": [money(stake, session.currency) for stake in slot.STAKES_MINOR],
            "symbols": {
                symbol: symbol_svg(symbol, games.SLOT, name)
                for symbol, name in slot.SYMBOL_NAMES.items()
            },
            "pays": [
                (symbol, slot.SYMBOL_NAMES[symbol], sorted(runs.items(), reverse=True))
                for symbol, runs in machine.pays.items()
            ],
            "rtp": f"{float(machine.rtp_exact()) * 100:.2f}",
            "lines": machine.line_count,
        }
        return render(request, "slot.html", context)
    context |= {
        "stake_min": money(games.DICE_STAKE_MIN_MINOR, session.currency),
        "stake_max": money(games.DICE_STAKE_MAX_MINOR, session.currency),
        "edge": f"{dice.HOUSE_EDGE_BASIS_POINTS / 100:.2f}",
    }
    return render(request, "dice.html", context)


def _studio_page(
    session: OriginalsSession, demo_game: studio.StudioGame, context: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The template and context of a demo studio game's page."""
    context |= {
        "title": demo_game.game.name,
        "studio_name": DEMO_STUDIO_NAMES[demo_game.provider],
        "art_url": studio_art_url(demo_game.code),
        "stakes": [money(stake, session.currency) for stake in demo_game.stakes_minor],
        "rtp": f"{demo_game.game.rtp_basis_points / 100:.2f}",
    }
    if demo_game.kind == "roulette":
        context |= {
            "numbers": [
                (number, studio.roulette_colour(number))
                for number in range(studio.ROULETTE_POCKETS)
            ],
            "outside_bets": [
                ("red", "Red", "1:1"),
                ("black", "Black", "1:1"),
                ("odd", "Odd", "1:1"),
                ("even", "Even", "1:1"),
                ("low", "1-18", "1:1"),
                ("high", "19-36", "1:1"),
                ("dozen-1", "1st 12", "2:1"),
                ("dozen-2", "2nd 12", "2:1"),
                ("dozen-3", "3rd 12", "2:1"),
            ],
        }
        return "roulette.html", context
    machine = demo_game.variant.machine
    context |= {
        "reels": len(machine.reels),
        "rows": machine.rows,
        "lines": [list(line) for line in machine.lines],
        "volatility": demo_game.game.volatility,
        "symbols": {
            symbol: symbol_svg(symbol, demo_game.code, name)
            for symbol, name in studio.SYMBOL_NAMES.items()
        },
        "pays": [
            (symbol, studio.SYMBOL_NAMES[symbol], sorted(runs.items(), reverse=True))
            for symbol, runs in machine.pays.items()
        ],
    }
    return "studio_slot.html", context


async def studio_art(request: Request) -> Response:
    """A demo studio game's tile, drawn from its code: the same bytes for ever under this
    version, so browsers and CDNs keep it for a year."""
    art = studio.tile_art(request.path_params["version"], request.path_params["code"])
    if art is None:
        return Response("not found", 404, media_type="text/plain")
    return Response(
        art,
        media_type="image/svg+xml",
        headers={
            "cache-control": "public, max-age=31536000, immutable",
            "content-security-policy": "default-src 'none'",
            "x-content-type-options": "nosniff",
        },
    )


async def _json_body(request: Request) -> dict[str, Any] | None:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    body = await request.body()
    if len(body) > JSON_BODY_MAX_BYTES:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _error(code: str, message: str, status: int, **extra: Any) -> Response:
    return json_reply({"error": {"code": code, "message": message, **extra}}, status)


def _decimal(value: object) -> Decimal | None:
    if not isinstance(value, str) or len(value) > 20:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _bet(session: OriginalsSession, document: dict[str, Any]) -> Bet:
    """Errors: games.InvalidBet."""
    stake = _decimal(document.get("stake"))
    try:
        stake_minor = to_minor(stake, session.currency) if stake is not None else 0
    except AmountError:
        stake_minor = 0
    demo_game = studio.STUDIO_GAMES.get(session.game_code)
    if demo_game is not None:
        if stake_minor not in demo_game.stakes_minor:
            raise games.InvalidBet("stake", "Choose one of the offered stakes.")
        if demo_game.kind != "roulette":
            return Bet(stake_minor)
        choice = document.get("bet")
        if not isinstance(choice, str) or choice not in studio.ROULETTE_BETS:
            raise games.InvalidBet("bet", "Choose a bet on the table.")
        return Bet(stake_minor, choice=choice)
    target = None
    if session.game_code == games.DICE:
        chance = _decimal(document.get("target"))
        scaled = chance.scaleb(2) if chance is not None and chance.is_finite() else None
        if scaled is None or scaled != scaled.to_integral_value():
            raise games.InvalidBet("target", "Roll under a number with at most two decimals.")
        target = int(scaled)
    games.check_bet(session.game_code, stake_minor, target)
    return Bet(stake_minor, target)


def _result(session: OriginalsSession, result: PlayResult) -> dict[str, Any]:
    played = result.round
    return {
        "round": {
            "id": played.round_ref,
            "game": played.game_code,
            "status": played.status,
            "stake": money(played.stake_minor, session.currency),
            "payout": money(played.payout_minor, session.currency),
            "outcome": played.outcome,
        },
        "settled": result.settled,
        "balance": money(result.balance_minor, session.currency),
        "currency": session.currency,
    }


async def play(request: Request) -> Response:
    document = await _json_body(request)
    if document is None:
        return _error("BAD_REQUEST", "Send a JSON object.", 400)
    session = await _session(request, document.get("session"))
    if session is None:
        return _error("INVALID_SESSION", "This game session is not valid or has ended.", 401)
    try:
        bet = _bet(session, document)
    except games.InvalidBet as invalid:
        return _error("INVALID_BET", invalid.message, 400, field=invalid.field)
    try:
        if session.mode == PlayMode.DEMO:
            result = await play_demo(_db(request), session, bet)
        else:
            async with operator_wallet(request, session.brand, session.game_code) as wallet:
                result = await play_real(_db(request), wallet, session, bet)
    except PlayRefused as refused:
        return _error(
            refused.code,
            refused.message,
            refused.http_status,
            balance=money(refused.balance_minor, session.currency),
        )
    body = _result(session, result)
    if session.game_code == games.DICE:
        body["seed"] = await _seed_view(request, session.owner)
    return json_reply(body)


async def rotate_seeds(request: Request) -> Response:
    document = await _json_body(request)
    if document is None:
        return _error("BAD_REQUEST", "Send a JSON object.", 400)
    session = await _session(request, document.get("session"))
    if session is None:
        return _error("INVALID_SESSION", "This game session is not valid or has ended.", 401)
    client_seed = document.get("client_seed") or None
    if client_seed is not None and (
        not isinstance(client_seed, str) or not dice.CLIENT_SEED.match(client_seed)
    ):
        return _error("INVALID_CLIENT_SEED", "1 to 64 printable characters, no spaces.", 400)
    async with _db(request).transaction() as uow:
        rotation = await store.rotate_seed(uow, session.owner, client_seed)
    revealed, active = rotation.revealed, rotation.active
    return json_reply(
        {
            "revealed": {
                "server_seed": revealed.server_seed,
                "server_seed_hash": revealed.server_seed_hash,
                "client_seed": revealed.client_seed,
                "nonces_used": revealed.next_nonce,
            },
            "seed": {
                "server_seed_hash": active.server_seed_hash,
                "client_seed": active.client_seed,
                "nonce": active.next_nonce,
            },
        }
    )


async def history_page(request: Request) -> Response:
    key = request.query_params.get("session")
    session = await _session(request, key)
    if session is None:
        return error_page(
            request, 401, "Session ended", "Open the game again from the casino's lobby."
        )
    async with _db(request).uow() as uow:
        past = await store.history(uow, session.owner)
    rows = [
        {
            "round": entry.round,
            "stake": money(entry.round.stake_minor, entry.round.currency),
            "payout": money(entry.round.payout_minor, entry.round.currency),
            "roll": (
                dice.format_roll(entry.round.outcome["roll"])
                if "roll" in entry.round.outcome
                else None
            ),
            "target": (
                dice.format_roll(entry.round.outcome["target"])
                if "target" in entry.round.outcome
                else None
            ),
            "server_seed_hash": entry.server_seed_hash,
            "client_seed": entry.client_seed,
            "server_seed": entry.server_seed,
            "created_at": entry.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
        for entry in past
    ]
    return render(
        request,
        "history.html",
        {"session_key": key, "rows": rows, "demo": session.mode == PlayMode.DEMO},
    )


async def verify_page(request: Request) -> Response:
    query = request.query_params
    server_seed = query.get("server_seed", "").strip().lower()
    client_seed = query.get("client_seed", "").strip()
    nonce_text = query.get("nonce", "").strip()
    context: dict[str, Any] = {
        "server_seed": server_seed,
        "client_seed": client_seed,
        "nonce": nonce_text,
        "result": None,
        "problem": None,
    }
    if server_seed or client_seed or nonce_text:
        if not dice.SERVER_SEED.match(server_seed):
            context["problem"] = "The server seed is 64 hexadecimal characters."
        elif not dice.CLIENT_SEED.match(client_seed):
            context["problem"] = "The client seed is 1 to 64 printable characters."
        elif not nonce_text.isdigit() or int(nonce_text) > dice.NONCE_MAX:
            context["problem"] = "The nonce is a whole number from 0."
        else:
            context["result"] = {
                "roll": dice.format_roll(dice.verify(server_seed, client_seed, int(nonce_text))),
                "server_seed_hash": dice.seed_hash(server_seed),
            }
    return render(request, "verify.html", context, status=400 if context["problem"] else 200)


def originals_routes() -> list[BaseRoute]:
    game_server = [
        Route("/launch", launch, methods=["GET"]),
        Route("/play", play_page, methods=["GET"]),
        Route("/history", history_page, methods=["GET"]),
        Route("/api/play", play, methods=["POST"]),
    ]
    return [
        Mount(
            "/originals",
            routes=[
                *game_server,
                Route("/dice/verify", verify_page, methods=["GET"]),
                Route("/api/seeds", rotate_seeds, methods=["POST"]),
            ],
        ),
        # The built-in aggregator's demo studios, on the same game server.
        Mount(
            "/studio",
            routes=[
                *game_server,
                Route("/art/{version}/{code}.svg", studio_art, methods=["GET"]),
            ],
        ),
    ]
