"""Survei IKM over JSON: the questionnaire and its state for one application, the answers (once, after
the permit is finished), and the staff's IKM recap per service and period."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from gateway.api.schemas import ERRORS, Number, OpenMapping, Out
from gateway.deps import CurrentUser, SessionDep
from gateway.services import survey as survey_service

router = APIRouter(prefix="/api/v1", tags=["survei ikm"])


class SurveyBody(BaseModel):
    answers: dict[str, int] = Field(description="Unsur pelayanan u1–u9, masing-masing 1 (terendah) sampai 4 (tertinggi)",
                                    examples=[dict.fromkeys(survey_service.ELEMENT_CODES, 4)])
    integrity: dict[str, bool] = Field(description="Kuesioner persepsi korupsi i1–i9: true = Ya, false = Tidak",
                                       examples=[{q.code: q.sound for q in survey_service.INTEGRITY}])
    comment: str | None = Field(default=None, max_length=survey_service.COMMENT_MAX, description="Masukan dan saran (opsional)")


class OptionOut(Out):
    value: int | bool
    label: str


class ElementQuestionOut(Out):
    code: str
    name: str
    question: str
    options: list[OptionOut]


class IntegrityQuestionOut(Out):
    code: str
    question: str
    options: list[OptionOut]


class QuestionnaireOut(Out):
    elements: list[ElementQuestionOut]
    integrity: list[IntegrityQuestionOut]


class SurveyAnswerOut(Out):
    resi: str
    permit_type: str
    answers: OpenMapping
    integrity: OpenMapping
    comment: str | None
    ikm: Number
    grade: str
    grade_label: str
    created_at: str


class SurveyStateOut(Out):
    resi: str
    can_submit: bool
    reason: str | None
    response: SurveyAnswerOut | None


class IntegrityCountOut(Out):
    problems: int
    answered: int


class IkmSummaryOut(Out):
    responses: int
    nrr: dict[str, Number | None]
    ikm: Number | None
    grade: str | None
    grade_label: str | None
    integrity: dict[str, IntegrityCountOut]


class IkmItemOut(IkmSummaryOut):
    permit_type: str
    permit_type_name: str
    agency: str | None


class ElementOut(Out):
    code: str
    name: str


class IntegrityConcernOut(Out):
    code: str
    question: str
    concern: str


class SurveyCommentOut(Out):
    permit_type: str
    comment: str | None
    created_at: str


class IkmReportOut(Out):
    from_: str | None = Field(alias="from")
    to: str | None
    permit_type: str | None
    elements: list[ElementOut]
    integrity_questions: list[IntegrityConcernOut]
    items: list[IkmItemOut]
    overall: IkmSummaryOut
    comments: list[SurveyCommentOut]


@router.get("/survey/questionnaire", response_model=QuestionnaireOut)
async def questionnaire() -> dict[str, Any]:
    """Pertanyaan survei: 9 unsur pelayanan (PermenPAN-RB 14/2017) dengan label jawaban 1–4, dan pertanyaan integritas Ya/Tidak."""
    return survey_service.questionnaire()


@router.get("/permit-applications/{resi}/survey", response_model=SurveyStateOut, responses={401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
async def survey_state(resi: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Apakah survei permohonan ini dapat diisi, dan jawaban yang sudah dikirim."""
    application, response = await survey_service.state(session, viewer=user, resi=resi)
    reason = survey_service.availability(application, response)
    return {"resi": application.resi, "can_submit": reason is None, "reason": reason,
            "response": survey_service.serialize_response(application, response) if response else None}


@router.post("/permit-applications/{resi}/survey", status_code=201, response_model=SurveyAnswerOut, responses=ERRORS)
async def submit_survey(resi: str, body: SurveyBody, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Isi survei IKM: sekali per permohonan, oleh pemohonnya, setelah izin selesai (409 bila sudah diisi atau belum selesai)."""
    application, response = await survey_service.submit(session, applicant=user, resi=resi, answers=body.answers,
                                                        integrity=body.integrity, comment=body.comment)
    return survey_service.serialize_response(application, response)


@router.get("/ikm", response_model=IkmReportOut, responses={401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]})
async def ikm(user: CurrentUser, session: SessionDep,
              permit_type: str | None = Query(default=None, max_length=60, description="Kode jenis izin; kosong = semua"),
              from_: Annotated[date | None, Query(alias="from", description="Tanggal awal (YYYY-MM-DD), termasuk")] = None,
              to: Annotated[date | None, Query(description="Tanggal akhir (YYYY-MM-DD), termasuk")] = None) -> dict[str, Any]:
    """Rekap IKM per jenis layanan dan periode (petugas): jumlah responden, NRR per unsur, indeks 25–100, mutu A–D."""
    return await survey_service.report(session, viewer=user, permit_type=permit_type or None, start=from_, end=to)
