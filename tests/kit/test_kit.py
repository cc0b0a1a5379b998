"""The plugin author's kit: a plugin of each kind written against the public API, run with a2i_studio.testing."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from a2i_studio.core import Progress
from a2i_studio.testing import PluginEngine, write_chirp

EXAMPLES = Path(__file__).parent / "examples"
PUBLIC = {
    "a2i_studio.core", "a2i_studio.hookspecs", "a2i_studio.errors", "a2i_studio.audio", "a2i_studio.datasets",
    "a2i_studio.files", "a2i_studio.weights", "a2i_studio.config", "a2i_studio.audio.features",
    "a2i_studio.audio.features_numpy",
}


def _example(name: str) -> Path:
    return EXAMPLES / f"{name}.py"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda path: path.stem)
def test_the_examples_import_only_the_public_api(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    ours = {name for name in imported if name.split(".")[0].startswith("a2i")}
    assert ours <= PUBLIC, f"{path.name} reaches past the public API: {sorted(ours - PUBLIC)}"


def test_an_encoder_adapter_and_generator_of_three_plugins_make_a_chain(
    make_a2i_engine: Callable[..., PluginEngine], a2i_clip: Path
) -> None:
    # The adapter's plugin is loaded first: it finds the encoder's space by name all the same,
    # because every plugin declares its spaces before any registers a component.
    plugins = make_a2i_engine(_example("bands_to_summary"), _example("echo_bands"), _example("stripes"))
    assert [record.status for record in plugins.manager.records] == ["active"] * 3
    assert plugins.record("echo_bands").spaces == ["echo-bands"]
    assert "echo>bands-summary>stripes" in [chain.id for chain in plugins.engine.chains()]
    params = {"stripes": {"size": 16, "steps": 2}, "echo": {"repeats": 2}}
    reports: list[Progress] = []
    images = [result.image for result in plugins.engine.generate(_request(a2i_clip, params), progress=reports.append)]
    assert [image.size for image in images] == [(16, 16)] * 3
    assert len({image.tobytes() for image in images}) == 3
    previews = [report for report in reports if report.stage == "stripes"]
    assert [(report.step, report.total) for report in previews] == [(step, 6) for step in range(1, 7)]
    assert all(report.preview is not None and report.preview.size == (16, 16) for report in previews)
    alone = plugins.run("echo>bands-summary>stripes", a2i_clip, seeds=(12,), params=params)
    assert alone[0].tobytes() == images[2].tobytes()
    recipe = plugins.engine.generate(_request(a2i_clip, params))[0].recipe
    assert recipe["params"]["echo"] == {"repeats": 2}
    assert [c["id"] for c in recipe["components"]] == ["echo", "bands-summary", "stripes"]


def _request(audio: Path, params: dict[str, dict[str, int]]):  # type: ignore[no-untyped-def]
    from a2i_studio.engine import GenerationRequest

    return GenerationRequest(audio=audio, chain="echo>bands-summary>stripes", seed=10, n=3, params=params, device="cpu")


def test_an_adapter_whose_space_is_missing_reports_instead_of_failing(
    make_a2i_engine: Callable[..., PluginEngine],
) -> None:
    plugins = make_a2i_engine(_example("bands_to_summary"))
    record = plugins.record("bands_to_summary")
    assert (record.status, record.components) == ("active", [])
    assert record.warnings == [
        "the echo-bands space is not installed, so bands-summary is left out; install echo_bands."
    ]
    assert plugins.manager.warning_lines() == [
        f"warning: plugin bands_to_summary: {record.warnings[0]} Run 'a2i plugins list' for details."
    ]


def test_a_plugin_that_fails_to_load_fails_the_test_with_its_reason(
    make_a2i_engine: Callable[..., PluginEngine], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('no')\n")
    with pytest.raises(AssertionError, match=r"Plugin broken failed while importing broken.py: RuntimeError: no"):
        make_a2i_engine(broken)
    assert make_a2i_engine(broken, check=False).record("broken").status == "failed"


def test_a_numpy_only_chain_runs_without_torch(tmp_path: Path) -> None:
    clip = write_chirp(tmp_path / "clip.wav")
    script = f"""
import sys
from a2i_studio.testing import load_plugins
from a2i_studio.engine import Engine, GenerationRequest
manager = load_plugins({str(_example("grid_numpy"))!r}, builtins=True)
results = Engine(manager.registry).generate(GenerationRequest(audio={str(clip)!r}, chain="mfcc>grid", seed=4, n=2))
print([r.image.size for r in results], "torch" in sys.modules)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["[(13,", "8),", "(13,", "8)]", "False"]


def test_a_trainer_is_found_in_the_registry_and_trains(
    make_a2i_engine: Callable[..., PluginEngine], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    for label, count in (("Rain", 2), ("rain", 1), ("bird", 1)):
        (data / label).mkdir(parents=True)
        for index in range(count):
            write_chirp(data / label / f"{index}.wav", seconds=0.5)
    trainer = make_a2i_engine(_example("label_counter")).registry.get("trainer", "counter")
    assert trainer is not None
    reports: list[Progress] = []
    metrics = trainer.train(data, tmp_path / "out", {"lowercase": True}, progress=reports.append)  # type: ignore[attr-defined]
    assert metrics == {"labels": 2, "clips": 4}
    assert json.loads((tmp_path / "out" / "counts.json").read_text()) == {"bird": 1, "rain": 3}
    assert [report.step for report in reports] == [1, 2, 3, 4]


def test_chains_of_numpy_and_torch_plugins_reproduce_each_image_from_its_seed(
    make_a2i_engine: Callable[..., PluginEngine], a2i_clip: Path
) -> None:
    plugins = make_a2i_engine(_example("grid_numpy"), _example("stripes"), builtins=True)
    for chain in ("mfcc>grid", "mfcc>stripes"):
        pair = plugins.run(chain, a2i_clip, seeds=(5, 6))
        alone = plugins.run(chain, a2i_clip, seeds=(6,))
        assert np.array_equal(np.asarray(pair[1]), np.asarray(alone[0])), chain
