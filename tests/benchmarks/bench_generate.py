"""Benchmark: mcpgen's full generation against datamodel-code-generator alone.

The requirement: on a synthetic spec of 500 tools with realistic nested schemas, full
generation takes at most 1.5x the time datamodel-code-generator (dmcg) alone takes on the
same schemas, measured side by side in one run.

    python tests/benchmarks/bench_generate.py [--tools 500] [--rounds 3] [--no-cli]

Four measurements, interleaved round by round (A, B, A, B, ...) so that the noise of a
shared machine hits both sides alike:

  dmcg      in process: `mcpgen.models.render_models` on the IR built from the spec, i.e.
            exactly the one batched `datamodel_code_generator.generate` call mcpgen makes,
            with mcpgen's own options (nothing copied here).
  full      in process: `mcpgen.pipeline.generate(spec)` then `emit.plan` + `emit.apply`
            into an empty folder; each stage is timed by wrapping the functions
            `pipeline.generate` calls (load, resolve, models, render, format) plus emit.
  dmcg-cli  a fresh interpreter that imports dmcg and replays the very `generate(...)` calls
            mcpgen made (inputs and keyword arguments captured during warm-up).
  mcpgen-cli  `python -m mcpgen generate spec -o <empty folder>`, wall time including
            interpreter start and imports.

It is a report, not a test: the exit status is always 0. The line to read is
`ratio: X.XXx (target <= 1.50x)` (medians, in process).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "generator"))

import synth_spec  # noqa: E402
from mcpgen import emit, pipeline  # noqa: E402
from mcpgen.load import load_spec  # noqa: E402
from mcpgen.models import render_models  # noqa: E402
from mcpgen.render import header  # noqa: E402
from mcpgen.resolve import build_ir  # noqa: E402

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

# mcpgen points dmcg's `settings_path` at a temporary folder holding an empty pyproject.toml
# (gone by the time the child runs): the child makes its own, as mcpgen does.
# Replays every dmcg call of a generation (large specs are generated in chunks).
REPLAY_CHILD = """\
import pathlib, pickle, sys, tempfile
with open(sys.argv[1], "rb") as handle:
    calls = pickle.load(handle)
from datamodel_code_generator import generate
with tempfile.TemporaryDirectory() as settings:
    (pathlib.Path(settings) / "pyproject.toml").write_text("", encoding="utf-8")
    for text, kwargs in calls:
        if "settings_path" in kwargs:
            kwargs["settings_path"] = pathlib.Path(settings)
        generate(text, **kwargs)
