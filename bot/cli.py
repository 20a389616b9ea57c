"""The `spbe-bot` command: builds Settings once and wires the parts for each subcommand."""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.core.eval import EvalError
from ingest.load import SUPPORTED_SUFFIXES
from ingest.pipeline import IngestReport, collect_files
from knowledge.catalog import CatalogError, load_catalog
from knowledge.embedders import EmbedderError
from knowledge.settings import Settings
from knowledge.sources import download_all, present_files
from knowledge.store import Store, StoreError

app = typer.Typer(
    help="Tanya SPBE: asisten regulasi SPBE dengan kutipan yang diperiksa.", no_args_is_help=True
)
sources_app = typer.Typer(help="Katalog sumber: daftar dan unduh dokumen resmi.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
dialogues_app = typer.Typer(
    help="Kasus dialog untuk penguji: jalankan dan baca laporannya.", no_args_is_help=True
)
app.add_typer(dialogues_app, name="dialogues")
ranker_app = typer.Typer(
    help="Bobot peringkat: latih dari kasus berlabel, lapor validasi silang.", no_args_is_help=True
)
app.add_typer(ranker_app, name="ranker")

out = Console()
err = Console(stderr=True)
logger = logging.getLogger(__name__)


class UserError(Exception):
    """An error the CLI shows as one clear line and a non-zero exit."""


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj  # type: ignore[no-any-return]


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Read settings once for every subcommand."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"SPBE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise UserError(f"Pengaturan tidak valid: {problems}") from exc
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    # pypdf logs every repairable defect; the ingest summary already names files that fail.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    # httpx logs every request URL, and a Bot API URL contains the token: never let it reach a log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    ctx.obj = settings


class _RichProgress:
    """One progress bar per document, in one live display for the whole run."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: Any = None

    def start(self, name: str, total: int) -> None:
        self._task = self._progress.add_task(f"embed {name}", total=total)

    def advance(self, count: int) -> None:
        self._progress.advance(self._task, count)

    def finish(self) -> None:
        self._task = None


_STATUS_ID = {
    "ingested": "dimuat",
    "unchanged": "tidak berubah",
    "duplicate": "duplikat",
    "failed": "GAGAL",
    "removed": "dihapus",
}


def _summary(report: IngestReport) -> Table:
    table = Table(title="Ringkasan ingest")
    for column in (
        "berkas",
        "regulasi",
        "status",
        "halaman",
        "Pasal",
        "chunk",
        "detik",
        "peringatan / alasan",
    ):
        table.add_column(column, overflow="fold")
    for r in report.results:
        notes = [r.reason] if r.reason else []
        notes += r.warnings
        table.add_row(
            Path(r.source_file).name,
            r.regulation or "-",
            _STATUS_ID.get(r.status, r.status),
            str(r.pages),
            str(r.pasal),
            str(r.chunks),
            f"{r.seconds:.1f}",
            "; ".join(notes),
        )
    docs = [r for r in report.results if r.status in ("ingested", "unchanged")]
    warnings = sum(len(r.warnings) for r in report.results)
    table.add_section()
    table.add_row(
        f"{len(docs)} dokumen",
        "",
        f"{len(report.failed)} gagal",
        str(sum(r.pages for r in docs)),
        str(sum(r.pasal for r in docs)),
        str(sum(r.chunks for r in docs)),
        f"{report.seconds:.1f}",
        f"{warnings} peringatan; {report.embedded} chunk di-embed, {report.reused} dipakai ulang",
    )
    return table


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Berkas atau folder (bawaan: folder dokumen).")
    ] = None,
    rebuild: Annotated[
        bool, typer.Option(help="Bangun ulang seluruh indeks (mis. setelah ganti model).")
    ] = False,
) -> None:
    """Muat regulasi ke indeks: hanya berkas yang berubah yang diproses ulang."""
    settings = _settings(ctx)
    targets = list(paths or [settings.documents_dir])
    if not paths and not _has_documents(settings.documents_dir):
        raise UserError(_no_documents_message(settings))
    report = run_ingest(settings, targets, rebuild=rebuild, console=err)
    out.print(_summary(report))
    if report.failed:
        raise typer.Exit(1)


def run_ingest(
    settings: Settings, paths: list[Path], *, rebuild: bool = False, console: Console | None = None
) -> IngestReport:
    """Ingest paths into the configured store (used by the CLI and by admin commands in chat)."""
    from bot.wiring import make_ingestor

    if console is None:
        return make_ingestor(settings).run(paths, rebuild=rebuild)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bars:
        return make_ingestor(settings, progress=_RichProgress(bars)).run(paths, rebuild=rebuild)


def _has_documents(folder: Path) -> bool:
    return folder.is_dir() and any(p.suffix.lower() in SUPPORTED_SUFFIXES for p in collect_files([folder]))


def _no_documents_message(settings: Settings) -> str:
    return (
        f"Belum ada dokumen regulasi di {settings.documents_dir}: salin berkasnya ke sana, jalankan "
        "`spbe-bot sources download`, atau arahkan SPBE_DOCUMENTS_DIR ke folder korpus."
    )


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Keluaran JSON.")] = False,
) -> None:
    """Tampilkan isi indeks: model embedding dan dokumen yang dimuat."""
    settings = _settings(ctx)
    store = Store.open(settings)
    if not store.active_name:
        raise UserError(f"Indeks di {store.location} masih kosong. Jalankan `spbe-bot ingest`.")
    records = [r for r in store.manifest() if r.chunks]
    payload = {
        "store": store.location,
        "embedding_model": store.embedding_model,
        "documents": [
            {
                "regulation": r.regulation,
                "title": r.title,
                "status": r.status,
                "pages": r.pages,
                "pasal": r.pasal,
                "chunks": r.chunks,
                "ingested_at": r.ingested_at,
            }
            for r in records
        ],
    }
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    out.print(f"Indeks: {payload['store']}\nModel embedding: {payload['embedding_model']}")
    table = Table()
    for column in ("regulasi", "judul", "status", "halaman", "Pasal", "chunk", "dimuat"):
        table.add_column(column, overflow="fold")
    for d in payload["documents"]:
        table.add_row(
            d["regulation"],
            d["title"],
            d["status"],
            str(d["pages"]),
            str(d["pasal"]),
            str(d["chunks"]),
            d["ingested_at"],
        )
    out.print(table)


@app.command()
def inspect(
    ctx: typer.Context,
    regulation: Annotated[
        str, typer.Argument(help="Nama regulasi, mis. 'Perpres 95/2018' atau 'perpres 95'.")
    ],
    pasal: Annotated[str | None, typer.Option(help="Tampilkan satu Pasal seperti yang tersimpan.")] = None,
    hasil: Annotated[
        bool, typer.Option("--hasil", help="Tampilkan rekaman hasil evaluasi (per instansi) dari laporan.")
    ] = False,
) -> None:
    """Tampilkan kerangka hasil parsing, satu Pasal, atau rekaman hasil evaluasi seperti yang tersimpan."""
    settings = _settings(ctx)
    store = Store.open(settings)
    known = {r.regulation for r in store.manifest() if r.chunks}
    entry = load_catalog(settings.catalog_path).find(regulation)
    name = entry.short_name if entry and entry.short_name in known else regulation
    if name not in known:
        raise UserError(f"'{regulation}' tidak ada di indeks. Yang ada: {', '.join(sorted(known))}.")
    if hasil:
        _print_results(store, name)
        return
    if pasal:
        chunks = store.chunks(name, pasal=pasal.strip())
        if not chunks:
            raise UserError(f"{name} tidak memuat Pasal {pasal} di indeks.")
        first = chunks[0]
        where = " > ".join(first.heading_path[:-1])
        out.print(f"[bold]{name} Pasal {pasal}[/bold]  ({where}; hlm. {first.citation.page})")
        for chunk in chunks:
            label = chunk.citation.part or ""
            out.print(
                f"[dim]{label}[/dim]\n{chunk.text}" if label else chunk.text,
                markup=bool(label),
                highlight=False,
            )
        return
    outline: dict[str, list[str]] = {}
    for chunk in store.chunks(name):
        if chunk.citation.pasal and chunk.citation.pasal[0].isdigit():
            outline.setdefault(chunk.bab or "(tanpa BAB)", [])
            if chunk.citation.pasal not in outline[chunk.bab or "(tanpa BAB)"]:
                outline[chunk.bab or "(tanpa BAB)"].append(chunk.citation.pasal)
        else:
            head = chunk.citation.pasal or "Bagian"
            section = chunk.citation.section or head
            outline.setdefault(f"[{head}]", [])
            if section not in outline[f"[{head}]"]:
                outline[f"[{head}]"].append(section)
    for head, items in outline.items():
        if head.startswith("BAB") or head == "(tanpa BAB)":
            out.print(f"{head}: Pasal {', '.join(items)}", highlight=False, markup=False)
        else:
            out.print(head, markup=False)
            for item in items:
                out.print(f"  {item}", markup=False, highlight=False)


def _print_results(store: Store, name: str) -> None:
    """The evaluation records ingest read from a report's tables, with counts per category."""
    records, figures = store.results({"report": name})
    if not records and not figures:
        raise UserError(f"{name} tidak memuat tabel hasil evaluasi yang terbaca.")
    table = Table(
        "Kategori", "Instansi", "Indeks", "Predikat", "Tabel", "Hlm.", title=f"Hasil evaluasi {name}"
    )
    for r in records:
        table.add_row(r.category, r.instansi, f"{r.index:.2f}", r.predikat, r.table, str(r.page))
    out.print(table)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.category] = counts.get(r.category, 0) + 1
    summary = ", ".join(f"{c} {n}" for c, n in counts.items())
    out.print(f"{len(records)} instansi ({summary}); {len(figures)} angka ringkasan.", markup=False)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="Pertanyaan, dalam tanda kutip.")],
    as_json: Annotated[bool, typer.Option("--json", help="Cetak objek giliran (turn) sebagai JSON.")] = False,
) -> None:
    """Ajukan satu pertanyaan dan cetak jawabannya."""
    from bot.wiring import build_responder

    answer = build_responder(_settings(ctx)).answer(question)
    if as_json:
        sys.stdout.write(json.dumps(answer.turn(question), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(answer.text + "\n")
    sys.stdout.flush()  # a script reading the answer gets it now, not after the ~0.4 s interpreter teardown


@app.command()
def chat(ctx: typer.Context) -> None:
    """Obrolan di terminal (memuat dokumen dulu bila indeks masih kosong)."""
    from bot.channels.console import run_console
    from bot.wiring import build_dialogue

    settings = _settings(ctx)
    if not _store_ready(settings):
        if not _has_documents(settings.documents_dir):
            raise UserError(_no_documents_message(settings))
        err.print("Indeks masih kosong; memuat dokumen terlebih dahulu...")
        report = run_ingest(settings, [settings.documents_dir], console=err)
        err.print(_summary(report))
    run_console(build_dialogue(settings))


@app.command()
def telegram(
    ctx: typer.Context,
    webhook: Annotated[bool, typer.Option(help="Terima update lewat webhook (dengan secret_token).")] = False,
) -> None:
    """Jalankan bot Telegram (long polling, atau --webhook); token dari SPBE_TELEGRAM_TOKEN."""
    import asyncio

    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError

    from bot.admin import Admin
    from bot.answer_log import AnswerLog
    from bot.channels.telegram import TelegramChannel
    from bot.wiring import build_dialogue, build_state

    settings = _settings(ctx)
    if not settings.telegram_token:
        raise UserError(
            "SPBE_TELEGRAM_TOKEN belum diatur. Minta token dari @BotFather lalu set variabel itu."
        )
    if webhook and not (settings.telegram_webhook_url and settings.telegram_webhook_secret):
        raise UserError("Mode webhook butuh SPBE_TELEGRAM_WEBHOOK_URL dan SPBE_TELEGRAM_WEBHOOK_SECRET.")
    token = settings.telegram_token.get_secret_value()
    # Check the token first: PTB's own start-up retries would log the rejected token with a traceback.
    try:
        me = asyncio.run(_get_me(Bot(token, base_url=settings.telegram_base_url)))
    except InvalidToken as exc:
        raise UserError("Token Telegram ditolak oleh server Bot API. Periksa SPBE_TELEGRAM_TOKEN.") from exc
    except NetworkError as exc:
        raise UserError(f"Server Bot API tidak dapat dihubungi ({type(exc).__name__}).") from exc
    # The model and index load before the first update is taken, so the first user does not wait.
    memory, limit = build_state(settings)
    dialogue = build_dialogue(settings, memory)
    salt = settings.log_salt.get_secret_value() if settings.log_salt else None
    answer_log = AnswerLog(settings.answer_log_path, salt)
    channel = TelegramChannel(dialogue, answer_log, Admin(settings, dialogue, answer_log), limit)
    application = channel.build(token, settings.telegram_base_url)
    updates = ["message", "edited_message", "callback_query"]
    if webhook and settings.telegram_webhook_url and settings.telegram_webhook_secret:
        err.print(f"Bot Telegram @{me.username} menerima webhook di port {settings.telegram_webhook_port}.")
        # PTB's webhook server refuses any request without the secret token (HTTP 403).
        application.run_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path="telegram",
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            webhook_url=settings.telegram_webhook_url,
            allowed_updates=updates,
        )
        return
    err.print(f"Bot Telegram @{me.username} berjalan (long polling). Tekan Ctrl+C untuk berhenti.")
    application.run_polling(allowed_updates=updates)


async def _get_me(bot: Any) -> Any:
    async with bot:
        return await bot.get_me()


@app.command()
def whatsapp(ctx: typer.Context) -> None:
    """Jalankan bot WhatsApp (server webhook Cloud API); pengaturan dari SPBE_WHATSAPP_*."""
    from bot.admin import Admin
    from bot.answer_log import AnswerLog
    from bot.channels.whatsapp import GraphConfig, WhatsAppChannel, run
    from bot.wiring import build_dialogue, build_state

    settings = _settings(ctx)
    required = {
        "SPBE_WHATSAPP_TOKEN": settings.whatsapp_token,
        "SPBE_WHATSAPP_PHONE_ID": settings.whatsapp_phone_id,
        "SPBE_WHATSAPP_APP_SECRET": settings.whatsapp_app_secret,
        "SPBE_WHATSAPP_VERIFY_TOKEN": settings.whatsapp_verify_token,
    }
    missing = [name for name, value in required.items() if not _present(value)]
    if missing:
        raise UserError(f"Bot WhatsApp belum dapat berjalan: {', '.join(missing)} belum diatur.")
    config = GraphConfig(
        phone_id=str(settings.whatsapp_phone_id),
        token=_secret(settings.whatsapp_token),
        app_secret=_secret(settings.whatsapp_app_secret),
        verify_token=_secret(settings.whatsapp_verify_token),
        graph_url=settings.whatsapp_graph_url,
    )
    # pywa logs whole updates and requests (phone numbers) at DEBUG: never below WARNING here.
    logging.getLogger("pywa").setLevel(max(logging.WARNING, logging.getLogger().level))
    # The model and index load before the server listens, so the first user does not wait.
    memory, limit = build_state(settings)
    dialogue = build_dialogue(settings, memory)
    salt = settings.log_salt.get_secret_value() if settings.log_salt else None
    answer_log = AnswerLog(settings.answer_log_path, salt)
    channel = WhatsAppChannel(
        dialogue,
        answer_log,
        Admin(settings, dialogue, answer_log),
        limit,
        admin_numbers=settings.whatsapp_admin_numbers,
    )

    def ready(url: str) -> None:
        err.print(f"Bot WhatsApp menerima webhook di {url}. Tekan Ctrl+C untuk berhenti.", highlight=False)

    try:
        run(channel, config, settings.whatsapp_host, settings.whatsapp_port, on_ready=ready)
    except OSError as exc:
        raise UserError(
            f"Tidak dapat mendengarkan di {settings.whatsapp_host}:{settings.whatsapp_port} ({exc}); "
            "periksa SPBE_WHATSAPP_HOST dan SPBE_WHATSAPP_PORT."
        ) from exc
    finally:
        answer_log.close()


def _present(value: object) -> bool:
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    return bool(value and str(value).strip())


def _secret(value: Any) -> str:
    return str(value.get_secret_value()).strip()


@app.command()
def report(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Sejak tanggal (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Keluaran JSON.")] = False,
) -> None:
    """Laporan log jawaban: jumlah, tingkat penolakan, 👍/👎, topik terbanyak, jawaban terlambat."""
    import datetime as dt

    from bot.answer_log import AnswerLog

    settings = _settings(ctx)
    try:
        start = dt.datetime.strptime(since, "%Y-%m-%d").timestamp() if since else 0.0
    except ValueError as exc:
        raise UserError(f"Tanggal '{since}' tidak valid; tulis sebagai YYYY-MM-DD.") from exc
    if not settings.answer_log_path.exists():
        raise UserError(f"Log jawaban belum ada di {settings.answer_log_path}.")
    data = AnswerLog(settings.answer_log_path).report(start)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    total_feedback = data["thumbs_up"] + data["thumbs_down"]
    ratio = f"{data['thumbs_up']}/{data['thumbs_down']}" + (
        f" ({data['thumbs_up'] / total_feedback:.0%} 👍)" if total_feedback else ""
    )
    out.print(
        f"Jawaban: {data['answers']} dari {data['chats']} percakapan {data['by_channel']}\n"
        f"Tingkat penolakan: {data['refusal_rate']:.1%}\n👍/👎: {ratio}",
        markup=False,
    )
    topics = Table(title="Topik paling sering dikutip")
    topics.add_column("kutipan")
    topics.add_column("jumlah", justify="right")
    for label, count in data["top_topics"]:
        topics.add_row(label, str(count))
    out.print(topics)
    slow = Table(title="Jawaban paling lambat")
    slow.add_column("pertanyaan")
    slow.add_column("ms", justify="right")
    for row in data["slowest"]:
        slow.add_row(row["question"], f"{row['latency_ms']:.0f}")
    out.print(slow)


def _store_ready(settings: Settings) -> bool:
    """Whether the index holds documents; False only when there is none yet (chat then ingests first).

    A store that exists but cannot be used (read-only, corrupt, server unreachable) is an error here, not
    a reason to ingest into it.
    """
    if not settings.chroma_host and not (settings.store_dir / "chroma.sqlite3").exists():
        return False
    return bool(Store.open(settings).active_name)


@app.command("eval")
def evaluate(
    ctx: typer.Context,
    cases: Annotated[
        Path | None,
        typer.Argument(
            help="Berkas YAML kasus (format ../shared/eval); tidak perlu dengan --llm-faithfulness."
        ),
    ] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Tulis hasil JSON ke berkas ini.")] = None,
    llm_faithfulness: Annotated[
        bool,
        typer.Option(
            "--llm-faithfulness",
            help="Uji pemeriksa kalimat LLM dengan model tiruan: kalimat setia dan karangan per jenis.",
        ),
    ] = False,
    calibrate: Annotated[
        bool,
        typer.Option(
            "--calibrate", help="Dengan --llm-faithfulness: tetapkan ambang pada separuh kasus dan simpan."
        ),
    ] = False,
    per_kind: Annotated[int, typer.Option("--per-kind", min=1, help="Kasus per jenis karangan.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Benih pembangkit kasus.")] = 0,
) -> None:
    """Jalankan kasus evaluasi dan cetak tabel metrik (atau uji kesetiaan jawaban LLM)."""
    from bot.core.eval import COLUMNS, llm_summary, load_cases, metrics, run_cases
    from bot.wiring import build_dialogue

    settings = _settings(ctx)
    if llm_faithfulness:
        _faithfulness(settings, out_path, calibrate=calibrate, per_kind=per_kind, seed=seed)
        return
    if cases is None:
        raise UserError("Sebutkan berkas kasus, atau gunakan --llm-faithfulness.")
    dialogue = build_dialogue(settings)
    results, items = run_cases(dialogue, load_cases(cases))
    if out_path:
        out_path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    # Tags (english, two_part, chain ...) cut across kinds: a second table when the cases carry any.
    for group, by_tag in (("kind", False), ("tag", True)):
        table_data = metrics(items, by_tag=by_tag)
        if by_tag and len(table_data) == 1:
            continue
        table = Table(title=f"Evaluasi {cases.name} per {group}")
        table.add_column(group)
        for column in COLUMNS:
            table.add_column(column, justify="right")
        for name in ["overall", *sorted(k for k in table_data if k != "overall")]:
            table.add_row(name, *[_fmt(table_data[name].get(c)) for c in COLUMNS])
        out.print(table)
    summary = llm_summary(items)
    if summary:  # LLM mode: how many answers the model wrote, and why the others were extractive
        modes = ", ".join(f"{mode}: {n}" for mode, n in sorted(summary.items()))
        out.print(f"Mode LLM ({len(items)} jawaban): {modes}", highlight=False)


def _faithfulness(
    settings: Settings, out_path: Path | None, *, calibrate: bool, per_kind: int, seed: int
) -> None:
    """The faithfulness suite: the stand-in model behind the fake OpenAI server, the real client."""
    from bot.core.llm import OpenAICompatibleLLM
    from bot.core.verify import FAITHFULNESS_PATH, load_floors
    from bot.testing.faithfulness import run_suite, save_floors
    from bot.testing.openai_server import FakeOpenAI
    from bot.testing.standin import StandInModel
    from bot.wiring import build_responder

    responder = build_responder(settings.model_copy(update={"llm_base_url": None}))
    embedder = responder.index.embedder.model_id
    path = settings.faithfulness_path or FAITHFULNESS_PATH
    standin = StandInModel()
    with FakeOpenAI(standin) as server:
        llm = OpenAICompatibleLLM(server.base_url, "stand-in", "not-needed", settings.llm_timeout_s)
        result = run_suite(
            responder.index,
            llm,
            standin,
            per_kind=per_kind,
            seed=seed,
            floors=load_floors(embedder, path),
            fit=calibrate,
        )
    if calibrate:
        save_floors(path, result)
        out.print(f"Ambang disimpan di {path}", highlight=False)
    if out_path:
        out_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    floors = result["floors"]
    out.print(
        f"{result['cases']} kasus (benih {seed}, {embedder}); ambang: cakupan {floors['min_coverage']}, "
        f"frasa {floors['min_phrases']}, kemiripan {floors['min_similarity']}; {result['seconds']} s",
        highlight=False,
    )
    halves = (
        (("fitting", "separuh penetapan"), ("heldout", "separuh uji"))
        if calibrate
        else (("all", "semua kasus"),)
    )
    for key, title in halves:
        table = Table(title=f"Kesetiaan jawaban LLM, {title}")
        for column in ("jenis", "kalimat", "karangan tampil", "setia dipertahankan", "dipindah ke sumbernya"):
            table.add_column(column, justify="left" if column == "jenis" else "right")
        for kind, row in result[key].items():
            shown = row.get("shown")
            kept = row.get("kept")
            table.add_row(
                kind,
                str(row["n"]),
                "-" if shown is None else f"{shown:.1%}",
                "-" if kept is None else f"{kept:.1%}",
                f"{row['moved']:.1%}" if "moved" in row else "-",
            )
        out.print(table)


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.0f}" if value > 1.5 else f"{value:.3f}"


class Channel(StrEnum):
    """Where dialogue cases run."""

    core = "core"
    telegram = "telegram"
    whatsapp = "whatsapp"


@dialogues_app.command("run")
def dialogues_run(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Berkas YAML kasus dialog atau foldernya.")],
    channel: Annotated[
        Channel, typer.Option(help="core: mesin dialog; telegram/whatsapp: lewat server API palsu.")
    ] = Channel.core,
    tags: Annotated[
        list[str] | None, typer.Option("--tag", help="Hanya kasus bertanda ini (boleh diulang).")
    ] = None,
    junit_path: Annotated[Path | None, typer.Option("--junit", help="Tulis JUnit XML ke berkas ini.")] = None,
    report_path: Annotated[
        Path | None, typer.Option("--report", help="Tulis laporan Markdown ke berkas ini.")
    ] = None,
) -> None:
    """Jalankan kasus dialog; status keluar bukan nol bila ada kasus yang gagal."""
    from bot.dialogues.cases import load_cases
    from bot.dialogues.report import junit, markdown, print_results
    from bot.dialogues.runner import run
    from bot.wiring import build_dialogue

    settings = _settings(ctx)
    cases, errors = load_cases(paths, load_catalog(settings.catalog_path))
    if tags:
        cases = [c for c in cases if set(tags) & set(c.tags)]
    if not cases and not errors:
        raise UserError("Tidak ada kasus yang cocok untuk dijalankan.")
    results = run(cases, build_dialogue(settings), channel.value) if cases else []
    print_results(out, results, errors)
    if report_path:
        report_path.write_text(markdown(results, errors, channel.value), encoding="utf-8")
        out.print(f"Laporan Markdown: {report_path}", highlight=False)
    if junit_path:
        junit_path.write_text(junit(results, errors), encoding="utf-8")
        out.print(f"JUnit XML: {junit_path}", highlight=False)
    if errors or any(r.failed for r in results):
        raise typer.Exit(1)


@ranker_app.command("train")
def ranker_train(
    ctx: typer.Context,
    cases: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Berkas kasus berlabel (format eval) atau folder kasus dialog; "
            "bawaan: ../shared/eval/dev.yaml, tests/dialogues, tests/labelled."
        ),
    ] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="Tulis bobot ke berkas ini.")] = None,
    folds: Annotated[int, typer.Option(min=2, help="Lipatan validasi silang.")] = 5,
    c: Annotated[
        float, typer.Option("--c", min=1e-4, help="Kekuatan regularisasi (C) regresi logistik.")
    ] = 0.1,
    depth: Annotated[
        int, typer.Option(min=2, help="Unit teratas (fusi lama) yang dipasangkan saat melatih.")
    ] = 7,
    seed: Annotated[int, typer.Option(help="Benih acak (pembagian lipatan).")] = 0,
) -> None:
    """Latih bobot peringkat dari kasus berlabel dan cetak hasil validasi silang k-lipatan."""
    from bot.core.rank import DEFAULT_RANKER
    from bot.train import TrainingError, from_eval_file, from_library, train
    from bot.wiring import build_dialogue

    settings = _settings(ctx)
    root = Path(__file__).resolve().parents[1]
    defaults = [root.parent / "shared/eval/dev.yaml", root / "tests/dialogues"]
    defaults += sorted((root / "tests/labelled").glob("*.yaml"))
    sources = cases or [p for p in defaults if p.exists()]
    catalog = load_catalog(settings.catalog_path)
    labelled = []
    try:
        for source in sources:
            if source.is_dir():
                labelled += from_library([source], catalog)
            else:
                labelled += from_eval_file(source)
        dialogue = build_dialogue(settings)
        ranker, report = train(
            dialogue, labelled, folds=folds, c=c, depth=depth, seed=seed, sources=[str(s) for s in sources]
        )
    except TrainingError as exc:
        raise UserError(str(exc)) from exc
    table = Table(
        title=f"Validasi silang {folds} lipatan ({report['groups']} pencarian, {report['cases']} kasus)"
    )
    for column in ("peringkat", "hit@1", "hit@5", "mrr"):
        table.add_column(column, justify="right" if column != "peringkat" else "left")
    for name, row in report["cross_validation"].items():
        table.add_row(name, *(f"{row[k]:.3f}" for k in ("hit@1", "hit@5", "mrr")))
    out.print(table)
    target = out_path or DEFAULT_RANKER
    ranker.save(target)
    out.print(f"Bobot ditulis ke {target}", highlight=False)


