"""Actors found in the articles: places from the gazetteer, names grouped within an article, aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.actors.mentions import article_names
from rag.actors.names import ActorNames, Name, place_names, read_alias_file
from rag.attribution.extract import parse

SEED = Path("corpus/mna-2025-02-01-eu-divided-over-western-troops.md").read_text(encoding="utf-8")
UNION_STORY = (
    "Union leader Marta Kell said the strike would go on. Kell told reporters the offer was an insult. "
    "The Liberal Democrats oppose the plan, and the European Fisheries Council declined to comment. "
    "The Coastal Freight Authority (CFA) said nothing; the CFA rarely does."
)


@pytest.fixture(scope="module")
def seed_names() -> ActorNames:
    return ActorNames([*place_names(), *article_names(parse(SEED))])


@pytest.fixture(scope="module")
def union_names() -> ActorNames:
    return ActorNames([*place_names(), *article_names(parse(UNION_STORY))])


@pytest.mark.parametrize(
    ("phrase", "actor"),
    [
        ("Berlin", "Germany"),
        ("Kremlin spokesman Dmitry Peskov", "Russia"),
        ("senior Russian diplomat Rodion Miroshnik", "Russia"),
        ("Russia’s Foreign Intelligence Service", "Russia"),
        ("Kyiv’s European backers", "Europe"),
        ("the Nordic nations", "Nordic countries"),
        ("a non-Western force", None),
        ("the port workers", None),
        ("The alliance", None),
        ("Ottawa", "Canada"),
        ("Mexico City", "Mexico"),
    ],
)
def test_names_that_mean_one_actor_are_grouped(seed_names: ActorNames, phrase: str, actor: str | None) -> None:
    assert seed_names.actor_of(phrase) == actor


def test_possessives_name_an_actor_only_when_allowed(seed_names: ActorNames) -> None:
    assert seed_names.actor_of("Washington’s participation", possessive=False) is None
    assert seed_names.actor_of("Washington’s participation") == "United States"


def test_a_phrase_speaks_for_its_place_first_and_its_person_too(seed_names: ActorNames) -> None:
    assert seed_names.actors_of("Kremlin spokesman Dmitry Peskov") == ["Russia", "Dmitry Peskov"]
    assert seed_names.actors_in("Compare what Peskov and Miroshnik said.") == {
        "Dmitry Peskov": ["Peskov"],
        "Rodion Miroshnik": ["Miroshnik"],
    }


def test_one_person_is_one_actor_and_longer_names_win(union_names: ActorNames) -> None:
    for phrase in ("union leader Marta Kell", "Union leader Marta Kell", "Kell"):
        assert union_names.actor_of(phrase) == "Marta Kell"
    assert union_names.actor_of("the European Fisheries Council") == "European Fisheries Council"
    assert union_names.actor_of("the European Commission") == "European Union"
    assert union_names.actor_of("the CFA") == "Coastal Freight Authority"
    assert union_names.actor_of("The alliance") is None and union_names.actor_of("NATO") == "NATO"
    found = union_names.actors_in("Ottawa, Berlin, Mexico City and the Liberal Democrats oppose it")
    assert set(found) == {"Canada", "Germany", "Mexico", "Liberal Democrats"}


def test_a_maintainers_alias_file_merges_and_renames(tmp_path: Path, union_names: ActorNames) -> None:
    aliases = tmp_path / "actors.yaml"
    aliases.write_text("Fisheries Europe: [European Fisheries Council, Brussels]\n")
    names = ActorNames([*place_names(), *article_names(parse(UNION_STORY)), *read_alias_file(aliases)])
    assert names.actor_of("the European Fisheries Council") == "Fisheries Europe"
    assert names.actor_of("Brussels") == "Fisheries Europe", "an alias overrides the gazetteer"
    assert names.actors("Belgium") == {"Belgium"}


def test_a_broken_alias_file_gets_a_clear_error(tmp_path: Path) -> None:
    aliases = tmp_path / "actors.yaml"
    aliases.write_text("- just\n- a list\n")
    with pytest.raises(ValueError, match=r"expected .actor: \[name, \.\.\.\]."):
        read_alias_file(aliases)


def test_ambiguous_names_stand_for_no_single_actor() -> None:
    names = ActorNames([Name("Ann Lee", "Ann Lee", "PERSON"), Name("Bo Lee", "Bo Lee", "PERSON")])
    assert names.actors("Lee") == {"Ann Lee", "Bo Lee"}
    assert names.actor_of("Lee said so") is None


def test_acronyms_match_only_in_capitals(seed_names: ActorNames) -> None:
    assert seed_names.actor_of("WHO experts") == "World Health Organization"
    assert seed_names.actor_of("Who said it?") is None
    assert seed_names.actor_of("Let us know") is None and seed_names.actor_of("US troops") == "United States"


def test_an_organisation_named_for_a_country_also_speaks_for_it() -> None:
    names = ActorNames([*place_names(), Name("Chilean Energy", "Chilean Energy", "ORG")])
    assert names.actors_of("Chilean Energy Minister Tomás Herrera") == ["Chilean Energy", "Chile"]