"""


# -- measurement helpers ----------------------------------------------------------------


class Sample(NamedTuple):
    wall: float  # time.perf_counter
    cpu: float  # user + system of this process and of the children it waited for (ruff...)


def cpu_now() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn: Callable[[], Any]) -> Sample:
    gc.collect()
    cpu = cpu_now()
    start = time.perf_counter()
    fn()
    return Sample(time.perf_counter() - start, cpu_now() - cpu)


@contextlib.contextmanager
def stage_timers(into: dict[str, Sample]) -> Iterator[None]:
    """Wrap the stage functions `pipeline.generate` looks up, charging each to its stage."""
    originals = {name: getattr(pipeline, name) for name in PIPELINE_STAGES}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        stage = PIPELINE_STAGES[name]

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cpu = cpu_now()
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                before = into.get(stage, Sample(0.0, 0.0))
                into[stage] = Sample(
                    before.wall + time.perf_counter() - start, before.cpu + cpu_now() - cpu
                )

        return wrapper

    for name, fn in originals.items():
        setattr(pipeline, name, wrap(name, fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(pipeline, name, fn)


@contextlib.contextmanager
def capture_dmcg_call(into: list[tuple[str, dict[str, Any]]]) -> Iterator[None]:
    """Record the (input, kwargs) of every `datamodel_code_generator.generate` call."""
    import datamodel_code_generator

    original = datamodel_code_generator.generate

    def spy(input_: Any, **kwargs: Any) -> Any:
        into.append((input_, kwargs))
        return original(input_, **kwargs)

    datamodel_code_generator.generate = spy  # render_models imports it at call time
    try:
        yield
    finally:
        datamodel_code_generator.generate = original


class Bench:
    def __init__(self, spec: Path, work: Path) -> None:
        self.spec = spec
        self.work = work
        self._outputs = 0
        # Built once, outside any timing: the baseline starts from the same IR mcpgen has.
        self.ir, _ = build_ir(load_spec(spec))
        self.header = header(self.ir)
        self.replay_file = work / "dmcg-call.pickle"
        self.last_files = 0

    def fresh_output(self) -> Path:
        self._outputs += 1
        out = self.work / f"out-{self._outputs}"
        if out.exists():
            shutil.rmtree(out)
        return out

    # A: dmcg alone
    def dmcg(self) -> Sample:
        return timed(lambda: render_models(self.ir, self.header))

    # B: full generation, with per-stage times
    def full(self, stages: dict[str, Sample]) -> Sample:
        out = self.fresh_output()

        def run() -> None:
            with stage_timers(stages):
                result = pipeline.generate(self.spec)
            cpu = cpu_now()
            start = time.perf_counter()
            plan = emit.plan(out, result.files, result.ir.server.package)
            emit.apply(out, plan, result.ir.spec_sha256)
            stages["emit"] = Sample(time.perf_counter() - start, cpu_now() - cpu)
            self.last_files = len(result.files)

        elapsed = timed(run)
        shutil.rmtree(out, ignore_errors=True)
        return elapsed

    def dmcg_cli(self) -> Sample:
        command = [sys.executable, "-c", REPLAY_CHILD, str(self.replay_file)]
        return timed(lambda: subprocess.run(command, check=True, capture_output=True))

    def mcpgen_cli(self) -> Sample:
        out = self.fresh_output()
        command = [sys.executable, "-m", "mcpgen", "generate", str(self.spec), "-o", str(out)]
        env = {**os.environ, "PYTHONPATH": str(REPO / "generator")}
        elapsed = timed(lambda: subprocess.run(command, check=True, capture_output=True, env=env))
        shutil.rmtree(out, ignore_errors=True)
        return elapsed

    def warm_up(self) -> tuple[Sample, Sample]:
        """One untimed-for-the-report run of each side: imports, caches, the dmcg call."""
        calls: list[tuple[str, dict[str, Any]]] = []
        with capture_dmcg_call(calls):
            first_dmcg = self.dmcg()
        with self.replay_file.open("wb") as handle:
            pickle.dump(calls, handle)
        first_full = self.full({})
        return first_dmcg, first_full


# -- report -----------------------------------------------------------------------------


def fmt(seconds: float) -> str:
    return f"{seconds:7.3f} s"


def median(samples: list[Sample], field: str = "wall") -> float:
    return statistics.median(getattr(x, field) for x in samples)


def describe(label: str, samples: list[Sample]) -> str:
    walls = " ".join(f"{x.wall:.3f}" for x in samples)
    return (
        f"  {label:<11} median {fmt(median(samples))}   min {fmt(min(x.wall for x in samples))}"
        f"   cpu median {fmt(median(samples, 'cpu'))}   wall [{walls}]"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", type=int, default=500, help="tools in the synthetic spec")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (A, B) x N")
    parser.add_argument("--seed", type=int, default=20250131, help="seed of the synthetic spec")
    parser.add_argument("--no-cli", action="store_true", help="skip the subprocess pair")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (spec, output)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="mcpgen-bench-"))
    try:
        run(args, work)
    except Exception:
        traceback.print_exc()
        print("ratio: n/a (the benchmark failed, see above)")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def run(args: argparse.Namespace, work: Path) -> None:
    from importlib.metadata import version

    spec = synth_spec.write_spec(work, args.tools, args.seed)
    print(
        f"mcpgen benchmark: {args.tools} tools, seed {args.seed}, {args.rounds} rounds, "
        f"python {sys.version.split()[0]}, datamodel-code-generator "
        f"{version('datamodel-code-generator')}, {os.cpu_count()} CPUs"
    )
    bench = Bench(spec, work)
    document_bytes = sum(len(str(m.schema)) for m in bench.ir.models)
    print(
        f"spec: {spec.stat().st_size / 1e6:.2f} MB JSON; IR: {len(bench.ir.models)} models "
        f"(~{document_bytes / 1e6:.2f} MB of schemas handed to dmcg)"
    )

    first_dmcg, first_full = bench.warm_up()
    print(
        f"warm-up (imports, template compilation): dmcg {first_dmcg.wall:.3f} s, "
        f"full {first_full.wall:.3f} s; {bench.last_files} files generated"
    )

    samples: dict[str, list[Sample]] = {"dmcg": [], "full": [], "dmcg-cli": [], "mcpgen-cli": []}
    stage_samples: dict[str, list[Sample]] = {s: [] for s in STAGES}
    for round_ in range(1, args.rounds + 1):
        samples["dmcg"].append(bench.dmcg())
        stages: dict[str, Sample] = {}
        samples["full"].append(bench.full(stages))
        for stage in STAGES:
            stage_samples[stage].append(stages.get(stage, Sample(0.0, 0.0)))
        pairs = ["dmcg", "full"] if args.no_cli else ["dmcg", "full", "dmcg-cli", "mcpgen-cli"]
        if not args.no_cli:
            samples["dmcg-cli"].append(bench.dmcg_cli())
            samples["mcpgen-cli"].append(bench.mcpgen_cli())
        shown = ", ".join(
            f"{k} {samples[k][-1].wall:.3f} s (cpu {samples[k][-1].cpu:.3f})" for k in pairs
        )
        print(f"round {round_}: {shown}", flush=True)

    print("\nin process (after warm-up):")
    print(describe("dmcg", samples["dmcg"]))
    print(describe("full", samples["full"]))
    if not args.no_cli:
        print("cold, a fresh interpreter each (includes interpreter start and imports):")
        print(describe("dmcg-cli", samples["dmcg-cli"]))
        print(describe("mcpgen-cli", samples["mcpgen-cli"]))

    full_wall = median(samples["full"])
    full_cpu = median(samples["full"], "cpu")
    print("\nmcpgen stages (in process, median of rounds; share of full):")
    print(f"  {'stage':<8} {'wall':>9}  {'share':>7}   {'cpu':>9}  {'share':>7}")
    for stage in STAGES:
        wall = median(stage_samples[stage])
        cpu = median(stage_samples[stage], "cpu")
        bar = "#" * round(40 * wall / full_wall)
        print(
            f"  {stage:<8} {fmt(wall)}  {100 * wall / full_wall:5.1f} %   "
            f"{fmt(cpu)}  {100 * cpu / full_cpu:5.1f} %  {bar}"
        )
    outside = [
        Sample(f.wall - m.wall, f.cpu - m.cpu)
        for f, m in zip(samples["full"], stage_samples["models"], strict=True)
    ]
    print(
        f"  outside dmcg (full - models): wall {fmt(median(outside))}, "
        f"cpu {fmt(median(outside, 'cpu'))}"
    )
    slowest = max(STAGES, key=lambda s: median(stage_samples[s]))
    slowest_else = max((s for s in STAGES if s != "models"), key=lambda s: median(stage_samples[s]))
    print(f"  slowest stage: {slowest}; slowest outside dmcg: {slowest_else}")

    def ratio_of(a: str, b: str, field: str = "wall") -> float:
        return median(samples[a], field) / median(samples[b], field)

    print()
    print(
        "min ratio: "
        f"{min(x.wall for x in samples['full']) / min(x.wall for x in samples['dmcg']):.2f}x"
        " (full min / dmcg min, wall)"
    )
    print(f"cpu ratio: {ratio_of('full', 'dmcg', 'cpu'):.2f}x (full / dmcg, cpu-time medians)")
    if not args.no_cli:
        print(
            f"cli ratio: {ratio_of('mcpgen-cli', 'dmcg-cli'):.2f}x wall, "
            f"{ratio_of('mcpgen-cli', 'dmcg-cli', 'cpu'):.2f}x cpu (mcpgen-cli / dmcg-cli, medians)"
        )
    ratio = ratio_of("full", "dmcg")
    print("verdict: " + ("within target" if ratio <= TARGET else "OVER TARGET"))
    print(f"ratio: {ratio:.2f}x (target <= {TARGET:.2f}x)")


if __name__ == "__main__":
    sys.exit(main())
