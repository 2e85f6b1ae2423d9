"""A visit to the PTSP counter (seed 004; seed 000 §3 method 2).

Info desk registers the visitor → the front office checks completeness against the service's
checklist (incomplete: a printed checklist goes back with the papers and the visit ends) → a receipt
in three copies with the estimated completion → the back office researches the papers → (non-one-day
services: field verification by the work unit, ending in a Berita Acara) → not valid: a Berita Acara
ketidaksesuaian and the front office returns the papers; valid: supervisor coordination → number and
stamp by the correspondence officer → handover at the front office, where the visitor confirms
receipt and rates the service → the archivist files it → the courier delivers it when the service
says so. A visitor who left a phone number hears of every step over WhatsApp.

The visit's target (30-120 minutes for one-day services, the SLA in working days otherwise) is
watched by a timer beside the steps; an overrun is recorded once and the supervisor is told.
"""

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import (
        ASSIGN_NUMBER,
        RENDER_COUNTER_DOCUMENT,
        UPDATE_WALK_IN,
        WORKING_DEADLINE,
        CancelRunRequest,
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
        TaskSpec,
        WalkInInput,
        WalkInResult,
        WalkInUpdate,
    )
    from workflows.human_task import ERR_INVALID, HumanTaskWorkflow, person_of, required
    from workflows.options import STEP

with workflow.unsafe.imports_passed_through():
    # The statuses are part of the contract (with their labels, tones and next steps: contracts/vocabulary.py).
    from contracts.walk_in import (  # noqa: F401
        FINAL_STATUSES, STATUS_REGISTERED, STATUS_IN_PROCESS, STATUS_READY, STATUS_HANDED_OVER, STATUS_DONE, STATUS_RETURNED_INCOMPLETE,
        STATUS_RETURNED_MISMATCH, STATUS_CANCELLED,
    )

_INDONESIAN_ZONES = {"Asia/Jakarta": (7, "WIB"), "Asia/Pontianak": (7, "WIB"), "Asia/Makassar": (8, "WITA"), "Asia/Jayapura": (9, "WIT")}
RATING_LABELS = {1: "Tidak puas", 2: "Kurang puas", 3: "Puas", 4: "Sangat puas"}
RECEIPT_COPIES = ["Lembar 1: Pemohon", "Lembar 2: Berkas", "Lembar 3: Back Office"]


def _rating_label(rating: int | None) -> str:
    """The label of the handover form's rating; '-' when none was given."""
    return "-" if rating is None else RATING_LABELS.get(rating, "-")


def walk_in_workflow_id(code: str) -> str:
    return f"walkin-{code}"


