"""Answers computed from the evaluation results: an instansi's index, its change and rank, extremes, counts,
national figures. Every figure comes from the records ingest read out of the reports' tables, and every
number of the sentence that states it is checked against them before it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extractOne

from bot.core.models import Answer, Passage, Topic
from bot.core.text import STOPWORDS, content_words, dictionary_words, expand, stem
from knowledge.results import Figure, ResultRecord, ResultsVocabulary, load_results_vocabulary, words_pattern
from knowledge.schema import Citation, squash

RESULTS_ATTRIBUTE = "results"  # Topic.attribute of an answer computed from the records
ALL_CATEGORIES = "semua"  # results.toml [asks.categories]: words for every instansi at once
# A year, not the year of a regulation's number ("perpres 95/2018").
_YEAR_RE = re.compile(r"(?<![/\d])\b((?:19|20)\d{2})\b")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
_MAX_ROWS = 10
_TYPO_MIN_LENGTH = 5  # shorter words are too often another real word one edit away


def decimal(value: float) -> str:
    """3.5 -> '3,50': the reports write indices with a decimal comma and two decimals."""
    return f"{value:.2f}".replace(".", ",")


@dataclass(frozen=True)
class Entity:
    """One instansi across the reports: its category and its name without the kind of government."""

    category: str
    key: str  # squashed canonical name


@dataclass(frozen=True)
class ResultsQuestion:
    """What a question asks of the results."""

    ask: str  # value | change | rank | top | bottom | count | national
    entities: tuple[Entity, ...] = ()
    category: str | None = None
    years: tuple[int, ...] = ()
    n: int = 1
    predikat: str | None = None
    also: tuple[str, ...] = ()  # more asked of the same instansi or category ("tertinggi dan terendah")
    bound: str = ""  # "at_least" (the predikat or better: "minimal baik") or "below" ("di bawah baik")
    others: tuple[str, ...] = ()  # more categories asked the same ("kota tertinggi? kalau kabupatennya?")
    missing: str = ""  # an instansi the question names that no table holds ("badan gizi nasional")
    domain: str = ""  # a domain of the index asked of an instansi ("domain manajemen kalbar")
    region: str = ""  # the province whose regional governments a question looks over ("pemda di jatim")

    def topic(self) -> Topic:
        """The question as a conversation topic, for a follow-up ("kalau 2023?", "kalau jabar?")."""
        subject = tuple(f"{e.category}:{e.key}" for e in self.entities)
        extra = (
            f"ask:{self.ask}",
            f"category:{self.category or ''}",
            f"n:{self.n}",
            f"predikat:{self.predikat or ''}",
            f"bound:{self.bound}",
            *(f"other:{c}" for c in self.others),
            *(f"year:{y}" for y in self.years),
            *(f"also:{a}" for a in self.also),
            *((f"domain:{self.domain}",) if self.domain else ()),
            *((f"region:{self.region}",) if self.region else ()),
        )
        return Topic(query="", subject=(*subject, *extra), attribute=RESULTS_ATTRIBUTE)

    @classmethod
    def from_topic(cls, topic: Topic) -> ResultsQuestion:
        """The question a results topic stands for."""
        fields: dict[str, list[str]] = {}
        entities = []
        for item in topic.subject:
            name, _, value = item.partition(":")
            if name in (
                "ask",
                "category",
                "n",
                "predikat",
                "year",
                "also",
                "bound",
                "other",
                "domain",
                "region",
            ):
                fields.setdefault(name, []).append(value)
            else:
                entities.append(Entity(name, value))
        return cls(
            ask=fields.get("ask", ["value"])[0],
            entities=tuple(entities),
            category=(fields.get("category") or [""])[0] or None,
            years=tuple(int(y) for y in fields.get("year", [])),
            n=int((fields.get("n") or ["1"])[0]),
            predikat=(fields.get("predikat") or [""])[0] or None,
            also=tuple(fields.get("also", [])),
            bound=(fields.get("bound") or [""])[0],
            others=tuple(fields.get("other", [])),
            domain=(fields.get("domain") or [""])[0],
            region=(fields.get("region") or [""])[0],
        )


@dataclass
class ResultTable:
    """The records of every indexed report, indexed by instansi and year, with the names people use."""

    records: Sequence[ResultRecord]
    figures: Sequence[Figure]
    vocabulary: ResultsVocabulary = field(default_factory=load_results_vocabulary)
    corpus_words: frozenset[str] = frozenset()  # words of the indexed documents: never read as typos

    def __post_init__(self) -> None:
        v = self.vocabulary
        self.by_entity: dict[Entity, dict[int, ResultRecord]] = {}
        self.names: dict[str, set[Entity]] = {}  # a name as people write it -> the instansi it names
        for r in self.records:
            entity = self.entity(r)
            self.by_entity.setdefault(entity, {})[r.year] = r
            for name in {r.place.lower(), self._canonical(r).lower(), r.instansi.lower()}:
                self.names.setdefault(name, set()).add(entity)
        pusat = [e for e in self.by_entity if e.category not in v.prefixes]
        for alias, target in (*v.province_aliases.items(), *v.pusat_aliases.items()):
            found = {e for e in self.by_entity if e.key == squash(target)} or {
                e for e in pusat if squash(target) in e.key
            }
            if found:
                self.names.setdefault(alias, set()).update(found)
        self.years = tuple(sorted({r.year for r in self.records}))
        self.reports = frozenset({r.report for r in self.records} | {f.report for f in self.figures})
        self.figure_years = tuple(sorted({f.year for f in self.figures}))
        self.table_years: dict[tuple[str, str], set[int]] = {}  # the years each summary table covers
        for f in self.figures:
            self.table_years.setdefault((f.report, f.table), set()).add(f.year)
        self._pattern = words_pattern(list(self.names))
        # A scope word just before a name ("di jatim", "se-jabar").
        self._after_scope = re.compile(rf"{v.cue('scope').pattern}[\s-]*$")
        # Whole words only: "duanya" is not "dua".
        self._number_words = re.compile(rf"\b(?:{'|'.join(map(re.escape, v.numbers))})\b")
        self._single_words = [n for n in self.names if " " not in n and len(n) >= _TYPO_MIN_LENGTH]
        self._predikat = words_pattern(v.predikat_order)
        self._kinds = words_pattern(list(v.instansi_kinds))
        # Words after a kind of instansi that name no instansi: a category, a group, "daerah", "pusat".
        self._not_names = set(v.not_names) | {w for ws in v.ask_categories.values() for w in ws}
        # Results words end a name, but "nasional" may be part of one ("badan gizi nasional").
        self._name_ends = [v.cue(a) for a in v.asks if a != "national"] + [self._predikat]
        # "5 besar", "3 terendah", "10 kabupaten tertinggi" (the number before), "top 5" (after).
        before = (*v.asks.get("n_units", ()), *v.asks["top"], *v.asks["bottom"])
        before += tuple(w for words in v.ask_categories.values() for w in words)
        self._top_n = re.compile(
            rf"\b(\d{{1,2}})\s+{words_pattern(before).pattern}|{words_pattern(v.asks['top']).pattern}\s+(\d{{1,2}})\b"
        )
        # A province's name alone means the province; a kind of government written shortly before it
        # (a Kabupaten's or Kota's prefix) means it does not.
        self._own_region = {c.name for c in v.categories if c.region == "self"}
        # What lies inside a province: the categories in a province's table, their group, every instansi.
        inside = {c.name for c in v.categories if c.region == "table"}
        self._in_regions = inside | {v.groups[c] for c in inside if c in v.groups} | {ALL_CATEGORIES}
        self._other_prefixes = words_pattern(
            [p for name, prefixes in v.prefixes.items() if name not in self._own_region for p in prefixes]
        )

    def _canonical(self, record: ResultRecord) -> str:
        """A province's name as the aliases write it ("NTB" and "Nusa Tenggara Barat" are one province)."""
        return self.vocabulary.province_aliases.get(record.place.lower(), record.place)

    def entity(self, record: ResultRecord) -> Entity:
        """The instansi a record is of, the same across report years."""
        return Entity(record.category, squash(self._canonical(record)))

    def __bool__(self) -> bool:
        return bool(self.records or self.figures)

    # -- reading a question ----------------------------------------------------------------------
    def find(self, text: str, *, typos: bool = False) -> list[Entity]:
        """The instansi a text names: by name, short name or acronym, the kind of government before it
        choosing among namesakes ("kab. malang" / "kota malang"); one-letter typos when asked to."""
        flat = " ".join(expand(text).replace("/", " / ").split())
        found: list[Entity] = []
        sources: list[Entity] = []
        # The text as written too: chat expansion turns an acronym into words ("kominfo" -> "komunikasi
        # dan informatika") that no name is.
        raw = " ".join(text.lower().replace("/", " / ").split())
        source = self.vocabulary.cue("source")
        for written in dict.fromkeys((flat, raw)):
            for m in self._pattern.finditer(written):
                named = self._narrow(self.names[m.group(0)], written[: m.start()])
                # "... menurut laporan kemenpan?": the instansi a figure comes from, not one asked about.
                cited = source.search(" ".join(written[: m.start()].split()[-2:])) is not None
                (sources if cited else found).extend(named)
        found = found or sources
        if not found and typos:
            # A word of the documents or of Indonesian ("batas", "sekarang") is not a misspelt name.
            known = (self.corpus_words, dictionary_words())
            for m in re.finditer(rf"[a-z]{{{_TYPO_MIN_LENGTH},}}", flat):
                word = m.group(0)
                if any(w in words for w in (word, stem(word)) for words in known):
                    continue
                hit = extractOne(word, self._single_words, scorer=Levenshtein.distance, score_cutoff=1)
                if hit:
                    found.extend(self._narrow(self.names[hit[0]], flat[: m.start()]))
        return list(dict.fromkeys(found))

    def _narrow(self, entities: set[Entity], before: str) -> list[Entity]:
        """Namesakes narrowed by the kind of government written just before the name."""
        for category, prefixes in self.vocabulary.prefixes.items():
            if re.search(rf"(?:{'|'.join(re.escape(p) for p in prefixes)})\.?\s*$", before):
                # "pemkot jakarta selatan": no kota of that name is in the tables, so the name is not the
                # province's (nor any other namesake's) but an instansi the tables do not hold.
                return [e for e in entities if e.category == category]
        # Without a kind written, a province's name means the province ("jabar", "kalimantan barat")
        # when it has one; a name shared by a Kabupaten and a Kota means both.
        provinces = [e for e in entities if e.category in self._own_region]
        if provinces and not self._other_prefixes.search(before[-12:]):
            return provinces
        return sorted(entities, key=lambda e: e.category)

    def read(self, text: str, topic: Topic | None = None, shift: int = 0) -> ResultsQuestion | None:
        """What a question asks of the results; None when it is not about them.

        `shift` is a year named relative to the conversation's ("tahun sebelumnya": -1).
        """
        v = self.vocabulary
        flat = " ".join(expand(text).split())
        if v.cue("other_index").search(flat) or v.cue("prose_only").search(flat):
            return None  # "peringkat EGDI indonesia 2024", "targetnya brp?": told by the reports' prose
        years = tuple(dict.fromkeys(int(y) for y in _YEAR_RE.findall(flat)))
        cue = v.cue("topic").search(flat) is not None
        entities = self.find(text, typos=cue)
        categories = self._categories(flat)
        category = categories[0] if categories else None
        asked = [a for a in _ASKS if v.cue(a).search(flat)]
        if "average" in asked and not entities:
            asked.remove("average")  # "rerata pemprov naik brp?": the average is what changed
            asked.insert(0, "average")
        ask = asked[0] if asked else None
        national = v.cue("national").search(flat) is not None
        predikat = next((p for p in v.predikat_order if re.search(rf"\b{re.escape(p)}\b", flat)), None)
        m = self._top_n.search(self._digits(flat))
        n = int(next(g for g in m.groups() if g)) if m else 1
        previous = (
            ResultsQuestion.from_topic(topic) if topic and topic.attribute == RESULTS_ATTRIBUTE else None
        )
        # After the national figures, "which domain scored lowest?" is about the nation's domains.
        of_nation = national or (previous is not None and previous.ask in ("national", "domains"))
        region = self._scope(flat, entities, ask, category)
        if region:
            # "pemda di jatim yang terendah": the regional governments in the province, not the province.
            scoped = _all(category) if category in self._in_regions else None
            own: ResultsQuestion | None = ResultsQuestion(ask or "value", (), scoped, years, n, predikat)
            own = replace(own, region=region)
        else:
            own = self._standalone(
                text, flat, entities, category, ask, national, cue, years, n, predikat, of_nation
            )
        bound = next((b for b in _BOUNDS if predikat and v.cue(b).search(flat)), "")
        domain = self._domain(flat)
        if own is not None and own.entities and domain:
            own = replace(own, domain=domain)
        if own is not None:
            own = _also(replace(own, bound=bound), asked)
            if own.entities and "rank" in (own.ask, *own.also):
                own = self._peers(own, flat, categories)
            if own.ask == "national" and "change" in asked:  # "indeks nasional naik brp dari 2023?"
                own = replace(own, also=("change",))
            if (own.category or own.region) and own.ask in _OF_CATEGORIES:
                own = replace(
                    own, others=tuple(c for c in map(_all, categories[1:]) if c and c != own.category)
                )
            groups = set(v.groups.values())
            if own.ask == "count" and not own.predikat and {own.category, *own.others} <= {None, *groups}:
                # "brp instansi, pusatnya brp, pemdanya brp?": how many took part is told by group anyway.
                own = replace(own, category=None, others=())
        complete = own is not None and (
            own.ask in ("national", "domains")
            or (bool(own.entities or own.category or own.predikat) and bool(years))
        )
        asks_value = v.cue("value").search(flat) is not None
        if (
            previous
            and not complete
            # (in the message as written too: chat expansion spells "kominfo" out as words no name is)
            and any(
                self._only_results_words(written, extra=2 if shift else 0)
                for written in (flat, " ".join(text.lower().split()))
            )
            and (entities or years or ask or category or asks_value or shift or domain)
        ):
            if shift and not years:
                base = previous.years[-1] if previous.years else (self.years[-1] if self.years else 0)
                years = (base + shift,)
            # A follow-up ("kalau 2023?", "kalau jabar?", "peringkatnya?", "kalau kota?") keeps what it
            # does not change.
            merged = replace(
                previous,
                ask=ask or previous.ask,
                years=years or previous.years,
                n=n if m else previous.n,
                predikat=predikat or previous.predikat,
                bound=bound if predikat else previous.bound,
                # "kalau 2023?" keeps the domain asked; "and its overall index?" asks the index again.
                domain=domain or ("" if v.cue("index").search(flat) else previous.domain),
            )
            # "yang tertinggi di sana?" after a province: its regional governments.
            region = self._scope(
                flat, entities or list(previous.entities), merged.ask, None, bool(previous.region)
            )
            if region:  # "kalau di jabar?" after "pemda di jatim yang terendah"
                merged = replace(merged, entities=(), region=region)
            elif entities:
                merged = replace(merged, entities=tuple(entities), category=None, region="")
            elif category and not (
                merged.ask in _OF_INSTANSI
                and merged.entities
                and {e.category for e in merged.entities} == {category}
            ):
                # ("itu peringkat brp di antara provinsi?" names the province's peers, not a new subject)
                merged = replace(merged, entities=(), category=_all(category), others=())
            if (
                ask in ("top", "bottom")
                and self._any_domain(flat)
                and (merged.entities or previous.ask == "national")
            ):
                # "domain yg paling rendah?" of the instansi (or the nation) asked before
                merged = replace(merged, ask="domains")
            if ask:
                merged = _also(replace(merged, also=()), asked)
            if merged.entities and merged.ask in _OF_CATEGORIES:
                merged = replace(merged, ask="value", also=())
            return merged
        return own

    def _categories(self, flat: str) -> list[str]:
        """The categories a question names, in the order written ("kota ...? kalau kabupatennya?" asks both);
        a longer name wins over one inside it ("lembaga non struktural" is the LNS, not every lembaga), and
        "semua" (every category: "berapa instansi kabupaten ...") yields to a category named beside it."""
        v = self.vocabulary
        spans = [(m.start(), m.end(), c) for c in v.ask_categories for m in v.cue(c).finditer(flat)]
        kept = [
            (start, c)
            for start, end, c in spans
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
        ]
        named = list(dict.fromkeys(c for _, c in sorted(kept, key=lambda x: x[0])))
        return sorted(named, key=lambda c: c == ALL_CATEGORIES)

    def _digits(self, flat: str) -> str:
        """Numbers written as words turned to digits ("tiga tertinggi" -> "3 tertinggi")."""
        numbers = self.vocabulary.numbers
        return self._number_words.sub(lambda m: str(numbers[m.group(0)]), flat) if numbers else flat

    def _scope(
        self, flat: str, entities: list[Entity], ask: str | None, category: str | None, back: bool = False
    ) -> str:
        """The province whose regional governments a question over many instansi looks at ("pemda di jatim
        yang terendah", "kabupaten se-jatim", "yang tertinggi di sana" after a province): its name as the
        records' region; "" when the question is not bounded to one province. `back`: the conversation was
        already bounded to a province, so naming another moves the bound ("kalau jabar?")."""
        v = self.vocabulary
        if ask not in _OF_CATEGORIES or len(entities) != 1 or entities[0].category not in self._own_region:
            return ""
        if category is not None and category not in self._in_regions:
            return ""  # "provinsi tertinggi di indonesia": provinces are not inside a province
        region = self._region_of(entities[0])
        written = self._named_after_scope(flat, entities[0]) or v.cue("scope_back").search(flat)
        return region if written or back or category is not None else ""

    def _peers(self, q: ResultsQuestion, flat: str, categories: Sequence[str]) -> ResultsQuestion:
        """The peers a rank is asked among, when narrower than the instansi's category: a part of it
        ("peringkat bssn di antara lpnk") or the province whose table it is in ("peringkat kota surabaya di
        jatim"); the question unchanged otherwise."""
        v = self.vocabulary
        part = next((c for c in categories if c in v.parts), None)
        if part and all(e.category == v.parts[part].category for e in q.entities):
            return replace(q, category=part)
        provinces = [
            e for e in q.entities if e.category in self._own_region and self._named_after_scope(flat, e)
        ]
        if len(provinces) != 1:
            return q
        region = self._region_of(provinces[0])
        inside = [e for e in q.entities if e != provinces[0] and squash(self._region_of(e)) == squash(region)]
        return replace(q, entities=tuple(inside), region=region) if inside else q

    def _region_of(self, entity: Entity) -> str:
        """The province an instansi lies in (a province's own name), as the records write it; "" for none."""
        return next((r.region for r in self.by_entity.get(entity, {}).values() if r.region), "")

    def _named_after_scope(self, flat: str, entity: Entity) -> bool:
        """Whether a question names an instansi just after a scope word ("di jatim", "se-jabar")."""
        names = [name for name, found in self.names.items() if entity in found]
        return any(self._after_scope.search(flat[: m.start()]) for m in words_pattern(names).finditer(flat))

    def _any_domain(self, flat: str) -> bool:
        """Whether a question asks about the domains without naming one ("domain mana yang terendah?")."""
        return self.vocabulary.domain_pattern.search(flat) is not None and not self._domain(flat)

    def _domain(self, flat: str) -> str:
        """The domain of the index a question asks about, by name or number ("domain 3"); "" for none."""
        m = self.vocabulary.domain_pattern.search(flat)
        if not m:
            return ""
        names = list(self.vocabulary.domains)
        if m.groupdict().get("n"):
            number = int(m.group("n"))
            return names[number - 1] if number <= len(names) else ""
        return next((name for name in names if self.vocabulary.cue(name).search(flat)), "")

    def _unknown_instansi(self, flat: str, written: str = "") -> str:
        """The name of an instansi a question writes out ("badan gizi nasional") when it is none of the
        tables' (the caller found no instansi): a kind of instansi and at least one word of a name after it
        that is not a results, category, group or question word; "" otherwise. A name `written` with
        capitals ("Bank Indonesia receive ...") ends where its capitals do."""
        v = self.vocabulary
        capitals = {w.lower() for w in re.findall(r"\b[A-Z][\w-]*", written)}
        for m in self._kinds.finditer(flat):
            name: list[str] = []
            capitalised = m.group(0) in capitals
            for word in re.findall(r"[a-z]+|\d+|\S", flat[m.end() :]):
                plain = word not in STOPWORDS and word not in self._not_names and word.isalpha()
                if not plain or any(end.fullmatch(word) for end in self._name_ends):
                    break
                if capitalised and word not in capitals:
                    break
                name.append(word)
            # "pemerintah indonesia" is the nation, not an instansi; "bank indonesia" is one.
            nation = m.group(0) in v.nation_kinds
            if name and (not nation or any(not v.cue("national").fullmatch(word) for word in name)):
                return f"{m.group(0)} {' '.join(name)}"
        # An acronym in capitals that the documents never write, in a question about a year's results ("OJK
        # dapet predikat apa di evaluasi spbe 2024?"), names an instansi none of them holds.
        if not _YEAR_RE.search(flat):
            return ""
        for acronym in re.findall(r"\b[A-Z]{2,6}\b", written):
            if acronym.lower() not in self.corpus_words and acronym.lower() not in self._not_names:
                return acronym
        return ""

    def _only_results_words(self, flat: str, extra: int = 0) -> bool:
        """Whether a message says nothing but instansi, years and results words ("kalau jabar 2023?"):
        a follow-up of a results answer, not a new question about the regulations ("apa tugas bssn?")."""
        v = self.vocabulary
        rest = self._pattern.sub(" ", flat)
        for name in (*v.asks, *v.ask_categories, *v.domains):
            rest = v.cue(name).sub(" ", rest)
        rest = v.domain_pattern.sub(" ", rest)
        rest = self._predikat.sub(" ", _YEAR_RE.sub(" ", rest))
        return len(content_words(rest)) <= 1 + extra

    def _standalone(
        self,
        text: str,
        flat: str,
        entities: list[Entity],
        category: str | None,
        ask: str | None,
        national: bool,
        cue: bool,
        years: tuple[int, ...],
        n: int,
        predikat: str | None,
        of_nation: bool = False,
    ) -> ResultsQuestion | None:
        """The question read on its own, without the conversation (`of_nation`: it or the conversation is
        about the national figures)."""
        v = self.vocabulary
        # An instansi with a figure asked of it ("indeks kalbar", "kemenkeu naik?") or a regional government
        # with a year; "evaluasi spbe" alone does not ask for a figure ("nomor helpdesk ... kemenpanrb").
        valued = v.cue("value").search(flat) is not None or ask is not None
        # A year and a figure asked name a result even without "indeks" ("kominfo 2023 nilainya brp?").
        dated = bool(years) and (valued or all(e.category in v.prefixes for e in entities))
        if entities and ((cue and valued) or dated):
            if v.cue("finer").search(flat):
                return ResultsQuestion("finer", tuple(entities), None, years, n, predikat)
            if ask in ("top", "bottom") and self._any_domain(flat):
                # "domain kalbar yang paling rendah?": its lowest domain, from its row.
                return ResultsQuestion("domains", tuple(entities), None, years, n, predikat)
            if ask in _OF_CATEGORIES:
                ask = None  # "berapa nilai kalbar", "kalbar tertinggi?": the instansi's own figure
            return ResultsQuestion(ask or "value", tuple(entities), None, years, n, predikat)
        if not cue and not ask:
            return None
        missing = "" if entities else self._unknown_instansi(flat, text)
        if missing and cue and valued and ask not in _OF_CATEGORIES:
            return ResultsQuestion("value", (), None, years, n, predikat, missing=missing)
        if ask in ("top", "bottom") and category and self._any_domain(flat):
            return None  # "domain yg paling rendah di pemda?": a category's domain averages, in the prose
        if ask in ("top", "bottom", "rank", "count", "average") and (
            category or (ask == "count" and predikat)
        ):
            return ResultsQuestion(ask, (), _all(category), years, n, predikat)
        if ask in ("top", "bottom") and of_nation and not category and self._any_domain(flat):
            # "domain mana yang paling rendah secara nasional?": the national index's domains, ranked
            # (without "nasional" the domains may be a category's or an instansi's the conversation named).
            return ResultsQuestion("domains", (), None, years, n, predikat)
        if ask in ("top", "bottom") and national:  # "paling tinggi se-nasional": over every instansi
            return ResultsQuestion(ask, (), None, years, n, predikat)
        # The national figures, asked by naming a figure ("indeks spbe nasional 2022 berapa?", "... naik brp
        # dibanding 2022?"); a rank with no figure named is about something else ("peringkat egdi
        # indonesia naik ke urutan berapa?").
        if national and cue and not category and v.cue("value").search(flat):
            return ResultsQuestion("national", (), None, years, n, predikat)
        return None


