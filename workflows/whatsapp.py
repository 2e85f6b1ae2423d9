"""A WhatsApp conversation with one contact (seed 000 §3, method 1). Its id is chosen by the gateway, random per
number (gateway/services/whatsapp.py), so the number stays in the encrypted input and out of Temporal's ids.

Each inbound message arrives as a signal (the webhook signals-with-start, so the first message starts the
run); the run answers them one at a time, in order, and ignores a message id it has already seen. While
no officer has the conversation, the auto-reply activity answers from the current definitions; "petugas"
or a question it cannot answer hands the conversation to an officer as a chat task in the inbox. While
that task is open nothing is auto-answered: the officer hears of each new message in-app and answers
through the `reply_whatsapp` update; deciding the task "selesai" hands the conversation back to the
auto-reply.

Every outgoing message goes through NOTIFY (channel "whatsapp") from one queue, in order, keyed by the
message it answers, so an API outage delays replies and never duplicates them. After 24 hours without
a message the run ends (the next message starts a new one); a long conversation continues as new."""

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts import (
        NOTIFY,
        RECORD_EVENT,
        REPLY_WHATSAPP,
        WHATSAPP_AUTO_REPLY,
        WHATSAPP_MAX_TEXT,
        WHATSAPP_MESSAGE,
        WHATSAPP_STAFF_ROLES,
        Actor,
        AutoReplyInput,
        AutoReplyResult,
        CaseEventInput,
        ConversationState,
        NotifyInput,
        NotifyResult,
        Outcome,
        TaskSpec,
        WhatsAppConversationInput,
        WhatsAppConversationResult,
        WhatsAppInbound,
        WhatsAppReplyAck,
        WhatsAppReplyRequest,
    )
    from workflows.human_task import ERR_INVALID, ERR_NOT_HOLDER, ERR_STATE, HumanTaskWorkflow, required
    from workflows.options import STEP

IDLE = timedelta(hours=24)
SEEN_KEPT = 500
RECENT_KEPT = 6
HANDOFF_DONE = ("Percakapan dengan petugas telah selesai. Terima kasih telah menghubungi kami.\n\n"
                "Ketik 0 untuk menu layanan otomatis, PETUGAS bila masih ingin berbicara dengan petugas.")


def display_phone(phone: str) -> str:
    return f"+{phone}"


@dataclass
class _Outgoing:
    key: str
    text: str
    officer: Actor | None = None


