"""What the bot recognises in a question, built from the vocabulary files and from the index.

The index says which regulations exist (their short names and titles) and which words belong to the
field (the corpus's own vocabulary); knowledge/vocabulary/ says how kinds of regulation are spelled,
how people write, and the English words for the field's terms. Nothing here names a regulation.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.core.text import STOPWORDS, expand, stem
from knowledge.catalog import Catalog
from knowledge.vocabulary import Attribute, Kind, Vocabulary, load_vocabulary

# Lower-case words a title's acronym skips: "Sistem Pemerintahan Berbasis Elektronik" is SPBE.
_ACRONYM_SKIP = frozenset(
    "dan di dalam atas untuk pada yang serta ke dari oleh terhadap bagi tentang".split()
)
# Passages a word must occur in to count as one of the field's words.
_FIELD_FREQUENCY = 3
_NEGATED_WORDS = 4  # a negated phrase is a term ("audit keamanan"), not the rest of the sentence
_NOMOR = (
    r"\s*(?:ri\s*)?(?:no\.?|nomor|nomer|nmr)?\s*:?\s*(?P<n>\d{1,4}[a-z]?)\b"
    r"(?!\s*(?:ayat|angka|huruf|%|persen|hari|bulan))"
)
_TAHUN = r"(?:\s*(?:/|tahun|th\.?)\s*(?P<y>(?:19|20)\d{2}))?"
_YEAR = r"\s*(?:tahun\s+)?(?P<y>(?:19|20)\d{2})\b"


@dataclass(frozen=True)
class IndexedRegulation:
    """A regulation the index holds, with the parts of its name people use."""

    short_name: str
    kind: str  # the kind's short form ("Perpres", "Perbup")
    qualifier: str = ""  # region or ministry words, lower case ("batu bara")
    nomor: str = ""
    tahun: int | None = None
    title: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def acronym(self) -> str:
        """Initials of the title's subject: 'SPBE' for 'Sistem Pemerintahan Berbasis Elektronik'."""
        subject = re.split(r"\btentang\b", self.title, maxsplit=1, flags=re.I)[-1]
        subject = re.sub(r"\([^)]*\)", " ", subject)
        return "".join(
            w[0] for w in re.findall(r"[A-Za-z]+", subject) if w.lower() not in _ACRONYM_SKIP
        ).upper()

    @functools.cached_property
    def subject_words(self) -> frozenset[str]:
        """The words of the title's subject, lower case ("percepatan", "transformasi", "digital", ...)."""
        subject = re.split(r"\btentang\b", self.title, maxsplit=1, flags=re.I)
        if len(subject) < 2:
            return frozenset()
        return frozenset(re.findall(r"[a-z]+", re.sub(r"\([^)]*\)", " ", subject[1].lower())))

    @functools.cached_property
    def subject_stems(self) -> frozenset[str]:
        """Stems of the title's subject words."""
        return frozenset(stem(w) for w in self.subject_words)

    def title_match(self, words: Sequence[str], joiners: Collection[str] = ()) -> tuple[int, float, int]:
        """How well the words after a kind ("perpres percepatan transformasi digital ...") name this
        regulation's subject: (words that name it, share of the subject they cover, words read up to the
        last one that named it).

        Read from the first word (after joiners such as "tentang") up to the first word the title lacks;
        stopwords do not count. An acronym of part of the title counts for the words it stands for
        ("spbe" in "... Sistem Pemerintahan Berbasis Elektronik Nasional").
        """
        own = self.subject_words
        if not own:
            return 0, 0.0, 0
        score = covered = used = start = 0
        while start < len(words) and words[start] in joiners:
            start += 1
        for position in range(start, len(words)):
            word = words[position]
            if word in own or stem(word) in self.subject_stems:
                counts = word not in STOPWORDS
                score += counts
                covered += counts
            elif len(word) >= 3 and word.upper() in self.acronym:
                score += 1
                covered += len(word)
            else:
                break
            if word not in STOPWORDS:
                used = position + 1
        return score, covered / max(1, len(own - STOPWORDS)), used


