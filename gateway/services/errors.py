"""What a service refuses, in the domain's terms: the kind of refusal, a readable `detail` in Bahasa Indonesia,
a machine `code`, and the form fields it concerns (`errors`, each {field, message}) so that a page puts the
message beside the field without reading the text. Nothing here knows HTTP: gateway/errors.py maps each kind
to its status code, in one table, for the API's JSON and the pages alike."""

# One field's message: {"field": "reason", "message": "Alasan wajib diisi."}.
FieldError = dict[str, str]


def field_errors(errors: dict[str, str]) -> list[FieldError]:
    return [{"field": f, "message": m} for f, m in errors.items()]


class DomainError(Exception):
    default_code: str | None = None

    def __init__(self, detail: str, *, code: str | None = None, errors: list[FieldError] | None = None,
                 field: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        # `field`: the one field the whole refusal is about, said with the refusal's own message.
        self.errors: list[FieldError] = list(errors or ()) + ([{"field": field, "message": detail}] if field else [])
        self.retry_after = retry_after  # seconds after which asking again may succeed
        # The form fields a refusal names beyond `errors` (a workflow's validator names them only in its message): pages mark
        # them; the API's `errors` stays as clients have always had it. `hints`: the fields named outright (a field's title
        # in quotes, the reason); `mentions`: every field whose title the message mentions, in the form's order.
        self.hints: list[FieldError] = []
        self.mentions: list[str] = []

    def __str__(self) -> str:
        return self.detail


class Unreadable(DomainError):
    """What was sent cannot be read at all (not JSON, a broken signature payload)."""


class Unauthenticated(DomainError):
    """Who is asking is not known (no or expired session, a webhook without a valid signature)."""


class Forbidden(DomainError):
    default_code = "forbidden"


class NotFound(DomainError):
    default_code = "not_found"


class Conflict(DomainError):
    """Refused by the current state of the case, the task or the process."""

    default_code = "conflict"


class Gone(DomainError):
    """Was there and is no more (a permit's one download spent, its week passed)."""


class TooLarge(DomainError):
    default_code = "too_large"


class UnsupportedMedia(DomainError):
    default_code = "unsupported_media_type"


class Invalid(DomainError):
    default_code = "invalid"


class Throttled(DomainError):
    default_code = "throttled"


class Unavailable(DomainError):
    """A part the service needs (Temporal, storage, email) does not answer, or is not configured: try again later."""


def not_found(what: str) -> NotFound:
    return NotFound(f"{what} tidak ditemukan.")


def forbidden(detail: str = "Anda tidak berwenang melakukan tindakan ini.") -> Forbidden:
    return Forbidden(detail)


def conflict(detail: str, code: str = "conflict") -> Conflict:
    return Conflict(detail, code=code)


def invalid(detail: str, *, field: str | None = None) -> Invalid:
    return Invalid(detail, field=field)
