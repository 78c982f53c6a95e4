"""Asking the client: `ctx.elicit`, `ctx.elicit_schema`, `ctx.sample`, `ctx.list_roots` and
`InputRequired`, in both eras: a 2025-era server sends the request itself; a 2026-07-28 one
answers `InputRequiredResult` with sealed state and runs the handler again on the retry."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any, Literal

import mcp_types as types
import pytest
from mcp.client import Client
from mcp.client.context import ClientRequestContext
from mcp.shared.exceptions import MCPError
from mcpgen.vendored.runtime import (
    Context,
    InputRequired,
    elicitation_request,
    roots_request,
    sampling_request,
)
from mcpgen.vendored.runtime._dispatch import MAX_INPUT_ROUNDS
from pydantic import BaseModel, Field, FileUrl
from runtime_support import (
    MODERN,
    NoArguments,
    build,
    modern,
    prompt,
    resource,
    text_of,
    tool,
)

pytestmark = pytest.mark.anyio


class Booking(BaseModel):
    """The form a handler asks the user to fill in."""

    guests: int = Field(ge=1, description="How many people?")
    vegetarian: bool = False


class Client_:
    """The client's side of the questions: what it was asked, and how it answers."""

    def __init__(
        self,
        action: Literal["accept", "decline", "cancel"] = "accept",
        content: dict[str, Any] | None = None,
    ) -> None:
        self.action = action
        self.content = content
        self.elicited: list[types.ElicitRequestFormParams] = []
        self.sampled: list[types.CreateMessageRequestParams] = []
        self.rooted = 0

    async def elicit(
        self, context: ClientRequestContext, params: types.ElicitRequestParams
    ) -> types.ElicitResult:
        assert isinstance(params, types.ElicitRequestFormParams)
        self.elicited.append(params)
        content = self.content if self.action == "accept" else None
        return types.ElicitResult(action=self.action, content=content)

    async def sample(
        self, context: ClientRequestContext, params: types.CreateMessageRequestParams
    ) -> types.CreateMessageResult:
        self.sampled.append(params)
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(text="a haiku"), model="test-model"
        )

    async def roots(self, context: ClientRequestContext) -> types.ListRootsResult:
        self.rooted += 1
        return types.ListRootsResult(
            roots=[
                types.Root(uri=FileUrl("file:///work/a"), name="a"),
                types.Root(uri=FileUrl("file:///work/b"), name=None),
            ]
        )

    def connect(self, server: Any, mode: str, **options: Any) -> Client:
        return Client(
            server,
            mode=mode,
            elicitation_callback=self.elicit,
            sampling_callback=self.sample,
            list_roots_callback=self.roots,
            **options,
        )


FORM = {"type": "object", "properties": {"x": {"type": "integer"}}}


def runs_for(mode: str, questions: int) -> int:
    """How often a handler that asks `questions` questions runs: once in the 2025 era (the
    server asks as it goes), once more per question in 2026-07-28 (the client retries)."""
    return 1 + questions if mode == MODERN else 1


