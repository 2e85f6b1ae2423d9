"""Survei Kepuasan Masyarakat (IKM) after a finished application, by the national method
(PermenPAN-RB No. 14 Tahun 2017), plus the integrity (corruption-perception) questions of seed 003.

- Nine service elements (*unsur pelayanan*) u1…u9, each answered 1–4.
- A respondent's IKM = the average of their nine answers × 25.
- The office's IKM for a service and period: NRR (*nilai rata-rata*) per element = the average of that
  element's answers; IKM = the average of the nine NRR × 25 (each element weighted 1/9), 25–100.
- Grade (*mutu pelayanan*) of an IKM rounded to two decimals: A 88,31–100 Sangat Baik; B 76,61–88,30
  Baik; C 65,00–76,60 Kurang Baik; D 25,00–64,99 Tidak Baik.

One survey per application, by its applicant, once the permit is finished (status "finished").
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.services.dates import check_day
from gateway.services.errors import conflict, forbidden, invalid
from gateway.services.offices import office_zone
from gateway.services.permits import STAFF_ROLES as PERMIT_STAFF
from gateway.services.permits import get_for_viewer
from process_defs import catalog
from store.models import PermitApplication, SurveyResponse, User, utcnow
from workflows.permit import STATUS_FINISHED

MSG_ALREADY = "Survei untuk permohonan ini sudah diisi."
MSG_NOT_FINISHED = "Survei dapat diisi setelah izin selesai."
MSG_ONLY_APPLICANT = "Survei diisi oleh pemohon yang mengajukan permohonan ini."
COMMENT_MAX = 2000


@dataclass(frozen=True)
class Element:
    """One unsur pelayanan: its code, official name, the question asked, and the labels of answers 1…4."""

    code: str
    name: str
    question: str
    options: tuple[str, str, str, str]


# The nine elements and the model questions of PermenPAN-RB 14/2017 (wording as the office's form in seed 003).
ELEMENTS: tuple[Element, ...] = (
    Element("u1", "Persyaratan", "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Element("u2", "Sistem, Mekanisme, dan Prosedur", "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
            ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah")),
    Element("u3", "Waktu Penyelesaian", "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
            ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat")),
    Element("u4", "Biaya/Tarif", "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
            ("Sangat mahal", "Cukup mahal", "Murah", "Gratis / sangat murah")),
    Element("u5", "Produk Spesifikasi Jenis Pelayanan",
            "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar pelayanan "
            "dengan hasil yang diberikan?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    Element("u6", "Kompetensi Pelaksana", "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
            ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten")),
    Element("u7", "Perilaku Pelaksana",
            "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
            ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah")),
    Element("u8", "Penanganan Pengaduan, Saran, dan Masukan", "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
            ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik")),
    Element("u9", "Sarana dan Prasarana", "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
            ("Buruk", "Cukup", "Baik", "Sangat baik")),
)
ELEMENT_CODES = tuple(e.code for e in ELEMENTS)


@dataclass(frozen=True)
class IntegrityQuestion:
    """A yes/no question of the corruption-perception questionnaire; `sound` is the answer that shows no problem."""

    code: str
    question: str
    sound: bool
    concern: str  # what a problem answer means, for the staff report


# Seed 003, "Kuisoneer Survei Persepsi Korupsi": each statement asked as a plain yes/no question.
INTEGRITY: tuple[IntegrityQuestion, ...] = (
    IntegrityQuestion("i1", "Apakah prosedur pelayanan sudah memadai dan tidak membuka peluang korupsi, kolusi, dan nepotisme (KKN)?",
                      True, "Prosedur dinilai berpotensi KKN"),
    IntegrityQuestion("i2", "Apakah petugas meminta imbalan uang, barang, atau jasa atas pelayanan yang diberikan?",
                      False, "Petugas meminta imbalan"),
    IntegrityQuestion("i3", "Apakah petugas menerima pemberian (gratifikasi) uang atau barang terkait pelayanan yang diberikan?",
                      False, "Petugas menerima gratifikasi"),
    IntegrityQuestion("i4", "Apakah terdapat praktik percaloan atau perantara tidak resmi dalam pelayanan?",
                      False, "Ada percaloan/perantara tidak resmi"),
    IntegrityQuestion("i5", "Apakah terdapat pungutan liar (pungli) di luar biaya resmi?", False, "Ada pungutan liar"),
    IntegrityQuestion("i6", "Apakah petugas berlaku adil dan tidak diskriminatif dalam memberikan pelayanan?",
                      True, "Petugas dinilai tidak adil/diskriminatif"),
    IntegrityQuestion("i7", "Apakah petugas memberi perlakuan khusus kepada pemohon yang memberikan uang atau barang?",
                      False, "Perlakuan khusus bagi pemberi uang/barang"),
    IntegrityQuestion("i8", "Apakah terdapat diskriminasi dalam penanganan pengaduan pelayanan?", False, "Diskriminasi dalam penanganan pengaduan"),
    IntegrityQuestion("i9", "Apakah produk/jasa pelayanan yang Anda terima sesuai dengan daftar produk/jasa layanan yang tersedia?",
                      True, "Produk tidak sesuai daftar layanan"),
)
INTEGRITY_CODES = tuple(q.code for q in INTEGRITY)

# Mutu pelayanan (PermenPAN-RB 14/2017): lower bound of the IKM interval, grade, performance label.
GRADES: tuple[tuple[Decimal, str, str], ...] = (
    (Decimal("88.31"), "A", "Sangat Baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang Baik"),
    (Decimal("25.00"), "D", "Tidak Baik"),
)


# --- the method -----------------------------------------------------------------------------------


def round2(value: float | Decimal) -> Decimal:
    """Rounded half-up to two decimals, as the IKM is reported (88,305 → 88,31)."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade(ikm: float | Decimal) -> tuple[str, str]:
    """(grade, label) of an IKM 25–100, after rounding to two decimals."""
    value = round2(ikm)
    if value < Decimal("25") or value > Decimal("100"):
        raise ValueError(f"IKM {ikm} outside 25–100")
    return next((g, label) for floor, g, label in GRADES if value >= floor)


