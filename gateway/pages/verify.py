"""The public page that verifies a signed document by its code."""


from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.api.documents import verification
from gateway.deps import OptionalUser, SessionDep, SettingsDep
from gateway.errors import not_found
from gateway.pages.framework import _render
from gateway.services.offices import directory

router = APIRouter(include_in_schema=False)


@router.get("/verifikasi/{document_id}")
async def verify_page(request: Request, document_id: str, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    """Public: whoever holds a letter checks that this office issued it and that it is unaltered."""
    if len(document_id) > 40:
        raise not_found("Dokumen")
    result = await verification(session, settings, document_id)
    signature = result["signature"]
    ctx: dict = {"doc": result, "authentic": bool(signature.get("valid") and signature.get("intact"))}
    # The page speaks for the office that issued the document, whoever asks and from wherever (none it cannot name:
    # never the office of whoever asks).
    issuer = directory().by_code(result["office"]["code"]) if result["office"] else None
    ctx |= {"office": issuer.defs.office if issuer else None, "office_code": issuer.code if issuer else ""}
    return await _render(request, "pages/verify.html", ctx, session=session, user=user)
