"""The deployment files a generated project ships, and the README section that uses them.

Docker is not on this machine, so no image is built here. What stands in for it: the
Dockerfile's install command run verbatim in a fresh venv, its CMD started and its
HEALTHCHECK run against it; compose.yaml parsed and held to what the harness
(deployment.py) runs; nginx's own `nginx -t` on the shipped config; the README's commands
held to the files (and its first one run).
"""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import subprocess
import venv
from functools import cache
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner
from deployment import (
    ENV_FILE,
    LISTEN_LINE,
    UPSTREAM_LINE,
    Shipped,
    check_nginx_config,
    replica_options,
)
from mcp.client import Client
from mcp_types import TextContent
from mcpgen.cli import main
from mcpgen.pipeline import check
from mcpgen.render import render_files
from server_process import HttpServer
from services import free_port

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "specs" / "conformance.toml"
EXAMPLE = Shipped(REPO / "examples" / "conformance", "conformance")
DEPLOY_FILES = ("Dockerfile", ".dockerignore", "compose.yaml", "deploy/nginx.conf")


@cache
def rendered() -> dict[str, str]:
    """The project files mcpgen renders for the conformance spec (models left out)."""
    ir, _ = check(SPEC)
    return {path: file.text for path, file in render_files(ir, "").items()}


def section(readme: str, heading: str) -> str:
    found = re.search(rf"^## {heading}\n(.*?)(?=^## )", readme, re.DOTALL | re.MULTILINE)
    assert found is not None, heading
    return found[1]


def shell_blocks(text: str) -> list[list[str]]:
    """The commands of each ```sh block, one list per block, comments dropped."""
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    return [
        [line.strip() for line in block.splitlines() if line.strip()]
        for block in map(lambda b: re.sub(r"\s+#.*", "", b), blocks)
    ]


def deploying() -> str:
    return section(rendered()["README.md"], "Deploying")


# -- quick: the files as rendered, the README against them -------------------------------


def test_the_example_ships_what_mcpgen_renders() -> None:
    """The harness deploys examples/conformance: its files must be the current ones."""
    for path in DEPLOY_FILES:
        assert (EXAMPLE.root / path).read_text() == rendered()[path], path


def test_both_readme_templates_say_the_same_about_deploying() -> None:
    """`mcpgen generate` projects and copier projects: one text, under their own names."""
    scaffold = (REPO / "templates/server/scaffold/README.md.jinja").read_text()
    project = (REPO / "templates/project/README.md.jinja").read_text()
    assert section(scaffold, "Deploying") == section(project, "Deploying").replace(
        "package_name", "pkg"
    )


def test_compose_runs_what_the_harness_runs() -> None:
    compose = EXAMPLE.compose
    assert set(compose["services"]) == {"server", "redis", "lb"}
    server = compose["services"]["server"]
    assert server["build"] == "."
    assert server["env_file"] == ENV_FILE
    # The contract of issue 15: state in Redis, the host the balancer is reached by.
    assert set(EXAMPLE.server_environment()) == {
        "CONFORMANCE_STATE_URL",
        "CONFORMANCE_ALLOWED_HOSTS",
    }
    assert EXAMPLE.server_environment()["CONFORMANCE_STATE_URL"] == "redis://redis:6379/0"
    assert "command" not in server  # the Dockerfile's CMD, which the harness runs
    assert replica_options(EXAMPLE) == []  # the CMD is the harness's command, nothing added
    lb = compose["services"]["lb"]
    assert lb["volumes"] == ["./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro"]
    assert lb["ports"] == ["${LB_PORT:-8080}:8080"]
    assert LISTEN_LINE == "    listen 8080;\n"
    # nginx reaches the replicas by the service's name, at the port the Dockerfile serves.
    assert UPSTREAM_LINE == "    server server:8000;\n"
    command = EXAMPLE.exec_form("CMD")
    assert command[command.index("--port") + 1] == "8000"
    assert EXAMPLE.dockerfile("EXPOSE") == ["8000"]


def test_nginx_streams_and_passes_the_host() -> None:
    """What SSE through nginx needs, and round robin for 2026-07-28 requests."""
    conf = EXAMPLE.nginx_conf
    for directive in (
        "proxy_buffering off;",
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
        "proxy_set_header Host $host;",
        "proxy_read_timeout 1h;",
    ):
        assert f"        {directive}\n" in conf, directive
    # 2026-07-28 requests go round robin: the upstream they go to sticks to nothing.
    round_robin = conf[conf.index("upstream conformance_replicas {") :]
    round_robin = round_robin[: round_robin.index("}")]
    for sticky in ("ip_hash", "hash ", "sticky", "least_conn"):
        assert f"    {sticky}" not in round_robin, sticky
    assert "proxy_pass http://$conformance_upstream;" in conf


def test_the_readme_commands_are_the_files_commands() -> None:
    text = deploying()
    (make_key,), (up,), check_commands = shell_blocks(text)
    # Step 1 writes the env file compose.yaml reads, with the key the replicas need.
    assert make_key.startswith("printf 'CONFORMANCE_STATE_KEY=%s\\n' ")
    assert make_key.endswith(f"> {ENV_FILE}")
    # Step 2 scales the service compose.yaml names.
    assert shlex.split(up) == ["docker", "compose", "up", "--build", "--detach", "--scale", "server=3"]  # fmt: skip
    # Where it listens, and the variables compose.yaml reads.
    assert "`http://localhost:8080/mcp`" in text
    compose = (EXAMPLE.root / "compose.yaml").read_text()
    for variable in ("LB_PORT", "PUBLIC_HOST"):
        assert f"{variable}=" in text and "${" + variable + ":-" in compose, variable
    assert "CONFORMANCE_ALLOWED_HOSTS" in text
    assert check_commands[0] == "docker compose ps"
    assert "--cli http://localhost:8080/mcp --method tools/list" in check_commands[1]
    # Authorization's run-time settings (issue 15's names), set where the key is.
    for name in ("AUTH_ISSUER", "AUTH_AUDIENCE", "AUTH_JWKS_URL"):
        assert f"`CONFORMANCE_{name}" in text, name
    # The command the image runs is the README's "Run it" HTTP command, bound for a container.
    run_it = section(rendered()["README.md"], "Run it")
    command = shlex.join(EXAMPLE.exec_form("CMD"))
    assert command.startswith("python -m conformance --transport http ")
    assert "python -m conformance --transport http " in run_it


