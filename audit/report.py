"""The audit export of one run: the raw history (Temporal's JSON) and a signed PDF report of what it proves.

The report is read from the history alone, through the same reader as the run page (audit/history.py), so
it states what Temporal recorded rather than what the SQL projections say. It names the SHA-256 of the
exported history JSON, so a reader can check that the report and the JSON belong together; and it is
signed PAdES with the installation's identity, as the counter documents are (an export is the system
attesting its own record, not an official's decision, so no official's TTE passphrase is involved).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from audit.history import RunEvent, fetch_history, readable_timeline
from documents.layout import Letterhead, _footer_painter, build_a4, contact_line, format_date_id, label_value_rows, letterhead, local_moment
from documents.logo import letterhead_logo
from process_defs.loader import OfficeDef, office_file
from process_defs.processes import BY_WORKFLOW_TYPE, business_key
from signing.identity import load_or_create_signing_identity
from signing.pades import sign_pdf_off_loop
from store.models import Document, Office, ProcessRun
from store.offices import first_office

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from store.settings import Settings

# How a run ended, by the type of its closing event.
_CLOSING = {
    "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED": "completed",
    "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED": "failed",
    "EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED": "cancelled",
    "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED": "terminated",
    "EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT": "timed_out",
    "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW": "continued_as_new",
}

STATUS_LABELS = {
    "running": "Berjalan",
    "completed": "Selesai",
    "failed": "Gagal",
    "cancelled": "Dibatalkan",
    "terminated": "Dihentikan paksa",
    "timed_out": "Melewati batas waktu",
    "continued_as_new": "Dilanjutkan sebagai run baru",
}

# Timeline lines a person caused that are not task decisions: owner actions, applicant requests, stops.
_OTHER_ACTIONS = {"task_changed", "update", "cancel_requested", "terminated"}


@dataclass
class DecisionFact:
    at: datetime
    task: str
    actor: str
    role: str | None
    actor_roles: list[str]
    outcome: str | None
    outcome_label: str | None
    reason: str | None
    acting_for: str | None = None


@dataclass
class NumberFact:
    at: datetime
    number: str
    subject: str | None


@dataclass
class DocumentFact:
    at: datetime
    title: str
    document_id: str | None
    sha256: str | None
    number: str | None = None
    signer: str | None = None


@dataclass
class AuditFacts:
    workflow_id: str
    run_id: str
    workflow_type: str
    process: str | None
    process_label: str
    business_key: str
    status: str
    started_at: datetime | None
    closed_at: datetime | None
    events: int
    decisions: list[DecisionFact] = field(default_factory=list)
    numbers: list[NumberFact] = field(default_factory=list)
    documents: list[DocumentFact] = field(default_factory=list)
    other_actions: list[RunEvent] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def history_json(history: WorkflowHistory) -> bytes:
    """The history in Temporal's own JSON format (what `WorkflowHistory.from_json` and the CLI read)."""
    return history.to_json().encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_status(history: WorkflowHistory) -> str:
    """running | completed | failed | cancelled | terminated | timed_out | continued_as_new, as the run index says."""
    last = history.events[-1] if history.events else None
    return _CLOSING.get(EventType.Name(last.event_type), "running") if last is not None else "running"


