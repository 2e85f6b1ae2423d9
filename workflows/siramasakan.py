"""SIRAMASAKAN (seed 000 §4): a court case's documents and the population-data changes it causes.

The applicant files the request with the case → it waits, durably and for as long as the case takes,
until court staff (panitera) mark the case decided and the documents complete, recording the case
number and the decision date → the hand-off to the civil registry (Disdukcapil): to its endpoint over
HTTP when the run started with one configured (the registry reports back through the signed webhook, an
update here whose validator refuses a report the run is not waiting for), otherwise to the civil-registry
officer's inbox → while the registry has not reported, the civil-registry officers and the court staff are
reminded every N working days → the applicant is told which new documents to collect and where, or why the
change was refused and what to do.
"""

import asyncio
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import (
        REGISTRY_OUTCOME,
        REPORT_REGISTRY_OUTCOME,
        SEND_REGISTRY_HANDOFF,
        UPDATE_SIRAMASAKAN,
        WORKING_DEADLINE,
        CancelRunRequest,
        DeadlineInput,
        DeadlineResult,
        DecisionRequest,
        NotifyInput,
        Outcome,
        Person,
        RegistryHandoff,
        RegistryHandoffResult,
        RegistryOutcome,
        RegistryOutcomeAck,
        SiramasakanInput,
        SiramasakanResult,
        SiramasakanUpdate,
        TaskSpec,
    )
    from workflows.human_task import ERR_INVALID, HumanTaskWorkflow, person_of, required
    from workflows.options import STEP

with workflow.unsafe.imports_passed_through():
    # The statuses are part of the contract (with their labels, tones and next steps: contracts/vocabulary.py).
    from contracts.siramasakan import (  # noqa: F401
        FINAL_STATUSES, STATUS_WAITING, STATUS_HANDED_OFF, STATUS_DONE, STATUS_REFUSED, STATUS_CANCELLED,
    )
# The registry reported on a request the run is not waiting on (not handed off to it, already reported, cancelled).
ERR_NOT_WAITING = "NotWaitingForRegistry"

# Case numbers of the religious courts (Mahkamah Syar'iyah / Pengadilan Agama): contentious (Pdt.G) and
# voluntary (Pdt.P) civil cases, e.g. "123/Pdt.G/2026/MS.Lsm" or "45/Pdt.P/2025/PA.Smg".
CASE_NUMBER = re.compile(r"^(\d{1,6})/Pdt\.([GP])/(\d{4})/(MS|PA)\.([A-Za-z]{2,12})$", re.IGNORECASE)

_INDONESIAN_ZONES = {"Asia/Jakarta": 7, "Asia/Pontianak": 7, "Asia/Makassar": 8, "Asia/Jayapura": 9}


def siramasakan_workflow_id(code: str) -> str:
    return f"siramasakan-{code}"


def normalize_case_number(raw: str) -> str | None:
    """The case number in its canonical spelling, or None when it is not a religious court's civil case number."""
    m = CASE_NUMBER.match((raw or "").strip().replace(" ", ""))
    if not m:
        return None
    number, kind, year, court, place = m.groups()
    return f"{int(number)}/Pdt.{kind.upper()}/{year}/{court.upper()}.{place[0].upper()}{place[1:]}"


def documents_to_collect(inp: SiramasakanInput) -> list[str]:
    """The new documents of every change, each once, in the order the changes name them."""
    kinds = inp.definition.change_kinds
    return list(dict.fromkeys(doc for c in inp.changes for doc in (kinds[c.kind].documents if c.kind in kinds else [])))