# -- slow: nginx, the README's first command, the Dockerfile in a venv --------------------


@pytest.mark.slow
def test_nginx_accepts_the_shipped_config(tmp_path: Path) -> None:
    done = check_nginx_config(EXAMPLE, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


@pytest.mark.slow
def test_the_readmes_first_step_makes_the_env_file(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (make_key,), *_ = shell_blocks(deploying())
    subprocess.run(["sh", "-c", make_key], cwd=tmp_path, check=True, timeout=30)
    text = (tmp_path / ENV_FILE).read_text()
    assert re.fullmatch(r"CONFORMANCE_STATE_KEY=[0-9a-f]{64}\n", text), text


async def _call_while_stopped(server: HttpServer) -> str:
    """A call that reports progress, and SIGTERM to the server at its first report, when
    the call is surely in flight; the call's answer. The client lists the tools first, as
    a client does: the SDK's client checks a result against the tool's listed output
    schema, and lists the tools after the call when it has not, a request a server that
    drained and exited refuses (CI failed so twice, a timer first taken for the cause)."""

    async def sigterm(progress: float, total: float | None, message: str | None) -> None:
        if progress == 0:
            server.process.send_signal(signal.SIGTERM)

    async with Client(server.url, mode="2026-07-28") as client:
        await client.list_tools()
        result = await client.call_tool("test_tool_with_progress", {}, progress_callback=sigterm)
    (content,) = result.content
    assert isinstance(content, TextContent), content
    return content.text


def _copy_context(project: Path, app: Path) -> None:
    """What the Dockerfile's COPY lines put in its WORKDIR."""
    for line in EXAMPLE.dockerfile("COPY"):
        *sources, target = line.split()
        for source in sources:
            destination = app / target / source if target.endswith("/") else app / target
            if (project / source).is_dir():
                shutil.copytree(project / source, destination, dirs_exist_ok=True)
            else:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(project / source, destination)


@pytest.mark.slow
def test_the_dockerfile_installs_runs_and_reports_health(tmp_path: Path) -> None:
    """The image's steps in a fresh venv (python standing for the base image's): its pip
    command verbatim, its CMD (on a loopback port), then its HEALTHCHECK, healthy while the
    server runs and unhealthy once it stopped; SIGTERM lets a call in flight finish."""
    app = tmp_path / "app"
    _copy_context(EXAMPLE.root, app)
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    bin_dir = environment / "bin"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    (install,) = [run for run in EXAMPLE.dockerfile("RUN") if run.startswith("pip ")]
    done = subprocess.run(
        ["sh", "-c", install], cwd=app, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # The image serves on 8000: here a free port, in the CMD and the HEALTHCHECK alike.
    port = free_port()
    command = [str(bin_dir / "python"), *EXAMPLE.exec_form("CMD")[1:]]
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    probe = [str(bin_dir / "python"), *EXAMPLE.exec_form("HEALTHCHECK")[1:]]
    assert probe[-1].count(":8000/") == 1, probe
    probe[-1] = probe[-1].replace(":8000/", f":{port}/")
    with (tmp_path / "server.log").open("wb") as log:
        server = HttpServer(
            subprocess.Popen(command, cwd="/", env=env, stdout=log, stderr=log),
            tmp_path / "server.log",
        )
    try:
        server.wait_until_ready()
        healthy = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
        assert healthy.returncode == 0, healthy.stderr
        # `docker stop`'s SIGTERM reaches the server itself (exec form): it drains.
        answer = anyio.run(_call_while_stopped, server)
        assert answer == "progress reported"
        # Ended by the signal once drained (as tests/functional/test_http_serving.py has it).
        assert server.process.wait(timeout=10) in (0, -signal.SIGTERM), server.stderr()
    finally:
        server.stop()
    unhealthy = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
    assert unhealthy.returncode == 1, unhealthy.stderr
    assert "Connection refused" in unhealthy.stderr

    # The `redis` extra exists (the state branch adds it) and brought its client.
    assert "does not provide the extra" not in done.stdout + done.stderr
    subprocess.run([bin_dir / "python", "-c", "import redis.asyncio"], check=True, timeout=60)


@pytest.mark.slow
def test_a_copier_project_ships_them_too(tmp_path: Path) -> None:
    """`mcpgen init` (copier's template, then `mcpgen generate`) gets the same files, and
    its own README (copier's) the same "Deploying" section, under its package's name."""
    project = tmp_path / "starter"
    result = CliRunner().invoke(main, ["init", str(project), "--defaults"])
    assert result.exit_code == 0, result.output
    ir, _ = check(project / "spec.toml")
    files = render_files(ir, "")
    for path in DEPLOY_FILES:
        assert (project / path).read_text() == files[path].text, path
    readme = (project / "README.md").read_text()
    assert readme != files["README.md"].text  # copier's README, not mcpgen's scaffold
    assert section(readme, "Deploying") == section(files["README.md"].text, "Deploying")
    assert "STARTER_STATE_KEY" in section(readme, "Deploying")
    assert "deploy/server.env" in (project / ".gitignore").read_text().splitlines()
