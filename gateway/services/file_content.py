"""What an upload's content holds, beyond its type: libmagic names the type from the first bytes, this module
reads the whole file the way a viewer would and says, in Bahasa Indonesia, why it cannot be kept.

- PDF: parsed with qpdf (pikepdf), which decodes name escapes (`/J#61vaScript`) and compressed object streams,
  then every object is walked. Refused: JavaScript, Launch, SubmitForm/ImportData, GoToR/GoToE (open another
  file), embedded files and file attachments, RichMedia, XFA with scripts, `javascript:`/`file:` links; also a PDF
  qpdf cannot open, one locked with a password, or one whose object streams cannot be decoded within the limit.
- JPG/PNG/GIF: decoded to the last pixel with Pillow (`verify()`, then `load()` of every frame on a fresh open),
  under a pixel budget; refused when server-side or browser code is written in the bytes.
- DWG: the file header is checked against the published format (Open Design Alliance specification, as LibreDWG
  reads it): R13–R2000 by the header CRC and sentinels, R2004+ by the decrypted header's CRC, the page map's
  checksum and the closing header copy, R2007 by the header's Reed–Solomon code. What lies inside the pages is not
  parsed: a DWG with a valid frame and foreign bytes inside is refused only for script markers.

Pure functions of the bytes; the caller turns a returned sentence into its refusal.
"""

import io
import json
import mmap
import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pikepdf
from PIL import Image, ImageSequence

Source = Path | bytes

# --- refusals, as the applicant reads them (after "Berkas PDF ini" / "Foto x.jpg") ----------------------------------

ADVICE = {
    "pdf": "Simpan ulang dokumen sebagai PDF biasa (Cetak → Simpan sebagai PDF) atau pindai ulang, lalu unggah berkas yang baru.",
    "image": "Foto atau pindai ulang dokumen dengan aplikasi bawaan perangkat, lalu unggah berkas yang baru.",
    "dwg": "Simpan ulang gambar dari aplikasi CAD (Simpan Sebagai → DWG versi 2000 atau yang lebih baru), lalu unggah berkas yang baru.",
}
CARRIES_CODE = "berisi kode program tersisip dan tidak diterima demi keamanan."

# --- script in the bytes ---------------------------------------------------------------------------------------------

# Code a web server or a browser would run if the file were ever served as a page. PHP runs what is in a complete
# block: "<?php", or a short tag "<?=" / "<?" + space followed by code that ends in "?>", runs to the end of the file,
# or goes on long enough to be a program. The bare tag is too short to refuse on: its three bytes turn up by chance
# in compressed pixels (a 28 MB photo of noise held 35, none followed by more than 3 printable characters), and PHP
# would stop at the binary after them. Twelve printable characters in a row after one come by chance about once in
# 10^11 bytes.
_PRINTABLE = rb"[\t\n\r\x20-\x7e]"
SCRIPT_CODE = re.compile(
    rb"<\?php|<script|<\?[=\s](?:" + _PRINTABLE + rb"{12}|" + _PRINTABLE + rb"{2,11}?(?:\?>|\Z))", re.IGNORECASE)


def carries_code(data: bytes | mmap.mmap) -> bool:
    return SCRIPT_CODE.search(data) is not None