def audit_facts(history: WorkflowHistory) -> AuditFacts:
    """Every decision (actor, roles, time, outcome, reason), every number issued and every document with its
    hash, with the run's identity and how it stands."""
    timeline = readable_timeline(history)
    started = history.events[0] if history.events else None
    attrs = started.workflow_execution_started_event_attributes if started is not None else None
    workflow_type = attrs.workflow_type.name if attrs is not None else ""
    process = BY_WORKFLOW_TYPE.get(workflow_type)
    status = run_status(history)
    closed_at = timeline[-1].at if status != "running" and timeline else None
    facts = AuditFacts(
        workflow_id=history.workflow_id,
        run_id=attrs.original_execution_run_id if attrs is not None else "",
        workflow_type=workflow_type,
        process=process.name if process else None,
        process_label=process.label if process else workflow_type,
        business_key=business_key(history.workflow_id),
        status=status,
        started_at=started.event_time.ToDatetime(tzinfo=UTC) if started is not None else None,
        closed_at=closed_at,
        events=len(history.events),
    )
    for line in timeline:
        d = line.detail
        if line.kind == "decision":
            facts.decisions.append(DecisionFact(
                at=line.at, task=d.get("task_title") or line.title, actor=line.actor or "-", role=line.role,
                actor_roles=[r for r in d.get("actor_roles", []) if r], outcome=line.outcome, outcome_label=d.get("outcome_label"),
                reason=line.reason, acting_for=d.get("acting_for")))
        elif line.kind == "number":
            facts.numbers.append(NumberFact(at=line.at, number=d.get("number") or "-", subject=d.get("subject")))
        elif line.kind == "document":
            facts.documents.append(DocumentFact(at=line.at, title=d.get("title") or line.title, document_id=d.get("document_id") or d.get("file_id"),
                                                sha256=d.get("sha256"), number=d.get("number"), signer=d.get("signer")))
        elif line.kind in _OTHER_ACTIONS and line.actor:
            facts.other_actions.append(line)
    return facts


async def fill_document_hashes(facts: AuditFacts, session: AsyncSession) -> None:
    """A document whose activity result carried no hash (a history recorded before results did) takes it from
    the document register; the history stays the source for everything else."""
    for doc in facts.documents:
        if doc.sha256 or not doc.document_id:
            continue
        try:
            row = await session.get(Document, doc.document_id)
        except SQLAlchemyError:
            # No register to ask (an export run away from the office database): the report says "not recorded".
            return
        if row is not None:
            doc.sha256 = row.sha256
            doc.signer = doc.signer or row.signed_by


# --- the PDF -------------------------------------------------------------------------------------------


def _moment(value: datetime | None, zone: str) -> str:
    if value is None:
        return "-"
    local, abbr = local_moment(value, zone)
    return f"{format_date_id(local.date())}, {local:%H.%M.%S} {abbr}".strip()


