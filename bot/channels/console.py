"""The terminal host: the same dialogue engine as the chat channels, on standard input and output."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.dialogue import Dialogue, welcome

PROMPT = "Anda> "


def run_console(
    dialogue: Dialogue, read: Callable[[str], str] = input, write: Callable[[str], None] = print
) -> None:
    """Chat until end of input or /keluar."""
    write(welcome(dialogue.responder))
    write("Ketik /keluar untuk berhenti.\n")
    while True:
        try:
            text = read(PROMPT)
        except (EOFError, KeyboardInterrupt):
            write("")
            break
        if text.strip().lower() in ("/keluar", "/exit", "/quit"):
            break
        if not text.strip():
            continue
        try:
            write(dialogue.handle("console", text) + "\n")
        except Exception:  # the engine logs the detail; the user gets a sentence, not a traceback
            write("Maaf, terjadi kesalahan saat menyiapkan jawaban. Silakan coba lagi.\n")
    write("Sampai jumpa.")
