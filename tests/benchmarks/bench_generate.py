"""Benchmark: `mcpgen generate` against one plain datamodel-code-generator run.

The requirement: on a synthetic spec of 500 tools with realistic nested schemas, a full
generation takes at most 1.5x what datamodel-code-generator (dmcg) alone takes to make
models of the same schemas, measured side by side in one run.

    python tests/benchmarks/bench_generate.py [--tools 500] [--rounds 3] [--no-stages]

Both sides are real commands in fresh interpreters, as a user runs them, interleaved round
by round (the order flipped every round) so that the noise of a shared machine hits both:

  dmcg     `datamodel-codegen --input schemas.json --input-file-type jsonschema
           --output-model-type pydantic_v2.BaseModel --target-python-version 3.11 --output
           models.py`: one run of its command line with its defaults otherwise, on one
           document holding every schema mcpgen makes a model of (the spec's tool inputs
           and outputs, types, error data, ... as `$defs`).
  mcpgen   `python -m mcpgen generate spec.json -o <empty folder>`: the whole project,
           models (chunked over helper processes) and everything else.

Each is measured as a process tree (tests/benchmarks/measure.py): wall time, CPU time
summed over the command and every helper it starts, and the peak of the tree's summed
memory. The lines to read are the medians of the per-round ratios, wall and CPU:
mcpgen's helpers run on the machine's other core, so its wall ratio is below its CPU
ratio whenever that core is free; both are reported against the target.

Then, unless `--no-stages`, one in-process generation split by stage (load, resolve,
models, render, format, emit), each stage's CPU including the helper processes'.

It is a report, not a test: the exit status is 0 unless the benchmark itself failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "generator"))

import synth_spec  # noqa: E402
from mcpgen import emit, pipeline  # noqa: E402
from mcpgen.load import load_spec  # noqa: E402
from mcpgen.model_chunks import chunk_input  # noqa: E402
from mcpgen.resolve import build_ir  # noqa: E402
from measure import Paired, TreeRun, bytecode_cache_note, run_tree, with_bytecode_cache  # noqa: E402

TARGET = 1.5
STAGES = ("load", "resolve", "models", "render", "format", "emit")
# Which function of `mcpgen.pipeline`'s namespace each stage's time is charged to.
PIPELINE_STAGES = {
    "load_spec": "load",
    "build_ir": "resolve",
    "render_models": "models",
    "header": "render",
    "render_files": "render",
    "format_files": "format",
}
_TICK = os.sysconf("SC_CLK_TCK")


# -- the two commands --------------------------------------------------------------------


def dmcg_input(spec: Path, into: Path) -> Path:
    """One JSON Schema document of every schema mcpgen hands the model generator."""
    ir, _ = build_ir(load_spec(spec))
    text, _ = chunk_input(ir.models)
    into.write_text(text, encoding="utf-8")
    return into


def dmcg_command(schemas: Path, out: Path) -> list[str]:
    executable = Path(sys.executable).parent / "datamodel-codegen"
    return [
        str(executable),
        "--input",
        str(schemas),
        "--input-file-type",
        "jsonschema",
        "--output-model-type",
        "pydantic_v2.BaseModel",
        "--target-python-version",
        "3.11",
        "--output",
        str(out),
    ]


def mcpgen_command(spec: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "mcpgen", "generate", str(spec), "-o", str(out)]


# -- CPU of this process and its helpers, for the stages -----------------------------------


def tree_cpu() -> float:
    """CPU seconds of this process, of the children it reaped, and of its live children."""
    times = os.times()
    total = times.user + times.system + times.children_user + times.children_system
    try:
        with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as handle:
            live = [int(p) for p in handle.read().split()]
    except OSError:
        live = []
    for pid in live:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended between the listing and the read: reaped, in children_* now
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


@contextlib.contextmanager
def stage_timers(into: dict[str, tuple[float, float]]) -> Iterator[None]:
    """Wrap the stage functions `pipeline.generate` looks up: (wall, tree CPU) per stage."""
    originals = {name: getattr(pipeline, name) for name in PIPELINE_STAGES}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        stage = PIPELINE_STAGES[name]

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cpu, start = tree_cpu(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                wall0, cpu0 = into.get(stage, (0.0, 0.0))
                into[stage] = (
                    wall0 + time.perf_counter() - start,
                    cpu0 + tree_cpu() - cpu,
                )

        return wrapper

    for name, fn in originals.items():
        setattr(pipeline, name, wrap(name, fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(pipeline, name, fn)


def stages_once(spec: Path, out: Path) -> dict[str, tuple[float, float]]:
    stages: dict[str, tuple[float, float]] = {}
    with stage_timers(stages):
        result = pipeline.generate(spec)
    cpu, start = tree_cpu(), time.perf_counter()
    plan = emit.plan(out, result.files, result.ir.server.package)
    emit.apply(out, plan, result.ir.spec_sha256, result.refs)
    stages["emit"] = (time.perf_counter() - start, tree_cpu() - cpu)
    return stages


# -- report ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", type=int, default=500, help="tools in the synthetic spec")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--seed", type=int, default=20250131, help="seed of the synthetic spec")
    parser.add_argument("--no-stages", action="store_true", help="skip the stage breakdown")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (spec, output)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="mcpgen-bench-"))
    try:
        run(args, work)
    except Exception:
        traceback.print_exc()
        print("ratio: n/a (the benchmark failed, see above)")
        return 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def run(args: argparse.Namespace, work: Path) -> None:
    from importlib.metadata import version

    spec = synth_spec.write_spec(work, args.tools, args.seed)
    schemas = dmcg_input(spec, work / "schemas.json")
    env = with_bytecode_cache({**os.environ, "PYTHONPATH": str(REPO / "generator")})
    print(
        f"mcpgen benchmark: {args.tools} tools, seed {args.seed}, {args.rounds} rounds, "
        f"python {sys.version.split()[0]}, datamodel-code-generator "
        f"{version('datamodel-code-generator')}, {os.cpu_count()} CPUs; "
        f"{bytecode_cache_note(env)}"
    )
    print(
        f"spec: {spec.stat().st_size / 1e6:.2f} MB JSON; the schemas dmcg gets: "
        f"{schemas.stat().st_size / 1e6:.2f} MB"
    )

    runs = 0

    def side(name: str) -> TreeRun:
        nonlocal runs
        runs += 1
        out = work / f"out-{runs}"
        if name == "dmcg":
            out.mkdir()
            command = dmcg_command(schemas, out / "models.py")
        else:
            command = mcpgen_command(spec, out)
        measured = run_tree(command, env=env, cwd=str(work))
        shutil.rmtree(out, ignore_errors=True)
        return measured

    warm = {name: side(name) for name in ("dmcg", "mcpgen")}
    print(
        "warm-up (page cache, __pycache__): "
        + ", ".join(f"{name} {m.wall:.2f} s" for name, m in warm.items())
    )
    wall = Paired("mcpgen", "dmcg")
    cpu = Paired("mcpgen", "dmcg")
    memory: dict[str, list[float]] = {"dmcg": [], "mcpgen": []}
    for round_ in range(args.rounds):
        order = ("dmcg", "mcpgen") if round_ % 2 == 0 else ("mcpgen", "dmcg")
        measured = {name: side(name) for name in order}
        for name, m in measured.items():
            wall.add(name, m.wall)
            cpu.add(name, m.cpu)
            memory[name].append(m.peak_mb)
        print(
            f"round {round_ + 1}: "
            + "; ".join(
                f"{name} wall {m.wall:.2f} s, cpu {m.cpu:.2f} s, "
                f"{m.processes} process{'es' if m.processes != 1 else ''}, {m.peak_mb:.0f} MB"
                for name, m in sorted(measured.items())
            ),
            flush=True,
        )

    if not args.no_stages:
        print("\nmcpgen in process, one generation by stage (cpu includes helper processes):")
        stages_once(spec, work / "warm-stages")  # imports and template compiling
        stages = stages_once(spec, work / "stages")
        total_wall = sum(w for w, _ in stages.values())
        total_cpu = sum(c for _, c in stages.values())
        print(f"  {'stage':<8} {'wall':>8} {'share':>7}   {'cpu':>8} {'share':>7}")
        for stage in STAGES:
            w, c = stages.get(stage, (0.0, 0.0))
            print(
                f"  {stage:<8} {w:7.3f}s {100 * w / total_wall:6.1f}%   "
                f"{c:7.3f}s {100 * c / total_cpu:6.1f}%  {'#' * round(40 * w / total_wall)}"
            )

    print()
    print(
        f"peak memory (tree): dmcg {max(memory['dmcg']):.0f} MB, mcpgen {max(memory['mcpgen']):.0f} MB"
    )
    for label, paired in (("wall", wall), ("cpu", cpu)):
        verdict = "within target" if paired.ratio() <= TARGET else "OVER TARGET"
        print(paired.line(f"ratio ({label}, mcpgen / dmcg)", f"<= {TARGET:.2f}x") + f": {verdict}")


if __name__ == "__main__":
    sys.exit(main())