# -- elicitation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "content", "expected"),
    [
        ("accept", {"guests": 3, "vegetarian": True}, "accept: guests=3 vegetarian=True"),
        ("decline", None, "decline: None"),
        ("cancel", None, "cancel: None"),
    ],
)
async def test_elicit_returns_the_users_answer_as_the_model(
    mode: str, action: Literal["accept", "decline", "cancel"], content: Any, expected: str
) -> None:
    runs: list[int] = []

    async def book(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        runs.append(1)
        answer = await ctx.elicit("Book a table: for how many?", Booking)
        assert answer.accepted is (action == "accept")
        return f"{answer.action}: {answer.data}"

    user = Client_(action, content)
    async with user.connect(build(tool("book", book)), mode) as client:
        result = await client.call_tool("book", {})
    assert text_of(result) == expected
    (asked,) = user.elicited
    assert asked.message == "Book a table: for how many?"
    # The form's fields, as the model says; 2026-07-28 keeps only the members a form may have.
    assert asked.requested_schema["properties"] == {
        "guests": {
            "type": "integer",
            "minimum": 1,
            "description": "How many people?",
            "title": "Guests",
        },
        "vegetarian": {"type": "boolean", "default": False, "title": "Vegetarian"},
    }
    assert asked.requested_schema["required"] == ["guests"]
    assert len(runs) == runs_for(mode, 1)


class Colour(enum.Enum):
    RED = "red"
    TEAL = "teal"


class Paint(BaseModel):
    colour: Colour
    shade: Colour = Colour.TEAL


async def test_elicit_sends_a_form_with_no_references_left(mode: str) -> None:
    """An enum field is a `$ref` into `$defs` in the model's schema; a form has neither
    (its fields are primitive), and 2026-07-28 drops `$defs`, which left the `$ref` dangling."""

    async def paint(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        answer = await ctx.elicit("Which colour?", Paint)
        assert answer.data is not None
        return f"{answer.data.colour.value} {answer.data.shade.value}"

    user = Client_("accept", {"colour": "red"})
    async with user.connect(build(tool("paint", paint)), mode) as client:
        result = await client.call_tool("paint", {})
    assert text_of(result) == "red teal"
    form = user.elicited[0].requested_schema
    assert form["properties"] == {
        "colour": {"enum": ["red", "teal"], "title": "Colour", "type": "string"},
        "shade": {"enum": ["red", "teal"], "title": "Colour", "type": "string", "default": "teal"},
    }
    assert "$defs" not in form


async def test_elicit_schema_takes_a_raw_schema_and_gives_a_dict(mode: str) -> None:
    schema = {"type": "object", "properties": {"colour": {"type": "string"}}}

    async def paint(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        answer = await ctx.elicit_schema("Which colour?", schema)
        return json.dumps(answer.data)

    user = Client_("accept", {"colour": "teal"})
    async with user.connect(build(tool("paint", paint)), mode) as client:
        result = await client.call_tool("paint", {})
    assert json.loads(text_of(result)) == {"colour": "teal"}
    assert user.elicited[0].requested_schema == schema


# -- sampling and roots -------------------------------------------------------------------


async def test_sample_sends_the_prompt_and_returns_the_models_answer(mode: str) -> None:
    async def poem(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        answer = await ctx.sample(
            "Write a haiku", max_tokens=40, system_prompt="Be brief.", temperature=0.5
        )
        assert isinstance(answer.content, types.TextContent)
        return f"{answer.model}: {answer.content.text}"

    user = Client_()
    async with user.connect(build(tool("poem", poem)), mode) as client:
        result = await client.call_tool("poem", {})
    assert text_of(result) == "test-model: a haiku"
    (asked,) = user.sampled
    assert [(m.role, m.content) for m in asked.messages] == [
        ("user", types.TextContent(text="Write a haiku"))
    ]
    assert (asked.max_tokens, asked.system_prompt, asked.temperature) == (40, "Be brief.", 0.5)


async def test_list_roots_returns_the_clients_roots(mode: str) -> None:
    async def where(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        return ", ".join(f"{root.uri} ({root.name})" for root in await ctx.list_roots())

    user = Client_()
    async with user.connect(build(tool("where", where)), mode) as client:
        result = await client.call_tool("where", {})
    assert text_of(result) == "file:///work/a (a), file:///work/b (None)"
    assert user.rooted == 1


async def test_each_question_is_asked_once_however_often_the_handler_runs(mode: str) -> None:
    runs: list[int] = []

    async def survey(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        runs.append(1)
        booking = await ctx.elicit("How many?", Booking)
        poem = await ctx.sample("Write a haiku", max_tokens=10)
        roots = await ctx.list_roots()
        again = await ctx.elicit("And next week?", Booking)
        assert booking.data is not None and again.data is not None
        assert isinstance(poem.content, types.TextContent)
        return f"{booking.data.guests}, {poem.content.text}, {len(roots)}, {again.data.guests}"

    user = Client_("accept", {"guests": 2})
    async with user.connect(build(tool("survey", survey)), mode) as client:
        result = await client.call_tool("survey", {})
    assert text_of(result) == "2, a haiku, 2, 2"
    assert [q.message for q in user.elicited] == ["How many?", "And next week?"]
    assert (len(user.sampled), user.rooted) == (1, 1)
    assert len(runs) == runs_for(mode, 4)


async def test_prompts_and_resources_may_ask_too(mode: str) -> None:
    async def greeting(ctx: Context[Any], args: NoArguments) -> str:
        answer = await ctx.elicit("How many?", Booking)
        assert answer.data is not None
        return f"Greet {answer.data.guests} guests."

    async def guests(ctx: Context[Any]) -> str:
        answer = await ctx.elicit("How many?", Booking)
        assert answer.data is not None
        return f"{answer.data.guests} guests"

    server = build(
        prompts=[prompt("greet", greeting)],
        resources=[resource("test://guests", mime_type="text/plain", handler=guests)],
    )
    user = Client_("accept", {"guests": 4})
    async with user.connect(server, mode) as client:
        greeted = await client.get_prompt("greet", {})
        read = await client.read_resource("test://guests")
    assert greeted.messages[0].content == types.TextContent(text="Greet 4 guests.")
    assert read.contents == [
        types.TextResourceContents(uri="test://guests", mime_type="text/plain", text="4 guests")
    ]
    assert len(user.elicited) == 2


# -- InputRequired: the multi-round style -------------------------------------------------


async def test_input_required_rounds_carry_answers_and_state(mode: str) -> None:
    seen: list[tuple[str | None, list[str]]] = []

    async def plan(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        seen.append((ctx.request_state, sorted(ctx.input_responses)))
        answers = ctx.input_responses
        if ctx.request_state is None:
            raise InputRequired(
                {
                    "form": elicitation_request("How many?", Booking.model_json_schema()),
                    "roots": roots_request(),
                },
                state="round-1",
            )
        if ctx.request_state == "round-1":
            raise InputRequired({"poem": sampling_request("A haiku", max_tokens=5)}, "round-2")
        return (
            f"{answers['form']['content']['guests']} guests, "
            f"{len(answers['roots']['roots'])} roots, "
            f"{answers['poem']['content']['text']}"
        )

    user = Client_("accept", {"guests": 5})
    async with user.connect(build(tool("plan", plan)), mode) as client:
        result = await client.call_tool("plan", {})
    assert text_of(result) == "5 guests, 2 roots, a haiku"
    assert seen == [
        (None, []),
        ("round-1", ["form", "roots"]),
        ("round-2", ["form", "poem", "roots"]),
    ]
    assert (len(user.elicited), user.rooted, len(user.sampled)) == (1, 1, 1)


async def test_a_2025_handler_may_ask_input_only_so_many_times() -> None:
    asked: list[str] = []

    async def insists(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        key = f"q{len(ctx.input_responses)}"
        asked.append(key)
        raise InputRequired({key: elicitation_request("Again?", FORM)})

    user = Client_("accept", {})
    async with user.connect(build(tool("insists", insists)), "legacy") as client:
        with pytest.raises(MCPError) as stopped:
            await client.call_tool("insists", {})
    assert stopped.value.code == types.INTERNAL_ERROR
    assert stopped.value.message == f"the handler asked for input {MAX_INPUT_ROUNDS} times"
    assert len(asked) == len(user.elicited) == MAX_INPUT_ROUNDS


# -- 2026-07-28: the state the client carries between rounds -----------------------------


async def first_round(
    client: Client, name: str, arguments: dict[str, Any]
) -> types.InputRequiredResult:
    result = await client.session.call_tool(name, arguments, allow_input_required=True)
    assert isinstance(result, types.InputRequiredResult), result
    return result


async def ask_then_echo(ctx: Context[Any], args: Mapping[str, Any]) -> str:
    if "form" not in ctx.input_responses:
        raise InputRequired({"form": elicitation_request("Secret?", FORM)}, state="my-secret-step")
    return f"{ctx.request_state}: {ctx.input_responses['form']['content']}"


ANSWER: types.InputResponses = {"form": types.ElicitResult(action="accept", content={"x": 1})}


async def test_the_state_is_sealed_and_read_back_only_by_its_server() -> None:
    async with Client(build(tool("ask", ask_then_echo)), mode=MODERN) as client:
        first = await first_round(client, "ask", {})
        assert first.request_state is not None
        assert "my-secret-step" not in first.request_state  # sealed, not merely encoded
        done = await client.session.call_tool(
            "ask", {}, input_responses=ANSWER, request_state=first.request_state
        )
    assert text_of(done) == "my-secret-step: {'x': 1}"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda state: state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB"),
        lambda state: "forged",
        lambda state: json.dumps({"responses": {}, "state": "my-secret-step"}),
    ],
    ids=["altered", "forged", "plaintext"],
)
async def test_a_state_the_client_altered_is_refused(tamper: Any) -> None:
    async with Client(build(tool("ask", ask_then_echo)), mode=MODERN) as client:
        first = await first_round(client, "ask", {})
        assert first.request_state is not None
        with pytest.raises(MCPError) as refused:
            await client.session.call_tool(
                "ask", {}, input_responses=ANSWER, request_state=tamper(first.request_state)
            )
    assert refused.value.code == types.INVALID_PARAMS


async def test_a_state_is_refused_by_another_call_or_another_server() -> None:
    server = build(tool("ask", ask_then_echo), tool("other", ask_then_echo))
    async with Client(server, mode=MODERN) as client:
        first = await first_round(client, "ask", {"a": 1})
        state = first.request_state
        for name, arguments in [("other", {"a": 1}), ("ask", {"a": 2})]:
            with pytest.raises(MCPError) as refused:
                await client.session.call_tool(
                    name, arguments, input_responses=ANSWER, request_state=state
                )
            assert refused.value.code == types.INVALID_PARAMS
    async with Client(build(tool("ask", ask_then_echo)), mode=MODERN) as elsewhere:
        with pytest.raises(MCPError) as refused:
            await elsewhere.session.call_tool(
                "ask", {"a": 1}, input_responses=ANSWER, request_state=state
            )
    assert refused.value.code == types.INVALID_PARAMS


async def test_an_answer_of_the_wrong_kind_is_refused() -> None:
    async def book(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        answer = await ctx.elicit("How many?", Booking)
        return f"{answer.data}"

    wrong: types.InputResponses = {"elicit-1": types.ListRootsResult(roots=[])}
    async with Client(build(tool("book", book)), mode=MODERN) as client:
        first = await first_round(client, "book", {})
        assert list(first.input_requests or {}) == ["elicit-1"]
        with pytest.raises(MCPError) as refused:
            await client.session.call_tool(
                "book", {}, input_responses=wrong, request_state=first.request_state
            )
    assert refused.value.code == types.INVALID_PARAMS
    assert (
        refused.value.message == "the input response 'elicit-1' is not a elicitation/create result"
    )


async def test_the_client_caps_the_rounds_of_a_2026_call() -> None:
    async def insists(ctx: Context[Any], args: Mapping[str, Any]) -> str:
        key = f"q{len(ctx.input_responses)}"
        raise InputRequired({key: elicitation_request("Again?", FORM)})

    user = Client_("accept", {})
    async with user.connect(
        build(tool("insists", insists)), MODERN, input_required_max_rounds=3
    ) as client:
        assert modern(client)
        with pytest.raises(RuntimeError, match="more than 3 rounds"):
            await client.call_tool("insists", {})
    assert len(user.elicited) == 3
