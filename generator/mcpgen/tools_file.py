"""`tools.json`, the tool definitions a generated server answers `tools/list` with: where it
is, the names of its format, and what it lists, read without generating (the fast path of an
up-to-date `generate` prints what a full run prints, and imports nothing heavy to do so).
"""

from __future__ import annotations

import json
from typing import Any

from mcpgen.budget import ListSize, ToolSize

TOOLS_PATH = "src/{pkg}/_generated/tools.json"

# Where `tools.json` keeps an output schema the server checks results against but does not
# list (`list_output_schema = false`); the runtime reads the same name
# (`runtime._definitions.UNLISTED_OUTPUT_SCHEMA`) and never sends it.
UNLISTED_OUTPUT_SCHEMA = "unlistedOutputSchema"


def stored_tools_list_size(text: str) -> ListSize:
    """`render.tools_list_size` of the server whose `tools.json` is `text` (no tags: the file
    has none). Each schema's `$defs` names its entries in the shared `"defs"` by index, as
    `runtime.load_tools` reads them."""
    document = json.loads(text)
    shared: list[Any] = document["defs"]
    sizes = []
    for tool in document["tools"]:
        tool.pop(UNLISTED_OUTPUT_SCHEMA, None)
        for key in ("inputSchema", "outputSchema"):
            schema = tool.get(key)
            if schema is not None and "$defs" in schema:
                schema["$defs"] = {name: shared[at] for name, at in schema["$defs"].items()}
        wire = json.dumps(tool, ensure_ascii=False, separators=(",", ":"))
        sizes.append(ToolSize(tool["name"], (), len(wire.encode())))
    return ListSize.of(sizes, document.get("surface", "tools"))
