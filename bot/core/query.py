"""Reading a question: which regulation and Pasal it names, definitions, injections, follow-ups."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.text import content_words, expand

# Loose names of regulations: "perpres 95", "permenpan rb no 59 thn 2020", "peraturan bssn 8/2024".
_TAHUN = r"(?:\s*(?:/|tahun|thn|th\.?|tahun)\s*((?:19|20)\d{2}))?"
_NOMOR = r"\s*(?:ri\s*)?(?:no\.?|nomor|nmr)?\s*(\d{1,3})\b(?!\s*(?:ayat|angka|huruf|%|persen|hari|bulan))"
_PERMENPAN = (
    r"\b(?:permen\s*-?\s*pan(?:\s*-?\s*rb)?|permenpan\s*-?\s*rb|permenpanrb|permenpan|peraturan menteri\s+"
    r"(?:pan\s*-?\s*rb|panrb|pendayagunaan aparatur negara(?: dan reformasi birokrasi)?))"
)
_BSSN = (
    r"\b(?:per(?:aturan)?\s*(?:badan\s*)?bssn|perban\s*bssn|perbssn|peraturan badan siber dan sandi negara)"
)
_PEDOMAN = r"\bpedoman\s+(?:menteri\s+)?(?:menpan\s*-?\s*rb|menpanrb|menpan|pan\s*rb)"
_KOMINFO = r"\b(?:permenkominfo|permen\s*kominfo|peraturan menteri kominfo)"
_REGULATION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (jenis, re.compile(prefix + _NOMOR + _TAHUN))
    for jenis, prefix in (
        ("Perpres", r"\b(?:perpres|peraturan presiden)"),
        ("PermenPANRB", _PERMENPAN),
        ("Peraturan BSSN", _BSSN),
        ("Pedoman MenPANRB", _PEDOMAN),
        ("Permenkominfo", _KOMINFO),
        ("PP", r"\b(?:pp|peraturan pemerintah)"),
        ("UU", r"\b(?:uu|undang-undang)"),
        # Kinds the knowledge base never holds: named only so that "pasal 4 permendagri 70/2019" is
        # refused as unknown instead of being read as Pasal 4 of the core regulation.
        ("Permendagri", r"\b(?:permendagri|permen\s*dagri|peraturan menteri dalam negeri)"),
        ("PMK", r"\b(?:pmk|permenkeu|permen\s*keu|peraturan menteri keuangan)"),
        (
            "Peraturan Menteri",
            r"\b(?:permen(?!\s*-?\s*(?:pan|kominfo|dagri|keu))[a-z]*|peraturan menteri"
            r"(?!\s+(?:pan|kominfo|dalam negeri|keuangan|pendayagunaan)))(?:\s+[a-z]+){0,4}?",
        ),
        ("Perda", r"\b(?:perda|peraturan daerah)(?:\s+[a-z]+){0,3}?"),
        ("Pergub", r"\b(?:pergub|peraturan gubernur)(?:\s+[a-z]+){0,3}?"),
        ("Perbup", r"\b(?:perbup|peraturan bupati)(?:\s+[a-z]+){0,3}?"),
        ("Perwal", r"\b(?:perwal|perwali|peraturan wali\s*kota)(?:\s+[a-z]+){0,3}?"),
        ("Keppres", r"\b(?:keppres|kepres|keputusan presiden)"),
        ("Inpres", r"\b(?:inpres|instruksi presiden)"),
        ("Perppu", r"\b(?:perppu|perpu)"),
        ("Kepmen", r"\b(?:kepmen|keputusan menteri)(?:\s+[a-z]+){0,4}?"),
        (
            "Surat Edaran",
            r"\b(?:surat edaran|se\s*-?\s*men(?:pan\s*-?\s*rb|panrb|pan|dagri|kominfo|keu))"
            r"(?:\s+[a-z]+){0,4}?",
        ),
        (
            "Peraturan",
            r"\b(?:perka|perlem|peraturan (?:kepala|lembaga|bps|lkpp|bkn|anri|bappenas|bpkp|lan))"
            r"(?:\s+[a-z]+){0,4}?",
        ),
    )
)
# Laws named by their short title ("UU ITE", "PP PSTE"): never in the knowledge base, so always unknown.
_NAMED_LAW_RE = re.compile(
    r"\b(uu|undang-undang|pp|peraturan pemerintah)\s+(?!(?:nomor|no|nomer|tentang|ttg|yang|yg|dan|itu|ini|"
    r"di|ke|apa|mengenai|soal)\b)([a-z]{2,6})\b"
)
_REPORT_RE = re.compile(
    r"\blaporan\s+(?:pelaksanaan\s+)?(?:hasil\s+)?evaluasi(?:\s+spbe)?\s+(?:tahun\s+)?((?:19|20)\d{2})"
)
_YEAR_RE = re.compile(r"(?<![\d,./])((?:19|20)\d{2})(?![\d,])")

_PASAL_RE = re.compile(r"\bpasal\s*(\d{1,3})\b(?:\s*(?:ayat|ay\.?)\s*\(?(\d{1,2})\)?)?")
_LOOKUP_CUES = re.compile(
    r"\b(isi|isinya|bunyi|bunyinya|ngatur|mengatur|atur|bahas|membahas|tentang|ttg|jelaskan|jelasin|"
    r"dijelasin|dijelaskan|ngomong|bilang|sebut|apa|menyebutkan|berisi|teks|lengkap)\b"
)
_NEXT_RE = re.compile(r"\bpasal\s+(?:berikut(?:nya)?|selanjutnya|sesudahnya|setelahnya)\b")
_PREVIOUS_RE = re.compile(r"\bpasal\s+(?:sebelumnya|sebelum\s*nya)\b")
_FOLLOW_UP_RE = re.compile(
    r"^(?:kalau|kalo|klo|bagaimana dengan|gimana dengan|terus|trus|trs|lalu|nah|oke|ok|yang|yg|dan|untuk|"
    r"buat|bagaimana kalau|gimana kalau|kemudian|selain itu|lantas)\b|\b\w+nya\b"
)

_INJECTION_RE = re.compile(
    r"abaikan\s+(?:semua\s+|seluruh\s+)?(?:instruksi|perintah|aturan)|lupakan\s+(?:semua\s+)?(?:instruksi|aturan)|"
    r"ignore\s+(?:all\s+|any\s+)?(?:previous|prior|above)|disregard\s+(?:all\s+)?(?:previous|prior)|"
    r"system\s*prompt|prompt\s+sistem|instruksi\s+sistem|konfigurasi\s+rahasia|"
    r"(?:kamu|anda)\s+(?:bukan|sekarang)\s+(?:lagi\s+)?(?:bot|asisten)|jailbreak|developer\s+mode|"
    r"mulai\s+sekarang\s+(?:kamu|anda)\s+(?:adalah|bukan|menjadi)|you\s+are\s+now|act\s+as\s+"
)

_DEFINITION_RES = (
    re.compile(
        r"\b(?:apa|apakah)\s+(?:itu|yang\s+dimaksud(?:\s+dengan)?|pengertian|definisi|arti)\s+(?P<t>.+)"
    ),
    re.compile(
        r"\b(?:yang\s+)?dimaksud(?:\s+dengan)?\s+(?P<t>.+?)\s+(?:itu|adalah|apa|menurut|dalam|pada)\b"
    ),
    re.compile(r"\b(?:definisi|pengertian|arti)\s+(?:dari\s+)?(?P<t>.+)"),
    # Chat spells "itu" as "tuh"/"tu": "arsitektur spbe tuh apa ya?"
    re.compile(
        r"^(?P<t>[\w\s/-]+?)\s+(?:itu|tuh|tu)\s+(?:sebenernya\s+|sebenarnya\s+)?(?:\w+\s+)?(?:apa|apaan)\b"
    ),
    re.compile(r"^(?P<t>[\w\s/-]+?)\s+(?:(?:itu|tuh|tu)\s+)?(?:maksudnya|artinya)\b"),
    re.compile(r"^(?P<t>[\w\s/-]+?)\s+(?:(?:itu|tuh|tu)\s+)?(?:definisinya|pengertiannya)\b"),
    re.compile(r"\b(?:definition|meaning)\s+of\s+(?:a\s+|an\s+|the\s+)?(?P<t>.+?)(?:\s+(?:in|under)\s+.*)?$"),
    re.compile(r"\bwhat\s+is\s+(?:a\s+|an\s+|the\s+)?(?P<t>.+)"),
)
# "X itu meliputi apa saja?" asks what X consists of, which the Pasal that lists it answers, not Pasal 1.
_PARTS_RE = re.compile(
    r"\b(?:meliputi|terdiri|mencakup|memuat|berisi|isinya|komponen\w*|unsur\w*)\b|\bapa\s+(?:saja|aja)\b"
)
_TERM_TAIL_RE = re.compile(
    r"\s+(?:menurut|dalam|di|pada|berdasarkan|sesuai|versi|itu|ya|sih|dong|tuh|sebenarnya|sebenernya|"
    r"dalam konteks|secara|\?).*$"
)


@dataclass(frozen=True)
class RegulationMention:
    """A regulation named in a question, loosely ('perpres 95'), resolved or not."""

    jenis: str
    nomor: str
    tahun: int | None
    text: str
    short_name: str | None = None

    @property
    def display(self) -> str:
        """How to name it back to the user."""
        if self.short_name:
            return self.short_name
        return f"{self.jenis} {self.nomor}/{self.tahun}" if self.tahun else f"{self.jenis} {self.nomor}"


@dataclass(frozen=True)
class Intent:
    """What a question asks for, as far as code can tell without a model."""

    text: str
    regulations: tuple[RegulationMention, ...] = ()
    pasal: int | None = None
    ayat: int | None = None
    lookup: bool = False
    definition: str | None = None
    injection: bool = False
    next_pasal: int = 0
    follow_up: bool = False
    years: tuple[int, ...] = ()
    report_year: int | None = None
    words: tuple[str, ...] = field(default_factory=tuple)
    in_force: bool = False  # "kapan perpres ini mulai berlaku?"
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


def _resolve(jenis: str, nomor: str, tahun: int | None, names: Iterable[str]) -> str | None:
    """The indexed short name for 'Perpres 95' or 'Perpres 95/2018'."""
    prefix = f"{jenis} {nomor}/"
    found = [n for n in names if n.startswith(prefix) and (tahun is None or n == f"{prefix}{tahun}")]
    return found[0] if len(found) == 1 else None


def find_regulations(text: str, names: Iterable[str], aliases: dict[str, str]) -> list[RegulationMention]:
    """Regulations a question names, in order of appearance; unresolved ones keep their spelling."""
    names = list(names)
    flat = expand(text)
    found: list[tuple[int, RegulationMention]] = []
    for jenis, pattern in _REGULATION_PATTERNS:
        for m in pattern.finditer(flat):
            tahun = int(m.group(2)) if m.group(2) else None
            short = _resolve(jenis, m.group(1), tahun, names)
            found.append((m.start(), RegulationMention(jenis, m.group(1), tahun, m.group(0), short)))
    for m in _NAMED_LAW_RE.finditer(flat):
        jenis = "UU" if m.group(1) in ("uu", "undang-undang") else "PP"
        found.append((m.start(), RegulationMention(jenis, m.group(2).upper(), None, m.group(0))))
    for m in _REPORT_RE.finditer(flat):
        name = f"Laporan Evaluasi SPBE {m.group(1)}"
        found.append(
            (
                m.start(),
                RegulationMention(
                    "Laporan Evaluasi SPBE", "", int(m.group(1)), m.group(0), name if name in names else None
                ),
            )
        )
    for alias, short in aliases.items():
        pos = flat.find(alias)
        whole_word = pos >= 0 and re.match(r"\W|$", flat[pos + len(alias) : pos + len(alias) + 1] or " ")
        if whole_word and short in names and not any(r.short_name == short for _, r in found):
            found.append((pos, RegulationMention("", "", None, alias, short)))
    found.sort(key=lambda item: item[0])
    out: list[RegulationMention] = []
    for _, mention in found:
        if not any(m.display == mention.display for m in out):
            out.append(mention)
    return out


# Twins the regulations treat side by side: "kalau untuk pemda?" after a question about instansi pusat
# asks the same thing of the other twin, so the first twin's words leave the search.
_CONTRASTS = (
    (("instansi pusat", "kementerian lembaga", "kementerian", "lembaga"),
     ("pemerintah daerah", "pemerintah provinsi", "pemerintah kabupaten", "pemerintah kota", "daerah")),
    (("aplikasi umum",), ("aplikasi khusus",)),
    (("nasional",), ("instansi pusat", "pemerintah daerah")),
)  # fmt: skip


def follow_up_query(previous: str, current: str) -> str:
    """The search for a follow-up: the earlier question's topic with the new turn's twin swapped in."""
    before, now = expand(previous), expand(current)
    for left, right in _CONTRASTS:
        for asked, dropped in ((left, right), (right, left)):
            if any(re.search(rf"\b{term}\b", now) for term in asked):
                for term in dropped:
                    before = re.sub(rf"\b{term}\b", " ", before)
    return " ".join([*before.split(), current])


def definition_term(text: str) -> str | None:
    """The term a 'what is X' question asks about, if it is one."""
    flat = re.sub(r"[?!.,;:\"'()]", " ", expand(text))
    flat = re.sub(r"\s+", " ", flat).strip()
    for pattern in _DEFINITION_RES:
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


def comparison_terms(
    text: str, names: Iterable[str], aliases: dict[str, str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The two terms a 'how do X and Y differ' question compares, each with the regulations named by it."""
    # Split before expanding abbreviations: "TIK" expands to words that contain "dan".
    flat = re.sub(r"\s+", " ", re.sub(r"[?!.,;:\"'()]", " ", text.lower())).strip()
    if not _DIFFERENCE_CUE_RE.search(flat):
        return ()
    names = list(names)
    for pattern in _COMPARE_RES:
        m = pattern.search(flat)
        if not m:
            continue
        terms = []
        for raw in (m.group("a"), m.group("b")):
            raw = _TERM_HEAD_RE.sub("", raw.strip())
            named = tuple(r.short_name for r in find_regulations(raw, names, aliases) if r.short_name)
            term = _COMPARED_TAIL_RE.sub("", " " + raw).strip()
            if not 1 <= len(term.split()) <= 5 or not re.search(r"[a-z]{3}", term):
                return ()
            terms.append((term, named))
        return tuple(terms)
    return ()


