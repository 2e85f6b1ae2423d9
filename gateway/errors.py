"""Structured API errors: every refusal carries a readable `detail` in Bahasa Indonesia."""

from fastapi import HTTPException


class ApiError(HTTPException):
    def __init__(self, status_code: int, detail: str, *, code: str | None = None, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.code = code
        self.errors = errors or []


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} tidak ditemukan.", code="not_found")


def forbidden(detail: str = "Anda tidak berwenang melakukan tindakan ini.") -> ApiError:
    return ApiError(403, detail, code="forbidden")


def conflict(detail: str, code: str = "conflict") -> ApiError:
    return ApiError(409, detail, code=code)


def invalid(detail: str, *, field: str | None = None) -> ApiError:
    return ApiError(422, detail, code="invalid", errors=[{"field": field, "message": detail}] if field else [])
