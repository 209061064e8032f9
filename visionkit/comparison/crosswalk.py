"""The label crosswalk: which words from different backends mean the same thing.

A CIFAR-10 model says "automobile"; Azure says "car", "vehicle" or "land
vehicle". Comparing strings would call that a disagreement, so every label is
first mapped to a *concept* (a canonical name with synonyms), and concepts form
a tree (cat -> mammal -> animal). Two labels then relate in one of four ways:
the same concept, one broader than the other (compatible, less specific), or
unrelated.

The default table covers the CIFAR-10 classes and the broader words cloud
services use for them. A user's own classes (a model trained on their folders)
are added in configuration, in the same shape as :func:`Crosswalk.extended`
takes::

    [compare.crosswalk]
    cat = ["tabby", "maine coon"]            # more words for an existing concept

    [compare.crosswalk.sailboat]             # a new concept, under an existing one
    synonyms = ["sailboat", "yacht", "dinghy"]
    parent = "watercraft"

Labels are compared case-insensitively, with ``_`` and repeated spaces read as
one space, and a plural the table lacks read as its singular, because vendors
differ in exactly those ways (Azure "dog", Google "Dog", "Dogs").

AWS's ``Parents`` need no entries here: its mapper gives each tag its nearest
parent as ``hint``, and a tag the crosswalk does not know stands for its hint
("Stallion" -> "Horse"); object lineages carry the whole chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from visionkit.errors import ConfigError


class Relation(StrEnum):
    """How two labels relate through the crosswalk."""

    SAME = "same"
    BROADER = "broader"  # the first label is an ancestor of the second
    NARROWER = "narrower"  # the first label is a descendant of the second
    UNRELATED = "unrelated"

    @property
    def compatible(self) -> bool:
        """Same concept, or one a more general word for the other."""
        return self is not Relation.UNRELATED


@dataclass(frozen=True, slots=True)
class Concept:
    """A canonical name, the words that mean it, and the broader concept it belongs to."""

    name: str
    synonyms: frozenset[str]
    parent: str | None = None


_SPACES = re.compile(r"[\s_]+")


def normalize_label(label: str) -> str:
    """``"Land_Vehicle "`` -> ``"land vehicle"``: the form every lookup uses."""
    return _SPACES.sub(" ", label).strip().lower()


# Each entry: concept -> (synonyms, parent). The concept's own name is always a synonym.
# Cloud words come from the answers in the shared fixtures (Google's 2017 labels such as
# "dog like mammal", "vertebrate", "cattle like mammal"; Rekognition's "Canine", "Collie",
# "Stallion", "Andalusian Horse", "Bull", "Angus") and from the vendors' label names for the
# CIFAR-10 classes ("Felidae", "Carnivore", "Motor vehicle", "Transportation"). A word for a
# rank the tree lacks goes to the nearest broader concept it has ("vertebrate" -> animal,
# "carnivore" -> mammal), so it stays compatible with the local backend's derived tags.
_DEFAULT: dict[str, tuple[tuple[str, ...], str | None]] = {
    # broader concepts, the vocabulary clouds answer with when they are less sure
    "animal": (("animals", "fauna", "wildlife", "creature", "vertebrate", "chordate"), None),
    "mammal": (("mammals", "carnivore", "carnivora", "carnivoran", "placental"), "animal"),
    "amphibian": (("amphibians",), "animal"),
    "vehicle": (("vehicles", "transport", "transportation", "mode of transport"), None),
    "land vehicle": (
        ("motor vehicle", "wheeled vehicle", "commercial vehicle"), "vehicle"
    ),
    "aircraft": (("aviation",), "vehicle"),
    "watercraft": (("vessel", "watercraft vessel"), "vehicle"),
    # the CIFAR-10 classes
    "airplane": (
        ("aeroplane", "plane", "airliner", "jet", "jetliner", "jet aircraft", "wide-body aircraft",
         "narrow-body aircraft", "fixed-wing aircraft"),
        "aircraft",
    ),
    "automobile": (
        ("car", "auto", "sedan", "hatchback", "coupe", "sports car", "compact car",
         "family car", "station wagon", "convertible", "suv", "motorcar", "personal luxury car",
         "mid-size car", "full-size car", "city car", "sport utility vehicle"),
        "land vehicle",
    ),
    "bird": (("birds", "songbird", "passerine", "sparrow", "finch", "ostrich", "emu"), "animal"),
    "cat": (
        ("kitten", "feline", "kitty", "domestic cat", "tabby", "tabby cat", "felidae",
         "small to medium-sized cats", "domestic short-haired cat"),
        "mammal",
    ),
    "cattle": (
        ("cattle like mammal", "cow", "bull", "ox", "calf", "bovine", "angus", "longhorn"),
        "mammal",
    ),
    "deer": (("fawn", "elk", "moose", "reindeer", "roe deer", "red deer", "cervidae"), "mammal"),
    "dog": (
        ("puppy", "canine", "dog breed", "hound", "terrier", "retriever", "chihuahua",
         "pug", "beagle", "poodle", "spaniel", "dog like mammal", "canidae", "dog breed group",
         "collie", "rough collie", "border collie", "sheepdog"),
        "mammal",
    ),
    "frog": (("toad", "bullfrog", "tree frog", "true frog", "ranidae"), "amphibian"),
    "horse": (
        ("pony", "foal", "stallion", "mare", "equine", "colt horse", "andalusian horse",
         "mustang horse", "equidae", "sorrel"),
        "mammal",
    ),
    "ship": (
        ("boat", "cruise ship", "ocean liner", "cargo ship", "container ship", "ferry",
         "tanker", "naval ship"),
        "watercraft",
    ),
    "truck": (
        ("lorry", "pickup truck", "trailer truck", "semi-trailer truck", "dump truck",
         "fire truck", "tow truck"),
        "land vehicle",
    ),
}  # fmt: skip


class Crosswalk:
    """Maps labels to concepts and answers how two labels relate; immutable.

    Build the default with :meth:`default`, add entries with :meth:`extended`
    (a new object is returned, so a shared crosswalk is never changed under a
    running comparison).
    """

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self._concepts: dict[str, Concept] = {}
        for concept in concepts:
            self._concepts[concept.name] = concept
        self._index: dict[str, str] = {}
        for concept in self._concepts.values():
            # Later entries win, so a user's table can move a word to their own concept.
            for word in (concept.name, *sorted(concept.synonyms)):
                self._index[word] = concept.name
        for concept in self._concepts.values():
            self._index[concept.name] = concept.name  # a concept's own name is never taken
        self._check_tree()

    @classmethod
    def default(cls) -> Crosswalk:
        """CIFAR-10's classes and the cloud words for them (see the module docstring)."""
        return cls(
            Concept(name, frozenset(synonyms), parent)
            for name, (synonyms, parent) in _DEFAULT.items()
        )

    def extended(self, table: Mapping[str, Any], *, source: str = "crosswalk") -> Crosswalk:
        """A copy with ``table`` merged in: ``{concept: [synonyms]}`` or
        ``{concept: {"synonyms": [...], "parent": "..."}}``.

        A list adds words to a concept (creating it, without a parent, if new);
        a table may also set or change the parent. ``source`` names where the
        table came from in error messages (a config file, ``configure()``).
        """
        concepts = dict(self._concepts)
        for raw_name, spec in table.items():
            name = normalize_label(str(raw_name))
            synonyms, parent = _parse_entry(name, spec, source)
            old = concepts.get(name)
            if old is not None:
                synonyms = synonyms | old.synonyms
                parent = parent if parent is not None else old.parent
            concepts[name] = Concept(name, synonyms, parent)
        return Crosswalk(concepts.values())

    # -- lookups ------------------------------------------------------------------------

    def concept(self, label: str) -> str | None:
        """The concept ``label`` names, or ``None`` if the crosswalk does not know it.

        A plural the table does not list is read as its singular ("Cats", "Horses",
        "Puppies", "Boxes"): vendors answer in either number, and listing both for
        every word would double the table.
        """
        word = normalize_label(label)
        found = self._index.get(word)
        if found is None:
            for singular in _singulars(word):
                found = self._index.get(singular)
                if found is not None:
                    break
        return found

    def ancestors(self, concept: str) -> tuple[str, ...]:
        """Broader concepts, nearest first: ``ancestors("cat") == ("mammal", "animal")``."""
        chain: list[str] = []
        node = self._concepts.get(concept)
        while node is not None and node.parent is not None:
            chain.append(node.parent)
            node = self._concepts.get(node.parent)
        return tuple(chain)

    def relation(self, first: str, second: str) -> Relation:
        """How two concepts (or labels) relate; unknown labels relate only to themselves."""
        a = self.concept(first) or normalize_label(first)
        b = self.concept(second) or normalize_label(second)
        if a == b:
            return Relation.SAME
        if a in self.ancestors(b):
            return Relation.BROADER
        if b in self.ancestors(a):
            return Relation.NARROWER
        return Relation.UNRELATED

    def closure(self, concepts: Iterable[str]) -> frozenset[str]:
        """The concepts and every ancestor of each: saying "cat" also says "animal"."""
        out: set[str] = set()
        for concept in concepts:
            out.add(concept)
            out.update(self.ancestors(concept))
        return frozenset(out)

    @property
    def concepts(self) -> Mapping[str, Concept]:
        return dict(self._concepts)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The table in the shape :meth:`extended` reads (for docs and ``--json``)."""
        return {
            c.name: {"synonyms": sorted(c.synonyms - {c.name}), "parent": c.parent}
            for c in self._concepts.values()
        }

    def _check_tree(self) -> None:
        for concept in self._concepts.values():
            if concept.parent is not None and concept.parent not in self._concepts:
                raise ConfigError(
                    f"Crosswalk concept {concept.name!r} has parent {concept.parent!r}, which is "
                    f"not a concept. Add [compare.crosswalk.{concept.parent}] or use one of: "
                    f"{', '.join(sorted(self._concepts))}."
                )
            seen = {concept.name}
            node = concept
            while node.parent is not None:
                if node.parent in seen:
                    raise ConfigError(
                        f"Crosswalk concepts form a cycle through {node.parent!r}; a parent "
                        "must be broader than its child."
                    )
                seen.add(node.parent)
                node = self._concepts[node.parent]


def _singulars(word: str) -> tuple[str, ...]:
    """English singulars ``word`` may be the plural of, most likely first (may be non-words)."""
    if not word.endswith("s") or word.endswith("ss") or len(word) < 4:
        return ()
    if word.endswith("ies"):
        return (word[:-3] + "y", word[:-1])
    if word.endswith("es"):
        return (word[:-1], word[:-2])
    return (word[:-1],)


def _parse_entry(name: str, spec: Any, source: str) -> tuple[frozenset[str], str | None]:
    if isinstance(spec, str):
        spec = [spec]
    if isinstance(spec, list | tuple):
        return _words(name, spec, source), None
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"synonyms", "parent"}
        if unknown:
            raise ConfigError(
                f"Unknown key(s) {sorted(unknown)} for crosswalk concept {name!r} in {source}; "
                "a concept takes 'synonyms' (a list) and 'parent' (a concept name)."
            )
        parent = spec.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise ConfigError(f"crosswalk {name!r}.parent in {source} must be a concept name.")
        words = _words(name, spec.get("synonyms", []), source)
        return words, normalize_label(parent) if parent is not None else None
    raise ConfigError(
        f"Crosswalk entry {name!r} in {source} must be a list of synonyms or a table with "
        f"'synonyms' and 'parent', not {type(spec).__name__}."
    )


def _words(name: str, values: Any, source: str) -> frozenset[str]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"crosswalk {name!r} synonyms in {source} must be a list of strings.")
    return frozenset(normalize_label(v) for v in values) | {name}


__all__ = ["Concept", "Crosswalk", "Relation", "normalize_label"]
