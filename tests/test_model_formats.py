"""String formats in schemas: the models take a value and give the same value back.

Real API descriptions are full of `format`s. The model generator's default types for some
of them change values (SecretStr masks, Base64Str decodes, Decimal turns a number into a
string) or need a package the generated server does not depend on (EmailStr needs
email-validator). Each value below goes through the generated input model and back to JSON
in a fresh interpreter where email-validator cannot be imported, and must come out equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from mcpgen.cli import main

VALUES = {
    "email": ("email", "ada@example.com"),
    "idn_email": ("idn-email", "ada@exämple.com"),
    "password": ("password", "hunter2"),
    "byte": ("byte", "AAEC/w=="),  # base64 of bytes that are not UTF-8
    "uri": ("uri", "https://example.com/a?b=c"),
    "uuid": ("uuid", "5f0c6c1e-9a43-4b3c-8f0a-2d0c3f1b7e11"),
    "date": ("date", "2026-11-21"),
    "date_time": ("date-time", "2026-11-21T15:40:51Z"),
    "ipv4": ("ipv4", "192.0.2.1"),
}
NUMBERS = {"price": ("decimal", 19.99), "count": ("int64", 9007199254740993)}

ROUND_TRIP = """
import json, sys
sys.modules["email_validator"] = None  # as in a server installed with mcp and pydantic only
from formats._generated import models
values = json.loads(sys.argv[1])
print(json.dumps(models.EchoInput.model_validate(values).model_dump(mode="json")))
"""


def test_formatted_values_survive_the_models_without_extra_packages(tmp_path: Path) -> None:
    lines = ['[server]\nname = "formats"\n\n[[tools]]\nname = "echo"\ninput.type = "object"']
    for name, (fmt, _) in VALUES.items():
        lines.append(f'input.properties.{name} = {{ type = "string", format = "{fmt}" }}')
    for name, (fmt, value) in NUMBERS.items():
        kind = "number" if isinstance(value, float) else "integer"
        lines.append(f'input.properties.{name} = {{ type = "{kind}", format = "{fmt}" }}')
    spec = tmp_path / "formats.toml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["generate", str(spec), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output

    sent = {name: value for name, (_, value) in {**VALUES, **NUMBERS}.items()}
    done = subprocess.run(
        [sys.executable, "-c", ROUND_TRIP, json.dumps(sent)],
        env={**os.environ, "PYTHONPATH": str(tmp_path / "out" / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    back = json.loads(done.stdout)
    # A URL comes back normalised by pydantic (a trailing slash at most); the rest exactly.
    assert back.pop("uri").rstrip("/") == sent.pop("uri").rstrip("/")
    assert back == sent


def test_the_model_generators_warnings_stay_out_of_the_terminal(tmp_path: Path) -> None:
    """A format it does not know, a constraint a pydantic type cannot carry: the model
    generator warns, naming its own source lines. The advertised schema keeps both (and the
    runtime checks against it), so `mcpgen generate` prints nothing about them."""
    spec = tmp_path / "quiet.toml"
    spec.write_text(
        '[server]\nname = "quiet"\n\n[[tools]]\nname = "t"\ninput.type = "object"\n'
        'input.properties.small = { type = "integer", format = "int16" }\n'
        'input.properties.site = { type = "string", format = "uri", maxLength = 99 }\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mcpgen", "generate", str(spec), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
