"""Leave request (cuti), seed 000 §2: employee → direct supervisor approves or rejects with a
reason → letter-numbering officer numbers the Surat Izin Cuti → employee notified."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts import (
        ASSIGN_NUMBER,
        RENDER_LEAVE_LETTER,
        UPDATE_LEAVE_REQUEST,
        CancelRunRequest,
        DocumentResult,
        IssuedNumberResult,
        LeaveInput,
        LeaveLetterInput,
        LeaveResult,
        LeaveUpdate,
        NotifyInput,
        NumberRequest,
        Outcome,
        Person,
        TaskSpec,
    )
    from workflows.human_task import HumanTaskWorkflow, person_of
    from workflows.options import DOCUMENT, QUICK_STEP

with workflow.unsafe.imports_passed_through():
    # The statuses are part of the contract (with their labels, tones and next steps: contracts/vocabulary.py).
    from contracts.leave import (  # noqa: F401
        FINAL_STATUSES, STATUS_WAITING_SUPERVISOR, STATUS_WAITING_NUMBER, STATUS_APPROVED, STATUS_REJECTED, STATUS_CANCELLED,
    )


def leave_workflow_id(request_id: int) -> str:
    return f"leave-{request_id}"


@workflow.defn(name="LeaveRequest")
class LeaveRequestWorkflow(HumanTaskWorkflow):
    process = "leave"

    def __init__(self) -> None:
        super().__init__()
        self._status = STATUS_WAITING_SUPERVISOR
        self._request: LeaveInput | None = None

    @workflow.run
    async def run(self, request: LeaveInput) -> LeaveResult:
        self._request = request
        definition = request.definition
        subject_id = str(request.request_id)
        self.use_calendar(definition.calendar)
        employee = request.employee
        period = f"{request.start_date:%d-%m-%Y} s.d. {request.end_date:%d-%m-%Y}"
        summary = {
            "Pegawai": f"{employee.full_name} ({employee.nip or '-'})",
            "Jenis cuti": request.leave_type_label,
            "Tanggal": period,
            "Lama": f"{request.working_days} hari kerja",
            "Alasan": request.reason,
        }

        await self._update(request, STATUS_WAITING_SUPERVISOR, "submitted",
                           f"Permohonan {request.leave_type_label} diajukan oleh {employee.full_name}", actor=employee)

        approval = await self.ask(
            TaskSpec(
                key="persetujuan-atasan",
                title=f"Persetujuan {request.leave_type_label} {employee.full_name} ({period})",
                policy=definition.supervisor_approval,
                owner=request.supervisor,
                subject_id=subject_id,
                summary=summary,
                outcomes=[Outcome("approve", "Setujui"), Outcome("reject", "Tolak", requires_reason=True)],
            )
        )

        if approval.outcome == "reject":
            self._status = STATUS_REJECTED
            await self._update(request, STATUS_REJECTED, "rejected", "Permohonan cuti ditolak", reason=approval.reason)
            await self._notify(request, "rejected", "Permohonan cuti ditolak",
                               f"Permohonan {request.leave_type_label} Anda untuk {period} ditolak oleh "
                               f"{approval.actor.full_name}.\nAlasan: {approval.reason}")
            return LeaveResult(status=STATUS_REJECTED, reason=approval.reason)

        self._status = STATUS_WAITING_NUMBER
        await self._update(request, STATUS_WAITING_NUMBER, "waiting_number", "Menunggu penomoran surat izin cuti")
        await self.ask(
            TaskSpec(
                key="penomoran-surat",
                title=f"Penomoran Surat Izin Cuti {employee.full_name} ({period})",
                policy=definition.letter_numbering,
                subject_id=subject_id,
                summary={**summary, "Disetujui oleh": approval.actor.full_name},
                outcomes=[Outcome("assign_number", "Beri nomor surat")],
            )
        )

        workflow_id = workflow.info().workflow_id
        issued: IssuedNumberResult = await workflow.execute_activity(
            ASSIGN_NUMBER,
            NumberRequest(idempotency_key=f"{workflow_id}.surat-izin-cuti", numbering=definition.numbering,
                          timezone=definition.office.timezone, subject=f"Surat Izin Cuti {employee.full_name} ({period})"),
            result_type=IssuedNumberResult,
            **QUICK_STEP,
        )
        acting_for = approval.actor.acting_for
        approver = person_of(approval.actor)
        document: DocumentResult = await workflow.execute_activity(
            RENDER_LEAVE_LETTER,
            LeaveLetterInput(
                idempotency_key=f"{workflow_id}.surat-izin-cuti",
                workflow_id=workflow_id,
                request_id=request.request_id,
                letter_number=issued.number,
                issued_at=issued.issued_at,
                employee=employee,
                leave_type_label=request.leave_type_label,
                start_date=request.start_date,
                end_date=request.end_date,
                working_days=request.working_days,
                reason=request.reason,
                approver=approver,
                approver_acting_for=acting_for,
                office=definition.office,
                address_during_leave=request.address_during_leave,
            ),
            result_type=DocumentResult,
            **DOCUMENT,
        )

        self._status = STATUS_APPROVED
        acting = request.acting_official
        await self._update(
            request, STATUS_APPROVED, "approved",
            f"Surat Izin Cuti nomor {issued.number} terbit" + (f"; Plh. selama cuti: {acting.full_name}" if acting else ""),
            letter_number=issued.number, document_id=document.document_id,
            acting_official_id=acting.id if acting else None,
        )
        await self._notify(
            request, "approved", "Permohonan cuti disetujui",
            f"Permohonan {request.leave_type_label} Anda untuk {period} ({request.working_days} hari kerja) disetujui. "
            f"Cuti dapat dilaksanakan sesuai tanggal yang diajukan.\nNomor surat: {issued.number}\n"
            f"Surat Izin Cuti: {document.url}",
            document_id=document.document_id,
        )
        return LeaveResult(status=STATUS_APPROVED, letter_number=issued.number, document_id=document.document_id)

    @workflow.query
    def status(self) -> str:
        return self._status

    async def on_cancelled(self, cancel: CancelRunRequest | None) -> None:
        request = self._request
        if request is None or self._status in (STATUS_APPROVED, STATUS_REJECTED):
            return
        self._status = STATUS_CANCELLED
        reason = self.cancel_reason(cancel)
        await self._update(request, STATUS_CANCELLED, "cancelled", self.cancelled_line(cancel), actor=self.canceller_person(cancel), reason=reason)
        await self._notify(request, "cancelled", "Permohonan cuti dibatalkan",
                           f"Permohonan {request.leave_type_label} Anda untuk {request.start_date:%d-%m-%Y} s.d. {request.end_date:%d-%m-%Y} "
                           f"dibatalkan oleh {self.canceller(cancel)}.\nAlasan: {reason}\n\n"
                           "Bila cuti masih diperlukan, silakan ajukan kembali permohonan baru atau hubungi bagian kepegawaian.")

    async def _update(self, request: LeaveInput, status: str, kind: str, title: str, *, actor: Person | None = None,
                      reason: str | None = None, letter_number: str | None = None, document_id: str | None = None,
                      acting_official_id: int | None = None) -> None:
        event = self.timeline_event(str(request.request_id), kind, title, actor=actor, reason=reason)
        await self.project(
            UPDATE_LEAVE_REQUEST,
            LeaveUpdate(request_id=request.request_id, status=status, event=event, letter_number=letter_number,
                        document_id=document_id, reason=reason, acting_official_id=acting_official_id),
            options=QUICK_STEP,
        )

    async def _notify(self, request: LeaveInput, key: str, subject: str, body: str, document_id: str | None = None) -> None:
        await self.notify(
            NotifyInput(idempotency_key=f"{workflow.info().workflow_id}.{key}", subject=subject, body=body,
                        recipient_ids=[request.employee.id], link=f"/cuti/{request.request_id}",
                        attachment_document_id=document_id),
        )
