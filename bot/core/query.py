"""Reading a question: which regulation and Pasal it names, what it asks, and what a follow-up leans on."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.lexicon import Lexicon, RegulationMention
from bot.core.models import Topic
from bot.core.text import STOPWORDS, content_words, expand
from knowledge.vocabulary import Attribute, Vocabulary, load_vocabulary

_YEAR_RE = re.compile(r"(?<![\d,./])((?:19|20)\d{2})(?!\d|,\d)")  # "2025," ends a year; "2025,5" is no year
_PERIOD_RE = re.compile(r"\b(?:19|20)\d{2}\s*(?:-|–|s\.?d\.?|sampai|hingga)\s*(?:19|20)\d{2}\b")

_PASAL_RE = re.compile(r"\bpasal\s*(\d{1,3})\b(?:\s*(?:ayat|ay\.?)\s*\(?(\d{1,2})\)?)?")
_LOOKUP_CUES = re.compile(
    r"\b(isi|isinya|bunyi|bunyinya|ngatur|mengatur|atur|bahas|membahas|tentang|ttg|jelaskan|jelasin|"
    r"dijelasin|dijelaskan|ngomong|bilang|sebut|apa|menyebutkan|berisi|teks|lengkap)\b"
)
_NEXT_RE = re.compile(r"\bpasal\s+(?:berikut(?:nya)?|selanjutnya|sesudahnya|setelahnya)\b")
_PREVIOUS_RE = re.compile(r"\bpasal\s+(?:sebelumnya|sebelum\s*nya)\b")
# "sanksinya?", "predikatnya?", "aturannya di mana?": a word with -nya points back at the topic.
_POSSESSIVE_RE = re.compile(r"\b\w{3,}nya\b")

# "X itu meliputi apa saja?" asks what X consists of, which the Pasal that lists it answers, not Pasal 1.
_PARTS_RE = re.compile(
    r"\b(?:meliputi|terdiri|mencakup|memuat|berisi|isinya|komponen\w*|unsur\w*)\b|\bapa\s+(?:saja|aja)\b"
)
_TERM_TAIL_RE = re.compile(
    r"\s+(?:menurut|dalam|di|pada|berdasarkan|sesuai|versi|itu|ya|sih|dong|tuh|sebenarnya|sebenernya|"
    r"dalam konteks|secara|\?).*$"
)


@dataclass(frozen=True)
class Intent:
    """What a question asks for, as far as code can tell without a model."""

    text: str
    flat: str = ""  # lower case, chat spellings expanded, English read through the glossary
    english: bool = False
    negated: bool = False  # the message says what it is not about ("bkn kota jogja"): `flat` left it out
    regulations: tuple[RegulationMention, ...] = ()
    pasal: int | None = None
    ayat: int | None = None
    lookup: bool = False
    definition: str | None = None
    injection: bool = False
    next_pasal: int = 0
    leans_back: bool = False  # opens with a connector, refers back, or names no subject of its own
    years: tuple[int, ...] = ()
    period: tuple[int, ...] = ()  # years of a period named ("arsitektur nasional 2025-2029")
    words: tuple[str, ...] = field(default_factory=tuple)
    subject: tuple[str, ...] = ()  # content words naming what is asked about (not how it is asked)
    attribute: Attribute | None = None  # what is asked about the subject (who, when, how many...)
    later: bool = False  # about the future or what happened after the documents
    in_force: bool = False  # "kapan perpres ini mulai berlaku?"
    shift: int = 0  # a year named relative to the conversation's: -1 "tahun sebelumnya", +1 "the year after"
    # "bedanya X dengan Y?": each term with the regulations named beside it ("audit TIK di perpres 95").
    comparison: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def known(self) -> tuple[str, ...]:
        """Short names of the named regulations that are in the knowledge base."""
        return tuple(r.short_name for r in self.regulations if r.short_name)

    @property
    def unknown(self) -> tuple[RegulationMention, ...]:
        """Named regulations the knowledge base does not hold."""
        return tuple(r for r in self.regulations if not r.short_name)

    @property
    def pasal_owner(self) -> RegulationMention | None:
        """Of several regulations a Pasal lookup names, the one named nearest to "pasal N"; None for one."""
        found = _PASAL_RE.search(self.flat)
        if found is None or len(self.regulations) < 2:
            return None

        def distance(mention: RegulationMention) -> int:
            start = self.flat.find(mention.text)
            if start < 0:
                return len(self.flat)
            return min(abs(found.start() - (start + len(mention.text))), abs(start - found.end(1)))

        return min(self.regulations, key=distance)

    @property
    def anchored(self) -> bool:
        """Whether the question names its own regulation, Pasal or defined term."""
        return bool(self.regulations or self.pasal or self.definition)


def _without(text: str, terms: tuple[str, ...]) -> str:
    for term in terms:
        text = re.sub(rf"\b{re.escape(term)}\b", " ", text)
    return text


def _replace_subject(previous: str, old: tuple[str, ...], new: tuple[str, ...], lexicon: Lexicon) -> str:
    """The previous search with its subject replaced by a new one of the same slot.

    Indonesian noun phrases put the head first: after "... provinsi bali 2024", "kota denpasar" replaces
    "provinsi bali" (same slot), and after "domain arsitektur keamanan", "domain data" replaces
    "domain arsitektur keamanan" (same head). Only the old subject's words go; how the question asked
    ("tujuannya apa?", "siapa yang menetapkan") stays. Twins ("instansi pusat" / "pemerintah daerah") swap.
    """
    now = " ".join(new)
    for left, right in lexicon.twins():
        for asked, dropped in ((left, right), (right, left)):
            if any(re.search(rf"\b{re.escape(term)}\b", now) for term in asked):
                previous = _without(previous, dropped)
    heads = set(new)
    for slot in lexicon.vocabulary.slots:
        if heads & slot:
            heads |= slot
    subject = set(old)
    out: list[str] = []
    dropping = False
    for token in previous.split():
        bare = token.strip("?,.!")
        if bare in heads and bare in subject:
            dropping = True  # the old head goes (the new subject brings its own), with its modifiers
            continue
        if dropping and bare in subject and bare not in heads and not lexicon.common(bare):
            continue  # a modifier of the old head ("bali" in "provinsi bali"), not a common word ("indeks")
        dropping = dropping and (not bare or bare in STOPWORDS)
        out.append(token)
    return " ".join(out)


@dataclass(frozen=True)
class Resolution:
    """A question read in its conversation: what to search, what is asked, about what."""

    query: str
    attribute: Attribute | None
    follow_up: bool
    subject: tuple[str, ...]  # the subject the next turn may lean on
    years: tuple[int, ...] = ()  # the years asked about, the topic's carried over


def resolve(intent: Intent, topic: Topic | None, lexicon: Lexicon) -> Resolution:
    """The search, the asked attribute and the subject of a question in its conversation.

    A follow-up that names no subject takes the topic's subject ("yang ngelola siapa?"); one that names a
    new subject and asks nothing of its own keeps the topic's attribute ("kalau untuk pemda?"). The
    topic's year carries over unless the turn names another ("kalau yang 2023?", "tahun sebelumnya?").
    """
    if topic is None or intent.anchored or not intent.leans_back:
        return Resolution(intent.flat, intent.attribute, False, intent.subject, intent.years)
    years = _YEAR_RE.findall(topic.query)
    shift = intent.shift
    if intent.years:
        carried: list[str] = []  # the turn names its own year
    elif shift and years:
        carried = [str(int(years[-1]) + shift)]
    else:
        carried = years[-1:]
    subject = intent.subject
    asked_before = lexicon.vocabulary.attribute(topic.attribute or "")
    if not subject:
        if intent.attribute is not None and topic.subject:
            previous = " ".join(topic.subject)  # it asks its own question: the subject, not what was asked
        else:
            # The topic's whole search, without how it was asked then ("siapa"), with the new question.
            previous = asked_before.asked.sub(" ", topic.query) if asked_before else topic.query
            previous = _YEAR_RE.sub(" ", previous) if intent.years or shift else previous
        parts = [intent.flat, previous, *carried]
        attribute = intent.attribute or asked_before
        about = topic.subject
    else:
        # A new subject: the old subject's twin or slot-mate goes ("kalau untuk pemda?"), the rest stays.
        kept = _replace_subject(" ".join(topic.subject), topic.subject, subject, lexicon).split()
        about = (*kept, *subject)
        if intent.attribute is None:  # and nothing asked of its own: what was asked before is asked again
            previous = _replace_subject(_YEAR_RE.sub(" ", topic.query), topic.subject, subject, lexicon)
            parts = [previous, intent.flat, *carried]
            attribute = asked_before
        else:
            parts = [intent.flat, *kept, *carried]
            attribute = intent.attribute
    query = re.sub(r"\s+", " ", " ".join(parts)).strip()
    asked_years = intent.years or tuple(int(y) for y in carried)
    return Resolution(query, attribute, True, tuple(dict.fromkeys(about)), asked_years)


def definition_term(text: str, vocabulary: Vocabulary | None = None) -> str | None:
    """The term a 'what is X' question asks about, if it is one (patterns: terms.toml [definitions])."""
    # A parenthesis glosses the term ("'Pusat Data' (data centre)"): it is not part of it.
    flat = re.sub(r"[?!.,;:\"'()]", " ", re.sub(r"\([^)]*\)", " ", expand(text)))
    flat = re.sub(r"\s+", " ", flat).strip()
    for pattern in (vocabulary or load_vocabulary()).definitions:
        m = pattern.search(flat)
        if m:
            term = _TERM_TAIL_RE.sub("", " " + m.group("t").strip()).strip()
            term = re.sub(r"^(?:itu|yang|sih|dengan)\s+", "", term)
            # A term names a thing: not a regulation, not a Pasal, not a whole clause.
            if 1 <= len(term.split()) <= 6 and not re.search(
                r"\b(?:pasal|nomor|no|tahun|berapa|ada)\b", term
            ):
                return term
    return None


# "kapan perpres ini mulai berlaku?" is answered by the regulation's closing Pasal.
_IN_FORCE_RE = re.compile(
    r"\b(?:mulai\s+berlaku|berlaku(?:nya)?\s+(?:sejak|kapan|mulai|tanggal)|kapan\s+(?:[\w/]+\s+){0,3}berlaku|"
    r"tanggal\s+berlaku(?:nya)?)\b"
)
# A comparison asks how two defined terms differ: "apa bedanya pemantauan spbe dengan evaluasi spbe?",
# "audit TIK di perpres 95 sama audit keamanan di peraturan bssn itu sama gak?".
_DIFFERENCE_CUE_RE = re.compile(
    r"\b(?:beda\w*|perbedaan\w*|membedakan|sama\s+(?:gak|nggak|ngga|ga|enggak|tidak|atau))\b"
)
_COMPARE_RES = (
    re.compile(
        r"\b(?:beda|bedanya|perbedaan|perbedaannya)\s+(?:apa\s+)?(?:antara\s+)?(?P<a>.+?)\s+"
        r"(?:dengan|dan|sama|vs|versus)\s+(?P<b>.+)"
    ),
    re.compile(
        r"^(?P<a>.+?)\s+(?:dengan|dan|sama|vs|versus)\s+(?P<b>.+?)\s+(?:itu\s+)?(?:sama|beda|berbeda)\b"
    ),
)
_COMPARED_TAIL_RE = re.compile(
    r"\s+(?:menurut|dalam|di|pada|berdasarkan|sesuai|versi|itu|ya|sih|dong|tuh|kok|apa|apakah|gimana|"
    r"bagaimana|yang|yg|beda\w*|sama|gak|nggak|ngga|ga|tidak|secara|pasal|nomor|berapa|siapa)\b.*$"
)
_TERM_HEAD_RE = re.compile(r"^(?:(?:apa|apakah|sih|yang|itu|antara|si)\s+)+")


def comparison_terms(text: str, lexicon: Lexicon) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The two terms a 'how do X and Y differ' question compares, each with the regulations named by it."""
    # Split before expanding abbreviations: "TIK" expands to words that contain "dan".
    flat = re.sub(r"\s+", " ", re.sub(r"[?!.,;:\"'()]", " ", text.lower())).strip()
    if not _DIFFERENCE_CUE_RE.search(flat):
        return ()
    for pattern in _COMPARE_RES:
        m = pattern.search(flat)
        if not m:
            continue
        terms = []
        for raw in (m.group("a"), m.group("b")):
            raw = _TERM_HEAD_RE.sub("", raw.strip())
            named = tuple(r.short_name for r in lexicon.find_regulations(raw) if r.short_name)
            term = _COMPARED_TAIL_RE.sub("", " " + raw).strip()
            if not 1 <= len(term.split()) <= 5 or not re.search(r"[a-z]{3}", term):
                return ()
            terms.append((term, named))
        return tuple(terms)
    return ()


