"""A run's Temporal history turned into lines a person can read, in Bahasa Indonesia.

The history is the record an auditor trusts: it is what replay checks against the code. So the timeline is
read from the history alone (never from the SQL projections), by walking its events: the activities a run
scheduled (with their inputs, and their results correlated by `scheduled_event_id`), the updates it accepted,
its timers, signals and how it closed. The payloads are decoded into plain JSON values, so a history recorded
by an older version of the code still reads; an event or activity not known here still gets a neutral line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import Payloads
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from contracts import (
    ASSIGN_NUMBER,
    ATTACH_LETTER_FILE,
    CANCEL_RUN,
    CLAIM_PERMIT_DOWNLOAD,
    CLOSE_TASK,
    DECIDE_TASK,
    DELEGATE_TASK,
    NOTIFY,
    OPEN_TASK,
    REASSIGN_TASK,
    RECORD_EVENT,
    REGISTRY_OUTCOME,
    REMIND_TASK,
    RENDER_COUNTER_DOCUMENT,
    RENDER_LEAVE_LETTER,
    RENDER_PERMIT,
    REPLY_WHATSAPP,
    REQUEST_PERMIT_REISSUE,
    RESUBMIT_PERMIT,
    SEND_REGISTRY_HANDOFF,
    UPDATE_TASK,
    WHATSAPP_AUTO_REPLY,
    WHATSAPP_MESSAGE,
    WORKING_DEADLINE,
)
from process_defs.loader import load_roles
from process_defs.processes import BY_WORKFLOW_TYPE
from store.payload_codec import decode_message


@dataclass
class RunEvent:
    at: datetime  # aware UTC
    kind: str
    title: str
    actor: str | None = None  # "Full Name (username)" when a person did it
    role: str | None = None  # role label where it applies
    outcome: str | None = None
    reason: str | None = None
    detail: dict = field(default_factory=dict)


class RunNotFound(Exception):
    """Temporal has no run with this workflow id (and run id)."""


async def fetch_history(client: Client, workflow_id: str, run_id: str | None = None, *, decode: bool = True) -> WorkflowHistory:
    """The run's full history; the latest run of the workflow id when run_id is None. Decrypted for reading, unless
    `decode` is false: the replayer takes it as stored and decodes it through the client's codec, exactly as the
    worker did (which payloads the worker decoded, and whether it refused one in clear)."""
    try:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise RunNotFound(workflow_id) from exc
        raise
    # Payloads are encrypted in Temporal (store/payload_codec.py): decrypted here, through the client's codec, so
    # the timeline, the export and the replayer read them; a payload recorded in clear passes through.

    if not decode:
        return history
    for event in history.events:
        await decode_message(event, client.data_converter.payload_codec)
    return history


# --- decoding --------------------------------------------------------------------------------------------


def decode_payloads(payloads: Payloads | None) -> list[Any]:
    """Plain JSON values (dicts, lists, strings…) of a payload list; an undecodable payload reads as None.

    Encrypted payloads are decrypted by fetch_history (through the client's codec) before they get here; one that
    is still encrypted (an unknown key) reads as None."""
    if payloads is None or not payloads.payloads:
        return []
    try:
        return list(pydantic_data_converter.payload_converter.from_payloads(list(payloads.payloads), None))
    except Exception:  # noqa: BLE001 - a foreign encoding must not stop the timeline
        return [None for _ in payloads.payloads]


def _first(payloads: Payloads | None) -> Any:
    values = decode_payloads(payloads)
    return values[0] if values else None


def _at(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def person_label(person: Any) -> str | None:
    """ "Full Name (username)" of an Actor or Person payload."""
    p = _dict(person)
    name, username = p.get("full_name"), p.get("username")
    if name and username:
        return f"{name} ({username})"
    return name or username or None


def role_label(role: str | None) -> str | None:
    if not role:
        return None
    try:
        return load_roles().get(role, role)
    except Exception:  # noqa: BLE001 - the office file is a nicety here, the role name still reads
        return role


def _duration_id(seconds: float) -> str:
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} hari" if days else "", f"{hours} jam" if hours else "", f"{minutes} menit" if minutes else ""]
    text = " ".join(p for p in parts if p)
    return text or f"{secs} detik"


def _failure_message(failure: Any) -> str:
    message = getattr(failure, "message", "") or ""
    cause = getattr(failure, "cause", None)
    while cause is not None and cause.message:
        message = f"{message}: {cause.message}" if message else cause.message
        cause = cause.cause if cause.HasField("cause") else None
    return message or "tanpa keterangan"


# --- the walk ----------------------------------------------------------------------------------------------

# Plumbing of the workflow engine that a reader of the run does not need to see.
_SILENT = {
    "workflow_task_scheduled_event_attributes",
    "workflow_task_started_event_attributes",
    "workflow_task_completed_event_attributes",
    "activity_task_started_event_attributes",
    "activity_task_cancel_requested_event_attributes",
    "timer_started_event_attributes",
    "timer_canceled_event_attributes",
    "upsert_workflow_search_attributes_event_attributes",
    "workflow_properties_modified_event_attributes",
    "workflow_execution_update_admitted_event_attributes",
}

# Activities that compute something for the workflow and change nothing a person would look for.
_QUIET_ACTIVITIES = {WORKING_DEADLINE}

_UPDATE_LABELS = {
    DECIDE_TASK: "Keputusan tugas",
    DELEGATE_TASK: "Delegasi tugas",
    REASSIGN_TASK: "Pengalihan tugas",
    REMIND_TASK: "Pengingat tugas",
    CANCEL_RUN: "Pembatalan proses",
    RESUBMIT_PERMIT: "Pengajuan ulang perbaikan",
    CLAIM_PERMIT_DOWNLOAD: "Pengunduhan izin",
    REQUEST_PERMIT_REISSUE: "Permintaan terbit ulang izin",
    REPLY_WHATSAPP: "Balasan WhatsApp petugas",
}

# Who started a run, by the field of the start input that names them.
_STARTER_FIELDS = ("employee", "applicant", "requester", "registered_by", "received_by")


class _Walk:
    def __init__(self, history: WorkflowHistory) -> None:
        self.history = history
        self.events: list[RunEvent] = []
        self.scheduled: dict[int, tuple[str, Any, HistoryEvent]] = {}
        self.tasks: dict[str, dict] = {}  # task_id → open_task input (title, role, outcomes…)
        self.timers: dict[str, float] = {}
        self.updates: dict[str, str] = {}  # update id → name
        self.workflow_type = ""

    def add(self, event: HistoryEvent, kind: str, title: str, **kwargs: Any) -> RunEvent:
        line = RunEvent(at=_at(event), kind=kind, title=title, **kwargs)
        line.detail.setdefault("event_id", event.event_id)
        self.events.append(line)
        return line

    def run(self) -> list[RunEvent]:
        for event in self.history.events:
            which = event.WhichOneof("attributes")
            if which is None:
                continue
            attrs = getattr(event, which)
            if which == "timer_started_event_attributes":
                self.timers[attrs.timer_id] = attrs.start_to_fire_timeout.ToTimedelta().total_seconds()
            if which in _SILENT:
                continue
            handler = getattr(self, "_" + which.removesuffix("_event_attributes"), None)
            try:
                if handler is not None:
                    handler(event, attrs)
                else:
                    self._unknown(event, which)
            except Exception as exc:  # noqa: BLE001 - one odd payload never hides the rest of the run
                self.add(event, "unreadable", f"Peristiwa {event.event_type} tidak dapat dibaca", detail={"error": str(exc)})
        return self.events

    def _unknown(self, event: HistoryEvent, which: str) -> None:
        name = which.removesuffix("_event_attributes")
        self.add(event, name, f"Peristiwa Temporal: {name.replace('_', ' ')}")

    # -- start and close ------------------------------------------------------------------------------

    def _workflow_execution_started(self, event: HistoryEvent, a: Any) -> None:
        self.workflow_type = a.workflow_type.name
        process = BY_WORKFLOW_TYPE.get(self.workflow_type)
        label = process.label if process else self.workflow_type
        inp = _dict(_first(a.input))
        starter = next((person_label(inp[f]) for f in _STARTER_FIELDS if isinstance(inp.get(f), dict)), None)
        if starter is None and isinstance(inp.get("complainant"), dict):
            starter = inp["complainant"].get("name") or None
        if starter is None and isinstance(inp.get("visitor"), dict):
            starter = inp["visitor"].get("name") or None
        title = f"Proses {label} dimulai" + (f" oleh {starter}" if starter else "")
        detail = {"workflow_type": self.workflow_type, "process": process.name if process else None, "identity": a.identity}
        if a.continued_execution_run_id:
            title += " (lanjutan dari run sebelumnya)"
            detail["continued_from_run_id"] = a.continued_execution_run_id
        self.add(event, "started", title, actor=starter, detail=detail)

    def _workflow_execution_completed(self, event: HistoryEvent, a: Any) -> None:
        result = _dict(_first(a.result))
        status = result.get("status")
        self.add(event, "completed", "Proses selesai" + (f" dengan status {status}" if status else ""),
                 outcome=status, reason=result.get("reason"), detail={"result": result})

    def _workflow_execution_failed(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "failed", f"Proses gagal: {_failure_message(a.failure)}", reason=_failure_message(a.failure))

    def _workflow_execution_canceled(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "cancelled", "Proses dibatalkan")

    def _workflow_execution_cancel_requested(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "cancel_requested", "Pembatalan proses diminta" + (f": {a.cause}" if a.cause else ""),
                 reason=a.cause or None, detail={"identity": a.identity})

    def _workflow_execution_terminated(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "terminated", "Proses dihentikan paksa" + (f": {a.reason}" if a.reason else ""),
                 reason=a.reason or None, detail={"identity": a.identity})

    def _workflow_execution_timed_out(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "timed_out", "Proses melewati batas waktu eksekusi dan berhenti")

    def _workflow_execution_continued_as_new(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "continued_as_new", "Proses dilanjutkan sebagai run baru (riwayat dipersingkat)",
                 detail={"new_run_id": a.new_execution_run_id})

    def _workflow_task_failed(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "workflow_task_failed", f"Langkah alur kerja gagal dijalankan: {_failure_message(a.failure)}",
                 reason=_failure_message(a.failure))

    def _workflow_task_timed_out(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "workflow_task_timed_out", "Langkah alur kerja tidak diselesaikan worker tepat waktu")

    # -- timers, signals, markers -----------------------------------------------------------------------

    def _timer_fired(self, event: HistoryEvent, a: Any) -> None:
        seconds = self.timers.get(a.timer_id)
        waited = f" setelah {_duration_id(seconds)}" if seconds is not None else ""
        self.add(event, "timer", f"Batas waktu tercapai{waited}", detail={"timer_id": a.timer_id})

    def _workflow_execution_signaled(self, event: HistoryEvent, a: Any) -> None:
        value = _dict(_first(a.input))
        if a.signal_name == WHATSAPP_MESSAGE:
            sender = value.get("contact_name")
            title = "Pesan WhatsApp masuk" + (f" dari {sender}" if sender else "")
        elif a.signal_name == REGISTRY_OUTCOME:
            title = f"Hasil dari Disdukcapil diterima: {value.get('status', '-')}"
            self.add(event, "signal", title, outcome=value.get("status"), reason=value.get("reason"),
                     detail={"signal": a.signal_name, "identity": a.identity})
            return
        else:
            title = f"Sinyal '{a.signal_name}' diterima"
        self.add(event, "signal", title, detail={"signal": a.signal_name, "identity": a.identity})

    def _marker_recorded(self, event: HistoryEvent, a: Any) -> None:
        if a.marker_name == "core_patch":
            patch_id = _dict(_first(a.details["patch-data"])).get("id") if "patch-data" in a.details else None
            self.add(event, "marker", "Penanda versi kode" + (f" '{patch_id}'" if patch_id else ""), detail={"marker": a.marker_name})
        else:
            self.add(event, "marker", f"Penanda '{a.marker_name}' dicatat", detail={"marker": a.marker_name})

    # -- updates --------------------------------------------------------------------------------------------

    def _workflow_execution_update_accepted(self, event: HistoryEvent, a: Any) -> None:
        name = a.accepted_request.input.name
        self.updates[a.protocol_instance_id] = name
        request = _dict(_first(a.accepted_request.input.args))
        if name in (DECIDE_TASK, DELEGATE_TASK):
            # The close_task / update_task activity the handler runs tells the step with its titles.
            return
        actor = person_label(request.get("actor"))
        detail = {"update": name, "identity": a.accepted_request.meta.identity}
        if request.get("task_id"):
            detail["task_id"] = request["task_id"]
        task_title = self.tasks.get(request.get("task_id") or "", {}).get("title")
        if name == CANCEL_RUN:
            self.add(event, "cancel_requested", f"Pembatalan proses diminta oleh {actor or 'pemilik proses'}",
                     actor=actor, reason=request.get("reason"), detail=detail)
        elif name == REASSIGN_TASK:
            to_person = person_label(request.get("to_person"))
            to = to_person or request.get("to_role_label") or role_label(request.get("to_role")) or "-"
            self.add(event, "task_changed", f"Tugas '{task_title or request.get('task_id')}' dialihkan kepada {to} oleh {actor or '-'}",
                     actor=actor, reason=request.get("reason"), detail={**detail, "change": "reassigned", "to": to})
        elif name == REMIND_TASK:
            self.add(event, "task_changed", f"Pengingat tugas '{task_title or request.get('task_id')}' dikirim oleh {actor or '-'}",
                     actor=actor, reason=request.get("note") or None, detail={**detail, "change": "reminded"})
        else:
            label = _UPDATE_LABELS.get(name, f"Permintaan '{name}'")
            self.add(event, "update", label + (f" oleh {actor}" if actor else ""), actor=actor,
                     reason=request.get("reason") or None, detail=detail)

    def _workflow_execution_update_completed(self, event: HistoryEvent, a: Any) -> None:
        if a.outcome.HasField("failure"):
            name = self.updates.get(a.meta.update_id, "")
            label = _UPDATE_LABELS.get(name, f"Permintaan '{name}'")
            self.add(event, "update_failed", f"{label} ditolak proses: {_failure_message(a.outcome.failure)}",
                     reason=_failure_message(a.outcome.failure), detail={"update": name})

    # -- activities -------------------------------------------------------------------------------------------

    def _activity_task_scheduled(self, event: HistoryEvent, a: Any) -> None:
        name = a.activity_type.name
        inp = _first(a.input)
        self.scheduled[event.event_id] = (name, inp, event)
        data = _dict(inp)
        if name == OPEN_TASK:
            self.tasks[data.get("task_id", "")] = data
        elif name == CLOSE_TASK:
            self._decision(event, data)
        elif name == UPDATE_TASK:
            task = self.tasks.get(data.get("task_id", ""), {})
            self.add(event, "task_changed", data.get("title") or f"Tugas berubah: {data.get('kind')}",
                     actor=person_label(data.get("actor")), role=_task_role(task), outcome=data.get("outcome"),
                     reason=data.get("reason"), detail={"task_id": data.get("task_id"), "change": data.get("kind"),
                                                        "escalate_to_role": data.get("escalate_to_role")})

    def _decision(self, event: HistoryEvent, data: dict) -> None:
        task = self.tasks.get(data.get("task_id", ""), {})
        actor = _dict(data.get("actor"))
        outcome = data.get("outcome")
        outcome_label = next((o.get("label") for o in task.get("outcomes", []) if isinstance(o, dict) and o.get("name") == outcome), outcome)
        acting_for = _dict(actor.get("acting_for"))
        self.add(event, "decision", data.get("title") or f"Diputuskan: {outcome_label}", actor=person_label(actor),
                 role=_task_role(task), outcome=outcome, reason=data.get("reason"),
                 detail={"task_id": data.get("task_id"), "task_title": task.get("title"), "outcome_label": outcome_label,
                         "actor_roles": [role_label(r) for r in actor.get("roles", [])],
                         "acting_for": person_label(acting_for) if acting_for else None})

    def _activity_task_completed(self, event: HistoryEvent, a: Any) -> None:
        name, inp, scheduled = self.scheduled.get(a.scheduled_event_id, ("", None, event))
        result = _first(a.result)
        # The per-process projections (update_leave_request, update_permit…) share one reader, matched by
        # name so a new process's projection reads without a change here.
        handler = _COMPLETED.get(name) or (_case_event if _is_projection(name) else None)
        if handler is not None:
            handler(self, event, _dict(inp), result)
        elif name not in _QUIET_ACTIVITIES and name not in (CLOSE_TASK, UPDATE_TASK):
            self.add(event, "activity", f"Aktivitas '{name}' selesai", detail={"activity": name})

    def _activity_task_failed(self, event: HistoryEvent, a: Any) -> None:
        name = self.scheduled.get(a.scheduled_event_id, ("",))[0]
        message = _failure_message(a.failure)
        self.add(event, "activity_failed", f"Aktivitas '{name}' gagal: {message}", reason=message, detail={"activity": name})

    def _activity_task_timed_out(self, event: HistoryEvent, a: Any) -> None:
        name = self.scheduled.get(a.scheduled_event_id, ("",))[0]
        self.add(event, "activity_failed", f"Aktivitas '{name}' melewati batas waktu", detail={"activity": name})

    def _activity_task_canceled(self, event: HistoryEvent, a: Any) -> None:
        name = self.scheduled.get(a.scheduled_event_id, ("",))[0]
        self.add(event, "activity_cancelled", f"Aktivitas '{name}' dibatalkan", detail={"activity": name})

    # -- child workflows ---------------------------------------------------------------------------------------

    def _start_child_workflow_execution_initiated(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "child", f"Proses turunan {a.workflow_type.name} ({a.workflow_id}) dimulai",
                 detail={"workflow_id": a.workflow_id, "workflow_type": a.workflow_type.name})

    def _child_workflow_execution_completed(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "child", f"Proses turunan {a.workflow_execution.workflow_id} selesai")

    def _child_workflow_execution_failed(self, event: HistoryEvent, a: Any) -> None:
        self.add(event, "child", f"Proses turunan {a.workflow_execution.workflow_id} gagal: {_failure_message(a.failure)}")


def _task_role(task: dict) -> str | None:
    policy = _dict(task.get("policy"))
    return policy.get("role_label") or role_label(task.get("role"))


# Lines written when an activity completed, from its input and its result.


def _task_opened(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    res = _dict(result)
    role = _task_role(inp)
    for_whom = f"untuk {role}" if role else ""
    walk.add(event, "task_opened", f"Tugas dibuka {for_whom}: {inp.get('title', '-')}".replace("  ", " "), role=role,
             detail={"task_id": inp.get("task_id"), "task_title": inp.get("title"), "due_at": res.get("due_at"),
                     "escalate_at": res.get("escalate_at"), "owner_id": inp.get("owner_id")})


def _number(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    res = _dict(result)
    number = res.get("number", "-")
    subject = inp.get("subject")
    walk.add(event, "number", f"Nomor {number} diberikan" + (f" untuk {subject}" if subject else ""),
             detail={"number": number, "scope": _dict(inp.get("numbering")).get("scope"), "subject": subject,
                     "issued_at": res.get("issued_at")})


def _document(walk: _Walk, event: HistoryEvent, inp: dict, result: Any, *, title: str, number: str | None, signer: str | None) -> None:
    res = _dict(result)
    walk.add(event, "document", f"Dokumen ditandatangani: {title}" + (f" oleh {signer}" if signer else ""),
             actor=signer, detail={"document_id": res.get("document_id"), "sha256": res.get("sha256"), "title": title,
                                   "number": number, "signer": signer, "url": res.get("url"),
                                   "verification_url": res.get("verification_url")})


def _leave_letter(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    approver = person_label(inp.get("approver"))
    acting = _dict(inp.get("approver_acting_for")).get("full_name")
    signer = f"{approver} sebagai Plh. {acting}" if approver and acting else approver
    number = inp.get("letter_number")
    _document(walk, event, inp, result, title=f"Surat Izin Cuti {number or ''}".strip(), number=number, signer=signer)


def _permit(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    signer = person_label(inp.get("signer"))
    acting = _dict(inp.get("signer_acting_for")).get("full_name")
    if signer and acting:
        signer = f"{signer} sebagai Plh. {acting}"
    kind = _dict(inp.get("definition")).get("permit_type_name") or "Izin"
    number = inp.get("permit_number")
    _document(walk, event, inp, result, title=f"{kind} nomor {number}" if number else kind, number=number, signer=signer)


def _counter_document(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    # Counter and letter documents are signed with the installation's identity, on behalf of the office.
    office = _dict(inp.get("office")).get("name")
    _document(walk, event, inp, result, title=inp.get("title") or inp.get("kind") or "Dokumen", number=inp.get("number"), signer=office)


def _notification(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    res = _dict(result)
    recipients = res.get("recipients") or inp.get("recipient_ids") or []
    channels = ", ".join(inp.get("channels") or [])
    who = f"{len(recipients)} penerima" if recipients else (", ".join(role_label(r) or r for r in inp.get("recipient_roles") or []) or "penerima")
    delivered = res.get("delivered")
    walk.add(event, "notification", f"Notifikasi '{inp.get('subject', '-')}' dikirim kepada {who}" + (f" melalui {channels}" if channels else "")
             + (f"; {delivered} pesan terkirim" if delivered is not None else ""),
             detail={"subject": inp.get("subject"), "recipient_ids": recipients, "recipient_roles": inp.get("recipient_roles"),
                     "channels": inp.get("channels"), "delivered": delivered, "idempotency_key": inp.get("idempotency_key")})


def _case_event(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    """The process's own projection (update_leave_request, update_permit… and record_event) when it carries
    a timeline entry: the step the process reached, in its own words."""
    case = _dict(inp.get("event")) if "event" in inp else inp if "kind" in inp and "title" in inp else {}
    if not case.get("title"):
        return
    actor = case.get("actor_name")
    walk.add(event, "step", case["title"], actor=actor, role=role_label(case.get("role")), outcome=case.get("outcome"),
             reason=case.get("reason"), detail={"step": case.get("kind"), "status": inp.get("status")})


def _auto_reply(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    res = _dict(result)
    walk.add(event, "activity", "Balasan otomatis WhatsApp disusun" + ("; diteruskan ke petugas" if res.get("handoff") else ""),
             detail={"handoff": res.get("handoff")})


def _registry_handoff(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    walk.add(event, "activity", f"Data diserahkan ke Disdukcapil (referensi {_dict(result).get('reference', '-')})",
             detail={"reference": _dict(result).get("reference")})


def _letter_file(walk: _Walk, event: HistoryEvent, inp: dict, result: Any) -> None:
    res = _dict(result)
    purpose = {"scan": "Pindaian", "softcopy": "Softcopy"}.get(inp.get("purpose", ""), "Berkas")
    title = f"{purpose} surat dilampirkan" if res.get("ok") else f"{purpose} surat ditolak: {res.get('problem') or '-'}"
    walk.add(event, "document" if res.get("ok") else "activity", title,
             detail={"file_id": inp.get("file_id"), "sha256": res.get("sha256"), "title": title})


_COMPLETED: dict[str, Callable[[_Walk, HistoryEvent, dict, Any], None]] = {
    OPEN_TASK: _task_opened,
    ASSIGN_NUMBER: _number,
    RENDER_LEAVE_LETTER: _leave_letter,
    RENDER_PERMIT: _permit,
    RENDER_COUNTER_DOCUMENT: _counter_document,
    NOTIFY: _notification,
    RECORD_EVENT: _case_event,
    WHATSAPP_AUTO_REPLY: _auto_reply,
    SEND_REGISTRY_HANDOFF: _registry_handoff,
    ATTACH_LETTER_FILE: _letter_file,
}


def _is_projection(name: str) -> bool:
    return name.startswith("update_") and name != UPDATE_TASK


def readable_timeline(history: WorkflowHistory) -> list[RunEvent]:
    """The run's history as readable lines, oldest first."""
    return _Walk(history).run()
