"""Understanding a query before ranking: NHS abbreviations and synonyms expanded from the
glossary, and words the index has never seen corrected to the closest word it knows.

Both use only what the index stored at build time (``query.json`` in the version: the
glossary's phrases and every word of the indexed text), so a query reads no YAML and
imports no content models. Nothing here ranks: it decides what text the rankers see.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from kb.search.bm25 import stemmer

# A word of a query or phrase: letters, digits, '&' (A&E) and apostrophes; hyphens and
# slashes separate words, so "multi-disciplinary" meets "multi disciplinary".
_WORD = re.compile(r"[\w&']+")
_SEPARATORS = re.compile(r"[-/]")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
MIN_SENTENCE_WORDS = 4  # shorter pieces ("Thanks.", "Any ideas?") say too little alone
# Unknown words shorter than this are left alone: three-letter words have too many close
# neighbours (and are often abbreviations the glossary does not hold) for a safe guess.
MIN_CORRECTED = 4


class StoredTerm(TypedDict):
    """What the index keeps of a glossary term: enough to expand a query, no more."""

    term: str
    expansion: str | None
    synonyms: list[str]


class QueryData(TypedDict):
    """``query.json`` of an index version."""

    glossary: list[StoredTerm]
    words: dict[str, int]  # every word of the indexed text (lower case) → entries holding it
    capitals_only: list[str]  # abbreviations spelled like a word ("NICE", "IT"): they count only in capitals


@dataclass(frozen=True)
class Expansion:
    """A glossary match shown with the results: "AHP → allied health professional"."""

    term: str
    expansion: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Understood:
    """A query as the rankers see it."""

    text: str  # as typed, whitespace collapsed
    corrected: str | None = None  # with unknown words corrected ("did you mean"), if any were
    expansions: list[Expansion] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # phrases the glossary adds for BM25
    expanded: str = ""  # the searched text with the added phrases in brackets, for the dense ranker

    @property
    def searched(self) -> str:
        """The query the rankers search for: corrected if a correction was found."""
        return self.corrected or self.text

    @property
    def bm25_text(self) -> str:
        return " ".join([self.searched, *self.added])

    @property
    def forms(self) -> list[str]:
        """The query, then (when it differs) its corrected and expanded form: an entry keeps
        the better score, so an expansion can only help a passage that matches it."""
        expanded = self.expanded or self.searched
        return [self.text] if expanded == self.text else [self.text, expanded]

    @property
    def sentences(self) -> list[str]:
        """A long statement's sentences, each scored alone (none for a short query)."""
        parts = [p for p in _SENTENCE_END.split(self.expanded or self.searched) if len(p.split()) >= MIN_SENTENCE_WORDS]
        return parts if len(parts) >= 2 else []

    @property
    def dense_texts(self) -> list[str]:
        """What the dense ranker embeds: the query's forms, then its sentences."""
        return self.forms + self.sentences


def words(text: str) -> list[str]:
    """The lower-case words of ``text``, as glossary phrases and queries are matched."""
    return _WORD.findall(_SEPARATORS.sub(" ", text.lower()))


@functools.cache
def _english() -> str:
    """symspellpy's English word list (82,765 words, one "word count" a line), as one
    string: a word found in it is real English, not a typo, even if no entry uses it.
    Searched, not split into a set: reading it takes ~1 ms, splitting it ~60."""
    spec = importlib.util.find_spec("symspellpy")  # finds the file without importing the package
    if spec is None or not spec.submodule_search_locations:
        return "\n"
    path = Path(next(iter(spec.submodule_search_locations))) / "frequency_dictionary_en_82_765.txt"
    return "\n" + path.read_text(encoding="utf-8")


def is_english(word: str) -> bool:
    return f"\n{word.lower()} " in _english()


@functools.cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def _singular(word: str) -> str | None:
    """``AHPs`` → ``ahp``, ``professionals`` → ``professional``: the one plural the
    glossary need not list."""
    return word[:-1] if len(word) >= 3 and word.endswith("s") and not word.endswith("ss") else None