def _subject(
    flat: str, attribute: Attribute | None, regulations: tuple[RegulationMention, ...], lexicon: Lexicon
) -> tuple[str, ...]:
    """Content words naming what is asked about: not the asking words, the regulation, years or greetings."""
    rest = flat
    if attribute is not None:
        rest = attribute.asked.sub(" ", rest)
    for mention in regulations:
        rest = rest.replace(mention.text, " ")
    filler = lexicon.vocabulary.filler
    return tuple(w for w in content_words(rest) if not re.fullmatch(r"(?:19|20)\d{2}", w) and w not in filler)


def _defined_term(text: str, lexicon: Lexicon) -> str | None:
    """The term a definition question asks about, in the documents' words ("spbe arsitektur").

    The glossary reads the term even when the question is too short to tell its language ("define
    interoperability"); its Indonesian words are not glossary entries, so they stay as they are.
    """
    term = definition_term(text, lexicon.vocabulary)
    return lexicon.gloss(term) if term else term


def read_intent(text: str, lexicon: Lexicon) -> Intent:
    """Everything code reads from one message before retrieval."""
    english = lexicon.is_english(text)
    # What the question says it is not about leaves it ("... (yg bukan audit keamanan ya)").
    spelled = lexicon.spell_places(expand(lexicon.translate(text) if english else text))
    flat = lexicon.without_negated(spelled)
    regulations = tuple(lexicon.find_regulations(text, english=english))
    pasal_match = _PASAL_RE.search(flat)
    pasal = int(pasal_match.group(1)) if pasal_match else None
    ayat = int(pasal_match.group(2)) if pasal_match and pasal_match.group(2) else None
    content = content_words(flat)
    # "isi pasal 40 perpres 95 apa?" asks for the article itself; a long question only mentions one.
    # The regulation's own name ("peraturan menteri panrb nomor 5 tahun 2020") does not make it long.
    unnamed = flat
    for mention in regulations:
        unnamed = unnamed.replace(mention.text, " ")
    own_words = len(content_words(unnamed))
    lookup = pasal is not None and (bool(_LOOKUP_CUES.search(flat)) or own_words <= 4)
    next_pasal = 1 if _NEXT_RE.search(flat) else (-1 if _PREVIOUS_RE.search(flat) else 0)
    # "permenpan 59 thn 2020 berlaku mulai kapan?" asks nothing about 2020: the year names the regulation;
    # "arsitektur nasional 2020-2024" names a period, not a year whose figures are asked for.
    years = tuple(int(y) for y in _YEAR_RE.findall(_PERIOD_RE.sub(" ", unnamed)))
    attribute = lexicon.attribute(flat)
    subject = _subject(flat, attribute, regulations, lexicon)
    # In the message's own words too: the glossary reads "a year earlier" as "a tahun earlier".
    shift = lexicon.relative_year(flat) or lexicon.relative_year(expand(text).lower())
    if shift:  # "tahun sebelumnya" names a year, not a subject
        vocabulary = lexicon.vocabulary
        relative = {w for p in (*vocabulary.previous_year, *vocabulary.next_year) for w in p.split()}
        subject = tuple(w for w in subject if w not in relative)
    vocabulary = lexicon.vocabulary
    stripped = re.sub(r"^[^\w]+", "", flat)
    opens = any(re.match(rf"{re.escape(c)}\b", stripped) for c in vocabulary.connectors)
    refers = any(re.search(rf"\b{re.escape(a)}\b", flat) for a in vocabulary.anaphora)
    possessive = bool(_POSSESSIVE_RE.search(flat))
    # A turn of a word or two ("direviu kapan?") cannot stand alone in a conversation either.
    leans_back = (opens or refers or possessive or len(subject) <= 1) and len(subject) <= 6
    return Intent(
        text=text,
        flat=flat,
        english=english,
        negated=flat != spelled,
        regulations=regulations,
        pasal=pasal,
        ayat=ayat,
        lookup=lookup,
        definition=None if pasal or _PARTS_RE.search(flat) else _defined_term(text, lexicon),
        injection=lexicon.injection(expand(text)),
        next_pasal=next_pasal,
        leans_back=leans_back,
        years=years,
        period=tuple(int(y) for p in _PERIOD_RE.findall(unnamed) for y in _YEAR_RE.findall(p)),
        words=tuple(content),
        subject=subject,
        attribute=attribute,
        later=lexicon.later_event(flat) or lexicon.later_event(expand(text)),
        comparison=comparison_terms(text, lexicon),
        in_force=bool(_IN_FORCE_RE.search(flat)) and own_words <= 6,
        shift=shift,
    )


