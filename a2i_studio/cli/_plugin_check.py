"""``a2i plugins check PATH``: what a plugin's author got wrong, one sentence each, and what to fix.

The plugin is imported in isolation (timed, heavy imports noted), its hook
functions are checked by name and marker, it is registered next to the
built-in plugins (so ids and spaces are checked against theirs), and each of
its encoders, adapters and generators is run once, offscreen on the CPU, in a
chain whose other parts need no weights: two seeds, then the second seed
alone, which must give the same image.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from a2i_studio import hookspecs
from a2i_studio.core import CHAIN_KINDS, Chain, Component, find_chains
from a2i_studio.errors import A2IError, ParamError, WeightsMissing
from a2i_studio.plugins import (
    SLOW_IMPORT_SECONDS,
    PluginManager,
    RealInterrupts,
    describe_failure,
    file_importer,
    hook_problems,
)

__all__ = ["check_plugin"]

_HEAVY = ("torch", "diffusers", "transformers")


def check_plugin(target: str) -> list[str]:
    """Check the plugin at ``target`` (a ``.py`` file, a package folder or a module name).

    Returns:
        Lines starting ``error:``, ``warning:`` or ``ok:``, each one sentence that says what to fix.

    Raises:
        ParamError: If ``target`` names no file, folder or importable module.
    """
    importer, module_name = _importer(target)
    heavy_before = {name for name in _HEAVY if name in sys.modules}
    interrupts = RealInterrupts()
    with interrupts.watching():
        outcome = interrupts.call(importer)
    if outcome.error is not None:
        return [f"error: importing {target} {describe_failure(outcome.error)}; {_import_fix(outcome.error)}",
                *("    " + line for line in outcome.traceback.rstrip().splitlines()[-6:])]
    module: ModuleType = outcome.value
    findings = [f"ok: imported in {outcome.seconds:.2f} s."]
    if outcome.seconds > SLOW_IMPORT_SECONDS:
        findings.append(
            f"warning: importing took {outcome.seconds:.1f} s (more than {SLOW_IMPORT_SECONDS:g} s); every command "
            "waits for it, so import heavy libraries inside load() or the function that needs them."
        )
    for name in sorted(set(_HEAVY) - heavy_before):
        if name in sys.modules:
            findings.append(
                f"warning: importing the plugin imports {name}; import it inside load() so 'a2i --help' and the "
                "app's first window stay instant."
            )
    problems = hook_problems(module)
    findings += [f"error: {problem}" for problem in problems]
    if problems:
        return findings

    manager = PluginManager(safe_mode=True, given=[module], disabled=_entry_point_names(module_name)).load()
    record = manager.records[-1]
    if record.status == "failed":
        return [*findings, f"error: {record.name} {record.reason}."]
    findings += [f"warning: {warning}" for warning in record.warnings]
    own = manager.registry.by_plugin(record.name)
    if not own and not record.spaces:
        names = ", ".join(name for name in dir(hookspecs) if name.startswith("a2i_"))
        return [*findings, f"warning: the plugin registers nothing; implement one of {names} with @hookimpl."]
    findings.append(f"ok: registers {', '.join(record.components + [f'space:{s}' for s in record.spaces])}.")
    return findings + _run_chains(manager, own)


def _importer(target: str) -> tuple[Callable[[], ModuleType], str]:
    """How to import ``target``, and the module name it gets."""
    from importlib import import_module

    path = Path(target).expanduser()
    if path.is_file() and path.suffix == ".py":
        return file_importer(path.resolve()), path.stem
    if path.is_dir() and (path / "__init__.py").is_file():
        folder = str(path.resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        return (lambda: import_module(path.resolve().name)), path.resolve().name
    if all(part.isidentifier() for part in target.split(".")):
        return (lambda: import_module(target)), target
    raise ParamError(f"{target} is neither a .py file, a package folder nor a module name; give one of those.")


def _import_fix(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return "a plugin must never call sys.exit(); raise an exception that says what is wrong instead."
    if isinstance(error, KeyboardInterrupt):
        return "a plugin must never raise KeyboardInterrupt; raise an exception that says what is wrong instead."
    return "fix the error the traceback below points at."


def _entry_point_names(module_name: str) -> set[str]:
    """Installed entry points that load ``module_name``: left out, so the plugin is not loaded twice."""
    return {ep.name for ep in entry_points(group=hookspecs.PROJECT) if ep.value.split(":")[0] == module_name}


def _run_chains(manager: PluginManager, own: list[Component]) -> list[str]:
    """Run each of the plugin's chain components once in the shortest chain whose other parts need no weights."""
    runnable = [
        chain
        for chain in find_chains(manager.registry)
        if all(component in own or not component.weights for component in chain.components)
    ]
    findings: list[str] = []
    done: set[str] = set()
    with tempfile.TemporaryDirectory() as folder:
        clip = _test_clip(Path(folder) / "check.wav")
        for component in (c for c in own if c.kind in CHAIN_KINDS):
            chains = sorted((c for c in runnable if component in c.components), key=lambda c: len(c.components))
            label = manager.registry.label(component)
            if not chains:
                findings.append(
                    f"warning: no chain with {label} can be test-run here (the other parts need weights); "
                    "test it with the fixtures of a2i_studio.testing."
                )
            elif chains[0].id not in done:
                done.add(chains[0].id)
                findings.append(_run_chain(manager, chains[0], clip))
    return findings


def _run_chain(manager: PluginManager, chain: Chain, clip: Path) -> str:
    from a2i_studio.engine import Engine, GenerationRequest

    engine = Engine(manager.registry)
    try:
        pair = engine.generate(GenerationRequest(audio=clip, chain=chain.id, seed=0, n=2, device="cpu"))
        alone = engine.generate(GenerationRequest(audio=clip, chain=chain.id, seed=1, n=1, device="cpu"))
    except WeightsMissing as error:
        return f"warning: chain {chain.id} was not run: {error}"
    except A2IError as error:
        return f"error: chain {chain.id}: {error}"
    finally:
        engine.unload_all()
    if pair[1].image.tobytes() != alone[0].image.tobytes():
        return (
            f"error: chain {chain.id} made a different image for seed 1 alone than as the second of seeds 0 and 1; "
            f"image i must depend on ctx.seeds[i] alone: draw from ctx.cpu_generators() or ctx.numpy_generators()."
        )
    return f"ok: chain {chain.id} made {pair[0].image.size[0]}x{pair[0].image.size[1]} images, one per seed."


def _test_clip(path: Path) -> Path:
    """A 2 s, 16 kHz chirp: enough for every built-in encoder."""
    import numpy as np
    import soundfile

    rate = 16_000
    t = np.arange(2 * rate) / rate
    soundfile.write(path, (0.5 * np.sin(2 * np.pi * (220 + 300 * t) * t)).astype(np.float32), rate)
    return path
