"""The attribution rules' vocabulary, kept as data: add a word here, not a branch in the code."""

from __future__ import annotations

import re

# Verbs of saying, reporting and stance that introduce reported content (lemmas).
CUE_VERBS = frozenset(
    """
    say tell warn admit state claim add argue insist stress note explain announce report deny confirm suggest
    write accuse acknowledge believe think fear worry expect predict allege assert declare emphasise emphasize
    maintain reply respond recall caution concede contend complain urge describe learn reveal disclose indicate
    promise vow pledge threaten estimate testify signal hint mention tweet post reiterate observe remark
    conclude agree acknowledge charge counter retort quip joke boast lament concede
    """.split()
)
# Cue verbs whose content may be an infinitive ("vowed to fight on").
XCOMP_CUES = frozenset("promise vow pledge threaten urge expect agree".split())
# Adjectives that report a stance when they take a clause ("are concerned that …").
ADJECTIVE_CUES = frozenset("concerned worried convinced confident fearful adamant sure certain hopeful".split())
# Adverbs that mark a claim as reported without naming who reported it.
HEDGE_ADVERBS = frozenset("reportedly allegedly purportedly reputedly apparently".split())
CITING = "citing"

PRONOUN_SOURCES = {"he": "singular", "she": "singular", "they": "plural", "it": "singular", "we": "plural"}
# Titles written before a name, abbreviated with a full stop ("Capt. Ana Ruiz said"): a name after one is a
# person's, and the full stop ends no sentence.
PERSONAL_TITLES = frozenset(
    """
    Mr Mrs Ms Dr Prof Sen Sens Rep Gov Govs Gen Capt Lt Cmdr Adm Col Maj Sgt Cpl Pvt Supt Det Insp Atty Brig Rev Hon
    """.split()
)
# "his" / "their" as a source ("his demand for"): whose, the text around it rarely says; never shown as a speaker.
POSSESSIVE_SOURCES = frozenset({"his", "her", "their", "its", "our"})
# The "who" of "Modi, who had not opposed …": a source that stands for the noun phrase its clause hangs on.
RELATIVE_SOURCES = frozenset({"who", "which", "that"})

# Opening -> closing quotation marks of every common style.
QUOTE_PAIRS = {"“": "”", "«": "»", '"': '"', "„": "“", "‹": "›"}

# Heads of descriptions that name an institution rather than a person.
INSTITUTION_HEADS = frozenset(
    """
    ministry government army military police guard parliament council committee agency service office embassy
    department court union company firm party board lender regulator hospital university administration
    commission bank cabinet presidency
    secretariat navy force forces alliance bloc authority authorities regime state states nation nations
    country countries organisation organization institute federation league
    """.split()
)

# News outlets: well-known names, and words that name a newspaper, agency or broadcaster.
OUTLET_NAMES = (
    "Reuters",
    "Bloomberg",
    "Associated Press",
    "AP",
    "AFP",
    "Agence France-Presse",
    "BBC",
    "CNN",
    "TASS",
    "RIA Novosti",
    "Interfax",
    "Xinhua",
    "Al Jazeera",
    "Politico",
    "Axios",
    "Der Spiegel",
    "Le Monde",
    "Sky News",
    "NBC",
    "CBS",
    "ABC",
    "Fox News",
    "NPR",
    "Kyodo",
    "Yonhap",
    "IRNA",
    "Tasnim",
    "Anadolu",
    "dpa",
    "ANSA",
    "EFE",
    "RT",
    "Sputnik",
    "CNBC",
    "MSNBC",
)
OUTLET_WORDS = (
    "Times",
    "Post",
    "News",
    "Journal",
    "Herald",
    "Guardian",
    "Telegraph",
    "Gazette",
    "Courier",
    "Tribune",
    "Wire",
    "Daily",
    "Press",
    "Chronicle",
    "Observer",
    "Independent",
    "Mail",
    "Express",
    "Mirror",
    "Standard",
    "Monitor",
    "Economist",
    "Review",
    "Magazine",
    "Radio",
    "Television",
    "TV",
    "Broadcasting",
    "Newspaper",
    "Weekly",
)
OUTLET = re.compile(r"\b(?:" + "|".join(map(re.escape, OUTLET_NAMES + OUTLET_WORDS)) + r")\b")
# A description that says the source is an outlet ("the news site", "Iranian newspaper Kayhan"), and a US
# broadcaster's call sign ("KXYZ", "WABC-TV").
OUTLET_DESCRIPTION = re.compile(
    r"\b(?:news\s+(?:site|website|agency|outlet|channel|service|network|portal|organi[sz]ation)|newspaper|"
    r"broadcaster|tabloid|news\s*wire|(?:television|TV|radio)\s+station)\b",
    re.IGNORECASE,
)
CALL_SIGN = re.compile(r"[KW][A-Z]{2,3}(?:-(?:TV|FM|AM|DT))?")
# A negation right before a cue belongs to it ("has not said", "did not say", "never said"): what follows is
# not what the source said.
NEGATED_CUE = re.compile(
    r"\b(?:(?:has|have|had|did|does|do|is|are|was|were|will|would|could|can|should|may|might|must)\s+not"
    r"|(?:has|have|had|did|does|do|is|are|was|were|wo|would|could|ca|should|must)n['’]t"
    r"|(?:(?:has|have|had|will|would)\s+)?never)(?:\s+yet)?\s+$",
    re.IGNORECASE,
)
