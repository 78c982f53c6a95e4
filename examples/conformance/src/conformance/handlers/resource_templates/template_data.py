"""Resources of test://template/{id}/data: JSON naming the id."""

from __future__ import annotations

import json

from conformance._generated import models, runtime


async def template_data(
    ctx: runtime.Context, params: models.TemplateDataParams
) -> runtime.ResourceReturn:
    return json.dumps({"id": params.id, "templateTest": True, "data": f"Data for ID: {params.id}"})
