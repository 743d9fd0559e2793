"""The deployment as an operator meets it: docker-compose.yml rendered by Compose for every
profile, the desk's settings fed what Compose hands each of its processes, and deploy/nginx.conf
run by nginx in front of a stand-in app on loopback.

`docker-compose config` needs no Docker engine. Debian's docker-compose and nginx (and openssl,
for a throwaway certificate) come from `make system-deps`; without them these tests fail, saying
so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml
from dotenv import dotenv_values

from bot.wiring import Config, load_config, unclaimed
from tests.conftest import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
MISSING = "{} is not installed: run `make system-deps` (Debian's {} package)"
SECRET = "x" * 48
PASSWORD = "pgPassword42"
REQUIRED = {"POSTGRES_PASSWORD": PASSWORD, "SERVICEDESK_SESSION_SECRET": SECRET}
GPU_ENV = {"SERVICEDESK_LLM_ENGINE": "external", "SERVICEDESK_LLM_BASE_URL": "http://vllm:8000/v1"}
DEFAULT = {"postgres", "chroma", "redis", "app", "worker", "proxy"}
ADDED_BY = {"": set(), "slack": {"slack"}, "gpu": {"vllm"}, "monitoring": {"prometheus"}}
# Images with no unprivileged account for their data (a comment in the compose file says why).
ROOT_IMAGES = {"chroma", "vllm"}
DESK_PROCESSES = ("app", "worker", "slack")
# What authenticating proxies send; a client must never get one through to the app.
SSO_HEADERS = (
    "X-Remote-User", "X-Remote-Groups", "X-Forwarded-User", "X-Forwarded-Groups",
    "X-Forwarded-Email", "X-Auth-Request-User", "X-Auth-Request-Groups",
    "X-Auth-Request-Email", "Remote-User", "X-WebAuth-User", "X_Remote_User",
)  # fmt: skip


# -- Compose ----------------------------------------------------------------------------------


def compose_binary() -> str:
    """Debian's docker-compose, or fail the test naming the package."""
    found = shutil.which("docker-compose")
    if found is None:
        pytest.fail(MISSING.format("docker-compose", "docker-compose"), pytrace=False)
    return found


def compose_config(
    env: dict[str, str], folder: Path, profiles: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """Run `docker-compose config` on the repository's file with ``env`` as its .env and nothing
    else from this process's environment (the tests set SERVICEDESK_* variables of their own)."""
    env_file = folder / f"env-{len(list(folder.iterdir()))}"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    command = [compose_binary(), "-f", str(COMPOSE), "--env-file", str(env_file)]
    for profile in profiles:
        command += ["--profile", profile]
    clean = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(folder)}
    return subprocess.run(
        [*command, "config"], env=clean, capture_output=True, text=True, timeout=120
    )


def rendered(env: dict[str, str], folder: Path, profiles: tuple[str, ...] = ()) -> dict:
    """The configuration Compose would run, parsed; fails the test with Compose's words."""
    done = compose_config(env, folder, profiles)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def active(config: dict, profiles: tuple[str, ...]) -> set[str]:
    """The services `up` starts with ``profiles`` (Compose v1 lists inactive ones too)."""
    return {
        name
        for name, service in config["services"].items()
        if not service.get("profiles") or set(service["profiles"]) & set(profiles)
    }


def published(service: dict) -> list[tuple[str, int, int]]:
    """(host address, host port, container port) of each published port, in either of the
    forms Compose writes them (v2: mappings; v1: mappings or "ip:host:container/proto")."""
    ports = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ports.append((port.get("host_ip", ""), int(port["published"]), int(port["target"])))
            continue
        parts = str(port).split("/")[0].split(":")
        host_ip = parts[0] if len(parts) == 3 else ""
        ports.append((host_ip, int(parts[-2]), int(parts[-1])))
    return ports


