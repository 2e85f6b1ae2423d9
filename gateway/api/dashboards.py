"""Dashboards for process owners and auditors (issue 6).

- `GET /api/v1/dashboards?from=YYYY-MM-DD&to=YYYY-MM-DD` — every figure: title, description, columns and rows;
- `GET /api/v1/dashboards/{figure}.csv` — one figure as CSV (UTF-8 with BOM, `;`-separated, decimal comma,
  header row in Bahasa Indonesia), as an attachment.

Figures: open_tasks, sla, throughput, revisions, complaint_times, ikm, walk_in_ratings. Both routes take the
same optional period (office-local dates, both included).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import Field

from gateway.api.schemas import ERRORS, CsvResponse, OpenMapping, Out, Responses
from gateway.deps import RunReader, SessionDep
from gateway.services import dashboards as service

router = APIRouter(prefix="/api/v1", tags=["dasbor"])

FromDate = Annotated[str | None, Query(alias="from", max_length=20, description="Tanggal awal (TTTT-BB-HH), tanggal kantor")]
ToDate = Annotated[str | None, Query(alias="to", max_length=20, description="Tanggal akhir (TTTT-BB-HH), ikut dihitung")]
FigureName = Annotated[str, Path(max_length=40, description="Nama grafik: " + ", ".join(f.name for f in service.FIGURES))]


class ColumnOut(Out):
    key: str
    label: str


class FigureOut(Out):
    title: str
    description: str
    columns: list[ColumnOut]
    # One mapping per row, keyed by the figure's column keys.
    rows: list[OpenMapping]


class DashboardOut(Out):
    from_: str | None = Field(alias="from")
    to: str | None
    generated_at: str
    figures: dict[str, FigureOut]


_REFUSALS: Responses = {401: ERRORS[401], 403: ERRORS[403], 422: ERRORS[422]}


@router.get("/dashboards", response_model=DashboardOut, responses=_REFUSALS)
async def dashboards(user: RunReader, session: SessionDep, from_: FromDate = None, to: ToDate = None) -> dict[str, Any]:
    return await service.dashboard(session, period=service.parse_period(from_, to))


@router.get("/dashboards/{figure}.csv", response_class=CsvResponse, responses={**_REFUSALS, 404: ERRORS[404],
                                                   200: {"content": {"text/csv": {}}, "description": "Satu grafik sebagai CSV"}})
async def dashboard_csv(figure: FigureName, user: RunReader, session: SessionDep, from_: FromDate = None, to: ToDate = None) -> Response:
    service.figure(figure)  # an unknown figure is a 404 before the period is looked at
    period = service.parse_period(from_, to)
    rows = await service.rows_of(session, name=figure, period=period)
    return Response(service.to_csv(figure, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{service.csv_filename(figure, period)}"',
                             "Cache-Control": "no-store"})
