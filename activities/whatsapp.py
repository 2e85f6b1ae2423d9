"""The WhatsApp auto-reply (seed 000 §3, method 1): a person asks by menu number or keyword and gets the
requirements, procedure, time and cost of the service; follow-up questions ("biaya", "berapa lama",
"jam layanan", …) are about the last service asked; "petugas", or a question it cannot answer, hands the
conversation to an officer.

It reads the definitions as they are now (walk-in services from counter.yaml, online permit types from
the catalog), not a snapshot: an edited requirement list is what the next person asking is told. The
conversation itself (what was asked last) lives in the workflow and comes in with each message.

It answers for the office whose assistant the citizen wrote to (the conversation's office, read from the database by
its code): its name, address and hours, its walk-in services only if it runs a counter, its permits only if it issues
them, and links to the other services it offers online; never another office's."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts import WHATSAPP_AUTO_REPLY, AutoReplyInput, AutoReplyResult, ConversationState
from process_defs import catalog as catalog_defs
from process_defs import counter as counter_defs
from process_defs import loader
from process_defs.loader import DEFS_DIR
from store.offices import first_office, office_by_code
from store.settings import Settings

FOOTER = "Ketik 0 untuk menu, PETUGAS untuk berbicara dengan petugas."
COST = "Rp 0,- (tidak ada biaya/tarif yang dipungut untuk pelayanan ini)"
HANDOFF_REPLY = ("Pertanyaan Anda kami teruskan ke petugas. Petugas akan membalas di percakapan ini pada jam layanan ({hours}). "
                 "Mohon menunggu; Anda tidak perlu mengirim ulang pertanyaan.")
UNSUPPORTED_REPLY = "Maaf, saat ini kami hanya dapat membaca pesan teks."

_DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
_TZ = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}

# Words people type, reduced to one spelling (regional and informal variants).
_ALIASES = {"umroh": "umrah", "legalisasi": "legalisir", "legalisir2": "legalisir",
            "majlis": "majelis", "talim": "taklim", "kiblah": "kiblat", "pasport": "paspor", "passport": "paspor",
            "ijasah": "ijazah", "mushola": "musala", "musholla": "musala", "mesjid": "masjid"}
_HANDOFF = {"petugas", "operator", "admin", "cs", "manusia"}
_MENU = {"0", "menu", "mulai", "start", "kembali"}
_GREETINGS = {"halo", "hallo", "helo", "hai", "hi", "hello", "assalamualaikum", "asalamualaikum", "assalamu", "alaikum", "salam",
              "pagi", "siang", "sore", "malam", "selamat", "permisi", "p", "min", "kak", "pak", "bu", "mas", "mbak", "ping", "tes", "test"}
_THANKS = {"terima", "kasih", "makasih", "trims", "thanks", "tq", "ok", "oke", "okay", "baik", "siap", "sip", "mantap", "noted"}
_PERMITS = {"izin", "perizinan", "daring", "online", "permohonan"}
# Follow-up aspects, by the words that ask for them.
_ASPECTS = {
    "requirements": {"syarat", "persyaratan", "berkas", "dokumen", "bawa", "dibawa", "lampiran", "kelengkapan"},
    "cost": {"biaya", "bayar", "tarif", "harga", "gratis", "pungutan", "ongkos", "retribusi", "berbayar"},
    "duration": {"lama", "berapa lama", "durasi", "estimasi", "selesai", "kapan"},
    "hours": {"jam", "buka", "tutup", "libur", "sabtu", "minggu", "operasional kantor"},
    "procedure": {"prosedur", "alur", "cara", "langkah", "proses", "tahapan", "mekanisme", "bagaimana", "gimana"},
    "address": {"alamat", "lokasi", "dimana", "mana kantor", "kantornya"},
}
_STOP = {"dan", "atau", "yang", "dari", "untuk", "dengan", "surat", "layanan", "permintaan", "keterangan", "penyelenggaraan", "pengukuran"}


@dataclass
class Topic:
    kind: str  # "walk_in" | "permit"
    code: str
    name: str
    tokens: set[str] = field(default_factory=set)


@dataclass
class Knowledge:
    """What the auto-reply can tell, from the definitions as they are now."""

    office_name: str
    office_address: str
    hours: str
    public_base_url: str
    walk_ins: list[counter_defs.WalkInServiceDef]
    permits: list[catalog_defs.PermitTypeDef]
    permit_agencies: dict[str, str]
    work_units: dict[str, str]
    topics: list[Topic]
    # The office's other services a citizen uses on the website: (label, address).
    online: list[tuple[str, str]] = field(default_factory=list)
    # Where an application to this office starts (the wizard with the office chosen).
    apply_url: str = ""


def _stem(word: str) -> str:
    """Drops the particles people attach in chat ("biayanya", "syaratnya apa", "bisakah")."""
    for suffix in ("nya", "kah", "lah"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    return [_ALIASES.get(w, _ALIASES.get(_stem(w), _stem(w))) for w in words]


def _tokens(*texts: str) -> set[str]:
    return {w for t in texts for w in _words(t.replace("_", " ")) if len(w) >= 3 and w not in _STOP}


def office_hours(calendar: loader.CalendarDef) -> str:
    days = sorted(calendar.working_weekdays)
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        day_text = f"{_DAYS[days[0]]}–{_DAYS[days[-1]]}"
    else:
        day_text = ", ".join(_DAYS[d] for d in days)
    start = calendar.office_hours.get("start", "08:00").replace(":", ".")
    end = calendar.office_hours.get("end", "16:30").replace(":", ".")
    return f"{day_text}, pukul {start}–{end}"


# The office's services a citizen uses on the website, besides the counter and permits (which the menu lists).
_ONLINE = (("complaint", "Pengaduan", "/pengaduan?kantor={code}"), ("complaint", "Kritik dan saran", "/kritik?kantor={code}"),
           ("siramasakan", "SIRAMASAKAN (perubahan data kependudukan setelah putusan)", "/siramasakan?kantor={code}"))


def knowledge(settings: Settings, office: loader.OfficeFile, defs_dir: Path = DEFS_DIR) -> Knowledge:
    """What the office's assistant can tell: only what this office offers."""
    counter = counter_defs.load_counter(defs_dir)
    cat = catalog_defs.load_catalog(defs_dir)
    zone = _TZ.get(office.office.timezone, office.office.timezone)
    walk_ins = list(counter.services) if office.offers("walk_in") else []
    permits = cat.permit_types() if office.offers("permit") else []
    topics = [Topic("walk_in", s.code, s.name, _tokens(s.name, s.code)) for s in walk_ins]
    topics += [Topic("permit", p.code, p.name, _tokens(p.name, p.code)) for p in permits]
    base = settings.public_base_url.rstrip("/")
    return Knowledge(
        office_name=office.office.name, office_address=office.office.address,
        hours=f"{office_hours(office.calendar)} {zone}, kecuali hari libur nasional dan cuti bersama",
        public_base_url=base, walk_ins=walk_ins, permits=permits,
        permit_agencies={p.code: (agency.short_name if (agency := cat.agency_of(p.code)) else "") for p in permits},
        work_units=dict(counter.work_units), topics=topics,
        online=[(label, base + path.format(code=office.code)) for process, label, path in _ONLINE if office.offers(process)],
        apply_url=f"{base}/izin/ajukan?kantor={office.code}",
    )


