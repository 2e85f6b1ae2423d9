from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The published development key: it signs sessions in `make run` and tests only; production refuses it.
DEV_SECRET_KEY = "dev-only-secret-change-me-in-production-0123456789"
# Shorter keys can be guessed offline from any one token (HS256 is checked without asking the server).
SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
# The path under which the gateway serves the Temporal Web UI, and the UI server's public path (they must agree).
TEMPORAL_UI_PATH = "/temporal"


class InsecureSecretKey(RuntimeError):
    """SATUPINTU_SECRET_KEY is unset, the published default, or short outside dev mode: the process refuses to start."""


class SecretFileError(RuntimeError):
    """A SATUPINTU_<NAME>_FILE that cannot be used (unreadable, or given beside SATUPINTU_<NAME>): the process refuses
    to start, with what to fix in Bahasa Indonesia."""


class SecretFilesSource(PydanticBaseSettingsSource):
    """SATUPINTU_<NAME>_FILE=/run/secrets/<name>: the value of SATUPINTU_<NAME> read from that file (Docker and
    Kubernetes secrets), so that a secret is not in the environment, where `docker inspect`, /proc/<pid>/environ and
    every child process see it. Any setting can be given this way. The file's content is the value as it is, less
    one trailing newline (what `echo` and editors add). Both SATUPINTU_<NAME> (non-empty) and its _FILE set is refused:
    which of the two wins would be a guess."""

    def __init__(self, settings_cls: type[BaseSettings], *environments: Mapping[str, str | None]) -> None:
        super().__init__(settings_cls)
        # The process environment and the .env file, as pydantic-settings read them (lower-cased names).
        self._environments = environments

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every field at once

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.settings_cls.model_config.get("env_prefix", ""))
        values: dict[str, Any] = {}
        for name in self.settings_cls.model_fields:
            variable = f"{prefix}{name}".upper()
            path = next((env[variable.lower() + "_file"] for env in self._environments if env.get(variable.lower() + "_file")), None)
            if path is None:
                continue
            if any(env.get(variable.lower()) for env in self._environments):
                raise SecretFileError(
                    f"{variable} dan {variable}_FILE keduanya diisi: pakai salah satu saja (sebaiknya {variable}_FILE, "
                    "agar rahasianya tidak berada di lingkungan proses).")
            values[name] = read_secret_file(variable, path)
        return values


def read_secret_file(variable: str, path: str) -> str:
    """The value in the file that <variable>_FILE names, less one trailing newline."""
    try:
        value = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SecretFileError(f"{variable}_FILE menunjuk {path}, tetapi isinya bukan teks UTF-8.") from None
    except OSError as exc:
        raise SecretFileError(
            f"{variable}_FILE menunjuk {path}, tetapi berkas itu tidak dapat dibaca ({exc.strerror or exc}). Pastikan "
            "berkasnya ada dan dapat dibaca oleh pengguna yang menjalankan proses ini.") from None
    if value.endswith("\r\n"):
        return value[:-2]
    return value[:-1] if value.endswith("\n") else value