def respondent_ikm(answers: dict[str, int]) -> float:
    """One respondent's index: the average of the nine answers × 25."""
    return float(round2(Decimal(sum(answers[c] for c in ELEMENT_CODES)) / len(ELEMENT_CODES) * 25))


def summarize(responses: list[SurveyResponse]) -> dict[str, Any]:
    """Responses count, NRR per element, the IKM with its grade, and the integrity problems reported."""
    count = len(responses)
    if not count:
        return {"responses": 0, "nrr": dict.fromkeys(ELEMENT_CODES), "ikm": None, "grade": None, "grade_label": None,
                "integrity": {q.code: {"problems": 0, "answered": 0} for q in INTEGRITY}}
    sums = dict.fromkeys(ELEMENT_CODES, 0)
    integrity = {q.code: {"problems": 0, "answered": 0} for q in INTEGRITY}
    for response in responses:
        unsur = (response.answers or {}).get("unsur", {})
        for c in ELEMENT_CODES:
            sums[c] += int(unsur[c])
        given = (response.answers or {}).get("integrity", {})
        for q in INTEGRITY:
            if q.code in given:
                integrity[q.code]["answered"] += 1
                integrity[q.code]["problems"] += int(bool(given[q.code]) != q.sound)
    exact = {c: Decimal(sums[c]) / count for c in ELEMENT_CODES}
    ikm = round2(sum(exact.values()) / len(ELEMENT_CODES) * 25)
    letter, label = grade(ikm)
    return {"responses": count, "nrr": {c: float(exact[c].quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)) for c in ELEMENT_CODES},
            "ikm": float(ikm), "grade": letter, "grade_label": label, "integrity": integrity}


# --- answering ------------------------------------------------------------------------------------