def mounts(service: dict) -> dict[str, str]:
    """Container path -> volume name or host path (v1 writes "source:target:mode", v2 maps)."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            found[volume["target"]] = volume.get("source", "")
        else:
            source, target, *_ = str(volume).split(":")
            found[target] = source
    return found


@pytest.fixture(scope="module")
def compose_dir(tmp_path_factory) -> Path:
    """A folder for throwaway .env files."""
    return tmp_path_factory.mktemp("compose")


@pytest.fixture(scope="module")
def configs(compose_dir: Path) -> dict[str, dict]:
    """The rendered configuration per profile ("" is the default)."""
    return {
        profile: rendered(REQUIRED, compose_dir, (profile,) if profile else ())
        for profile in ADDED_BY
    }


def test_every_profile_renders_and_starts_the_services_it_adds(configs) -> None:
    for profile, added in ADDED_BY.items():
        profiles = (profile,) if profile else ()
        assert active(configs[profile], profiles) == DEFAULT | added, profile


def test_only_the_proxy_publishes_a_port_and_the_app_scales(configs, compose_dir) -> None:
    services = configs[""]["services"]
    assert {p[2] for p in published(services["proxy"])} == {8080, 8443}
    # Prometheus' UI is for the host's operators only.
    assert {p[0] for p in published(services["prometheus"])} == {"127.0.0.1"}
    others = set(services) - {"proxy", "prometheus"}
    assert {name for name in others if published(services[name])} == set()
    app = services["app"]
    assert "container_name" not in app
    assert app["deploy"]["replicas"] == 2
    three = rendered({**REQUIRED, "APP_REPLICAS": "3"}, compose_dir)
    assert three["services"]["app"]["deploy"]["replicas"] == 3


def test_every_service_is_health_checked_and_dependants_wait_for_healthy(configs) -> None:
    services = configs[""]["services"]
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        for dependency, how in service.get("depends_on", {}).items():
            assert how == {"condition": "service_healthy"}, f"{name} -> {dependency}: {how}"
            assert dependency in services
    assert set(services["proxy"]["depends_on"]) == {"app"}
    assert set(services["app"]["depends_on"]) == {"postgres", "chroma", "redis"}


def test_services_run_unprivileged_where_their_images_allow(configs) -> None:
    services = configs[""]["services"]
    for name, service in services.items():
        user = str(service.get("user", "root"))
        if name in ROOT_IMAGES:
            continue
        assert user.split(":")[0] not in ("root", "0"), f"{name} runs as {user}"
    assert services["app"]["user"] == services["worker"]["user"] == "10001:10001"


def test_missing_secrets_stop_compose_naming_the_variable(compose_dir) -> None:
    for missing in REQUIRED:
        env = {k: v for k, v in REQUIRED.items() if k != missing}
        done = compose_config(env, compose_dir)
        assert done.returncode != 0
        assert missing in done.stderr
        # The refusal never prints the secret that was given.
        for given in env.values():
            assert given not in done.stderr + done.stdout


def desk_config(service: dict, monkeypatch: pytest.MonkeyPatch) -> Config:
    """Load the desk's settings exactly from ``service``'s environment, as its start would
    (an unknown SERVICEDESK_* name stops a start: so it does here)."""
    environment = {k: str(v) for k, v in service["environment"].items()}
    with monkeypatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("SERVICEDESK_")]:
            patch.delenv(name)
        for name, value in environment.items():
            patch.setenv(name, value)
        assert unclaimed(environment) == []
        return load_config(env_file=None)


def test_each_desk_process_accepts_its_compose_environment(configs, monkeypatch) -> None:
    services = configs["slack"]["services"]
    for name in DESK_PROCESSES:
        loaded = desk_config(services[name], monkeypatch)
        assert loaded.bot.session_secret == SECRET
        assert loaded.bot.cookie_secure and loaded.bot.ask_requires_sign_in
        assert not loaded.bot.api_docs
        assert loaded.bot.database_url.startswith("postgresql+psycopg://")
        assert loaded.bot.queue_url != loaded.bot.limits_storage_url  # two Redis databases
        assert loaded.retrieval.chroma_mode == "http"
    app = services["app"]["environment"]
    edge = configs[""]["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert app["FORWARDED_ALLOW_IPS"] == app["SERVICEDESK_SSO_TRUSTED_PROXIES"] == edge


def test_the_gpu_profile_serves_the_model_the_app_asks_for(compose_dir, monkeypatch) -> None:
    config = rendered({**REQUIRED, **GPU_ENV}, compose_dir, ("gpu",))
    vllm = config["services"]["vllm"]
    args = vllm["command"]
    assert args[args.index("--model") + 1] == "Qwen/Qwen2.5-7B-Instruct"
    served = args[args.index("--served-model-name") + 1]
    assert vllm["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    assert "/root/.cache/huggingface" in mounts(vllm)
    for name in ("app", "worker"):
        llm = desk_config(config["services"][name], monkeypatch).llm
        assert llm.engine == "external" and llm.api_base == "http://vllm:8000/v1"
        assert llm.served_model_name == served


def scrape_job(prometheus: dict) -> dict:
    """The app's scrape job in the prometheus.yml the service mounts."""
    scrape = yaml.safe_load(Path(mounts(prometheus)["/etc/prometheus/prometheus.yml"]).read_text())
    return next(j for j in scrape["scrape_configs"] if j["job_name"] == "servicedesk-app")