# What may be asked of the results, in the order a question's asks are answered.
_ASKS = ("change", "rank", "top", "bottom", "count", "average")
_OF_INSTANSI = ("change", "rank")
_OF_CATEGORIES = ("top", "bottom", "count", "average")
# How a predikat asked may stand for a range of them in a count ("minimal baik", "di bawah baik").
_BOUNDS = ("at_least", "below")


def _also(q: ResultsQuestion, asked: Sequence[str]) -> ResultsQuestion:
    """The question with the other things asked of the same subject ("peringkat dan kenaikannya",
    "tertinggi dan terendah"); asks that do not fit the subject are left out."""
    fitting = _OF_INSTANSI if q.entities else _OF_CATEGORIES if q.category or q.ask in _OF_CATEGORIES else ()
    if q.ask == "average":
        fitting = (*_OF_CATEGORIES, "change")  # "rerata pemprov naik brp dari 2023?"
    elif q.ask == "domains":
        fitting = ("top", "bottom")
    return replace(q, also=tuple(a for a in asked if a != q.ask and a in fitting))


def _all(category: str | None) -> str | None:
    """The category a question names; "instansi" (every category) filters nothing."""
    return None if category == ALL_CATEGORIES else category


def _moved(before: float, after: float) -> tuple[str, float]:
    """How a figure moved, in words ("naik 0,33 poin", "tetap"), and by how much (>= 0)."""
    delta = round(after - before, 2)
    verb = "naik" if delta > 0 else "turun" if delta < 0 else "tetap"
    return (f"{verb} {decimal(abs(delta))} poin" if delta else verb), abs(delta)


