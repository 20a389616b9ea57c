"""The dialogue case format: YAML files of conversations with expectations, read with line numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.channels.host import BUTTON_LABELS
from bot.core.lexicon import Lexicon
from knowledge.catalog import Catalog


class CaseFileError(Exception):
    """A case file that cannot be run: where and what is wrong, in words a tester reads."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


class CiteRef(BaseModel):
    """One source a reply must (or must not) cite."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    regulation: str
    pasal: str | None = None
    part: str | None = None
    section: str | None = None

    @field_validator("pasal", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    def label(self) -> str:
        """How the report names it."""
        text = self.regulation
        if self.pasal:
            text += f" Pasal {self.pasal}" if self.pasal[0].isdigit() else f" {self.pasal}"
        if self.part:
            text += f" {self.part}"
        if self.section:
            text += f', bagian "{self.section}"'
        return text


class Cites(BaseModel):
    """Sources a reply cites: all of them, or any one of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["any", "all"] = "all"
    refs: tuple[CiteRef, ...]

    @model_validator(mode="before")
    @classmethod
    def _forms(cls, value: Any) -> Any:
        """A mapping, a list (all of), or {any_of: [...]} / {all_of: [...]}."""
        if isinstance(value, list):
            return {"mode": "all", "refs": value}
        if isinstance(value, dict) and ("any_of" in value or "all_of" in value):
            if len(value) != 1:
                raise ValueError("tulis hanya any_of atau all_of, tidak keduanya atau dengan kunci lain")
            mode = "any" if "any_of" in value else "all"
            refs = value[f"{mode}_of"]
            if not isinstance(refs, list) or not refs:
                raise ValueError(f"{mode}_of harus berupa daftar sumber yang tidak kosong")
            return {"mode": mode, "refs": refs}
        if isinstance(value, dict):
            return {"mode": "all", "refs": [value]}
        raise ValueError("tulis sumber sebagai {regulation: ..., pasal: ...}, daftar, any_of, atau all_of")


StrList = tuple[str, ...]


class Turn(BaseModel):
    """One user action (a message, a command or a button press) and what the reply must satisfy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str | None = None
    press: str | None = None
    repeat: int = Field(default=1, ge=1, le=10_000)
    contains: StrList = ()
    not_contains: StrList = ()
    matches: StrList = ()
    cites: Cites | None = None
    not_cites: Cites | None = None
    refuses: bool | None = None
    max_chars: int | None = Field(default=None, ge=1)
    _line: int = PrivateAttr(0)  # where the turn starts in its file; not something a tester writes

    @property
    def line(self) -> int:
        """The turn's line in its file."""
        return self._line

    @field_validator("contains", "not_contains", "matches", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: StrList) -> StrList:

        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"regex {pattern!r} tidak valid: {exc}") from None
        return value

    @model_validator(mode="after")
    def _one_action(self) -> Turn:
        if (self.user is None) == (self.press is None):
            raise ValueError(
                "setiap giliran berisi tepat satu dari 'user' (pesan/perintah) atau 'press' (tombol)"
            )
        if self.press is not None and self.press not in BUTTON_LABELS:
            raise ValueError(f"tombol {self.press!r} tidak ada; pilih salah satu: {', '.join(BUTTON_LABELS)}")
        if self.press is not None and self.repeat != 1:
            raise ValueError("'repeat' hanya untuk 'user'")
        return self

    @property
    def message(self) -> str:
        """What the user sends (the text repeated `repeat` times)."""
        return (self.user or "") * self.repeat

    def action(self) -> str:
        """How the report shows the user's action."""
        if self.press is not None:
            return f"[tombol] {self.press}"
        text = self.user or ""
        shown = text if len(text) <= 80 else text[:77] + "..."
        return f"{shown!r} x{self.repeat}" if self.repeat > 1 else repr(shown)