_MTIMES: dict[str, float] = {}


def _reload_if_edited(defs_dir: Path) -> None:
    """Drops the cached definitions when a YAML file changed, so the reply tells what the office set today."""
    changed = False
    for name in ("counter.yaml", catalog_defs.CATALOG_FILE):
        path = Path(defs_dir) / name
        mtime = path.stat().st_mtime if path.exists() else 0.0
        if _MTIMES.get(str(path)) not in (None, mtime):
            changed = True
        _MTIMES[str(path)] = mtime
    if changed:
        counter_defs.load_counter.cache_clear()
        catalog_defs.load_catalog.cache_clear()


# --- the conversation -----------------------------------------------------------------------------


def _has(words: list[str], text: str, vocabulary: set[str]) -> bool:
    return any(w in vocabulary for w in words) or any(" " in v and v in text for v in vocabulary)


def _match_topics(k: Knowledge, words: list[str]) -> list[Topic]:
    """Services the words name: each word counts 1/(how many services share it); the best score wins, if
    it is at least half a distinctive word."""
    sharing: dict[str, int] = {}
    for t in k.topics:
        for token in t.tokens:
            sharing[token] = sharing.get(token, 0) + 1
    scores: dict[int, float] = {}
    for i, t in enumerate(k.topics):
        score = sum(1 / sharing[w] for w in set(words) if w in t.tokens)
        if score:
            scores[i] = score
    if not scores:
        return []
    best = max(scores.values())
    if best < 0.5:
        return []
    return [k.topics[i] for i, s in scores.items() if s == best]


