"""Pure functions from cleaned lines to legal structure: preamble, BAB, Bagian, Paragraf, Pasal, Lampiran."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.normalize import Line
from knowledge.schema import LIST_MARKER_RE, squash

_ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
          "XVI", "XVII", "XVIII", "XIX", "XX"]  # fmt: skip

_PASAL_RE = re.compile(r"^(Pasa[lI1i]?|PasaI)\s*([0-9OoIl][0-9OoIl ]{0,4})\s*\.?$")
_BAB_RE = re.compile(r"^BAB\s*([IVXL]+)\b\.?\s*(.*)$")
_BAGIAN_RE = re.compile(r"^Bagian\s+(Ke[a-z]+)\s*$")
_PARAGRAF_RE = re.compile(r"^Paragraf\s*\.?\s*(\d+)\s*\.*$")
_LAMPIRAN_RE = re.compile(r"^LAMPIRAN(?:\s+([IVX]+))?\b")
_LETTER_HEADING_RE = re.compile(r"^([A-Z])\.\s+([A-Z0-9][^;:]{1,100})$")
# In a guide: "II. DOMAIN TATA KELOLA" (a part of a lettered section) and "INDIKATOR 12" (an item of it).
_ROMAN_HEADING_RE = re.compile(r"^([IVX]{1,4})\.\s+([A-Z][A-Z &/,-]{2,80})$")
_ITEM_HEADING_RE = re.compile(r"^([A-Z]{4,20})\s+(\d{1,3})$")
_NUMBERED_HEADING_RE = re.compile(r"^(\d+)\.\s?(\d+|[Il])\.?\s+([A-Z][^;:]{1,100})$")
_AYAT_RE = re.compile(r"^\((\d{1,2})(\)|[1l]?(?=\s))\s*")
_ANGKA_RE = re.compile(r"^(\d{1,2}|\d \d)\s?\.\s*(?=\S)")
_REFERENCE_WORDS = ("ayat", "angka", "huruf", "Pasal", "Nomor")


FRONT_MATTER = "Bagian Awal"  # a guide's title page and preface, before its first BAB


@dataclass
class PasalNode:
    """One Pasal with the headings above it and its cleaned lines."""

    number: int
    page: int
    bab: str | None
    path: tuple[str, ...]
    lines: list[Line] = field(default_factory=list)


@dataclass
class SectionNode:
    """A non-Pasal part: preamble, closing, Lampiran section, or a section of a guide or report."""

    kind: str
    path: tuple[str, ...]
    page: int
    lines: list[Line] = field(default_factory=list)


@dataclass
class Unit:
    """An ayat or angka of a Pasal (label None for a Pasal without either)."""

    label: str | None
    page: int
    lines: list[Line]


@dataclass
class ParsedDocument:
    """The structure of one document."""

    pasal: list[PasalNode] = field(default_factory=list)
    sections: list[SectionNode] = field(default_factory=list)
    babs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def pasal_number(text: str, expected: int) -> int | None:
    """The number of a Pasal heading line, read against the number expected next ('Pasal 1 1' -> 11)."""
    m = _PASAL_RE.match(text.strip())
    if not m:
        return None
    digits = m.group(2).replace(" ", "").translate(str.maketrans("OoIl", "0011"))
    if not digits.isdigit():
        return None
    # OCR reads the final 'l' of 'Pasal' as 7 ('Pasa77' for 'Pasal 7'): accept only when it fits.
    if m.group(1) == "Pasa" and digits.startswith("7") and digits[1:] == str(expected):
        return expected
    return int(digits)


def reflow(lines: list[Line] | list[str]) -> str:
    """Join wrapped lines into paragraphs; list items (a., 1., (1)) and table rows keep their own line."""
    out: list[str] = []
    for item in lines:
        text = item.text if isinstance(item, Line) else item
        text = text.strip()
        if not text:
            continue
        # A line opening with "(5)" after "... ayat" continues a cross-reference, not a new item.
        continues = out and out[-1].endswith(_REFERENCE_WORDS)
        starts_item = bool(LIST_MARKER_RE.match(text) or re.match(r"^bahwa\b", text)) and not continues
        if out and not starts_item and not text.startswith("|") and not out[-1].startswith("|"):
            out[-1] = f"{out[-1]} {text}"
        else:
            out.append(text)
    return "\n".join(re.sub(r"[ \t]+", " ", t) for t in out)


def _bab(text: str, expected: int) -> re.Match[str] | None:
    """A BAB heading with the next numeral (or the one after), not a catchword like 'BAB III ...'."""
    m = _BAB_RE.match(text)
    if not m or m.group(1) not in _ROMAN[expected : expected + 2]:
        return None
    if m.group(2) and not re.search(r"[A-Za-z]", m.group(2)):
        return None
    return m


def _bab_heading(lines: list[Line], i: int, expected: int) -> tuple[str, int, int] | None:
    """'BAB II TATA KELOLA ...' at line i: the heading, title lines used, and the next BAB expected."""
    m = _bab(lines[i].text, expected)
    if not m:
        return None
    title, used = m.group(2).strip(), 0
    if not title:
        title, used = _title_after(lines, i, upper=True)
    return f"BAB {m.group(1)} {title}".strip(), used, _ROMAN.index(m.group(1)) + 1


def _title_after(lines: list[Line], i: int, *, upper: bool) -> tuple[str, int]:
    """Heading title on the line(s) after index i; returns the title and how many lines it used."""
    parts: list[str] = []
    j = i + 1
    while j < len(lines) and len(parts) < 3:
        text = lines[j].text
        if _PASAL_RE.match(text) or _BAGIAN_RE.match(text) or _PARAGRAF_RE.match(text) or _BAB_RE.match(text):
            break
        if upper and not (text.isupper() and not _LETTER_HEADING_RE.match(text)):
            break
        parts.append(text)
        j += 1
    return " ".join(parts), j - i - 1


def parse_regulation(lines: list[Line]) -> ParsedDocument:
    """Parse a regulation with Pasal: preamble, body (BAB/Bagian/Paragraf/Pasal), closing, Lampiran."""
    doc = ParsedDocument()
    body_start = _parse_preamble(lines, doc)
    expected_pasal, expected_bab = 1, 0
    bab: str | None = None
    bagian: str | None = None
    paragraf: str | None = None
    current: PasalNode | None = None
    i = body_start
    while i < len(lines):
        line = lines[i]
        text = line.text
        if doc.pasal and re.match(r"^Ditetapkan\s+di\b", text):
            closing_end = _closing_end(lines, i)
            doc.sections.append(SectionNode("penutup", ("Penutup",), line.page, lines[i:closing_end]))
            doc.sections.extend(parse_attachment(lines[closing_end:], doc.warnings))
            break
        found = _bab_heading(lines, i, expected_bab)
        if found:
            bab, used, expected_bab = found
            doc.babs.append(bab)
            bagian = paragraf = None
            i += 1 + used
            continue
        if _BAGIAN_RE.match(text) and (i + 1 < len(lines)) and not _PASAL_RE.match(lines[i + 1].text):
            title, used = _title_after(lines, i, upper=False)
            bagian, paragraf = f"{text} {title}".strip(), None
            i += 1 + used
            continue
        if _PARAGRAF_RE.match(text):
            title, used = _title_after(lines, i, upper=False)
            number = _PARAGRAF_RE.match(text).group(1)  # type: ignore[union-attr]
            paragraf = f"Paragraf {number} {title}".strip()
            i += 1 + used
            continue
        number = pasal_number(text, expected_pasal)
        if number is not None and expected_pasal <= number <= expected_pasal + 2:
            if number > expected_pasal:
                missing = ", ".join(str(n) for n in range(expected_pasal, number))
                doc.warnings.append(f"judul Pasal {missing} tidak ditemukan (hlm. {line.page})")
            path = tuple(p for p in (bab, bagian, paragraf) if p)
            current = PasalNode(number, line.page, bab, path)
            doc.pasal.append(current)
            expected_pasal = number + 1
            i += 1
            continue
        if current is not None:
            current.lines.append(line)
        i += 1
    return doc


def _parse_preamble(lines: list[Line], doc: ParsedDocument) -> int:
    """Find Menimbang and Mengingat by content: page 1 of a text layer may put the labels first."""
    menimbang: list[Line] = []
    mengingat: list[Line] = []
    for i, line in enumerate(lines):
        text = line.text
        if re.match(r"^(MEMUTUSKAN|Menetapkan)\b", text) or _BAB_RE.match(text) or pasal_number(text, 1) == 1:
            start = i
            while start < len(lines) and not (
                _BAB_RE.match(lines[start].text) or pasal_number(lines[start].text, 1) == 1
            ):
                start += 1
            _add_preamble(doc, menimbang, mengingat)
            return start
        text = re.sub(r"^(Menimbang|Mengingat)\s*:?\s*", "", text)
        if not text or re.match(r"^[a-zA-Z]\.?$", text):  # labels separated from their clauses
            continue
        if mengingat:
            mengingat.append(Line(line.page, text))
        elif re.match(r"^([a-z]\.\s*)?bahwa\b", text) or (menimbang and not menimbang[-1].text.endswith(";")):
            menimbang.append(Line(line.page, text))
        elif menimbang:
            mengingat.append(Line(line.page, text))
    _add_preamble(doc, menimbang, mengingat)
    return len(lines)


def _add_preamble(doc: ParsedDocument, menimbang: list[Line], mengingat: list[Line]) -> None:
    if menimbang:
        doc.sections.append(SectionNode("menimbang", ("Menimbang",), menimbang[0].page, menimbang))
    if mengingat:
        doc.sections.append(SectionNode("mengingat", ("Mengingat",), mengingat[0].page, mengingat))


def _closing_end(lines: list[Line], start: int) -> int:
    """Index where the closing block (Ditetapkan ... Berita Negara ...) ends and a Lampiran may begin."""
    for j in range(start, len(lines)):
        if _LAMPIRAN_RE.match(lines[j].text) or lines[j].text.strip() == "PENJELASAN":
            return j
    return len(lines)


def parse_attachment(lines: list[Line], warnings: list[str], *, guide: bool = False) -> list[SectionNode]:
    """Split a Lampiran (or a guide without Pasal) into sections by LAMPIRAN, BAB and A./1.1. headings.

    A guide has two more levels: parts in capitals under a lettered section ("II. DOMAIN TATA KELOLA")
    and numbered items ("INDIKATOR 12"); its headings may run over two lines or end with a full stop.
    """
    sections: list[SectionNode] = []
    kind = "section" if guide else "lampiran"
    lampiran: tuple[str, ...] = ()
    bab: str | None = None
    sub: str | None = None
    part: str | None = None  # guides only
    item: str | None = None  # guides only
    expected_bab = 0
    current: SectionNode | None = None

    def start(page: int) -> SectionNode:
        path = tuple(p for p in (*lampiran, bab, sub, part, item) if p) or ((FRONT_MATTER,) if guide else ())
        node = SectionNode(kind, path, page)
        sections.append(node)
        return node

    i = 0
    while i < len(lines):
        line = lines[i]
        text = line.text
        lamp = _LAMPIRAN_RE.match(text)
        if not guide and lamp and text.isupper():
            label = f"Lampiran {lamp.group(1)}" if lamp.group(1) else "Lampiran"
            lampiran, bab, sub, expected_bab = (label,), None, None, 0
            current = start(line.page)
            i += 1
            continue
        if not guide and text.strip() == "PENJELASAN":
            kind, lampiran, bab, sub, expected_bab = "penjelasan", ("Penjelasan",), None, None, 0
            current = start(line.page)
            i += 1
            continue
        found = _bab_heading(lines, i, expected_bab)
        if found:
            bab, used, expected_bab = found
            sub = part = item = None
            current = start(line.page)
            i += 1 + used
            continue
        if guide and bab and sub:
            roman = _ROMAN_HEADING_RE.match(text.strip())
            numbered_item = _ITEM_HEADING_RE.match(text.strip())
            if roman or numbered_item:
                if roman:
                    part, item = text.strip(), None
                else:
                    item = text.strip()
                current = start(line.page)
                i += 1
                continue
        heading = _LETTER_HEADING_RE.match(text) or _NUMBERED_HEADING_RE.match(text)
        title, used = (heading.groups()[-1], 0) if heading else ("", 0)
        if guide and heading:
            title, used = _guide_heading(title, lines, i)
        if (
            bab
            and heading
            and (guide or not text.rstrip().endswith((".", ",")))
            and not title.endswith(",")
            and _looks_like_title(title)
        ):
            sub = text.strip() if not used and not guide else f"{heading.group(1)}. {title}"
            part = item = None
            current = start(line.page)
            i += 1 + used
            continue
        if current is None:
            current = start(line.page)
        current.lines.append(line)
        i += 1
    return [s for s in sections if s.lines]


def _guide_heading(title: str, lines: list[Line], i: int) -> tuple[str, int]:
    """A guide's heading title, with its second line when it runs on ("... serta" / "Rekomendasi ...";
    "(apabila" / "pelaksanaannya diperlukan)."), without its closing full stop; and the lines it took."""
    title = title.strip()
    used = 0
    last = title.split()[-1].lower() if title.split() else ""
    runs_on = last in _SMALL_WORDS or title.count("(") > title.count(")")
    if runs_on and i + 1 < len(lines):
        following = lines[i + 1].text.strip()
        if following and len(following.split()) <= 8 and not LIST_MARKER_RE.match(following):
            title, used = f"{title} {following}", 1
    return title.rstrip(".").strip(), used


def _looks_like_title(text: str) -> bool:
    """Short, capitalised words and no sentence verbs: 'Latar Belakang', 'Etika Asesor'."""
    words = text.split()
    if not words or len(words) > 14:
        return False
    capitalised = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit() or w.lower() in _SMALL_WORDS)
    return capitalised >= len(words) * 0.75


_SMALL_WORDS = {
    "dan",
    "atau",
    "di",
    "ke",
    "dari",
    "yang",
    "untuk",
    "dalam",
    "pada",
    "serta",
    "terhadap",
    "&",
    "-",
}


def parse_guide(lines: list[Line]) -> ParsedDocument:
    """Parse a document without Pasal (a Pedoman): sections by BAB and lettered headings."""
    doc = ParsedDocument()
    doc.sections = parse_attachment(lines, doc.warnings, guide=True)
    doc.babs = list(dict.fromkeys(s.path[0] for s in doc.sections if s.path and s.path[0].startswith("BAB")))
    return doc


_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
_MD_CAPTION_RE = re.compile(r"^(?:<span[^>]*></span>)?\s*\**\s*((?:Tabel|Gambar)\s+\d+\.\s*.+?)\s*\**\s*$")
_TOC = {"daftarisi", "daftartabel", "daftargambar", "outline"}


def clean_markdown(text: str) -> str:
    """Markdown inline markup to plain text (spans, bold, <br>)."""
    text = re.sub(r"<span[^>]*>\s*</span>", "", text)
    text = re.sub(r"<br\s*/?>", " ", text)
    text = re.sub(r"</?[a-z][^>]*>", "", text)
    return re.sub(r"\*{1,3}([^*]+)\*{1,3}", r"\1", text).replace("**", "").strip()


def parse_markdown(lines: list[Line]) -> ParsedDocument:
    """Parse a report converted to Markdown: sections by heading level, table captions as sub-headings."""
    doc = ParsedDocument()
    stack: list[tuple[int, str]] = []
    caption: str | None = None
    skipping = False
    current: SectionNode | None = None
    for line in lines:
        raw = line.text
        if raw.startswith("![]("):
            continue
        heading = _MD_HEADING_RE.match(raw)
        caption_match = None if raw.lstrip().startswith("|") else _MD_CAPTION_RE.match(raw)
        titled = _MD_CAPTION_RE.match(clean_markdown(heading.group(2))) if heading else None
        if titled:
            # "### Tabel 28. ..." is a caption set as a heading: kept in the stack, it would sit in the path
            # of every later table whose caption is a plain line (Tabel 44 under "Tabel 28 ... Jawa Barat").
            caption_match, heading = titled, None
        if heading:
            level, title = len(heading.group(1)), clean_markdown(heading.group(2))
            skipping = squash(title) in _TOC
            if not title:
                continue
            stack = [(lvl, t) for lvl, t in stack if lvl < level] + [(level, title)]
            caption = None
            current = SectionNode("section", tuple(t for _, t in stack), line.page)
            doc.sections.append(current)
            continue
        if skipping:
            continue
        if caption_match:
            caption = clean_markdown(caption_match.group(1))
            current = SectionNode("section", (*(t for _, t in stack), caption), line.page)
            doc.sections.append(current)
            continue
        text = clean_markdown(raw) if not raw.lstrip().startswith("|") else re.sub(r"<br\s*/?>", " ", raw)
        if not text or (re.fullmatch(r"\|?[\s|:-]+\|?", text) and current is not None and not current.lines):
            continue
        if current is None:
            current = SectionNode("section", (), line.page)
            doc.sections.append(current)
        current.lines.append(Line(line.page, text))
    doc.sections = [s for s in doc.sections if s.lines]
    return doc


def split_units(node: PasalNode) -> list[Unit]:
    """Split a Pasal into ayat, or (for definitions in Pasal 1) angka; otherwise one unit."""
    units = _split_by(node.lines, "ayat")
    if len(units) > 1 or (units and units[0].label):
        return units
    if node.number == 1:
        angka = _split_by(node.lines, "angka")
        if len(angka) > 2:
            return angka
    return [Unit(None, node.page, node.lines)]


def _split_by(lines: list[Line], kind: str) -> list[Unit]:
    units: list[Unit] = []
    expected = 1
    lead: list[Line] = []
    for index, line in enumerate(lines):
        number, text = _marker(line.text, kind, expected)
        previous = lines[index - 1].text.rstrip() if index else ""
        is_reference = previous.endswith((*_REFERENCE_WORDS, "dan", "atau"))
        if number is not None and expected <= number <= expected + 1 and not is_reference:
            if number > expected and units and kind == "ayat":
                _recover_marker(units, expected)
            label = f"ayat ({number})" if kind == "ayat" else f"angka {number}"
            units.append(Unit(label, line.page, [Line(line.page, text)]))
            expected = number + 1
        elif units:
            units[-1].lines.append(line)
        else:
            lead.append(line)
    if not units:
        return [Unit(None, lines[0].page if lines else 0, lines)] if lines else []
    if lead and kind == "ayat":
        units[0].lines[:0] = lead
    return units


_GARBLED_MARKER_RE = re.compile(r"^(\S{1,3})\s+(?=[A-Z])")


def _recover_marker(units: list[Unit], missing: int) -> None:
    """Find an ayat marker OCR turned into junk ('lA Pembangunan' for '(2) Pembangunan') before a gap.

    Only a line that starts a sentence after a finished one, with a token that is no word, qualifies;
    without one the gap stays (some regulations really skip a number).
    """
    unit = units[-1]
    for index in range(1, len(unit.lines)):
        line = unit.lines[index]
        m = _GARBLED_MARKER_RE.match(line.text)
        token = m.group(1) if m else ""
        if not m or (token.isalpha() and (token.islower() or token.isupper() or token.istitle())):
            continue
        if LIST_MARKER_RE.match(line.text) or not unit.lines[index - 1].text.rstrip().endswith("."):
            continue
        units.append(
            Unit(f"ayat ({missing})", line.page, [Line(line.page, f"({missing}) {line.text[m.end() :]}")])
        )
        units[-1].lines.extend(unit.lines[index + 1 :])
        del unit.lines[index:]
        return


def _marker(text: str, kind: str, expected: int) -> tuple[int | None, str]:
    """Read an ayat '(2)' or angka '2.' marker at the start of a line; OCR '(21' reads as '(2)'."""
    if kind == "ayat":
        m = _AYAT_RE.match(text)
        if not m:
            return None, text
        digits, close = m.group(1), m.group(2)
        if close != ")":
            if len(digits) == 2 and digits.endswith("1") and int(digits[0]) == expected:
                digits = digits[0]
            elif not (close == "" and int(digits) == expected):
                return None, text
        return int(digits), f"({digits}) {text[m.end() :]}".strip()
    m = _ANGKA_RE.match(text)
    if not m:
        return None, text
    number = int(m.group(1).replace(" ", ""))
    return number, f"{number}. {text[m.end() :]}".strip()
