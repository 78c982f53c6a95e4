"""Models as the JSON the wire carries, and where in a value a problem is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, RootModel, ValidationError


def to_json(model: BaseModel) -> dict[str, Any]:
    """A model as JSON, leaving out optional fields that are None.

    Omitting them (rather than sending null) keeps the result valid for schemas whose
    optional properties are not nullable; a required field is always sent, null or not.
    """
    data = model.model_dump(mode="json", by_alias=True)
    _drop_optional_nones(model, data)
    return data


def _drop_optional_nones(value: Any, data: Any) -> None:
    if isinstance(value, RootModel):
        _drop_optional_nones(value.root, data)
    elif isinstance(value, BaseModel) and isinstance(data, dict):
        for name, key, required in _field_facts(type(value)):
            # A model built with `model_construct` may lack a field: the output check says so.
            attribute = getattr(value, name, None)
            if attribute is None:
                if not required:
                    data.pop(key, None)
            elif key in data and not isinstance(attribute, _SCALARS):
                _drop_optional_nones(attribute, data[key])
    elif isinstance(value, (list, tuple)) and isinstance(data, list):
        for item, dumped in zip(value, data, strict=False):
            _drop_optional_nones(item, dumped)
    elif isinstance(value, dict) and isinstance(data, dict):
        for key, item in value.items():
            if key in data:
                _drop_optional_nones(item, data[key])


_SCALARS = (str, int, float, bool)
_FIELD_FACTS: dict[type[BaseModel], list[tuple[str, str, bool]]] = {}


def _field_facts(model: type[BaseModel]) -> list[tuple[str, str, bool]]:
    """(attribute, JSON key, required) of each field of a model class, computed once."""
    facts = _FIELD_FACTS.get(model)
    if facts is None:
        facts = _FIELD_FACTS[model] = [
            (name, info.alias or name, info.is_required())
            for name, info in model.model_fields.items()
        ]
    return facts


def json_path(path: Sequence[str | int], whole: str) -> str:
    """Where in a value a problem is (`items[2].name`); `whole` names the value itself."""
    if not path:
        return whole
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def pydantic_errors(error: ValidationError, whole: str) -> list[str]:
    return [f"{json_path(e['loc'], whole)}: {e['msg']}" for e in error.errors()]
