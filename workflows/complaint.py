"""A complaint or criticism (seed 002 ALAMI, seed 003 Pengaduan, seed 000 §5 Kritis).

The complaint admin verifies it: not valid or spam ends it, with the reason shown on public tracking.
A valid one becomes a numbered letter (nota dinas) to the head of office, who dispositions it to a unit
and an officer with instructions; the officer follows up and writes the response (a personal task that
reminds the officer, then escalates to the unit head, then to the head of office); the unit head (or the
head, once escalated) approves the response or sends it back for another round; the complainant is told.

Public stages: verifikasi → tindak_lanjut → selesai. Every stage has a due time from complaints.yaml,
projected onto the complaint row so the staff list can put overdue ones first.
"""

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import (
        ASSIGN_NUMBER,
        RENDER_COUNTER_DOCUMENT,
        UPDATE_COMPLAINT,
        WORKING_DEADLINE,
        CancelRunRequest,
        ComplaintInput,
        ComplaintResult,
        ComplaintUpdate,
        CounterDocumentInput,
        DeadlineInput,
        DeadlineResult,
        DecisionRequest,
        DocumentResult,
        IssuedNumberResult,
        NotifyInput,
        NumberRequest,
        Outcome,
        Person,
        TaskDecision,
        TaskPolicy,
        TaskSpec,
    )
    from workflows.human_task import ERR_INVALID, HumanTaskWorkflow, person_of, required
    from workflows.options import STEP

STAGE_VERIFICATION = "verifikasi"
STAGE_FOLLOW_UP = "tindak_lanjut"
STAGE_DONE = "selesai"

with workflow.unsafe.imports_passed_through():
    # The statuses are part of the contract (with their labels, tones and next steps: contracts/vocabulary.py).
    from contracts.complaint import (  # noqa: F401
        FINAL_STATUSES, STATUS_VERIFYING, STATUS_DISPOSITION, STATUS_FOLLOW_UP, STATUS_APPROVAL, STATUS_ANSWERED, STATUS_INVALID,
        STATUS_SPAM, STATUS_CANCELLED,
    )

RESPONSE_MIN_CHARS = 20
# A "perbaiki" loop that never converges is a process problem, not something to wait on forever.
MAX_ROUNDS = 10

def complaint_workflow_id(tracking_number: str) -> str:
    return f"pengaduan-{tracking_number}"


def mask_phone(phone: str | None) -> str:
    return f"{phone[:4]}{'*' * max(len(phone) - 7, 1)}{phone[-3:]}" if phone and len(phone) > 7 else (phone or "")


def mask_nik(nik: str | None) -> str:
    return f"{nik[:4]}{'*' * 8}{nik[-4:]}" if nik and len(nik) == 16 else ""


def mask_email(email: str | None) -> str:
    if not email or "@" not in email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:2]}{'*' * max(1, len(local) - 2)}@{domain}"


