"""The office's logo on its letterhead, read from the shared storage where its administrators put it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from store.storage import ObjectMissing, storage_for

if TYPE_CHECKING:
    from store.settings import Settings

log = logging.getLogger(__name__)


async def letterhead_logo(settings: Settings, logo_key: str | None) -> bytes | None:
    """The logo's bytes; None when the office has none, or its object is gone (a document is then headed without it
    rather than not issued). A store that does not answer raises: the activity or the request fails and is retried."""
    if not logo_key:
        return None
    try:
        return await storage_for(settings).get(logo_key)
    except (ObjectMissing, ValueError):
        log.warning("logo %s is not in the storage: the letterhead goes without it", logo_key)
        return None
