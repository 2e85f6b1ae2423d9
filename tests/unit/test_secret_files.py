"""Secrets as files (issue 15, item 9): SATUPINTU_<NAME>_FILE=/run/secrets/<name> gives a setting from a file
(Docker/Kubernetes secrets), so no secret need sit in a container's environment; the PostgreSQL pool sizes PostgreSQL's
max_connections is budgeted for come from the settings."""

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from store.db import make_engine
from store.observability import Redactor
from store.settings import SecretFileError, Settings, get_settings

# Every setting that holds a secret: each can be given as a file (docker-compose.yml does so for all of them).
SECRETS = {
    "SECRET_KEY": "secret_key",
    "PAYLOAD_KEY": "payload_key",
    "PAYLOAD_OLD_KEYS": "payload_old_keys",
    "DATABASE_URL": "database_url",
    "DATABASE_PASSWORD": "database_password",
    "WHATSAPP_ACCESS_TOKEN": "whatsapp_access_token",
    "WHATSAPP_APP_SECRET": "whatsapp_app_secret",
    "WHATSAPP_VERIFY_TOKEN": "whatsapp_verify_token",
    "CIVIL_REGISTRY_SECRET": "civil_registry_secret",
    "SMTP_PASSWORD": "smtp_password",
    "METRICS_TOKEN": "metrics_token",
    "S3_SECRET_ACCESS_KEY": "s3_secret_access_key",
}


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean SATUPINTU_* environment in an empty folder (no .env beside it)."""
    import os

    for name in list(os.environ):
        if name.startswith("SATUPINTU_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def secret_file(tmp_path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("variable", sorted(SECRETS))
def test_every_secret_setting_is_read_from_its_file(env, tmp_path, variable):
    value = "postgresql+asyncpg://satupintu@postgresql/satupintu" if variable == "DATABASE_URL" else "rahasia-dari-berkas-0123456789"
    env.setenv(f"SATUPINTU_{variable}_FILE", secret_file(tmp_path, variable.lower(), value + "\n"))
    assert getattr(Settings(), SECRETS[variable]) == value


def test_only_one_trailing_newline_is_taken_off(env, tmp_path):
    env.setenv("SATUPINTU_SECRET_KEY_FILE", secret_file(tmp_path, "key", " kunci dengan spasi \n\n"))
    assert Settings().secret_key == " kunci dengan spasi \n"
    env.setenv("SATUPINTU_SECRET_KEY_FILE", secret_file(tmp_path, "key-crlf", "kunci-windows\r\n"))
    assert Settings().secret_key == "kunci-windows"


def test_a_value_and_its_file_together_are_refused(env, tmp_path):
    env.setenv("SATUPINTU_PAYLOAD_KEY", "dari-lingkungan")
    env.setenv("SATUPINTU_PAYLOAD_KEY_FILE", secret_file(tmp_path, "payload", "dari-berkas"))
    with pytest.raises(SecretFileError) as refused:
        Settings()
    assert "SATUPINTU_PAYLOAD_KEY dan SATUPINTU_PAYLOAD_KEY_FILE keduanya diisi" in str(refused.value)
    # An empty variable is not a value: the file gives it (a compose file may declare the name empty).
    env.setenv("SATUPINTU_PAYLOAD_KEY", "")
    assert Settings().payload_key == "dari-berkas"


def test_the_env_file_counts_as_the_environment(env, tmp_path):
    (tmp_path / ".env").write_text(f"SATUPINTU_METRICS_TOKEN_FILE={secret_file(tmp_path, 'token', 'token-dari-berkas')}\n")
    assert Settings().metrics_token == "token-dari-berkas"
    env.setenv("SATUPINTU_METRICS_TOKEN", "token-dari-lingkungan")
    with pytest.raises(SecretFileError):
        Settings()


def test_an_unreadable_file_stops_the_process_with_what_to_fix(env, tmp_path):
    env.setenv("SATUPINTU_SECRET_KEY_FILE", str(tmp_path / "tidak-ada"))
    with pytest.raises(SecretFileError) as refused:
        Settings()
    message = str(refused.value)
    assert f"SATUPINTU_SECRET_KEY_FILE menunjuk {tmp_path / 'tidak-ada'}" in message
    assert "tidak dapat dibaca" in message and "Pastikan berkasnya ada" in message
    env.setenv("SATUPINTU_SECRET_KEY_FILE", str(tmp_path))  # a folder, as when a secret's mount is missing
    with pytest.raises(SecretFileError, match="tidak dapat dibaca"):
        Settings()
    (tmp_path / "biner").write_bytes(b"\xff\xfe\x00")
    env.setenv("SATUPINTU_SECRET_KEY_FILE", str(tmp_path / "biner"))
    with pytest.raises(SecretFileError, match="bukan teks UTF-8"):
        Settings()


def test_the_database_password_file_goes_into_the_url_whatever_its_characters(env, tmp_path):
    password = "p@ss/w:rd?#%&"
    env.setenv("SATUPINTU_DATABASE_URL", "postgresql+asyncpg://satupintu@postgresql:5432/satupintu")
    env.setenv("SATUPINTU_DATABASE_PASSWORD_FILE", secret_file(tmp_path, "db", password + "\n"))
    settings = Settings()
    url = make_url(settings.effective_database_url)
    assert (url.username, url.password, url.host, url.database) == ("satupintu", password, "postgresql", "satupintu")
    # Read from a file, it is still one of the configured secrets every log line is cleaned of.
    assert password not in Redactor(settings).text(f"koneksi gagal: {settings.effective_database_url}")


def test_a_url_with_a_password_and_a_password_setting_is_refused(env, tmp_path):
    env.setenv("SATUPINTU_DATABASE_URL", "postgresql+asyncpg://satupintu:lama@postgresql/satupintu")
    env.setenv("SATUPINTU_DATABASE_PASSWORD_FILE", secret_file(tmp_path, "db", "baru"))
    with pytest.raises(ValidationError, match="sudah memuat kata sandi"):
        Settings()


def test_the_postgresql_pool_is_sized_by_the_settings(env):
    engine = make_engine("postgresql+asyncpg://satupintu@127.0.0.1:5/satupintu")
    assert (engine.sync_engine.pool.size(), engine.sync_engine.pool._max_overflow) == (10, 20)
    env.setenv("SATUPINTU_DB_POOL_SIZE", "4")
    env.setenv("SATUPINTU_DB_MAX_OVERFLOW", "2")
    get_settings.cache_clear()
    engine = make_engine("postgresql+asyncpg://satupintu@127.0.0.1:5/satupintu")
    assert (engine.sync_engine.pool.size(), engine.sync_engine.pool._max_overflow) == (4, 2)


def test_a_process_given_an_unreadable_secret_file_stops_with_what_to_fix(tmp_path) -> None:
    import subprocess
    import sys

    missing = tmp_path / "secret-key"
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("SATUPINTU_")}
    env.update({"SATUPINTU_VAR_DIR": str(tmp_path), "SATUPINTU_SECRET_KEY_FILE": str(missing)})
    done = subprocess.run([sys.executable, "-m", "cli.main", "worker"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "SATUPINTU_SECRET_KEY_FILE" in done.stderr and str(missing) in done.stderr and "tidak dapat dibaca" in done.stderr
    assert "Traceback" not in done.stderr
