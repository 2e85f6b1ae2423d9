"""What every process's projection activity checks before it writes a case row (activities/case_rows.py): a final
status stays final, and a run writes only the row recorded as its own (issue 15, items 7 and 10).

Each activity is run as a worker runs it, for a run with a given workflow id, on a real database."""

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.complaints import ComplaintActivities
from activities.leave import LeaveActivities
from activities.letters import LetterActivities
from activities.permits import PermitActivities
from activities.siramasakan import SiramasakanActivities
from activities.walk_in import WalkInActivities
from contracts import CaseEventInput, ComplaintUpdate, LeaveUpdate, LetterUpdate, PermitUpdate, SiramasakanUpdate, WalkInUpdate
from store.models import CaseEvent, Complaint, LeaveRequest, Letter, PermitApplication, SiramasakanRequest, WalkInVisit
from tests.factories import COURT, KEMENAG, PERMIT_OFFICE, applicant_user, office_ids, user

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


async def _rows(db) -> dict:
    """One row of each process, each with its run's id, in the office that offers it, as the gateway records them."""
    employee, applicant = await user(db.sessionmaker, "pegawai1"), await applicant_user(db.sessionmaker)
    counter_officer = await user(db.sessionmaker, "info1")
    ids = await office_ids(db.sessionmaker)
    court, permit_office, kemenag = ids[COURT], ids[PERMIT_OFFICE], ids[KEMENAG]
    rows = {
        "leave": LeaveRequest(office_id=court, employee_id=employee.id, leave_type="tahunan", start_date=date(2027, 1, 4), end_date=date(2027, 1, 5),
                              working_days=2, reason="Keperluan keluarga", status="waiting_supervisor", workflow_id="leave-guard"),
        "permit": PermitApplication(office_id=permit_office, resi="GUARD1", applicant_id=applicant.id, agency_code="dpmptsp", permit_type="reklame",
                                    request_kind="baru",
                                    status="revision", stage="revision", workflow_id="permit-GUARD1", applicant_data={}, location={}, details={}),
        "walk_in": WalkInVisit(office_id=kemenag, code="KGUARD1", workflow_id="walkin-KGUARD1", service_code="legalisir_ijazah",
                               service_name="Legalisir", one_day=True, visitor_name="Ahmad Fauzi", registered_by_id=counter_officer.id, status="in_process",
                               stage="research"),
        "letter": Letter(office_id=kemenag, code="SK-GUARD1", direction="outgoing", workflow_id="surat-keluar-SK-GUARD1", status="diajukan",
                         stage="format_check",
                         subject="Undangan rapat", letter_date=date(2026, 12, 7), created_by_id=counter_officer.id),
        "complaint": Complaint(office_id=permit_office, tracking_number="ADU-GUARD1", workflow_id="pengaduan-ADU-GUARD1", channel="pengaduan",
                               category="layanan",
                               title="Antrean lama", content="Menunggu tiga jam di loket.", stage="verifikasi", status="menunggu_verifikasi",
                               escalations=0),
        "siramasakan": SiramasakanRequest(office_id=court, code="SGUARD1", workflow_id="siramasakan-SGUARD1", applicant_id=applicant.id,
                                          case_number="1/Pdt.G/2026/MS.Lsm",
                                          kk_number="1173010101200001", changes=[], status="diserahkan_ke_dukcapil", stage="registry"),
    }
    async with db.sessionmaker() as session:
        session.add_all(rows.values())
        await session.commit()
    return rows


def _event(row, key: str, title: str) -> CaseEventInput:
    return CaseEventInput(event_id=f"{row.workflow_id}.{key}", workflow_id=row.workflow_id, process="x", subject_id="x", occurred_at=NOW,
                          kind=key, title=title)


