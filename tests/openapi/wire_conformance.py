"""Do imported tools send the requests their OpenAPI description means? Ask a second reader.

For each OpenAPI document: `mcpgen import openapi`, `mcpgen generate`, start the generated
server over stdio with its base URL pointed at a loopback recorder and a made-up value in
every credential variable, call some of its tools with arguments drawn from their input
schemas (wire_arguments.py: deterministic, strings that test encoders), and judge every
recorded request against the original document (wire_oracle.py: openapi-core, an
independent implementation of OpenAPI's request rules, and OpenAPI 3.1.1's rules for what
openapi-core cannot read):

- the request reaches the operation the tool was made from (method and path template; for
  a path that carries a query or an AWS-style `#fragment`, its fixed query items too);
- its parameters and body deserialize (styles, explode, deepObject, form encodings) to
  exactly the arguments the tool was given, and validate against their schemas;
- the credential sits where a security scheme of the operation puts it, and nowhere else.

    python tests/openapi/wire_conformance.py DOC [DOC ...] [--tools 5] [--work DIR]
    python tests/openapi/wire_conformance.py --directory PATH --sample 30 --seed 1

A document, tool or request the checker cannot judge (openapi-core refuses the document,
no arguments can be drawn, only OAuth 2 credentials, whose token endpoint is not here) is
counted as such, never as a pass. The exit status is 1 when any request was judged wrong.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from wire_arguments import ascii_only, draw_arguments
from wire_description import operation_of
from wire_oracle import SECRET, Recorded, Verdict, judge

# Documents are big and varied; a run judges at most this many tools of each.
DEFAULT_TOOLS = 5


# -- the recorder ------------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests: list[Recorded]

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.requests.append(Recorded(self.command, self.path, tuple(self.headers.items()), body))
        answer = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has no body (RFC 9110 9.3.2)
            self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _record

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def recorder() -> Iterator[tuple[str, list[Recorded]]]:
    """A loopback HTTP server recording every request; its base URL and the record."""
    record: list[Recorded] = []
    handler = type("Recorder", (_Recorder,), {"requests": record})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", record
    finally:
        server.shutdown()
        server.server_close()


# -- one document ------------------------------------------------------------------------


@dataclass
class DocumentResult:
    document: str
    stage: str  # "import", "generate", "serve", "judged"
    error: str = ""
    verdicts: list[Verdict] = field(default_factory=list)


def credentials(spec: Mapping[str, Any]) -> tuple[dict[str, str], bool]:
    """A made-up value for every credential variable but OAuth 2's (its token endpoint is
    elsewhere), and whether any scheme was left unset for that reason."""
    values: dict[str, str] = {}
    oauth = False
    for scheme in ((spec.get("http") or {}).get("auth") or {}).values():
        if scheme.get("type") == "oauth2_client_credentials" or "token_url" in scheme:
            oauth = True
            continue
        if scheme.get("type") == "aws_sigv4":  # AWS's standard variables, not the spec's
            for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                values[var] = SECRET.format(var.lower())
            continue
        for key, var in scheme.items():
            if key == "env" or key.endswith("_env"):
                values[var] = SECRET.format(var.lower())
    return values, oauth


def honoured(document: Any, spec: Mapping[str, Any]) -> Any:
    """The document as the import could honour its security: a requirement naming a scheme
    the import reported unsupported (AWS's S3 signature, openIdConnect...) is left out, and
    an operation left with none needs no credential (the import said it sends none)."""
    kept = set((spec.get("http") or {}).get("auth") or {})

    def requirements(owner: dict[str, Any]) -> None:
        given = owner.get("security")
        if isinstance(given, list) and given:
            owner["security"] = [r for r in given if isinstance(r, dict) and set(r) <= kept]

    document = copy.deepcopy(document)
    requirements(document)
    for item in (document.get("paths") or {}).values():
        for operation in item.values() if isinstance(item, dict) else ():
            if isinstance(operation, dict):
                requirements(operation)
    return document


def read_document(path: Path) -> Any:
    """The description as data, JSON or YAML.

    YAML through libyaml when PyYAML has it (its wheels do): the same data, and collecting
    test_wire_conformance, which reads every fixture to choose its parameters, took 1.1 s
    of each test process with the pure-Python reader, 0.3 s with libyaml.
    """
    import yaml

    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def run_document(path: Path, work: Path, tools: int, seed: int) -> DocumentResult:
    name = "wire" + re.sub(r"\W", "", path.stem.lower())[:20]
    spec_file = work / "spec.toml"
    mcpgen = [sys.executable, "-m", "mcpgen"]
    done = subprocess.run(
        [*mcpgen, "import", "openapi", str(path), "-o", str(spec_file), "--name", name],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return DocumentResult(str(path), "import", done.stderr[-600:])
    done = subprocess.run(
        [*mcpgen, "generate", str(spec_file), "-o", str(work / "server")],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return DocumentResult(str(path), "generate", done.stderr[-600:])
    spec = tomllib.loads(spec_file.read_text(encoding="utf-8"))
    document = honoured(read_document(path), spec)
    # The package as generated (mcpgen derives it from the server's name).
    package = next(p.name for p in (work / "server" / "src").iterdir() if p.is_dir())
    chosen = random.Random(seed).sample(
        spec.get("tools") or [], min(tools, len(spec.get("tools") or []))
    )
    result = DocumentResult(str(path), "judged")
    secrets, _ = credentials(spec)
    with recorder() as (base_url, record):
        env = {
            **os.environ,
            **secrets,
            "AWS_REGION": "us-east-1",  # SigV4's, which a loopback host does not name
            "PYTHONPATH": str(work / "server" / "src"),
            (spec.get("http") or {}).get("base_url_env") or f"{package.upper()}_BASE_URL": base_url,
        }
        server = StdioServerParameters(command=sys.executable, args=["-m", package], env=env)
        log_path = work / "server.log"

        async def call_all() -> None:
            with log_path.open("w", encoding="utf-8") as log:
                await call_each(log)

        async def call_each(log: Any) -> None:
            async with Client(stdio_client(server, errlog=log)) as client:
                # The input schemas as a client reads them: self-contained, `$defs` inside.
                schemas = {t.name: t.input_schema for t in (await client.list_tools()).tools}
                for i, tool in enumerate(chosen):
                    op = operation_of(tool, document)
                    if op is None:
                        result.verdicts.append(
                            Verdict(tool["name"], False, ["no operation of the document matches"])
                        )
                        continue
                    arguments = draw_arguments(schemas[tool["name"]], seed + i)
                    if arguments is None:
                        result.verdicts.append(Verdict(tool["name"], None, ["no arguments drawn"]))
                        continue
                    record.clear()
                    answer = await client.call_tool(tool["name"], arguments)
                    if not record and "can carry only ASCII" in _text_of(answer):
                        # Refused by name, as it should be: a header carries only ASCII.
                        # The same call again, its text ASCII, puts the rest to the test.
                        arguments = ascii_only(arguments)
                        answer = await client.call_tool(tool["name"], arguments)
                    meta = answer.meta or {}
                    error = str((meta.get("dev.mcpgen/error") or {}).get("type", ""))
                    if not record and "Credentials" in error:
                        result.verdicts.append(
                            Verdict(tool["name"], None, ["needs an OAuth 2 credential"])
                        )
                        continue
                    verdict = judge(document, op, tool, arguments, list(record), secrets)
                    if not record:
                        texts = _text_of(answer)[:300]
                        verdict.problems.append(f"the tool answered: {texts}")
                        reference = re.search(r"reference ([0-9a-f]+)", texts)
                        if reference is not None:
                            log.flush()
                            verdict.problems.append(log_incident(log_path, reference[1]))
                    result.verdicts.append(verdict)

        try:
            anyio.run(call_all)
        except Exception as error:
            result.stage = "serve"
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
            result.error = f"{error!r}"[:300] + f"; the server's log ends: {tail}"
    return result


def _text_of(answer: Any) -> str:
    return " ".join(getattr(c, "text", "") for c in answer.content)


def log_incident(log: Path, reference: str) -> str:
    """The exception the server logged under an incident reference: its last line."""
    text = log.read_text(encoding="utf-8", errors="replace")
    at = text.find(f"reference {reference}")
    if at < 0:
        return "(not in the server's log)"
    lines = text[at:].splitlines()[1:]
    for line in lines:
        if line and not line.startswith((" ", "Traceback")):
            return "server: " + line[:300]
    return "(no exception line)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("documents", nargs="*", type=Path)
    parser.add_argument("--directory", type=Path, help="a folder of JSON descriptions")
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tools", type=int, default=DEFAULT_TOOLS)
    parser.add_argument("--json", type=Path, help="write every result here as JSON lines")
    args = parser.parse_args(argv)
    documents = list(args.documents)
    if args.directory is not None:
        every = sorted(p for p in args.directory.rglob("*.json") if not p.name.startswith("_"))
        documents += random.Random(args.seed).sample(every, min(args.sample, len(every)))
    wrong = 0
    counts = {"ok": 0, "wrong": 0, "not judged": 0}
    stages: dict[str, int] = {}
    out = args.json.open("w", encoding="utf-8") if args.json else None
    for index, document in enumerate(documents):
        with tempfile.TemporaryDirectory(prefix="mcpgen-wire-") as tmp:
            result = run_document(document, Path(tmp), args.tools, args.seed + index)
        stages[result.stage] = stages.get(result.stage, 0) + 1
        for verdict in result.verdicts:
            key = "not judged" if verdict.ok is None else "ok" if verdict.ok else "wrong"
            counts[key] += 1
        bad = [v for v in result.verdicts if v.ok is False]
        wrong += len(bad)
        line = f"{document}: {result.stage}"
        if result.error:
            line += f" ({result.error.strip().splitlines()[-1][:200]})"
        line += " " + " ".join(
            "." if v.ok else "?" if v.ok is None else "X" for v in result.verdicts
        )
        print(line, flush=True)
        for verdict in result.verdicts:
            if verdict.ok is not True:
                mark = "wrong" if verdict.ok is False else "not judged"
                for problem in verdict.problems[:4]:
                    print(f"    {verdict.tool} ({mark}): {problem}")
        if out is not None:
            out.write(
                json.dumps(
                    {
                        "document": str(document),
                        "stage": result.stage,
                        "error": result.error,
                        "verdicts": [v.__dict__ for v in result.verdicts],
                    }
                )
                + "\n"
            )
    if out is not None:
        out.close()
    generated = sum(n for stage, n in stages.items() if stage in {"judged", "serve"})
    print(
        f"\n{generated}/{len(documents)} documents imported and generated ({stages}); "
        f"requests: {counts['ok']} ok, {counts['wrong']} wrong, {counts['not judged']} not judged"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
