"""Stage 3, models: the IR's schemas -> pydantic source, by datamodel-code-generator.

One batched call for every model: each is a `$defs` entry named by its class name, so the
generator never has to invent (and number) a root name. Every option is explicit, so an
upgrade of its defaults cannot change our output; the version is pinned in pyproject.
Its builtin formatter is used inside; ruff formats the whole package afterwards (`format`).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from mcpgen.diagnostics import Diagnostic, SpecError
from mcpgen.ir import SpecIR

# A model is a class, or a type alias for a schema that is not an object (an enum, say).
_DEFINED = re.compile(r"^(?:class (\w+)\(|(\w+)(?:: TypeAlias)? = )", re.MULTILINE)


def render_models(ir: SpecIR, header: str) -> str:
    """The source of `_generated/models.py`."""
    if not ir.models:
        return f"{header}\n"
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {model.class_name: model.schema for model in ir.models},
    }
    # Its formatter reads black/isort settings from the pyproject.toml nearest to a
    # "settings path" (the working directory by default): point it at an empty one of
    # ours, so the folder mcpgen runs in cannot change the output.
    with tempfile.TemporaryDirectory(prefix="mcpgen-dmcg-") as settings:
        (Path(settings) / "pyproject.toml").write_text("", encoding="utf-8")
        source = _generate(document, header, Path(settings))
    if not isinstance(source, str):
        raise TypeError("datamodel-code-generator returned several modules for one schema")
    source = _escape_invisibles(source)
    defined = {cls or alias for cls, alias in _DEFINED.findall(source)}
    missing = [m for m in ir.models if m.class_name not in defined]
    if missing:
        raise SpecError(
            [
                Diagnostic(
                    "error",
                    f"the model {m.class_name!r} came out under another name: it collides "
                    "with a class the model generator derived from a nested schema",
                    path=m.origin,
                    hint="rename the type or give the nested schema its own entry under [types]",
                )
                for m in missing
            ]
        )
    return source


# Characters that change how source reads without being seen: controls, bidi overrides
# ("Trojan Source"), line separators, BOM. datamodel-code-generator leaves them raw in the
# docstrings it writes; outside string literals they never occur, so escaping is safe.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)


def _escape_invisibles(source: str) -> str:
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", source)


def _generate(document: dict[str, Any], header: str, settings: Path) -> object:
    # Imported here: it is the heaviest import of the pipeline (~0.4 s), and commands
    # such as `validate` and `schema` never need it.
    from datamodel_code_generator import LiteralType, generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import Formatter, PythonVersion

    return generate(
        json.dumps(document, sort_keys=False, ensure_ascii=False),
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_311,
        formatters=[Formatter.BUILTIN],
        custom_file_header=header.rstrip("\n"),
        disable_timestamp=True,
        skip_root_model=True,
        use_type_alias=True,
        use_annotated=True,
        field_constraints=True,
        use_standard_collections=True,
        use_union_operator=True,
        use_double_quotes=True,
        use_schema_description=True,
        parent_scoped_naming=True,
        strict_nullable=True,
        enum_field_as_literal=LiteralType.All,
        capitalise_enum_members=False,
        keep_model_order=False,
        settings_path=settings,
        builtin_format_line_length=100,
    )