@workflow.defn(name="WalkInVisit")
class WalkInVisitWorkflow(HumanTaskWorkflow):
    process = "walk_in"

    def __init__(self) -> None:
        super().__init__()
        self._inp: WalkInInput | None = None
        self._documents: dict[str, str] = {}
        self._served = False
        self._status = STATUS_REGISTERED

    @property
    def _input(self) -> WalkInInput:
        """The run's input: set first thing in run(), so any step, handler or decision after it reads it."""
        return required(self._inp, "the walk-in visit's input")

    @workflow.run
    async def run(self, inp: WalkInInput) -> WalkInResult:
        self._inp = inp
        d, s = inp.definition, inp.definition.service
        self.use_calendar(d.calendar)
        registered_at = workflow.now()
        target_at = registered_at + timedelta(minutes=s.target_minutes) if s.one_day and s.target_minutes else None
        watcher = None
        await self._update(STATUS_REGISTERED, "completeness_check", "registered",
                           f"Kunjungan didaftarkan oleh {inp.registered_by.full_name}: {s.name}", actor=inp.registered_by,
                           target_at=target_at)
        if target_at is not None:
            watcher = asyncio.create_task(self._watch_target(target_at))
        requirements = "\n".join(f"{i}. {r.name}{'' if r.mandatory else ' (tidak wajib)'}" for i, r in enumerate(s.requirements, 1))
        await self._tell_visitor("greeting", f"Selamat datang di PTSP {d.office.short_name}, {inp.visitor.name}.\n"
                                 f"Layanan: {s.name} (kode kunjungan {inp.code}).\n\nPersyaratan:\n{requirements}\n\n"
                                 f"Petugas Front Office akan memeriksa kelengkapan berkas Anda. Layanan ini tidak dipungut biaya (Rp 0).")

        check = await self.ask(TaskSpec(
            key="kelengkapan", title=f"Periksa kelengkapan berkas — {s.name} ({inp.visitor.name})",
            policy=d.completeness_check, subject_id=inp.code, summary=self._summary(),
            form={"type": "object", "required": [], "properties": {"present": {
                "type": "array", "title": "Persyaratan yang dibawa pemohon",
                "description": "Centang setiap dokumen yang ada (tanpa menilai isinya).",
                "items": {"type": "string", "oneOf": [{"const": r.code, "title": r.name + ("" if r.mandatory else " (tidak wajib)")}
                                                      for r in s.requirements]}}}},
            outcomes=[Outcome("lengkap", "Lengkap — terima berkas dan cetak tanda terima"),
                      Outcome("tidak_lengkap", "Tidak lengkap — cetak daftar periksa dan kembalikan berkas")],
        ))
        present = set(check.data.get("present") or [])
        if check.outcome == "tidak_lengkap":
            return await self._return_incomplete(check, present, watcher)

        receipt: IssuedNumberResult = await workflow.execute_activity(
            ASSIGN_NUMBER, NumberRequest(idempotency_key=f"{workflow.info().workflow_id}.receipt", numbering=d.receipt_numbering,
                                         timezone=d.office.timezone, subject=f"Tanda terima {s.name} — {inp.visitor.name}"),
            result_type=IssuedNumberResult, **STEP)
        if s.one_day:
            # The catalog gives every one-day service its target minutes (process_defs/counter.py), so it has a target time.
            estimated = required(target_at, "the one-day service's target time")
        else:
            due: DeadlineResult = await workflow.execute_activity(
                WORKING_DEADLINE, DeadlineInput(calendar=d.calendar, start=workflow.now(), working_days=s.sla_working_days or 1),
                result_type=DeadlineResult, **STEP)
            estimated = target_at = due.deadline
            watcher = asyncio.create_task(self._watch_target(target_at))
        await self._document("receipt", "walkin_receipt", f"Tanda Terima Berkas {receipt.number}", number=receipt.number,
                                           copies=RECEIPT_COPIES, fields={
                                               **self._visit_fields(), "received_at": check.decided_at.isoformat(),
                                               "estimated_done_at": estimated.isoformat(), "one_day": s.one_day,
                                               "target_label": f"{s.target_minutes} menit" if s.one_day else f"{s.sla_working_days} hari kerja",
                                               "items": [{"name": r.name} for r in s.requirements if r.code in present],
                                               "officer_name": check.actor.full_name,
                                               "tracking_note": f"Sebutkan kode kunjungan {inp.code} atau nomor tanda terima saat menanyakan berkas."})
        await self._update(STATUS_IN_PROCESS, "research", "received",
                           f"Berkas lengkap dan diterima; tanda terima {receipt.number} dicetak rangkap 3", actor=person_of(check.actor),
                           receipt_number=receipt.number, estimated_done_at=estimated, target_at=target_at)
        await self._tell_visitor("received", f"Berkas {s.name} Anda lengkap dan diterima dengan tanda terima {receipt.number}.\n"
                                 f"Perkiraan selesai: {self._local(estimated)}. Berkas kini diteliti oleh petugas Back Office.")

        research = await self.ask(TaskSpec(
            key="penelitian", title=f"Teliti berkas — {s.name} ({inp.visitor.name})", policy=d.research, subject_id=inp.code,
            summary={**self._summary(), "Tanda terima": receipt.number},
            outcomes=[Outcome("sesuai", "Dokumen sesuai dan sah"), Outcome("tidak_sesuai", "Dokumen tidak sesuai", requires_reason=True)],
        ))
        if research.outcome == "tidak_sesuai":
            return await self._return_mismatch(research, "Penelitian Back Office", watcher)

        if not s.one_day:
            await self._update(STATUS_IN_PROCESS, "field_verification", "field-verification",
                               f"Berkas sah menurut Back Office; verifikasi dokumen dan lapangan oleh {s.work_unit_name}", actor=person_of(research.actor))
            await self._tell_visitor("field-verification", f"Berkas {s.name} Anda sedang diverifikasi oleh {s.work_unit_name}, "
                                     "termasuk peninjauan lapangan. Kami kabari kembali setelah selesai.")
            verification = await self.ask(TaskSpec(
                key="verifikasi-lapangan", title=f"Verifikasi dokumen dan lapangan — {s.name} ({inp.visitor.name})",
                policy=d.field_verification, subject_id=inp.code, summary={**self._summary(), "Unit kerja": s.work_unit_name or ""},
                form={"type": "object", "required": ["location", "findings"], "properties": {
                    "location": {"type": "string", "title": "Lokasi yang ditinjau", "maxLength": 300},
                    "findings": {"type": "string", "title": "Hasil verifikasi (temuan)", "maxLength": 4000}}},
                outcomes=[Outcome("sesuai", "Sesuai — buat Berita Acara hasil verifikasi"),
                          Outcome("tidak_sesuai", "Tidak sesuai — buat Berita Acara", requires_reason=True)],
            ))
            await self._document("berita_acara", "berita_acara_verifikasi", f"Berita Acara Hasil Verifikasi — {inp.code}", fields={
                **self._visit_fields(), "unit_name": s.work_unit_name or "", "officer_name": verification.actor.full_name,
                "verified_at": verification.decided_at.isoformat(), "location": verification.data.get("location", ""),
                "findings": verification.data.get("findings", ""), "conclusion": verification.outcome})
            await self._update(STATUS_IN_PROCESS, "coordination", "field-verified",
                               f"Berita Acara hasil verifikasi dibuat oleh {s.work_unit_name}: "
                               + ("sesuai" if verification.outcome == "sesuai" else f"tidak sesuai ({verification.reason})"),
                               actor=person_of(verification.actor))
            if verification.outcome == "tidak_sesuai":
                return await self._return_mismatch(verification, "Verifikasi lapangan", watcher)

        await self._update(STATUS_IN_PROCESS, "coordination", "coordination", "Menunggu koordinasi Supervisor untuk tindak lanjut")
        coordination = await self.ask(TaskSpec(
            key="koordinasi", title=f"Koordinasi tindak lanjut — {s.name} ({inp.visitor.name})", policy=d.coordination, subject_id=inp.code,
            summary={**self._summary(), "Tanda terima": receipt.number, "Hasil": s.result_kind},
            outcomes=[Outcome("setujui", f"Setujui penerbitan {s.result_kind}"), Outcome("tidak_sesuai", "Tidak sesuai", requires_reason=True)],
        ))
        if coordination.outcome == "tidak_sesuai":
            return await self._return_mismatch(coordination, "Koordinasi Supervisor", watcher)

        await self._update(STATUS_IN_PROCESS, "numbering", "approved", f"{s.result_kind} disetujui; menunggu nomor dan stempel",
                           actor=person_of(coordination.actor))
        stamp = await self.ask(TaskSpec(
            key="penomoran", title=f"Beri nomor dan stempel {s.result_kind} — {inp.visitor.name}", policy=d.numbering_task,
            subject_id=inp.code, summary={**self._summary(), "Hasil": s.result_kind, "Kode klasifikasi": s.classification},
            outcomes=[Outcome("beri_nomor", "Beri nomor dan stempel")],
        ))
        number: IssuedNumberResult = await workflow.execute_activity(
            ASSIGN_NUMBER, NumberRequest(idempotency_key=f"{workflow.info().workflow_id}.result", numbering=d.result_numbering,
                                         timezone=d.office.timezone, subject=f"{s.result_kind} {s.name} — {inp.visitor.name}"),
            result_type=IssuedNumberResult, **STEP)
        result = await self._document("result", "walkin_result", f"{s.result_kind} {number.number}", number=number.number, fields={
            **self._visit_fields(), "result_kind": s.result_kind, "city": d.office.city,
            "body": f"Berdasarkan permohonan {inp.visitor.name} yang diterima dengan tanda terima {receipt.number} dan hasil penelitian "
                    f"berkas, layanan {s.name} telah diproses sesuai ketentuan dan dinyatakan memenuhi syarat.",
            "approved_by_name": coordination.actor.full_name, "approved_by_position": coordination.actor.position or "Supervisor PTSP",
            "numbered_by_name": stamp.actor.full_name})
        await self._update(STATUS_READY, "handover", "numbered", f"{s.result_kind} nomor {number.number} diberi nomor dan stempel; siap diserahkan",
                           actor=person_of(stamp.actor), result_number=number.number)
        await self._tell_visitor("ready", f"{s.result_kind} untuk layanan {s.name} sudah selesai (nomor {number.number}). "
                                 f"Silakan ambil di loket Front Office dengan membawa tanda terima {receipt.number}.")

        handover = await self.ask(TaskSpec(
            key="penyerahan", title=f"Serahkan hasil kepada pemohon — {inp.visitor.name}", policy=d.handover, subject_id=inp.code,
            summary={**self._summary(), "Tanda terima": receipt.number, "Nomor hasil": number.number},
            form=_handover_form(), outcomes=[Outcome("diserahkan", "Hasil diserahkan kepada pemohon")],
        ))
        self._served = True
        rating = handover.data.get("rating")
        await self._update(STATUS_HANDED_OVER, "archive", "handed-over",
                           f"Hasil diserahkan kepada {handover.data.get('received_by')}; penilaian: {_rating_label(rating)}",
                           actor=person_of(handover.actor), rating=rating)
        await self._tell_visitor("handed-over", f"Terima kasih, {inp.visitor.name}. {s.result_kind} nomor {number.number} telah diserahkan. "
                                 "Penilaian Anda membantu kami memperbaiki layanan.")

        archive = await self.ask(TaskSpec(
            key="pengarsipan", title=f"Arsipkan berkas dan hasil — {number.number}", policy=d.archive, subject_id=inp.code,
            summary={**self._summary(), "Nomor hasil": number.number},
            form={"type": "object", "required": ["archive_location"], "properties": {
                "archive_location": {"type": "string", "title": "Lokasi arsip (lemari / boks / map)", "maxLength": 200}}},
            outcomes=[Outcome("diarsipkan", "Diarsipkan")],
        ))
        await self._update(STATUS_HANDED_OVER, "delivery" if s.delivery else "finished", "archived",
                           f"Berkas dan hasil diarsipkan di {archive.data.get('archive_location')}", actor=person_of(archive.actor))
        if s.delivery:
            courier = await self.ask(TaskSpec(
                key="pengantaran", title=f"Antar {s.result_kind} {number.number}", policy=d.delivery, subject_id=inp.code,
                summary={**self._summary(), "Nomor hasil": number.number},
                form={"type": "object", "required": ["delivered_to"], "properties": {
                    "delivered_to": {"type": "string", "title": "Diterima oleh (nama dan tempat)", "maxLength": 300}}},
                outcomes=[Outcome("terkirim", "Sudah diantar")],
            ))
            await self._update(STATUS_HANDED_OVER, "finished", "delivered", f"Diantar oleh caraka; diterima oleh {courier.data.get('delivered_to')}",
                               actor=person_of(courier.actor))
        await self._update(STATUS_DONE, "finished", "done", "Kunjungan selesai", finished=True)
        await self._stop_watch(watcher)
        return WalkInResult(status=STATUS_DONE, result_number=number.number, document_id=result.document_id)

    # -- decision rules -------------------------------------------------------------------------

    def check_decision(self, spec: TaskSpec, request: DecisionRequest) -> None:
        if spec.key != "kelengkapan" or self._inp is None:
            return
        present = set(request.data.get("present") or [])
        missing = [r.name for r in self._input.definition.service.requirements if r.mandatory and r.code not in present]
        if request.outcome == "lengkap" and missing:
            raise ApplicationError("Persyaratan wajib belum ada: " + "; ".join(missing)
                                   + ". Pilih 'Tidak lengkap' untuk mengembalikan berkas.", type=ERR_INVALID)
        if request.outcome == "tidak_lengkap" and not missing:
            raise ApplicationError("Semua persyaratan wajib sudah dicentang; pilih 'Lengkap' untuk menerima berkas.", type=ERR_INVALID)

    @workflow.query
    def status(self) -> str:
        return self._status

    async def on_cancelled(self, cancel: CancelRunRequest | None) -> None:
        inp = self._inp
        if inp is None or self._status in (STATUS_DONE, STATUS_RETURNED_INCOMPLETE, STATUS_RETURNED_MISMATCH):
            return
        reason = self.cancel_reason(cancel)
        # The target watcher stops: a cancelled visit is not an overrun.
        self._served = True
        if self._status == STATUS_HANDED_OVER:
            # The visitor already holds the result; only the office's filing after it is cut short. The visit is over
            # all the same: off the counter's open list, its target no longer running (same command, its input only).
            await self._update("", "finished", "cancelled", self.cancelled_line(cancel), actor=self.canceller_person(cancel), reason=reason,
                               finished=True)
            return
        await self._update(STATUS_CANCELLED, "finished", "cancelled", self.cancelled_line(cancel), actor=self.canceller_person(cancel),
                           reason=reason, finished=True)
        await self._tell_visitor("cancelled", f"Layanan {inp.definition.service.name} Anda (kode kunjungan {inp.code}) dibatalkan oleh "
                                 f"{self.canceller(cancel)}.\nAlasan: {reason}\n\nBerkas yang sudah diserahkan dapat diambil kembali di "
                                 "loket Front Office. Silakan datang kembali atau hubungi kantor bila layanan masih diperlukan.")

    # -- endings ----------------------------------------------------------------------------------

    async def _return_incomplete(self, check: TaskDecision, present: set[str], watcher: asyncio.Task | None) -> WalkInResult:
        inp = self._input
        s = inp.definition.service
        missing = [r.name for r in s.requirements if r.mandatory and r.code not in present]
        await self._document("checklist", "walkin_checklist", f"Daftar Periksa Kelengkapan — {inp.code}", fields={
            **self._visit_fields(), "checked_at": check.decided_at.isoformat(), "officer_name": check.actor.full_name,
            "items": [{"name": r.name, "mandatory": r.mandatory, "present": r.code in present} for r in s.requirements],
            "note": check.reason or ""})
        self._served = True
        await self._update(STATUS_RETURNED_INCOMPLETE, "finished", "returned-incomplete",
                           "Berkas tidak lengkap; daftar periksa dicetak dan berkas dikembalikan. Kurang: " + "; ".join(missing),
                           actor=person_of(check.actor), finished=True, reason=check.reason)
        await self._tell_visitor("returned-incomplete", f"Berkas {s.name} Anda belum lengkap dan dikembalikan. Yang belum ada:\n"
                                 + "\n".join(f"- {m}" for m in missing) + "\nSilakan lengkapi lalu datang kembali.")
        await self._stop_watch(watcher)
        return WalkInResult(status=STATUS_RETURNED_INCOMPLETE, reason="; ".join(missing))

    async def _return_mismatch(self, decision: TaskDecision, source: str, watcher: asyncio.Task | None) -> WalkInResult:
        inp, d = self._input, self._input.definition
        s = d.service
        await self._document("ketidaksesuaian", "berita_acara_ketidaksesuaian", f"Berita Acara Ketidaksesuaian Dokumen — {inp.code}", fields={
            **self._visit_fields(), "officer_name": decision.actor.full_name, "found_at": decision.decided_at.isoformat(),
            "reason": decision.reason or "", "source": source})
        await self._update(STATUS_IN_PROCESS, "return", "mismatch", f"Dokumen tidak sesuai ({source}): {decision.reason}. "
                           "Berita Acara ketidaksesuaian dibuat; berkas dikembalikan melalui Front Office",
                           actor=person_of(decision.actor), reason=decision.reason)
        await self._tell_visitor("mismatch", f"Berkas {s.name} Anda dinyatakan tidak sesuai: {decision.reason}\n"
                                 "Silakan datang ke loket Front Office untuk menerima kembali berkas beserta Berita Acara ketidaksesuaian.")
        handback = await self.ask(TaskSpec(
            key="pengembalian", title=f"Kembalikan berkas dan Berita Acara ketidaksesuaian — {inp.visitor.name}", policy=d.handover,
            subject_id=inp.code, summary={**self._summary(), "Alasan": decision.reason or ""},
            form=_handover_form(), outcomes=[Outcome("dikembalikan", "Berkas dan Berita Acara diserahkan kembali")],
        ))
        self._served = True
        rating = handback.data.get("rating")
        await self._update(STATUS_RETURNED_MISMATCH, "finished", "returned-mismatch",
                           f"Berkas dan Berita Acara diserahkan kembali kepada {handback.data.get('received_by')}; penilaian: {_rating_label(rating)}",
                           actor=person_of(handback.actor), rating=rating, finished=True)
        await self._stop_watch(watcher)
        return WalkInResult(status=STATUS_RETURNED_MISMATCH, reason=decision.reason)

    # -- the target -------------------------------------------------------------------------------

    async def _watch_target(self, target_at: datetime) -> None:
        """Records an overrun once, if the visitor is not served by the target."""
        try:
            await workflow.wait_condition(lambda: self._served, timeout=max(target_at - workflow.now(), timedelta(0)))
            return
        except TimeoutError:
            pass
        inp = self._input
        s = inp.definition.service
        target = f"{s.target_minutes} menit" if s.one_day else f"{s.sla_working_days} hari kerja"
        await self._update("", "", "overrun", f"Melewati target layanan ({target}); Supervisor diberi tahu", overrun_at=workflow.now())
        await self.notify(NotifyInput(
            idempotency_key=f"{workflow.info().workflow_id}.overrun", subject="Kunjungan melewati target layanan",
            body=f"Kunjungan {inp.code} ({s.name}, {inp.visitor.name}) melewati target {target} dan belum selesai dilayani.",
            recipient_roles=[inp.definition.overrun_notify_role], link=f"/kunjungan/{inp.code}"))

    async def _stop_watch(self, watcher: asyncio.Task | None) -> None:
        self._served = True
        if watcher is not None:
            await watcher

    # -- side effects -----------------------------------------------------------------------------

    async def _update(self, status: str, stage: str, key: str, title: str, *, actor: Person | None = None,
                      reason: str | None = None, **fields: Any) -> None:
        """Projects the visit and adds a timeline line. Empty status/stage keep the row's own (the target
        watcher runs beside the steps and must not overwrite where the visit is)."""
        inp = self._input
        if status:
            self._status = status
        event = self.timeline_event(inp.code, key, title, actor=actor, reason=reason)
        await self.project(UPDATE_WALK_IN, WalkInUpdate(visit_id=inp.visit_id, status=status, stage=stage, event=event,
                                                        documents=dict(self._documents), **fields))

    async def _document(self, key: str, kind: str, title: str, *, fields: dict, number: str | None = None,
                        copies: list[str] | None = None) -> DocumentResult:
        inp = self._input
        doc: DocumentResult = await workflow.execute_activity(RENDER_COUNTER_DOCUMENT, CounterDocumentInput(
            idempotency_key=f"{workflow.info().workflow_id}.{key}", workflow_id=workflow.info().workflow_id, kind=kind, title=title,
            office=inp.definition.office, issued_at=workflow.now(), number=number, fields=fields, copies=copies or []),
            result_type=DocumentResult, **STEP)
        self._documents[key] = doc.document_id
        return doc

    async def _tell_visitor(self, key: str, text: str) -> None:
        """WhatsApp to the visitor's phone, when they gave one (seed 000 §3, method 2)."""
        inp = self._input
        if not inp.visitor.phone:
            return
        await self.notify(NotifyInput(
            idempotency_key=f"{workflow.info().workflow_id}.visitor.{key}", subject=f"PTSP {inp.definition.office.short_name}",
            body=text, channels=["whatsapp"], recipient_phones=[inp.visitor.phone]))

    def _summary(self) -> dict:
        inp = self._input
        s = inp.definition.service
        summary = {"Kode kunjungan": inp.code, "Pemohon": inp.visitor.name, "Layanan": s.name,
                   "Jenis layanan": "One day service" if s.one_day else f"Non one day service ({s.sla_working_days} hari kerja)"}
        if inp.visitor.phone:
            summary["No. WhatsApp"] = inp.visitor.phone
        if inp.queue_ticket:
            summary["Nomor antrian"] = inp.queue_ticket
        return summary

    def _visit_fields(self) -> dict:
        inp = self._input
        return {"visit_code": inp.code, "visitor_name": inp.visitor.name, "visitor_nik": inp.visitor.nik or "",
                "visitor_phone": inp.visitor.phone or "", "service_name": inp.definition.service.name}

    def _local(self, moment: datetime) -> str:
        # Indonesia keeps no daylight saving: each office zone is a fixed offset, so no zone database
        # (a file read the sandbox forbids) is needed to write a time for the visitor.
        hours, label = _INDONESIAN_ZONES.get(self._input.definition.office.timezone, (0, "UTC"))
        local = moment.astimezone(timezone(timedelta(hours=hours)))
        months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"]
        return f"{local.day} {months[local.month - 1]} {local.year}, pukul {local:%H.%M} {label}"


def _handover_form() -> dict:
    return {"type": "object", "required": ["received_by", "rating"], "properties": {
        "received_by": {"type": "string", "title": "Nama penerima (pemohon atau kuasanya)", "maxLength": 200},
        "rating": {"type": "integer", "title": "Penilaian kepuasan pemohon",
                   "description": "Tanyakan kepada pemohon: seberapa puas dengan layanan hari ini?",
                   "oneOf": [{"const": k, "title": f"{k} — {v}"} for k, v in RATING_LABELS.items()]}}}