def test_prometheus_finds_every_app_replica(configs) -> None:
    prometheus = configs["monitoring"]["services"]["prometheus"]
    (discovery,) = scrape_job(prometheus)["dns_sd_configs"]
    app = configs["monitoring"]["services"]["app"]
    assert discovery["names"] == ["app"] and discovery["type"] == "A"
    assert str(discovery["port"]) == app["environment"]["SERVICEDESK_WEB_PORT"]
    assert set(prometheus["networks"]) & set(app["networks"])


def test_prometheus_start_hands_it_the_apps_metrics_token(compose_dir, tmp_path) -> None:
    config = rendered({**REQUIRED, "SERVICEDESK_METRICS_TOKEN": "t0ken"}, compose_dir)
    prometheus = config["services"]["prometheus"]
    assert config["services"]["app"]["environment"]["SERVICEDESK_METRICS_TOKEN"] == "t0ken"
    assert prometheus["environment"]["METRICS_TOKEN"] == "t0ken"
    credentials = Path(scrape_job(prometheus)["authorization"]["credentials_file"])
    # The container's start script, run here with its file in tmp_path and echo for Prometheus.
    (script,) = prometheus["command"]
    script = script.replace("$$", "$").replace(str(credentials), str(tmp_path / "token"))
    script = script.replace("exec /bin/prometheus", "exec echo started")
    assert prometheus["entrypoint"] == ["/bin/sh", "-c"]
    for token, started in (("t0ken", True), ("", False)):
        env = {"PATH": "/usr/bin:/bin", "METRICS_TOKEN": token}
        done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
        assert (done.returncode == 0) is started, done.stderr
        if started:
            assert done.stdout.startswith("started --config.file=/etc/prometheus/prometheus.yml")
            assert (tmp_path / "token").read_text() == "t0ken"
            assert (tmp_path / "token").stat().st_mode & 0o077 == 0
        else:
            assert "SERVICEDESK_METRICS_TOKEN" in done.stderr


def test_env_example_lists_every_variable_and_claims_only_real_settings(compose_dir) -> None:
    example = ROOT / ".env.example"
    text = example.read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", COMPOSE.read_text(encoding="utf-8")))
    assert used - listed == set()
    # `servicedesk` run in the same folder reads .env too and stops at unknown SERVICEDESK_*.
    assert unclaimed(listed) == []
    values = dotenv_values(example)
    assert all(not values[name] for name in REQUIRED), "the example must hold no secret"
    filled = {k: v or "" for k, v in values.items()} | REQUIRED
    assert active(rendered(filled, compose_dir), ()) == DEFAULT


def healthcheck_command(service: dict) -> list[str]:
    """A healthcheck's command as the container runs it (Compose v1 prints $ as $$)."""
    kind, *command = service["healthcheck"]["test"]
    assert kind in ("CMD", "CMD-SHELL")
    command = [part.replace("$$", "$") for part in command]
    return command if kind == "CMD" else ["sh", "-c", *command]


def test_python_healthchecks_compile(configs) -> None:
    services = configs["slack"]["services"]
    checked = 0
    for name, service in services.items():
        command = healthcheck_command(service)
        if command[:2] == ["python", "-c"]:
            compile(command[2], f"{name} healthcheck", "exec")
            checked += 1
    assert checked == 2  # the worker's and the Slack bot's


def server_port(name: str, command: list[str]) -> Iterator[int]:
    """Run ``command`` (``{port}`` in it filled in) until the test ends; yield the port once it
    listens."""
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process, name)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture()
def chroma_port(tmp_path: Path) -> Iterator[int]:
    """A Chroma server (`chroma run`, the version the compose file's image carries)."""
    binary = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    command = [binary, "run", "--path", str(tmp_path), "--host", "127.0.0.1", "--port", "{port}"]
    yield from server_port("chroma", command)


