"""Side effects of the letters: the letter row the register and its page read, and staff uploads
(a scan, a softcopy) checked and linked to the letter."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.case_rows import write_case_row
from contracts import (
    ATTACH_LETTER_FILE,
    UPDATE_LETTER,
    AttachLetterFile,
    AttachLetterFileResult,
    LetterUpdate,
    LetterUpdateResult,
)
from store.models import Letter, StoredFile, Unit, User, UserRole, utcnow
from workflows.letters import FINAL_STATUSES

PURPOSES = {"scan": "pindaian surat", "softcopy": "softcopy surat"}
# Who in a unit hears of a letter routed to it: its heads; a unit without one, everyone in it.
UNIT_HEAD_ROLE = "atasan"


async def unit_recipients(session: AsyncSession, unit_codes: list[str], office_id: int) -> list[int]:
    """The people to tell about a letter for these units of its office (two offices may both have a "TU"): per unit, its
    active staff with the head role, or all its active staff when nobody there has it."""
    ids: list[int] = []
    for code in unit_codes:
        people = list(await session.execute(
            select(User.id, UserRole.role).join(Unit, Unit.id == User.unit_id).outerjoin(UserRole, UserRole.user_id == User.id)
            .where(Unit.code == code, Unit.office_id == office_id, User.is_active.is_(True), User.kind == "staff").order_by(User.id)))
        heads = [user_id for user_id, role in people if role == UNIT_HEAD_ROLE]
        for user_id in heads or [user_id for user_id, _ in people]:
            if user_id not in ids:
                ids.append(user_id)
    return ids


class LetterActivities:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    @activity.defn(name=UPDATE_LETTER)
    async def update_letter(self, update: LetterUpdate) -> LetterUpdateResult:
        """Moves the letter on and adds its timeline line, in one transaction. Returns the people of the
        units the letter is routed to, for the workflow to notify."""
        async def write(session: AsyncSession, letter: Letter) -> LetterUpdateResult:
            letter.status, letter.stage = update.status, update.stage
            for name in ("number", "classification", "category", "scan_file_id", "softcopy_file_id", "delivered_to", "notes"):
                if getattr(update, name) is not None:
                    setattr(letter, name, getattr(update, name))
            if update.disposition is not None:
                letter.disposition = update.disposition
            if update.documents:
                letter.documents = {**(letter.documents or {}), **update.documents}
            if update.finished and letter.finished_at is None:
                letter.finished_at = utcnow()
            units = [u["code"] for u in (letter.disposition or {}).get("units", [])]
            return LetterUpdateResult(notify_user_ids=await unit_recipients(session, units, letter.office_id) if units else [])

        return await write_case_row(self.sessionmaker, Letter, update.letter_id, "letter", status=update.status, event=update.event,
                                    final=FINAL_STATUSES, write=write,
                                    kept=LetterUpdateResult(notify_user_ids=[]))  # a letter that has ended sends nobody news of a step

    @activity.defn(name=ATTACH_LETTER_FILE)
    async def attach_letter_file(self, inp: AttachLetterFile) -> AttachLetterFileResult:
        """Links an upload to the letter when it is a PDF (typed by its content at upload) that the person
        deciding uploaded; otherwise says why not, in words the uploader can act on."""
        what = PURPOSES.get(inp.purpose)
        if what is None:
            raise ApplicationError(f"unknown letter file purpose {inp.purpose!r}", non_retryable=True)
        async with self.sessionmaker() as session, session.begin():
            letter = await session.get(Letter, inp.letter_id, with_for_update=True)
            if letter is None:
                raise LookupError(f"letter {inp.letter_id} does not exist")
            file = await session.get(StoredFile, inp.file_id) if inp.file_id and len(inp.file_id) <= 40 else None
            if file is None or file.deleted_at is not None:
                return AttachLetterFileResult(ok=False, problem=f"Berkas {what} tidak ditemukan. Unggah berkas PDF-nya lalu kirim kembali.")
            if file.owner_id != inp.uploader_id:
                return AttachLetterFileResult(ok=False, problem=f"Berkas \"{file.name}\" bukan unggahan Anda. Unggah sendiri berkas {what}.")
            if file.extension != "pdf":
                return AttachLetterFileResult(ok=False, problem=(
                    f"Berkas \"{file.name}\" adalah {file.extension.upper()}, bukan PDF. Pindai atau simpan {what} sebagai PDF lalu unggah kembali."))
            setattr(letter, f"{inp.purpose}_file_id", file.id)
            return AttachLetterFileResult(ok=True, sha256=file.sha256)
