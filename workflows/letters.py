"""Incoming and outgoing letters (seed 004 §H, Alur Tata Persuratan).

Incoming: the front office receives a letter → the back office classifies it (code, category, route) →
the front office registers it (agenda number, receipt; a blank disposition sheet in 3 copies when the
head or the head of administration must dispose it) → the disposition routes it to units with
instructions (the filled sheet) → the back office scans and attaches the scan → the courier delivers it.

Outgoing: a unit asks for a number → the correspondence officer checks format and classification code
(reject with notes, or accept) → the softcopy is archived → the number is assigned from the one
outgoing register, gap-free per year.

An upload that is refused (not a PDF, not the uploader's) keeps the letter at its step and asks again,
with the problem in the new task's summary.
"""

import dataclasses
from datetime import date, datetime
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import (
        ASSIGN_NUMBER,
        ATTACH_LETTER_FILE,
        RENDER_COUNTER_DOCUMENT,
        UPDATE_LETTER,
        AttachLetterFile,
        AttachLetterFileResult,
        CancelRunRequest,
        CounterDocumentInput,
        DecisionRequest,
        DocumentResult,
        IncomingLetterInput,
        IssuedNumberResult,
        LetterDefinitionSnapshot,
        LetterResult,
        LetterUpdate,
        LetterUpdateResult,
        NotifyInput,
        NumberingFormat,
        NumberRequest,
        Outcome,
        OutgoingLetterInput,
        Person,
        TaskPolicy,
        TaskSpec,
    )
    from workflows.human_task import ERR_INVALID, HumanTaskWorkflow, person_of, required
    from workflows.options import DOCUMENT, STEP

PROCESS = "letter"

with workflow.unsafe.imports_passed_through():
    # The statuses are part of the contract (with their labels, tones and next steps: contracts/vocabulary.py).
    from contracts.letters import (  # noqa: F401
        FINAL_STATUSES,
        STATUS_ACCEPTED,
        STATUS_CANCELLED,
        STATUS_CLASSIFIED,
        STATUS_DISPOSED,
        STATUS_DISTRIBUTED,
        STATUS_NUMBERED,
        STATUS_RECEIVED,
        STATUS_REGISTERED,
        STATUS_REJECTED,
        STATUS_REQUESTED,
        STATUS_SCANNED,
    )

# Where the back office sends an incoming letter.
ROUTE_HEAD = "disposisi_kepala"
ROUTE_ADMIN = "disposisi_tu"
ROUTE_DIRECT = "langsung_unit"
ROUTE_LABELS = {
    ROUTE_HEAD: "Disposisi Ketua / Kepala Kantor",
    ROUTE_ADMIN: "Disposisi Kepala Bagian Tata Usaha",
    ROUTE_DIRECT: "Langsung diproses di unit kerja",
}

# Task keys; a refused upload asks again under the next number (pindai-2, softcopy-2, …).
KEY_CLASSIFY = "pilah"
KEY_REGISTER = "registrasi"
KEY_DISPOSE = "disposisi"
KEY_SCAN = "pindai"
KEY_DISTRIBUTE = "distribusi"
KEY_FORMAT = "periksa-format"
KEY_SOFTCOPY = "softcopy"

# Decision outcomes.
OUTCOME_CLASSIFIED = "dipilah"
OUTCOME_REGISTERED = "registrasi"
OUTCOME_DISPOSED = "disposisi"
OUTCOME_SCANNED = "unggah"
OUTCOME_DELIVERED = "terkirim"
OUTCOME_ACCEPT = "terima"
OUTCOME_REJECT = "tolak"
OUTCOME_LABELS = {
    OUTCOME_CLASSIFIED: "Dipilah", OUTCOME_REGISTERED: "Diregistrasi", OUTCOME_DISPOSED: "Didisposisikan",
    OUTCOME_SCANNED: "Berkas diunggah", OUTCOME_DELIVERED: "Terkirim", OUTCOME_ACCEPT: "Diterima", OUTCOME_REJECT: "Ditolak",
}

# The category that keeps a letter to the leadership and those it concerns (gateway/services/letters.py).
CATEGORY_SECRET = "rahasia"
# The sorting form's field for why a letter the front office marked rahasia is given another category.
FIELD_CATEGORY_REASON = "category_change_reason"