@sources_app.command("list")
def sources_list(ctx: typer.Context) -> None:
    """Daftar katalog: status regulasi, tautan resmi, dan apakah sudah ada di indeks."""
    settings = _settings(ctx)
    catalog = load_catalog(settings.catalog_path)
    try:
        indexed = {r.regulation for r in Store.open(settings).manifest() if r.chunks}
    except StoreError:
        indexed = set()
    table = Table(title="Katalog sumber")
    for column in ("regulasi", "judul", "status", "di indeks", "berkas", "tautan resmi"):
        table.add_column(column, overflow="fold")
    for reg in catalog.regulations:
        files = present_files(reg, settings.documents_dir)
        table.add_row(
            reg.short_name,
            reg.title,
            reg.status_text(),
            "ya" if reg.short_name in indexed else "tidak",
            files[0].name if files else "-",
            reg.url or "-",
        )
    out.print(table)


@sources_app.command("download")
def sources_download(ctx: typer.Context) -> None:
    """Unduh dokumen resmi dari katalog ke folder dokumen (yang sudah ada dilewati)."""
    settings = _settings(ctx)
    results = download_all(
        load_catalog(settings.catalog_path), settings.documents_dir, timeout_s=settings.download_timeout_s
    )
    table = Table(title=f"Unduhan ke {settings.documents_dir}")
    for column in ("regulasi", "hasil", "keterangan"):
        table.add_column(column, overflow="fold")
    labels = {"downloaded": "diunduh", "present": "sudah ada", "skipped": "dilewati", "failed": "GAGAL"}
    for r in results:
        table.add_row(r.regulation, labels[r.status], r.detail)
    out.print(table)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


def main() -> None:
    """Console entry point: domain errors become one clear line and a non-zero exit, never a traceback."""
    try:
        # Without standalone mode click returns an Exit's code instead of raising it.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (UserError, StoreError, CatalogError, EmbedderError, EvalError) as exc:
        err.print(f"[red]Galat:[/red] {exc}", highlight=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("Dibatalkan.")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        logger.exception("unexpected error")
        err.print(f"[red]Galat tak terduga:[/red] {type(exc).__name__}: {exc}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
