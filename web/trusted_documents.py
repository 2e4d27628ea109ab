"""Trusted (persisted) documents: production clients send an id, not GraphQL text.

A frontend's build extracts its operations into a manifest (`{"sha256:<hex>": "<document>"}`,
the format of the GraphQL-over-HTTP persisted-documents proposal; Apollo's and Relay's
extractors write the same pairs) that the operator points `STAKEHOUSE_TRUSTED_DOCUMENTS_FILE`
at. The site's and the back office's own documents are always in the list. A request may
then name a document by `documentId` ("sha256:<hex>", or Apollo's
`extensions.persistedQuery.sha256Hash`) instead of sending `query`. On the hosts in
`STAKEHOUSE_TRUSTED_DOCUMENTS_HOSTS` (`*`: all) that is the only way: text that is not a
trusted document is refused (`PERSISTED_DOCUMENT_REQUIRED`), so a stolen token or a
scraped endpoint runs only the operations the operator's frontends ship.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from domain.kernel.settings import Settings
from web.graphql_requests import RequestRejected

_ID = re.compile(r"sha256:[0-9a-f]{64}")


def document_id(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class InvalidManifest(ValueError):
    pass


def read_manifest(path: Path) -> dict[str, str]:
    """The manifest's documents by id; every id must be the hash of its text."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidManifest(f"{path}: not a readable JSON manifest ({error})") from None
    if not isinstance(raw, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in raw.items()
    ):
        raise InvalidManifest(f'{path}: must be an object of "sha256:<hex>": "<document>"')
    for key, text in raw.items():
        if document_id(text) != key:
            raise InvalidManifest(f"{path}: {key[:20]}… is not the sha256 of its document")
    return dict(raw)


class TrustedDocuments:
    """The allow-list and the hosts that require it."""

    ALL_HOSTS: Final = "*"

    def __init__(self, documents: Mapping[str, str], hosts: Iterable[str]) -> None:
        self.documents = dict(documents)
        self.hosts = frozenset(host.lower() for host in hosts)

    @classmethod
    def for_settings(cls, settings: Settings, own: Iterable[str]) -> TrustedDocuments:
        """The manifest in the settings, if any, plus `own` (the site's documents)."""
        documents = {document_id(text): text for text in own}
        if settings.trusted_documents_file is not None:
            documents.update(read_manifest(settings.trusted_documents_file))
        return cls(documents, settings.trusted_documents_hosts)

    def required_on(self, host: str) -> bool:
        return self.ALL_HOSTS in self.hosts or host.lower() in self.hosts

    def resolve(self, request: dict[str, Any], host: str) -> dict[str, Any]:
        """The request with its document's text in `query`, or RequestRejected."""
        named = request.get("documentId")
        persisted = (request.get("extensions") or {}).get("persistedQuery")
        if named is None and isinstance(persisted, dict):
            hash_ = persisted.get("sha256Hash")
            named = f"sha256:{hash_}" if isinstance(hash_, str) else ""
        if named is not None:
            if request.get("query") is not None:
                raise RequestRejected(
                    "INVALID_REQUEST", "Send either a document id or the query, not both."
                )
            if not isinstance(named, str) or not _ID.fullmatch(named):
                raise RequestRejected(
                    "INVALID_REQUEST", 'A document id reads "sha256:" and 64 hexadecimal digits.'
                )
            text = self.documents.get(named)
            if text is None:
                raise RequestRejected(
                    "PERSISTED_DOCUMENT_NOT_FOUND", "No trusted document has this id."
                )
            return {**{k: v for k, v in request.items() if k != "documentId"}, "query": text}
        query = request.get("query")
        if (
            isinstance(query, str)
            and self.required_on(host)
            and document_id(query) not in self.documents
        ):
            raise RequestRejected(
                "PERSISTED_DOCUMENT_REQUIRED",
                "This host runs trusted documents only: send a documentId.",
            )
        return request