@workflow.defn(name="Complaint")
class ComplaintWorkflow(HumanTaskWorkflow):
    process = "complaint"

    def __init__(self) -> None:
        super().__init__()
        self._inp: ComplaintInput | None = None
        self._letter_id: str | None = None

    @property
    def _input(self) -> ComplaintInput:
        """The run's input: set first thing in run(), so any step, handler or decision after it reads it."""
        return required(self._inp, "the complaint's input")

    @workflow.run
    async def run(self, inp: ComplaintInput) -> ComplaintResult:
        self._inp = inp
        d = inp.definition
        self.use_calendar(d.calendar)
        what = "Kritik dan saran" if inp.channel == "kritik" else "Pengaduan"
        await self._update(STATUS_VERIFYING, STAGE_VERIFICATION, "filed", f"{what} diterima dengan nomor {inp.tracking_number}: {inp.title}",
                           policy=d.verification)

        verification = await self.ask(TaskSpec(
            key="verifikasi", title=f"Verifikasi pengaduan {inp.tracking_number} — {inp.title}", policy=d.verification,
            subject_id=inp.tracking_number, summary=self._summary(),
            outcomes=[Outcome("valid", "Valid — teruskan sebagai surat kepada pimpinan"),
                      Outcome("tidak_valid", "Tidak valid", requires_reason=True),
                      Outcome("spam", "Spam", requires_reason=True)],
        ))
        verifier = person_of(verification.actor)
        if verification.outcome != "valid":
            status = STATUS_SPAM if verification.outcome == "spam" else STATUS_INVALID
            label = "spam" if status == STATUS_SPAM else "tidak valid"
            await self._update(status, STAGE_DONE, "rejected", f"Pengaduan dinyatakan {label} oleh {verifier.full_name}",
                               actor=verifier, reason=verification.reason, rejection_reason=verification.reason, finished=True)
            await self._tell_complainant("rejected", f"Pengaduan {inp.tracking_number} tidak dapat ditindaklanjuti",
                                         f"Pengaduan Anda \"{inp.title}\" (nomor {inp.tracking_number}) dinyatakan {label} dan tidak "
                                         f"ditindaklanjuti.\nAlasan: {verification.reason}\n\nBila ada keterangan baru, Anda dapat "
                                         "mengajukan pengaduan baru.")
            return ComplaintResult(status=status, reason=verification.reason)

        letter = await self._letter(verification)
        await self._update(STATUS_DISPOSITION, STAGE_FOLLOW_UP, "verified",
                           f"Pengaduan valid; diteruskan kepada {d.office.head_title} dengan surat nomor {letter.number}",
                           actor=verifier, policy=d.disposition, letter_number=letter.number, letter_document_id=self._letter_id)
        await self._tell_complainant("verified", f"Pengaduan {inp.tracking_number} sedang ditindaklanjuti",
                                     f"Pengaduan Anda \"{inp.title}\" (nomor {inp.tracking_number}) telah diverifikasi dan diteruskan "
                                     f"kepada pimpinan untuk ditindaklanjuti. Kami kabari kembali setelah ada tanggapan.")

        disposition = await self.ask(TaskSpec(
            key="disposisi", title=f"Disposisi pengaduan {inp.tracking_number} — {inp.title}", policy=d.disposition,
            subject_id=inp.tracking_number, summary={**self._summary(), "Nomor surat": letter.number}, form=self._disposition_form(),
            outcomes=[Outcome("disposisi", "Disposisikan kepada petugas")],
        ))
        officer_info = d.officers[disposition.data["officer"]]
        officer = Person(id=officer_info.id, username=officer_info.username, full_name=officer_info.full_name,
                         position=officer_info.position, unit_name=officer_info.unit_name)
        instructions = (disposition.data.get("instructions") or "").strip()
        await self._update(STATUS_FOLLOW_UP, STAGE_FOLLOW_UP, "dispositioned",
                           f"Didisposisikan oleh {disposition.actor.full_name} kepada {officer.full_name} ({officer_info.unit_name})"
                           + (f": {instructions}" if instructions else ""),
                           actor=person_of(disposition.actor), policy=d.follow_up, unit_code=officer_info.unit_code, officer_id=officer.id)

        note = ""
        for round_no in range(1, MAX_ROUNDS + 1):
            follow_up = await self.ask(TaskSpec(
                key=f"tindak-lanjut-{round_no}", title=f"Tindak lanjuti pengaduan {inp.tracking_number} — {inp.title}",
                policy=d.follow_up, owner=officer, subject_id=inp.tracking_number,
                summary={**self._summary(), "Nomor surat": letter.number, "Petunjuk pimpinan": instructions or "-",
                         **({"Catatan perbaikan": note} if note else {})},
                form={"type": "object", "required": ["response"], "properties": {
                    "response": {"type": "string", "title": "Tanggapan kepada pengadu", "maxLength": 5000,
                                 "description": f"Paling sedikit {RESPONSE_MIN_CHARS} karakter; dikirim kepada pengadu setelah disetujui."}}},
                outcomes=[Outcome("kirim_tanggapan", "Kirim tanggapan untuk disetujui")],
            ))
            response = follow_up.data["response"].strip()
            await self._update(STATUS_APPROVAL, STAGE_FOLLOW_UP, f"responded.{round_no}",
                               f"Tanggapan ditulis oleh {follow_up.actor.full_name}; menunggu persetujuan", actor=person_of(follow_up.actor),
                               policy=d.approval, response=response)
            approval = await self.ask(TaskSpec(
                key=f"persetujuan-{round_no}", title=f"Setujui tanggapan pengaduan {inp.tracking_number} — {inp.title}",
                policy=d.approval, subject_id=inp.tracking_number,
                summary={**self._summary(), "Petugas": officer.full_name, "Tanggapan": response},
                outcomes=[Outcome("setujui", "Setujui — kirim tanggapan kepada pengadu"),
                          Outcome("perbaiki", "Perbaiki — kembalikan kepada petugas", requires_reason=True)],
            ))
            if approval.outcome == "setujui":
                await self._update(STATUS_ANSWERED, STAGE_DONE, "answered",
                                   f"Tanggapan disetujui oleh {approval.actor.full_name} dan dikirim kepada pengadu",
                                   actor=person_of(approval.actor), response=response, responded=True, finished=True)
                await self._tell_complainant("answered", f"Tanggapan atas pengaduan {inp.tracking_number}",
                                             f"Pengaduan Anda \"{inp.title}\" (nomor {inp.tracking_number}) telah ditindaklanjuti.\n\n"
                                             f"Tanggapan:\n{response}\n\nTerima kasih atas pengaduan Anda.")
                return ComplaintResult(status=STATUS_ANSWERED, response=response)
            note = approval.reason or ""
            await self._update(STATUS_FOLLOW_UP, STAGE_FOLLOW_UP, f"revise.{round_no}",
                               f"Tanggapan dikembalikan oleh {approval.actor.full_name} untuk diperbaiki", actor=person_of(approval.actor),
                               reason=note, policy=d.follow_up)
        raise ApplicationError(f"Pengaduan {inp.tracking_number}: tanggapan dikembalikan lebih dari {MAX_ROUNDS} kali.", non_retryable=True)

    async def on_cancelled(self, cancel: CancelRunRequest | None) -> None:
        inp = self._inp
        if inp is None:
            return
        reason = self.cancel_reason(cancel)
        # The reason goes where a refusal's does, so tracking shows why the complaint ends here.
        await self._update(STATUS_CANCELLED, STAGE_DONE, "cancelled", self.cancelled_line(cancel), actor=self.canceller_person(cancel),
                           reason=reason, rejection_reason=reason, finished=True)
        await self._tell_complainant("cancelled", f"Pengaduan {inp.tracking_number} dibatalkan",
                                     f"Pengaduan Anda \"{inp.title}\" (nomor {inp.tracking_number}) dibatalkan oleh {self.canceller(cancel)}.\n"
                                     f"Alasan: {reason}\n\nBila masalahnya masih ada, silakan ajukan kembali pengaduan baru atau hubungi kantor.")

    # -- decisions ---------------------------------------------------------------------------------

    def check_decision(self, spec: TaskSpec, request: DecisionRequest) -> None:
        d = self._input.definition
        if spec.key == "disposisi":
            officer = d.officers.get(request.data.get("officer") or "")
            if officer is None:
                raise ApplicationError("Pilih petugas dari daftar pegawai.", type=ERR_INVALID)
            unit = request.data.get("unit")
            if unit and unit != officer.unit_code:
                raise ApplicationError(f"{officer.full_name} bukan pegawai unit {d.units.get(unit, unit)}; pilih petugas dari unit tersebut.",
                                       type=ERR_INVALID)
        elif spec.key.startswith("tindak-lanjut-"):
            if len((request.data.get("response") or "").strip()) < RESPONSE_MIN_CHARS:
                raise ApplicationError(f"Tanggapan terlalu singkat: tulis paling sedikit {RESPONSE_MIN_CHARS} karakter.", type=ERR_INVALID)

    def _disposition_form(self) -> dict:
        d = self._input.definition
        return {"type": "object", "required": ["unit", "officer"], "properties": {
            "unit": {"type": "string", "title": "Unit tujuan", "oneOf": [{"const": c, "title": n} for c, n in d.units.items()]},
            "officer": {"type": "string", "title": "Petugas yang menindaklanjuti",
                        "oneOf": [{"const": o.username, "title": f"{o.full_name} — {o.unit_name}"} for o in d.officers.values()]},
            "instructions": {"type": "string", "title": "Petunjuk / instruksi", "maxLength": 2000}}}

    # -- side effects --------------------------------------------------------------------------------

    async def _letter(self, verification: TaskDecision) -> IssuedNumberResult:
        inp, d = self._input, self._input.definition
        number: IssuedNumberResult = await workflow.execute_activity(
            ASSIGN_NUMBER, NumberRequest(idempotency_key=f"{workflow.info().workflow_id}.letter", numbering=d.letter_numbering,
                                         timezone=d.office.timezone, subject=f"Pengaduan {inp.tracking_number}: {inp.title}"),
            result_type=IssuedNumberResult, **STEP)
        c = inp.complainant
        contact = ", ".join(x for x in (mask_phone(c.phone), mask_email(c.email)) if x)
        doc: DocumentResult = await workflow.execute_activity(RENDER_COUNTER_DOCUMENT, CounterDocumentInput(
            idempotency_key=f"{workflow.info().workflow_id}.letter", workflow_id=workflow.info().workflow_id, kind="complaint_letter",
            title=f"Nota Dinas Pengaduan {number.number}", office=d.office, issued_at=workflow.now(), number=number.number, fields={
                "tracking_number": inp.tracking_number, "category_label": inp.category_label, "title": inp.title, "content": inp.content,
                "complainant_name": c.name or "Tidak disebutkan", "complainant_nik": mask_nik(c.nik), "complainant_contact": contact,
                "incident_date": inp.incident_date.isoformat() if inp.incident_date else "", "application_resi": inp.application_resi or "",
                "received_at": workflow.info().start_time.isoformat(), "verified_by_name": verification.actor.full_name,
                "verified_by_position": verification.actor.position or "Admin Pengaduan", "to_title": d.office.head_title,
                "photo_count": inp.photo_count}),
            result_type=DocumentResult, **STEP)
        self._letter_id = doc.document_id
        return number

    async def _update(self, status: str, stage: str, key: str, title: str, *, actor: Person | None = None, reason: str | None = None,
                      policy: TaskPolicy | None = None, **fields: Any) -> None:
        """Projects the complaint and adds a timeline line; with a policy, the next stage's due time."""
        inp = self._input
        due_at = None
        if policy is not None:
            due: DeadlineResult = await workflow.execute_activity(
                WORKING_DEADLINE, DeadlineInput(calendar=inp.definition.calendar, start=workflow.now(), working_days=policy.due_working_days),
                result_type=DeadlineResult, **STEP)
            due_at = due.deadline
        event = self.timeline_event(inp.tracking_number, key, title, actor=actor, reason=reason)
        await self.project(UPDATE_COMPLAINT, ComplaintUpdate(complaint_id=inp.complaint_id, status=status, stage=stage, event=event,
                                                             stage_due_at=due_at, **fields))

    async def _tell_complainant(self, key: str, subject: str, body: str) -> None:
        """In-app and email for an applicant; WhatsApp to a phone and email to an address left on a public form."""
        inp, c = self._input, self._input.complainant
        base = f"{workflow.info().workflow_id}.complainant.{key}"
        link = f"/pengaduan/lacak/{inp.tracking_number}"
        sends = []
        if c.user_id is not None:
            sends.append(NotifyInput(idempotency_key=base, subject=subject, body=body, recipient_ids=[c.user_id], link="/pengaduan/saya"))
        else:
            if c.phone:
                sends.append(NotifyInput(idempotency_key=f"{base}.wa", subject=subject, body=body, channels=["whatsapp"],
                                         recipient_phones=[c.phone], link=link))
            if c.email:
                sends.append(NotifyInput(idempotency_key=f"{base}.email", subject=subject, body=body, channels=["email"],
                                         recipient_emails=[c.email], link=link))
        for message in sends:
            await self.notify(message)

    def _summary(self) -> dict:
        inp, c = self._input, self._input.complainant
        summary = {"Nomor pengaduan": inp.tracking_number, "Kategori": inp.category_label, "Judul": inp.title, "Isi": inp.content,
                   "Pengadu": c.name or "Tidak disebutkan"}
        if inp.incident_date:
            summary["Tanggal kejadian"] = inp.incident_date.isoformat()
        if inp.application_resi:
            summary["Permohonan terkait"] = inp.application_resi
        if inp.photo_count:
            summary["Foto"] = f"{inp.photo_count} foto (lihat halaman pengaduan)"
        return summary

