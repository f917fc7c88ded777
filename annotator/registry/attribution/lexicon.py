"""Function words per language: what a noun-phrase scanner must not take for a name."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class Lexicon:
    determiners: frozenset[str]
    linkers: frozenset[str]  # join a postmodifier to a head: des/der (genitive), of
    conjunctions: frozenset[str]
    name_particles: frozenset[str]
    prepositions: frozenset[str]
    function_words: frozenset[str]
    pronouns: frozenset[str]
    clause_openers: frozenset[str]
    oblique_determiners: frozenset[str]  # an NP starting with these is no subject
    adverbs: frozenset[str]  # may stand between an inverted verb and its subject
    capitalised_heads: bool  # German nouns are capitalised; English heads are any content word
    adjective: Callable[[str], bool]


_GERMAN_ADJECTIVE = re.compile(
    r"(?:isch|lich|ig|iv|al|ell|är|ar|los|bar|sam|haft|end|ern)(?:e|en|er|es|em)$"
)
_GERMAN_COMMON_ADJECTIVES = words(
    "hohe hohen hoher neue neuen neuer anonyme anonymen große großen oberste obersten "
    "frühere früheren eigene eigenen gut"
)


def _german_adjective(lower: str) -> bool:
    return bool(_GERMAN_ADJECTIVE.search(lower)) or lower in _GERMAN_COMMON_ADJECTIVES


_DE_PREPOSITIONS = (
    "ab an am auf aus bei beim bis durch für gegen hinter im in ins mit nach neben ohne seit "
    "trotz über um unter vom von vor während wegen zu zum zur zwischen laut gemäß angesichts "
    "infolge zufolge innerhalb außerhalb aufgrund dank"
)
_DE_CONJUNCTIONS = (
    "und oder aber denn doch sondern dass ob weil da wenn als wie obwohl damit sodass nachdem "
    "bevor seitdem wo wobei zumal sowie"
)
_DE_ADVERBS = (
    "bereits zuvor auch jedoch dennoch zudem außerdem inzwischen nun jetzt heute gestern morgen "
    "damals bisher zuletzt erst schon noch immer nie oft so dann darauf danach deshalb daher "
    "trotzdem allerdings offenbar demnach somit also ebenfalls gleichzeitig zugleich hingegen "
    "dagegen insbesondere zusammenfassend bislang derzeit aktuell erstmals kürzlich später "
    "unterdessen indes mittlerweile hier dort erneut wiederholt stets mehrfach offiziell "
    "öffentlich ausdrücklich nicht nur gerade eben ja doch wohl sicher sicherlich vielleicht "
    "tatsächlich eigentlich nämlich übrigens schließlich endlich zunächst letztlich wirklich "
    "genau natürlich leider deswegen darum warum weshalb wieso dafür dazu davon daran damit "
    "hierzu hierbei dabei sehr ganz gar durchaus völlig einfach selbst fast rund etwa knapp "
    "zumeist meist meistens gerne gern"
)
_DE_PRONOUNS = "er sie es wir ich du ihr man sich wer was dies dieses jenes uns ihm ihn ihnen"

GERMAN = Lexicon(
    determiners=words(
        "der die das des dem den ein eine einer eines einem einen kein keine keiner keines "
        "keinem keinen dieser diese dieses diesem diesen jener jene jenes jenem jenen sein "
        "seine seiner seines seinem seinen ihr ihre ihrer ihres ihrem ihren beide beiden "
        "mehrere mehreren einige einigen viele vielen zahlreiche zahlreichen alle allen "
        "manche zwei drei vier fünf mein meine meiner meines meinem meinen unser unsere "
        "unserer unseres unserem unseren dein deine deiner deines deinem deinen euer eure "
        "eurer eures eurem euren"
    ),
    linkers=words("des der eines einer"),
    conjunctions=words("und sowie"),
    name_particles=words("von van de al bin ibn da di"),
    prepositions=words(_DE_PREPOSITIONS),
    function_words=words(" ".join((_DE_PREPOSITIONS, _DE_CONJUNCTIONS, _DE_ADVERBS, _DE_PRONOUNS))),
    pronouns=words("er sie"),
    clause_openers=words(_DE_CONJUNCTIONS),
    oblique_determiners=words("den dem einen einem"),
    adverbs=words(_DE_ADVERBS),
    capitalised_heads=True,
    adjective=_german_adjective,
)

_EN_CONJUNCTIONS = "and or but that which who whom whose while when because if although though so"
_EN_ADVERBS = (
    "also however now then already still just only even yesterday today earlier later "
    "recently again not no never"
)
_EN_PREPOSITIONS = (
    "in on at by for with from to into about after before over under during since against "
    "without according as via per near inside outside within"
)
ENGLISH = Lexicon(
    determiners=words(
        "the a an this these those his her their its several many some two three both all"
    ),
    linkers=words("of"),
    conjunctions=words("and"),
    name_particles=words("von van de al bin ibn da di"),
    prepositions=words(_EN_PREPOSITIONS),
    function_words=words(
        " ".join(
            (
                _EN_CONJUNCTIONS,
                _EN_ADVERBS,
                _EN_PREPOSITIONS,
                "than citing whether",
                "is are was were be been being has have had will would can could may might "
                "must shall should do does did",
                "it we i you he she they there here us him them me",
            )
        )
    ),
    pronouns=words("he she they i we you"),
    clause_openers=words(_EN_CONJUNCTIONS + " as since whereas where"),
    oblique_determiners=frozenset(),
    adverbs=words(_EN_ADVERBS),
    capitalised_heads=False,
    adjective=lambda lower: False,
)