@dataclass(frozen=True)
class RegulationMention:
    """A regulation named in a question, loosely ('perpres 95'), resolved to the index or not."""

    jenis: str
    nomor: str
    tahun: int | None
    text: str
    short_name: str | None = None
    qualifier: str = ""

    @property
    def display(self) -> str:
        """How to name it back to the user."""
        if self.short_name:
            return self.short_name
        # Region acronyms read as such: "Perda DKI", "Pergub NTB".
        qualifier = " ".join(w.upper() if len(w) <= 3 else w.title() for w in self.qualifier.split())
        head = " ".join(p for p in (self.jenis, qualifier) if p)
        if not self.nomor:
            return f"{head} {self.tahun}" if self.tahun else head
        return f"{head} {self.nomor}/{self.tahun}" if self.tahun else f"{head} {self.nomor}"


def _spelling_pattern(spelling: str) -> str:
    """'permen pan rb' also matches 'permenpan-rb' and 'permen panrb'; 'permen*' matches 'permenkes'."""
    pattern = r"[\s-]*".join(re.escape(part) for part in spelling.rstrip("*").split())
    return pattern + r"[a-z]*" if spelling.endswith("*") else pattern


def parse_short_name(short_name: str, kinds: Sequence[Kind]) -> IndexedRegulation:
    """The kind, qualifier, number and year in a short name ('Perbup Batu Bara 81/2021')."""
    for kind in sorted(kinds, key=lambda k: -len(k.short)):
        if not short_name.startswith(kind.short + " "):
            continue
        rest = short_name[len(kind.short) + 1 :]
        if not kind.numbered:
            year = re.fullmatch(r"(?:19|20)\d{2}", rest.strip())
            if year:
                return IndexedRegulation(short_name, kind.short, tahun=int(year.group(0)))
            continue
        m = re.fullmatch(r"(?:(?P<q>.+?)\s+)?(?P<n>\d+[A-Za-z]?)(?:/(?P<y>(?:19|20)\d{2}))?", rest.strip())
        if m:
            return IndexedRegulation(
                short_name,
                kind.short,
                (m.group("q") or "").lower(),
                m.group("n").lower(),
                int(m.group("y")) if m.group("y") else None,
            )
    return IndexedRegulation(short_name, "")