@contextmanager
def _bytes_of(source: Source) -> Iterator[bytes | mmap.mmap]:
    """The whole file as one buffer, mapped rather than read when it is on disk (up to 50 MB)."""
    if isinstance(source, bytes):
        yield source
        return
    with open(source, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        yield mapped


def _opened(source: Source) -> str | io.BytesIO:
    return str(source) if isinstance(source, Path) else io.BytesIO(source)


def problem(source: Source, extension: str) -> str | None:
    """Why this file (of the type libmagic found: pdf, jpg, png, gif, dwg) cannot be kept, as a sentence that
    follows its name; None when it can. Never raises on bad input."""
    if extension == "pdf":
        return pdf_problem(source)
    with _bytes_of(source) as data:
        if carries_code(data):
            return f"{CARRIES_CODE} {ADVICE['dwg' if extension == 'dwg' else 'image']}"
        if extension == "dwg":
            return dwg_problem(data)
    return image_problem(source, extension)


# --- images ----------------------------------------------------------------------------------------------------------

# A decoded image is held in memory: beyond this many pixels (over all frames) it is refused rather than decoded.
# Below Pillow's own decompression-bomb warning (89.5 million), above a 64-megapixel phone photo or an A3 scan at 600 dpi.
MAX_MEGAPIXELS = 80
MAX_PIXELS = MAX_MEGAPIXELS * 1_000_000
MAX_FRAMES = 500
PILLOW_FORMATS = {"jpg": ["JPEG", "MPO"], "png": ["PNG"], "gif": ["GIF"]}
IMAGE_BROKEN = "rusak atau terpotong: gambarnya tidak dapat dibaca sampai selesai, jadi isinya tidak dapat diperiksa."


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def image_problem(source: Source, extension: str) -> str | None:
    formats = PILLOW_FORMATS[extension]
    try:
        with Image.open(_opened(source), formats=formats) as image:
            image.verify()  # structure and checksums (PNG chunk CRCs), without decoding
        with Image.open(_opened(source), formats=formats) as image:
            budget = MAX_PIXELS
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                width, height = frame.size
                budget -= width * height
                if budget < 0:
                    return (f"terlalu besar resolusinya ({_thousands(width)} × {_thousands(height)} piksel"
                            f"{', berulang dalam animasi' if index else ''}); paling besar {MAX_MEGAPIXELS} megapiksel. "
                            "Perkecil ukuran gambar, lalu unggah kembali.")
                if index >= MAX_FRAMES:
                    return f"berisi animasi yang terlalu panjang (lebih dari {MAX_FRAMES} bingkai). {ADVICE['image']}"
                if index == 0 and frame.format in ("JPEG", "MPO"):
                    # Decoded at 1/8 scale: every bit of the compressed data is still read, in 1/64 of the memory.
                    frame.draft(frame.mode, (max(1, width // 8), max(1, height // 8)))
                frame.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"terlalu besar resolusinya; paling besar {MAX_MEGAPIXELS} megapiksel. Perkecil ukuran gambar, lalu unggah kembali."
    except Exception:  # noqa: BLE001 - whatever the decoder trips on, the picture cannot be read to its end
        return f"{IMAGE_BROKEN} {ADVICE['image']}"
    return None


# --- PDF -------------------------------------------------------------------------------------------------------------

# qpdf decodes object streams (and XFA, which we read) in memory: cap what one stream may expand to, so a few
# kilobytes that inflate to gigabytes are refused instead of exhausting the server. Process-wide qpdf settings;
# nothing else in SatuPintu uses pikepdf.
PDF_STREAM_MAX_BYTES = 64 * 1024 * 1024
# A long book is some tens of thousands of objects; millions of tiny ones only cost time to read.
PDF_MAX_OBJECTS = 500_000
pikepdf.settings.set_qpdf_limits(flate_max_memory=PDF_STREAM_MAX_BYTES, png_max_memory=PDF_STREAM_MAX_BYTES,
                                 tiff_max_memory=PDF_STREAM_MAX_BYTES, run_length_max_memory=PDF_STREAM_MAX_BYTES)

# Names (as keys or values, after qpdf has decoded #xx escapes) that make a PDF act rather than show, by what
# they do. Links to web pages (/URI http…), page jumps (/GoTo), named actions and plain forms stay accepted.
PDF_ACTIVE = {
    "/JavaScript": "script", "/JS": "script", "/OnInstantiate": "script",  # the last: JavaScript of a 3D annotation
    "/Launch": "launch",
    "/SubmitForm": "submit", "/ImportData": "submit",
    "/GoToR": "remote", "/GoToE": "remote",
    "/EmbeddedFile": "embedded", "/EmbeddedFiles": "embedded", "/FileAttachment": "embedded", "/EF": "embedded",
    "/RichMedia": "media", "/RichMediaExecute": "media",
}
PDF_ACTIVE_LABELS = {
    "script": "JavaScript (kode program yang berjalan saat dokumen dibuka)",
    "launch": "perintah menjalankan program di komputer pembaca",
    "submit": "perintah mengirim atau mengambil data formulir ke alamat lain",
    "remote": "tautan yang membuka berkas lain di komputer atau jaringan pembaca",
    "embedded": "berkas lain yang disisipkan di dalamnya (lampiran PDF)",
    "media": "media aktif (RichMedia/Flash)",
    "xfa": "formulir XFA yang menjalankan skrip atau mengirim data",
}
# A link (/URI) that runs code or reaches the reader's own disk or network share.
RISKY_URI = {"javascript:": "script", "vbscript:": "script", "data:": "script", "file:": "remote", "\\\\": "remote"}
# A quick test on each object's JSON before it is walked: a name of interest, quoted exactly as qpdf writes names.
# A plain web, mail or phone link is not worth the walk.
PDF_NAMES_OF_INTEREST = re.compile(
    rb'"(?:' + b"|".join(re.escape(name.encode()) for name in (*PDF_ACTIVE, "/XFA")) + rb')"'
    rb'|"/URI":\s*"(?!u:(?:https?://|mailto:|tel:))')
XFA_ACTIVE = re.compile(rb"<(?:[\w.-]+:)?(?:script|submit)\b", re.IGNORECASE)
PDF_UNREADABLE = "rusak atau tidak utuh, jadi isinya tidak dapat diperiksa."
PDF_LOCKED = ("dilindungi kata sandi, jadi isinya tidak dapat diperiksa. Simpan ulang dokumen tanpa kata sandi "
              "(atau cetak ke PDF baru), lalu unggah kembali.")
PDF_UNCHECKABLE = ("memuat data terkompresi yang rusak atau terlalu besar untuk dibuka, jadi isinya tidak dapat "
                   "diperiksa.")


def _decoded(stream: pikepdf.Object) -> bytes | None:
    """A stream's data, when it is plain or Flate-compressed (the only filters decoded under a memory cap); None when
    it cannot be decoded within the limit."""
    filters = stream.get("/Filter")
    names = [] if filters is None else [filters] if isinstance(filters, pikepdf.Name) else list(filters)
    if any(str(name) not in ("/FlateDecode", "/Fl") for name in names):
        return None
    try:
        return stream.read_bytes()
    except Exception:  # noqa: BLE001 - corrupt, or past the memory cap
        return None


def pdf_problem(source: Source) -> str | None:
    try:
        # Inherited page attributes are a rewrite, not a reading: skipping it keeps a 1000-page file quick to open.
        with pikepdf.open(_opened(source), inherit_page_attributes=False) as pdf:
            return _pdf_findings(pdf)
    except pikepdf.PasswordError:
        return PDF_LOCKED
    except Exception:  # noqa: BLE001 - qpdf could not read it as a PDF
        return f"{PDF_UNREADABLE} {ADVICE['pdf']}"


def _pdf_findings(pdf: pikepdf.Pdf) -> str | None:
    xref = pdf.get_xref_table()
    if len(xref) > PDF_MAX_OBJECTS:
        return (f"terlalu rumit untuk diperiksa (lebih dari {_thousands(PDF_MAX_OBJECTS)} objek). "
                f"{ADVICE['pdf']}")
    # Objects packed in object streams are read from the decoded stream: each must decode, or what it hides is unseen.
    # (A type-2 entry always names its object stream; the test says so to the type checker.)
    for number in {entry.obj_stream_number for entry in xref.values() if entry.type == 2 and entry.obj_stream_number is not None}:
        container = pdf.get_object((number, 0))
        if not isinstance(container, pikepdf.Stream) or _decoded(container) is None:
            return f"{PDF_UNCHECKABLE} {ADVICE['pdf']}"
    found: set[str] = set()
    xfa: list[object] = []
    # Every object as qpdf writes it in JSON (names decoded, a stream as its dictionary, references as "n g R"): one
    # call each, and the few that name something of interest are walked in Python.
    for obj in (pdf.trailer, *pdf.objects):
        text = obj.to_json(dereference=True)
        if PDF_NAMES_OF_INTEREST.search(text):
            _pdf_walk(json.loads(text), found, xfa)
    for value in xfa:
        for ref in value if isinstance(value, list) else [value]:
            stream = _referenced(pdf, ref)
            if stream is None:
                continue
            data = _decoded(stream)
            if data is None:
                return f"{PDF_UNCHECKABLE} {ADVICE['pdf']}"
            if XFA_ACTIVE.search(data):
                found.add("xfa")
    if not found:
        return None
    labels = [label for kind, label in PDF_ACTIVE_LABELS.items() if kind in found]
    listed = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} serta {labels[-1]}"
    return f"berisi {listed} dan tidak diterima demi keamanan. {ADVICE['pdf']}"


def _pdf_string(value: str) -> str:
    """The text of a PDF string in qpdf JSON ("u:" text, "b:" hex bytes)."""
    if value.startswith("b:"):
        try:
            return bytes.fromhex(value[2:]).decode("latin-1")
        except ValueError:
            return ""
    return value[2:] if value.startswith("u:") else value


def _pdf_walk(value: object, found: set[str], xfa: list[object]) -> None:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if key in PDF_ACTIVE:
                    found.add(PDF_ACTIVE[key])
                elif key == "/XFA":
                    xfa.append(child)
                elif key == "/URI" and isinstance(child, str):
                    target = "".join(_pdf_string(child).split()).lower()
                    found.update(kind for prefix, kind in RISKY_URI.items() if target.startswith(prefix))
                pending.append(child)
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and item in PDF_ACTIVE:
            found.add(PDF_ACTIVE[item])


def _referenced(pdf: pikepdf.Pdf, ref: object) -> pikepdf.Stream | None:
    match = re.fullmatch(r"(\d+) (\d+) R", ref) if isinstance(ref, str) else None
    if match is None:
        return None
    obj = pdf.get_object((int(match[1]), int(match[2])))
    return obj if isinstance(obj, pikepdf.Stream) else None


# --- DWG -------------------------------------------------------------------------------------------------------------

DWG_VERSIONS = {b"AC1012": "R13", b"AC1014": "R14", b"AC1015": "2000", b"AC1018": "2004", b"AC1021": "2007",
                b"AC1024": "2010", b"AC1027": "2013", b"AC1032": "2018"}
# The smallest drawing AutoCAD saves is some 20 KB; every structure checked below fits well inside this.
DWG_MIN_BYTES = 4096
DWG_BROKEN = "tidak memiliki struktur DWG yang utuh (rusak, terpotong, atau bukan gambar CAD), jadi isinya tidak dapat diperiksa."
# R13–R2000: the 16-byte sentinels that close the file header and open the header variables.
SENTINEL_HEADER_END = bytes.fromhex("95A04E2899821AE55E41E05F9D3A4D00")
SENTINEL_VARIABLES = bytes.fromhex("CF7B1F23FDDE38A95F7C68B84E6D335F")
# R2004+: the file header at 0x80 is XOR-ed with this LCG sequence; decrypted it starts with the file id.
R2004_HEADER_SIZE = 0x6C
R2004_FILE_ID = b"AcFssFcAJMB\x00"
PAGE_MAP_TYPE = 0x41630E3B
# R2007: three interleaved Reed–Solomon (255,239) codewords over GF(256) with x^8+x^6+x^5+x^4+1.
R2007_RS_BYTES = 3 * 255


def _lcg_pad(size: int) -> bytes:
    seed, out = 1, bytearray()
    for _ in range(size):
        seed = (seed * 0x343FD + 0x269EC3) & 0xFFFFFFFF
        out.append((seed >> 16) & 0xFF)
    return bytes(out)


R2004_PAD = _lcg_pad(R2004_HEADER_SIZE)


def _crc16_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC16 = _crc16_table()


def dwg_crc16(data: bytes, seed: int = 0xC0C1) -> int:
    crc = seed
    for byte in data:
        crc = (crc >> 8) ^ CRC16[(byte ^ crc) & 0xFF]
    return crc


def _gf_tables() -> tuple[list[int], list[int]]:
    exp, log, x = [0] * 510, [0] * 256, 1
    for i in range(255):
        exp[i], log[x] = x, i
        x <<= 1
        if x & 0x100:
            x ^= 0x169
    exp[255:] = exp[:255]
    return exp, log


GF_EXP, GF_LOG = _gf_tables()


def rs_syndromes_zero(codeword: bytes) -> bool:
    """Whether a 255-byte block (byte i the coefficient of x^i) is a codeword: zero at alpha^1..alpha^16."""
    for j in range(1, 17):
        value = 0
        for coefficient in reversed(codeword):
            value = (GF_EXP[GF_LOG[value] + j] if value else 0) ^ coefficient
        if value:
            return False
    return True


def dwg_problem(data: bytes | mmap.mmap) -> str | None:
    version = bytes(data[:6])
    broken = f"{DWG_BROKEN} {ADVICE['dwg']}"
    if version not in DWG_VERSIONS:
        if re.fullmatch(rb"AC1\.\d\d|AC2\.\d\d|AC100\d", version):
            return f"memakai format DWG lama (sebelum AutoCAD R13) yang tidak diterima. {ADVICE['dwg']}"
        return broken
    if len(data) < DWG_MIN_BYTES or any(data[6:11]):
        return broken
    check = _r13_r2000 if version < b"AC1018" else _r2007 if version == b"AC1021" else _r2004
    try:
        return None if check(data) else broken
    except (struct.error, ValueError, IndexError):  # an offset or count that points outside the file
        return broken


def _r13_r2000(data: bytes | mmap.mmap) -> bool:
    """Section locator records, the CRC over the header, the closing sentinel, and the header variables where
    the first record says."""
    (count,) = struct.unpack_from("<I", data, 0x15)
    end = 0x19 + 9 * count
    if not 3 <= count <= 6 or len(data) < end + 18:
        return False
    records = [struct.unpack_from("<BII", data, 0x19 + 9 * i) for i in range(count)]
    if any(address + size > len(data) for _, address, size in records):
        return False
    (crc,) = struct.unpack_from("<H", data, end)
    variables = records[0][1]
    return (crc == dwg_crc16(bytes(data[:end])) and data[end + 2:end + 18] == SENTINEL_HEADER_END
            and data[variables:variables + 16] == SENTINEL_VARIABLES)


def _r2004(data: bytes | mmap.mmap) -> bool:
    """The decrypted file header (id, fixed fields, CRC-32), the section page map it points to (type, Adler
    checksum), and its copy that closes the file."""
    (header_at,) = struct.unpack_from("<I", data, 0x28)
    if header_at != 0x80:
        return False
    encrypted = bytes(data[0x80:0x80 + R2004_HEADER_SIZE])
    header = bytes(a ^ b for a, b in zip(encrypted, R2004_PAD, strict=False))  # a short file gives a short header, refused below
    if (header[:12] != R2004_FILE_ID or struct.unpack_from("<3I", header, 0x0C) != (0, 0x6C, 4)
            or struct.unpack_from("<3I", header, 0x44) != (0x20, 0x80, 0x40)):
        return False
    (crc,) = struct.unpack_from("<I", header, 0x68)
    if zlib.crc32(header[:0x68] + bytes(4)) != crc:
        return False
    (copy_at,) = struct.unpack_from("<Q", header, 0x34)
    if copy_at + R2004_HEADER_SIZE != len(data) or data[copy_at:] != encrypted:
        return False
    (map_at,) = struct.unpack_from("<Q", header, 0x54)
    map_at += 0x100
    if map_at + 20 > len(data):
        return False
    page_type, _, compressed, _, checksum = struct.unpack_from("<5I", data, map_at)
    if page_type != PAGE_MAP_TYPE or map_at + 20 + compressed > len(data):
        return False
    seed = zlib.adler32(bytes(data[map_at:map_at + 16]) + bytes(4), 0)
    return zlib.adler32(bytes(data[map_at + 20:map_at + 20 + compressed]), seed) == checksum


def _r2007(data: bytes | mmap.mmap) -> bool:
    """The file header at 0x80 is protected by a Reed–Solomon code: each of its three interleaved codewords must be
    one, and the header they carry must say how long its compressed part is."""
    (header_at,) = struct.unpack_from("<I", data, 0x28)
    block = bytes(data[0x80:0x80 + R2007_RS_BYTES])
    if header_at != 0x80 or not any(block):
        return False
    codewords = [block[i::3] for i in range(3)]
    if not all(rs_syndromes_zero(c) for c in codewords):
        return False
    carried = b"".join(c[:239] for c in codewords)
    compressed, raw = struct.unpack_from("<ii", carried, 24)
    return 0 < compressed <= len(carried) - 32 and raw == 0
