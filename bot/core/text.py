"""Indonesian text normalization for retrieval: chat abbreviations, tokens, careful stemming."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from knowledge.vocabulary import load_vocabulary, sastrawi

logger = logging.getLogger(__name__)

# Words that carry no content in a question (kept out of the lexical query and evidence checks).
STOPWORDS = frozenset(
    """
    apa apakah yang itu ini dan atau di ke dari dalam pada untuk dengan oleh sih dong ya yah kah lah
    nya deh kok nih tuh aja saja juga kan gitu begitu gak tidak bukan ada adalah ialah merupakan sebagai
    saya kami kita anda kamu dia mereka tolong mohon info minta bisa boleh harus perlu apa saja siapa
    mana kapan bagaimana mengapa kenapa berapa seperti tentang bahwa jika kalau kalo maka karena akan
    sudah telah masih lagi hal tersebut secara para sebut sebutkan jelaskan dijelaskan bunyi bunyinya isi
    isinya bahas membahas ngomong bilang mengatur diatur soal terkait tiap setiap per buat sama the a an
    of is are what which who how many much to in for and or does do did was were be under sebenernya
    sebenarnya maksud maksudnya dimaksud pengertian definisi arti artinya aja trus terus nah oke ok
    baik dll dsb pak bu mas mbak gan dapat punya kah
    """.split()
)

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:[.,/][0-9]+)*")


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - Sastrawi has no types
    return sastrawi().create_stemmer()


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """The root words of Indonesian (Sastrawi's dictionary): words, not misspelt names."""
    return frozenset(sastrawi().get_words())


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # The field's terms the stemmer would merge with unrelated words ("pemerintahan" -> "perintah") are
    # kept whole: knowledge/vocabulary/terms.toml, [stemming] keep.
    if word in load_vocabulary().unstemmed or len(word) <= 4 or not word.isalpha():
        return word
    return _stemmer().stem(word) or word


# Stems of the corpus vocabulary read from the stem cache file: Sastrawi takes ~0.5 ms a word, so
# stemming ~3,500 words at every start cost 2-3 s before the first answer.
_KNOWN_STEMS: dict[str, str] = {}
# The stem and BM25 caches are only good for the code and terms that made them: any change to this module
# (stopwords, tokenizing) or to the terms kept unstemmed invalidates them.
_CACHE_VERSION = hashlib.sha256(
    Path(__file__).read_bytes() + " ".join(sorted(load_vocabulary().unstemmed)).encode()
).hexdigest()[:16]


def read_cache(path: Path) -> dict | None:
    """A JSON object written by write_cache under this version of the tokenizer, or None."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return raw if isinstance(raw, dict) and raw.get("version") == _CACHE_VERSION else None


def write_cache(path: Path, payload: dict) -> bool:
    """Write a JSON cache atomically (a reader sees the old file or the new one); False if it cannot."""
    written = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as out:
            written = Path(out.name)
            json.dump({**payload, "version": _CACHE_VERSION}, out, ensure_ascii=False)
        os.replace(written, path)
    except OSError as exc:
        logger.warning("cache not written to %s: %s", path, exc)
        if written:
            written.unlink(missing_ok=True)
        return False
    return True


def stem(word: str) -> str:
    """Sastrawi stem of one word, except protected legal terms, numbers and short words."""
    known = _KNOWN_STEMS.get(word)
    return known if known is not None else _stem(word)


def load_stems(path: Path) -> int:
    """Seed the stems from a cache file written by save_stems; how many were read (0 if none usable)."""
    stems = (read_cache(path) or {}).get("stems")
    if not isinstance(stems, dict):
        return 0
    _KNOWN_STEMS.update({w: s for w, s in stems.items() if isinstance(w, str) and isinstance(s, str)})
    return len(stems)


def save_stems(path: Path, vocabulary: Iterable[str]) -> None:
    """Write a vocabulary's stems to a cache file when it lacks some; a failure only costs start time."""
    vocabulary = set(vocabulary)
    if vocabulary <= _KNOWN_STEMS.keys():
        return
    stems = {w: stem(w) for w in sorted(vocabulary)}
    if write_cache(path, {"stems": stems}):
        _KNOWN_STEMS.update(stems)


def expand(text: str) -> str:
    """Lowercase and expand chat abbreviations ('yg' -> 'yang', 'pemda' -> 'pemerintah daerah')."""
    vocabulary = load_vocabulary()  # knowledge/vocabulary/terms.toml
    if vocabulary.lowercase:  # "bkn" is "bukan"; "BKN" stays the agency's acronym
        text = re.sub(r"\b[a-z]+\b", lambda m: vocabulary.lowercase.get(m.group(0), m.group(0)), text)
    text = text.lower().replace("&", " dan ")
    # Chat writes the plural by a trailing 2: "prinsip2" is "prinsip-prinsip".
    text = re.sub(r"\b([a-z]{3,})2\b", r"\1", text)
    abbreviations = vocabulary.abbreviations

    def spelled_out(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in abbreviations:
            return abbreviations[word]
        # "pemdanya" is "pemerintah daerahnya": the -nya of a follow-up stays on the expanded form.
        if word.endswith("nya") and word[:-3] in abbreviations:
            return abbreviations[word[:-3]] + "nya"
        return word

    return re.sub(r"[a-z/]+", spelled_out, text)


def words(text: str) -> list[str]:
    """Lowercase word and number tokens; decimals stay whole ('2,79'), 'pasal 40' becomes 'pasal_40'."""
    text = re.sub(r"\bpasal\s+(\d+)", r"pasal_\1", text.lower())
    return [t.rstrip(".,/") for t in re.findall(r"pasal_\d+|" + _TOKEN_RE.pattern, text)]


def index_tokens(text: str) -> list[str]:
    """Tokens for the lexical index: each word, its stem when different, and adjacent-word pairs."""
    out: list[str] = []
    previous = ""
    for word in words(text):
        if word in STOPWORDS:
            previous = ""
            continue
        out.append(word)
        root = stem(word)
        if root != word and len(root) >= 4:
            out.append(root)
        # Legal terms are phrases ("manajemen data", "aplikasi umum", "pusat data").
        if previous:
            out.append(f"{previous}_{root}")
        previous = root
    return out


def query_tokens(text: str) -> list[str]:
    """Tokens for a user's question: abbreviations expanded, synonyms added, then as for the index."""
    expanded = expand(text)
    synonyms = load_vocabulary().synonyms  # knowledge/vocabulary/terms.toml
    extra = [s for w in words(expanded) for s in synonyms.get(w, ())]
    return index_tokens(" ".join([expanded, *extra]))


def content_words(text: str) -> list[str]:
    """Words of a question that carry content (no stopwords), abbreviations expanded."""
    english = load_vocabulary().english  # knowledge/vocabulary/terms.toml
    return [
        w
        for w in words(expand(text))
        if w not in STOPWORDS and w not in english and not w.startswith("pasal_")
    ]