# Per process: the activity, the wind-down's write (Dibatalkan), and a step's write that comes in after it.
PROCESSES = {
    "leave": (lambda db: LeaveActivities(db.sessionmaker).update_leave_request, LeaveRequest, "cancelled",
              lambda r, e: LeaveUpdate(request_id=r.id, status="cancelled", event=e, reason="Diajukan ganda"),
              lambda r, e: LeaveUpdate(request_id=r.id, status="waiting_number", event=e)),
    "permit": (lambda db: PermitActivities(db.sessionmaker).update_permit, PermitApplication, "cancelled",
               lambda r, e: PermitUpdate(application_id=r.id, status="cancelled", stage="cancelled", event=e, finished=True),
               lambda r, e: PermitUpdate(application_id=r.id, status="in_process", stage="verification", event=e, clear_revision=True)),
    "walk_in": (lambda db: WalkInActivities(db.sessionmaker).update_walk_in, WalkInVisit, "cancelled",
                lambda r, e: WalkInUpdate(visit_id=r.id, status="cancelled", stage="finished", event=e, finished=True),
                lambda r, e: WalkInUpdate(visit_id=r.id, status="in_process", stage="coordination", event=e)),
    "letter": (lambda db: LetterActivities(db.sessionmaker).update_letter, Letter, "dibatalkan",
               lambda r, e: LetterUpdate(letter_id=r.id, status="dibatalkan", stage="cancelled", event=e, finished=True),
               lambda r, e: LetterUpdate(letter_id=r.id, status="disetujui", stage="numbering", event=e)),
    "complaint": (lambda db: ComplaintActivities(db.sessionmaker).update_complaint, Complaint, "dibatalkan",
                  lambda r, e: ComplaintUpdate(complaint_id=r.id, status="dibatalkan", stage="selesai", event=e, finished=True),
                  lambda r, e: ComplaintUpdate(complaint_id=r.id, status="menunggu_disposisi", stage="tindak_lanjut", event=e)),
    "siramasakan": (lambda db: SiramasakanActivities(db.settings, db.sessionmaker).update_siramasakan, SiramasakanRequest, "dibatalkan",
                    lambda r, e: SiramasakanUpdate(request_id=r.id, status="dibatalkan", stage="finished", event=e, finished=True),
                    lambda r, e: SiramasakanUpdate(request_id=r.id, status="selesai", stage="finished", event=e, outcome="processed")),
}


def _as_run(workflow_id: str) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id=workflow_id)
    return env


@pytest.mark.parametrize("process", list(PROCESSES))
async def test_a_step_written_after_dibatalkan_leaves_the_case_cancelled(db, process):
    """The wind-down and a step were in flight together; the step's write lands second. The case stays Dibatalkan;
    the step is on the timeline at the moment it happened."""
    make, model, cancelled, cancel, step = PROCESSES[process]
    row = (await _rows(db))[process]
    run = _as_run(row.workflow_id)
    await run.run(make(db), cancel(row, _event(row, "cancelled", "Dibatalkan oleh pemilik proses")))
    await run.run(make(db), step(row, _event(row, "next-step", "Langkah berikutnya")))

    async with db.sessionmaker() as session:
        after = await session.get(model, row.id)
        lines = list(await session.scalars(select(CaseEvent.kind).where(CaseEvent.workflow_id == row.workflow_id)))
    assert after.status == cancelled and after.finished_at is not None
    assert getattr(after, "stage", None) in (None, "cancelled", "finished", "selesai")
    assert sorted(lines) == ["cancelled", "next-step"]


async def test_a_final_status_is_written_again_by_a_retried_activity(db):
    """Not the guard's business: the same final write, retried, still applies (and adds its line once)."""
    make, model, _, cancel, _ = PROCESSES["permit"]
    row = (await _rows(db))["permit"]
    run = _as_run(row.workflow_id)
    for _ in range(2):
        await run.run(make(db), dataclasses.replace(cancel(row, _event(row, "cancelled", "Dibatalkan")), decision_reason="Diajukan ganda"))
    async with db.sessionmaker() as session:
        after = await session.get(model, row.id)
        lines = list(await session.scalars(select(CaseEvent.id).where(CaseEvent.workflow_id == row.workflow_id)))
    assert (after.status, after.decision_reason) == ("cancelled", "Diajukan ganda") and len(lines) == 1


@pytest.mark.parametrize("process", list(PROCESSES))
async def test_a_run_writes_only_its_own_case(db, process):
    """A run Temporal kept from before the database was restored without it asks to write row N, which the restored
    database gave to another case: refused for good, nothing written, and the error says what to do."""
    make, model, _, _, step = PROCESSES[process]
    row = (await _rows(db))[process]
    before = row.status
    stranger = _as_run(f"{row.workflow_id.rsplit('-', 1)[0]}-from-before-the-restore")
    with pytest.raises(ApplicationError) as refused:
        await stranger.run(make(db), step(row, _event(row, "next-step", "Langkah berikutnya")))
    assert refused.value.type == "CaseRowOfAnotherRun" and refused.value.non_retryable
    assert "restored without Temporal" in refused.value.message and "terminate" in refused.value.message
    async with db.sessionmaker() as session:
        assert (await session.get(model, row.id)).status == before
        assert not list(await session.scalars(select(CaseEvent).where(CaseEvent.id.like("%next-step"))))
