"""Every process SatuPintu runs, once: its name (as in the inbox, the runs filter and the audit command),
its label in Bahasa Indonesia, its Temporal workflow types and how their workflow ids begin (the business
key follows the prefix).

The run index, the runs pages, the audit command, the metrics and the dashboards all read this table, so a
new process is added here and nowhere else."""

from dataclasses import dataclass

from contracts import (
    COMPLAINT_STATUSES,
    LEAVE_STATUSES,
    LETTER_STATUSES,
    PERMIT_STATUSES,
    SIRAMASAKAN_STATUSES,
    WALK_IN_STATUSES,
    Vocabulary,
)


@dataclass(frozen=True)
class ProcessInfo:
    name: str
    label: str
    workflow_types: tuple[str, ...]
    id_prefixes: tuple[str, ...]
    # What the business key is called on the runs page (resi, nomor pelacakan…).
    key_label: str
    # The roles whose holders see every case of the process (applicants see their own); None: all office staff.
    staff_roles: frozenset[str] | None = frozenset()
    # The statuses of its case rows, as people read them (none for processes without a case row).
    statuses: Vocabulary | None = None


PROCESSES: tuple[ProcessInfo, ...] = (
    ProcessInfo("leave", "Cuti Pegawai", ("LeaveRequest",), ("leave-",), "nomor permohonan", statuses=LEAVE_STATUSES),
    ProcessInfo("permit", "Perizinan", ("PermitApplication",), ("permit-",), "resi", statuses=PERMIT_STATUSES,
                staff_roles=frozenset({"verifikator", "penandatangan", "admin", "kepala_kantor"})),
    ProcessInfo("walk_in", "Layanan Loket", ("WalkInVisit",), ("walkin-",), "kode kunjungan", statuses=WALK_IN_STATUSES),
    ProcessInfo("letter", "Persuratan", ("IncomingLetter", "OutgoingLetter"), ("surat-masuk-", "surat-keluar-"), "kode surat",
                staff_roles=None, statuses=LETTER_STATUSES),
    # A random code per number (runs from before issue 14 item 12 still show the number they ran under).
    ProcessInfo("whatsapp", "WhatsApp", ("WhatsAppConversation",), ("wa-",), "kode percakapan"),
    ProcessInfo("siramasakan", "SIRAMASAKAN", ("SiramasakanRequest",), ("siramasakan-",), "kode permohonan", statuses=SIRAMASAKAN_STATUSES,
                staff_roles=frozenset({"panitera", "dukcapil", "kepala_kantor", "admin"})),
    ProcessInfo("complaint", "Pengaduan", ("Complaint",), ("pengaduan-",), "nomor pelacakan", statuses=COMPLAINT_STATUSES,
                staff_roles=frozenset({"pengaduan_admin", "kepala_kantor", "kepala_seksi", "tata_usaha", "admin"})),
    ProcessInfo("notification", "Notifikasi", ("Notification",), ("notify-",), "kunci pesan"),
)

BY_NAME = {p.name: p for p in PROCESSES}
BY_WORKFLOW_TYPE = {t: p for p in PROCESSES for t in p.workflow_types}
PROCESS_LABELS = {p.name: p.label for p in PROCESSES}


def process_of(workflow_id: str) -> ProcessInfo | None:
    """The process a workflow id belongs to, by its prefix (longest first, so that no prefix is read as a shorter one)."""
    for prefix, process in sorted(((x, p) for p in PROCESSES for x in p.id_prefixes), key=lambda item: len(item[0]), reverse=True):
        if workflow_id.startswith(prefix):
            return process
    return None


def business_key(workflow_id: str) -> str:
    """The part of a workflow id people know the case by (the resi of `permit-<resi>`)."""
    # Longest prefix first, so that no prefix is read as a shorter one.
    for prefix in sorted((x for p in PROCESSES for x in p.id_prefixes), key=len, reverse=True):
        if workflow_id.startswith(prefix):
            return workflow_id[len(prefix):]
    return workflow_id
