"""Admin operations any channel can offer: status and re-indexing without downtime."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from bot.answer_log import AnswerLog
from bot.core.dialogue import Dialogue
from bot.wiring import make_ingestor
from ingest.pipeline import IngestReport, Progress
from knowledge.settings import Settings
from knowledge.store import Store, StoreError

_STATUS = {
    "ingested": "dimuat",
    "unchanged": "tetap",
    "duplicate": "duplikat",
    "failed": "GAGAL",
    "removed": "dihapus",
}


class Admin:
    """Status and re-index for the admins named in SPBE_ADMIN_IDS; one re-index at a time."""

    def __init__(self, settings: Settings, dialogue: Dialogue, answer_log: AnswerLog) -> None:
        self.settings = settings
        self.dialogue = dialogue
        self.log = answer_log
        self.started = time.time()
        self._reindexing = threading.Lock()

    def is_admin(self, user_id: int | None) -> bool:
        """Whether a user may run admin commands."""
        return user_id is not None and user_id in self.settings.admin_ids

    @property
    def busy(self) -> bool:
        """Whether a re-index is running."""
        return self._reindexing.locked()

    def status_text(self) -> str:
        """Store, model, documents, uptime and answers served (or why the store cannot be read now)."""
        try:
            store = Store.open(self.settings)
            records = [r for r in store.manifest() if r.chunks]
        except StoreError as exc:
            return f"Indeks tidak dapat dibaca: {exc}"
        hours, rest = divmod(int(time.time() - self.started), 3600)
        lines = [
            f"Indeks: {store.location}",
            f"Model embedding: {store.embedding_model}",
            f"Dokumen: {len(records)}, chunk: {sum(r.chunks for r in records)}",
            f"Aktif sejak: {hours} jam {rest // 60} menit; jawaban diberikan: {len(self.log.rows())}",
            "",
        ]
        lines += [f"- {r.regulation}: {r.pasal} Pasal, {r.chunks} chunk ({r.status})" for r in records]
        return "\n".join(lines)

    def reindex(self, paths: Sequence[Path] = (), progress: Progress | None = None) -> IngestReport | None:
        """Ingest (the documents folder by default) into a new collection, then switch; None if busy.

        Readers keep answering from the old collection until the switch; the index reloads itself on
        the next question.
        """
        if not self._reindexing.acquire(blocking=False):
            return None
        try:
            embedder = self.dialogue.responder.index.embedder  # the loaded model: no second copy in memory
            report = make_ingestor(self.settings, embedder, progress).run(
                list(paths) or [self.settings.documents_dir]
            )
        finally:
            self._reindexing.release()
        self.dialogue.responder.current_index(force=True)  # this replica at once; the others within seconds
        return report


def summary_text(report: IngestReport) -> str:
    """The ingest summary as plain lines for a chat."""
    lines = []
    for r in report.results:
        note = "; ".join([*([r.reason] if r.reason else []), *r.warnings])
        lines.append(
            f"- {Path(r.source_file).name}: {_STATUS.get(r.status, r.status)}"
            + (f", {r.regulation}, {r.pages} hlm., {r.pasal} Pasal, {r.chunks} chunk" if r.regulation else "")
            + (f" ({note})" if note else "")
        )
    docs = [r for r in report.results if r.status in ("ingested", "unchanged")]
    lines.append(
        f"Total: {len(docs)} dokumen, {sum(r.chunks for r in docs)} chunk, {len(report.failed)} gagal, "
        f"{report.embedded} chunk di-embed, {report.seconds:.1f} detik."
    )
    return "Ringkasan ingest:\n" + "\n".join(lines)