def _clean_answers(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict):
        raise invalid("Jawaban unsur pelayanan (u1–u9) wajib diisi.", field="answers")
    unknown = set(raw) - set(ELEMENT_CODES)
    if unknown:
        raise invalid(f"Unsur tidak dikenal: {', '.join(sorted(map(str, unknown)))}.", field="answers")
    cleaned = {}
    for element in ELEMENTS:
        value = raw.get(element.code)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
            what = "belum dijawab" if value is None else "harus dijawab dengan nilai 1–4"
            raise invalid(f"Unsur {element.code[1:]} ({element.name}) {what}.", field=f"answers.{element.code}")
        cleaned[element.code] = value
    return cleaned


_YES = {"ya", "yes", "true", "1", "y"}
_NO = {"tidak", "no", "false", "0", "t", "n"}


def _clean_integrity(raw: Any) -> dict[str, bool]:
    if not isinstance(raw, dict):
        raise invalid("Jawaban kuesioner integritas (i1–i9) wajib diisi.", field="integrity")
    unknown = set(raw) - set(INTEGRITY_CODES)
    if unknown:
        raise invalid(f"Pertanyaan integritas tidak dikenal: {', '.join(sorted(map(str, unknown)))}.", field="integrity")
    cleaned = {}
    for number, question in enumerate(INTEGRITY, start=1):
        value = raw.get(question.code)
        if isinstance(value, str):
            value = True if value.strip().lower() in _YES else False if value.strip().lower() in _NO else value
        if not isinstance(value, bool):
            what = "belum dijawab" if value is None else "harus dijawab Ya atau Tidak"
            raise invalid(f"Pertanyaan integritas {number} {what}.", field=f"integrity.{question.code}")
        cleaned[question.code] = value
    return cleaned


def _respondent(user: User, today: date) -> dict:
    """The respondent's profile as the IKM form asks it (gender, age, education), without identity."""
    profile = user.profile
    if profile is None:
        return {}
    born = profile.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return {"gender": profile.gender, "age": age, "education": profile.education}


async def _survey_target(session: AsyncSession, *, applicant: User, resi: str) -> PermitApplication:
    application = await get_for_viewer(session, viewer=applicant, resi=resi)
    if application.applicant_id != applicant.id:
        raise forbidden(MSG_ONLY_APPLICANT)
    return application


async def response_for(session: AsyncSession, application: PermitApplication) -> SurveyResponse | None:
    return await session.scalar(select(SurveyResponse).where(SurveyResponse.application_id == application.id))


def availability(application: PermitApplication, response: SurveyResponse | None) -> str | None:
    """Why the survey cannot be filled now (the 409 message), or None when it can."""
    if response is not None:
        return MSG_ALREADY
    if application.status != STATUS_FINISHED:
        return MSG_NOT_FINISHED
    return None


async def state(session: AsyncSession, *, viewer: User, resi: str) -> tuple[PermitApplication, SurveyResponse | None]:
    application = await _survey_target(session, applicant=viewer, resi=resi)
    return application, await response_for(session, application)


