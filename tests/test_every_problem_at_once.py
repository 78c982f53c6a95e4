"""`mcpgen validate` reports every problem at once: what makes that possible.

The bad-spec corpus (tests/cases/bad, test_bad_specs.py) holds the cases, among them
`many-independent-mistakes`; here are the parts that let the stages go on past a mistake
(a spec patched past its load errors), and the rule that names must be declared, which the
importer follows so that its specs always generate.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, get_args

import pytest
from click.testing import CliRunner
from mcpgen import spec as spec_language
from mcpgen.cli import main
from mcpgen.load import stand_in
from pydantic import BaseModel


def _models() -> list[type[BaseModel]]:
    return sorted(
        (
            value
            for value in vars(spec_language).values()
            if isinstance(value, type)
            and issubclass(value, BaseModel)
            and value.__module__ == spec_language.__name__
            and not value.__name__.startswith("_")
        ),
        key=lambda model: model.__name__,
    )


# A credential scheme that does not validate is replaced whole by the first alternative's
# stand-in (which alternative was meant is unknown): the others need none.
_REPLACED_WHOLE = set(get_args(get_args(spec_language.HttpAuth)[0])[1:])


@pytest.mark.parametrize(
    "model",
    [m for m in _models() if m not in _REPLACED_WHOLE],
    ids=lambda model: model.__name__,
)
def test_every_model_has_a_stand_in_it_accepts(model: type[BaseModel]) -> None:
    """A spec missing any required key can be patched past it (`load._patched`): each
    required field of each model of the language has a stand-in that validates."""
    model.model_validate(stand_in(model, "mcpgen-stand-in-0"))


def test_a_missing_or_broken_item_hides_nothing_else(tmp_path: Path) -> None:
    """Every item that is not a table, a union member that matches no alternative, a
    missing server: patched past, and the problems of the rest are reported beside them."""
    spec = {
        "tools": ["not a table", {"name": "ok", "errors": ["Nope"]}],
        "http": {"base_url": "https://api.example", "auth": {"key": {"type": "magic"}}},
        "types": {"Broken": "string", "Fine": {"type": "object", "required": ["x"]}},
        "resource_templates": [{"name": "t", "uri_template": "demo://{id}", "complete": ["di"]}],
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    said = [
        line.split(": error: ", 1)[1] for line in result.stderr.splitlines() if ": error: " in line
    ]
    assert said == [
        "missing required key 'server'",
        'tools[0]: Input should be a valid dictionary or instance of Tool (got "not a table")',
        "tools[1].errors[0]: unknown error type 'Nope'",
        "http.auth.key: Input tag 'magic' found using 'type' does not match any of the expected "
        "tags: 'bearer', 'api_key', 'basic', 'oauth2_client_credentials', 'aws_sigv4'",
        'types.Broken: Input should be a valid dictionary (got "string")',
        "resource_templates[0].complete[0]: 'di' is not a variable of the template",
    ]


OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "sloppy", "version": "1"},
    "servers": [{"url": "https://api.example"}],
    "paths": {
        "/people": {
            "post": {
                "operationId": "addPerson",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name", "motherName"],
                                "properties": {"name": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


def test_the_importer_declares_what_an_api_requires_but_does_not_declare(
    tmp_path: Path,
) -> None:
    """Real descriptions do this (11 of 300 sampled from APIs.guru, e.g. apisetu.gov.in's
    Person requires `motherName` and never declares it). The spec the importer writes must
    validate, and must still require the name: declared as `{}`, the schema accepts exactly
    what it accepted before."""
    document = tmp_path / "sloppy.json"
    document.write_text(json.dumps(OPENAPI), encoding="utf-8")
    spec = tmp_path / "sloppy.toml"
    runner = CliRunner()
    imported = runner.invoke(main, ["import", "openapi", str(document), "-o", str(spec)])
    assert imported.exit_code == 0, imported.output
    validated = runner.invoke(main, ["validate", str(spec)])
    assert validated.exit_code == 0, validated.output
    written: dict[str, Any] = tomllib.loads(spec.read_text(encoding="utf-8"))
    body = written["tools"][0]["input"]
    assert body["required"] == ["name", "motherName"]
    assert body["properties"]["motherName"] == {}
