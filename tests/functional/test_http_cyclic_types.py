"""Recursive and mutually recursive `[types]`, as imported API descriptions are full of, in a
spec large enough that the models are generated in chunks: the models import, validate
nested values, and the wire schemas carry every definition they refer to. The handlers are
the user's: a generated HTTP handler reads no models, so none would be made for it."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from mcpgen import emit
from mcpgen.pipeline import generate

# More tools than one batch of models takes (models.py cuts specs this large into runs).
TOOLS = 80

SPEC_HEAD = """\
[server]
name = "cyclic"

[http]
base_url = "https://api.example.com"

[types.Node]
type = "object"
required = ["name"]
properties.name = { type = "string" }
properties.children = { type = "array", items = { "$ref" = "#/types/Node" } }

[types.Person]
type = "object"
properties.name = { type = "string" }
properties.employer = { "$ref" = "#/types/Company" }

[types.Company]
type = "object"
properties.name = { type = "string" }
properties.staff = { type = "array", items = { "$ref" = "#/types/Person" } }
"""

TOOL = """
[[tools]]
name = "op_{i}"
input.type = "object"
input.properties.root = {{ "$ref" = "#/types/Node" }}
output = {{ "$ref" = "#/types/{output}" }}
http = {{ method = "POST", path = "/op/{i}", body = {{}}, handler = "custom" }}
"""


@pytest.mark.slow
def test_cyclic_types_in_a_chunked_spec(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    tools = "".join(TOOL.format(i=i, output="Person" if i % 2 else "Node") for i in range(TOOLS))
    spec.write_text(SPEC_HEAD + tools, encoding="utf-8")
    result = generate(spec)
    out = tmp_path / "out"
    emit.apply(out, emit.plan(out, result.files, "cyclic"), result.ir.spec_sha256, result.refs)
    models_source = (out / "src/cyclic/_generated/models.py").read_text(encoding="utf-8")
    # One rebuild per recursive model, after every class.
    assert models_source.count("Node.model_rebuild()") == 1
    assert models_source.rindex("class ") < models_source.index("Node.model_rebuild()")

    sys.path.insert(0, str(out / "src"))
    try:
        models = importlib.import_module("cyclic._generated.models")
        tree = models.Op0Input.model_validate(
            {"root": {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}}
        )
        assert tree.root.children[0].children[0].name == "c"
        person = models.Person.model_validate(
            {"name": "p", "employer": {"name": "c", "staff": [{"name": "q"}]}}
        )
        assert person.employer.staff[0].name == "q"
        server = importlib.import_module("cyclic._generated.server")
        [tool] = [t for t in result.ir.tools if t.name == "op_1"]
        assert tool.output_schema is not None
        assert sorted(tool.output_schema["$defs"]) == ["Company", "Person"]
        assert server.build_server() is not None
    finally:
        sys.path.remove(str(out / "src"))
        for name in [m for m in sys.modules if m.split(".")[0] == "cyclic"]:
            del sys.modules[name]
