"""Build `rag/actors/places.tsv`: every country with the names news text uses for it, world regions, and
the international organisations news names by acronym.

    .venv/bin/pip install countryinfo==1.0.1 && .venv/bin/python train/gazetteer.py

Countries, capitals, alternative spellings and demonyms come from the `countryinfo` package (MIT licence,
data from REST Countries); the product reads only the TSV, so `countryinfo` is needed to rebuild it, not
to run. Added by hand: everyday names the package lacks ("Britain", "U.S."), seats of government used
for their country ("the Kremlin"), plurals of demonyms, world regions and organisations. Dropped: ISO codes other than
those news uses, and capitals that are everyday English words.
"""

from __future__ import annotations

import re
from pathlib import Path

from countryinfo import all_countries

OUT = Path(__file__).resolve().parents[1] / "rag" / "actors" / "places.tsv"
NEWS_CODES = {"UK", "US", "USA", "UAE", "DRC", "PRC", "ROK", "DPRK", "NZ", "PNG", "RSA", "KSA"}
COMMON_WORDS = {"Male", "Victoria", "Kingston", "Hamilton", "Road Town", "The Valley", "Avarua", "Palikir"}
EXTRA: dict[str, tuple[str, ...]] = {
    "United States": ("U.S.", "America", "Americans", "Washington", "White House", "Pentagon"),
    "United Kingdom": ("U.K.", "Britain", "Briton", "Britons", "Downing Street", "Whitehall"),
    "Russia": ("Kremlin", "Russian Federation"),
    "France": ("Élysée", "Elysee"),
    "China": ("Beijing", "Zhongnanhai"),
    "Ukraine": ("Kiev",),
    "Turkey": ("Türkiye",),
    "Netherlands": ("Dutch", "Holland", "The Hague"),
    "Ireland": ("Irish",),
    "Switzerland": ("Swiss",),
    "Vatican City": ("Holy See", "Vatican"),
    "Czechia": ("Czech Republic",),
    "North Korea": ("Pyongyang",),
    "Israel": ("Jerusalem",),
    # Seats of government other than the official capital.
    "Bolivia": ("La Paz",),
    "Ivory Coast": ("Abidjan", "Côte d'Ivoire"),
    "South Africa": ("Cape Town",),
    "Tanzania": ("Dar es Salaam",),
}
RENAME = {
    "Vatican City State": "Vatican City",
    "Holy See (Vatican City State)": "Vatican City",
    "Czech Republic": "Czechia",
    "Burma": "Myanmar",
    "Palestine, State of": "Palestine",
}
FORMER = {"Antilles néerlandaises", "Serbia and Montenegro"}
REGIONS: dict[str, tuple[str, ...]] = {
    "Europe": ("Europe", "European", "Europeans"),
    "Africa": ("Africa", "African", "Africans"),
    "Asia": ("Asia", "Asian", "Asians"),
    "Latin America": ("Latin America", "Latin American", "Latin Americans"),
    "Middle East": ("Middle East", "Middle Eastern"),
    "Baltic states": ("Baltic states", "Baltics", "Baltic"),
    "Nordic countries": ("Nordic countries", "Nordics", "Nordic"),
    "Balkans": ("Balkans", "Balkan"),
    "Gulf states": ("Gulf states", "Gulf Arab states"),
    "Caribbean": ("Caribbean",),
    "the West": ("West", "Western", "Westerners"),
    "Pacific islands": ("Pacific islands", "Pacific Island"),
}
ORGANISATIONS: dict[str, tuple[str, ...]] = {
    "European Union": (
        "European Union",
        "EU",
        "E.U.",
        "European Commission",
        "European Parliament",
        "European Council",
    ),
    "United Nations": ("United Nations", "UN", "U.N."),
    "NATO": ("NATO", "North Atlantic Treaty Organization", "North Atlantic Treaty Organisation"),
    "African Union": ("African Union",),
    "ASEAN": ("ASEAN", "Association of Southeast Asian Nations"),
    "OPEC": ("OPEC", "Organization of the Petroleum Exporting Countries"),
    "International Monetary Fund": ("International Monetary Fund", "IMF"),
    "World Bank": ("World Bank",),
    "World Health Organization": ("World Health Organization", "World Health Organisation", "WHO"),
    "World Trade Organization": ("World Trade Organization", "World Trade Organisation", "WTO"),
    "International Criminal Court": ("International Criminal Court", "ICC"),
    "OSCE": ("OSCE", "Organization for Security and Co-operation in Europe"),
    "International Atomic Energy Agency": ("International Atomic Energy Agency", "IAEA"),
    "G7": ("G7", "Group of Seven"),
    "G20": ("G20", "Group of 20"),
}
WORD = re.compile(r"^[A-Z][A-Za-z .'’-]+$")


def plural(demonym: str) -> str | None:
    """ "German" -> "Germans"; demonyms in -ese, -ish, -ch, -ss or -i take no plural s in use."""
    return None if re.search(r"(?:ese|ish|ch|ss|i)$", demonym) else demonym + "s"


def country_names(data: dict) -> list[str]:
    names = [data["name"]]
    names += [a for a in data.get("altSpellings", []) if a in NEWS_CODES or (len(a) > 3 and WORD.match(a))]
    capitals = data.get("capital") or []
    names += [c for c in ([capitals] if isinstance(capitals, str) else capitals) if c and c not in COMMON_WORDS]
    for demonym in (data.get("demonym") or "").split(","):
        demonym = demonym.strip()
        if demonym:
            names += [demonym, *filter(None, [plural(demonym)])]
    return names


def without_shared_names(rows: dict[str, list[str]], population: dict[str, int]) -> dict[str, list[str]]:
    """A name several places share ("French", "Norwegian") stays with its own place or the most populous."""
    owners: dict[str, list[str]] = {}
    for place, names in rows.items():
        for name in names:
            owners.setdefault(name, []).append(place)

    def owner(name: str) -> str:
        places = owners[name]
        return name if name in places else max(places, key=lambda p: population.get(p, 0))

    return {place: [n for n in dict.fromkeys(names) if owner(n) == place] for place, names in rows.items()}


def main() -> None:
    rows: dict[str, list[str]] = {}
    population: dict[str, int] = {}
    for data in (country.info() for country in all_countries()):
        if data["name"] in FORMER:
            continue
        name = RENAME.get(data["name"], data["name"])
        rows.setdefault(name, []).extend(country_names(data))
        population[name] = max(population.get(name, 0), data.get("population") or 0)
    for name, extra in EXTRA.items():
        rows[name] += extra
    rows = without_shared_names(rows, population)
    lines = ["# actor\tkind\tnames (|-separated); built by train/gazetteer.py"]
    lines += [f"{n}\tcountry\t{'|'.join(names)}" for n, names in sorted(rows.items())]
    lines += [f"{n}\tregion\t{'|'.join(names)}" for n, names in REGIONS.items()]
    lines += [f"{n}\torganisation\t{'|'.join(names)}" for n, names in ORGANISATIONS.items()]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} countries, {len(REGIONS)} regions, {len(ORGANISATIONS)} organisations -> {OUT}")


if __name__ == "__main__":
    main()
