"""The runtime's schema checks against the official JSON Schema Test Suite, draft 2020-12.

Every case of every file, optional ones included (the ECMA-262 regular expressions of
optional/ecmascript-regex.json above all: JSON Schema patterns are ECMA-262), through
`SchemaCheck` exactly as a tool call uses it, except what `json_schema_suite` lists with
its reason: remote `$ref`s (a server fetches nothing) and `format` assertions (2020-12
`format` only annotates). tests/benchmarks/bench_schema.py prints the same counts for the
libraries the runtime was measured against.
"""

from __future__ import annotations

import json
from typing import Any

import json_schema_suite
import pytest
from mcpgen.vendored.runtime._schema import SchemaCheck


def _params() -> list[Any]:
    found = []
    for file in json_schema_suite.files():
        reason = json_schema_suite.skip_reason(file)
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        found.append(pytest.param(file, marks=marks, id=file))
    return found


@pytest.mark.parametrize("file", _params())
def test_the_runtime_judges_as_the_suite_does(file: str) -> None:
    wrong = []
    ran = 0
    for case in json_schema_suite.cases(file):
        if json_schema_suite.group_skip_reason(case) is not None:
            continue
        ran += 1
        # The check keeps the schema it is given and may read it at any call: a copy each.
        check = SchemaCheck(json.loads(json.dumps(case.schema)), "value")
        lines = check.errors(case.data)
        if (lines == []) is not case.valid:
            wrong.append(f"{case.label}: said {lines or 'valid'}")
        elif not all(": " in line for line in lines):
            wrong.append(f"{case.label}: not `path: message` lines: {lines}")
    assert ran, "every group of the file skipped: run it or skip the file, with the reason"
    assert not wrong, "\n".join(wrong)