def _walk_in(k: Knowledge, code: str) -> counter_defs.WalkInServiceDef | None:
    return next((s for s in k.walk_ins if s.code == code), None)


def _permit(k: Knowledge, code: str) -> catalog_defs.PermitTypeDef | None:
    return next((p for p in k.permits if p.code == code), None)


def _menu(k: Knowledge, greeting: str | None = None) -> str:
    listing = [greeting] if greeting else []
    if k.walk_ins or k.permits:
        listing.append("Ketik *nomor* atau *nama layanan* untuk melihat persyaratan dan prosedurnya:")
    listing += [f"{i}. {s.name}" for i, s in enumerate(k.walk_ins, start=1)]
    if k.permits:
        listing.append(f"{len(k.walk_ins) + 1}. Perizinan daring ({len(k.permits)} jenis izin, diajukan lewat situs)")
    blocks = [listing] if listing else []
    if k.online:
        blocks.append(["Layanan daring kantor ini:", *(f"• {label}: {url}" for label, url in k.online)])
    # An office without a counter has no fee to state: its hours instead.
    blocks.append([f"Semua layanan di loket: biaya {COST}." if k.walk_ins else f"Jam layanan: {k.hours}.",
                   "Ketik PETUGAS untuk berbicara dengan petugas."])
    return "\n\n".join("\n".join(block) for block in blocks)


def _permit_list(k: Knowledge) -> str:
    lines = [f"*Perizinan daring* — ajukan dan pantau permohonan dari rumah di {k.apply_url}",
             "Ketik nomor untuk melihat persyaratannya:"]
    lines += [f"{i}. {p.name}" + (f" ({k.permit_agencies.get(p.code)})" if k.permit_agencies.get(p.code) else "")
              for i, p in enumerate(k.permits, start=1)]
    lines += ["", FOOTER]
    return "\n".join(lines)


def _duration(k: Knowledge, s: counter_defs.WalkInServiceDef) -> str:
    if s.one_day:
        return f"±{s.target_minutes} menit, selesai pada hari yang sama (one day service)"
    unit = k.work_units.get(s.work_unit or "", "unit kerja")
    return f"{s.sla_working_days} hari kerja sejak berkas lengkap (termasuk verifikasi lapangan oleh {unit})"


def _requirements(items: Sequence[counter_defs.RequirementDef | catalog_defs.RequirementDef]) -> list[str]:
    return [f"{i}. {r.name} — {'wajib' if r.mandatory else 'tidak wajib'}" for i, r in enumerate(items, start=1)]


def _walk_in_reply(k: Knowledge, s: counter_defs.WalkInServiceDef, aspects: list[str]) -> str:
    whole = not aspects
    lines = [f"*{s.name}*"]
    if whole or "requirements" in aspects:
        lines += ["", "Persyaratan:", *_requirements(s.requirements)]
    if whole or "procedure" in aspects:
        lines += ["", f"Prosedur: {' '.join(s.procedure.split()) or 'Serahkan berkas di loket PTSP; petugas memeriksa dan memprosesnya.'}"]
    if whole or "duration" in aspects:
        lines += ["", f"Waktu penyelesaian: {_duration(k, s)}."]
    if whole or "cost" in aspects:
        lines += ["", f"Biaya: {COST}."]
    if whole or "hours" in aspects:
        lines += ["", f"Jam layanan: {k.hours}."]
    if whole or "address" in aspects:
        lines += ["", f"Tempat: loket PTSP {k.office_name}, {k.office_address}. Ambil nomor antrean di meja informasi."]
    lines += ["", FOOTER]
    return "\n".join(lines)


