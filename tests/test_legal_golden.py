"""Golden files for the parser: small excerpts with the corpus's kinds of noise -> expected chunks.

Run with UPDATE_GOLDEN=1 to rewrite the .golden.json files, then review the diff by hand.
"""

import json
import os

import pytest

from ingest.chunk import chunk_document
from ingest.legal import parse_markdown, parse_regulation
from ingest.load import load_document
from ingest.normalize import clean_pages
from tests.conftest import GOLDEN

CASES = ["perpres_body.txt", "lampiran.txt", "report.md"]


def render(name: str) -> list[dict]:
    loaded = load_document(GOLDEN / name)
    lines = clean_pages(loaded.pages, markdown=loaded.format == "md")
    doc = parse_markdown(lines) if loaded.format == "md" else parse_regulation(lines)
    return [
        {
            "cite": c.citation.label(),
            "kind": c.kind,
            "page": c.citation.page,
            "path": list(c.heading_path),
            "text": c.text,
        }
        for c in chunk_document(doc, "Dok 1/2024")
    ]


@pytest.mark.parametrize("name", CASES)
def test_parser_matches_golden_file(name):
    golden = GOLDEN / f"{name}.golden.json"
    got = render(name)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(golden.read_text(encoding="utf-8"))
