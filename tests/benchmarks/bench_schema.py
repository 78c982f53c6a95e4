"""Benchmark: checking a value against a tool's JSON Schema, per candidate checker.

A generated server checks every `tools/call` twice against the tool's advertised schemas
(arguments, then the structured result) with the runtime's `SchemaCheck`, which answers
`[]` or the problems as `path: message` lines. Each candidate below answers the same way,
and all are measured side by side in one run:

  hand-written   the runtime before it took a library (BASELINE: compiled Python
                 predicates, jsonschema judging what they refuse), loaded from git. Ratios
                 are against it.
  runtime        the runtime of this tree (`SchemaCheck`).
  predicate      the hand-written predicate alone (valid values only: it writes no message).
  jsonschema     jsonschema's Draft202012Validator, built once, with the runtime's
                 ECMA-262 keywords (`ecma_validator`).
  jsonschema-rs  jsonschema-rs's Draft202012Validator, built once, its own regex engines.
  fastjsonschema compiled once (no defaults written into the value, formats not asserted);
                 Python's `re` runs its patterns, and it knows drafts 4, 6 and 7 only.

  a. per call: CPU time per call (µs) for a VALID and an INVALID value of each schema: a
     small tool's arguments (typed properties, required, enum, pattern), a nested result
     (arrays of objects, $defs/$ref: the weather example), and large real schemas of tools
     imported from OpenAPI descriptions in tests/fixtures/openapi (Stripe's, Box's).
  b. first use: CPU time to build the checker and answer its first call (a server of
     1,000 tools builds each on the tool's first call), and to import each library.
  c. correctness: the official JSON Schema Test Suite, draft 2020-12 (tests/
     json_schema_suite.py fetches it), through each candidate: cases passed, per file.

    python tests/benchmarks/bench_schema.py [--rounds 5] [--quick] [--only calls|first|suite]

Rounds are interleaved (every candidate of a case measured next to the others, the order
rotated each round), so the noise of a shared machine hits all alike; a ratio is the median
of the per-round ratios. fastjsonschema is not a dependency: `pip install fastjsonschema`
to include it. It is a report, not a test: the exit status is 0 unless the benchmark failed.
"""

from __future__ import annotations

import argparse
import copy
import gc
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))

import json_schema_suite  # noqa: E402
from mcpgen.vendored.runtime import _patterns as runtime_patterns  # noqa: E402
from mcpgen.vendored.runtime._definitions import load_tools  # noqa: E402
from mcpgen.vendored.runtime._json import json_path  # noqa: E402
from mcpgen.vendored.runtime._schema import SchemaCheck  # noqa: E402
from measure import Paired, run_tree  # noqa: E402

# The last commit whose runtime checked schemas by hand (compiled predicates + jsonschema).
BASELINE_REF = "ed7b815e0bd09094880513ed520747e09d161611"
BASELINE = "hand-written"
Check = Callable[[Any], list[str]]
Make = Callable[[Any, str], Check]


# -- the candidates -----------------------------------------------------------------------


def load_baseline(work: Path, ref: str) -> ModuleType:
    """The runtime's `_schema` module as it was at `ref`, importable beside this tree's."""
    package = f"runtime_{ref[:7]}"
    folder = work / package
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "generator/mcpgen/vendored/runtime"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(
        ["tar", "-x", "-C", str(folder), "--strip-components=4"], input=archive, check=True
    )
    sys.path.insert(0, str(work))
    return importlib.import_module(f"{package}._schema")


def _lines(found: Sequence[tuple[Sequence[str | int], str]], what: str) -> list[str]:
    ordered = sorted(found, key=lambda p: list(map(str, p[0])))
    return [f"{json_path(path, what)}: {message}" for path, message in ordered]


def make_jsonschema(schema: Any, what: str) -> Check:
    validator = runtime_patterns._ecma_validator()(schema)

    def errors(value: Any) -> list[str]:
        if validator.is_valid(value):
            return []
        return _lines([(e.absolute_path, e.message) for e in validator.iter_errors(value)], what)

    return errors


def make_jsonschema_rs(schema: Any, what: str) -> Check:
    import jsonschema_rs

    def refuse(uri: str) -> Any:
        raise LookupError(uri)

    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=False, retriever=refuse)

    def errors(value: Any) -> list[str]:
        if validator.is_valid(value):
            return []
        return _lines([(e.instance_path, e.message) for e in validator.iter_errors(value)], what)

    return errors


def make_fastjsonschema(schema: Any, what: str) -> Check:
    import fastjsonschema

    validate = fastjsonschema.compile(schema, use_default=False, use_formats=False)

    def errors(value: Any) -> list[str]:
        try:
            validate(value)
        except fastjsonschema.JsonSchemaValueException as error:
            # It stops at the first problem; its path is `data.a.b`, its message names it.
            return [error.message]
        return []

    return errors