def _extreme_word(ask: str) -> tuple[str, Callable[..., Any]]:
    """The word for a top or bottom ask and the function that picks it."""
    return ("tertinggi", max) if ask == "top" else ("terendah", min)


def _position(record: ResultRecord, peers: Sequence[ResultRecord]) -> tuple[int, int, int]:
    """(rank, ties, size) of a record among its peers; equal indices share a rank."""
    higher = sum(1 for r in peers if r.index > record.index)
    ties = sum(1 for r in peers if r.index == record.index) - 1
    return higher + 1, ties, len(peers)


def _listed(rows: Sequence[ResultRecord]) -> tuple[str, set[str]]:
    """A few instansi named with their index, best first (": A (4,50); B (4,41)"), and the numbers that
    adds; nothing when there are none or too many to list."""
    if not 0 < len(rows) <= _MAX_ROWS:
        return "", set()
    ordered = sorted(rows, key=lambda r: (-r.index, r.instansi))
    text = ": " + "; ".join(f"{r.instansi} ({decimal(r.index)})" for r in ordered)
    return text, _allowed(*(r.index for r in ordered)) | {
        n for r in ordered for n in re.findall(r"\d+", r.instansi)
    }


@dataclass(frozen=True)
class Computed:
    """A computed answer: the sentence, the rows it rests on, and the numbers the sentence may hold."""

    sentence: str
    rows: tuple[ResultRecord | Figure, ...]
    allowed: frozenset[str]
    show_rows: bool = True  # a count rests on whole tables: cited, not shown row by row
    totals: tuple[int, ...] = ()  # figures the report's own text may state (a count's group sizes)