@workflow.defn(name="SiramasakanRequest")
class SiramasakanWorkflow(HumanTaskWorkflow):
    process = "siramasakan"

    def __init__(self) -> None:
        super().__init__()
        self._inp: SiramasakanInput | None = None
        self._filed_on: date | None = None
        self._outcome: RegistryOutcome | None = None
        self._waiting_external = False
        self._reported = False
        self._status = STATUS_WAITING

    @property
    def _input(self) -> SiramasakanInput:
        """The run's input: set first thing in run(), so any step, handler or decision after it reads it."""
        return required(self._inp, "the Siramasakan request's input")

    @workflow.run
    async def run(self, inp: SiramasakanInput) -> SiramasakanResult:
        self._inp = inp
        d = inp.definition
        self.use_calendar(d.calendar)
        self._filed_on = self._local(workflow.now()).date()
        await self._update(STATUS_WAITING, "case_completion", "filed", f"Permohonan SIRAMASAKAN diajukan oleh {inp.applicant.full_name} "
                           f"untuk perkara {inp.case_number} ({len(inp.changes)} perubahan data kependudukan)", actor=inp.applicant)
        await self._tell_applicant("filed", "Permohonan SIRAMASAKAN diterima",
                                   f"Permohonan SIRAMASAKAN {inp.code} untuk perkara {inp.case_number} telah kami terima. Setelah perkara "
                                   "diputus dan dokumen lengkap, petugas kepaniteraan menyerahkan perubahan data kependudukan Anda "
                                   "kepada Disdukcapil. Anda akan diberi tahu pada setiap tahap.", channels=["inapp", "email"])

        case = await self.ask(TaskSpec(
            key="putusan", title=f"Perkara diputus dan dokumen lengkap — {inp.case_number}", policy=d.case_completion, subject_id=inp.code,
            summary=self._summary(),
            form={"type": "object", "required": ["case_number", "decision_date"], "properties": {
                "case_number": {"type": "string", "title": "Nomor perkara", "maxLength": 80,
                                "description": f"Nomor perkara dari permohonan: {inp.case_number}"},
                "decision_date": {"type": "string", "title": "Tanggal putusan (TTTT-BB-HH)", "format": "date", "maxLength": 10}}},
            outcomes=[Outcome("lengkap", "Perkara diputus dan dokumen lengkap — serahkan ke Disdukcapil")],
        ))
        case_number = normalize_case_number(case.data["case_number"]) or inp.case_number
        decision_date = case.data["decision_date"].strip()
        await self._update(STATUS_WAITING, "handoff", "decided", f"Perkara {case_number} diputus pada {self._indonesian(date.fromisoformat(decision_date))} "
                           "dan dokumen dinyatakan lengkap", actor=person_of(case.actor), decision_date=decision_date, decided_case_number=case_number)

        reminders = None
        if d.registry_url:
            self._waiting_external = True
            sent: RegistryHandoffResult = await workflow.execute_activity(SEND_REGISTRY_HANDOFF, RegistryHandoff(
                idempotency_key=f"{workflow.info().workflow_id}.handoff", registry_url=d.registry_url, request_code=inp.code,
                case_number=case_number, decision_date=decision_date, kk_number=inp.kk_number, changes=list(inp.changes),
                callback_url=inp.callback_url), result_type=RegistryHandoffResult, **STEP)
            await self._update(STATUS_HANDED_OFF, "registry", "handed-off",
                               f"Diserahkan ke sistem Disdukcapil (referensi {sent.reference}); menunggu laporan Disdukcapil",
                               handoff_path="external", handed_off_at=workflow.now(), registry_reference=sent.reference)
            await self._tell_applicant("handed-off", "Permohonan diserahkan ke Disdukcapil", self._handed_off_text(case_number))
            reminders = asyncio.create_task(self._remind_while_waiting())
            await workflow.wait_condition(lambda: self._outcome is not None)
            outcome = required(self._outcome, "the registry's outcome")
            processed, reason, actor = outcome.status == "processed", outcome.reason, None
        else:
            await self._update(STATUS_HANDED_OFF, "registry", "handed-off",
                               "Diserahkan ke Petugas Pencatatan Sipil (Disdukcapil) melalui Kotak Tugas SatuPintu",
                               handoff_path="internal", handed_off_at=workflow.now())
            await self._tell_applicant("handed-off", "Permohonan diserahkan ke Disdukcapil", self._handed_off_text(case_number))
            reminders = asyncio.create_task(self._remind_while_waiting())
            registry = await self.ask(TaskSpec(
                key="dukcapil", title=f"Proses perubahan data kependudukan — perkara {case_number}", policy=d.civil_registry,
                subject_id=inp.code, summary={**self._summary(), "Nomor perkara (putusan)": case_number, "Tanggal putusan": decision_date},
                outcomes=[Outcome("diproses", "Perubahan data diproses"), Outcome("ditolak", "Ditolak", requires_reason=True)],
            ))
            processed, reason, actor = registry.outcome == "diproses", registry.reason, person_of(registry.actor)
        self._reported = True
        await reminders

        if processed:
            docs = documents_to_collect(inp)
            await self._update(STATUS_DONE, "finished", "processed", "Perubahan data kependudukan diproses oleh Disdukcapil; dokumen baru: "
                               + ", ".join(docs), actor=actor, outcome="processed", documents_to_collect=docs, finished=True)
            lines = "\n".join(f"- {doc}" for doc in docs)
            await self._tell_applicant("processed", "Dokumen kependudukan baru siap diambil",
                                       f"Perubahan data kependudukan untuk perkara {case_number} (permohonan {inp.code}) telah diproses "
                                       f"oleh Disdukcapil. Silakan ambil dokumen baru berikut:\n{lines}\n\nTempat pengambilan: "
                                       f"{d.collection_office}.\nBawa KTP-el lama, KK lama, dan salinan putusan {case_number}.")
            return SiramasakanResult(status=STATUS_DONE, outcome="processed", documents=docs)
        reason = (reason or "").strip() or "Disdukcapil tidak menyebutkan alasannya."
        await self._update(STATUS_REFUSED, "finished", "refused", f"Perubahan data kependudukan ditolak oleh Disdukcapil: {reason}",
                           actor=actor, outcome="refused", outcome_reason=reason, reason=reason, finished=True)
        await self._tell_applicant("refused", "Perubahan data kependudukan ditolak",
                                   f"Perubahan data kependudukan untuk perkara {case_number} (permohonan {inp.code}) ditolak oleh "
                                   f"Disdukcapil dengan alasan: {reason}\n\nYang perlu Anda lakukan: hubungi loket PTSP "
                                   f"{d.office.name} ({d.office.address}) dengan membawa salinan putusan dan KK, atau datang ke "
                                   f"{d.collection_office} untuk menanyakan kekurangannya.")
        return SiramasakanResult(status=STATUS_REFUSED, outcome="refused", reason=reason)

    # -- the registry's callback ----------------------------------------------------------------------

    @workflow.update(name=REPORT_REGISTRY_OUTCOME)
    def report_registry_outcome(self, outcome: RegistryOutcome) -> RegistryOutcomeAck:
        # The validator let through only a report this run waits for, or the very one it took, delivered again.
        if self._outcome is not None:
            return RegistryOutcomeAck(event_id=outcome.event_id, status="duplicate")
        self._outcome = outcome
        return RegistryOutcomeAck(event_id=outcome.event_id, status="accepted")

    @report_registry_outcome.validator
    def _check_registry_outcome(self, outcome: RegistryOutcome) -> None:
        """The run has the last word on whether a report applies: the gateway stores a callback only once it is
        accepted here, so a report the run would drop is answered 409 and leaves no trace."""
        if self._outcome is not None and self._outcome.event_id == outcome.event_id:
            return
        if outcome.status not in ("processed", "refused"):
            raise ApplicationError("Status laporan harus 'processed' atau 'refused'.", type=ERR_INVALID)
        cancelling = self._winding_down or self._cancel_request is not None or self._status == STATUS_CANCELLED
        if self._waiting_external and self._outcome is None and not cancelling:
            return
        code = self._inp.code if self._inp else "ini"
        if cancelling:
            message = f"Permohonan {code} sudah dibatalkan; laporan Disdukcapil tidak diterapkan."
        elif self._outcome is not None:
            message = f"Hasil permohonan {code} sudah dilaporkan (event {self._outcome.event_id}); laporan ini tidak diterapkan."
        elif self._inp is not None and not self._inp.definition.registry_url:
            message = (f"Permohonan {code} diserahkan melalui Kotak Tugas SatuPintu, bukan sistem Disdukcapil; "
                       "laporan ini tidak diterapkan.")
        else:
            message = (f"Permohonan {code} belum diserahkan ke Disdukcapil (perkara belum diputus atau dokumen belum lengkap); "
                       "laporan ini tidak diterapkan.")
        raise ApplicationError(message, type=ERR_NOT_WAITING)

    @workflow.signal(name=REGISTRY_OUTCOME)
    def registry_outcome(self, outcome: RegistryOutcome) -> None:
        # How the gateway delivered the report before REPORT_REGISTRY_OUTCOME; kept so runs that received it replay.
        if self._waiting_external and self._outcome is None and outcome.status in ("processed", "refused") and not self._winding_down:
            self._outcome = outcome

    @workflow.query
    def status(self) -> str:
        return self._status

    async def on_cancelled(self, cancel: CancelRunRequest | None) -> None:
        inp = self._inp
        if inp is None or self._status in (STATUS_DONE, STATUS_REFUSED):
            return
        # The hand-off reminders stop with the request.
        self._reported = True
        reason = self.cancel_reason(cancel)
        await self._update(STATUS_CANCELLED, "finished", "cancelled", self.cancelled_line(cancel), actor=self.canceller_person(cancel),
                           reason=reason, outcome="cancelled", outcome_reason=reason, finished=True)
        d = inp.definition
        await self._tell_applicant("cancelled", "Permohonan SIRAMASAKAN dibatalkan",
                                   f"Permohonan SIRAMASAKAN {inp.code} untuk perkara {inp.case_number} dibatalkan oleh {self.canceller(cancel)}.\n"
                                   f"Alasan: {reason}\n\nSilakan ajukan kembali permohonan baru bila masih diperlukan, atau hubungi loket PTSP "
                                   f"{d.office.name} ({d.office.address}).")

    # -- decision rules ---------------------------------------------------------------------------------

    def check_decision(self, spec: TaskSpec, request: DecisionRequest) -> None:
        if spec.key != "putusan":
            return
        if normalize_case_number(str(request.data.get("case_number", ""))) is None:
            raise ApplicationError("Nomor perkara tidak sesuai format, contoh: 123/Pdt.G/2026/MS.Lsm.", type=ERR_INVALID)
        try:
            decided = date.fromisoformat(str(request.data.get("decision_date", "")).strip())
        except ValueError:
            raise ApplicationError("Tanggal putusan tidak valid; gunakan format TTTT-BB-HH.", type=ERR_INVALID) from None
        today = self._local(workflow.now()).date()
        if decided > today:
            raise ApplicationError("Tanggal putusan tidak boleh melewati hari ini.", type=ERR_INVALID)
        if self._filed_on is not None and decided < self._filed_on:
            raise ApplicationError(f"Tanggal putusan tidak boleh sebelum permohonan diajukan ({self._indonesian(self._filed_on)}).", type=ERR_INVALID)

    # -- reminders while the registry has not reported -------------------------------------------------

    async def _remind_while_waiting(self) -> None:
        d = self._input.definition
        sent = 0
        while not self._reported:
            due: DeadlineResult = await workflow.execute_activity(WORKING_DEADLINE, DeadlineInput(
                calendar=d.calendar, start=workflow.now(), working_days=d.handoff_reminder_every_working_days),
                result_type=DeadlineResult, **STEP)
            try:
                await workflow.wait_condition(lambda: self._reported, timeout=max(due.deadline - workflow.now(), timedelta(seconds=0)))
                return
            except TimeoutError:
                pass
            sent += 1
            inp = self._input
            await self._update("", "", f"handoff-reminder.{sent}", f"Pengingat ke-{sent}: Disdukcapil belum melaporkan hasil hand-off",
                               reminded=True)
            await self.notify(NotifyInput(
                idempotency_key=f"{workflow.info().workflow_id}.handoff-reminder.{sent}",
                subject="Pengingat: hand-off SIRAMASAKAN belum dilaporkan",
                body=f"Permohonan SIRAMASAKAN {inp.code} (perkara {inp.case_number}) sudah diserahkan ke Disdukcapil namun hasilnya "
                     f"belum dilaporkan. Ini pengingat ke-{sent}; mohon ditindaklanjuti.",
                recipient_roles=[d.civil_registry.role, d.case_completion.role], link=f"/siramasakan/{inp.code}"))

    # -- side effects -----------------------------------------------------------------------------------

    async def _update(self, status: str, stage: str, key: str, title: str, *, actor: Person | None = None,
                      reason: str | None = None, **fields: Any) -> None:
        """Projects the request and adds a timeline line; empty status/stage keep the row's own (the reminders
        run beside the steps)."""
        inp = self._input
        if status:
            self._status = status
        event = self.timeline_event(inp.code, key, title, actor=actor, reason=reason)
        await self.project(UPDATE_SIRAMASAKAN, SiramasakanUpdate(request_id=inp.request_id, status=status, stage=stage, event=event, **fields))

    async def _tell_applicant(self, key: str, subject: str, body: str, channels: list[str] | None = None) -> None:
        inp = self._input
        await self.notify(NotifyInput(
            idempotency_key=f"{workflow.info().workflow_id}.applicant.{key}", subject=subject, body=body,
            recipient_ids=[inp.applicant.id], channels=channels or ["inapp", "email", "whatsapp"], link=f"/siramasakan/{inp.code}"))

    def _handed_off_text(self, case_number: str) -> str:
        inp = self._input
        return (f"Perkara {case_number} telah diputus dan dokumen lengkap. Permohonan perubahan data kependudukan {inp.code} telah "
                "diserahkan kepada Disdukcapil. Kami akan memberi tahu Anda dokumen apa yang dapat diambil dan di mana setelah "
                "Disdukcapil memprosesnya.")

    def _summary(self) -> dict:
        inp = self._input
        kinds = inp.definition.change_kinds
        summary = {"Kode permohonan": inp.code, "Pemohon": inp.applicant.full_name, "Nomor perkara": inp.case_number, "Nomor KK": inp.kk_number}
        for i, c in enumerate(inp.changes, 1):
            label = kinds[c.kind].label if c.kind in kinds else c.kind
            summary[f"Perubahan {i}"] = f"NIK {c.nik}: {label}" + (f" — {c.description}" if c.description else "")
        return summary

    def _local(self, moment: datetime) -> datetime:
        # Indonesian zones keep no daylight saving: a fixed offset, so no zone database (a file read) is needed.
        return moment.astimezone(timezone(timedelta(hours=_INDONESIAN_ZONES.get(self._input.definition.office.timezone, 7))))

    @staticmethod
    def _indonesian(day: date) -> str:
        months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"]
        return f"{day.day} {months[day.month - 1]} {day.year}"