def candidates(baseline: ModuleType) -> dict[str, Make]:
    def hand_written(schema: Any, what: str) -> Check:
        return baseline._SchemaCheck(schema, what).errors  # type: ignore[no-any-return]

    def predicate(schema: Any, what: str) -> Check:
        test = baseline._compile(schema, schema, {})
        if test is None:
            raise NotImplementedError("beyond the predicate's keywords")
        return lambda value: [] if test(value) else ["(the predicate writes no message)"]

    def runtime(schema: Any, what: str) -> Check:
        return SchemaCheck(schema, what).errors

    found: dict[str, Make] = {
        BASELINE: hand_written,
        "runtime": runtime,
        "predicate": predicate,
        "jsonschema": make_jsonschema,
        "jsonschema-rs": make_jsonschema_rs,
    }
    try:
        import fastjsonschema  # noqa: F401
    except ImportError:
        print("fastjsonschema is not installed: left out (pip install fastjsonschema)")
    else:
        found["fastjsonschema"] = make_fastjsonschema
    return found


# -- the schemas and their values ---------------------------------------------------------

SMALL_ARGUMENTS = {
    "type": "object",
    "required": ["repo", "title"],
    "additionalProperties": False,
    "properties": {
        "repo": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"},
        "title": {"type": "string", "minLength": 1, "maxLength": 256},
        "labels": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "priority": {"enum": ["low", "normal", "high"]},
        "due_in_days": {"type": "integer", "minimum": 0, "maximum": 365},
    },
}


@dataclass
class Case:
    label: str
    schema: Any
    what: str
    valid: Any
    invalid: Any


def example(schema: Any, root: Any, depth: int = 0, required: frozenset[str] = frozenset()) -> Any:
    """A valid value of `schema`, every property present down to a depth, the required ones
    below (checked by jsonschema afterwards: `cases` refuses one that is not)."""
    if schema is True or not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        target = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
        return example(target, root, depth, required)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("examples"):
        return schema["examples"][0]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        # An allOf may require, in one part, what another part describes.
        parts = [schema, *schema["allOf"]]
        needed = required.union(*(part.get("required", []) for part in parts))
        for part in schema["allOf"]:
            built = example(part, root, depth, needed)
            if isinstance(built, dict):
                merged.update(built)
            else:
                return built
        return merged
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return example(schema[key][0], root, depth)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        required = required | set(schema.get("required", []))
        return {
            name: example(sub, root, depth + 1)
            for name, sub in schema.get("properties", {}).items()
            if depth < 4 or name in required
        }
    if kind == "array":
        return [example(schema.get("items", {}), root, depth + 1)] * max(
            1, schema.get("minItems", 1)
        )
    if kind == "string":
        return "x" * max(schema.get("minLength", 0), min(8, schema.get("maxLength", 8)))
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return float(max(schema.get("minimum", 1.5), 1.5))
    if kind == "boolean":
        return True
    return None


def broken(value: Any) -> Any:
    """`value` with its deepest string made a number: the mistake lands far down."""
    deepest: tuple[int, list[Any]] = (-1, [])

    def walk(node: Any, path: list[Any]) -> None:
        nonlocal deepest
        if isinstance(node, str) and len(path) > deepest[0]:
            deepest = (len(path), path)
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for key, child in items:
            walk(child, [*path, key])

    walk(value, [])
    result = copy.deepcopy(value)
    *parents, last = deepest[1]
    target = result
    for key in parents:
        target = target[key]
    target[last] = 12345
    return result


def imported_tools(work: Path, fixture: str) -> dict[str, dict[str, Any]]:
    """The tools `mcpgen import openapi` + `mcpgen generate` make of an OpenAPI fixture."""
    spec = work / f"{fixture}.toml"
    out = work / fixture
    for command in (
        [
            "import",
            "openapi",
            str(REPO / "tests/fixtures/openapi" / f"{fixture}.json"),
            "-o",
            str(spec),
        ],
        ["generate", str(spec), "-o", str(out)],
    ):
        subprocess.run([sys.executable, "-m", "mcpgen", *command], check=True, capture_output=True)
    (tools_json,) = out.glob("src/*/_generated/tools.json")
    sys.path.insert(0, str(out / "src"))
    return {t["name"]: t for t in load_tools(f"{tools_json.parent.parent.name}._generated")}