class Settings(BaseSettings):
    """One settings class for every process; values come from SATUPINTU_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="SATUPINTU_", env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        # Before the environment: SATUPINTU_<NAME>_FILE refuses a non-empty SATUPINTU_<NAME> beside it, and wins over
        # an empty one (a compose file may declare the name empty).
        environments = [getattr(source, "env_vars", {}) for source in (env_settings, dotenv_settings)]
        return init_settings, SecretFilesSource(settings_cls, *environments), env_settings, dotenv_settings, file_secret_settings

    dev_mode: bool = True
    var_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    # The password for database_url when the URL carries none, so that it can be given as a file
    # (SATUPINTU_DATABASE_PASSWORD_FILE) and may hold any character (it is URL-encoded here). A URL with a password
    # of its own and this set is refused.
    database_password: str = ""
    # The SQLAlchemy pool of each process on PostgreSQL: at most db_pool_size + db_max_overflow connections per
    # worker or gateway. PostgreSQL's max_connections must hold every process's maximum at once, Temporal's own pools
    # and a few for the administrator (the budget in docker-compose.yml).
    db_pool_size: int = 10
    db_max_overflow: int = 20
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "satupintu"
    # mTLS to a Temporal cluster reached over a network (workers on other hosts): the CA that signed the server's
    # certificate, and this process's client certificate and key (PEM paths). Unset: plain gRPC, for a Temporal
    # server on the same host or a private network only.
    temporal_tls_ca_path: Path | None = None
    temporal_tls_cert_path: Path | None = None
    temporal_tls_key_path: Path | None = None
    # The name in the server's certificate, when it differs from the host in temporal_address.
    temporal_tls_server_name: str = ""
    temporal_ui_port: int = 8233
    # Where the gateway reaches the Temporal Web UI server that it serves at <gateway>/temporal/ to process owners,
    # auditors and administrators (gateway/temporal_ui.py). That server must run with its public path set to
    # /temporal and its codec endpoint to /codec. Empty: the dev server's own UI on 127.0.0.1:temporal_ui_port.
    temporal_ui_upstream: str = ""

    public_base_url: str = "http://127.0.0.1:8000"
    # Addresses of the reverse proxy whose X-Forwarded-For / X-Forwarded-Proto are trusted (comma separated IPs or
    # CIDR networks), so rate limits see the citizen's address rather than the proxy's. Empty: nobody's are, and
    # every client is counted by the address it connects from.
    forwarded_allow_ips: str = ""
    # Whether browsers always reach the gateway over https (a TLS-terminating proxy in front): cookies then carry
    # Secure and responses HSTS even though the gateway itself sees plain http. Unset: yes outside dev mode or when
    # public_base_url is https; a request that arrived over https (directly, or per a trusted proxy's
    # X-Forwarded-Proto) is treated as https either way. See gateway/security.py served_over_https.
    cookie_secure: bool | None = None
    # Signs sessions, tokens, arithmetic challenges and email codes. Outside dev mode it must be set, at least
    # SECRET_KEY_MIN_LENGTH characters and not the published DEV_SECRET_KEY, or the gateway and worker refuse to start.
    # Changing it signs everyone out.
    secret_key: str = DEV_SECRET_KEY
    access_token_minutes: int = 12 * 60
    # Password hashing (argon2id) runs in worker threads, at most this many at once; sign-ins beyond that wait in a
    # queue of login_queue places, and past it are answered 503 at once, so a burst of sign-ins never holds up the rest.
    login_concurrency: int = 2
    login_queue: int = 32
    # Largest request body of any route but uploads (JSON, forms, webhooks), in bytes: larger is answered 413 before
    # it is read. Uploads (multipart) have their own limit of 50 MB per file.
    max_body_bytes: int = 1024 * 1024
    # /docs, /redoc and /openapi.json. Unset: on in dev mode, off in production.
    api_docs: bool | None = None

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "SatuPintu <noreply@satupintu.local>"

    # WhatsApp Cloud API (or a compatible gateway). Outbound: POST {whatsapp_api_url}/{version}/{phone_number_id}/messages
    # with the bearer token. Inbound: the webhook checks X-Hub-Signature-256 against the app secret and answers the
    # GET handshake with the verify token. In dev mode the API is the local fake (`satupintu wa-fake`) on whatsapp_fake_port.
    whatsapp_api_url: str = ""
    whatsapp_api_version: str = "v21.0"
    whatsapp_phone_number_id: str = "dev-phone-number-id"
    whatsapp_access_token: str = "dev-access-token"
    whatsapp_app_secret: str = "dev-app-secret"
    whatsapp_verify_token: str = "dev-verify-token"
    whatsapp_fake_port: int = 8026

    # The civil registry (Disdukcapil) for SIRAMASAKAN hand-offs. Empty URL: the civil-registry officer records
    # the outcome in the SatuPintu inbox. Set: hand-offs are POSTed to {civil_registry_url}/handoffs with an
    # Idempotency-Key, and the registry's callbacks to /webhooks/civil-registry are HMAC-SHA256-signed with the
    # shared secret. In dev mode `satupintu registry-fake` speaks the same protocol on civil_registry_fake_port.
    civil_registry_url: str = ""
    civil_registry_secret: str = "dev-registry-secret"
    civil_registry_fake_port: int = 8027

    # Operations (issue 6). Logs: "json" (one object per line, with the workflow id) or "console".
    log_format: str = "json"
    log_level: str = "INFO"
    # Traces: "" (off), "console" (JSON lines to var/log/traces-<component>.jsonl) or "otlp" (OTLP/HTTP to otel_endpoint).
    traces_exporter: str = "console"
    otel_endpoint: str = ""
    service_name: str = "satupintu"
    # When set, /metrics asks for "Authorization: Bearer <metrics_token>"; empty leaves it to the network.
    metrics_token: str = ""
    # How often the worker projects Temporal's run list into the run index (seconds).
    run_index_interval_seconds: float = 5.0
    # How long `satupintu worker` may take to stop after SIGTERM (or Ctrl-C); it is gone within this time. Activities
    # already running get all of it but the last fifth (at least 2 s, at most 5 s, kept for reporting outcomes and
    # closing connections) to finish; those still running then are cancelled and Temporal retries them on another worker.
    # A container runtime's stop grace period must be longer than this.
    worker_graceful_timeout_seconds: float = 25.0

    # Paths of the signing key and certificate (PEM). In dev mode a self-signed pair is made on first use.
    signing_key_path: Path | None = None
    signing_cert_path: Path | None = None
    # The officials' TTE keys and certificates (<signing_dir>/officials/<username>.key.pem and .cert.pem) and, in dev
    # mode, the development CA and signer. A local folder, never the file storage below, so production mounts it
    # read-only into the gateways and workers and no document reader can reach it. Unset: var_dir/signing.
    signing_dir: Path | None = None

    # Where every file is kept: uploads (File Saya, chat attachments, letter scans), complaint photos and issued
    # documents (store/storage.py). Unset: the var dir itself, as in earlier releases (the embedded stack).
    # file:///folder: another local folder. s3://bucket/prefix: an S3-compatible bucket (MinIO, Ceph, a cloud
    # bucket) shared by every gateway and worker, which replicas on several hosts need.
    storage_url: str = ""
    # For s3://: the service's address (unset: AWS), its region, and the access key; unset keys fall back to
    # boto3's own chain (AWS_* variables, an instance role).
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""

    # AES-256-GCM key (32 bytes, base64) that encrypts every Temporal payload, so personal data is never in clear in
    # histories (UU 27/2022; store/payload_codec.py). Empty in dev mode: one is generated under var_dir/payload.key.
    # Outside dev mode an empty key is refused at start. Rotating: put the new key here and the old ones, comma
    # separated, in payload_old_keys (they still decrypt older runs).
    payload_key: str = ""
    payload_old_keys: str = ""
    # Whether a workflow input (start, signal, update) in clear is accepted. Unset: in dev mode only; in production
    # only a holder of the payload key can start, signal or update a run (see store/payload_codec.py).
    accept_clear_payloads: bool | None = None

    def secret_key_problem(self) -> str | None:
        """Why secret_key may not sign sessions here (None in dev mode, or when it is fit to). Whoever knows the key
        can make a token for any account, the administrator's included."""
        if self.dev_mode:
            return None
        key = self.secret_key.strip()
        if not key:
            problem = "SATUPINTU_SECRET_KEY wajib diisi di luar mode pengembangan: kunci ini menandatangani sesi dan token masuk."
        elif key == DEV_SECRET_KEY:
            problem = ("SATUPINTU_SECRET_KEY masih kunci pengembangan yang dipublikasikan: siapa pun dapat memalsukan sesi "
                       "siapa saja dengannya.")
        elif len(key) < SECRET_KEY_MIN_LENGTH:
            problem = f"SATUPINTU_SECRET_KEY terlalu pendek ({len(key)} karakter; paling sedikit {SECRET_KEY_MIN_LENGTH})."
        else:
            return None
        return f"{problem} Buat kunci acak dengan: {SECRET_KEY_HINT}"

    @field_validator("storage_url")
    @classmethod
    def _storage_url_is_usable(cls, value: str) -> str:
        from store.storage import parse_storage_url  # noqa: PLC0415 - storage needs these settings' type only

        parse_storage_url(value)  # a mistyped URL stops the process at start, with what to write instead
        return value

    def require_safe_secret_key(self) -> None:
        """Raises InsecureSecretKey outside dev mode unless secret_key is fit to sign sessions."""
        if problem := self.secret_key_problem():
            raise InsecureSecretKey(problem)

    @model_validator(mode="after")
    def _one_database_password(self) -> "Settings":
        if self.database_password and self.database_url:
            from sqlalchemy.engine import make_url  # noqa: PLC0415 - settings stay importable without SQLAlchemy's engine

            if make_url(self.database_url).password is not None:
                raise ValueError("SATUPINTU_DATABASE_URL sudah memuat kata sandi: jangan isi SATUPINTU_DATABASE_PASSWORD "
                                 "(atau _FILE) juga, atau hapus kata sandi dari URL.")
        return self

    @property
    def effective_database_url(self) -> str:
        if not self.database_url:
            return f"sqlite+aiosqlite:///{self.var_dir / 'satupintu.db'}"
        from sqlalchemy.engine import make_url  # noqa: PLC0415 - settings stay importable without SQLAlchemy's engine

        url = make_url(self.database_url)
        # An operator writes the URL their other tools take (sqlite:///…, postgresql://…); SatuPintu talks to the
        # database through asyncio, so the plain forms mean its async drivers rather than a crash at the first query.
        backend = url.get_backend_name()
        if backend == "sqlite" and url.get_driver_name() != "aiosqlite":
            url = url.set(drivername="sqlite+aiosqlite")
        elif backend in {"postgresql", "postgres"} and url.get_driver_name() != "asyncpg":
            url = url.set(drivername="postgresql+asyncpg")
        if self.database_password:
            url = url.set(password=self.database_password)
        return url.render_as_string(hide_password=False)

    @property
    def temporal_web_ui(self) -> str:
        """Where people open the Temporal Web UI: under the gateway's own address, so its codec calls carry the session."""
        return self.public_base_url.rstrip("/") + TEMPORAL_UI_PATH

    @property
    def temporal_ui_server(self) -> str:
        return (self.temporal_ui_upstream or f"http://127.0.0.1:{self.temporal_ui_port}").rstrip("/")

    @property
    def effective_whatsapp_api_url(self) -> str:
        return self.whatsapp_api_url or f"http://127.0.0.1:{self.whatsapp_fake_port}"

    @property
    def documents_dir(self) -> Path:
        """Where issued documents are with the default local storage (tests look there); code reads them through
        store.storage, whichever storage is configured."""
        return self.var_dir / "documents"

    @property
    def effective_signing_dir(self) -> Path:
        return self.signing_dir or self.var_dir / "signing"

    @property
    def maildir(self) -> Path:
        return self.var_dir / "mail"


@lru_cache
def get_settings() -> Settings:
    return Settings()
