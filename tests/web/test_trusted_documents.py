"""Trusted documents over HTTP and WebSocket: a client names a trusted document by id, and
a host held to them refuses any other text, as a production frontend and an attacker with a
token would meet it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from domain.brands.service import BrandRegistry
from domain.kernel.settings import get_settings
from tests.conftest import app_server
from tests.schema.sportsbook.support import next_raw
from tests.support import AURORA, Api
from web.site.client import DOCUMENTS_DIR
from web.trusted_documents import InvalidManifest, document_id, read_manifest

SITE_VIEWER = (DOCUMENTS_DIR / "SiteViewer.graphql").read_text(encoding="utf-8")
ODDS_CHANGED = (DOCUMENTS_DIR / "OddsChanged.graphql").read_text(encoding="utf-8")
FRONTEND = "query FrontendBrand { brand { slug name } }"
UNTRUSTED = "{ brand { slug currencies } }"


async def post(api: Api, body: dict[str, object]) -> httpx.Response:
    return await api.post(body)


async def test_a_site_document_runs_by_its_id_on_any_host(aurora: Api) -> None:
    response = await post(aurora, {"documentId": document_id(SITE_VIEWER)})

    assert response.status_code == 200, response.text
    assert "viewer" in response.json()["data"]


async def test_apollo_clients_name_it_by_their_persisted_query_extension(aurora: Api) -> None:
    sha = document_id(SITE_VIEWER).removeprefix("sha256:")
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}

    response = await post(aurora, body)

    assert response.status_code == 200 and "viewer" in response.json()["data"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"documentId": "sha256:" + "0" * 64}, "PERSISTED_DOCUMENT_NOT_FOUND"),
        ({"documentId": "md5:abc"}, "INVALID_REQUEST"),
        ({"documentId": document_id(SITE_VIEWER), "query": UNTRUSTED}, "INVALID_REQUEST"),
    ],
    ids=["unknown id", "malformed id", "id and text"],
)
async def test_a_bad_document_id_is_a_typed_400(
    aurora: Api, body: dict[str, object], code: str
) -> None:
    response = await post(aurora, body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == code


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("frontend") / "persisted-documents.json"
    path.write_text(json.dumps({document_id(FRONTEND): FRONTEND}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
async def locked_server(db: object, registry: BrandRegistry, manifest: Path) -> AsyncIterator[str]:
    """The app with every host held to trusted documents and a frontend's manifest."""
    settings = get_settings().model_copy(
        update={"trusted_documents_file": manifest, "trusted_documents_hosts": ["*"]}
    )
    async with app_server(registry, settings) as url:
        yield url


async def test_a_locked_host_refuses_text_it_does_not_trust(locked_server: str) -> None:
    api = Api(locked_server, AURORA)
    try:
        refused = await api.post({"query": UNTRUSTED})
        by_id = await api.post({"documentId": document_id(FRONTEND)})
        as_text = await api.post({"query": FRONTEND})
    finally:
        await api.aclose()

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_DOCUMENT_REQUIRED"
    assert "data" not in refused.json()
    assert by_id.json()["data"]["brand"]["slug"] == "aurora"
    # The exact text of a trusted document is that document.
    assert as_text.json()["data"] == by_id.json()["data"]


async def test_a_locked_host_refuses_an_untrusted_subscription_and_runs_a_trusted_one(
    locked_server: str,
) -> None:
    port = int(locked_server.rsplit(":", 1)[1])
    async with websockets.connect(
        f"ws://{AURORA}:{port}/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        host="127.0.0.1",
        port=port,
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        untrusted = "subscription { oddsChanged(events: []) { event } }"
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": untrusted}})
        )
        refused = json.loads(await socket.recv())
        trusted = {"documentId": document_id(ODDS_CHANGED), "variables": {"events": []}}
        await socket.send(json.dumps({"id": "2", "type": "subscribe", "payload": trusted}))
        # Accepted: it waits for odds to change (nothing does), no error comes.
        answer = await next_raw(socket, 1.0)
        await socket.send(json.dumps({"id": "2", "type": "complete"}))

    assert (refused["id"], refused["type"]) == ("1", "error")
    assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_DOCUMENT_REQUIRED"
    assert answer is None, answer


def test_a_manifest_whose_ids_are_not_their_hashes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({document_id(FRONTEND): UNTRUSTED}), encoding="utf-8")

    with pytest.raises(InvalidManifest, match="not the sha256 of its document"):
        read_manifest(path)