def test_chroma_healthcheck_tells_a_live_server_from_a_dead_one(configs, chroma_port) -> None:
    command = healthcheck_command(configs[""]["services"]["chroma"])
    assert command[0] == "bash" and "/127.0.0.1/8000 " in command[2]
    for port, healthy in ((chroma_port, True), (free_port(), False)):
        probe = [*command[:2], command[2].replace("/127.0.0.1/8000 ", f"/127.0.0.1/{port} ")]
        done = subprocess.run(probe, capture_output=True, timeout=10)
        assert (done.returncode == 0) is healthy, (port, done.stderr)


@pytest.fixture()
def redis_port(tmp_path: Path) -> Iterator[int]:
    """A real Redis server (Debian's redis-server) on loopback, nothing kept on disk."""
    binary = shutil.which("redis-server") or pytest.fail(
        MISSING.format("redis-server", "redis-server"), pytrace=False
    )
    command = [binary, "--bind", "127.0.0.1", "--port", "{port}", "--save", "",
               "--appendonly", "no", "--dir", str(tmp_path)]  # fmt: skip
    yield from server_port("redis-server", command)


def test_worker_healthcheck_tells_a_live_queue_from_a_dead_one(configs, redis_port) -> None:
    worker = configs[""]["services"]["worker"]
    command = healthcheck_command(worker)
    assert "SERVICEDESK_QUEUE_URL" in command[2]
    assert worker["environment"]["SERVICEDESK_QUEUE_URL"] == "redis://redis:6379/0"
    for port, healthy in ((redis_port, True), (free_port(), False)):
        env = {"PATH": os.environ["PATH"], "SERVICEDESK_QUEUE_URL": f"redis://127.0.0.1:{port}/0"}
        python = [str(Path(sys.executable)), *command[1:]]
        done = subprocess.run(python, env=env, capture_output=True, timeout=30)
        assert (done.returncode == 0) is healthy, (port, done.stderr[-300:])


def test_the_image_leaves_out_the_env_file_and_tls_keys() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in (".env", "deploy/certs/privkey.pem"):
        parents = [str(Path(*Path(path).parts[: i + 1])) for i in range(len(Path(path).parts))]
        ignored = any(fnmatch(p, pattern.rstrip("/")) for p in parents for pattern in patterns)
        assert ignored, f"`docker build` would copy {path} into the image"


# -- nginx ------------------------------------------------------------------------------------


def nginx_binary() -> str:
    """Debian's nginx, or fail the test naming the package."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )
    if found is None:
        pytest.fail(MISSING.format("nginx", "nginx"), pytrace=False)
    return found


def render_template(values: dict[str, str]) -> str:
    """deploy/nginx.conf as the image's entrypoint writes it (envsubst of ``values`` only)."""
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    assert "${SD_" not in text, "the template uses a variable the proxy is not given"
    return text


@dataclass(frozen=True)
class Ports:
    """Where a test's nginx listens: plain HTTP, its health check, HTTPS (TLS switched on)."""

    http: int = field(default_factory=free_port)
    health: int = field(default_factory=free_port)
    https: int = field(default_factory=free_port)


def localised(text: str, ports: Ports, tls: Path | None = None) -> str:
    """The rendered config on loopback ports, TLS switched on with the certificates in
    ``tls`` when given (each replaced line must exist: a changed config fails loudly)."""
    replacements = {
        "listen 8080 default_server;": f"listen 127.0.0.1:{ports.http} default_server;",
        "listen 127.0.0.1:8081;": f"listen 127.0.0.1:{ports.health};",
    }
    if tls is not None:
        text = text.replace("#TLS ", "")
        replacements["listen 8443 ssl http2;"] = f"listen 127.0.0.1:{ports.https} ssl http2;"
        replacements["/etc/nginx/certs/"] = f"{tls}/"
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def main_config(folder: Path, server_config: str) -> Path:
    """A main nginx.conf like the image's, with its paths in ``folder``, including the
    rendered template the way the image includes conf.d/default.conf."""
    (folder / "default.conf").write_text(server_config, encoding="utf-8")
    temp = "\n".join(
        f"    {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        f"pid {folder}/nginx.pid;\nerror_log stderr warn;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n{temp}\n    include {folder}/default.conf;\n}}\n",
        encoding="utf-8",
    )
    return main