def render_audit_report_pdf(facts: AuditFacts, *, office: OfficeDef, history_sha256: str, generated_at: datetime,
                            generated_by: str | None = None, logo: bytes | None = None) -> bytes:
    """The report, unsigned, under the letterhead of the run's office (with `logo` when it has one)."""
    from reportlab.lib import colors  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.lib.enums import TA_CENTER  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.lib.styles import ParagraphStyle  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.lib.units import cm, mm  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle  # noqa: PLC0415 - reportlab is heavy: loaded when a PDF is drawn

    zone = office.timezone
    margin_x = 2 * cm
    frame_width = A4[0] - 2 * margin_x
    base = ParagraphStyle("audit_base", fontName="Helvetica", fontSize=9.5, leading=12.5)
    cell = ParagraphStyle("audit_cell", parent=base, fontSize=8.5, leading=11)
    head = ParagraphStyle("audit_head", parent=cell, fontName="Helvetica-Bold")
    mono = ParagraphStyle("audit_mono", parent=cell, fontName="Courier", fontSize=7.5, leading=10)
    heading = ParagraphStyle("audit_heading", parent=base, fontName="Helvetica-Bold", fontSize=11, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("audit_title", parent=base, fontName="Helvetica-Bold", fontSize=13, leading=17, alignment=TA_CENTER)

    def p(text: str | None, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(escape(text or "-"), style)

    def grid(header: list[str], rows: list[list], widths: list[float], spans: Sequence[tuple] = ()) -> Table:
        table = Table([[p(h, head) for h in header], *rows], colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef3")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            *[("SPAN", *s) for s in spans],
        ]))
        return table

    story: list = []
    kop = Letterhead(lines=(*office.letterhead, office.name), address=office.address, contact=contact_line(office.phone, office.email), logo=logo)
    letterhead(story, kop, frame_width=frame_width)
    story += [Paragraph("<u>LAPORAN AUDIT RIWAYAT PROSES</u>", title), Spacer(1, 5 * mm)]
    story.append(label_value_rows([
        ("Proses", facts.process_label),
        ("Kunci bisnis", facts.business_key),
        ("ID alur kerja (workflow id)", facts.workflow_id),
        ("ID run", facts.run_id or "-"),
        ("Jenis alur kerja", facts.workflow_type),
        ("Status", facts.status_label),
        ("Dimulai", _moment(facts.started_at, zone)),
        ("Ditutup", _moment(facts.closed_at, zone) if facts.closed_at else "belum ditutup"),
        ("Jumlah peristiwa riwayat", str(facts.events)),
    ], base, frame_width=frame_width, indent=0, label_width=5 * cm))

    story.append(Paragraph("Keputusan", heading))
    if facts.decisions:
        widths = [1.0 * cm, 3.0 * cm, 4.6 * cm, 3.6 * cm, frame_width - 12.2 * cm]
        rows = []
        for i, d in enumerate(facts.decisions, 1):
            who = d.actor + (f" sebagai Plh. {d.acting_for}" if d.acting_for else "")
            roles = d.role or "-"
            if d.actor_roles:
                roles += f" (peran pengguna: {', '.join(d.actor_roles)})"
            outcome = f"{d.outcome_label} ({d.outcome})" if d.outcome_label and d.outcome_label != d.outcome else d.outcome
            rows.append([p(str(i)), p(_moment(d.at, zone)), [p(d.task), p(f"Oleh: {who}")], p(roles),
                         [p(outcome), p(f"Alasan: {d.reason}" if d.reason else "Alasan: -")]])
        story.append(grid(["No", "Waktu", "Tugas dan pemutus", "Peran", "Keputusan"], rows, widths))
    else:
        story.append(p("Tidak ada keputusan dalam riwayat run ini.", base))

    story.append(Paragraph("Nomor yang diterbitkan", heading))
    if facts.numbers:
        widths = [1.0 * cm, 3.6 * cm, 5.6 * cm, frame_width - 10.2 * cm]
        story.append(grid(["No", "Waktu", "Nomor", "Perihal"],
                          [[p(str(i)), p(_moment(n.at, zone)), p(n.number), p(n.subject)] for i, n in enumerate(facts.numbers, 1)], widths))
    else:
        story.append(p("Tidak ada nomor yang diterbitkan dalam run ini.", base))

    story.append(Paragraph("Dokumen dan sidik SHA-256", heading))
    if facts.documents:
        widths = [1.0 * cm, 3.6 * cm, frame_width - 4.6 * cm]
        rows, spans = [], []
        for i, doc in enumerate(facts.documents, 1):
            about = [p(doc.title)]
            if doc.number:
                about.append(p(f"Nomor: {doc.number}"))
            about.append(p(f"Kode dokumen: {doc.document_id or '-'}; ditandatangani oleh: {doc.signer or '-'}"))
            rows.append([p(str(i)), p(_moment(doc.at, zone)), about])
            # The hash on a line of its own in a fixed-width font, so it is read (and copied) whole.
            rows.append([Paragraph("", cell), [p(f"SHA-256: {doc.sha256 or 'tidak tercatat'}", mono)], ""])
            spans.append(((1, len(rows)), (2, len(rows))))
        story.append(grid(["No", "Waktu", "Dokumen"], rows, widths, spans))
    else:
        story.append(p("Tidak ada dokumen yang diterbitkan dalam run ini.", base))

    if facts.other_actions:
        story.append(Paragraph("Tindakan lain yang tercatat", heading))
        widths = [1.0 * cm, 3.6 * cm, frame_width - 4.6 * cm]
        story.append(grid(["No", "Waktu", "Tindakan"], [
            [p(str(i)), p(_moment(a.at, zone)), [p(a.title), p(f"Alasan/catatan: {a.reason}" if a.reason else "")]]
            for i, a in enumerate(facts.other_actions, 1)], widths))

    story.append(Paragraph("Keaslian", heading))
    story.append(p("Laporan ini disusun dari riwayat Temporal run tersebut. Berkas riwayat (JSON) yang diekspor bersama laporan ini "
                   "memiliki sidik SHA-256 berikut; hitung ulang sidik berkas untuk memastikan keduanya berpasangan:", base))
    story.append(Spacer(1, 1.5 * mm))
    story.append(p(history_sha256, ParagraphStyle("audit_mono_big", parent=mono, fontSize=8.5, leading=11)))
    story.append(Spacer(1, 3 * mm))
    made = f"Dibuat pada {_moment(generated_at, zone)}" + (f" atas permintaan {generated_by}" if generated_by else "")
    story.append(p(made + ". Ditandatangani secara elektronik (PAdES) dengan sertifikat sistem " + office.name + ".", base))

    footer = _footer_painter(None, f"Laporan audit {facts.workflow_id} — SatuPintu", margin_x=margin_x)
    return build_a4(story, footer, margin_x=margin_x, title=f"Laporan Audit {facts.workflow_id}", author=office.name,
                    subject=f"Laporan audit riwayat proses {facts.workflow_id}")


