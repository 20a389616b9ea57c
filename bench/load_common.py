"""What the load benchmarks share: the questions their users ask, CPU time, percentiles."""

from __future__ import annotations

import resource

# A mix of what users ask: definitions, Pasal lookups, facts, follow-ups, a refusal, a report figure.
QUESTIONS = [
    "apa itu arsitektur spbe?",
    "isi pasal 40 perpres 95 apa?",
    "audit infrastruktur spbe milik pemda minimal brp kali dilakukan?",
    "bobot domain layanan spbe dalam perhitungan indeks itu brp persen?",
    "pasal berikutnya bilang apa?",
    "siapa yang menetapkan arsitektur spbe instansi pusat?",
    "kalau untuk pemda gimana?",
    "tim koordinasi spbe nasional ketuanya siapa?",
    "minta resep rendang dong",
    "indeks spbe pemprov jawa barat tahun 2024 berapa?",
]


def cpu_s(who: int) -> float:
    """User plus system CPU seconds of this process (RUSAGE_SELF) or its children (RUSAGE_CHILDREN)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float | None:
    """The q-th quantile of the values (nearest rank); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