# "1) ... 2) ..." or "1. ... 2. ...": a message that numbers its questions.
_NUMBERED_RE = re.compile(r"(?:^|(?<=[\s:;,]))\(?([1-9])[).]\s+")
_MAX_PARTS = 3


def _named_words(segment: str, lexicon: Lexicon) -> list[str]:
    """A piece's content words that can name something: not chat filler, not numbers."""
    return [w for w in content_words(segment) if w not in lexicon.vocabulary.filler and not w[0].isdigit()]


def _asks_something(segment: str, lexicon: Lexicon) -> bool:
    """Whether a piece of a message is a question of its own: it asks something (who, when, how many,
    where regulated...) about something ("trus yg nyelenggarain siapa?"). A piece that only narrows the
    one before ("bedain yg aplikasi umum sama yg khusus ya", "bssn langsung atau pihak lain?"), says what
    it is not about ("bukan indeks totalnya?") or tags it ("ya?", "jelasin dong") is not."""
    segment = lexicon.without_negated(expand(segment))
    return bool(_named_words(segment, lexicon)) and lexicon.attribute(segment) is not None


def _asks_on_its_own(segment: str, lexicon: Lexicon) -> bool:
    """A clause that is a whole question: it asks (an attribute or a question word) about two or more
    words of its own, so "apa tugas" in "apa tugas dan fungsi tim koordinasi?" is not."""
    words = set(re.findall(r"\w+", expand(segment).lower()))
    asks = lexicon.attribute(expand(segment)) is not None or bool(words & lexicon.vocabulary.interrogatives)
    return asks and len(_named_words(segment, lexicon)) >= 2


