"""Helpers for tests that talk to the running app over real HTTP and WebSocket."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp

STRONG_PASSWORD = "correct horse battery"
AURORA = "aurora.localhost"
NORTHSTAR = "northstar.localhost"


@dataclass
class GraphQLResponse:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def data(self) -> dict[str, Any]:
        assert "errors" not in self.body, self.body
        return self.body["data"]


class Api:
    """A GraphQL client bound to one brand host, as a frontend developer would use it."""

    def __init__(self, base_url: str, host: str) -> None:
        self.base_url = base_url
        self.host = host
        self.token: str | None = None
        self.client = httpx.AsyncClient(base_url=base_url, headers={"host": host}, timeout=30)

    async def post(self, body: Any, *, headers: dict[str, str] | None = None) -> httpx.Response:
        merged = {"content-type": "application/json", **(headers or {})}
        if self.token:
            merged.setdefault("authorization", f"Bearer {self.token}")
        return await self.client.post("/graphql", content=json.dumps(body), headers=merged)

    async def query(
        self, document: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> GraphQLResponse:
        response = await self.post({"query": document, "variables": variables or {}}, **kwargs)
        return GraphQLResponse(response.status_code, response.json(), response.headers)

    async def register(self, **fields: Any) -> dict[str, Any]:
        values = {
            "password": STRONG_PASSWORD,
            "dateOfBirth": "1990-05-17",
            "country": "MT",
            "currency": "EUR",
            **fields,
        }
        result = await self.query(REGISTER, {"input": values})
        return result.data["register"]

    async def login(self, identifier: str, password: str = STRONG_PASSWORD) -> dict[str, Any]:
        result = await self.query(
            LOGIN, {"input": {"identifier": identifier, "password": password}}
        )
        payload = result.data["login"]
        if payload["token"]:
            self.token = payload["token"]
        return payload

    async def aclose(self) -> None:
        await self.client.aclose()


def fresh_code(secret: str, *, steps_ahead: int = 0) -> str:
    """A TOTP code for now (+ steps): codes are single-use, so tests step ahead for a second."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    player { id email phone username country currency locale status }
    errors { code field message }
  }
}
"""

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { token twoFactorRequired errors { code field message } }
}
"""

VIEWER = """
query { viewer { twoFactorPending permissions player { id email username status } staff { id email roles } } }
"""
