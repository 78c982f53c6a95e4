"""The Dockerfile installs the runtime's extras a replica of this server needs: `redis`
always, `search` for a search surface, `aws` for an API signed with SigV4
(`pyproject.deployed_extras`, the one place that decides)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mcpgen.pipeline import generate

HTTP_TOOL = """
[[tools]]
name = "get_thing"
description = "Get the thing."
input.type = "object"

[tools.http]
method = "GET"
path = "/thing"
response = { content_type = "text" }
"""


@pytest.mark.parametrize(
    ("spec", "extras"),
    [
        (
            '[server]\nname = "plain"\n' + HTTP_TOOL + '\n[http]\nbase_url = "https://x.test"\n',
            "redis",
        ),
        (
            '[server]\nname = "found"\ntool_surface = "search"\n'
            + HTTP_TOOL
            + '\n[http]\nbase_url = "https://x.test"\n',
            "redis,search",
        ),
        (
            '[server]\nname = "signed"\n'
            + HTTP_TOOL
            + '\n[http]\nbase_url = "https://x.test"\nsecurity = [["aws"]]\n'
            '[http.auth.aws]\ntype = "aws_sigv4"\nservice = "execute-api"\n',
            "redis,aws",
        ),
    ],
    ids=["plain", "search", "sigv4"],
)
def test_the_dockerfile_installs_what_the_server_needs(
    spec: str, extras: str, tmp_path: Path
) -> None:
    path = tmp_path / "spec.toml"
    path.write_text(spec, encoding="utf-8")
    dockerfile = generate(path).files["Dockerfile"].text
    assert re.findall(r"^RUN pip install '(.*)'$", dockerfile, re.MULTILINE) == [f".[{extras}]"]
    for extra in extras.split(","):
        assert f"# - `{extra}`: " in dockerfile