async def submit(session: AsyncSession, *, applicant: User, resi: str, answers: Any, integrity: Any,
                 comment: Any = None) -> tuple[PermitApplication, SurveyResponse]:
    """Records the survey once; 409 when already filled or the permit is not finished yet."""
    application = await _survey_target(session, applicant=applicant, resi=resi)
    reason = availability(application, await response_for(session, application))
    if reason:
        raise conflict(reason, code="survey_filled" if reason == MSG_ALREADY else "not_finished")
    unsur = _clean_answers(answers)
    honest = _clean_integrity(integrity)
    text = str(comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise invalid(f"Masukan dan saran terlalu panjang: paling banyak {COMMENT_MAX} karakter.", field="comment")
    now = utcnow()
    response = SurveyResponse(application_id=application.id, permit_type=application.permit_type,
                              answers={"unsur": unsur, "integrity": honest,
                                       "respondent": _respondent(applicant, now.astimezone(office_zone()).date())},
                              ikm=respondent_ikm(unsur), comment=text or None, created_at=now)
    session.add(response)
    try:
        await session.commit()
    except IntegrityError:  # a double submission racing this one: the unique application_id kept it out
        await session.rollback()
        await session.refresh(applicant)  # the rollback expired it, and the page that shows the refusal reads it
        raise conflict(MSG_ALREADY, code="survey_filled") from None
    return application, response


# --- the staff report -----------------------------------------------------------------------------


def _bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Office-local whole days [start 00:00, end+1 00:00) as aware datetimes."""
    zone = office_zone()
    return (datetime.combine(start, time.min, zone) if start else None,
            datetime.combine(end + timedelta(days=1), time.min, zone) if end else None)


async def report(session: AsyncSession, *, viewer: User, permit_type: str | None = None, start: date | None = None,
                 end: date | None = None) -> dict[str, Any]:
    """IKM per permit type over a period (office-local dates, inclusive), and for all of them together."""
    if not viewer.is_staff_for(PERMIT_STAFF):
        raise forbidden("Rekap IKM hanya untuk petugas kantor.")
    check_day(start, field="from", label="Tanggal awal")
    check_day(end, field="to", label="Tanggal akhir")
    if start and end and end < start:
        raise invalid("Tanggal akhir tidak boleh sebelum tanggal awal.", field="to")
    if permit_type and catalog.permit_type(permit_type) is None:
        raise invalid(f"Jenis izin '{permit_type}' tidak dikenal.", field="permit_type")
    lower, upper = _bounds(start, end)
    # Through the application: a staff member's session reads their office's applications only (store/offices.py).
    stmt = select(SurveyResponse).join(PermitApplication, PermitApplication.id == SurveyResponse.application_id)
    if permit_type:
        stmt = stmt.where(SurveyResponse.permit_type == permit_type)
    if lower:
        stmt = stmt.where(SurveyResponse.created_at >= lower)
    if upper:
        stmt = stmt.where(SurveyResponse.created_at < upper)
    rows = list(await session.scalars(stmt.order_by(SurveyResponse.created_at)))
    by_type: dict[str, list[SurveyResponse]] = {}
    for row in rows:
        by_type.setdefault(row.permit_type, []).append(row)
    shipped = [p.code for p in catalog.load_catalog().permit_types()]
    codes = [permit_type] if permit_type else [c for c in shipped if c in by_type] + sorted(set(by_type) - set(shipped))
    items = []
    for code in codes:
        definition = catalog.permit_type(code)
        agency = catalog.agency_of(code)
        items.append({"permit_type": code, "permit_type_name": definition.name if definition else code,
                      "agency": agency.name if agency else None, **summarize(by_type.get(code, []))})
    comments = [{"permit_type": r.permit_type, "comment": r.comment, "created_at": r.created_at.isoformat()}
                for r in sorted(rows, key=lambda r: r.created_at, reverse=True) if r.comment][:50]
    return {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None, "permit_type": permit_type,
            "elements": [{"code": e.code, "name": e.name} for e in ELEMENTS],
            "integrity_questions": [{"code": q.code, "question": q.question, "concern": q.concern} for q in INTEGRITY],
            "items": items, "overall": summarize(rows), "comments": comments}


def serialize_response(application: PermitApplication, response: SurveyResponse) -> dict:
    letter, label = grade(response.ikm)
    return {"resi": application.resi, "permit_type": response.permit_type, "answers": (response.answers or {}).get("unsur", {}),
            "integrity": (response.answers or {}).get("integrity", {}), "comment": response.comment, "ikm": response.ikm,
            "grade": letter, "grade_label": label, "created_at": response.created_at.isoformat()}


def questionnaire() -> dict:
    return {"elements": [{"code": e.code, "name": e.name, "question": e.question,
                          "options": [{"value": i + 1, "label": label} for i, label in enumerate(e.options)]} for e in ELEMENTS],
            "integrity": [{"code": q.code, "question": q.question, "options": [{"value": True, "label": "Ya"}, {"value": False, "label": "Tidak"}]}
                          for q in INTEGRITY]}

