"""Structure -> chunks that carry their citation; long sections split with langchain-text-splitters."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.legal import ParsedDocument, SectionNode, reflow, split_units
from ingest.normalize import Line
from knowledge.schema import LAMPIRAN, MENGINGAT, MENIMBANG, PENJELASAN, PENUTUP, Chunk, Citation

MAX_CHARS = 1500
SECTION_CHARS = 1100
_PSEUDO_PASAL = {
    "menimbang": MENIMBANG,
    "mengingat": MENGINGAT,
    "penutup": PENUTUP,
    "lampiran": LAMPIRAN,
    "penjelasan": PENJELASAN,
}


def _splitter(size: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=size // 8,
        separators=["\n\n", "\n", "; ", ". ", ", ", " ", ""],
        add_start_index=True,
    )


def _pieces(lines: list[Line], size: int) -> Iterable[tuple[str, int]]:
    """Reflowed text split into pieces of at most `size` characters, each with the page it starts on."""
    text = reflow(lines)
    if len(text) <= size:
        yield text, lines[0].page
        return
    # Map character offsets back to pages: offsets where each source line's page begins.
    starts: list[int] = []
    pages: list[int] = []
    cursor = 0
    for line in lines:
        found = text.find(line.text.strip()[:20], cursor)
        if found >= 0:
            starts.append(found)
            pages.append(line.page)
            cursor = found
    for doc in _splitter(size).create_documents([text]):
        offset = int(doc.metadata.get("start_index", 0))
        index = max(0, bisect.bisect_right(starts, offset) - 1)
        yield doc.page_content.strip(), pages[index] if pages else lines[0].page


def _table_pieces(lines: list[Line], size: int) -> Iterable[tuple[str, int]]:
    """Split a Markdown table by rows, repeating its header row in every piece."""
    header = [ln.text for ln in lines[:2]]
    rows = lines[2:]
    piece: list[Line] = []
    for row in rows:
        if piece and sum(len(r.text) for r in piece) + len(row.text) > size:
            yield "\n".join(header + [r.text for r in piece]), piece[0].page
            piece = []
        piece.append(row)
    if piece or not rows:
        yield "\n".join(header + [r.text for r in piece]), (piece or lines)[0].page


def _section_pieces(node: SectionNode) -> Iterable[tuple[str, int]]:
    """A section's prose and tables, split so each piece stays under the size limit."""
    block: list[Line] = []
    is_table = False
    for line in [*node.lines, Line(-1, "")]:
        row = line.text.lstrip().startswith("|")
        if line.page == -1 or (block and row != is_table):
            if block:
                yield from (
                    _table_pieces(block, SECTION_CHARS) if is_table else _pieces(block, SECTION_CHARS)
                )
            block = []
        if line.page != -1:
            block.append(line)
            is_table = row


def chunk_document(
    doc: ParsedDocument, regulation: str, *, source_file: str = "", source_hash: str = ""
) -> list[Chunk]:
    """Every Pasal (per ayat, or per angka for definitions), preamble, closing and section as chunks."""
    chunks: list[Chunk] = []

    def add(text: str, citation: Citation, kind: str, bab: str | None, path: tuple[str, ...]) -> None:
        if text.strip():
            chunks.append(
                Chunk(
                    text=text.strip(),
                    citation=citation,
                    kind=kind,
                    ordinal=len(chunks),
                    source_file=source_file,
                    source_hash=source_hash,
                    bab=bab,
                    heading_path=path,
                )
            )

    preamble = [s for s in doc.sections if s.kind in ("menimbang", "mengingat")]
    rest = [s for s in doc.sections if s.kind not in ("menimbang", "mengingat")]
    for node in preamble:
        for text, page in _pieces(node.lines, MAX_CHARS):
            add(
                text,
                Citation(regulation, pasal=_PSEUDO_PASAL[node.kind], page=page),
                node.kind,
                None,
                node.path,
            )
    for pasal in doc.pasal:
        path = (*pasal.path, f"Pasal {pasal.number}")
        for unit in split_units(pasal):
            if not unit.lines:
                continue
            kind = (
                "angka"
                if unit.label and unit.label.startswith("angka")
                else ("ayat" if unit.label else "pasal")
            )
            for text, page in _pieces(unit.lines, MAX_CHARS):
                citation = Citation(regulation, pasal=str(pasal.number), part=unit.label, page=page)
                add(text, citation, kind, pasal.bab, path)
    for node in rest:
        pseudo = _PSEUDO_PASAL.get(node.kind)
        # "Lampiran" is already in the citation; a numbered "Lampiran II" stays in the section.
        path = node.path[1:] if node.path[:1] == (LAMPIRAN,) else node.path
        section = " > ".join(path) if path else None
        bab = next((p for p in node.path if p.startswith("BAB ")), None)
        for text, page in _section_pieces(node):
            citation = Citation(regulation, pasal=pseudo, section=section, page=page)
            add(text, citation, node.kind, bab, node.path)
    return chunks