def numbers_supported(sentence: str, allowed: frozenset[str]) -> bool:
    """Whether every number in a sentence is one the records hold or the computation made from them."""
    return all(n.replace(".", ",") in allowed for n in _NUMBER_RE.findall(sentence))


def _allowed(*values: object) -> set[str]:
    out: set[str] = set()
    for value in values:
        if isinstance(value, float):
            out |= {decimal(value), decimal(value).rstrip("0").rstrip(",")}
        elif value is not None:
            out.add(str(value).replace(".", ","))
    return out


class ResultAnswerer:
    """Computes and words answers from a ResultTable."""

    def __init__(self, table: ResultTable) -> None:
        self.table = table
        self.v = table.vocabulary

    # -- helpers ---------------------------------------------------------------------------------
    def _category_label(self, category: str | None, region: str = "") -> str:
        found = self.v.category(category) if category else None
        part = self.v.parts.get(category or "")
        label = (
            found.label
            if found
            else part.label
            if part
            else category
            if category in self.v.groups.values()
            else "instansi"
        )
        if region:  # "pemerintah daerah di Jawa Timur"
            return f"{'pemerintah daerah' if label == 'instansi' else label} di {region}"
        return label

    def _in(self, record: ResultRecord, category: str | None) -> bool:
        """Whether a record belongs to a category, to a group of them ("instansi pusat"), or to a part of one
        (the LPNK: the rows of its own tables)."""
        part = self.v.parts.get(category or "")
        if part:
            return record.category == part.category and part.title in record.table.lower()
        return category is None or category in (record.category, self.v.groups.get(record.category))

    def _year_rows(self, year: int, category: str | None, region: str = "") -> list[ResultRecord]:
        return [
            r
            for r in self.table.records
            if r.year == year and self._in(r, category) and (not region or squash(r.region) == squash(region))
        ]

    def _years(self, asked: tuple[int, ...]) -> tuple[list[int], list[int]]:
        held = [y for y in asked if y in self.table.years]
        return held, [y for y in asked if y not in self.table.years]

    def coverage(self) -> str:
        """Which years the results cover, in a sentence."""
        years = ", ".join(str(y) for y in self.table.years)
        text = f"Hasil evaluasi per instansi yang saya miliki berasal dari laporan tahun {years}"
        if self.table.figure_years:
            first, last = self.table.figure_years[0], self.table.figure_years[-1]
            text += f"; indeks SPBE nasional tersedia untuk tahun {first}-{last}"
        return text + "."

    def rank(self, record: ResultRecord, among: str | None = None, region: str = "") -> tuple[int, int, int]:
        """(rank, ties, size) of a record within its category (or the part of it, or the province, asked)
        and year; equal indices share a rank."""
        return _position(record, self._peer_group(record, among, region)[0])

    def _peer_group(
        self, record: ResultRecord, among: str | None = None, region: str = ""
    ) -> tuple[list[ResultRecord], str | None, str]:
        """The records a rank is counted among, with the category and province they are: the part of its
        category or the province asked when the record is in it, else its category."""
        # Within a province: every regional government of its table, as the report lists them together.
        category = among or (None if region else record.category)
        peers = self._year_rows(record.year, category, region)
        if record in peers:
            return peers, category, region
        # BSSN asked among the LPNK is in another table: its own category.
        return self._year_rows(record.year, record.category), record.category, ""

    # -- answers ---------------------------------------------------------------------------------
    def compute(self, q: ResultsQuestion) -> list[Computed] | str:
        """The computed answers to a question, or a refusal text."""
        if q.ask == "national":
            return self._national(q)
        if q.ask == "domains":
            return self._domain_extremes(q)
        if q.ask == "finer":
            return (
                "Tabel hasil evaluasi yang saya miliki memuat indeks, predikat, dan nilai domain setiap "
                "instansi, tetapi tidak memuat nilai per aspek atau per indikator, jadi saya tidak akan "
                f"menebaknya. {self.coverage()}"
            )
        if q.missing:
            return (
                f"Saya tidak menemukan “{q.missing}” dalam tabel hasil evaluasi yang saya miliki, jadi saya "
                f"tidak akan menebak nilainya. {self.coverage()}"
            )
        held, missing = self._years(q.years)
        if missing:  # "2022 dibanding 2024": what the 2022 report would say is not known here
            asked = ", ".join(str(y) for y in missing)
            missing_text = f"Laporan evaluasi untuk tahun {asked} tidak ada dalam basis pengetahuan saya."
            return f"{missing_text} {self.coverage()}"
        if not held and not self.table.years:
            return self.coverage()
        years = held or [self.table.years[-1]]  # no year asked: the newest report
        if q.entities:
            out: list[Computed] = []
            for entity in q.entities[:3]:
                got = self.table.by_entity.get(entity, {})
                if not got:
                    continue
                for ask in (q.ask, *q.also):
                    if ask == "change":
                        out.extend(self._change(got, q.years))
                    elif ask == "rank":
                        out.extend(self._rank(got[y], q) for y in years if y in got)
                    else:
                        shown = [y for y in (years if q.years else sorted(got, reverse=True)) if y in got]
                        out.extend(self._value(got[y], q.domain) for y in shown)
            if not out:
                asked = ", ".join(str(y) for y in years)
                return (
                    f"Instansi itu tidak ada dalam tabel hasil evaluasi tahun {asked} yang saya miliki, jadi "
                    f"saya tidak akan menebak. {self.coverage()}"
                )
            return out
        out = []
        for category in (q.category, *q.others):
            each = replace(q, category=category)
            for ask in (q.ask, *q.also):
                if ask in ("top", "bottom"):
                    out += [self._extreme(replace(each, ask=ask), y) for y in years]
                elif ask == "count":
                    out += [self._count(each, y) for y in years]
                elif ask == "average":
                    out += [c for y in years if (c := self._average(each, y)) is not None]
                elif ask == "change" and (moved := self._average_change(each)) is not None:
                    out.insert(0, moved)  # the change asked first, then the averages it is made of
        return out or self.coverage()

    def _value(self, r: ResultRecord, domain: str = "") -> Computed:
        # "dengan predikat ...", not "(predikat ...)": words in parentheses after a number read as the
        # number spelled out ("5 (lima)") to a reader or a scorer that drops those.
        figure = f"{decimal(r.index)} dengan predikat {r.predikat}"
        names = list(self.v.domains)
        position = names.index(domain) if domain in names else -1
        score = r.domains[position] if 0 <= position < len(r.domains) else None
        if score is not None:
            # The domain asked first, from its D column; the index beside it.
            sentence = (
                f"Nilai Domain {domain.title()} (D{position + 1}) {r.instansi} pada Evaluasi SPBE {r.year}: "
                f"{decimal(score)}; indeks SPBE-nya {figure}."
            )
            return Computed(sentence, (r,), frozenset(_allowed(r.year, r.index, score, position + 1)))
        sentence = f"Indeks SPBE {r.instansi} pada Evaluasi SPBE {r.year}: {figure}."
        return Computed(sentence, (r,), frozenset(_allowed(r.year, r.index)))

    def _rank(self, r: ResultRecord, q: ResultsQuestion | None = None) -> Computed:
        peers, category, region = self._peer_group(r, *((q.category, q.region) if q else (None, "")))
        position, ties, size = _position(r, peers)
        label = self._category_label(category, region)
        tie = f", sama dengan {ties} {label} lain" if ties else ""
        sentence = (
            f"Pada Evaluasi SPBE {r.year}, {r.instansi} berada di peringkat {position} dari {size} {label} "
            f"dengan indeks {decimal(r.index)} dan predikat {r.predikat}{tie}."
        )
        return Computed(sentence, (r,), frozenset(_allowed(r.year, r.index, position, size, ties)))

    def _change(self, got: dict[int, ResultRecord], asked: tuple[int, ...]) -> list[Computed]:
        years = sorted(y for y in (asked or tuple(got)) if y in got)
        if len(years) < 2:
            years = sorted(got)
        if len(years) < 2:
            return [self._value(got[y]) for y in years]
        a, b = got[years[0]], got[years[-1]]
        moved, by = _moved(a.index, b.index)
        sentence = (
            f"Indeks SPBE {b.instansi} {moved}: dari {decimal(a.index)} ({a.predikat}) pada {a.year} "
            f"menjadi {decimal(b.index)} ({b.predikat}) pada {b.year}."
        )
        return [Computed(sentence, (a, b), frozenset(_allowed(a.year, b.year, a.index, b.index, by)))]

    def _extreme(self, q: ResultsQuestion, year: int) -> Computed:
        rows = self._year_rows(year, q.category, q.region)
        highest = q.ask == "top"
        ordered = sorted(rows, key=lambda r: (-r.index if highest else r.index, r.instansi))
        n = max(1, min(q.n, _MAX_ROWS))
        cut = ordered[n - 1].index if len(ordered) >= n else None
        chosen = [
            r for r in ordered if cut is not None and ((r.index >= cut) if highest else (r.index <= cut))
        ]
        chosen = chosen[:_MAX_ROWS]
        label = self._category_label(q.category, q.region)
        word = "tertinggi" if highest else "terendah"
        names = "; ".join(f"{r.instansi} ({decimal(r.index)}, {r.predikat})" for r in chosen)
        head = f"Indeks SPBE {word}" if n == 1 else f"{n} indeks SPBE {word}"
        sentence = f"{head} di antara {len(rows)} {label} pada Evaluasi SPBE {year}: {names}."
        return Computed(
            sentence, tuple(chosen), frozenset(_allowed(year, len(rows), n, *(r.index for r in chosen)))
        )

    def _count(self, q: ResultsQuestion, year: int) -> Computed:
        rows = self._year_rows(year, q.category, q.region)
        label = self._category_label(q.category, q.region)
        counts = {p: sum(1 for r in rows if r.predikat.lower() == p) for p in self.v.predikat_order}
        tables = tuple({r.table: r for r in reversed(rows)}.values())[::-1][:3]  # the first rows of each
        allowed = _allowed(year, len(rows), *counts.values())
        if q.predikat and q.bound:
            # The order runs best first: "minimal baik" is baik and every predikat before it.
            at = self.v.predikat_order.index(q.predikat)
            span = (
                self.v.predikat_order[: at + 1] if q.bound == "at_least" else self.v.predikat_order[at + 1 :]
            )
            total = sum(counts[p] for p in span)
            which = (
                f"{q.predikat.title()} atau lebih baik"
                if q.bound == "at_least"
                else f"di bawah {q.predikat.title()}"
            )
            parts = ", ".join(f"{p.title()} {counts[p]}" for p in span)
            sentence = (
                f"Pada Evaluasi SPBE {year}, {total} dari {len(rows)} {label} mendapat predikat {which}"
            )
            sentence += f" ({parts})" if span else ""
            names, numbers = _listed([r for r in rows if r.predikat.lower() in span])
            # The report's prose may state the same ("32 dari 38 ... Baik ke atas"): quoted when it does.
            stated = (total, len(rows))
            return Computed(
                f"{sentence}{names}.",
                tables,
                frozenset(allowed | numbers | _allowed(total)),
                show_rows=False,
                totals=stated,
            )
        if q.predikat:
            names, numbers = _listed([r for r in rows if r.predikat.lower() == q.predikat])
            sentence = (
                f"Pada Evaluasi SPBE {year}, {counts.get(q.predikat, 0)} dari {len(rows)} {label} mendapat "
                f"predikat {q.predikat.title()}{names}."
            )
            return Computed(sentence, tables, frozenset(allowed | numbers), show_rows=False)
        # Without a predikat asked: how many took part, by group (instansi pusat / pemerintah daerah) and
        # category, then the predikat spread.
        sizes: dict[str, dict[str, int]] = {}
        if q.category is None or q.category in self.v.groups.values():
            for category in self.v.categories:
                size = sum(1 for r in rows if r.category == category.name)
                if size:
                    sizes.setdefault(category.group or category.label, {})[category.label] = size
        totals = {group: sum(parts.values()) for group, parts in sizes.items()}
        sentence = f"Tabel hasil Evaluasi SPBE {year} memuat {len(rows)} {label}"
        if list(sizes) == [label] and len(sizes[label]) > 1:  # a group asked: its categories
            sentence += f" ({', '.join(f'{n} {c}' for c, n in sizes[label].items())})"
            allowed |= _allowed(*sizes[label].values())
        elif len(sizes) > 1 or any(len(parts) > 1 for parts in sizes.values()):
            described = (
                f"{totals[group]} {group} ({', '.join(f'{n} {c}' for c, n in parts.items())})"
                for group, parts in sizes.items()
            )
            sentence += ": " + " dan ".join(described)
            allowed |= _allowed(*totals.values(), *(n for parts in sizes.values() for n in parts.values()))
        spread = ", ".join(f"{p.title()} {c}" for p, c in counts.items())
        sentence += f". Sebaran predikatnya: {spread}."
        stated = tuple(sorted(set(totals.values()))) if len(sizes) > 1 else (len(rows),)
        return Computed(sentence, tables, frozenset(allowed), show_rows=False, totals=stated)

    def answerable(self, q: ResultsQuestion) -> bool:
        """False for an average no table of averages states: the report's prose may, so retrieval tries."""
        if q.ask != "average":
            return True
        held, missing = self._years(q.years)
        if missing:
            return False  # a year no table of records covers: the reports' prose may state its average
        if q.also:
            return True
        years = held or list(self.table.years[-1:])
        return any(self._average(q, y) is not None for y in years)

    def _average(self, q: ResultsQuestion, year: int) -> Computed | None:
        """A category's average as the report's table of averages states it (never computed here: the
        report's own figure is the one to quote). None when no table states it, or when several of the
        table's columns stand for the category (LPNK, LNS, ... are all "lembaga")."""
        columns = [c for c, category in self.v.average_columns.items() if category == q.category]
        figures = [f for f in self.table.figures if f.year == year and f.group == q.category]
        head = next((f for f in figures if f.measure.lower() in self.v.average_index_rows), None)
        if len(columns) != 1 or head is None:
            return None
        rest = sorted((f for f in figures if f is not head), key=lambda f: squash(f.measure))
        label = self._category_label(q.category)
        sentence = (
            f"Rata-rata indeks {head.measure} {label} pada Evaluasi SPBE {year}: {decimal(head.value)}."
        )
        domains = [f for f in rest if re.match(self.v.average_domain_rows, f.measure)]
        if domains:
            sentence += " Per domain: " + "; ".join(f"{f.measure} {decimal(f.value)}" for f in domains) + "."
        allowed = _allowed(year, head.value, *(f.value for f in domains))
        allowed |= {n for f in (head, *domains) for n in re.findall(r"\d+", f.measure)}
        return Computed(sentence, (head, *domains), frozenset(allowed), show_rows=False)

    def _average_change(self, q: ResultsQuestion) -> Computed | None:
        """How a category's average moved between the first and last year asked (or held), from the
        reports' tables of averages; None when either year has no stated average."""
        years = sorted(self._years(q.years)[0] or self.table.years)
        if len(years) < 2:
            return None
        first, last = (self._average(replace(q, also=()), y) for y in (years[0], years[-1]))
        if first is None or last is None:
            return None
        a, b = first.rows[0], last.rows[0]
        moved, by = _moved(a.value, b.value)
        sentence = (
            f"Rata-rata indeks SPBE {self._category_label(q.category)} {moved}: dari {decimal(a.value)} "
            f"pada {a.year} menjadi {decimal(b.value)} pada {b.year}."
        )
        allowed = _allowed(a.year, b.year, a.value, b.value, by)
        return Computed(sentence, (a, b), frozenset(allowed), show_rows=False)

    def _domain_extremes(self, q: ResultsQuestion) -> list[Computed] | str:
        """The highest and/or lowest domain in each year asked: of an instansi (its row's D columns), else
        of the national index."""
        if q.entities:
            return self._instansi_domain_extremes(q)
        national = self._national(replace(q, ask="national"))
        if isinstance(national, str):
            return national
        out = []
        for c in national:
            domains = [
                f
                for f in c.rows
                if isinstance(f, Figure) and f.measure.lower() not in self.v.national_index_rows
            ]
            if not domains:
                continue
            parts = []
            for ask in q.also or ("top",):
                word, pick = _extreme_word(ask)
                best = pick(domains, key=lambda f: f.value)
                parts.append(f"{word} {best.measure} ({decimal(best.value)})")
            sentence = f"Pada {domains[0].year}, domain dengan indeks nasional " + "; ".join(parts) + "."
            out.append(
                Computed(
                    sentence,
                    tuple(domains),
                    frozenset(_allowed(domains[0].year, *(f.value for f in domains))),
                )
            )
        return out or self.coverage()

    def _instansi_domain_extremes(self, q: ResultsQuestion) -> list[Computed] | str:
        names = list(self.v.domains)
        out = []
        for entity in q.entities[:3]:
            got = self.table.by_entity.get(entity, {})
            years = [y for y in (q.years or sorted(got)[-1:]) if y in got]
            for r in (got[y] for y in years):
                scored = [(d, i) for i, d in enumerate(r.domains) if d is not None and i < len(names)]
                if not scored:
                    continue
                parts = []
                for ask in q.also or ("top",):
                    word, pick = _extreme_word(ask)
                    d, i = pick(scored)
                    parts.append(f"{word} Domain {names[i].title()} (D{i + 1}) {decimal(d)}")
                sentence = f"Nilai domain {r.instansi} pada Evaluasi SPBE {r.year}: " + "; ".join(parts) + "."
                allowed = _allowed(r.year, *(d for d, _ in scored), *range(1, len(names) + 1))
                out.append(Computed(sentence, (r,), frozenset(allowed)))
        return out or self.coverage()

    def _predikat_of(self, index: float) -> str:
        """The predikat whose interval holds an index (results.toml lower_bounds); "" when none is set."""
        bounds = sorted(self.v.predikat_bounds.items(), key=lambda item: -item[1])
        return next((name.title() for name, low in bounds if round(index, 2) >= low), "")

    def _national(self, q: ResultsQuestion) -> list[Computed] | str:
        years = q.years or ((self.table.figure_years[-1],) if self.table.figure_years else ())
        out: list[Computed] = []
        for year in years:
            figures = [f for f in self.table.figures if f.year == year and f.group == "nasional"]
            yearly = [f for f in figures if f.table == self._national_table(figures)]
            if not yearly:
                continue
            # The index first, with the predikat its interval gives; then its domains.
            head = next((f for f in yearly if f.measure.lower() in self.v.national_index_rows), None)
            rest = [f for f in yearly if f is not head]
            sentence = f"Pada {year}: "
            if head is not None:
                grade = self._predikat_of(head.value)
                sentence += f"{head.measure} {decimal(head.value)}"
                sentence += f" dengan predikat {grade}" if grade else ""
                sentence += "; " if rest else ""
            sentence += "; ".join(f"{f.measure} {decimal(f.value)}" for f in rest) + "."
            out.append(
                Computed(sentence, tuple(yearly), frozenset(_allowed(year, *(f.value for f in yearly))))
            )
        heads = [f for c in out for f in c.rows if f.measure.lower() in self.v.national_index_rows]
        if "change" in q.also and len(heads) >= 2:
            a, b = heads[0], heads[-1]
            moved, by = _moved(a.value, b.value)
            sentence = (
                f"{b.measure} {moved}: dari {decimal(a.value)} pada {a.year} menjadi {decimal(b.value)} "
                f"pada {b.year}."
            )
            allowed = _allowed(a.year, b.year, a.value, b.value, by)
            out.insert(0, Computed(sentence, (a, b), frozenset(allowed)))
        if not out:
            asked = ", ".join(str(y) for y in years)
            missing_text = f"Indeks SPBE nasional tahun {asked} tidak ada dalam dokumen yang saya miliki."
            return f"{missing_text} {self.coverage()}"
        return out

    def _national_table(self, figures: Sequence[Figure]) -> str:
        """Among tables holding a year's national figures, a table of years (it names the national index
        and each domain) before a table of averages, and the newest report (it restates earlier years)."""
        spans = self.table.table_years

        def preference(f: Figure) -> tuple[bool, int]:
            return len(spans.get((f.report, f.table), ())) > 1, max(spans.get((f.report, f.table), {0}))

        return max(figures, key=preference).table if figures else ""

    # -- wording ---------------------------------------------------------------------------------
    def answer(
        self,
        q: ResultsQuestion,
        statement: Callable[[str, tuple[int, ...]], Passage | None] | None = None,
    ) -> Answer:
        """The reply: the figure in one sentence first, then the table rows it comes from.

        `statement` finds the passage where a report states a count in its own words ("menilai 92 Instansi
        Pusat dan 529 Pemerintah Daerah"): it is quoted first, and it confirms the count of the rows.
        """
        computed = self.compute(q)
        if isinstance(computed, str):
            return Answer(text=computed, refused=True, refusal="insufficient", topic=q.topic())
        sentences = [c.sentence for c in computed if numbers_supported(c.sentence, c.allowed)]
        if not sentences:
            return Answer(text=self.coverage(), refused=True, refusal="insufficient", topic=q.topic())
        kept = [c for c in computed if c.sentence in sentences]
        rows: list[ResultRecord | Figure] = list(dict.fromkeys(r for c in kept for r in c.rows))[:_MAX_ROWS]
        shown = [r for r in rows if any(c.show_rows and r in c.rows for c in kept)]
        citations = tuple(
            dict.fromkeys(
                Citation(
                    regulation=r.report, section=r.table, page=r.page, quote=r.row if r in shown else None
                )
                for r in rows
            )
        )
        totals = next((c.totals for c in kept if c.totals), ())
        found = statement(rows[0].report, totals) if totals and statement and rows else None
        stated = [found] if found else []
        if stated:
            citations = (replace(stated[0].citation, quote=stated[0].text), *citations)
        text = "\n".join(sentences)
        if stated:
            text += f"\n\n“{stated[0].text.strip()}”\n— {stated[0].citation.label()}"
        if shown:
            text += "\n\n" + table_block(shown)
        for report, table, page in dict.fromkeys((r.report, r.table, r.page) for r in rows):
            text += f"\n— {report}, {table}, hlm. {page}"
        return Answer(
            text=text,
            citations=citations,
            passages=tuple(stated[:1]),
            regulations=tuple(dict.fromkeys(r.report for r in rows)),
            query=" ".join(sentences),
            topic=q.topic(),
        )


