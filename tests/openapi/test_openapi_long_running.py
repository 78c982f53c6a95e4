"""Long-running operations found by the import: Azure's `x-ms-long-running-operation` (and
where its `final-state-via` puts the result), a 202 with a monitor header, a 202 whose body
links to its monitor; each becomes `http.long_running` on a tool that may run as a task.
Nothing else is one: a 201's Location is the resource it created."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec, load_toml

AZURE = FIXTURES / "azure-network-ddos-custom-policy.json"
OCR = FIXTURES / "microsoft-cognitiveservices-ocr.json"


def imported(source: Path, tmp_path: Path) -> dict[str, Any]:
    output = tmp_path / "spec.toml"
    import_spec(source, output, server_name="lro")
    _, diagnostics = check(output)
    assert [d for d in diagnostics if d.level == "error"] == []
    return load_toml(output)


def by_route(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{tool['http']['method']} {tool['http'].get('openapi_path', tool['http']['path'])}": tool
        for tool in spec["tools"]
    }


def test_azures_marked_operations_end_where_final_state_via_says(tmp_path: Path) -> None:
    tools = by_route(imported(AZURE, tmp_path))
    policy = (
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
        "Microsoft.Network/ddosCustomPolicies/{ddosCustomPolicyName}"
    )
    plans = {route: tool["http"].get("long_running") for route, tool in tools.items()}
    assert plans == {
        f"GET {policy}": None,
        # final-state-via: azure-async-operation: the monitor's last answer.
        f"PUT {policy}": {},
        # final-state-via: location.
        f"DELETE {policy}": {"result": "location"},
        # None given: a PATCH ends at its own URL (autorest's default).
        f"PATCH {policy}": {"result": "original_uri"},
    }
    for route, tool in tools.items():
        marked = plans[route] is not None
        assert (tool.get("task_support"), tool.get("task_starts")) == (
            ("optional", "at_detach") if marked else (None, None)
        )
    # The PUT's output is its 200/201 resource still: the result is that resource.
    assert "output" in tools[f"PUT {policy}"]


def test_a_202_naming_its_monitor_in_a_header_is_long_running(tmp_path: Path) -> None:
    tools = by_route(imported(OCR, tmp_path))
    marked = sorted(route for route, tool in tools.items() if "long_running" in tool["http"])
    assert marked == [
        "POST /read/core/asyncBatchAnalyze",
        "POST /read/core/asyncBatchAnalyze#overload=stream",
        "POST /recognizeText",
        "POST /recognizeText#overload=stream",
    ]
    recognize = tools["POST /recognizeText"]
    assert recognize["http"]["long_running"] == {}
    # Its only answer is the 202, which describes no result: the result comes as text.
    assert recognize["http"]["response"] == {"content_type": "text"}
    assert "output" not in recognize


def _document(accepted: dict[str, Any], *, status: str = "202") -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Jobs", "version": "1"},
        "servers": [{"url": "https://jobs.example.com"}],
        "paths": {
            "/exports": {"post": {"operationId": "startExport", "responses": {status: accepted}}}
        },
        "components": {
            "schemas": {
                "Accepted": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "stateLocation": {"type": "string"},
                        "location": {"type": "string"},
                    },
                }
            }
        },
    }


def _import_one(tmp_path: Path, document: dict[str, Any]) -> dict[str, Any]:
    source = tmp_path / "jobs.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    [tool] = imported(source, tmp_path)["tools"]
    return tool


def test_a_202_whose_body_links_to_its_monitor_is_long_running(tmp_path: Path) -> None:
    """Visma.net's 474 background operations answer `{id, stateLocation}`."""
    body = {"$ref": "#/components/schemas/Accepted"}
    accepted = {"description": "queued", "content": {"application/json": {"schema": body}}}
    tool = _import_one(tmp_path, _document(accepted))
    assert tool["http"]["long_running"] == {"status_headers": [], "status_link": "/stateLocation"}


def test_no_monitor_no_long_running(tmp_path: Path) -> None:
    """A 202 that names no monitor (Azure's `location` is a region), and a 201's Location."""
    region_only = {
        "description": "queued",
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"location": {"type": "string"}}}
            }
        },
    }
    created = {"description": "created", "headers": {"Location": {"schema": {"type": "string"}}}}
    for document in (_document(region_only), _document(created, status="201")):
        tool = _import_one(tmp_path, document)
        assert "long_running" not in tool["http"], tool
        assert "task_support" not in tool
