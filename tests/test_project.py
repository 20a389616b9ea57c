"""Project rules that code can check: import direction, documented settings, no corpus copies."""

import ast
import hashlib
import subprocess
from pathlib import Path

from knowledge.settings import Settings
from tests.conftest import CORPUS, ROOT


def _imports(folder: Path) -> set[tuple[str, str]]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add((str(path.relative_to(ROOT)), node.module.split(".")[0]))
    return found


def test_imports_run_one_way():
    assert not [i for i in _imports(ROOT / "knowledge") if i[1] in {"bot", "ingest"}]
    assert not [i for i in _imports(ROOT / "ingest") if i[1] == "bot"]
    core = _imports(ROOT / "bot" / "core")
    assert not [
        i
        for i in core
        if i[1] in {"ingest", "telegram", "pywa", "pywa_async", "starlette", "aiohttp", "httpx", "typer"}
    ]


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`SPBE_{name.upper()}`" in readme, name


def test_no_corpus_file_is_committed():
    corpus = {hashlib.sha256(p.read_bytes()).hexdigest() for p in CORPUS.iterdir() if p.is_file()}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in tracked.stdout.splitlines():
        path = ROOT / name
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() not in corpus, name
