"""Benchmark: regenerating a 500-tool project, against generating it from scratch.

The requirements, on the synthetic spec of `synth_spec.py`:
  no-change   `mcpgen generate` on an up-to-date project takes at most 0.3 s wall
              (the fast path: hashes compared, no pipeline);
  one-tool    after one tool's input schema changed, at most 25% of a full generation
              (only the chunk of models holding that tool is rebuilt).

    python tests/benchmarks/bench_regenerate.py [--tools 500] [--rounds 3]

Every measurement is the wall time of the real command, `python -m mcpgen generate spec -o
project`, in a fresh interpreter, as a user runs it (with Python's bytecode cache on, its
default, even where the environment sets PYTHONDONTWRITEBYTECODE). Three of them, interleaved round by
round so that the noise of a shared machine hits all alike:

  full        into an empty folder (no manifest, no cache);
  no-change   again, on the project the previous command left up to date;
  one-tool    on a project generated from the spec, with one tool's input schema changed
              (a property added); the project flips between the two specs every round, so
              each run is a real one-schema change and its cache holds only the other side.

A warm-up generation comes first (page cache, `__pycache__`). The lines to read are
`no-change: ...` (median seconds, with the rounds' spread) and `one-tool: ...`: the median
of the per-round ratios one-tool / full, each round's two runs next to each other, with
their spread.

It is a report, not a test: the exit status is always 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

import synth_spec  # noqa: E402
from measure import Paired, bytecode_cache_note, with_bytecode_cache  # noqa: E402

NO_CHANGE_TARGET = 0.3  # seconds
ONE_TOOL_TARGET = 0.25  # of a full generation


def run_cli(spec: Path, out: Path) -> float:
    """The wall time of one `mcpgen generate`, interpreter start included."""
    command = [sys.executable, "-m", "mcpgen", "generate", str(spec), "-o", str(out)]
    env = with_bytecode_cache({**os.environ, "PYTHONPATH": str(REPO / "generator")})
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"mcpgen failed:\n{done.stderr}")
    return elapsed


def changed_spec(spec: Path, target: Path, tool: int) -> Path:
    """The spec with one property added to one tool's input schema."""
    data = json.loads(spec.read_text(encoding="utf-8"))
    schema = data["tools"][tool]["input"]
    schema.setdefault("properties", {})["bench_note"] = {"type": "string", "maxLength": 80}
    target.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", type=int, default=500, help="tools in the synthetic spec")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--seed", type=int, default=20250131, help="seed of the synthetic spec")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mcpgen-bench-regen-") as tmp:
        work = Path(tmp)
        (work / "a").mkdir()
        (work / "b").mkdir()
        # Same file name in two folders: the header names the spec file, so the two specs
        # differ only in that one schema.
        spec_a = synth_spec.write_spec(work / "a", args.tools, args.seed)
        spec_b = changed_spec(spec_a, work / "b" / spec_a.name, args.tools // 2)
        project = work / "project"
        print(
            f"mcpgen regeneration benchmark: {args.tools} tools, {args.rounds} rounds, "
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
            f"spec {spec_a.stat().st_size / 1e6:.2f} MB; {bytecode_cache_note(with_bytecode_cache(dict(os.environ)))}"
        )
        warm = run_cli(spec_a, project)
        print(f"warm-up: first generation of the project {warm:.3f} s")
        samples: dict[str, list[float]] = {"full": [], "no-change": [], "one-tool": []}
        one_tool = Paired("one-tool", "full")
        specs = [spec_b, spec_a]
        for round_ in range(args.rounds):
            fresh = work / f"fresh-{round_}"
            samples["full"].append(run_cli(spec_a, fresh))
            shutil.rmtree(fresh)
            samples["one-tool"].append(run_cli(specs[round_ % 2], project))
            samples["no-change"].append(run_cli(specs[round_ % 2], project))
            one_tool.add("full", samples["full"][-1])
            one_tool.add("one-tool", samples["one-tool"][-1])
            print(
                f"round {round_ + 1}: "
                + ", ".join(f"{name} {values[-1]:.3f} s" for name, values in samples.items())
            )
        print()
        for name, values in samples.items():
            print(
                f"  {name:10} median {statistics.median(values):7.3f} s   "
                f"all {[round(v, 3) for v in values]}"
            )
        no_change = samples["no-change"]
        ok_none = statistics.median(no_change) <= NO_CHANGE_TARGET
        ok_one = one_tool.ratio() <= ONE_TOOL_TARGET
        print(
            f"no-change: {statistics.median(no_change):.3f} s (target <= {NO_CHANGE_TARGET} s; "
            f"spread {min(no_change):.3f}-{max(no_change):.3f} s) "
            f"{'ok' if ok_none else 'OVER TARGET'}"
        )
        print(
            one_tool.line("one-tool", f"<= {ONE_TOOL_TARGET:.2f} of a full generation", "")
            + f" {'ok' if ok_one else 'OVER TARGET'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
