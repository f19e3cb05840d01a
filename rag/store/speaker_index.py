"""Who speaks where: stored attributions and the speaker-phrase index that "What did X say?" searches."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from rag.attribution.spans import Attribution
from rag.store.database import CatalogDatabase, in_articles


@dataclass(frozen=True)
class StoredAttribution:
    article_id: str
    unit: int | None
    attribution: Attribution


class SpeakerIndex:
    """Reads of the attributions committed with each article, by article, unit or speaker phrase."""

    def __init__(self, db: CatalogDatabase) -> None:
        self._db = db

    def attributions(self, article_ids: set[str] | None = None) -> list[StoredAttribution]:
        """Stored attributions in reading order: of the given articles, or of all."""
        kept, args = in_articles(article_ids)
        rows = self._db.query(f"SELECT * FROM attributions WHERE {kept} ORDER BY article_id, position", args)
        return [
            StoredAttribution(row["article_id"], row["unit"], Attribution.from_dict(json.loads(row["data"])))
            for row in rows
        ]

    def phrases(self, words: list[str]) -> list[str]:
        """Lower-cased speaker phrases with a word starting with each of the given words ("peskov" finds
        "kremlin spokesman dmitry peskov's"), through the word index."""
        tokens = [t for word in words for t in re.findall(r"\w+", word.lower())]
        if not tokens:
            return []
        match = " AND ".join(f'"{t}"*' for t in tokens)
        rows = self._db.query(
            "SELECT phrase FROM speaker_phrases WHERE rowid IN"
            " (SELECT rowid FROM speaker_words WHERE speaker_words MATCH ?)",
            (match,),
        )
        return [row["phrase"] for row in rows]

    def spoken_count(self, phrases: frozenset[str]) -> int:
        """How many cues these speaker phrases have (counted on the speaker index, no row is read)."""
        marks = ",".join("?" * len(phrases))
        return self._db.query(f"SELECT count(*) FROM attributions WHERE speaker IN ({marks})", tuple(phrases))[0][0]

    def articles_spoken_in(self, phrases: frozenset[str], most: int) -> set[str]:
        """Up to `most` articles where one of these speaker phrases speaks (on the speaker index)."""
        marks = ",".join("?" * len(phrases))
        rows = self._db.query(
            f"SELECT DISTINCT article_id FROM attributions WHERE speaker IN ({marks}) LIMIT ?", (*phrases, most)
        )
        return {row["article_id"] for row in rows}

    def spoken_units(self, phrases: frozenset[str]) -> list[tuple[str, int]]:
        """(article id, unit) of the cues of these speaker phrases, read from the speaker index alone (a
        join to committed articles triples the cost)."""
        marks = ",".join("?" * len(phrases))
        rows = self._db.query(
            f"SELECT article_id, unit FROM attributions WHERE speaker IN ({marks}) AND unit IS NOT NULL", tuple(phrases)
        )
        return [(row["article_id"], row["unit"]) for row in rows]

    def of_units(self, units: set[tuple[str, int]]) -> dict[tuple[str, int], set[str]]:
        """The lower-cased speaker phrases of each of these units' cues."""
        found: dict[tuple[str, int], set[str]] = {}
        articles = {a for a, _ in units}
        kept, args = in_articles(articles)
        for row in self._db.query(f"SELECT article_id, unit, speaker FROM attributions WHERE {kept}", args):
            if (row["article_id"], row["unit"]) in units:
                found.setdefault((row["article_id"], row["unit"]), set()).add(row["speaker"])
        return found