def self_signed(folder: Path) -> Path:
    """A throwaway certificate and key, named as the 443 block expects."""
    openssl = shutil.which("openssl") or pytest.fail(MISSING.format("openssl", "openssl"))
    folder.mkdir()
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=localhost", "-keyout", str(folder / "privkey.pem"),
         "-out", str(folder / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return folder


def proxy_values(upstream: str, upload_mb: str) -> dict[str, str]:
    """The proxy's SD_* environment from Compose, with the upstream and limit given."""
    return {"SD_APP_UPSTREAM": upstream, "SD_MAX_UPLOAD_MB": upload_mb}


def test_nginx_accepts_the_config_with_and_without_tls(configs, tmp_path) -> None:
    proxy = configs[""]["services"]["proxy"]["environment"]
    app = configs[""]["services"]["app"]["environment"]
    # The proxy lets through the same upload size the app accepts, from one variable.
    assert proxy["SD_MAX_UPLOAD_MB"] == app["SERVICEDESK_MAX_UPLOAD_MB"]
    assert all(re.match(proxy["NGINX_ENVSUBST_FILTER"], n) for n in proxy if n.startswith("SD_"))
    text = render_template({k: v for k, v in proxy.items() if k.startswith("SD_")})
    assert f"client_max_body_size {app['SERVICEDESK_MAX_UPLOAD_MB']}m;" in text
    certs = self_signed(tmp_path / "certs")
    for name, tls in (("plain", None), ("tls", certs)):
        folder = tmp_path / name
        folder.mkdir()
        main = main_config(folder, localised(text, Ports(), tls))
        done = subprocess.run(
            [nginx_binary(), "-t", "-e", "stderr", "-p", str(folder), "-c", str(main)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


# -- the proxy in front of a stand-in app -----------------------------------------------------


class StandIn(ThreadingHTTPServer):
    """A stand-in for the app replicas: it echoes what reached it and streams events."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StandInHandler)
        self.seen: list[dict] = []
        self.release = threading.Event()  # lets a stream send its second event


class StandInHandler(BaseHTTPRequestHandler):
    """Echo: the path, headers and body size as JSON; */stream: two events, the second only
    after the test released it (so the first must arrive while the stream is open)."""

    server: StandIn

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(size)
        record = {"path": self.path, "headers": dict(self.headers.items()), "bytes": size}
        self.server.seen.append(record)
        if self.path.endswith("/stream"):
            self._stream()
            return
        body = json.dumps(record).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self) -> None:
        # Like the app's /api/v1/ask/stream: no X-Accel-Buffering header of its own.
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(b"event: token\ndata: first\n\n")
        self.wfile.flush()
        self.server.release.wait(timeout=10)
        self.wfile.write(b"event: answer\ndata: second\n\n")

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@dataclass
class Proxy:
    """nginx on loopback in front of a stand-in app."""

    ports: Ports
    app: StandIn
    log: Path

    @property
    def url(self) -> str:
        """Plain HTTP."""
        return f"http://127.0.0.1:{self.ports.http}"

    @property
    def health_url(self) -> str:
        """The health check's server."""
        return f"http://127.0.0.1:{self.ports.health}"

    @property
    def https_url(self) -> str:
        """HTTPS (when TLS is switched on)."""
        return f"https://127.0.0.1:{self.ports.https}"

    def logged(self, line: str, deadline_s: float = 5.0) -> str:
        """The access log once it holds ``line`` (nginx writes it after the reply is sent)."""
        deadline = time.monotonic() + deadline_s
        while True:
            text = self.log.read_text(encoding="utf-8", errors="replace")
            if line in text or time.monotonic() > deadline:
                return text
            time.sleep(0.02)


def wait_for_port(
    port: int, process: subprocess.Popen, name: str = "nginx", deadline_s: float = 10.0
) -> None:
    """Return once ``port`` accepts connections; fail if ``process`` exits or the deadline
    passes."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{name} exited at start"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"{name} did not listen on {port} within {deadline_s} s")


@contextmanager
def running_proxy(folder: Path, upload_mb: str, tls: Path | None = None) -> Iterator[Proxy]:
    """Start a stand-in app and nginx on the rendered template; stop both afterwards."""
    app = StandIn()
    threading.Thread(target=app.serve_forever, daemon=True).start()
    ports = Ports()
    text = render_template(proxy_values(f"127.0.0.1:{app.server_address[1]}", upload_mb))
    main = main_config(folder, localised(text, ports, tls))
    log = folder / "access.log"
    with log.open("wb") as out:
        command = [nginx_binary(), "-e", "stderr", "-p", str(folder), "-c", str(main),
                   "-g", "daemon off; master_process off;"]  # fmt: skip
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
    try:
        wait_for_port(ports.http, process)
        yield Proxy(ports, app, log)
    finally:
        process.terminate()
        process.wait(timeout=10)
        app.release.set()
        app.shutdown()


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[Proxy]:
    """The proxy with a 1 MB upload limit (small bodies exercise the same check)."""
    with running_proxy(tmp_path_factory.mktemp("nginx"), upload_mb="1") as running:
        yield running


def test_proxy_sets_forwarded_headers_and_strips_sso_headers(proxy: Proxy) -> None:
    forged = {name: "admin" for name in SSO_HEADERS}
    forged |= {
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "X-Request-ID": "forged",
        "Host": "desk.example.com",
    }
    reply = httpx.get(proxy.url + "/echo", headers=forged, timeout=5)
    assert reply.status_code == 200
    seen = {k.lower(): v for k, v in reply.json()["headers"].items()}
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["host"] == "desk.example.com"
    assert re.fullmatch(r"[0-9a-f]{32}", seen["x-request-id"])
    assert {name.lower() for name in SSO_HEADERS} & set(seen) == set()


@pytest.mark.parametrize("path", ["/api/v1/ask/stream", "/api/v1/conversations/42/messages/stream"])
def test_proxy_passes_each_server_sent_event_at_once(proxy: Proxy, path: str) -> None:
    proxy.app.release.clear()
    try:
        with httpx.stream("POST", proxy.url + path, json={}, timeout=3) as reply:
            chunks = reply.iter_raw()
            first = next(chunks)  # a ReadTimeout here: nginx held the event back
            assert b"data: first" in first
            proxy.app.release.set()
            rest = b"".join(chunks)
        assert b"data: second" in first + rest
    finally:
        proxy.app.release.set()


def test_proxy_refuses_bodies_over_the_upload_limit(proxy: Proxy) -> None:
    limit = 1024 * 1024
    before = len(proxy.app.seen)
    assert (
        httpx.post(proxy.url + "/admin/upload", content=b"x" * limit, timeout=10).json()["bytes"]
        == limit
    )
    over = httpx.post(proxy.url + "/admin/upload", content=b"x" * (limit + 1), timeout=10)
    assert over.status_code == 413
    assert len(proxy.app.seen) == before + 1  # the big one never reached the app


def test_proxy_hides_metrics_and_logs_no_query_string(proxy: Proxy) -> None:
    before = len(proxy.app.seen)
    for path in ("/metrics", "/metrics/", "/%6detrics"):
        assert httpx.get(proxy.url + path, timeout=5).status_code == 404, path
    assert len(proxy.app.seen) == before
    httpx.get(proxy.url + "/search", params={"q": "my password is hunter2"}, timeout=5)
    line = '"GET /search HTTP/1.1" 200'
    log = proxy.logged(line)
    assert line in log
    assert "hunter2" not in log


def test_proxy_health_answers_on_its_own_port(proxy: Proxy) -> None:
    before = len(proxy.app.seen)
    reply = httpx.get(proxy.health_url + "/proxy-health", timeout=5)
    assert (reply.status_code, reply.text) == (200, "ok\n")
    assert len(proxy.app.seen) == before


def test_proxy_with_tls_on_serves_https_and_redirects_http(tmp_path) -> None:
    certs = self_signed(tmp_path / "certs")
    folder = tmp_path / "nginx"
    folder.mkdir()
    with running_proxy(folder, upload_mb="1", tls=certs) as tls_proxy:
        reply = httpx.get(tls_proxy.https_url + "/echo", verify=False, timeout=5)
        seen = {k.lower(): v for k, v in reply.json()["headers"].items()}
        assert seen["x-forwarded-proto"] == "https"
        plain = httpx.get(tls_proxy.url + "/login?next=/", timeout=5)
        assert plain.status_code == 308
        assert (
            plain.headers["location"].startswith("https://")
            and "/login?next=/" in (plain.headers["location"])
        )
