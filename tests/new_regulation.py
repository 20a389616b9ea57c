"""A small regulation of a kind and topic the catalog does not list, written by the tests as a fixture.

It is not a real regulation (the province is "Contoh"): the tests ingest it as an admin would, ask it by
Pasal, by definition and by fact, then remove it and expect the bot to refuse it by name.
"""

from __future__ import annotations

from pathlib import Path

SHORT_NAME = "Pergub Contoh 7/2025"
FILE_NAME = "pergub-contoh-7-2025.txt"

TEXT = """\
GUBERNUR CONTOH

PERATURAN GUBERNUR CONTOH
NOMOR 7 TAHUN 2025
TENTANG
PENGELOLAAN ARSIP DINAMIS DI LINGKUNGAN PEMERINTAH PROVINSI

DENGAN RAHMAT TUHAN YANG MAHA ESA

GUBERNUR CONTOH,

Menimbang : a. bahwa arsip dinamis perlu dikelola agar tersedia bagi penyelenggaraan pemerintahan;
            b. bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf a, perlu menetapkan
               Peraturan Gubernur tentang Pengelolaan Arsip Dinamis;

Mengingat : 1. Undang-Undang Nomor 43 Tahun 2009 tentang Kearsipan;

MEMUTUSKAN:

Menetapkan : PERATURAN GUBERNUR TENTANG PENGELOLAAN ARSIP DINAMIS.

BAB I
KETENTUAN UMUM

Pasal 1
Dalam Peraturan Gubernur ini yang dimaksud dengan:
1. Arsip Dinamis adalah arsip yang digunakan secara langsung dalam kegiatan pencipta arsip dan disimpan
   selama jangka waktu tertentu.
2. Arsip Vital adalah arsip yang keberadaannya merupakan persyaratan dasar bagi kelangsungan
   operasional pencipta arsip dan tidak dapat diperbarui apabila rusak atau hilang.
3. Jadwal Retensi Arsip adalah daftar yang berisi jangka waktu penyimpanan arsip, jenis arsip, dan
   keterangan penyusutannya.
4. Unit Kearsipan adalah satuan kerja yang melaksanakan fungsi dan tugas penyelenggaraan kearsipan.

BAB II
PENGELOLAAN

Pasal 2
(1) Setiap perangkat daerah wajib mengelola Arsip Dinamis yang diciptakannya.
(2) Pengelolaan Arsip Dinamis meliputi penciptaan, penggunaan dan pemeliharaan, serta penyusutan arsip.

Pasal 3
(1) Arsip Vital disimpan di ruang penyimpanan yang tahan api dan tahan air.
(2) Salinan Arsip Vital dibuat paling sedikit 2 (dua) eksemplar dan disimpan di lokasi yang berbeda.

Pasal 4
(1) Jadwal Retensi Arsip disusun oleh Unit Kearsipan.
(2) Jadwal Retensi Arsip ditetapkan oleh Gubernur setelah mendapat persetujuan Kepala Arsip Nasional
    Republik Indonesia.

Pasal 5
(1) Arsip yang telah habis masa retensinya dimusnahkan paling lambat 6 (enam) bulan setelah masa
    retensinya berakhir.
(2) Pemusnahan arsip dilaksanakan oleh panitia penilai arsip yang dibentuk oleh kepala perangkat daerah.

BAB III
KETENTUAN PENUTUP

Pasal 6
Peraturan Gubernur ini mulai berlaku pada tanggal diundangkan.

Ditetapkan di Kota Contoh
pada tanggal 2 Januari 2025
GUBERNUR CONTOH,
"""

# (question, the citation the answer must give, a phrase it must quote)
QUESTIONS = (
    (f"isi pasal 3 {SHORT_NAME.lower()} apa?", f"{SHORT_NAME} Pasal 3", "tahan api"),
    ("apa itu arsip vital?", f"{SHORT_NAME} Pasal 1 angka 2", "persyaratan dasar"),
    ("jadwal retensi arsip itu ditetapkan oleh siapa?", f"{SHORT_NAME} Pasal 4", "ditetapkan oleh Gubernur"),
)


def write_regulation(folder: Path) -> Path:
    """Write the fixture regulation into a folder; its path."""
    path = folder / FILE_NAME
    path.write_text(TEXT, encoding="utf-8")
    return path
