"""What both templates of a project's `pyproject.toml` write alike: the server's dependencies
and the tool tables (ruff, mypy) its checks run with.

`mcpgen generate` writes a pyproject once (templates/server/scaffold) when a project has
none; the copier template (templates/project) writes one and merges it on `copier update`.
Both render these, so the two cannot drift.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcpgen.ir import SpecIR

# What a generated server imports: its vendored runtime's imports, each declared with a
# range even where `mcp` brings it, since the runtime imports it itself (a test holds this
# list to the runtime's imports). (requirement, why it is here when the name does not say.)
RUNTIME_DEPENDENCIES: tuple[tuple[str, str | None], ...] = (
    ("anyio>=4.9,<5", None),
    ("httpx2>=2.10,<3", "tools that call an HTTP API (the SDK's client uses it too)"),
    ("jsonschema>=4.20,<5", "judges values against the rare schemas with `patternProperties`"),
    ("jsonschema-rs>=0.61.2,<1", "checks each tool call's arguments and result (fast: Rust)"),
    ("mcp>=2.3,<3", None),
    ("mcp-types>=2.3,<3", None),
    ("pydantic>=2.12,<3", None),
    ("pydantic-core>=2.41,<3", None),
    (
        "pyjwt[crypto]>=2.10.1,<3",
        "verifies bearer tokens of servers with [server.auth] (`mcp` brings it too)",
    ),
    (
        "regress>=2024.11.1,<2028",
        "JSON Schema patterns are ECMA-262 regular expressions: regress runs them as such.",
    ),
    ("starlette>=0.27,<2", None),
    ("typing-extensions>=4.13,<5", None),
    ("uvicorn>=0.31.1,<1", "serves streamable HTTP (`--transport http`)"),
)

# What only some runs of a server import: {extra: (requirement, why)}. The runtime imports
# each only when asked to (`--state-url` loads redis, a first search bm25s, a signed
# request botocore).
RUNTIME_EXTRAS: dict[str, tuple[str, str]] = {
    "aws": (
        "botocore>=1.34,<2",
        'AWS Signature Version 4 for APIs with `type = "aws_sigv4"` auth (AWS\'s signer)',
    ),
    "redis": (
        "redis>=5,<9",
        "`--state-url`: replicas share their state in Redis (redis-py, asyncio)",
    ),
    # An extra, not a dependency: it brings numpy (~40 MB installed) to every server that
    # would never search.
    "search": (
        "bm25s>=0.3,<0.4",
        "`--tool-surface search`: ranks the operations for a search (BM25; numpy)",
    ),
}


def deployed_extras(ir: SpecIR) -> list[tuple[str, str]]:
    """The extras a deployed replica installs (the Dockerfile's `pip install '.[...]'`), with
    why: `redis` always (replicas share their state), `search` for a search surface, `aws`
    for an API signed with SigV4. Every project declares them all (`optional_dependencies`):
    a run may choose `--tool-surface search` where the spec did not."""
    signed = ir.http is not None and any(a.kind == "AwsSigV4" for a in ir.http.auth)
    wanted = ["redis", *["search"] * (ir.server.tool_surface == "search"), *["aws"] * signed]
    return [(extra, RUNTIME_EXTRAS[extra][1]) for extra in wanted]


# What a project's own checks run with (its `test` extra, with the `redis` extra: see
# `optional_dependencies`).
TEST_EXTRA = ("pytest>=8", "anyio>=4.9", "mypy>=1.15", "ruff>=0.15", "types-jsonschema")

_TOOL_TABLES = """\
[tool.ruff]
line-length = 100
target-version = "py{python}"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "UP", "B", "SIM", "RUF", "TID251"]
ignore = ["E501", "RUF001", "RUF002", "RUF003"]

# Server code reaches the SDK only through the runtime, so an SDK upgrade touches one package.
[tool.ruff.lint.flake8-tidy-imports.banned-api]
"mcp".msg = "import the SDK through {package}._generated.runtime"
"mcp_types".msg = "import the SDK through {package}._generated.runtime"

# The vendored runtime's modules lift the ban for themselves (`# ruff: noqa: TID251`).
[tool.ruff.lint.per-file-ignores]
"tests/**" = ["TID251"]

[tool.mypy]
strict = true
python_version = "{python_dotted}"
files = ["src", "tests"]"""


def dependency_lines(indent: str = "    ") -> str:
    """The items of `[project] dependencies`, one a line, each why-comment above its line."""
    lines: list[str] = []
    for requirement, why in RUNTIME_DEPENDENCIES:
        if why is not None:
            lines.append(f"{indent}# {why}")
        lines.append(f'{indent}"{requirement}",')
    return "\n".join(lines)


def optional_dependencies() -> str:
    """The body of `[project.optional-dependencies]`: the runtime's extras, and `test`.

    `test` type-checks the whole vendored runtime, which imports redis at module level
    (its types check `--state-url`): it brings the `redis` extra. The runtime imports bm25s
    and botocore only where a run needs them, under ignores that hold without them, so
    `test` leaves out their ~55 MB (numpy's 40 of it).
    """
    lines: list[str] = []
    for extra, (requirement, why) in RUNTIME_EXTRAS.items():
        lines += [f"# {why}", f'{extra} = ["{requirement}"]']
    test = [*TEST_EXTRA, RUNTIME_EXTRAS["redis"][0]]
    lines.append("test = [" + ", ".join(f'"{item}"' for item in test) + "]")
    return "\n".join(lines)


def tool_tables(package: str, python_version: str = "3.11") -> str:
    """The `[tool.ruff*]` and `[tool.mypy]` tables of a project whose package is `package`."""
    return _TOOL_TABLES.format(
        package=package, python=python_version.replace(".", ""), python_dotted=python_version
    )


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalized (PEP 503): `Typing_Extensions>=4` ->
    `typing-extensions`."""
    found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", found.group(1)).lower() if found else ""


def _project_table(pyproject: Path) -> dict[str, object]:
    """The `[project]` table of `pyproject`; empty when the file is missing or not TOML."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    project = data.get("project")
    return project if isinstance(project, dict) else {}


def _names(listed: object) -> set[str]:
    return (
        {_name(item) for item in listed if isinstance(item, str)}
        if isinstance(listed, list)
        else set()
    )


def undeclared(pyproject: Path) -> list[str]:
    """The runtime's dependencies that a project's pyproject.toml does not name.

    The file is the user's, written once: a project made by an older mcpgen keeps the list
    it was made with, while the runtime mcpgen vendors now may import more (jsonschema-rs,
    which `mcp` does not bring). Nothing when there is no readable `[project] dependencies`.
    """
    listed = _project_table(pyproject).get("dependencies")
    if not isinstance(listed, list):
        return []
    named = _names(listed)
    return [line for line, _ in RUNTIME_DEPENDENCIES if _name(line) not in named]


def undeclared_extras(pyproject: Path) -> list[str]:
    """The runtime's extras (as `name = ["requirement"]` lines) that a project's readable
    pyproject.toml lacks, or declares without their package: the shipped Dockerfile installs
    `.[redis]`, and pip only warns of an extra a project does not have."""
    project = _project_table(pyproject)
    if not project:
        return []
    extras = project.get("optional-dependencies")
    declared = extras if isinstance(extras, dict) else {}
    return [
        f'{extra} = ["{requirement}"]'
        for extra, (requirement, _) in RUNTIME_EXTRAS.items()
        if _name(requirement) not in _names(declared.get(extra))
    ]