def _permit_reply(k: Knowledge, p: catalog_defs.PermitTypeDef, aspects: list[str]) -> str:
    whole = not aspects
    kind = "baru" if "baru" in p.request_kinds else p.request_kinds[0]
    lines = [f"*{p.name}* (perizinan daring" + (f", {k.permit_agencies[p.code]})" if k.permit_agencies.get(p.code) else ")")]
    if whole:
        lines += [" ".join(p.description.split())]
    if whole or "requirements" in aspects:
        lines += ["", f"Persyaratan permohonan {kind} (diunggah saat mengajukan):", *_requirements(p.requirements_for(kind))]
    if whole or "procedure" in aspects:
        lines += ["", f"Prosedur: daftar akun dan ajukan di {k.apply_url}; verifikator memeriksa berkas, "
                      "pejabat menandatangani secara elektronik, dan izin diunduh dari situs. Status dapat dipantau dengan nomor resi."]
    if whole or "duration" in aspects:
        lines += ["", f"Waktu penyelesaian: {p.sla_working_days} hari kerja sejak berkas lengkap."]
    if whole or "hours" in aspects:
        lines += ["", f"Pengajuan daring dapat dilakukan kapan saja; petugas memproses pada jam layanan ({k.hours})."]
    if whole or "address" in aspects:
        lines += ["", f"Kantor: {k.office_name}, {k.office_address}."]
    lines += ["", FOOTER]
    return "\n".join(lines)


def _topic_reply(k: Knowledge, topic: Topic, aspects: list[str]) -> str | None:
    if topic.kind == "walk_in":
        s = _walk_in(k, topic.code)
        return _walk_in_reply(k, s, aspects) if s else None
    p = _permit(k, topic.code)
    return _permit_reply(k, p, aspects) if p else None