DISPOSITION_COPIES = ["Lembar 1: Arsip", "Lembar 2: Unit Pengolah", "Lembar 3: Pimpinan"]
FILE_ID_MAX = 40
RECEIVED_BY_MAX = 200
NOTE_MAX = 2000

_MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"]


def incoming_workflow_id(code: str) -> str:
    return f"surat-masuk-{code}"


def outgoing_workflow_id(code: str) -> str:
    return f"surat-keluar-{code}"


def long_date(d: date) -> str:
    """23 November 2026 (pure: workflows cannot load locale data)."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


# --- the task forms (the JSON Schema subset the human-task validator checks) --------------------------


def _choices(options: dict[str, str], *, with_code: bool = False) -> list[dict]:
    return [{"const": code, "title": f"{code} — {name}" if with_code else name} for code, name in options.items()]


def classify_form(d: LetterDefinitionSnapshot, *, confidential: bool = False) -> dict:
    category = {"type": "string", "title": "Sifat surat", "oneOf": _choices(d.categories)}
    marked = {}
    if confidential:
        # The mark starts the choice; the back office may still change it, but says why (on the timeline).
        category.update(default=CATEGORY_SECRET,
                        description="Ditandai Rahasia oleh petugas Front Office saat surat dicatat. Bila diubah, tuliskan alasannya.")
        marked = {FIELD_CATEGORY_REASON: {
            "type": "string", "title": "Alasan mengubah sifat rahasia", "maxLength": NOTE_MAX,
            "description": "Wajib bila sifat surat diubah dari Rahasia; tercatat pada riwayat surat."}}
    return {
        "type": "object",
        "required": ["classification", "category", "route"],
        "properties": {
            "classification": {"type": "string", "title": "Kode klasifikasi", "oneOf": _choices(d.classifications, with_code=True)},
            "category": category,
            **marked,
            "route": {"type": "string", "title": "Arah surat", "oneOf": _choices(ROUTE_LABELS)},
            "unit": {"type": "string", "title": "Unit kerja tujuan", "description": "Wajib bila surat langsung diproses di unit kerja.",
                     "oneOf": _choices(d.units)},
        },
    }


def disposition_form(d: LetterDefinitionSnapshot) -> dict:
    return {
        "type": "object",
        "required": ["units", "instructions"],
        "properties": {
            "units": {"type": "array", "title": "Diteruskan kepada", "items": {"type": "string", "oneOf": _choices(d.units)}},
            "instructions": {"type": "array", "title": "Instruksi", "items": {"type": "string", "enum": list(d.disposition_instructions)}},
            "note": {"type": "string", "title": "Catatan disposisi"},
        },
    }


def file_form(name: str, title: str, description: str) -> dict:
    return {"type": "object", "required": [name],
            "properties": {name: {"type": "string", "title": title, "description": description, "format": "file-id"}}}


def delivery_form() -> dict:
    return {"type": "object", "required": ["received_by"],
            "properties": {"received_by": {"type": "string", "title": "Diterima oleh",
                                           "description": "Nama petugas unit yang menerima surat."}}}


# --- shared by both letter workflows ---------------------------------------------------------------


def _check_letter_decision(spec: TaskSpec, request: DecisionRequest) -> None:
    """Cross-field rules the form schema cannot say; refusals never reach the history."""
    data = request.data
    key = spec.key
    if key == KEY_CLASSIFY and data.get("route") == ROUTE_DIRECT and not data.get("unit"):
        raise ApplicationError("Pilih unit kerja tujuan untuk surat yang langsung diproses di unit kerja.", type=ERR_INVALID)
    if key == KEY_CLASSIFY and FIELD_CATEGORY_REASON in spec.form.get("properties", {}):
        # Only the form of a letter marked rahasia at intake has this field.
        change_reason = str(data.get(FIELD_CATEGORY_REASON) or "").strip()
        if data.get("category") != CATEGORY_SECRET and not change_reason:
            raise ApplicationError("Surat ini ditandai rahasia oleh petugas Front Office saat dicatat. Untuk mengubah sifatnya, "
                                   "isi 'Alasan mengubah sifat rahasia'.", type=ERR_INVALID)
        if len(change_reason) > NOTE_MAX:
            raise ApplicationError(f"Isian 'Alasan mengubah sifat rahasia' paling banyak {NOTE_MAX} karakter.", type=ERR_INVALID)
    if key == KEY_DISPOSE:
        units = data.get("units") or []
        if len(set(units)) != len(units):
            raise ApplicationError("Unit tujuan disposisi tercantum lebih dari sekali.", type=ERR_INVALID)
        if len(str(data.get("note") or "")) > NOTE_MAX:
            raise ApplicationError(f"Catatan disposisi paling banyak {NOTE_MAX} karakter.", type=ERR_INVALID)
    if key == KEY_DISTRIBUTE:
        received_by = str(data.get("received_by") or "").strip()
        if not received_by:
            raise ApplicationError("Isian 'Diterima oleh' wajib diisi dengan nama penerima surat di unit.", type=ERR_INVALID)
        if len(received_by) > RECEIVED_BY_MAX:
            raise ApplicationError(f"Isian 'Diterima oleh' paling banyak {RECEIVED_BY_MAX} karakter.", type=ERR_INVALID)
    for name in ("scan_file_id", "softcopy_file_id"):
        if name in data and len(str(data[name])) > FILE_ID_MAX:
            raise ApplicationError("Kode berkas tidak dikenal. Unggah berkas PDF-nya terlebih dahulu.", type=ERR_INVALID)


class _LetterWorkflow(HumanTaskWorkflow):
    process = PROCESS

    def __init__(self) -> None:
        super().__init__()
        self._letter_id = 0
        self._code = ""
        self._status = ""
        # Who is told when the letter is cancelled: the requester of an outgoing number, the officer who
        # recorded an incoming letter (and can let its sender know).
        self._requester: Person | None = None
        self._subject = ""

    def check_decision(self, spec: TaskSpec, request: DecisionRequest) -> None:
        _check_letter_decision(spec, request)

    @workflow.query
    def status(self) -> str:
        return self._status

    async def on_cancelled(self, cancel: CancelRunRequest | None) -> None:
        if not self._letter_id or self._status in (STATUS_DISTRIBUTED, STATUS_NUMBERED, STATUS_REJECTED):
            return
        reason = self.cancel_reason(cancel)
        await self._update(STATUS_CANCELLED, "cancelled", "cancelled", self.cancelled_line(cancel), actor=self.canceller_person(cancel),
                           reason=reason, notes=reason, finished=True)
        if self._requester is not None:
            await self._notify("cancelled", f"Surat {self._code} dibatalkan",
                               f"Proses surat {self._code} perihal \"{self._subject}\" dibatalkan oleh {self.canceller(cancel)}.\n"
                               f"Alasan: {reason}\n\nBila surat masih perlu diproses, silakan ajukan kembali atau hubungi petugas persuratan.",
                               user_ids=[self._requester.id])

    async def _update(self, status: str, stage: str, key: str, title: str, *, actor: Person | None = None,
                      reason: str | None = None, **changes: Any) -> LetterUpdateResult:
        self._status = status
        event = self.timeline_event(self._code, key, title, actor=actor, reason=reason)
        return await self.project(UPDATE_LETTER, LetterUpdate(letter_id=self._letter_id, status=status, stage=stage, event=event, **changes),
                                  result_type=LetterUpdateResult)

    async def _notify(self, key: str, subject: str, body: str, *, user_ids: list[int], channels: list[str] | None = None) -> None:
        if not user_ids:
            return
        message = NotifyInput(idempotency_key=f"{workflow.info().workflow_id}.{key}", subject=subject, body=body,
                              recipient_ids=user_ids, link=f"/surat/{self._code}")
        # Channels only when the step names them; otherwise the notification's own default channels.
        await self.notify(dataclasses.replace(message, channels=channels) if channels else message)

    async def _attach(self, file_id: str, purpose: str, uploader_id: int) -> AttachLetterFileResult:
        return await workflow.execute_activity(
            ATTACH_LETTER_FILE, AttachLetterFile(letter_id=self._letter_id, file_id=file_id, purpose=purpose, uploader_id=uploader_id),
            result_type=AttachLetterFileResult, **STEP)


# --- incoming ----------------------------------------------------------------------------------------


@workflow.defn(name="IncomingLetter")
class IncomingLetterWorkflow(_LetterWorkflow):
    def __init__(self) -> None:
        super().__init__()
        self._inp: IncomingLetterInput | None = None
        self._received_at: datetime | None = None
        self._summary: dict[str, str] = {}

    @property
    def _input(self) -> IncomingLetterInput:
        """The run's input: set first thing in run(), so any step, handler or decision after it reads it."""
        return required(self._inp, "the incoming letter's input")

    @workflow.run
    async def run(self, inp: IncomingLetterInput) -> LetterResult:
        d = inp.definition
        self._inp, self._letter_id, self._code = inp, inp.letter_id, inp.code
        self._requester, self._subject = inp.received_by, inp.subject
        self._received_at = workflow.now()
        self.use_calendar(d.calendar)
        self._summary = {"Kode surat": inp.code, "Pengirim": inp.sender, "Nomor surat": inp.sender_number,
                         "Tanggal surat": long_date(inp.letter_date), "Perihal": inp.subject, "Diterima melalui": inp.received_via_label}
        if inp.confidential:
            self._summary["Sifat saat dicatat"] = d.categories.get(CATEGORY_SECRET, "Rahasia")
        await self._update(STATUS_RECEIVED, "classify", "received",
                           f"Surat masuk dari {inp.sender} diterima di front office ({inp.received_via_label})"
                           + ("; ditandai rahasia" if inp.confidential else ""), actor=inp.received_by)

        # 1. The back office sorts it: classification code, category and where it goes.
        sorted_ = await self.ask(TaskSpec(
            key=KEY_CLASSIFY, title=f"Pilah surat masuk {inp.code}: {inp.subject}", policy=d.classify, subject_id=inp.code,
            summary=dict(self._summary), form=classify_form(d, confidential=inp.confidential),
            outcomes=[Outcome(OUTCOME_CLASSIFIED, "Simpan penggolongan")]))
        classification, category, route = (sorted_.data["classification"], sorted_.data["category"], sorted_.data["route"])
        # The validator made sure a change of the front office's mark comes with its reason.
        unmarked = inp.confidential and category != CATEGORY_SECRET
        change_reason = str(sorted_.data.get(FIELD_CATEGORY_REASON) or "").strip() if unmarked else None
        units = [sorted_.data["unit"]] if route == ROUTE_DIRECT else []
        routing = ROUTE_LABELS[route] + (f" ({d.units.get(units[0], units[0])})" if units else "")
        self._summary.update({"Klasifikasi": f"{classification} — {d.classifications.get(classification, '')}",
                              "Sifat": d.categories.get(category, category), "Arah surat": routing})
        await self._update(STATUS_CLASSIFIED, "registration", "classified",
                           f"Dipilah: {classification}, sifat {d.categories.get(category, category).lower()}"
                           + (" (tanda rahasia dari Front Office diubah)" if unmarked else "") + f"; arah: {routing}",
                           actor=person_of(sorted_.actor), reason=change_reason, classification=classification, category=category,
                           disposition=self._routing(route, units))

        # 2. The front office registers it: the agenda number, the receipt, and a blank sheet to write on.
        registered = await self.ask(TaskSpec(
            key=KEY_REGISTER, title=f"Registrasi surat masuk {inp.code} dan cetak tanda terima", policy=d.registration,
            subject_id=inp.code, summary=dict(self._summary),
            outcomes=[Outcome(OUTCOME_REGISTERED, "Daftarkan dan terbitkan tanda terima")]))
        officer = person_of(registered.actor)
        workflow_id = workflow.info().workflow_id
        agenda: IssuedNumberResult = await workflow.execute_activity(
            ASSIGN_NUMBER, NumberRequest(idempotency_key=f"{workflow_id}.agenda", numbering=d.agenda_numbering,
                                         timezone=d.office.timezone, subject=f"Surat masuk {inp.code}: {inp.subject}"),
            result_type=IssuedNumberResult, **STEP)
        self._summary["Nomor agenda"] = agenda.number
        receipt = await self._render("letter_receipt", "tanda-terima", "Tanda Terima Surat Masuk", agenda.number, officer.id, {
            "letter_code": inp.code, "sender": inp.sender, "sender_number": inp.sender_number, "letter_date": inp.letter_date.isoformat(),
            "subject": inp.subject, "received_at": self._received_at.isoformat(), "received_via_label": inp.received_via_label,
            "officer_name": officer.full_name,
        })
        documents = {"letter_receipt": receipt.document_id}
        needs_disposition = route != ROUTE_DIRECT
        policy = d.disposition_head if route == ROUTE_HEAD else d.disposition_admin
        if needs_disposition:
            blank = await self._render("disposition_sheet", "lembar-disposisi-kosong", "Lembar Disposisi", agenda.number, officer.id,
                                       self._sheet_fields(classification, category, policy), copies=DISPOSITION_COPIES)
            documents["disposition_sheet_blank"] = blank.document_id
        printed = "; lembar disposisi dicetak rangkap 3" if needs_disposition else "; tanda terima menjadi lembar pengantar ke unit"
        routed = await self._update(STATUS_REGISTERED, "disposition" if needs_disposition else "scan", "registered",
                                    f"Diregistrasi dengan nomor agenda {agenda.number}; tanda terima diterbitkan{printed}",
                                    actor=officer, number=agenda.number, documents=documents)

        # 3. The disposition: the head (or the head of administration) routes it to units with instructions.
        if needs_disposition:
            disposed = await self.ask(TaskSpec(
                key=KEY_DISPOSE, title=f"Disposisi surat masuk {agenda.number}: {inp.subject}", policy=policy, subject_id=inp.code,
                summary=dict(self._summary), form=disposition_form(d), outcomes=[Outcome(OUTCOME_DISPOSED, "Kirim disposisi")]))
            head = person_of(disposed.actor)
            units = list(disposed.data["units"])
            instructions = list(disposed.data["instructions"])
            note = str(disposed.data.get("note") or "").strip() or None
            acting = f" (Plh. {disposed.actor.acting_for.full_name})" if disposed.actor.acting_for else ""
            sheet = await self._render("disposition_sheet", "lembar-disposisi", "Lembar Disposisi", agenda.number, officer.id, {
                **self._sheet_fields(classification, category, policy),
                "instructions": instructions, "routes": [{"unit_name": d.units.get(u, u)} for u in units],
                **({"note": note} if note else {}), "disposed_by_name": head.full_name + acting,
                "disposed_at": disposed.decided_at.isoformat(),
            }, copies=DISPOSITION_COPIES)
            names = ", ".join(d.units.get(u, u) for u in units)
            routed = await self._update(
                STATUS_DISPOSED, "scan", "disposed", f"Didisposisikan kepada {names}: {'; '.join(instructions)}", actor=head, reason=note,
                disposition={**self._routing(route, units), "instructions": instructions, "note": note, "by": head.full_name + acting,
                             "at": disposed.decided_at.isoformat()},
                documents={"disposition_sheet": sheet.document_id})
            self._summary.update({"Disposisi": f"{names} — {'; '.join(instructions)}"})
            await self._notify("unit", f"Disposisi surat masuk {agenda.number}",
                               f"{head.full_name}{acting} mendisposisikan surat dari {inp.sender} perihal \"{inp.subject}\" kepada unit Anda.\n"
                               f"Instruksi: {'; '.join(instructions)}." + (f"\nCatatan: {note}" if note else "") +
                               "\nSurat asli diantar caraka setelah dipindai.", user_ids=routed.notify_user_ids, channels=["inapp"])
        else:
            await self._notify("unit", f"Surat masuk {agenda.number} untuk unit Anda",
                               f"Surat dari {inp.sender} perihal \"{inp.subject}\" langsung diproses di unit Anda. "
                               "Surat asli diantar caraka setelah dipindai.", user_ids=routed.notify_user_ids, channels=["inapp"])
        destination = ", ".join(d.units.get(u, u) for u in units)
        self._summary["Tujuan"] = destination

        # 4. The back office scans it and attaches the scan; a refused upload is asked for again.
        attempt, problem = 0, None
        while True:
            attempt += 1
            summary = dict(self._summary)
            if problem:
                summary["Masalah unggahan sebelumnya"] = problem
            scanned = await self.ask(TaskSpec(
                key=f"{KEY_SCAN}-{attempt}", title=f"Pindai dan unggah surat masuk {agenda.number}" + (" (ulang)" if attempt > 1 else ""),
                policy=d.scan, subject_id=inp.code, summary=summary,
                form=file_form("scan_file_id", "Berkas pindaian (PDF)", "Pindai seluruh halaman surat menjadi satu berkas PDF."),
                outcomes=[Outcome(OUTCOME_SCANNED, "Lampirkan pindaian")]))
            attached = await self._attach(scanned.data["scan_file_id"], "scan", scanned.actor.user_id)
            if attached.ok:
                break
            problem = attached.problem or "Berkas tidak dapat dilampirkan."
            await self._update(STATUS_DISPOSED if needs_disposition else STATUS_REGISTERED, "scan", f"scan-refused-{attempt}",
                               f"Unggahan pindaian ditolak: {problem}", actor=person_of(scanned.actor), reason=problem)
        await self._update(STATUS_SCANNED, "distribute", "scanned", "Surat dipindai dan pindaiannya dilampirkan", actor=person_of(scanned.actor),
                           scan_file_id=scanned.data["scan_file_id"])

        # 5. The courier delivers it and records who received it.
        delivered = await self.ask(TaskSpec(
            key=KEY_DISTRIBUTE, title=f"Antar surat masuk {agenda.number} ke {destination}", policy=d.distribute, subject_id=inp.code,
            summary=dict(self._summary), form=delivery_form(), outcomes=[Outcome(OUTCOME_DELIVERED, "Surat telah diterima unit")]))
        received_by = str(delivered.data["received_by"]).strip()
        await self._update(STATUS_DISTRIBUTED, "done", "distributed", f"Surat diterima di {destination} oleh {received_by}",
                           actor=person_of(delivered.actor), delivered_to=received_by, finished=True)
        return LetterResult(status=STATUS_DISTRIBUTED, number=agenda.number)

    def _routing(self, route: str, units: list[str]) -> dict:
        names = self._input.definition.units
        return {"route": route, "route_label": ROUTE_LABELS[route], "units": [{"code": u, "name": names.get(u, u)} for u in units]}

    def _sheet_fields(self, classification: str, category: str, policy: TaskPolicy) -> dict:
        inp, d = self._input, self._input.definition
        return {
            "letter_code": inp.code, "sender": inp.sender, "sender_number": inp.sender_number, "letter_date": inp.letter_date.isoformat(),
            "subject": inp.subject, "received_at": required(self._received_at, "the letter's reception time").isoformat(),
            "classification": f"{classification} — {d.classifications.get(classification, '')}",
            "category_label": d.categories.get(category, category), "to_label": policy.role_label or policy.role,
            "instruction_options": list(d.disposition_instructions), "instructions": [], "routes": [],
        }

    async def _render(self, kind: str, key: str, title: str, number: str, owner_id: int, fields: dict,
                      copies: list[str] | None = None) -> DocumentResult:
        workflow_id = workflow.info().workflow_id
        return await workflow.execute_activity(
            RENDER_COUNTER_DOCUMENT,
            CounterDocumentInput(idempotency_key=f"{workflow_id}.{key}", workflow_id=workflow_id, kind=kind, title=title,
                                 office=self._input.definition.office, issued_at=workflow.now(), number=number, fields=fields,
                                 copies=copies or [], owner_id=owner_id),
            result_type=DocumentResult, **DOCUMENT)