def read_intent(text: str, names: Iterable[str], aliases: dict[str, str]) -> Intent:
    """Everything code reads from one message before retrieval."""
    flat = expand(text)
    regulations = tuple(find_regulations(text, names, aliases))
    pasal_match = _PASAL_RE.search(flat)
    pasal = int(pasal_match.group(1)) if pasal_match else None
    ayat = int(pasal_match.group(2)) if pasal_match and pasal_match.group(2) else None
    content = content_words(text)
    # "isi pasal 40 perpres 95 apa?" asks for the article itself; a long question only mentions one.
    # The regulation's own name ("peraturan menteri panrb nomor 5 tahun 2020") does not make it long.
    unnamed = flat
    for mention in regulations:
        unnamed = unnamed.replace(mention.text, " ")
    own_words = len(content_words(unnamed))
    lookup = pasal is not None and (bool(_LOOKUP_CUES.search(flat)) or own_words <= 4)
    next_pasal = 1 if _NEXT_RE.search(flat) else (-1 if _PREVIOUS_RE.search(flat) else 0)
    # "permenpan 59 thn 2020 berlaku mulai kapan?" asks nothing about 2020: the year names the regulation.
    years = tuple(int(y) for y in _YEAR_RE.findall(unnamed))
    report = _REPORT_RE.search(flat)
    return Intent(
        text=text,
        regulations=regulations,
        pasal=pasal,
        ayat=ayat,
        lookup=lookup,
        definition=None if pasal or _PARTS_RE.search(flat) else definition_term(text),
        injection=bool(_INJECTION_RE.search(flat)),
        next_pasal=next_pasal,
        follow_up=bool(_FOLLOW_UP_RE.search(flat.strip())) and len(content) <= 8,
        years=years,
        report_year=int(report.group(1)) if report else None,
        words=tuple(content),
        comparison=comparison_terms(text, names, aliases),
        in_force=bool(_IN_FORCE_RE.search(flat)) and own_words <= 6,
    )
