"""Permit application (seeds 003, 001): verifier approves / rejects / returns for revision (the loop
can repeat; a missed revision deadline closes it), the head signs with TTE, the permit is numbered,
rendered and PAdES-signed, and can be downloaded once within a week; a verifier can reissue it.

The SLA clock runs only while the application is with the office: each hand-over between office and
applicant closes one clock segment and opens the next."""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import (
        ASSIGN_NUMBER,
        CLAIM_PERMIT_DOWNLOAD,
        RENDER_PERMIT,
        REQUEST_PERMIT_REISSUE,
        RESUBMIT_PERMIT,
        UPDATE_PERMIT,
        WORKING_DEADLINE,
        CancelRunRequest,
        ClockSegment,
        DeadlineInput,
        DeadlineResult,
        DocumentResult,
        DownloadClaim,
        DownloadGrant,
        IssuedNumberResult,
        NotifyInput,
        NumberRequest,
        Outcome,
        PermitDocumentInput,
        PermitInput,
        PermitResult,
        PermitUpdate,
        Person,
        ReissueRequest,
        ResubmitRequest,
        TaskAck,
        TaskSpec,
    )
    from workflows.human_task import ERR_INVALID, ERR_NOT_HOLDER, ERR_STATE, HumanTaskWorkflow, person_of, required
    from workflows.options import DOCUMENT, STEP

with workflow.unsafe.imports_passed_through():
    # The statuses are part of the contract (with their labels, tones and next steps: contracts/vocabulary.py).
    from contracts.permit import (  # noqa: F401
        FINAL_STATUSES, STATUS_IN_PROCESS, STATUS_REVISION, STATUS_REJECTED, STATUS_FINISHED, STATUS_CANCELLED,
    )
ERR_DOWNLOAD = "DownloadUnavailable"
# Version markers (workflow.patched): each names a change made while runs may be in flight.
PATCH_NOTIFY_PROGRESS = "notify-applicant-on-verified-and-resubmitted"

def permit_workflow_id(resi: str) -> str:
    return f"permit-{resi}"