def table_block(rows: Sequence[ResultRecord | Figure]) -> str:
    """Rows as an aligned monospace block (``` fences): Telegram shows it as <pre>, WhatsApp as monospace."""
    lines: list[list[str]] = []
    for r in rows:
        if isinstance(r, ResultRecord):
            domains = [decimal(d) if d is not None else "-" for d in r.domains]
            lines.append([str(r.year), r.instansi, *domains, decimal(r.index), r.predikat])
        else:
            lines.append([str(r.year), r.measure, decimal(r.value)])
    width = max(len(line) for line in lines)
    # The domain columns as results.toml names them (the reports' D1..D4): a report with more needs no code.
    domains = [c.upper() for c in load_results_vocabulary().domain_columns]
    if all(isinstance(r, ResultRecord) for r in rows) and width == len(domains) + 4:
        header = ["Tahun", "Instansi", *domains, "Indeks", "Predikat"]
    else:
        header = ["Tahun", "Ukuran", "Nilai"][:width] if width == 3 else [""] * width
    return aligned_block([header, *lines])


def aligned_block(table: Sequence[Sequence[str]]) -> str:
    """Rows of cells as an aligned monospace block (``` fences), short rows padded."""
    width = max(len(row) for row in table)
    rows = [[*row, *[""] * (width - len(row))] for row in table]
    widths = [max(len(row[i]) for row in rows) for i in range(width)]
    body = "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows)
    return f"```\n{body}\n```"


def markdown_rows_block(text: str) -> str | None:
    """A quoted Markdown table ("| No | Instansi | ... |" rows, "…" for rows left out) as an aligned
    monospace block, never ragged pipes; None when the text is not table rows."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines or not all(ln.startswith("|") or ln == "…" for ln in lines):
        return None
    rows = [
        ["…"] if ln == "…" else [cell.strip() for cell in ln.strip("|").split("|")]
        for ln in lines
        if not re.fullmatch(r"\|[\s:|-]*\|?", ln)  # the header's |---|---| rule
    ]
    return aligned_block(rows) if rows else None