class Glossary:
    """Every phrase of the glossary (term, expansion, synonyms) and the term it belongs to."""

    def __init__(self, terms: list[StoredTerm], capitals_only: set[str] | None = None):
        self.terms = terms
        self.capitals_only = capitals_only or set()
        self.phrases: dict[tuple[str, ...], tuple[int, str]] = {}  # words → (term, its role)
        for n, term in enumerate(terms):
            for role, phrase in [("expansion", term["expansion"]), *(("synonym", s) for s in term["synonyms"]), ("term", term["term"])]:
                key = tuple(words(phrase or ""))
                if key and (role == "term" or key not in self.phrases):  # a term's own name wins
                    self.phrases[key] = (n, role)
        self.longest = max((len(k) for k in self.phrases), default=0)

    def known_words(self) -> set[str]:
        return {w for key in self.phrases for w in key}

    def matches(self, text: str) -> list[tuple[int, str, str]]:
        """(term, role, the phrase as typed) for each glossary phrase in ``text``, longest
        first at each position, never overlapping."""
        spans = list(_WORD.finditer(_SEPARATORS.sub(" ", text)))  # same length: spans fit ``text``
        typed = [m.group() for m in spans]
        lower = [w.lower() for w in typed]
        found, start = [], 0
        while start < len(lower):
            for size in range(min(self.longest, len(lower) - start), 0, -1):
                hit = self._lookup(lower[start : start + size], typed[start : start + size])
                if hit is not None:
                    found.append((*hit, text[spans[start].start() : spans[start + size - 1].end()]))
                    start += size
                    break
            else:
                start += 1
        return found

    def _lookup(self, lower: list[str], typed: list[str]) -> tuple[int, str] | None:
        key = tuple(lower)
        hit = self.phrases.get(key)
        if hit is None and (last := _singular(key[-1])):
            hit = self.phrases.get((*key[:-1], last))
        if hit is None:
            return None
        # "NICE", "IT": an abbreviation spelled like a word counts only in capitals.
        if len(key) == 1 and key[0] in self.capitals_only and not typed[0].isupper():
            return None
        return hit

    def expand(self, text: str) -> tuple[list[Expansion], list[str], str]:
        """What to show ("AHP → allied health professional"), the phrases to add for BM25,
        and ``text`` with each addition in brackets after the words it explains (for the
        dense ranker, which reads a phrase in its sentence).

        An abbreviation adds what it stands for; a synonym or a plain word adds the term
        it stands for (and that term's expansion). A term typed as itself adds nothing
        more: measured on tests/eval, adding every synonym drowned the query (plain hit@3
        fell from 0.967 to 0.917), and adding them to BM25 at a lower weight (0.2 to 0.5)
        still cost plain MRR more than it gave the hard queries."""
        shown: list[Expansion] = []
        added: list[str] = []
        expanded = text
        present = _stems(text)
        for n, role, typed in reversed(self.matches(text)):  # from the end: earlier spans stay put
            term = self.terms[n]
            if role == "term":
                extra = [term["expansion"]] if term["expansion"] else []
            else:
                extra = [term["term"]] + ([term["expansion"]] if term["expansion"] and role == "synonym" else [])
            extra = [p for p in extra if p and not _stems(p) <= present]
            if not extra:
                continue
            shown.insert(0, Expansion(typed, extra[0] if len(extra) == 1 else f"{extra[0]} ({extra[1]})"))
            added[:0] = [p for p in extra if p not in added]
            at = expanded.rfind(typed)
            expanded = f"{expanded[: at + len(typed)]} ({'; '.join(extra)}){expanded[at + len(typed) :]}"
        return _unique(shown), added, expanded


def _stems(text: str) -> set[str]:
    return set(stemmer().stemWords(words(text)))


def _unique(items: list[Expansion]) -> list[Expansion]:
    return list(dict.fromkeys(items))


class Speller:
    """Corrects a word the index does not know to the closest one it does, when close."""

    def __init__(self, vocabulary: dict[str, int], stems: set[str] | Any):
        # Only real words are candidates: no numbers, nothing shorter than a guess is made for.
        self.frequency = {w: n for w, n in vocabulary.items() if w.isalpha() and len(w) >= MIN_CORRECTED - 1}
        self.choices = list(self.frequency)
        self.vocabulary = vocabulary
        self.stems = stems  # the BM25 index's stemmed words: a known stem is a known word

    def known(self, word: str) -> bool:
        lower = word.lower()
        singular = _singular(lower)
        return lower in self.vocabulary or (singular is not None and singular in self.vocabulary) or stemmer().stemWord(lower) in self.stems

    def correct(self, word: str) -> str | None:
        """The closest known word to an unknown ``word``, or None if it is known, too short,
        not a plain word, probably an abbreviation (capitals), real English that no entry
        happens to use ("bread" is not a typo of "break"), or nothing is close enough."""
        lower = word.lower()
        if len(word) < MIN_CORRECTED or not word.isalpha() or word.isupper() or lower in _stopwords() or self.known(word) or is_english(lower):
            return None
        from rapidfuzz import process
        from rapidfuzz.distance import OSA  # transpositions count once: "dementai"

        most = 1 if len(lower) <= 5 else 2
        close = process.extract(lower, self.choices, scorer=OSA.distance, score_cutoff=most, limit=None)
        if not close:
            return None
        best = min(close, key=lambda c: (c[1], -self.frequency[c[0]], c[0]))[0]
        return best if word.islower() else _same_case(word, best)

    def correct_text(self, text: str) -> str | None:
        """``text`` with each correctable word replaced, or None if none was."""
        changed = False
        seen: dict[str, str | None] = {}  # each distinct word looked up once, however often typed

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            word = match.group()
            if word not in seen:
                seen[word] = self.correct(word)
            changed = changed or seen[word] is not None
            return seen[word] or word

        corrected = re.sub(r"[^\W\d_]+", fix, text)
        return corrected if changed else None


def _same_case(typed: str, word: str) -> str:
    return word.capitalize() if typed[:1].isupper() else word


class QueryReader:
    """Turns a query into what the rankers see, from one index version's ``query.json``."""

    def __init__(self, data: QueryData, stems: set[str] | Any):
        self.glossary = Glossary(data["glossary"], set(data["capitals_only"]))
        self.speller = Speller(data["words"], stems)

    def understand(self, text: str) -> Understood:
        corrected = self.speller.correct_text(text)
        expansions, added, expanded = self.glossary.expand(corrected or text)
        return Understood(text, corrected, expansions, added, expanded)


def query_data(glossary: list[StoredTerm], texts: list[str]) -> QueryData:
    """What the index stores for understanding queries (called when the index is built,
    so that a query never reads the English word list just to read the glossary)."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in set(words(text)):
            counts[word] = counts.get(word, 0) + 1
    known = Glossary(glossary)
    for word in known.known_words():
        counts.setdefault(word, 1)
    return {"glossary": glossary, "words": counts, "capitals_only": sorted(_spelled_like_words(glossary))}


def _spelled_like_words(glossary: list[StoredTerm]) -> set[str]:
    """One-word abbreviations (in capitals in the glossary) that are also English words."""
    phrases = [p for t in glossary for p in (t["term"], *t["synonyms"]) if p.isupper() and len(words(p)) == 1]
    return {p.lower() for p in phrases if p.lower() in _stopwords() or is_english(p)}