async def render_audit_report(facts: AuditFacts, *, office: OfficeDef, history_sha256: str, settings: Settings, generated_by: str | None = None,
                              generated_at: datetime | None = None) -> bytes:
    """The report of a run of `office`, PAdES-signed with the installation's signing identity."""
    generated_at = generated_at or datetime.now(UTC)
    logo = await letterhead_logo(settings, office.logo_key)
    unsigned = await asyncio.to_thread(render_audit_report_pdf, facts, office=office, history_sha256=history_sha256, generated_at=generated_at,
                                       generated_by=generated_by, logo=logo)
    identity = await asyncio.to_thread(load_or_create_signing_identity, settings)
    return await sign_pdf_off_loop(unsigned, identity, reason=f"Laporan audit {facts.workflow_id}", location=office.city,
                                   signer_name=f"Sistem SatuPintu {office.name}"[:200])


@dataclass
class AuditExport:
    facts: AuditFacts
    history_json: bytes
    pdf: bytes


async def office_of_run(session: AsyncSession, workflow_id: str) -> OfficeDef:
    """The office a run belongs to (the run index's), as the office's pages name it; the first office for a run the
    index has not seen yet."""
    office_id = await session.scalar(select(ProcessRun.office_id).where(ProcessRun.workflow_id == workflow_id))
    office = await session.get(Office, office_id) if office_id is not None else None
    return office_file(office or await first_office(session)).office


async def export_run(client: Client, workflow_id: str, *, settings: Settings, session: AsyncSession | None = None,
                     run_id: str | None = None, generated_by: str | None = None, office: OfficeDef | None = None) -> AuditExport:
    """The history JSON and the signed report of one run (RunNotFound when Temporal has none). `session`
    lets documents without a hash in the history take it from the document register. `office` heads the report when
    the caller knows the run's office (the gateway checked it); else the run index says."""
    history = await fetch_history(client, workflow_id, run_id)
    raw = history_json(history)
    facts = audit_facts(history)
    if session is not None:
        await fill_document_hashes(facts, session)
        office = office or await office_of_run(session, workflow_id)
    if office is None:
        raise LookupError(f"the office of run {workflow_id} is not known: pass a session")
    pdf = await render_audit_report(facts, office=office, history_sha256=sha256_hex(raw), settings=settings, generated_by=generated_by)
    return AuditExport(facts=facts, history_json=raw, pdf=pdf)