@dataclass
class Lexicon:
    """Regulation names, the field's words and the asked attributes, for one state of the index."""

    vocabulary: Vocabulary
    regulations: tuple[IndexedRegulation, ...] = ()
    document_frequency: Mapping[str, int] = field(default_factory=dict)
    documents: int = 0  # passages behind document_frequency
    newest_year: int | None = None  # the latest year any indexed document was made or reports on

    def __post_init__(self) -> None:
        self._by_initial: dict[str, tuple[str, ...]] | None = None
        self._kind_patterns = [(kind, *self._patterns(kind)) for kind in self.vocabulary.kinds]
        self._aliases = sorted(
            ((alias.lower(), r.short_name) for r in self.regulations for alias in r.aliases),
            key=lambda item: -len(item[0]),
        )
        glossary = sorted(self.vocabulary.glossary, key=len, reverse=True)
        self._glossary_re = (
            re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(g) for g in glossary) + r")(?![\w-])")
            if glossary
            else None
        )
        self._english_words = frozenset(w for g in self.vocabulary.glossary for w in g.split())
        negations = self.vocabulary.negations
        self._negation_re = (
            re.compile(rf"\b(?:{'|'.join(map(re.escape, negations))})\b") if negations else None
        )

    @classmethod
    def build(
        cls,
        names: Iterable[str],
        *,
        titles: Mapping[str, str] | None = None,
        catalog: Catalog | None = None,
        vocabulary: Vocabulary | None = None,
        document_frequency: Mapping[str, int] | None = None,
        documents: int = 0,
    ) -> Lexicon:
        """A lexicon for the indexed regulations named, with catalog aliases where the catalog has them."""
        vocabulary = vocabulary or load_vocabulary()
        titles = titles or {}
        regulations = []
        for name in dict.fromkeys(names):
            parsed = parse_short_name(name, vocabulary.kinds)
            entry = catalog.get(name) if catalog else None
            regulations.append(
                IndexedRegulation(
                    name,
                    parsed.kind,
                    parsed.qualifier,
                    parsed.nomor,
                    parsed.tahun,
                    (entry.title if entry else None) or titles.get(name, ""),
                    # Its own short name always names it, whatever its kind ("Perkades Sukamaju 3/2020").
                    (name.lower(), *(entry.aliases if entry else ())),
                )
            )
        years = [r.tahun for r in regulations if r.tahun]
        return cls(
            vocabulary,
            tuple(regulations),
            document_frequency or {},
            documents,
            max(years) if years else None,
        )

    @property
    def names(self) -> tuple[str, ...]:
        """Short names of the indexed regulations."""
        return tuple(r.short_name for r in self.regulations)

    # -- regulations -----------------------------------------------------------------------------
    def _patterns(
        self, kind: Kind
    ) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str] | None]:
        """(numbered or yearly pattern, acronym pattern, title pattern) for one kind."""
        spellings = sorted(kind.spellings, key=len, reverse=True)
        if not spellings:
            return None, None, None
        head = r"\b(?P<sp>" + "|".join(_spelling_pattern(s) for s in spellings) + r")"
        if not kind.numbered:
            return re.compile(head + _YEAR), None, None
        qualifier = rf"(?P<q>(?:\s+[a-z]+){{0,{kind.qualifier}}}?)" if kind.qualifier else "(?P<q>)"
        main = re.compile(head + qualifier + _NOMOR + _TAHUN)
        acronym = None
        if kind.acronym_titles:
            stop = "|".join(
                sorted(STOPWORDS | {"nomor", "no", "nomer", "ri", "tahun", "pasal"}, key=len, reverse=True)
            )
            acronym = re.compile(head + rf"\s+(?!(?:{stop})\b)(?P<a>[a-z]{{2,6}})\b(?!\s*\d)")
        # "perpres percepatan transformasi digital": the kind, then words of one title's subject.
        title = re.compile(head + r"(?P<t>(?:\s+[a-z]+){1,10})") if kind.numbered else None
        return main, acronym, title

    def find_regulations(self, text: str, *, english: bool = False) -> list[RegulationMention]:
        """Regulations a question names, in order of appearance; unresolved ones keep their spelling.

        In English an acronym precedes the kind ("the SPBE Presidential Regulation came into force"): a
        word after it is the sentence going on, not the acronym of a regulation we do not hold.
        """
        flat = expand(text)
        found: list[tuple[int, int, int, RegulationMention]] = []  # start, end, specificity, mention
        for kind, main, acronym, title in self._kind_patterns:
            # A spelling with a wildcard ("permen*") is the kind of last resort: "permenpanrb" is PermenPANRB.
            vague = 1000 if any(s.endswith("*") for s in kind.spellings) else 0
            for m in main.finditer(flat) if main else ():
                found.append((m.start(), m.end(), len(m.group("sp")) - vague, self._numbered(kind, m)))
            for m in acronym.finditer(flat) if acronym else ():
                mention = self._by_acronym(kind, m)
                if mention and (mention.short_name or not english):
                    found.append((m.start(), m.end(), len(m.group("sp")) - vague, mention))
            for m in title.finditer(flat) if title else ():
                named = self._by_title(kind, m)
                if named:
                    found.append((m.start(), named[1], len(m.group("sp")) - vague, named[0]))
            for reg in (r for r in self.regulations if r.kind == kind.short and r.qualifier):
                # "perbup batu bara" names the one indexed Perbup of Batu Bara without its number.
                for m in re.finditer(
                    r"\b(?P<sp>"
                    + "|".join(map(_spelling_pattern, kind.spellings))
                    + r")\s+"
                    + _spelling_pattern(reg.qualifier)
                    + r"\b",
                    flat,
                ):
                    found.append((m.start(), m.end(), len(m.group("sp")), _resolved(reg, m.group(0))))
        for alias, short in self._aliases:
            for m in re.finditer(rf"(?<!\w){re.escape(alias)}(?!\w)", flat):
                found.append((m.start(), m.end(), len(alias), RegulationMention("", "", None, alias, short)))
        # Overlapping matches: the longest wins ("permenpan 59 tahun 2020" over the alias "permenpan 59"),
        # then the most specific spelling ("peraturan menteri dalam negeri" is a Permendagri, not a
        # "peraturan menteri" of the "dalam negeri" ministry).
        found.sort(key=lambda item: (item[0], -(item[1] - item[0]), -item[2]))
        chosen: list[tuple[int, int, RegulationMention]] = []
        for start, end, _, mention in found:
            overlapping = [c for c in chosen if start < c[1] and c[0] < end]
            if not overlapping:
                chosen.append((start, end, mention))
            elif mention.short_name and all(not c[2].short_name for c in overlapping):
                # A resolved reading beats an unresolved one of the same words.
                chosen = [c for c in chosen if c not in overlapping] + [(start, end, mention)]
        chosen.sort(key=lambda item: item[0])
        out: list[RegulationMention] = []
        for _, _, mention in chosen:
            if not any(m.display == mention.display for m in out):
                out.append(mention)
        if english and not out:
            described = self.described(text)
            out += [described] if described else []
        return out

    def described(self, text: str) -> RegulationMention | None:
        """The indexed regulation an English question names by what it is about, if one stands out.

        "the 2023 digital transformation regulation", "the presidential regulation on accelerating digital
        transformation": words for any kind of regulation (terms.toml [regulation_names] generic), with
        the words around them read through the glossary and weighed by how few titles share them.
        """
        flat = expand(text).lower()
        tokens = re.findall(r"[a-z0-9]+", flat)
        cues = [i for i, w in enumerate(tokens) if w in self.vocabulary.generic_kinds]
        titled = [r for r in self.regulations if r.subject_words]
        if not cues or not titled:
            return None
        # A kind the question spells ("presidential regulation") narrows the candidates.
        kinds = {
            k.short
            for k in self.vocabulary.kinds
            if any(
                not s.endswith("*") and re.search(rf"\b{_spelling_pattern(s)}\b", flat) for s in k.spellings
            )
        }
        if any(r.kind in kinds for r in titled):
            titled = [r for r in titled if r.kind in kinds]
        spread: dict[str, int] = {}
        for reg in titled:
            for root in reg.subject_stems:
                spread[root] = spread.get(root, 0) + 1
        years = {int(y) for y in re.findall(r"\b(?:19|20)\d{2}\b", flat)}
        glossed = {w: {stem(g) for g in self.gloss(w).split() if g not in STOPWORDS} for w in set(tokens)}
        scored: list[tuple[float, IndexedRegulation]] = []
        for reg in titled:
            matched: set[str] = set()
            for cue in cues:
                # The words next to the cue, both ways, up to the first word the title lacks.
                for step, skip in ((1, self.vocabulary.title_joiners), (-1, ())):
                    position = cue + step
                    while 0 <= position < len(tokens) and tokens[position] in skip:
                        position += step
                    while 0 <= position < len(tokens):
                        word = tokens[position]
                        stems = glossed[word]
                        if stems & reg.subject_stems:
                            matched |= stems & reg.subject_stems
                        elif not (
                            word in self.vocabulary.title_between
                            or word.isdigit()
                            or (len(word) >= 3 and word.upper() in reg.acronym)
                        ):
                            break
                        position += step
            # A word every title shares ("sistem", "elektronik") tells none of them apart.
            if any(spread[s] < len(titled) for s in matched):
                score = sum(math.log((len(titled) + 1) / spread[s]) for s in matched)
                scored.append((score + (0.1 if reg.tahun in years else 0.0), reg))
        scored.sort(key=lambda item: -item[0])
        if not scored:
            # No title word: a kind and a year may still name one ("the 2018 SPBE presidential regulation").
            dated = [r for r in titled if r.tahun in years] if kinds else []
            scored = [(0.0, dated[0])] if len(dated) == 1 else []
        if not scored or (len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.05):
            return None
        best = scored[0][1]
        cue = tokens[cues[0]]  # the mention's words: what naming it took out of the question
        return RegulationMention(best.kind, best.nomor, best.tahun, cue, best.short_name, best.qualifier)

    def _numbered(self, kind: Kind, m: re.Match[str]) -> RegulationMention:
        if not kind.numbered:
            year = int(m.group("y"))
            name = f"{kind.short} {year}"
            short = name if name in self.names else None
            return RegulationMention(kind.short, "", year, m.group(0), short)
        qualifier = " ".join(w for w in m.group("q").split() if w not in STOPWORDS)
        nomor, tahun = m.group("n"), int(m.group("y")) if m.group("y") else None
        candidates = [
            r
            for r in self.regulations
            if r.kind == kind.short
            and r.nomor == nomor
            and (tahun is None or r.tahun == tahun)
            and (not qualifier or not r.qualifier or set(qualifier.split()) & set(r.qualifier.split()))
        ]
        short = candidates[0].short_name if len(candidates) == 1 else None
        return RegulationMention(kind.short, nomor, tahun, m.group(0), short, qualifier)

    def _by_acronym(self, kind: Kind, m: re.Match[str]) -> RegulationMention | None:
        """'perpres spbe' names the indexed Perpres whose title's acronym is SPBE; 'uu ite' one we lack."""
        word = m.group("a")
        matching = [r for r in self.regulations if r.kind == kind.short and r.acronym == word.upper()]
        if len(matching) == 1:
            return _resolved(matching[0], m.group(0))
        # An acronym no indexed title has, and no word of the field: a regulation we do not hold.
        if not matching and not self.frequency(word):
            return RegulationMention(kind.short, word.upper(), None, m.group(0))
        return None

    def _by_title(self, kind: Kind, m: re.Match[str]) -> tuple[RegulationMention, int] | None:
        """The one indexed regulation of a kind whose title's subject the words after the kind name,
        with where the naming ends."""
        words = m.group("t").split()
        joiners = self.vocabulary.title_joiners
        vague = any(s.endswith("*") for s in kind.spellings)
        if not vague and not any(r.kind == kind.short for r in self.regulations):
            # A kind the index holds none of, named by what it is about ("pergub dki tentang spbe", "perda
            # kota bandung mengenai ..."): a regulation we do not hold, refused by name like a numbered one.
            joiner = next((i for i, w in enumerate(words[: kind.qualifier + 1]) if w in joiners), None)
            if joiner is None:
                return None
            qualifier = " ".join(w for w in words[:joiner] if w not in STOPWORDS)
            end = _after_words(m, joiner)
            return RegulationMention(kind.short, "", None, m.string[m.start() : end], None, qualifier), end
        scored = sorted(
            ((r.title_match(words, joiners), r) for r in self.regulations if r.kind == kind.short),
            key=lambda item: item[0][:2],
            reverse=True,
        )
        # The best must name more of its title than any other ("perpres spbe" is the Perpres on SPBE,
        # not the one on SPBE's architecture).
        if not scored or scored[0][0][0] == 0 or (len(scored) > 1 and scored[1][0][:2] == scored[0][0][:2]):
            return None
        (_, _, used), best = scored[0]
        end = _after_words(m, used)  # the mention ends after the last word that named the title
        mention = RegulationMention(
            best.kind, best.nomor, best.tahun, m.string[m.start() : end], best.short_name, best.qualifier
        )
        return mention, end

    def unresolved_kind(self, text: str) -> str | None:
        """A kind the index holds, written with words that name none of its indexed regulations
        ("perpres satu data indonesia pasal 3"): the words as written; None when there is no such naming.

        The words run from the kind up to "pasal", "ayat" or a number, chat words at their end left out; at
        least two must carry content, so "perpres yg baru" or "perpres ini" name nothing of their own.
        """
        flat = expand(text)
        ignored = STOPWORDS | self.vocabulary.filler | set(self.vocabulary.title_joiners)
        for kind, _, _, title in self._kind_patterns:
            if title is None or not any(r.kind == kind.short for r in self.regulations):
                continue
            for m in title.finditer(flat):
                own = list(itertools.takewhile(lambda w: w not in ("pasal", "ayat"), m.group("t").split()))
                while own and own[-1] in ignored:
                    own.pop()
                if sum(1 for w in own if w not in ignored) >= 2 and self._by_title(kind, m) is None:
                    return " ".join([m.group("sp"), *own])
        return None

    def yearly(self, year: int) -> tuple[str, ...]:
        """Indexed documents named by a year (an evaluation report), for that year."""
        unnumbered = {k.short for k in self.vocabulary.kinds if not k.numbered}
        return tuple(r.short_name for r in self.regulations if r.kind in unnumbered and r.tahun == year)

    # -- the field's words -----------------------------------------------------------------------
    def frequency(self, word: str) -> int:
        """In how many passages a word (or its stem) occurs."""
        return self.document_frequency.get(word) or self.document_frequency.get(stem(word)) or 0

    def common(self, word: str, share: float = 0.08) -> bool:
        """Whether a word occurs in more than a share of the passages (too common to name a subject)."""
        return self.documents > 0 and self.frequency(word) / self.documents > share

    def without_negated(self, flat: str) -> str:
        """The question without what it says it is not about: "audit infrastruktur (yg bukan audit keamanan
        ya) ..." loses "bukan audit keamanan". A negation with nothing after it ("inspektorat bukan?") is a
        tag and stays."""
        if self._negation_re is None:
            return flat
        stops = self.vocabulary.particles | self.vocabulary.interrogatives
        cues = self._negation_re.finditer(flat)
        out = flat
        for cue in reversed(list(cues)):  # from the end, so earlier positions stay valid
            words: list[str] = []
            end = cue.end()
            for token in re.finditer(r"[^\W_]+(?:-[^\W_]+)*|[^\w\s]", flat[cue.end() :]):
                word = token.group(0)
                if not word[0].isalnum() or word in stops or len(words) == _NEGATED_WORDS:
                    break
                words.append(word)
                end = cue.end() + token.end()
            if any(w not in STOPWORDS for w in words):
                out = f"{out[: cue.start()]} {out[end:]}"
        if out == flat:
            return flat

        def emptied(m: re.Match[str]) -> str:  # "(yang ya)" once "bukan audit keamanan" has left it
            return m.group(0) if any(w not in STOPWORDS | stops for w in m.group(1).split()) else " "

        return " ".join(re.sub(r"\(([^()]*)\)", emptied, out).split())

    def relative_year(self, flat: str) -> int:
        """-1 for "tahun sebelumnya", +1 for "tahun berikutnya", 0 when no year is named relatively."""
        vocabulary = self.vocabulary
        if any(re.search(rf"\b{re.escape(p)}\b", flat) for p in vocabulary.previous_year):
            return -1
        if any(re.search(rf"\b{re.escape(p)}\b", flat) for p in vocabulary.next_year):
            return 1
        return 0

    def idf(self, word: str) -> float:
        """Inverse document frequency of a word in the indexed passages; 0 when absent."""
        df = self.frequency(word)
        return math.log((self.documents + 1) / (df + 0.5)) if df else 0.0

    def field_share(self, content: Sequence[str]) -> float:
        """The share of a question's words (or their synonyms) that are the corpus's; 0 without words.

        Numbers and single letters say nothing about the field ("hitungin 25 x 48"); words the documents
        say otherwise ("offline" for "luring") count through the synonyms.
        """
        content = [w for w in content if not w[0].isdigit() and len(w) > 1]
        if not content:
            return 0.0
        # A word the documents use only once or twice ("main", "gaji") is a coincidence, not the field's.
        known = sum(
            1
            for w in content
            if max(self.frequency(x) for x in (w, *self.synonyms(w), *self.gloss(w).split()))
            >= _FIELD_FREQUENCY
        )
        return known / len(content)

    def in_field(self, content: Sequence[str]) -> bool:
        """Whether a question's words are the corpus's: at least half of them are."""
        return self.field_share(content) >= 0.5

    def spell_places(self, flat: str) -> str:
        """A region or institution name misspelled after its head, spelled as the documents do
        ("kota makasar" -> "kota makassar"); other words as they are."""
        heads = self.vocabulary.slots[0] if self.vocabulary.slots else frozenset()

        tokens = flat.split(" ")
        for position in range(1, len(tokens)):
            word = tokens[position]
            if tokens[position - 1] not in heads or not word.isalpha() or len(word) < 5:
                continue
            if self.frequency(word) or word in STOPWORDS:
                continue
            close = difflib.get_close_matches(
                word, self._names_by_initial().get(word[0], ()), n=1, cutoff=0.85
            )
            if close:
                tokens[position] = close[0]
        return " ".join(tokens)

    def _names_by_initial(self) -> dict[str, tuple[str, ...]]:
        """The documents' words by first letter (alphabetic, 5+ letters), for spelling names."""
        if self._by_initial is None:
            grouped: dict[str, list[str]] = {}
            for word in self.document_frequency:
                if len(word) >= 5 and word.isalpha():
                    grouped.setdefault(word[0], []).append(word)
            self._by_initial = {k: tuple(v) for k, v in grouped.items()}
        return self._by_initial

    def place_words(self, text: str, *, english: bool = False) -> list[str]:
        """The words naming a region or institution ("banyuwangi"; "jawa", "barat"; "statistik").

        A name follows a head of the first slot in terms.toml (provinsi, kabupaten, kota, kementerian,
        badan...); the field's common words ("pusat", "indeks") and chat words are skipped, and a word the
        documents never use is kept when it opens the name (its figure must then be refused) and ends it
        otherwise (chat goes on after names). In an English question (read through the glossary) the name
        comes before its head ("Banyuwangi Regency") or after "of" ("Ministry of Finance").
        """
        heads = self.vocabulary.slots[0] if self.vocabulary.slots else frozenset()
        tokens = re.findall(r"[a-z0-9]+", expand(text))
        found: list[str] = []
        for position, token in enumerate(tokens):
            if token not in heads:
                continue
            following = tokens[position + 1 : position + 5]
            if english:
                found += self._name_before(tokens[max(0, position - 3) : position], heads)
                if following and following[0] in self.vocabulary.english:  # "Ministry of Finance"
                    following = following[1:]
            for offset, word in enumerate(following):
                if self._not_a_name(word, heads) or (english and word in self.vocabulary.english):
                    break
                if self.attribute(word):
                    break  # what is asked ("nilai") ends the name
                if not self.frequency(word):
                    # A name no document has ("kabupaten sleman") must still be found, so that its figure
                    # is refused; after the name's first word, such a word is chat ("madiun mau ..."). In
                    # English such a word is the sentence going on ("agency scored ...").
                    if offset == 0 and not english:
                        found.append(word)
                    break
                if not self.common(word):
                    found.append(word)
        return list(dict.fromkeys(found))

    def _name_before(self, before: list[str], heads: frozenset[str]) -> list[str]:
        """The words of a name written before its head, nearest first back to a function word."""
        name: list[str] = []
        for word in reversed(before):
            if (
                self._not_a_name(word, heads)
                or word in self.vocabulary.english
                or self.attribute(word)
                or (self.frequency(word) and self.common(word))
            ):
                break
            name.append(word)
        return name[::-1]

    def _not_a_name(self, word: str, heads: frozenset[str]) -> bool:
        """A word that cannot be part of a region's or institution's name: a head, a number, chat."""
        return (
            word in heads
            or word[0].isdigit()
            or len(word) < 2
            or word in STOPWORDS
            or word in self.vocabulary.filler
        )

    def is_english(self, text: str) -> bool:
        """Whether a question is written in English: most of its words are English function words or
        the glossary's English terms, or several are English function words and none Indonesian."""
        tokens = re.findall(r"[a-z]+", text.lower())
        english = sum(1 for t in tokens if t in self.vocabulary.english or t in self._english_words)
        # "Who designates the Aplikasi Umum in the first place?": the documents' own terms and English
        # words the glossary lacks outnumber the function words, yet no Indonesian one is there.
        function = sum(1 for t in tokens if t in self.vocabulary.english)
        indonesian = sum(1 for t in tokens if t in STOPWORDS and t not in self.vocabulary.english)
        return len(tokens) >= 3 and (english * 2 >= len(tokens) or (function >= 3 and not indonesian))

    def translate(self, text: str) -> str:
        """An English question in the documents' words ('master plan' -> 'rencana induk'); else as is."""
        return self.gloss(text) if self.is_english(text) else text

    def gloss(self, text: str) -> str:
        """English words and phrases of the field replaced by the documents' words."""
        if not self._glossary_re:
            return text
        return self._glossary_re.sub(lambda m: self.vocabulary.glossary[m.group(0)], text.lower())

    def attribute(self, flat: str) -> Attribute | None:
        """What the (expanded, translated) question asks about its subject, if code can tell."""
        return next((a for a in self.vocabulary.attributes if a.asked.search(flat)), None)

    def attributes(self, flat: str) -> tuple[Attribute, ...]:
        """Everything a question asks of its subject ("direviu kapan, trus yg ngereviu siapa?": time, who)."""
        return tuple(a for a in self.vocabulary.attributes if a.asked.search(flat))

    def injection(self, flat: str) -> bool:
        """Whether a message tries to change the bot's instructions ("abaikan instruksi sebelumnya")."""
        return any(p.search(flat) for p in self.vocabulary.injection)

    def later_event(self, flat: str) -> bool:
        """Whether a question asks about the future or about what happened after the documents."""
        return any(p.search(flat) for p in (*self.vocabulary.future, *self.vocabulary.since))

    def twins(self) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
        """Subjects the regulations treat side by side (instansi pusat / pemerintah daerah)."""
        return self.vocabulary.twins

    def synonyms(self, word: str) -> tuple[str, ...]:
        """The regulations' words for a question's word."""
        return self.vocabulary.synonyms.get(word, ())


def _after_words(m: re.Match[str], count: int) -> int:
    """Where a kind's mention ends when it takes `count` words of the title words after the kind."""
    tail = re.match(rf"(?:\s+[a-z]+){{{count}}}", m.group("t"))
    return m.start("t") + (tail.end() if tail else 0)


def _resolved(reg: IndexedRegulation, text: str) -> RegulationMention:
    return RegulationMention(reg.kind, reg.nomor, reg.tahun, text, reg.short_name, reg.qualifier)
