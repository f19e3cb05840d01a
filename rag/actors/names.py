"""Which actor a name stands for: "Berlin" and "German" for Germany, "Kell" for Marta Kell.

Names come from three sources, later ones overriding earlier ones: the places gazetteer (every country
and its capital, alternative names and demonyms, plus world regions; `places.tsv`), the names spaCy
found in the indexed articles and grouped at ingest (`mentions.py`), and a maintainer's alias file.
Only capitalised word sequences are looked up, longest first, so "alliance" is no actor, "West Bank"
is not "the West" and "the European Commission" is not "Europe".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml

from rag import settings

PLACES = Path(__file__).with_name("places.tsv")
WORD = re.compile(r"(?:[A-Za-z]\.){2,}|[\w’'&.-]*\w")
POSSESSIVE = re.compile(r"['’]s?$")
# Ranks when one phrase names several actors: a place or group speaks for a person inside the phrase
# ("Kremlin spokesman Dmitry Peskov" is Russia), an organisation for its member, and an organisation
# named for a country before that country ("Chilean Energy" Ministry is itself first, then Chile).
KIND_RANK = {"alias": 0, "place": 0, "NORP": 0, "GPE": 0, "LOC": 0, "ORG": 1, "nested": 1.5, "PERSON": 2}


@dataclass(frozen=True)
class Name:
    """A name for an actor, and what kind of name it is (a place, an alias, or a spaCy entity label)."""

    name: str
    actor: str
    kind: str


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    text: str
    actor: str
    kind: str
    possessive: bool


def _key(text: str) -> str:
    """The lookup key of a name: without a possessive ending; lower-cased unless it is an acronym, so
    "WHO" and "US" are never the words "Who" and "Us"."""
    words = text.split()
    key = " ".join(POSSESSIVE.sub("", w) if i == len(words) - 1 else w for i, w in enumerate(words))
    return key if key.isupper() else key.lower()


@cache
def place_names() -> tuple[Name, ...]:
    names = []
    for line in PLACES.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        actor, _, aliases = line.split("\t")
        names += [Name(alias, actor, "place") for alias in aliases.split("|")]
    return tuple(names)


def read_alias_file(path: Path) -> list[Name]:
    """`actor: [name, ...]` pairs from a YAML file; a clear ValueError when it is not that shape."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path.name}: cannot read actor aliases ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ValueError(f"{path.name}: expected 'actor: [name, ...]' lines")
    return [Name(str(n), str(actor), "alias") for actor, names in data.items() for n in [actor, *names]]


class ActorNames:
    """Lower-cased name -> the actors it may stand for; one phrase at a time or every name in a text."""

    def __init__(self, names: Iterable[Name]) -> None:
        """Later curated names (places, then aliases) replace earlier ones; an alias that is itself an
        actor's name merges that actor into the alias's ("EU: [European Union]")."""
        self._by_key: dict[str, dict[str, str]] = {}  # name key -> actor -> kind
        merged: dict[str, str] = {}
        surnames: dict[str, set[str]] = {}  # "kell" -> {"Marta Kell"}: a surname alone names its person
        for name in names:
            key = _key(name.name)
            if not key:
                continue
            if name.kind == "alias":
                merged[name.name] = name.actor
            if name.kind in ("alias", "place"):
                self._by_key[key] = {name.actor: name.kind}  # curated names decide alone
            elif not any(kind in ("alias", "place") for kind in self._by_key.get(key, {}).values()):
                self._by_key.setdefault(key, {})[name.actor] = name.kind
                if name.kind == "PERSON" and len(key.split()) > 1:
                    surnames.setdefault(key.split()[-1], set()).add(name.actor)
        for surname, actors in surnames.items():
            self._by_key.setdefault(surname, dict.fromkeys(actors, "PERSON"))
        for key, actors in self._by_key.items():
            self._by_key[key] = {merged.get(actor, actor): kind for actor, kind in actors.items()}
        self._longest: dict[str, int] = {}  # a word a name can start with -> the most words such a name has
        for key in self._by_key:
            first, length = _key(key.split()[0]), len(key.split())
            self._longest[first] = max(length, self._longest.get(first, 0))

    def actors(self, name: str) -> set[str]:
        return set(self._by_key.get(_key(name), {}))

    def find(self, text: str) -> list[Found]:
        """Every name in a text, longest first and without overlaps, in reading order; after an
        organisation or group whose name opens with a place ("Chilean Energy" Ministry, not "Organization
        of American States"), that place as "nested"."""
        found: list[Found] = []
        for name in self._scan(text, 0, len(text), curated_only=False):
            found.append(name)
            if name.kind in ("ORG", "NORP"):
                places = self._scan(text, name.start, name.end, curated_only=True)
                found += [replace(p, kind="nested") for p in places[:1] if p.start == name.start and not p.possessive]
        return found

    def _scan(self, text: str, start: int, end: int, curated_only: bool) -> list[Found]:
        words = list(WORD.finditer(text, start, end))
        found: list[Found] = []
        i = 0
        while i < len(words):
            longest = self._longest.get(_key(words[i][0]), 0) if words[i][0][:1].isupper() else 0
            if not longest:
                i += 1
                continue
            for n in range(min(longest, settings.MAX_NAME_WORDS, len(words) - i), 0, -1):
                first, last = words[i].start(), words[i + n - 1].end()
                candidates = self._by_key.get(_key(text[first:last]))
                if candidates and len(candidates) == 1:
                    actor, kind = next(iter(candidates.items()))
                    if curated_only and kind not in ("alias", "place"):
                        continue
                    possessive = bool(POSSESSIVE.search(words[i + n - 1][0]))
                    found.append(Found(first, last, text[first:last], actor, kind, possessive))
                    i += n
                    break
            else:
                i += 1
        return found

    def actors_of(self, phrase: str, possessive: bool = True) -> list[str]:
        """The actors a phrase speaks for, the one it stands for first ("Kremlin spokesman Dmitry Peskov":
        Russia, then Dmitry Peskov). A possessive ("Kyiv’s European backers") yields to another name, and
        counts at all only when `possessive` ("Russia’s Foreign Intelligence Service" speaks for Russia)."""
        found = self.find(phrase)
        plain = [f for f in found if not f.possessive] or (found if possessive else [])
        ranked = sorted(plain, key=lambda f: (KIND_RANK.get(f.kind, 1), f.start))
        return list(dict.fromkeys(f.actor for f in ranked))

    def actor_of(self, phrase: str, possessive: bool = True) -> str | None:
        """The actor a phrase stands for (see `actors_of`)."""
        return next(iter(self.actors_of(phrase, possessive)), None)

    def actors_in(self, text: str) -> dict[str, list[str]]:
        """Actor -> the exact names a text uses for it."""
        named: dict[str, list[str]] = {}
        for f in self.find(text):
            named.setdefault(f.actor, []).append(f.text)
        return named

    def named_in(self, asked: dict[str, list[str]], text: str) -> str:
        """A question's own names for its actors (`actors_in(question)`) that a text names in other
        words ("Bolivia" when the text says "La Paz"), so word-matching can count them as present."""
        if not asked:
            return ""
        there = self.actors_in(text)
        return " ".join(name for actor, names in asked.items() if actor in there for name in names)


@cache
def place_actors() -> ActorNames:
    """The gazetteer alone, built once (every article's names are grouped against it at ingest)."""
    return ActorNames(place_names())
