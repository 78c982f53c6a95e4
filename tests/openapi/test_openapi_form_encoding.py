"""A form body's `encoding` reaches the spec, and through it the generated request.

Stripe's description declares `style: deepObject, explode: true` for its nested form fields;
the file-uploads example has multipart file parts (`format: binary`), sent as bytes.
"""

from __future__ import annotations

from pathlib import Path

from mcpgen.pipeline import check
from openapi_support import FIXTURES, import_spec, load_toml


def test_stripe_encodings_are_imported(tmp_path: Path) -> None:
    output = tmp_path / "stripe.toml"
    import_spec(FIXTURES / "stripe-reduced.json", output)
    tools = {tool["name"]: tool for tool in load_toml(output)["tools"]}
    body = tools["post_coupons"]["http"]["body"]
    assert body["content_type"] == "application/x-www-form-urlencoded"
    assert body["encoding"]["metadata"] == {"style": "deepObject", "explode": True}
    assert set(body["encoding"]) == {"applies_to", "currency_options", "expand", "metadata"}
    files = tools["post_files"]["http"]["body"]
    assert files["content_type"] == "multipart/form-data"
    assert files["encoding"]["file_link_data"] == {"style": "deepObject", "explode": True}
    ir, _ = check(output)
    [coupons] = [tool.http for tool in ir.tools if tool.name == "post_coupons"]
    assert coupons is not None
    assert {(e.name, e.style, e.explode) for e in coupons.body_encoding} == {
        (name, "deepObject", True) for name in body["encoding"]
    }


def test_multipart_binary_properties_are_sent_as_bytes(tmp_path: Path) -> None:
    output = tmp_path / "uploads.toml"
    import_spec(FIXTURES / "oas-examples-file-uploads-3.0.yaml", output)
    ir, _ = check(output)
    binary = {
        tool.name: sorted(e.name for e in tool.http.body_encoding if e.binary)
        for tool in ir.tools
        if tool.http is not None and tool.http.body_content_type == "multipart/form-data"
    }
    assert binary == {
        "post_anything_multipart_formdata": ["documentFile"],
        "put_anything_multipart_formdata": ["filename"],
    }


def test_an_encoding_of_no_property_is_left_out_with_a_warning(tmp_path: Path) -> None:
    # Two of the examples' `encoding`s name `primitive`, which their body schema does not have.
    output = tmp_path / "styles.toml"
    result = import_spec(FIXTURES / "oas-examples-parameters-style-3.0.yaml", output)
    assert any("'primitive', which is not a property" in w.message for w in result.warnings)
    encoded = 0
    for tool in load_toml(output)["tools"]:
        encoding = tool["http"].get("body", {}).get("encoding", {})
        assert set(encoding) <= set(tool["input"]["properties"]), tool["name"]
        encoded += bool(encoding)
    assert encoded >= 2
    check(output)
