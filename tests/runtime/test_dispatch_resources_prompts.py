"""Resources, resource templates, prompts and completions, as a client lists and reads them."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import mcp_types as types
import pytest
from mcp.client import Client
from mcp.shared.exceptions import MCPError
from mcpgen.vendored.runtime import Context, PromptMessage, SdkServer, TextContent
from mcpgen.vendored.runtime._definitions import Prompt, PromptArgument, Resource
from pydantic import BaseModel, Field
from runtime_support import build, modern, prompt, resource, template

pytestmark = pytest.mark.anyio

PIXEL = b"\x89PNG\r\n\x1a\n\x00\xff"


class NoteParams(BaseModel):
    id: int = Field(ge=1)


class FileParams(BaseModel):
    path: str


class SectionParams(BaseModel):
    section: str


class SearchParams(BaseModel):
    q: str | None = None
    limit: int = 10


class SummarizeArguments(BaseModel):
    id: str
    style: str = "brief"


async def pixel(ctx: Context[Any]) -> bytes:
    return PIXEL


async def latest(ctx: Context[Any]) -> str:
    return f"latest, for {ctx.protocol_version}"


async def note(ctx: Context[Any], params: NoteParams) -> str:
    return f"note {params.id}"


async def readme(ctx: Context[Any], params: SectionParams) -> str:
    return f"the README's {params.section}"


async def file(ctx: Context[Any], params: FileParams) -> str:
    return f"file {params.path}"


async def search(ctx: Context[Any], params: SearchParams) -> str:
    return f"search q={params.q} limit={params.limit}"


async def note_ids(ctx: Context[Any], partial: str, given: Mapping[str, str]) -> Sequence[str]:
    return [str(n) for n in range(1, 251) if str(n).startswith(partial)]


async def styles(ctx: Context[Any], partial: str, given: Mapping[str, str]) -> Sequence[str]:
    # The other arguments come along: a note's styles depend on the note.
    known = ["brief", "bullet points"] if given.get("id") == "1" else ["brief", "detailed"]
    return [s for s in known if s.startswith(partial)]


async def summarize(ctx: Context[Any], args: SummarizeArguments) -> str:
    return f"Summarize note {args.id}; be {args.style}."


async def conversation(ctx: Context[Any], args: SummarizeArguments) -> Sequence[PromptMessage]:
    return [
        PromptMessage(role="user", content=TextContent(text=f"Note {args.id}?")),
        PromptMessage(role="assistant", content=TextContent(text="Which style?")),
    ]


def server() -> SdkServer:
    return build(
        resources=[
            Resource(
                uri="test://about",
                name="about",
                title="About",
                description="What this is.",
                mime_type="text/plain",
                text="A test server.",
                meta={"dev.example/kind": "static"},
            ),
            resource("test://latest", mime_type="text/plain", handler=latest),
            resource("test://pixel", mime_type="image/png", handler=pixel),
        ],
        resource_templates=[
            template("files://readme/{section}", SectionParams, readme, mime_type="text/plain"),
            template(
                "files://{+path}",
                FileParams,
                file,
                description="A file; paths may not leave the folder.",
                mime_type="text/plain",
            ),
            template("search://notes{?q,limit}", SearchParams, search),
            template(
                "notes://{id}",
                NoteParams,
                note,
                title="A note",
                mime_type="text/plain",
                completers={"id": note_ids},
            ),
        ],
        prompts=[
            Prompt(
                name="summarize",
                title="Summarize",
                description="Summarize a note.",
                arguments=[
                    PromptArgument(name="id", description="The note", required=True),
                    PromptArgument(name="style", description=None, required=False),
                ],
                arguments_model=SummarizeArguments,
                handler=summarize,
                completers={"style": styles},
                meta={"dev.example/kind": "prompt"},
            ),
            prompt(
                "conversation",
                conversation,
                arguments=[PromptArgument(name="id", description=None, required=True)],
                arguments_model=SummarizeArguments,
            ),
        ],
    )


async def read(client: Client, uri: str) -> types.TextResourceContents | types.BlobResourceContents:
    (contents,) = (await client.read_resource(uri)).contents
    return contents


async def refused(client: Client, uri: str) -> MCPError:
    with pytest.raises(MCPError) as error:
        await client.read_resource(uri)
    return error.value


# -- resources ----------------------------------------------------------------------------


async def test_resources_are_listed_as_declared(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        listed = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
    about = listed[0]
    assert [r.uri for r in listed] == ["test://about", "test://latest", "test://pixel"]
    assert (about.name, about.title, about.description, about.mime_type) == (
        "about",
        "About",
        "What this is.",
        "text/plain",
    )
    assert about.meta == {"dev.example/kind": "static"}
    # In the order declared: the most specific first.
    assert [t.uri_template for t in templates] == [
        "files://readme/{section}",
        "files://{+path}",
        "search://notes{?q,limit}",
        "notes://{id}",
    ]
    assert templates[3].title == "A note"


async def test_static_text_handler_text_and_bytes(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        about = await read(client, "test://about")
        latest = await read(client, "test://latest")
        image = await read(client, "test://pixel")
        version = client.protocol_version
    assert about == types.TextResourceContents(
        uri="test://about", mime_type="text/plain", text="A test server."
    )
    assert isinstance(latest, types.TextResourceContents)
    assert latest.text == f"latest, for {version}"
    assert isinstance(image, types.BlobResourceContents)
    assert image.mime_type == "image/png"
    assert base64.b64decode(image.blob) == PIXEL


async def test_an_unknown_uri_is_not_found_with_the_code_of_the_era(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        error = await refused(client, "elsewhere://nothing")
        expected = types.INVALID_PARAMS if modern(client) else -32002
    assert (error.code, error.message, error.data) == (
        expected,
        "Resource not found: elsewhere://nothing",
        {"uri": "elsewhere://nothing"},
    )


async def test_templates_route_to_the_first_that_matches_with_typed_values(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        texts = {
            uri: getattr(await read(client, uri), "text", None)
            for uri in [
                "files://readme/install",
                "files://guides/intro.md",
                "search://notes",
                "search://notes?limit=3&q=tea",
                "search://notes?q=..",
                "notes://12",
            ]
        }
    assert texts == {
        "files://readme/install": "the README's install",
        "files://guides/intro.md": "file guides/intro.md",
        "search://notes": "search q=None limit=10",
        "search://notes?limit=3&q=tea": "search q=tea limit=3",
        "search://notes?q=..": "search q=.. limit=10",  # a query value is not a path
        "notes://12": "note 12",
    }


@pytest.mark.parametrize(
    "uri",
    [
        "files://../secrets",
        "files://guides/../../etc/passwd",
        "files://guides/%2E%2E/%2E%2E/etc/passwd",
        "files:///etc/passwd",
        "files://guides/a%00b",
    ],
)
async def test_a_template_value_that_leaves_its_place_is_refused(mode: str, uri: str) -> None:
    async with Client(server(), mode=mode) as client:
        error = await refused(client, uri)
    assert error.code == types.INVALID_PARAMS
    assert error.message == (
        f"Invalid resource URI {uri!r}: 'path' may not hold a path that leaves its place"
    )


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("notes://seven", "id: Input should be a valid integer, unable to parse string as an integer"),
        ("notes://0", "id: Input should be greater than or equal to 1"),
        ("search://notes?limit=many", "limit: Input should be a valid integer, unable to parse string as an integer"),
    ],
)  # fmt: skip
async def test_a_template_value_its_model_refuses_is_invalid_params(
    mode: str, uri: str, problem: str
) -> None:
    async with Client(server(), mode=mode) as client:
        error = await refused(client, uri)
    assert (error.code, error.message) == (
        types.INVALID_PARAMS,
        f"Invalid resource URI {uri!r}: {problem}",
    )


# -- prompts ------------------------------------------------------------------------------


async def test_prompts_are_listed_with_their_arguments(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        listed = (await client.list_prompts()).prompts
    summarize = listed[0]
    assert [p.name for p in listed] == ["summarize", "conversation"]
    assert (summarize.title, summarize.description) == ("Summarize", "Summarize a note.")
    assert summarize.meta == {"dev.example/kind": "prompt"}
    assert [(a.name, a.description, a.required) for a in summarize.arguments or []] == [
        ("id", "The note", True),
        ("style", None, False),
    ]


async def test_a_prompt_renders_text_or_messages(mode: str) -> None:
    async with Client(server(), mode=mode) as client:
        text = await client.get_prompt("summarize", {"id": "3", "style": "detailed"})
        defaulted = await client.get_prompt("summarize", {"id": "4"})
        messages = await client.get_prompt("conversation", {"id": "5"})
    assert text.description == "Summarize a note."
    assert [(m.role, m.content) for m in text.messages] == [
        ("user", TextContent(text="Summarize note 3; be detailed."))
    ]
    assert defaulted.messages[0].content == TextContent(text="Summarize note 4; be brief.")
    assert [(m.role, m.content) for m in messages.messages] == [
        ("user", TextContent(text="Note 5?")),
        ("assistant", TextContent(text="Which style?")),
    ]


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("nope", {}, "Unknown prompt: nope"),
        (
            "summarize",
            {"style": "brief", "tone": "dry"},
            "Invalid arguments for prompt 'summarize': unknown argument 'tone'; "
            "missing required argument 'id'",
        ),
    ],
)
async def test_a_prompt_call_with_bad_arguments_is_invalid_params(
    mode: str, name: str, arguments: dict[str, str], message: str
) -> None:
    async with Client(server(), mode=mode) as client:
        with pytest.raises(MCPError) as error:
            await client.get_prompt(name, arguments)
    assert (error.value.code, error.value.message) == (types.INVALID_PARAMS, message)


# -- completions --------------------------------------------------------------------------


async def test_completions_for_prompt_arguments_see_the_other_arguments(mode: str) -> None:
    ref = types.PromptReference(name="summarize")
    async with Client(server(), mode=mode) as client:
        alone = await client.complete(ref, {"name": "style", "value": "b"})
        with_id = await client.complete(ref, {"name": "style", "value": "b"}, {"id": "1"})
        nothing = await client.complete(ref, {"name": "id", "value": ""})
        unknown = await client.complete(
            types.PromptReference(name="nope"), {"name": "x", "value": ""}
        )
    assert alone.completion.values == ["brief"]
    assert with_id.completion.values == ["brief", "bullet points"]
    assert nothing.completion.values == [] and unknown.completion.values == []


async def test_completions_are_capped_at_a_hundred_and_say_how_many_there_are(
    mode: str,
) -> None:
    ref = types.ResourceTemplateReference(uri="notes://{id}")
    async with Client(server(), mode=mode) as client:
        many = await client.complete(ref, {"name": "id", "value": ""})
        few = await client.complete(ref, {"name": "id", "value": "24"})
    assert many.completion.values == [str(n) for n in range(1, 101)]
    assert (many.completion.total, many.completion.has_more) == (250, True)
    assert few.completion.values == ["24", "240", "241", "242", "243", "244", "245", "246", "247", "248", "249"]  # fmt: skip
    assert (few.completion.total, few.completion.has_more) == (11, False)