class Case(BaseModel):
    """A named conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    tags: StrList = ()
    xfail: str | None = None
    turns: tuple[Turn, ...] = Field(min_length=1)
    _file: str = PrivateAttr("")
    _line: int = PrivateAttr(0)

    @property
    def file(self) -> str:
        """The file the case was read from."""
        return self._file

    @property
    def line(self) -> int:
        """The case's first line in its file."""
        return self._line

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_or_tags(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


@dataclass(frozen=True)
class _Lines:
    """Line numbers of every mapping key and list item in a YAML document, by path."""

    by_path: dict[tuple[Any, ...], int]

    def near(self, path: Sequence[Any]) -> int | None:
        for end in range(len(path), -1, -1):
            line = self.by_path.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def _lines(
    node: yaml.Node, path: tuple[Any, ...] = (), out: dict[tuple[Any, ...], int] | None = None
) -> _Lines:
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, key.value)] = key.start_mark.line + 1
            _lines(value, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _lines(item, (*path, position), out)
    return _Lines(out)


_FIELD_WORDS = {
    "missing": "wajib diisi",
    "extra_forbidden": "kunci tidak dikenal",
    "too_short": "tidak boleh kosong",
}


def _explain(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error["loc"] if not str(p).startswith(("function-", "tagged-")))
    message = _FIELD_WORDS.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def load_file(path: Path, catalog: Catalog) -> list[Case]:
    """Read one case file; a CaseFileError names the file, the line and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(path, None, f"berkas tidak dapat dibaca: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start and mark and start.line != mark.line:
            problem += f" ({context}, dimulai di baris {start.line + 1})"
        raise CaseFileError(path, mark.line + 1 if mark else None, f"YAML tidak valid: {problem}") from None
    if node is None or not isinstance(data, list) or not data:
        raise CaseFileError(path, 1, "berkas harus berisi daftar kasus (setiap kasus diawali '- name: ...')")
    lines = _lines(node)
    cases = []
    for position, raw in enumerate(data):
        try:
            case = Case.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = (position, *first["loc"])
            raise CaseFileError(
                path, lines.near(loc), f"kasus ke-{position + 1}: {_explain(first)}"
            ) from None
        turns = []
        for i, turn in enumerate(case.turns):
            resolved = {
                key: _resolve(getattr(turn, key), catalog, path, lines.near((position, "turns", i, key)))
                for key in ("cites", "not_cites")
                if getattr(turn, key) is not None
            }
            turn = turn.model_copy(update=resolved)
            turn._line = lines.near((position, "turns", i)) or 0
            turns.append(turn)
        case = case.model_copy(update={"turns": tuple(turns)})
        case._file, case._line = str(path), lines.near((position,)) or 0
        cases.append(case)
    return cases


def _resolve(cites: Cites, catalog: Catalog, path: Path, line: int | None) -> Cites:
    """Regulations by canonical name or alias ("perpres 95"); an unknown one is a file error."""
    names = [r.short_name for r in catalog.regulations if r.short_name]
    lexicon = Lexicon.build(names, catalog=catalog)
    refs = []
    for ref in cites.refs:
        entry = catalog.find(ref.regulation)
        name = entry.short_name if entry and entry.short_name else None
        if name is None:
            mentions = [m.short_name for m in lexicon.find_regulations(ref.regulation.lower())]
            name = next((m for m in mentions if m), None)
        if name is None:
            known = ", ".join(names)
            raise CaseFileError(
                path, line, f"regulasi {ref.regulation!r} tidak dikenal; yang dikenal: {known}"
            )
        refs.append(ref.model_copy(update={"regulation": name}))
    return cites.model_copy(update={"refs": tuple(refs)})


def case_files(paths: Iterable[Path]) -> list[Path]:
    """The .yaml/.yml files named, and those inside named folders (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        elif path.exists():
            found.append(path)
        else:
            raise CaseFileError(path, None, "berkas atau folder tidak ditemukan")
    return found


def load_cases(paths: Iterable[Path], catalog: Catalog) -> tuple[list[Case], list[CaseFileError]]:
    """Every case in the files and folders named; files with errors are reported, the rest still run."""
    cases: list[Case] = []
    errors: list[CaseFileError] = []
    try:
        files = case_files(paths)
    except CaseFileError as exc:
        return [], [exc]
    seen: dict[str, str] = {}
    for path in files:
        try:
            loaded = load_file(path, catalog)
        except CaseFileError as exc:
            errors.append(exc)
            continue
        for case in loaded:
            if case.name in seen:
                errors.append(
                    CaseFileError(
                        path, case.line, f"nama kasus {case.name!r} sudah dipakai di {seen[case.name]}"
                    )
                )
                continue
            seen[case.name] = f"{path}:{case.line}"
            cases.append(case)
    return cases, errors
