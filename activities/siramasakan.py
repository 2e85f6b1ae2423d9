"""Side effects of SIRAMASAKAN: the request row the pages read, and the hand-off to an external civil
registry over HTTP. The HMAC scheme here is the one both directions use (hand-off and callback)."""

import json
import logging
from dataclasses import asdict
from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.case_rows import write_case_row
from contracts import SEND_REGISTRY_HANDOFF, UPDATE_SIRAMASAKAN, RegistryHandoff, RegistryHandoffResult, SiramasakanUpdate
from office.registry_protocol import SIGNATURE_HEADER, registry_signature
from store.models import SiramasakanRequest
from store.settings import Settings
from workflows.siramasakan import FINAL_STATUSES

log = logging.getLogger(__name__)

def handoff_body(handoff: RegistryHandoff) -> bytes:
    return json.dumps({
        "request_id": handoff.request_code, "case_number": handoff.case_number, "decision_date": handoff.decision_date,
        "kk_number": handoff.kk_number, "changes": [asdict(c) for c in handoff.changes], "callback_url": handoff.callback_url,
    }, ensure_ascii=False, sort_keys=True).encode()


class SiramasakanActivities:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker

    @activity.defn(name=UPDATE_SIRAMASAKAN)
    async def update_siramasakan(self, update: SiramasakanUpdate) -> None:
        async def write(session: AsyncSession, row: SiramasakanRequest) -> None:
            if update.status:
                row.status = update.status
            if update.stage:
                row.stage = update.stage
            if update.decision_date:
                row.decision_date = date.fromisoformat(update.decision_date)
            for name in ("decided_case_number", "handoff_path", "handed_off_at", "registry_reference", "outcome", "outcome_reason"):
                if getattr(update, name) is not None:
                    setattr(row, name, getattr(update, name))
            if update.documents_to_collect is not None:
                row.documents_to_collect = list(update.documents_to_collect)
            if update.reminded:
                row.reminders_sent = (row.reminders_sent or 0) + 1
            if update.finished and row.finished_at is None:
                row.finished_at = update.event.occurred_at if update.event else None

        # once: a retried activity finds its timeline line there, so the reminder and the rest are counted only once.
        await write_case_row(self.sessionmaker, SiramasakanRequest, update.request_id, "siramasakan request", status=update.status,
                             event=update.event, final=FINAL_STATUSES, write=write, once=True)

    @activity.defn(name=SEND_REGISTRY_HANDOFF)
    async def send_registry_handoff(self, handoff: RegistryHandoff) -> RegistryHandoffResult:
        """POSTs the hand-off once per request: the Idempotency-Key is the same on every attempt, so a registry
        that stored it answers with the same reference. Any failure is retried (the workflow's retry policy has
        no limit): a registry down for a day delays the hand-off, never loses it."""
        body = handoff_body(handoff)
        headers = {"Content-Type": "application/json", "Idempotency-Key": handoff.idempotency_key,
                   SIGNATURE_HEADER: registry_signature(self.settings.civil_registry_secret, body)}
        try:
            async with httpx.AsyncClient(timeout=20) as client:
                response = await client.post(f"{handoff.registry_url}/handoffs", content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ApplicationError(f"registry not reachable ({type(exc).__name__}: {exc}); will retry") from exc
        if response.status_code not in (200, 201, 202):
            raise ApplicationError(f"registry answered {response.status_code}: {response.text[:200]}; will retry")
        try:
            reference = str(response.json()["reference"])[:120]
        except (ValueError, KeyError, TypeError) as exc:
            raise ApplicationError(f"registry answer without a reference: {response.text[:200]}") from exc
        return RegistryHandoffResult(reference=reference)
