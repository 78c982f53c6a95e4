"""A generated project deployed on loopback as its own deployment files describe it.

What `docker compose up` would run, without Docker (not on this machine): a real
`redis-server`, replicas of the server started with the command of the project's
`Dockerfile` and the environment of its `compose.yaml`, and nginx (Debian's) in front of
them with the project's own `deploy/nginx.conf`. Only what names Docker's network is
replaced: the upstream `server server:8000;` by the replicas' loopback addresses, the
`listen` port, and the access log's path. The rest of the shipped config is tested as it
ships, so a setting it lacks (SSE buffering, Host, timeouts) fails here.

nginx runs unprivileged: its prefix, pid, error log and temporary files are in the
deployment's folder, and the shipped `server`/`upstream` blocks are included in a minimal
`http` block, as the official image's `/etc/nginx/nginx.conf` includes `conf.d/*.conf`.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import services
import yaml
from server_process import HttpServer, serve_http

# What the shipped nginx.conf says that only makes sense on Docker's network.
UPSTREAM_LINE = "    server server:8000;\n"
LISTEN_LINE = "    listen 8080;\n"
ACCESS_LOG = "access_log /var/log/nginx/access.log "
# Where compose.yaml puts the secrets the user makes (README "Deploying", step 1).
ENV_FILE = "deploy/server.env"
# nginx answers on its port within milliseconds of starting; this bounds a loaded machine.
_START_TIME = 10.0


@dataclass(frozen=True)
class Shipped:
    """A project's deployment files, read as Docker would read them."""

    root: Path
    package: str

    @property
    def nginx_conf(self) -> str:
        return (self.root / "deploy" / "nginx.conf").read_text(encoding="utf-8")

    @property
    def compose(self) -> dict[str, Any]:
        loaded: dict[str, Any] = yaml.safe_load((self.root / "compose.yaml").read_text())
        return loaded

    def dockerfile(self, instruction: str) -> list[str]:
        """The arguments of each `INSTRUCTION` line of the Dockerfile (continuations joined)."""
        text = (self.root / "Dockerfile").read_text(encoding="utf-8")
        lines = re.sub(r"\\\n\s*", " ", text).splitlines()
        prefix = instruction.upper() + " "
        return [line[len(prefix) :].strip() for line in lines if line.startswith(prefix)]

    def exec_form(self, instruction: str) -> list[str]:
        """The one `INSTRUCTION ["a", "b"]` of the Dockerfile, in exec form, as argv."""
        (arguments,) = self.dockerfile(instruction)
        if instruction.upper() == "HEALTHCHECK":
            arguments = arguments.split(" CMD ", 1)[1]
        argv: list[str] = json.loads(arguments)
        return argv

    def server_environment(self) -> dict[str, str]:
        """compose.yaml's environment of the replicas, `${VAR:-default}` at its default."""
        environment: dict[str, str] = self.compose["services"]["server"]["environment"]
        return {
            name: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
            for name, value in environment.items()
        }

    def env_prefix(self) -> str:
        return self.package.upper() + "_"


def state_key() -> str:
    """A sealing key made as README "Deploying" makes it (step 1)."""
    return secrets.token_urlsafe(32)


# How server_process.serve_http starts a server (`--host` and `--port` it sets itself).
_SERVE_HTTP = ["python", "-m", "{package}", "--transport", "http", "--host", "", "--port", ""]


def replica_options(shipped: Shipped) -> list[str]:
    """The Dockerfile's CMD as `serve_http` runs it on loopback: the options it adds.

    serve_http runs `python -m <package> --transport http --host 127.0.0.1 --port 0`
    with this Python; the CMD must be that command (another address, another port) and
    may add options, which are passed on.
    """
    command = shipped.exec_form("CMD")
    head = [part.format(package=shipped.package) for part in _SERVE_HTTP]
    same = [c if h else "" for c, h in zip(command, head, strict=False)]
    assert same == head, f"the Dockerfile's CMD is not `{' '.join(head)}...`: {command}"
    return command[len(head) :]


def replica_environment(shipped: Shipped, base: dict[str, str], redis_url: str) -> dict[str, str]:
    """compose.yaml's environment, with Redis on loopback, plus the env file's key."""
    environment = shipped.server_environment()
    prefix = shipped.env_prefix()
    assert environment[f"{prefix}STATE_URL"].startswith("redis://redis:"), environment
    environment[f"{prefix}STATE_URL"] = redis_url
    environment[f"{prefix}STATE_KEY"] = base.get(f"{prefix}STATE_KEY") or state_key()
    return {**base, **environment}


def nginx_site(shipped: Shipped, upstreams: list[int], port: int, access_log: Path) -> str:
    """The shipped `deploy/nginx.conf`, its Docker addresses replaced by loopback ones."""
    text = shipped.nginx_conf
    replacements = {
        UPSTREAM_LINE: "".join(f"    server 127.0.0.1:{p};\n" for p in upstreams),
        LISTEN_LINE: f"    listen 127.0.0.1:{port};\n",
        ACCESS_LOG: f"access_log {access_log} ",
    }
    for old, new in replacements.items():
        # The server line is in both upstream blocks (round robin, and per client address).
        expected = 2 if old == UPSTREAM_LINE else 1
        assert text.count(old) == expected, f"deploy/nginx.conf no longer has {old!r}"
        text = text.replace(old, new)
    return text