# --- outgoing ----------------------------------------------------------------------------------------


@workflow.defn(name="OutgoingLetter")
class OutgoingLetterWorkflow(_LetterWorkflow):
    @workflow.run
    async def run(self, inp: OutgoingLetterInput) -> LetterResult:
        d = inp.definition
        self._letter_id, self._code = inp.letter_id, inp.code
        self._requester, self._subject = inp.requester, inp.subject
        self.use_calendar(d.calendar)
        requester = inp.requester
        summary = {"Kode permintaan": inp.code, "Perihal": inp.subject, "Kepada": inp.recipient,
                   "Kode klasifikasi": f"{inp.classification} — {d.classifications.get(inp.classification, '')}",
                   "Tanggal surat": long_date(inp.letter_date), "Diminta oleh": f"{requester.full_name} ({inp.unit_name})",
                   "Softcopy": "sudah dilampirkan" if inp.softcopy_file_id else "belum dilampirkan"}
        await self._update(STATUS_REQUESTED, "format_check", "requested",
                           f"Permintaan nomor surat keluar oleh {requester.full_name} ({inp.unit_name})", actor=requester)

        # 1. The correspondence officer checks the format and the classification code.
        checked = await self.ask(TaskSpec(
            key=KEY_FORMAT, title=f"Periksa format dan kode klasifikasi surat keluar {inp.code}: {inp.subject}", policy=d.format_check,
            subject_id=inp.code, summary=summary,
            outcomes=[Outcome(OUTCOME_ACCEPT, "Terima: format dan kode klasifikasi sesuai"),
                      Outcome(OUTCOME_REJECT, "Tolak dengan catatan", requires_reason=True)]))
        if checked.outcome == OUTCOME_REJECT:
            notes = checked.reason or ""
            await self._update(STATUS_REJECTED, "rejected", "rejected", f"Ditolak oleh {checked.actor.full_name}: {notes}",
                               actor=person_of(checked.actor), reason=notes, notes=notes, finished=True)
            await self._notify("rejected", f"Permintaan nomor surat keluar {inp.code} ditolak",
                               f"Permintaan nomor untuk surat \"{inp.subject}\" ditolak oleh petugas persuratan.\nCatatan: {notes}\n"
                               "Perbaiki surat sesuai catatan lalu ajukan permintaan nomor yang baru.", user_ids=[requester.id])
            return LetterResult(status=STATUS_REJECTED, reason=notes)
        await self._update(STATUS_ACCEPTED, "softcopy" if not inp.softcopy_file_id else "numbering", "accepted",
                           "Format dan kode klasifikasi sesuai" + ("" if inp.softcopy_file_id else "; menunggu softcopy surat untuk arsip"),
                           actor=person_of(checked.actor))

        # 2. The softcopy, for the archive: the one sent with the request, or asked of the requester.
        file_id, uploader, attempt, problem = inp.softcopy_file_id, requester.id, 0, None
        while True:
            if file_id:
                attached = await self._attach(file_id, "softcopy", uploader)
                if attached.ok:
                    break
                problem = attached.problem or "Berkas tidak dapat dilampirkan."
                await self._update(STATUS_ACCEPTED, "softcopy", f"softcopy-refused-{attempt}", f"Softcopy ditolak: {problem}", reason=problem)
            attempt += 1
            task_summary = {**summary, **({"Masalah unggahan sebelumnya": problem} if problem else {})}
            sent = await self.ask(TaskSpec(
                key=f"{KEY_SOFTCOPY}-{attempt}", title=f"Unggah softcopy surat keluar {inp.code} untuk arsip", policy=d.softcopy,
                owner=requester, subject_id=inp.code, summary=task_summary,
                form=file_form("softcopy_file_id", "Softcopy surat (PDF)", "Berkas final surat yang akan diberi nomor."),
                outcomes=[Outcome(OUTCOME_SCANNED, "Lampirkan softcopy")]))
            file_id, uploader = sent.data["softcopy_file_id"], sent.actor.user_id
        await self._update(STATUS_ACCEPTED, "numbering", "softcopy-archived", "Softcopy surat diarsipkan", softcopy_file_id=file_id)

        # 3. The number, from the one outgoing register (same scope as every other outgoing letter).
        # In the office's own register (the office of the snapshot; "" for a run from before offices: the first office).
        numbering = NumberingFormat(scope=d.outgoing_numbering.scope, format=d.outgoing_numbering.format,
                                    fields={**d.outgoing_numbering.fields, "classification": inp.classification},
                                    office=d.outgoing_numbering.office)
        issued: IssuedNumberResult = await workflow.execute_activity(
            ASSIGN_NUMBER, NumberRequest(idempotency_key=f"{workflow.info().workflow_id}.nomor", numbering=numbering,
                                         timezone=d.office.timezone, subject=f"Surat keluar {inp.code}: {inp.subject}"),
            result_type=IssuedNumberResult, **STEP)
        await self._update(STATUS_NUMBERED, "numbered", "numbered", f"Nomor surat keluar {issued.number} diberikan",
                           number=issued.number, finished=True)
        await self._notify("numbered", f"Nomor surat keluar: {issued.number}",
                           f"Surat \"{inp.subject}\" kepada {inp.recipient} mendapat nomor {issued.number}. "
                           "Cantumkan nomor ini pada surat sebelum dikirim.", user_ids=[requester.id])
        return LetterResult(status=STATUS_NUMBERED, number=issued.number)