def answer(k: Knowledge, inp: AutoReplyInput) -> AutoReplyResult:
    state = ConversationState(greeted=True, topic_kind=inp.state.topic_kind, topic_code=inp.state.topic_code, listing=inp.state.listing)
    first = not inp.state.greeted
    name = " ".join((inp.contact_name or "").split())[:60]
    greeting = f"Halo{', ' + name if name else ''}! Selamat datang di layanan WhatsApp PTSP {k.office_name}."
    text = " ".join(inp.text.lower().split())
    words = _words(text)

    def reply(body: str, *, handoff: bool = False) -> AutoReplyResult:
        return AutoReplyResult(reply=(f"{greeting}\n\n{body}" if first and not body.startswith(greeting) else body), state=state,
                               handoff=handoff)

    def menu() -> AutoReplyResult:
        state.listing, state.topic_kind, state.topic_code = "menu", None, None
        return AutoReplyResult(reply=_menu(k, greeting if first or not words or set(words) & _GREETINGS else None), state=state)

    def handoff() -> AutoReplyResult:
        return reply(HANDOFF_REPLY.format(hours=k.hours), handoff=True)

    if inp.kind != "text":
        return AutoReplyResult(reply=f"{UNSUPPORTED_REPLY} Silakan tulis pertanyaan Anda.\n\n{FOOTER}", state=inp.state)
    if not words:
        return menu()
    if set(words) & _HANDOFF:
        return handoff()
    if text.strip(" .") in _MENU or "menu" in words:
        return menu()

    # A bare number picks from the last list shown.
    number = re.fullmatch(r"\s*(\d{1,3})\s*[.)]?\s*", text)
    if number:
        n = int(number.group(1))
        if state.listing == "permits":
            if 1 <= n <= len(k.permits):
                p = k.permits[n - 1]
                state.topic_kind, state.topic_code = "permit", p.code
                return reply(_permit_reply(k, p, []))
            return reply(f"Nomor {n} tidak ada di daftar.\n\n" + _permit_list(k))
        if 1 <= n <= len(k.walk_ins):
            s = k.walk_ins[n - 1]
            state.topic_kind, state.topic_code = "walk_in", s.code
            return reply(_walk_in_reply(k, s, []))
        if k.permits and n == len(k.walk_ins) + 1:
            state.listing, state.topic_kind, state.topic_code = "permits", None, None
            return reply(_permit_list(k))
        state.listing = "menu"
        return AutoReplyResult(reply=f"Nomor {n} tidak ada di menu.\n\n" + _menu(k, greeting if first else None), state=state)

    aspects = [name for name, vocabulary in _ASPECTS.items() if _has(words, text, vocabulary)]
    topics = _match_topics(k, words)
    if len(topics) == 1:
        topic = topics[0]
        state.topic_kind, state.topic_code = topic.kind, topic.code
        if topic.kind == "permit" and aspects == ["cost"]:
            return handoff()  # fees of permits are set per region: an officer answers
        return reply(_topic_reply(k, topic, aspects) or _menu(k))
    if len(topics) > 1:
        walk_ins = [t for t in topics if t.kind == "walk_in"] or topics
        if all(t.kind == "walk_in" for t in walk_ins):
            state.listing = "menu"
            numbers = {s.code: i for i, s in enumerate(k.walk_ins, start=1)}
            choices = [f"{numbers[t.code]}. {t.name}" for t in walk_ins]
        else:
            state.listing = "permits"
            numbers = {p.code: i for i, p in enumerate(k.permits, start=1)}
            choices = [f"{numbers[t.code]}. {t.name}" for t in walk_ins]
        return reply("Layanan mana yang Anda maksud? Ketik nomornya:\n" + "\n".join(choices) + f"\n\n{FOOTER}")

    if aspects and state.topic_code:
        current = next((t for t in k.topics if t.kind == state.topic_kind and t.code == state.topic_code), None)
        if current is not None:
            if current.kind == "permit" and "cost" in aspects:
                return handoff()
            return reply(_topic_reply(k, current, aspects) or _menu(k))
    if aspects and set(aspects) <= {"cost", "hours", "address"} and (k.walk_ins or aspects != ["cost"]):
        lines = []
        if "cost" in aspects and k.walk_ins:
            lines.append(f"Biaya semua layanan di loket PTSP: {COST}.")
        if "hours" in aspects:
            lines.append(f"Jam layanan: {k.hours}.")
        if "address" in aspects:
            lines.append(f"Alamat: {k.office_name}, {k.office_address}.")
        return reply("\n".join(lines) + f"\n\n{FOOTER}")
    if set(words) & _PERMITS and k.permits:
        state.listing, state.topic_kind, state.topic_code = "permits", None, None
        return reply(_permit_list(k))
    if set(words) <= _THANKS | _GREETINGS:
        if set(words) & _THANKS and not first:
            return reply(f"Sama-sama. Semoga membantu.\n\n{FOOTER}")
        return menu()
    if aspects or first:
        # Asked about requirements without naming a service, or a first message we cannot place: the menu.
        return menu()
    return handoff()


class WhatsAppActivities:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], defs_dir: Path = DEFS_DIR) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.defs_dir = defs_dir

    async def _office(self, code: str) -> loader.OfficeFile:
        """The conversation's office as its administrators set it today (name, address, hours): the assistant speaks
        for it. "" is the first office (a conversation from before offices)."""
        async with self.sessionmaker() as session:
            office = await office_by_code(session, code) if code else await first_office(session)
        if office is None:
            raise ApplicationError(f"unknown office {code!r}", type="UnknownOffice", non_retryable=True)
        return loader.office_file(office)

    @activity.defn(name=WHATSAPP_AUTO_REPLY)
    async def auto_reply(self, inp: AutoReplyInput) -> AutoReplyResult:
        _reload_if_edited(self.defs_dir)
        return answer(knowledge(self.settings, await self._office(inp.office), self.defs_dir), inp)
