"""Reports of a dialogue run: a console table, Markdown for people, JUnit XML for CI dashboards."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.dialogues.cases import CaseFileError
from bot.dialogues.runner import CaseResult

_MARK = {"lulus": "LULUS", "gagal": "GAGAL", "xfail": "XFAIL", "xpass": "XPASS"}


def summary(results: Sequence[CaseResult], errors: Sequence[CaseFileError] = ()) -> str:
    """One line: how many cases passed, failed, were expected failures; file errors."""
    counts = Counter(r.status for r in results)
    parts = [f"{len(results)} kasus", f"{counts['lulus']} lulus", f"{counts['gagal']} gagal"]
    if counts["xfail"]:
        parts.append(f"{counts['xfail']} xfail")
    if counts["xpass"]:
        parts.append(f"{counts['xpass']} xpass (hapus tanda xfail)")
    if errors:
        parts.append(f"{len(errors)} berkas bermasalah")
    return ", ".join(parts)


def print_results(
    console: Console, results: Sequence[CaseResult], errors: Sequence[CaseFileError] = ()
) -> None:
    """The table of cases, then every failed expectation with what the bot actually said."""
    for error in errors:
        console.print(f"[bold red]Berkas bermasalah[/] {escape(str(error))}", highlight=False)
    table = Table(title="Hasil kasus dialog")
    for column in ("Kasus", "Giliran", "Hasil", "Waktu (s)"):
        table.add_column(column)
    for result in results:
        style = {"lulus": "green", "gagal": "bold red", "xfail": "yellow", "xpass": "cyan"}[result.status]
        table.add_row(
            escape(result.case.name),  # a case name is the tester's text, not rich markup
            str(len(result.case.turns)),
            f"[{style}]{_MARK[result.status]}[/]",
            f"{result.seconds:.2f}",
        )
    console.print(table)
    for result in results:
        if not result.failures:
            continue
        head = f"\n[bold]{_MARK[result.status]}: {escape(result.case.name)}[/] "
        head += escape(f"({result.case.file}:{result.case.line})")
        if result.case.xfail:
            head += escape(f" — xfail: {result.case.xfail}")
        console.print(head, highlight=False)
        for failure in result.failures:
            console.print(
                f"  giliran {failure.turn} (baris {failure.line}) {failure.action}\n"
                f"    diharapkan: {failure.expectation}\n    kenyataan : {_indent(failure.actual, 17)}",
                markup=False,
                highlight=False,
                soft_wrap=True,  # the terminal wraps; rich's own wrapping would break the indentation
            )
    console.print(f"\n{summary(results, errors)}", highlight=False)


def _indent(text: str, width: int) -> str:
    return text.replace("\n", "\n" + " " * width)


def _quote(text: str, pad: str) -> str:
    """A Markdown block quote, indented to sit under a list item."""
    return "\n".join(f"{pad}> {line}".rstrip() for line in text.splitlines() or [""])


def markdown(
    results: Sequence[CaseResult], errors: Sequence[CaseFileError] = (), channel: str = "core"
) -> str:
    """A report a non-programmer reads: summary, table, then each failing case with its conversation."""
    lines = [
        "# Laporan kasus dialog Tanya SPBE",
        "",
        f"Kanal: **{channel}**. Ringkasan: **{summary(results, errors)}**.",
        "",
    ]
    if errors:
        lines += (
            ["## Berkas bermasalah", ""]
            + [f"- `{e.path}` baris {e.line or '-'}: {e.message}" for e in errors]
            + [""]
        )
    lines += [
        "## Semua kasus",
        "",
        "| Kasus | Berkas | Giliran | Hasil | Waktu (s) |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        name, file = r.case.name.replace("|", "\\|"), Path(r.case.file).name
        lines.append(f"| {name} | `{file}` | {len(r.case.turns)} | {_MARK[r.status]} | {r.seconds:.2f} |")
    lines.append("")
    flagged = [r for r in results if r.failures or r.status == "xpass"]
    if flagged:
        lines += ["## Rincian kasus yang tidak lulus", ""]
    for r in flagged:
        lines += [
            f"### {_MARK[r.status]}: {r.case.name}",
            "",
            f"Berkas `{r.case.file}`, baris {r.case.line}.",
        ]
        if r.case.description:
            lines.append(f"{r.case.description}")
        if r.case.xfail:
            lines.append(f"Ditandai xfail: {r.case.xfail}")
        lines.append("")
        for f in r.failures:
            lines += [
                f"- **Giliran {f.turn}** (baris {f.line}): pengguna {f.action}",
                f"  - Diharapkan: {f.expectation}",
                "  - Kenyataan:",
                "",
                _quote(f.actual, "    "),
                "",
            ]
        lines += ["Percakapan lengkap:", ""]
        for number, (action, reply) in enumerate(r.transcript, 1):
            lines += [f"{number}. Pengguna: {action}", "", _quote(reply, "   "), ""]
    return "\n".join(lines).rstrip() + "\n"


def junit(results: Sequence[CaseResult], errors: Sequence[CaseFileError] = ()) -> str:
    """JUnit XML: one testcase per case, a failure element per failing case, errors per bad file."""
    suite = ET.Element(
        "testsuite",
        name="dialogues",
        tests=str(len(results) + len(errors)),
        failures=str(sum(r.failed for r in results)),
        errors=str(len(errors)),
        skipped=str(sum(r.status == "xfail" for r in results)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite, "testcase", classname=Path(r.case.file).stem, name=r.case.name, time=f"{r.seconds:.3f}"
        )
        details = "\n\n".join(
            f"giliran {f.turn} (baris {f.line}) {f.action}\n"
            f"diharapkan: {f.expectation}\nkenyataan: {f.actual}"
            for f in r.failures
        )
        if r.status == "gagal":
            ET.SubElement(case, "failure", message=r.failures[0].expectation).text = details
        elif r.status == "xfail":
            ET.SubElement(case, "skipped", message=f"xfail: {r.case.xfail}").text = details
    for e in errors:
        case = ET.SubElement(suite, "testcase", classname="berkas", name=str(e.path))
        ET.SubElement(case, "error", message=e.message).text = str(e)
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
