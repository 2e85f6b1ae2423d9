"""Refusals as HTTP: the one table from a domain refusal (gateway/services/errors.py) to its status code, and
`ApiError` for the refusals of the HTTP layer itself (perimeter, framework errors), whose status is their own.
Every refusal carries a readable `detail` in Bahasa Indonesia; app.py answers all of them with
{"detail", "code", "errors"}, pages with an error page or the form again."""

from collections.abc import Mapping

from fastapi import HTTPException

from gateway.services.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    Throttled,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unreadable,
    UnsupportedMedia,
    conflict,
    forbidden,
    invalid,
    not_found,
)

__all__ = ["HTTP_STATUS", "ApiError", "Conflict", "DomainError", "FieldError", "Forbidden", "Gone", "Invalid", "NotFound", "Throttled",
           "TooLarge", "Unauthenticated", "Unavailable", "Unreadable", "UnsupportedMedia", "as_api_error", "conflict", "forbidden", "headers_of", "invalid",
           "not_found", "status_of"]

HTTP_STATUS: dict[type[DomainError], int] = {
    Unreadable: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    UnsupportedMedia: 415,
    Invalid: 422,
    Throttled: 429,
    Unavailable: 503,
}


class ApiError(HTTPException, DomainError):
    """A refusal said by the HTTP layer in HTTP's own terms (a status code and maybe headers). An HTTPException still,
    so that FastAPI lets it through as it is when the perimeter raises it while a route reads its body."""

    def __init__(self, status_code: int, detail: str, *, code: str | None = None, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        HTTPException.__init__(self, status_code=status_code, detail=detail, headers=headers)
        DomainError.__init__(self, detail, code=code, errors=errors)

    def __str__(self) -> str:
        return HTTPException.__str__(self)


def status_of(exc: DomainError) -> int:
    if isinstance(exc, ApiError):
        return exc.status_code
    return next(HTTP_STATUS[kind] for kind in type(exc).__mro__ if kind in HTTP_STATUS)


def headers_of(exc: DomainError) -> Mapping[str, str] | None:
    if isinstance(exc, ApiError):
        return exc.headers
    return {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None


def as_api_error(exc: DomainError) -> ApiError:
    """The refusal with its status and headers, as the app's handler and the pages' error page answer it."""
    if isinstance(exc, ApiError):
        return exc
    headers = headers_of(exc)
    error = ApiError(status_of(exc), exc.detail, code=exc.code, errors=exc.errors, headers=dict(headers) if headers else None)
    error.__cause__ = exc
    return error