def cases(work: Path) -> list[Case]:
    weather = {t["name"]: t for t in load_tools_from(REPO / "examples/weather/src", "weather")}
    forecast = weather["get_forecast"]
    stripe = imported_tools(work, "stripe-reduced")
    box = imported_tools(work, "box-reduced")
    days = [
        {"date": f"2026-05-{d:02}", "summary": "Sunny", "high": 21.5, "low": 12.0,
         "precipitation_chance": 10}
        for d in range(1, 8)
    ]  # fmt: skip
    result = {"city": "Lisbon", "unit": "celsius", "days": days}
    found = [
        Case(
            "small arguments (pattern, enum)",
            SMALL_ARGUMENTS,
            "arguments",
            {
                "repo": "acme/widgets",
                "title": "Crash on start",
                "labels": ["bug"],
                "priority": "high",
            },
            {"repo": "widgets", "title": "", "priority": "urgent", "extra": 1},
        ),
        Case(
            "weather get_forecast arguments",
            forecast["inputSchema"],
            "arguments",
            {"city": "Lisbon", "days": 3, "unit": "celsius"},
            {"city": "", "days": 9, "unit": "kelvin"},
        ),
        Case(
            "weather get_forecast result (7 days, $ref)",
            forecast["outputSchema"],
            "result",
            result,
            {**result, "days": [*days[:6], {**days[6], "high": "hot"}]},
        ),
    ]
    for label, tool, key in (
        ("Stripe post_products arguments", stripe["post_products"], "inputSchema"),
        ("Stripe post_products result", stripe["post_products"], "outputSchema"),
        ("Box put_files_id result", box["put_files_id"], "outputSchema"),
    ):
        schema = tool[key]
        value = example(schema, schema)
        what = "arguments" if key == "inputSchema" else "result"
        found.append(
            Case(
                f"{label} ({len(json.dumps(schema)) // 1000} KB)",
                schema,
                what,
                value,
                broken(value),
            )
        )
    judge = runtime_patterns._ecma_validator()
    for case in found:
        validator = judge(case.schema)
        problems = [e.message for e in validator.iter_errors(case.valid)]
        assert not problems, (case.label, problems)
        assert not validator.is_valid(case.invalid), case.label
    return found


def load_tools_from(src: Path, package: str) -> list[dict[str, Any]]:
    sys.path.insert(0, str(src))
    return load_tools(f"{package}._generated")


# -- a. per call --------------------------------------------------------------------------


def cpu_per_call(check: Check, value: Any, calls: int) -> float:
    """CPU seconds per call, over `calls` calls."""
    gc.collect()
    start = time.process_time()
    for _ in range(calls):
        check(value)
    return (time.process_time() - start) / calls


def calibrate(check: Check, value: Any, budget: float) -> int:
    """How many calls take about `budget` seconds of CPU."""
    calls = 1
    while True:
        spent = cpu_per_call(check, value, calls) * calls
        if spent > budget / 10:
            return max(1, int(calls * budget / spent))
        calls *= 4


def run_calls(makers: dict[str, Make], found: list[Case], rounds: int, budget: float) -> None:
    print(f"\na. CPU per call, µs (median of {rounds} rounds); ratio = candidate / {BASELINE}")
    names = list(makers)
    header = f"{'schema':48} {'value':8} " + " ".join(f"{n:>22}" for n in names)
    print(header)
    for case in found:
        for kind in ("valid", "invalid"):
            value = getattr(case, kind)
            checks: dict[str, Check] = {}
            for name, make in makers.items():
                if name == "predicate" and kind == "invalid":
                    continue
                try:
                    check = make(copy.deepcopy(case.schema), case.what)
                    answer = check(value)
                except Exception:  # a candidate that cannot read the schema or value: n/a
                    continue
                if (answer == []) != (kind == "valid"):
                    print(f"  ! {name} says {kind} {case.label!r} is {'in' if answer else ''}valid")
                    continue
                checks[name] = check
            calls = {n: calibrate(c, value, budget) for n, c in checks.items()}
            paired = {n: Paired(n, BASELINE) for n in checks}
            times: dict[str, list[float]] = {n: [] for n in checks}
            order = list(checks)
            for round_ in range(rounds):
                shift = round_ % len(order)
                for name in order[shift:] + order[:shift]:
                    times[name].append(cpu_per_call(checks[name], value, calls[name]))
                for name, pair in paired.items():
                    pair.add(name, times[name][-1])
                    if name != BASELINE and BASELINE in times:
                        pair.add(BASELINE, times[BASELINE][-1])
            cells = []
            for name in names:
                if name not in checks:
                    cells.append(f"{'n/a':>22}")
                    continue
                micro = statistics.median(times[name]) * 1e6
                ratio = paired[name].ratio() if BASELINE in checks else float("nan")
                cells.append(f"{micro:>11.2f} ({ratio:>6.3f}x)")
            print(f"{case.label[:48]:48} {kind:8} " + " ".join(cells))


