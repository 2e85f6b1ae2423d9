"""The JSON API's request bodies and answers.

Every JSON route declares what it answers with `response_model=` in its decorator (the function's return annotation
stays what it returns: usually the dict a service's serializer builds, which pages use too). The models sit beside
their routes (gateway/api/<area>.py); what several areas share is here. A response model describes the answer exactly
as clients know it: FastAPI filters the returned dict through it, so a field is declared as the serializer writes it
(a date already formatted is `str`; a datetime left raw is `IsoDateTime`, said as `datetime.isoformat()` writes it).
Response models derive from `Out`, which lets an undeclared key through rather than drop it silently; the tests check
every answer against the published schema with undeclared keys refused (tests/contract.py), so a model that misses a
field fails there, not at a client. A genuinely open mapping (a process's own `data`, a form's values) is
`dict[str, Any]`. Files, redirects and HTML declare their `response_class`; a 204 has no model."""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class LeaveBody(BaseModel):
    leave_type: str = Field(min_length=1, max_length=40, description="Kode jenis cuti dari process_defs/leave.yaml")
    start_date: date
    end_date: date
    reason: str = Field(min_length=1, max_length=2000)
    address_during_leave: str | None = Field(default=None, max_length=500)
    acting_official_username: str | None = Field(default=None, max_length=80, description="Plh. selama cuti (bagi pejabat)")


class DecisionBody(BaseModel):
    outcome: str = Field(min_length=1, max_length=40)
    reason: str | None = Field(default=None, max_length=2000)
    data: dict = Field(default_factory=dict)


class DelegationBody(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    note: str = Field(default="", max_length=2000)


class SubstitutionBody(BaseModel):
    acting_username: str = Field(min_length=1, max_length=80)
    start_date: date
    end_date: date
    reason: str = Field(min_length=1, max_length=500)


class ErrorOut(BaseModel):
    detail: str
    code: str | None = None
    errors: list[dict] = []


# A route decorator's `responses=`: per status code (or "default"), what OpenAPI says of that answer.
Responses = dict[int | str, dict[str, Any]]

ERRORS: Responses = {
    401: {"model": ErrorOut, "description": "Belum masuk atau sesi berakhir"},
    403: {"model": ErrorOut, "description": "Bukan wewenang Anda"},
    404: {"model": ErrorOut, "description": "Tidak ditemukan"},
    409: {"model": ErrorOut, "description": "Bertentangan dengan keadaan saat ini"},
    422: {"model": ErrorOut, "description": "Isian tidak valid"},
}


# --- answers ------------------------------------------------------------------------------------------------


class PdfResponse(Response):
    """Declares a route that answers with a PDF (it builds its own response)."""

    media_type = "application/pdf"


class CsvResponse(Response):
    """Declares a route that answers with a CSV download (it builds its own response)."""

    media_type = "text/csv"


class Out(BaseModel):
    model_config = ConfigDict(extra="allow")


# A datetime the serializer leaves raw, said as the JSON encoder always said it (isoformat: "+00:00", not "Z").
IsoDateTime = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str)]
# A mapping whose keys are the data's own (a process's `data`, a form, a figure's row): its values are said as FastAPI's
# encoder always said them (a Decimal as a number, a datetime by isoformat), not as pydantic would say an Any.
OpenMapping = Annotated[dict[str, Any], PlainSerializer(jsonable_encoder, return_type=dict[str, Any])]
# A number the serializer may give as an int or a float: said as it is given (3 stays 3, 3.5 stays 3.5).
Number = int | float


class PersonRef(Out):
    id: int
    username: str
    full_name: str


class TimelineLine(Out):
    """One line of a case's history (gateway/services/processes.py event_line), with the time already formatted."""

    at: str
    kind: str
    title: str
    actor: str | None
    outcome: str | None
    reason: str | None
    detail: OpenMapping


class EventLine(Out):
    """One line of a case's history as gateway/services/processes.py event_line gives it (the time left raw)."""

    at: IsoDateTime
    kind: str
    title: str
    actor: str | None
    outcome: str | None
    reason: str | None


class PendingTaskLine(Out):
    """A task a case waits on (processes.pending_line)."""

    id: str
    title: str
    role: str
    due_at: IsoDateTime | None


class TaskAckOut(Out):
    task_id: str
    status: str