@workflow.defn(name="PermitApplication")
class PermitApplicationWorkflow(HumanTaskWorkflow):
    process = "permit"

    def __init__(self) -> None:
        super().__init__()
        self._applicant_id = 0
        self._round = 1
        self._awaiting_resubmission = False
        self._resubmission: ResubmitRequest | None = None
        self._clock: list[ClockSegment] = []
        self._document_id: str | None = None
        self._download_open = False
        self._downloaded = False
        self._reissue: ReissueRequest | None = None
        self._status = STATUS_IN_PROCESS
        self._reject_reason: str | None = None
        self._inp: PermitInput | None = None
        self._permit_number = ""

    @property
    def _input(self) -> PermitInput:
        """The run's input: set first thing in run(), so any step, handler or decision after it reads it."""
        return required(self._inp, "the permit's input")

    @workflow.run
    async def run(self, inp: PermitInput) -> PermitResult:
        d = inp.definition
        self._inp = inp
        self._applicant_id = inp.applicant.id
        self.use_calendar(d.calendar)
        self._clock.append(ClockSegment(side="office", start=workflow.now()))
        await self._update(inp, STATUS_IN_PROCESS, "verification", "submitted",
                           f"Permohonan {d.permit_type_name} ({d.request_kind_label}) diajukan", actor=inp.applicant)
        await self._notify(inp, "submitted", "Permohonan diterima",
                           f"Permohonan {d.permit_type_name} Anda diterima dengan nomor resi {inp.resi}. "
                           f"Verifikator akan memeriksanya; target penyelesaian {d.sla_working_days} hari kerja.")

        # Verification, with as many revision rounds as it takes.
        while True:
            verdict = await self.ask(TaskSpec(
                key=f"verifikasi-{self._round}",
                title=f"Verifikasi {d.permit_type_name} — resi {inp.resi}" + (f" (perbaikan ke-{self._round - 1})" if self._round > 1 else ""),
                policy=d.verification, subject_id=inp.resi,
                summary={"Resi": inp.resi, "Pemohon": inp.applicant.full_name, "Jenis izin": d.permit_type_name,
                         "Jenis permohonan": d.request_kind_label, "Putaran": str(self._round)},
                outcomes=[Outcome("approve", "Setujui"), Outcome("revise", "Kembalikan untuk revisi", requires_reason=True),
                          Outcome("reject", "Tolak", requires_reason=True)],
            ))
            if verdict.outcome == "approve":
                break
            if verdict.outcome == "reject":
                return await self._reject(inp, verdict.reason or "", "rejected", f"Permohonan ditolak oleh verifikator: {verdict.reason}")
            if not await self._revision_round(inp, verdict.reason or ""):
                return await self._reject(inp, "Batas waktu perbaikan terlewati", "revision_expired",
                                          "Permohonan ditutup: perbaikan tidak dikirim sebelum batas waktu")

        await self._update(inp, STATUS_IN_PROCESS, "signing", "verified", "Permohonan disetujui verifikator; menunggu tanda tangan elektronik")
        # Added after runs were already recorded: patched() keeps those histories replayable (they take
        # the old path), while new runs also tell the applicant. See tests/histories and docs in README.
        if workflow.patched(PATCH_NOTIFY_PROGRESS):
            await self._notify(inp, "verified", "Permohonan disetujui verifikator",
                               f"Permohonan resi {inp.resi} telah disetujui verifikator dan menunggu tanda tangan elektronik pejabat.")
        document, number = await self._sign_and_issue(inp)
        if document is None:
            return PermitResult(status=STATUS_REJECTED, reason=self._reject_reason)
        self._document_id = document.document_id
        self._permit_number = number
        self._close_clock()

        # Downloads: once per window; a verifier may open a new window on request.
        reissues = 0
        while True:
            expires_at = workflow.now() + timedelta(days=d.download_valid_days)
            self._downloaded, self._download_open = False, True
            first = reissues == 0
            await self._update(inp, STATUS_FINISHED, "ready_for_download", "issued" if first else f"reissued-{reissues}",
                               f"Izin nomor {number} terbit dan siap diunduh" if first else "Izin diterbitkan ulang dan siap diunduh",
                               permit_number=number, document_id=document.document_id, download_expires_at=expires_at,
                               finished=True, clock=list(self._clock))
            await self._notify(inp, f"ready-{reissues}", "Izin siap diunduh",
                               f"Izin {d.permit_type_name} nomor {number} (resi {inp.resi}) telah terbit. Unduh melalui menu "
                               f"Permohonan Saya → Cetak Izin. Tautan hanya dapat dipakai satu kali dan berlaku 7 hari.")
            try:
                await workflow.wait_condition(lambda: self._downloaded, timeout=max(expires_at - workflow.now(), timedelta(0)))
            except TimeoutError:
                pass  # the window closed unused; the expiry is recorded below
            self._download_open = False
            if not self._downloaded:
                await self._update(inp, STATUS_FINISHED, "download_expired", f"download-expired-{reissues}",
                                   "Tautan unduh izin kedaluwarsa (tidak diunduh dalam 7 hari)")
                await self._notify(inp, f"expired-{reissues}", "Tautan unduh izin kedaluwarsa",
                                   f"Izin resi {inp.resi} tidak diunduh dalam 7 hari. Ajukan terbit ulang dari halaman permohonan.")
            # Wait for a reissue request; past the window the run ends (the permit stays valid and on record).
            while True:
                try:
                    await workflow.wait_condition(lambda: self._reissue is not None, timeout=timedelta(days=d.reissue_window_days))
                except TimeoutError:
                    return PermitResult(status=STATUS_FINISHED, permit_number=number, document_id=document.document_id)
                request, self._reissue = required(self._reissue, "the reissue request"), None
                reissues += 1
                await self._update(inp, STATUS_FINISHED, "reissue_requested", f"reissue-requested-{reissues}",
                                   f"Pemohon meminta terbit ulang: {request.reason}", actor=inp.applicant)
                decision = await self.ask(TaskSpec(
                    key=f"terbit-ulang-{reissues}", title=f"Permintaan terbit ulang izin — resi {inp.resi}",
                    policy=d.verification, subject_id=inp.resi,
                    summary={"Resi": inp.resi, "Nomor izin": number, "Alasan pemohon": request.reason},
                    outcomes=[Outcome("reissue", "Terbitkan ulang"), Outcome("reject", "Tolak", requires_reason=True)],
                ))
                if decision.outcome == "reissue":
                    break
                await self._update(inp, STATUS_FINISHED, "issued", f"reissue-refused-{reissues}",
                                   f"Permintaan terbit ulang ditolak: {decision.reason}", reason=decision.reason)
                await self._notify(inp, f"reissue-refused-{reissues}", "Permintaan terbit ulang ditolak",
                                   f"Permintaan terbit ulang izin resi {inp.resi} ditolak.\nAlasan: {decision.reason}")

    # -- steps ------------------------------------------------------------------------------------

    async def _revision_round(self, inp: PermitInput, notes: str) -> bool:
        """Returns the application to the applicant; True when they resubmit before the deadline."""
        d = inp.definition
        due: DeadlineResult = await workflow.execute_activity(
            WORKING_DEADLINE, DeadlineInput(calendar=d.calendar, start=workflow.now(), working_days=d.revision_deadline_working_days),
            result_type=DeadlineResult, **STEP)
        self._switch_clock("applicant")
        self._status = STATUS_REVISION
        # Accept the resubmission from the moment the applicant can see the request for it.
        self._awaiting_resubmission = True
        await self._update(inp, STATUS_REVISION, "revision", f"revision-{self._round}", f"Dikembalikan untuk revisi: {notes}",
                           reason=notes, revision_notes=notes, revision_due_at=due.deadline, clock=list(self._clock))
        await self._notify(inp, f"revision-{self._round}", "Permohonan perlu diperbaiki",
                           f"Permohonan resi {inp.resi} dikembalikan untuk revisi.\nCatatan verifikator: {notes}\n"
                           f"Kirim perbaikan paling lambat {d.revision_deadline_working_days} hari kerja (lihat halaman Revisi).")
        try:
            await workflow.wait_condition(lambda: self._resubmission is not None, timeout=max(due.deadline - workflow.now(), timedelta(0)))
        except TimeoutError:
            return False
        finally:
            self._awaiting_resubmission = False
        resubmission, self._resubmission = required(self._resubmission, "the resubmission"), None
        self._round = resubmission.round
        self._switch_clock("office")
        self._status = STATUS_IN_PROCESS
        changed = ", ".join(resubmission.changed) or "tidak ada perubahan"
        await self._update(inp, STATUS_IN_PROCESS, "verification", f"resubmitted-{self._round}",
                           f"Perbaikan ke-{self._round - 1} dikirim pemohon; diubah: {changed}", actor=inp.applicant,
                           clear_revision=True, clock=list(self._clock))
        if workflow.patched(PATCH_NOTIFY_PROGRESS):
            await self._notify(inp, f"resubmitted-{self._round}", "Perbaikan diterima",
                               f"Perbaikan permohonan resi {inp.resi} telah diterima dan akan diverifikasi kembali.")
        return True

    async def _sign_and_issue(self, inp: PermitInput) -> tuple[DocumentResult | None, str]:
        d = inp.definition
        workflow_id = workflow.info().workflow_id
        number: str | None = None
        attempt = 1
        while True:
            decision = await self.ask(TaskSpec(
                key=f"tte-{attempt}", title=f"Tanda tangan elektronik {d.permit_type_name} — resi {inp.resi}",
                policy=d.signing, subject_id=inp.resi,
                summary={"Resi": inp.resi, "Pemohon": inp.applicant.full_name, "Jenis izin": d.permit_type_name,
                         "Jenis permohonan": d.request_kind_label},
                outcomes=[Outcome("sign", "Tandatangani (TTE)", requires_tte=True), Outcome("reject", "Tolak", requires_reason=True)],
            ))
            if decision.outcome == "reject":
                await self._reject(inp, decision.reason or "", "rejected", f"Permohonan ditolak oleh pejabat penandatangan: {decision.reason}")
                return None, ""
            if number is None:
                issued: IssuedNumberResult = await workflow.execute_activity(
                    ASSIGN_NUMBER, NumberRequest(idempotency_key=f"{workflow_id}.nomor-izin", numbering=d.numbering,
                                                 timezone=d.office.timezone, subject=f"{d.permit_type_name} resi {inp.resi}"),
                    result_type=IssuedNumberResult, **STEP)
                number = issued.number
                valid_until = None
                if d.validity_years:
                    today = workflow.now().date()
                    valid_until = today.replace(year=today.year + d.validity_years) if not (today.month == 2 and today.day == 29) \
                        else today.replace(year=today.year + d.validity_years, day=28)
                await self._update(inp, STATUS_IN_PROCESS, "signing", "numbered", f"Nomor izin {number} ditetapkan", permit_number=number)
            signer = decision.actor
            try:
                document: DocumentResult = await workflow.execute_activity(
                    RENDER_PERMIT,
                    PermitDocumentInput(
                        idempotency_key=f"{workflow_id}.izin", workflow_id=workflow_id, application_id=inp.application_id,
                        resi=inp.resi, permit_number=number, issued_at=workflow.now(), applicant=inp.applicant, definition=d,
                        signer=person_of(signer),
                        signer_acting_for=signer.acting_for, signing_token=decision.data["signing_token"], valid_until=valid_until,
                    ),
                    result_type=DocumentResult, **DOCUMENT,
                )
            except ActivityError as err:
                if isinstance(err.cause, ApplicationError) and err.cause.type == "SigningAuthorizationExpired":
                    attempt += 1
                    await self._update(inp, STATUS_IN_PROCESS, "signing", f"tte-expired-{attempt}",
                                       "Otorisasi TTE kedaluwarsa sebelum dokumen ditandatangani; penandatangan diminta mengulang")
                    continue
                raise
            return document, number

    async def _reject(self, inp: PermitInput, reason: str, kind: str, title: str) -> PermitResult:
        self._status = STATUS_REJECTED
        self._reject_reason = reason
        self._close_clock()
        await self._update(inp, STATUS_REJECTED, kind, kind, title, reason=reason, decision_reason=reason, finished=True,
                           clear_revision=True, clock=list(self._clock))
        await self._notify(inp, kind, "Permohonan ditolak", f"Permohonan resi {inp.resi} ditolak.\nAlasan: {reason}")
        return PermitResult(status=STATUS_REJECTED, reason=reason)

    # -- updates from the applicant -----------------------------------------------------------------

    @workflow.update(name=RESUBMIT_PERMIT)
    async def resubmit(self, request: ResubmitRequest) -> TaskAck:
        if self._resubmission is not None or not self._awaiting_resubmission:
            raise ApplicationError("Perbaikan sudah diterima.", type=ERR_STATE)
        self._resubmission = request
        return TaskAck(task_id=workflow.info().workflow_id, status="resubmitted")

    @resubmit.validator
    def _validate_resubmit(self, request: ResubmitRequest) -> None:
        self._check_not_cancelling()
        self._check_applicant(request.actor.user_id)
        if not self._awaiting_resubmission or self._resubmission is not None:
            raise ApplicationError("Permohonan ini tidak sedang menunggu perbaikan.", type=ERR_STATE)
        if request.round != self._round + 1:
            raise ApplicationError("Perbaikan ini tidak sesuai putaran revisi yang berjalan.", type=ERR_STATE)

    @workflow.update(name=CLAIM_PERMIT_DOWNLOAD)
    async def claim_download(self, claim: DownloadClaim) -> DownloadGrant:
        if self._downloaded or not self._download_open:
            raise ApplicationError("Izin sudah diunduh.", type=ERR_DOWNLOAD)
        self._downloaded = True
        await self.project(UPDATE_PERMIT, PermitUpdate(
            application_id=self._input.application_id, status=STATUS_FINISHED, stage="downloaded", downloaded_at=workflow.now(),
            event=self.timeline_event(self._input.resi, f"downloaded-{workflow.now().timestamp():.0f}", "Izin diunduh oleh pemohon",
                                      actor=person_of(claim.actor))))
        return DownloadGrant(document_id=self._document_id or "")

    @claim_download.validator
    def _validate_download(self, claim: DownloadClaim) -> None:
        self._check_applicant(claim.actor.user_id)
        if self._document_id is None:
            raise ApplicationError("Izin belum terbit.", type=ERR_DOWNLOAD)
        if self._downloaded:
            raise ApplicationError("Izin ini sudah pernah diunduh (unduhan hanya satu kali). Ajukan terbit ulang bila berkasnya hilang.", type=ERR_DOWNLOAD)
        if not self._download_open:
            raise ApplicationError("Tautan unduh sudah kedaluwarsa (berlaku 7 hari). Ajukan terbit ulang dari halaman permohonan.", type=ERR_DOWNLOAD)

    @workflow.update(name=REQUEST_PERMIT_REISSUE)
    async def request_reissue(self, request: ReissueRequest) -> TaskAck:
        if self._reissue is not None:
            raise ApplicationError("Permintaan terbit ulang sudah diajukan.", type=ERR_STATE)
        self._reissue = request
        return TaskAck(task_id=workflow.info().workflow_id, status="reissue_requested")

    @request_reissue.validator
    def _validate_reissue(self, request: ReissueRequest) -> None:
        self._check_not_cancelling()
        self._check_applicant(request.actor.user_id)
        if self._document_id is None:
            raise ApplicationError("Izin belum terbit.", type=ERR_STATE)
        if self._download_open and not self._downloaded:
            raise ApplicationError("Izin masih dapat diunduh; terbit ulang belum diperlukan.", type=ERR_STATE)
        if self._reissue is not None or any(t.decision is None and t.spec.key.startswith("terbit-ulang") for t in self._tasks.values()):
            raise ApplicationError("Permintaan terbit ulang sedang diproses.", type=ERR_STATE)
        if not request.reason.strip():
            raise ApplicationError("Alasan terbit ulang wajib diisi.", type=ERR_INVALID)

    @workflow.query
    def status(self) -> str:
        return self._status

    async def on_cancelled(self, cancel: CancelRunRequest | None) -> None:
        inp = self._inp
        if inp is None or self._status == STATUS_REJECTED:
            return
        reason, who = self.cancel_reason(cancel), self.canceller(cancel)
        if self._document_id is not None:
            # The permit is issued and stays valid: only the service after it (download window, reissue) ends.
            self._download_open = False
            await self._update(inp, STATUS_FINISHED, "issued", "cancelled", self.cancelled_line(cancel), actor=self.canceller_person(cancel),
                               reason=reason)
            await self._notify(inp, "cancelled", "Layanan izin ditutup",
                               f"Layanan lanjutan untuk izin nomor {self._permit_number} (resi {inp.resi}) ditutup oleh {who}.\n"
                               f"Alasan: {reason}\n\nIzin Anda tetap berlaku. Bila memerlukan salinan izin, silakan hubungi kantor.")
            return
        self._status = STATUS_CANCELLED
        self._awaiting_resubmission = False
        self._close_clock()
        await self._update(inp, STATUS_CANCELLED, "cancelled", "cancelled", self.cancelled_line(cancel), actor=self.canceller_person(cancel),
                           reason=reason, decision_reason=reason, finished=True, clear_revision=True, clock=list(self._clock))
        await self._notify(inp, "cancelled", "Permohonan dibatalkan",
                           f"Permohonan {inp.definition.permit_type_name} resi {inp.resi} dibatalkan oleh {who}.\nAlasan: {reason}\n\n"
                           "Silakan ajukan kembali permohonan baru bila masih diperlukan, atau hubungi kantor untuk penjelasan.")

    # -- internals --------------------------------------------------------------------------------

    def _check_applicant(self, user_id: int) -> None:
        if user_id != self._applicant_id:
            raise ApplicationError("Hanya pemohon yang bersangkutan yang dapat melakukan ini.", type=ERR_NOT_HOLDER)

    def _switch_clock(self, side: str) -> None:
        self._close_clock()
        self._clock.append(ClockSegment(side=side, start=workflow.now()))

    def _close_clock(self) -> None:
        if self._clock and self._clock[-1].end is None:
            self._clock[-1].end = workflow.now()

    async def _update(self, inp: PermitInput, status: str, stage: str, key: str, title: str, *, actor: Person | None = None,
                      reason: str | None = None, **changes: Any) -> None:
        event = self.timeline_event(inp.resi, key, title, actor=actor, reason=reason)
        await self.project(UPDATE_PERMIT, PermitUpdate(application_id=inp.application_id, status=status, stage=stage, event=event, **changes))

    async def _notify(self, inp: PermitInput, key: str, subject: str, body: str) -> None:
        await self.notify(
            NotifyInput(idempotency_key=f"{workflow.info().workflow_id}.{key}", subject=subject, body=body,
                        recipient_ids=[inp.applicant.id], link=f"/permohonan/{inp.resi}"))
