"""What a model reads is Markdown: HTML descriptions are converted at import, Markdown kept.

edge/descriptions.yaml holds an operation description of amazonaws.com/sqs.json verbatim
(HTML, as every AWS document writes them), one of zoom.us.json (Markdown with inline HTML,
which CommonMark allows), and HTML and Markdown in the other places a description lands:
the server's, a parameter's, a schema property's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcpgen.openapi.markup import as_markdown, is_html
from openapi_support import FIXTURES, import_spec, load_toml

SOURCE = FIXTURES / "edge" / "descriptions.yaml"

TAG_QUEUE = """\
Add cost allocation tags to the specified Amazon SQS queue. For an overview, see \
[Tagging Your Amazon SQS Queues](https://docs.aws.amazon.com/AWSSimpleQueueService/latest/\
SQSDeveloperGuide/sqs-queue-tags.html) in the *Amazon SQS Developer Guide*.

When you use queue tags, keep the following guidelines in mind:

- Adding more than 50 tags to a queue isn't recommended.
- Tags don't have any semantic meaning. Amazon SQS interprets tags as character strings.
- Tags are case-sensitive.
- A new tag with a key identical to that of an existing tag overwrites the existing tag.

For a full list of tag restrictions, see [Quotas related to queues](https://docs.aws.amazon.com/\
AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-limits.html#limits-queues) in the \
*Amazon SQS Developer Guide*.

Cross-account permissions don't apply to this action. For more information, see \
[Grant cross-account permissions to a role and a username](https://docs.aws.amazon.com/\
AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-customer-managed-policy-examples.html\
#grant-cross-account-permissions-to-role-and-user-name) in the *Amazon SQS Developer Guide*."""


def test_html_descriptions_become_markdown_and_markdown_stays(tmp_path: Path) -> None:
    spec_path = tmp_path / "descriptions.toml"
    import_spec(SOURCE, spec_path, server_name="descriptions")
    spec = load_toml(spec_path)
    tools = {tool["name"]: tool for tool in spec["tools"]}

    assert spec["server"]["description"] == "Welcome to the *Amazon SQS API Reference*."
    tag_queue = tools["tag_queue"]
    assert tag_queue["description"] == TAG_QUEUE
    assert tag_queue["input"]["properties"]["name"]["description"] == (
        "The name of the queue. Up to `80` characters: `a-z`, `A-Z`, `0-9`, `-` and `_` "
        "(`MAX_NAME`)."
    )
    assert spec["types"]["Tags"]["properties"]["tags"]["description"] == (
        "The list of tags to be added to the specified queue."
    )
    # Markdown, inline HTML and all, is the document's text exactly.
    members = tools["list_channel_members"]
    assert members["description"] == (
        "A [channel](https://support.zoom.us/hc/en-us/articles/200912909-Getting-Started-With-"
        "Channels-Group-Messaging-) can have one or multiple members. List all the members of "
        "a channel using this API.<br><br>\n\n**Scopes:** `chat_channel:read`<br>"
    )
    assert members["input"]["properties"]["id"]["description"] == (
        "Returns a `Map<String, Member>`; 1 < 2."
    )


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("<p>Accepts the specified quote.</p>", True),  # stripe.com.json
        ("Updates a gateway.<br/>Each gateway defines data sources.", True),
        ("A list of <b>tags</b>, <i>optional</i>.", True),  # closing tags, no Markdown
        ("Plain text: Map<String, Object> and a < b > c.", False),
        ("**Scopes:** `meeting:read`<br>", False),  # zoom.us.json: Markdown first
        ("### Description:\n<span>Since v4.6.0</span>", False),  # dracoon.team.json
        ("", False),
    ],
)
def test_what_counts_as_html(text: str, html: bool) -> None:
    assert is_html(text) is html
    assert (as_markdown(text) != text) is html
