"""A generated HTTP server names the environment variables it reads, and what each is for,
in its README and in `python -m <pkg> --help`; a call missing one names it too.

The spec is one of each credential kind (bearer, API key, Basic, OAuth 2 client
credentials), as `mcpgen import openapi` writes them, plus the base URL's override.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from mcpgen.cli import main

pytestmark = pytest.mark.slow

SPEC = """\
[server]
name = "vault"

[http]
base_url = "https://vault.example/api"
security = [["token"], ["key", "login"], ["robot"]]

[http.auth.token]
type = "bearer"
env = "VAULT_TOKEN"

[http.auth.key]
type = "api_key"
in = "query"
name = "api-key"
env = "VAULT_API_KEY"

[http.auth.login]
type = "basic"
username_env = "VAULT_USER"
password_env = "VAULT_PASSWORD"

[http.auth.robot]
type = "oauth2_client_credentials"
token_url = "https://vault.example/oauth/token"
client_id_env = "VAULT_CLIENT_ID"
client_secret_env = "VAULT_CLIENT_SECRET"

[[tools]]
name = "read_secret"
input = { type = "object", required = ["id"], properties = { id = { type = "string" } } }
http = { method = "GET", path = "/secrets/{id}", params = { id = { in = "path" } } }
"""

EXPECTED = [
    ("VAULT_BASE_URL", "the API's base URL (default: https://vault.example/api)"),
    ("VAULT_TOKEN", "`token`: bearer token (sent as `Authorization: Bearer ...`)"),
    ("VAULT_API_KEY", "`key`: API key (sent in the query parameter `api-key`)"),
    ("VAULT_USER", "`login`: user name (HTTP Basic)"),
    ("VAULT_PASSWORD", "`login`: password (HTTP Basic)"),
    (
        "VAULT_CLIENT_ID",
        "`robot`: OAuth 2 client ID (client credentials, token from "
        "https://vault.example/oauth/token)",
    ),
    (
        "VAULT_CLIENT_SECRET",
        "`robot`: OAuth 2 client secret (client credentials, token from "
        "https://vault.example/oauth/token)",
    ),
]
CREDENTIALS = "VAULT_TOKEN; or VAULT_API_KEY, VAULT_USER and VAULT_PASSWORD; or VAULT_CLIENT_ID and VAULT_CLIENT_SECRET"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vault")
    (root / "vault.toml").write_text(SPEC, encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(root / "vault.toml"), "-o", str(root / "p")])
    assert result.exit_code == 0, result.output
    return root / "p"


def test_the_readme_lists_each_variable_and_what_it_is_for(project: Path) -> None:
    readme = (project / "README.md").read_text(encoding="utf-8")
    for name, purpose in EXPECTED:
        assert f"| `{name}` | {purpose} |" in readme
    assert f"Credentials: set {CREDENTIALS}.\n" in readme


def test_help_lists_each_variable_and_what_it_is_for(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vault", "--help"],
        cwd=project,
        env={"PYTHONPATH": str(project / "src"), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [" ".join(line.split()) for line in done.stdout.splitlines()]
    for name, purpose in EXPECTED:
        assert f"{name} {purpose}" in lines, done.stdout
    assert f"credentials: set {CREDENTIALS}" in " ".join(lines)
