from datetime import date

from pydantic import BaseModel, Field


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


ERRORS = {
    401: {"model": ErrorOut, "description": "Belum masuk atau sesi berakhir"},
    403: {"model": ErrorOut, "description": "Bukan wewenang Anda"},
    404: {"model": ErrorOut, "description": "Tidak ditemukan"},
    409: {"model": ErrorOut, "description": "Bertentangan dengan keadaan saat ini"},
    422: {"model": ErrorOut, "description": "Isian tidak valid"},
}