def _joined_questions(
    sentence: str, lexicon: Lexicon, whole: Callable[[str], bool] | None = None
) -> list[str]:
    """One sentence holding two questions joined by "dan", "trus", a comma... split where both sides
    are questions on their own (joiners: knowledge/vocabulary/terms.toml [dialogue] part_joiners), unless
    `whole` says the sentence is answered whole."""
    words = "|".join(re.escape(j) for j in lexicon.vocabulary.part_joiners if j.isalnum())
    symbols = "".join(re.escape(j) for j in lexicon.vocabulary.part_joiners if not j.isalnum())
    pattern = "|".join(
        ([rf"\s*,?\s+(?:{words})(?=\s)"] if words else []) + ([rf"\s*[{symbols}](?=\s)"] if symbols else [])
    )
    if not pattern or (whole is not None and whole(sentence)):
        return [sentence]
    for m in re.finditer(pattern, sentence, flags=re.I):
        left, right = sentence[: m.start()].strip(), sentence[m.end() :].strip(" ,")
        if left and right and _asks_on_its_own(left, lexicon) and _asks_on_its_own(right, lexicon):
            return [left, *_joined_questions(right, lexicon, whole)]
    return [sentence]


def split_parts(
    text: str, lexicon: Lexicon, whole: Callable[[str], bool] | None = None
) -> tuple[tuple[str, str], ...]:
    """The questions of a message that asks two or three things at once, in order, each as (how the
    message put it, what to ask); () for one question.

    A message splits at its question marks ("... brp tahun? trus yg netapin siapa?") or at its numbers
    ("1) ... 2) ..."); a piece that asks nothing of its own ("ya?", "jelasin dong") stays with the one
    before it. Words before numbered questions that name a subject ("soal audit keamanan: 1) ...") go
    with each of them.
    """
    numbers = list(_NUMBERED_RE.finditer(text))
    prefix = ""
    if len(numbers) >= 2 and [int(m.group(1)) for m in numbers] == list(range(1, len(numbers) + 1)):
        bounds = [m.start() for m in numbers] + [len(text)]
        pieces = [text[m.end() : bounds[i + 1]].strip() for i, m in enumerate(numbers)]
        head = text[: numbers[0].start()]
        if any(lexicon.frequency(w) >= 3 for w in _named_words(head, lexicon)):
            prefix = head.strip().rstrip(":").strip()
    else:
        pieces = [
            part
            for p in re.split(r"\?+", text)
            if p.strip(" \t\n.,;:!")
            for part in _joined_questions(p.strip(), lexicon, whole)
        ]
        pieces = [p + "?" for p in pieces]
    parts: list[str] = []
    for piece in pieces:
        if parts and not _asks_something(piece, lexicon):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    if not 2 <= len(parts) <= _MAX_PARTS:
        return ()
    return tuple((p, f"{prefix}: {p}" if prefix else p) for p in parts)
