"""Refusals carry the fields they concern as data: a page puts the message beside the field the refusal names,
and never reads the message to find it. Pure checks of the mapping in one place (gateway/errors.py) and of the
fields a workflow's refusal names (gateway/services/tasks.py)."""

import pytest

from gateway.errors import ApiError, as_api_error, headers_of, status_of
from gateway.services.errors import Conflict, Forbidden, Gone, Invalid, NotFound, Throttled, Unavailable, invalid, not_found
from gateway.services.tasks import _name_fields

LETTER_FORM = {"properties": {
    "classification": {"type": "string", "title": "Kode klasifikasi"},
    "unit": {"type": "string", "title": "Unit kerja tujuan"},
    "category_change_reason": {"type": "string", "title": "Alasan mengubah sifat rahasia"},
    "note": {"type": "string", "title": "Catatan disposisi"},
}}


@pytest.mark.parametrize(("refusal", "status"), [
    (not_found("Tugas"), 404), (Forbidden("x"), 403), (Conflict("x", code="task_closed"), 409), (invalid("x", field="reason"), 422),
    (Gone("x", code="DownloadUnavailable"), 410), (Throttled("x"), 429), (Unavailable("x", code="temporal_unavailable"), 503),
    (ApiError(413, "x", code="too_large"), 413),
])
def test_each_kind_of_refusal_has_its_status(refusal, status) -> None:
    assert status_of(refusal) == status == as_api_error(refusal).status_code


def test_the_json_body_of_a_refusal_is_as_before() -> None:
    error = as_api_error(invalid("Alasan pembatalan wajib diisi.", field="cancel_reason"))
    assert (error.detail, error.code, error.errors) == ("Alasan pembatalan wajib diisi.", "invalid",
                                                        [{"field": "cancel_reason", "message": "Alasan pembatalan wajib diisi."}])
    assert (not_found("Tugas").detail, not_found("Tugas").code, not_found("Tugas").errors) == ("Tugas tidak ditemukan.", "not_found", [])
    assert headers_of(Unavailable("x", code="storage_unavailable", retry_after=30)) == {"Retry-After": "30"}
    assert headers_of(NotFound("x")) is None


@pytest.mark.parametrize(("message", "hints", "mentions"), [
    # A field named by its title in quotes, as the human-task validator words it.
    ("Isian 'Kode klasifikasi' wajib diisi.", ["data.classification"], ["data.classification"]),
    # The reason, by the word.
    ("Alasan wajib diisi untuk keputusan 'Tolak'.", ["reason"], []),
    # A field named in running text: the letter page marks it, the inbox page (quotes only) does not.
    ("Pilih unit kerja tujuan untuk surat yang langsung diproses di unit kerja.", [], ["data.unit"]),
    ("Catatan disposisi paling banyak 500 karakter.", [], ["data.note"]),
    # A quoted title that speaks of a reason: that field, and the reason too (as the inbox page always marked).
    ("Surat ini ditandai rahasia. Untuk mengubah sifatnya, isi 'Alasan mengubah sifat rahasia'.",
     ["data.category_change_reason", "reason"], ["data.category_change_reason"]),
    ("Tugas ini sedang didelegasikan kepada Budi.", [], []),
])
def test_a_workflow_refusal_names_its_fields(message: str, hints: list[str], mentions: list[str]) -> None:
    refusal = Invalid(message, code="InvalidDecision")
    _name_fields(refusal, LETTER_FORM)
    assert [h["field"] for h in refusal.hints] == hints and all(h["message"] == message for h in refusal.hints)
    assert refusal.mentions == mentions
    assert refusal.errors == []  # the API's body is unchanged: its `errors` never listed these