# -- b. first use -------------------------------------------------------------------------


def run_first_use(makers: dict[str, Make], found: list[Case], rounds: int) -> None:
    print(
        f"\nb. first use: CPU to build the checker + answer its first call, µs (median of {rounds})"
    )
    names = [n for n in makers if n != "predicate"]
    print(f"{'schema':48} {'value':8} " + " ".join(f"{n:>22}" for n in names))
    for case in found:
        for kind in ("valid", "invalid"):
            value = getattr(case, kind)
            cells = []
            for name in names:
                spent: list[float] = []
                for _ in range(rounds):
                    schema = copy.deepcopy(case.schema)
                    # Pattern caches are per process: a fresh server starts without them.
                    runtime_patterns._ecma_search.cache_clear()
                    gc.collect()
                    start = time.process_time()
                    try:
                        makers[name](schema, case.what)(value)
                    except Exception:  # as above: n/a
                        spent = []
                        break
                    spent.append(time.process_time() - start)
                cells.append(
                    f"{statistics.median(spent) * 1e6:>22.0f}" if spent else f"{'n/a':>22}"
                )
            print(f"{case.label[:48]:48} {kind:8} " + " ".join(cells))
    print("\nimport, CPU ms of `python -c 'import X'` less `python -c pass` (median of 5):")
    for module in ("jsonschema", "jsonschema_rs", "fastjsonschema", "regress"):
        bare = statistics.median(run_tree([sys.executable, "-c", "pass"]).cpu for _ in range(5))
        try:
            cost = statistics.median(
                run_tree([sys.executable, "-c", f"import {module}"]).cpu for _ in range(5)
            )
        except RuntimeError:
            print(f"  {module}: not installed")
            continue
        print(f"  {module}: {(cost - bare) * 1e3:.0f} ms")


# -- c. the test suite --------------------------------------------------------------------


def run_suite(makers: dict[str, Make]) -> None:
    names = [n for n in makers if n != "predicate"]
    print(
        "\nc. JSON Schema Test Suite, draft 2020-12: cases passed (a candidate that raises fails)"
    )
    print(
        f"   (from {json_schema_suite.SOURCE}'s sdist; remote $refs are refused by all, as a server"
    )
    print("   fetches nothing; `format` annotates in 2020-12, so optional/format/* expects what no")
    print("   candidate here asserts; * = a file the quick-lane test skips, with its reason)")
    print(f"{'file':42} {'cases':>5} " + " ".join(f"{n:>14}" for n in names))
    totals = dict.fromkeys(names, 0)
    held = dict.fromkeys(names, 0)
    held_cases = all_cases = 0
    for file in json_schema_suite.files():
        suite_cases = list(json_schema_suite.cases(file))
        skipped = json_schema_suite.skip_reason(file) is not None
        passed = dict.fromkeys(names, 0)
        for case in suite_cases:
            runs = json_schema_suite.group_skip_reason(case) is None
            for name in names:
                try:
                    answer = makers[name](copy.deepcopy(case.schema), "value")(
                        copy.deepcopy(case.data)
                    )
                except Exception:  # counted as failed
                    continue
                if (answer == []) is case.valid:
                    passed[name] += 1
                    if not skipped and runs:
                        held[name] += 1
            if not skipped and runs:
                held_cases += 1
        all_cases += len(suite_cases)
        for name in names:
            totals[name] += passed[name]
        mark = "*" if skipped else " "
        print(
            f"{mark}{file[:41]:41} {len(suite_cases):>5} "
            + " ".join(f"{passed[n]:>14}" for n in names)
        )
    print(f"{' all':42} {all_cases:>5} " + " ".join(f"{totals[n]:>14}" for n in names))
    print(
        f"{' held to (quick-lane test)':42} {held_cases:>5} "
        + " ".join(f"{held[n]:>14}" for n in names)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--budget", type=float, default=0.03, help="CPU seconds per measurement")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 rounds, short")
    parser.add_argument(
        "--baseline", default=BASELINE_REF, help="the hand-written runtime's commit"
    )
    parser.add_argument("--only", choices=["calls", "first", "suite"], action="append")
    args = parser.parse_args()
    rounds, budget = (2, 0.005) if args.quick else (args.rounds, args.budget)
    only = set(args.only or ["calls", "first", "suite"])
    with tempfile.TemporaryDirectory(prefix="bench-schema-") as folder:
        work = Path(folder)
        makers = candidates(load_baseline(work, args.baseline))
        if only & {"calls", "first"}:
            found = cases(work)
            if "calls" in only:
                run_calls(makers, found, rounds, budget)
            if "first" in only:
                run_first_use(makers, found, rounds)
        if "suite" in only:
            run_suite(makers)


if __name__ == "__main__":
    main()
