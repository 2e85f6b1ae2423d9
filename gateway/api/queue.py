"""Queue numbers and counters over JSON: the waiting-room kiosk takes a number without signing in, the
display reads what every counter is calling, and counter staff call next, recall and skip."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from gateway.api.schemas import ERRORS, ErrorOut, Out, Responses
from gateway.deps import CurrentUser, SessionDep
from gateway.services import queue as queue_service
from gateway.services.throttle import client_ip

router = APIRouter(prefix="/api/v1", tags=["antrean"])

GroupCode = Annotated[str, Path(description="Kode kelompok layanan dari process_defs/counter.yaml, mis. A")]
CounterCode = Annotated[str, Path(description="Kode loket dari process_defs/counter.yaml, mis. 2")]
OfficeCode = Annotated[str | None, Query(max_length=60, description="Kode kantor (GET /api/v1/offices); tanpa kode: satu-satunya kantor "
                                                                     "yang melayani loket")]


class TakenTicketOut(Out):
    id: int
    number: str
    service_group: str
    group_name: str
    service_day: str
    waiting_before: int


class TicketOut(Out):
    id: int
    number: str
    service_group: str
    group_name: str
    service_day: str
    status: str
    status_label: str
    counter: str | None
    counter_name: str | None
    called_at: str | None
    recall_count: int
    finished_at: str | None
    created_at: str | None


class CounterOut(Out):
    code: str
    name: str
    groups: list[str]


class CallOut(Out):
    number: str
    service_group: str
    counter: str | None
    counter_name: str | None
    called_at: str | None
    recall_count: int
    status: str


class DisplayCounterOut(CounterOut):
    current: CallOut | None


class WaitingOut(Out):
    group: str
    name: str
    count: int


class DisplayOut(Out):
    service_day: str
    counters: list[DisplayCounterOut]
    waiting: list[WaitingOut]
    recent: list[CallOut]


class BoardOut(Out):
    counter: CounterOut
    service_day: str
    current: TicketOut | None
    waiting: int
    waiting_by_group: list[WaitingOut]
    tickets: list[TicketOut]


_COUNTER_ERRORS: Responses = {401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404], 409: ERRORS[409]}


@router.post("/queue/{service_group}/tickets", status_code=201, response_model=TakenTicketOut,
             responses={404: ERRORS[404], 422: ERRORS[422], 429: {"model": ErrorOut, "description": "Terlalu banyak permintaan dari alamat ini"}})
async def take_ticket(request: Request, session: SessionDep, service_group: GroupCode, office: OfficeCode = None) -> dict[str, Any]:
    """Ambil nomor antrean kantor untuk kelompok layanan (tanpa masuk; untuk anjungan di ruang tunggu). Nomor dimulai lagi dari 001 setiap hari."""
    office_id = await queue_service.queue_office_id(session, office)
    ticket, before = await queue_service.take_ticket(session, group_code=service_group, client_ip=client_ip(request), office_id=office_id)
    data = queue_service.serialize(ticket, waiting_before=before)
    return {k: data[k] for k in ("id", "number", "service_group", "group_name", "service_day", "waiting_before")}


@router.get("/counters", response_model=list[CounterOut])
async def counters() -> list[dict[str, Any]]:
    """Loket dan kelompok layanan yang dipanggil masing-masing loket."""
    return [{"code": c.code, "name": c.name, "groups": list(c.groups)} for c in queue_service.counters()]


@router.get("/queue/display", response_model=DisplayOut, responses={404: ERRORS[404], 422: ERRORS[422]})
async def display(session: SessionDep, office: OfficeCode = None) -> dict[str, Any]:
    """Isi layar ruang tunggu kantor: nomor yang sedang dipanggil di setiap loket, jumlah yang menunggu per kelompok, dan 5 panggilan terakhir."""
    return await queue_service.display(session, office_id=await queue_service.queue_office_id(session, office))


@router.get("/counters/{counter}/board", response_model=BoardOut, responses={401: ERRORS[401], 403: ERRORS[403], 404: ERRORS[404]})
async def board(user: CurrentUser, session: SessionDep, counter: CounterCode) -> dict[str, Any]:
    """Layar petugas loket: nomor yang sedang dilayani, jumlah yang menunggu untuk loket ini, dan nomor yang ditangani hari ini."""
    return await queue_service.counter_board(session, staff=user, counter_code=counter)


@router.post("/counters/{counter}/call-next", response_model=TicketOut, responses=_COUNTER_ERRORS)
async def call_next(user: CurrentUser, session: SessionDep, counter: CounterCode) -> dict[str, Any]:
    # The docstring is the route's OpenAPI description: one line, as published (a wrap would put a newline in it).
    """Panggil berikutnya: nomor yang sedang dilayani dicatat selesai, lalu nomor menunggu tertua hari ini dari kelompok loket ini dipanggil (409 bila tidak ada)."""  # noqa: E501
    return queue_service.serialize(await queue_service.call_next(session, staff=user, counter_code=counter))


@router.post("/counters/{counter}/recall", response_model=TicketOut, responses=_COUNTER_ERRORS)
async def recall(user: CurrentUser, session: SessionDep, counter: CounterCode) -> dict[str, Any]:
    """Panggil ulang nomor yang sedang dilayani; layar menampilkannya lagi sebagai panggilan terbaru (409 bila belum ada)."""
    return queue_service.serialize(await queue_service.recall(session, staff=user, counter_code=counter))


@router.post("/counters/{counter}/skip", response_model=TicketOut, responses=_COUNTER_ERRORS)
async def skip(user: CurrentUser, session: SessionDep, counter: CounterCode) -> dict[str, Any]:
    """Lewati nomor yang dipanggil tetapi tidak datang; loket lalu dapat memanggil berikutnya (409 bila belum ada)."""
    return queue_service.serialize(await queue_service.skip(session, staff=user, counter_code=counter))