def nginx_main(folder: Path, site: Path) -> str:
    """The main config an unprivileged nginx needs around the shipped site config."""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        "worker_processes 1;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"{temp}\n"
        f"    include {site};\n"
        "}\n"
    )


def nginx_command(folder: Path, *extra: str) -> list[str]:
    """`nginx` confined to `folder`: config, pid, error log and temporaries all in it."""
    return [
        str(services.nginx_program()),
        "-p",
        f"{folder}/",
        "-c",
        str(folder / "nginx.conf"),
        "-e",
        str(folder / "error.log"),
        "-g",
        f"pid {folder / 'nginx.pid'};" + (" daemon off;" if not extra else ""),
        *extra,
    ]


def write_nginx_config(shipped: Shipped, folder: Path, upstreams: list[int], port: int) -> Path:
    """nginx's config files in `folder`; the access log's path."""
    access_log = folder / "access.log"
    site = folder / "site.conf"
    site.write_text(nginx_site(shipped, upstreams, port, access_log), encoding="utf-8")
    (folder / "nginx.conf").write_text(nginx_main(folder, site), encoding="utf-8")
    return access_log


def check_nginx_config(shipped: Shipped, folder: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the shipped config (with loopback addresses)."""
    write_nginx_config(shipped, folder, [services.free_port()], services.free_port())
    return subprocess.run(
        nginx_command(folder, "-t"), capture_output=True, text=True, timeout=30, check=False
    )


@dataclass(frozen=True)
class Hit:
    """One line of nginx's access log: the MCP method and the replica that answered it."""

    method: str
    status: int
    replica_port: int | None  # None when nginx answered itself (no replica reachable)


_HIT = re.compile(r'" (\d{3}) \d+ mcp=(\S+) upstream=(.+?) upstream_status=')


@dataclass
class Deployment:
    """Redis, the replicas and nginx, running; `url` is where clients reach nginx."""

    shipped: Shipped
    redis_url: str
    replicas: list[HttpServer]
    port: int
    access_log: Path
    folder: Path
    environment: dict[str, str]

    @property
    def url(self) -> str:
        # The conformance suite tests DNS-rebinding protection against a localhost URL.
        return f"http://localhost:{self.port}/mcp"

    def replica_ports(self) -> list[int]:
        return [replica.port for replica in self.replicas]

    def hits(self) -> list[Hit]:
        """Every request nginx passed on so far, in the order they ended."""
        found = []
        for line in self.access_log.read_text(encoding="utf-8").splitlines():
            match = _HIT.search(line)
            assert match is not None, line
            # After a replica refused, nginx tried the next: the last address answered.
            last = match[3].split(", ")[-1]
            port = None if last == "-" else int(last.rsplit(":", 1)[1])
            found.append(Hit(match[2], int(match[1]), port))
        return found

    def logs(self) -> str:
        """Every replica's log and nginx's error log, for a failure's message."""
        parts = [f"--- replica {r.port}\n{r.stderr()}" for r in self.replicas if r.announced]
        error_log = self.folder / "error.log"
        if error_log.is_file():
            parts.append(f"--- nginx\n{error_log.read_text()}")
        return "\n".join(parts)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _nginx(shipped: Shipped, folder: Path, upstreams: list[int]) -> Iterator[tuple[int, Path]]:
    port = services.free_port()
    access_log = write_nginx_config(shipped, folder, upstreams, port)
    with (folder / "nginx.out").open("wb") as output:
        process = subprocess.Popen(
            nginx_command(folder), stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + _START_TIME
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                error = (
                    (folder / "error.log").read_text() if (folder / "error.log").exists() else ""
                )
                pytest.fail(f"nginx did not start on port {port}: {error}")
            time.sleep(0.02)  # polling a readiness condition, bounded by the deadline
        yield port, access_log
    finally:
        process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def deploy(
    shipped: Shipped, replicas: int, folder: Path, base_env: dict[str, str]
) -> Iterator[Deployment]:
    """Redis, `replicas` replicas and nginx on loopback, as the project's files describe
    them; everything is stopped on the way out."""
    folder.mkdir(parents=True, exist_ok=True)
    with services.redis_server() as redis_url, contextlib.ExitStack() as stack:
        environment = replica_environment(shipped, base_env, redis_url)
        options = replica_options(shipped)
        servers = [
            stack.enter_context(
                serve_http(shipped.package, environment, folder / f"replica-{n}.log", *options)
            )
            for n in range(replicas)
        ]
        port, access_log = stack.enter_context(_nginx(shipped, folder, [s.port for s in servers]))
        yield Deployment(shipped, redis_url, servers, port, access_log, folder, environment)


def spread(hits: list[Hit]) -> Counter[int | None]:
    """How many of `hits` each replica answered."""
    return Counter(hit.replica_port for hit in hits)
