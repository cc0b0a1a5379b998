"""``a2i batch``: clips x chains x parameter sets x seeds into the gallery, resumable, across processes."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.cli._common import load_plugins, parse_param_options, print_json, progress_bar
from a2i_studio.errors import A2IError, ParamError

if TYPE_CHECKING:
    from a2i_studio.batch import ChainRun
    from a2i_studio.core import Registry

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``batch``."""
    parser = subparsers.add_parser(
        "batch",
        help="make images for many clips with one or more chains; skips what the gallery holds",
        description="Every input clip x chain x parameter set x seed becomes one image in the gallery. Run it again "
        "to resume: images whose recipe the gallery holds are skipped. Under 'accelerate launch' the jobs are split "
        "across processes and GPUs. Writes report.json, report.csv, contact sheets and index.html to --out.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="audio files, folders, quoted globs ('clips/**/*.wav') or a .csv/.json manifest")
    parser.add_argument("--chain", action="append", default=[], metavar="CHAIN",
                        help="chain id, repeatable (default: the default chain)")
    parser.add_argument("--param", action="append", default=[], metavar="K=V",
                        help="a parameter for every chain that has it, repeatable")
    parser.add_argument("--sweep", action="append", default=[], metavar="K=V1,V2",
                        help="one parameter set per value (several sweeps multiply), repeatable")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="first seed (default: 0)")
    parser.add_argument("-n", type=int, default=1, metavar="N", help="seeds per clip and set: N, N+1, ... (default 1)")
    parser.add_argument("--out", type=Path, default=Path("batch-report"), metavar="DIR",
                        help="report and contact sheets folder (default: ./batch-report)")
    parser.add_argument("--sheets", choices=("chain", "clip", "none"), default="chain",
                        help="one contact sheet per chain (default) or per clip, or none")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:N or mps (default: per process)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=_run_batch)


def _run_batch(args: argparse.Namespace) -> int:
    from a2i_studio.batch import (
        Processes,
        expand_jobs,
        read_inputs,
        report_rows,
        run_jobs,
        summarise,
        write_contact_sheets,
        write_report,
    )
    from a2i_studio.engine import DEFAULT_CHAIN, Engine
    from a2i_studio.gallery import Gallery

    if args.n < 1:
        raise ParamError(f"-n {args.n} asks for no seeds; use 1 or more.")
    manager = load_plugins(args)
    runs = chain_runs(manager.registry, args.chain or [DEFAULT_CHAIN], args.param, args.sweep)
    jobs = expand_jobs(read_inputs(args.inputs), runs, range(args.seed, args.seed + args.n))
    processes = Processes(args.device)
    engine = Engine(manager.registry, Gallery())
    with progress_bar(enabled=processes.is_main, log_every=30.0) as report:
        mine = run_jobs(engine, processes.share(jobs), device=processes.device, progress=report)
    outcomes = processes.gather(mine)
    if not processes.is_main:
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    json_path, _ = write_report(outcomes, args.out)
    if args.sheets != "none":
        write_contact_sheets(outcomes, args.out, args.sheets)
    counts = summarise(outcomes)
    if args.json:
        print_json({**counts, "report": str(json_path), "outcomes": report_rows(outcomes)})
    else:
        for outcome in outcomes:
            if outcome.status == "failed":
                print(f"failed: {outcome.job.describe()}: {outcome.reason}", file=sys.stderr)
        print(f"{counts['made']} made, {counts['skipped']} skipped, {counts['failed']} failed "
              f"of {counts['jobs']} jobs; report: {json_path}")
    if counts["failed"] == counts["jobs"]:
        raise A2IError(f"All {counts['jobs']} jobs failed; the reasons are in {json_path}.")
    return 0


def chain_runs(
    registry: Registry, chain_ids: Sequence[str], params: Sequence[str], sweeps: Sequence[str]
) -> list[ChainRun]:
    """Each chain with its parameter sets: ``--param`` options in every set, one set per combination of sweeps.

    An option applies to the chains that have its parameter (``component.key`` narrows it to one component).

    Raises:
        ParamError: For an option no chain has, a malformed sweep, or an invalid value.
    """
    from a2i_studio.batch import ChainRun
    from a2i_studio.core import parse_chain

    chains = [parse_chain(chain_id, registry) for chain_id in dict.fromkeys(chain_ids)]
    swept = [_sweep_values(sweep) for sweep in sweeps]
    for option in [*params, *(values[0] for values in swept)]:
        if not any(_applies(option, chain.components) for chain in chains):
            raise ParamError(f"No chain of this batch has the parameter of {option!r}; check 'a2i chains'.")
    runs = []
    for chain in chains:
        fixed = [option for option in params if _applies(option, chain.components)]
        own = [values for values in swept if _applies(values[0], chain.components)]
        sets: list[dict[str, dict[str, Any]]] = []
        names: list[str] = []
        for combination in itertools.product(*own):
            sets.append(parse_param_options([*fixed, *combination], chain.components))
            names.append(",".join(combination) or "defaults")
        runs.append(ChainRun(chain.id, tuple(sets), tuple(names)))
    return runs


def _sweep_values(sweep: str) -> list[str]:
    key, separator, values = sweep.partition("=")
    if not separator or not key or not values:
        raise ParamError(f"--sweep {sweep!r} should read key=value1,value2, e.g. --sweep size=64,128.")
    return [f"{key}={value.strip()}" for value in values.split(",")]


def _applies(option: str, components: Sequence[Any]) -> bool:
    owner, dot, name = option.partition("=")[0].rpartition(".")
    return any((not dot or component.id == owner) and any(p.name == name for p in component.params)
               for component in components)
