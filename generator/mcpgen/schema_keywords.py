"""Where a JSON Schema (2020-12, and the older keywords OpenAPI documents use) holds other
schemas: the one table every walk over schemas reads, so that none misses a keyword.
"""

from __future__ import annotations

# Keywords whose value is one subschema.
ONE_SUBSCHEMA = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
        "additionalItems",
        "contentSchema",
    }
)
# Keywords whose value is a list of subschemas.
LIST_OF_SUBSCHEMAS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
# Keywords whose value maps names to subschemas.
MAP_OF_SUBSCHEMAS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
# Keywords whose value is data, whatever it looks like (a "pattern" key there is no keyword).
DATA = frozenset({"const", "enum", "default", "examples", "example"})
