"""Chroma: the client (embedded or a server), the collection of unit vectors, and unit ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from rag.config import Config, go_offline
from rag.models.encoder import MODEL_KEY
from rag.store.guard import disk_errors

go_offline()  # the offline and telemetry switches are set before Chroma is imported

import chromadb  # noqa: E402
from chromadb.config import Settings  # noqa: E402

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection


def unit_id(article_id: str, content_hash: str, unit: int) -> str:
    """Chroma id of a unit: each article version has its own ids, so a new version never overwrites the old."""
    return f"{article_id}@{content_hash[:16]}#{unit}"


def chroma_client(config: Config) -> ClientAPI:
    """Embedded persistent Chroma by default; a Chroma server when a URL is configured."""
    settings = Settings(anonymized_telemetry=False)
    if config.chroma_url:
        url = urlparse(config.chroma_url)
        if not url.hostname:
            raise ValueError(f"Chroma URL {config.chroma_url!r} has no host; expected http://HOST:PORT")
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    config.chroma_dir.mkdir(parents=True, exist_ok=True)
    with disk_errors(config.home, config.corpus_dir):
        return chromadb.PersistentClient(path=str(config.chroma_dir), settings=settings)


def unit_metadata(collection: Collection, page: int = 5000) -> Iterator[tuple[str, dict]]:
    """(unit id, metadata) of every stored unit, read in pages (one unbounded get fails past ~30k units)."""
    for offset in range(0, collection.count(), page):
        batch = collection.get(include=["metadatas"], limit=page, offset=offset)
        yield from zip(batch["ids"], batch["metadatas"], strict=True)


def unit_collection(client: ClientAPI) -> Collection:
    """One collection per embedding model, cosine space, with no embedding function of Chroma's own."""
    return client.get_or_create_collection(
        name=f"units_{MODEL_KEY}",
        embedding_function=None,
        configuration={"hnsw": {"space": "cosine"}},
    )
