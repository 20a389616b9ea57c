"""Chat channels (console, Telegram, WhatsApp): translate messages, nothing else."""