@workflow.defn(name="WhatsAppConversation")
class WhatsAppConversationWorkflow(HumanTaskWorkflow):
    process = "whatsapp"

    def __init__(self) -> None:
        super().__init__()
        self._queue: list[WhatsAppInbound] = []
        self._seen: list[str] = []
        self._seen_set: set[str] = set()
        self._outbox: list[_Outgoing] = []
        self._replies: dict[str, str] = {}
        self._handoff_open = False
        self._handoff_task: asyncio.Task | None = None
        self._handoffs = 0
        self._officer_id: int | None = None
        self._state = ConversationState()
        self._recent: list[str] = []
        self._contact_name: str | None = None
        self._inp: WhatsAppConversationInput | None = None

    @property
    def _input(self) -> WhatsAppConversationInput:
        """The run's input: set first thing in run(), so any step, handler or decision after it reads it."""
        return required(self._inp, "the WhatsApp conversation's input")

    # -- inbound -----------------------------------------------------------------------------------

    @workflow.signal(name=WHATSAPP_MESSAGE)
    def message(self, msg: WhatsAppInbound) -> None:
        # The webhook signals again when Meta redelivers after an outage: once is enough.
        if msg.message_id in self._seen_set:
            return
        self._remember(msg.message_id)
        self._queue.append(msg)

    def _remember(self, message_id: str) -> None:
        if message_id not in self._seen_set:
            self._seen.append(message_id)
            self._seen_set.add(message_id)

    @workflow.run
    async def run(self, inp: WhatsAppConversationInput) -> WhatsAppConversationResult:
        self._inp = inp
        self.use_calendar(inp.calendar)
        self._state = inp.state
        self._recent = list(inp.recent)
        self._contact_name = inp.contact_name or self._contact_name
        # Signals may have arrived before this point (signal-with-start): merge, never overwrite.
        queued = {m.message_id for m in self._queue}
        self._queue[:0] = [m for m in inp.pending if m.message_id not in queued]
        for message_id in [*inp.seen_ids, *(m.message_id for m in inp.pending)]:
            self._remember(message_id)
        handled = inp.handled
        handled_here = 0

        while True:
            try:
                await workflow.wait_condition(lambda: bool(self._queue or self._outbox), timeout=None if self._handoff_open else IDLE)
            except TimeoutError:
                pass
            if self._outbox:
                await self._send(self._outbox.pop(0))
                continue
            if self._queue:
                await self._handle(self._queue.pop(0))
                handled, handled_here = handled + 1, handled_here + 1
                if handled_here >= inp.continue_after and not self._handoff_open:
                    await self._drain()
                    if not self._handoff_open:
                        workflow.continue_as_new(WhatsAppConversationInput(
                            phone=inp.phone, calendar=inp.calendar, handoff=inp.handoff, contact_name=self._contact_name,
                            state=self._state, pending=list(self._queue), seen_ids=self._seen[-SEEN_KEPT:], recent=list(self._recent),
                            handled=handled, continue_after=inp.continue_after, reply_roles=list(inp.reply_roles)))
                continue
            if self._handoff_open:
                continue
            # A day without messages: the run ends; the next message starts a new one.
            await self._drain()
            if not self._queue and not self._handoff_open:
                return WhatsAppConversationResult(handled=handled, handoffs=self._handoffs)

    async def _drain(self) -> None:
        while self._outbox:
            await self._send(self._outbox.pop(0))
        await workflow.wait_condition(workflow.all_handlers_finished)
        while self._outbox:  # a reply accepted while the handlers finished
            await self._send(self._outbox.pop(0))

    async def _handle(self, msg: WhatsAppInbound) -> None:
        if msg.contact_name:
            self._contact_name = msg.contact_name
        shown = msg.text if msg.kind == "text" else f"[pesan {msg.kind}]"
        self._recent = [*self._recent, shown[:300]][-RECENT_KEPT:]
        if self._handoff_open:
            await self._tell_officer(msg, shown)
            if msg.kind == "text":
                return  # the officer answers; nothing automatic meanwhile
        result: AutoReplyResult = await workflow.execute_activity(
            WHATSAPP_AUTO_REPLY, AutoReplyInput(text=msg.text, state=self._state, contact_name=self._contact_name, kind=msg.kind,
                                                office=self._input.calendar.office),
            result_type=AutoReplyResult, **STEP)
        if msg.kind == "text":
            self._state = result.state
        self._outbox.append(_Outgoing(key=f"{workflow.info().workflow_id}.balasan.{msg.message_id}", text=result.reply))
        if result.handoff and not self._handoff_open:
            self._handoff_open = True
            self._handoffs += 1
            self._handoff_task = asyncio.create_task(self._handoff(msg))

    # -- hand-off to an officer ---------------------------------------------------------------------

    async def _handoff(self, msg: WhatsAppInbound) -> None:
        inp = self._input
        digest = hashlib.sha256(msg.message_id.encode()).hexdigest()[:12]
        who = self._contact_name or "Warga"
        await self.ask(TaskSpec(
            key=f"percakapan-{digest}",
            title=f"Percakapan WhatsApp: {who} ({display_phone(inp.phone)})",
            policy=inp.handoff, subject_id=inp.phone,
            summary={"Nomor WhatsApp": display_phone(inp.phone), "Nama di WhatsApp": self._contact_name or "–",
                     "Pesan terakhir": "\n".join(self._recent) or "–", "Percakapan": f"/whatsapp/{inp.phone}",
                     "Cara membalas": "Buka halaman percakapan, tulis balasan, lalu pilih Selesaikan percakapan bila sudah tuntas."},
            outcomes=[Outcome("selesai", "Selesaikan percakapan")],
        ))
        self._handoff_open = False
        self._officer_id = None
        self._outbox.append(_Outgoing(key=f"{workflow.info().workflow_id}.selesai.{digest}", text=HANDOFF_DONE))

    async def _tell_officer(self, msg: WhatsAppInbound, shown: str) -> None:
        open_task = next((t for t in self._tasks.values() if t.decision is None), None)
        who = self._contact_name or display_phone(self._input.phone)
        officer = [self._officer_id] if self._officer_id else []
        await workflow.execute_activity(NOTIFY, NotifyInput(
            idempotency_key=f"{workflow.info().workflow_id}.masuk.{msg.message_id}", subject=f"Pesan WhatsApp baru dari {who}",
            body=shown[:1000], recipient_ids=officer,
            recipient_roles=[] if officer else list(open_task.open_to_roles if open_task else [self._input.handoff.role]),
            channels=["inapp"], link=f"/whatsapp/{self._input.phone}", office=self._input.calendar.office), result_type=NotifyResult, **STEP)

    @workflow.update(name=REPLY_WHATSAPP)
    async def reply_whatsapp(self, request: WhatsAppReplyRequest) -> WhatsAppReplyAck:
        key = self._replies.get(request.reply_id)
        if key is None:  # the same reply sent twice (a resent form) is queued once
            key = f"{workflow.info().workflow_id}.petugas.{request.reply_id}"
            self._replies[request.reply_id] = key
            self._officer_id = request.actor.user_id
            self._outbox.append(_Outgoing(key=key, text=request.text.strip(), officer=request.actor))
        return WhatsAppReplyAck(reply_id=request.reply_id, status="queued", idempotency_key=key)

    @reply_whatsapp.validator
    def _validate_reply(self, request: WhatsAppReplyRequest) -> None:
        if request.reply_id in self._replies:
            return
        if not self._handoff_open:
            raise ApplicationError("Percakapan ini sedang dijawab otomatis, tidak sedang ditangani petugas.", type=ERR_STATE)
        if not set(request.actor.roles) & set(self._inp.reply_roles if self._inp else WHATSAPP_STAFF_ROLES):
            raise ApplicationError("Hanya petugas informasi, front office, atau supervisor PTSP yang dapat membalas WhatsApp.",
                                   type=ERR_NOT_HOLDER)
        text = (request.text or "").strip()
        if not text:
            raise ApplicationError("Tulis balasan terlebih dahulu.", type=ERR_INVALID)
        if len(text) > WHATSAPP_MAX_TEXT:
            raise ApplicationError(f"Balasan terlalu panjang: paling banyak {WHATSAPP_MAX_TEXT} karakter.", type=ERR_INVALID)
        if not request.reply_id or len(request.reply_id) > 64:
            raise ApplicationError("Balasan tidak memiliki kode pengiriman yang sah.", type=ERR_INVALID)

    @workflow.query
    def handoff_open(self) -> bool:
        return self._handoff_open

    # -- outgoing ------------------------------------------------------------------------------------

    async def _send(self, item: _Outgoing) -> None:
        wid = workflow.info().workflow_id
        if item.officer is not None:
            # Who answered, on the conversation's timeline (the page shows the officer's name by the key).
            await workflow.execute_activity(RECORD_EVENT, CaseEventInput(
                event_id=item.key, workflow_id=wid, process=self.process, subject_id=self._input.phone, occurred_at=workflow.now(),
                kind="whatsapp_reply", title=f"Balasan WhatsApp oleh {item.officer.full_name}", actor_id=item.officer.user_id,
                actor_name=item.officer.full_name, detail={"idempotency_key": item.key}), **STEP)
        await workflow.execute_activity(NOTIFY, NotifyInput(
            idempotency_key=item.key, subject="", body=item.text, channels=["whatsapp"], recipient_phones=[self._input.phone]),
            result_type=NotifyResult, **STEP)
