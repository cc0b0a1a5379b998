"""MLP adapters: one per file in adapters/, target modes, save/load round trip, training through the CLI."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from a2i_plugins.mlp_adapter._network import AdapterNetwork, load_adapter, save_adapter
from a2i_studio.cli import main
from a2i_studio.core import CLIP_TEXT_SD15, SD3_TEXT, VGGISH, RunContext, find_chains
from a2i_studio.testing import load_plugins

CTX = RunContext("cpu", "float32", (0,))


def _config(**changes: object) -> dict[str, object]:
    config: dict[str, object] = {
        "format": "a2i-mlp-adapter/1", "id": "mlp-test", "input_space": "vggish", "output_space": "clip-text/sd15",
        "input_dim": 128, "hidden": [8, 8], "dropout": 0.0, "norm": "layer", "target": "first-n", "tokens": 3,
        "padding": "empty", "encoder": "vggish", "encoder_params": {}, "generator": "sd15", "generator_model": "",
        "captions": "", "metrics": {"val_cosine": 0.5},
    }
    return {**config, **changes}


def test_one_adapter_per_file_with_the_spaces_its_config_records(
    write_adapter: Callable[..., Path], app_dirs: dict[str, Path]
) -> None:
    import a2i_plugins.mlp_adapter

    empty = load_plugins(a2i_plugins.mlp_adapter)
    assert empty.registry.adapters == [] and empty.records[0].warnings == []  # no adapter files, no adapters
    write_adapter("mlp-vggish-sd15", "vggish", "clip-text/sd15")
    write_adapter("mlp-vggish-sd3", "vggish-sequence", "sd3-text", target="pooled")
    folder = app_dirs["models"] / "adapters"
    (folder / "broken.json").write_text("{not json")
    (folder / "elsewhere.json").write_text(json.dumps(_config(id="mlp-else", input_space="vggish-v2")))
    manager = load_plugins(a2i_plugins.mlp_adapter)
    registry = manager.registry
    assert [(a.id, a.input_space.name, a.output_space.name) for a in registry.adapters] == [
        ("mlp-vggish-sd15", "vggish", "clip-text/sd15"),
        ("mlp-vggish-sd3", "vggish-sequence", "sd3-text"),
    ]
    assert registry.adapters[0].weights[0].filename == "mlp-vggish-sd15.safetensors"
    record = manager.records[0]
    assert record.status == "active"
    assert [warning.split(":")[0] for warning in record.warnings] == [
        f"skipped the adapter config {folder / 'broken.json'}",
        f"skipped the adapter config {folder / 'elsewhere.json'}",
    ]
    assert record.warnings[1].endswith("its input_space 'vggish-v2' is a space no installed plugin declares.")


def test_a_duplicate_adapter_id_skips_that_file_not_the_plugin(
    write_adapter: Callable[..., Path], app_dirs: dict[str, Path]
) -> None:
    import a2i_plugins.mlp_adapter

    folder = app_dirs["models"] / "adapters"
    write_adapter("mlp-a", "vggish", "clip-text/sd15")
    write_adapter("mlp-b", "vggish", "clip-text/sd15")
    copy = json.loads((folder / "mlp-a.json").read_text())
    (folder / "mlp-c.json").write_text(json.dumps(copy))  # a second file claiming the id mlp-a
    manager = load_plugins(a2i_plugins.mlp_adapter)
    assert [adapter.id for adapter in manager.registry.adapters] == ["mlp-a", "mlp-b"]
    assert [trainer.id for trainer in manager.registry.trainers] == ["adapter"]
    assert manager.records[0].warnings == [
        f"skipped the adapter config {folder / 'mlp-c.json'}: its id 'mlp-a' is also the id of mlp-a.json; "
        "give one of them another id (its 'id' and file names)."
    ]


def test_first_n_target_pads_with_the_empty_prompt_and_round_trips(tmp_path: Path) -> None:
    network = AdapterNetwork(_config(), CLIP_TEXT_SD15).eval()
    network.fill_sequence.copy_(torch.randn(77, 768))
    prediction = network(torch.randn(1, 128))[0]
    assert prediction.shape == (3 * 768,)
    value = network.complete(prediction)
    CLIP_TEXT_SD15.check(value, "mlp-test", "output")
    torch.testing.assert_close(value[:3].flatten(), prediction)
    torch.testing.assert_close(value[3:], network.fill_sequence[3:])

    path = save_adapter(network, tmp_path)
    config = json.loads(path.with_suffix(".json").read_text())
    loaded = load_adapter(path, config, CLIP_TEXT_SD15)
    features = torch.randn(4, 128)
    torch.testing.assert_close(loaded(features), network(features))


def test_sd3_pooled_and_first_n_targets_fill_the_rest() -> None:
    pooled_only = AdapterNetwork(_config(output_space="sd3-text", target="pooled"), SD3_TEXT).eval()
    value = pooled_only.complete(pooled_only(torch.randn(1, 128))[0])
    SD3_TEXT.check(value, "mlp-test", "output")
    assert torch.count_nonzero(value["sequence"]) == 0  # zeros until training stores the empty prompt
    first_n = AdapterNetwork(_config(output_space="sd3-text", tokens=2), SD3_TEXT).eval()
    prediction = first_n(torch.randn(1, 128))[0]
    assert prediction.shape == (2048 + 2 * 4096,)
    value = first_n.complete(prediction)
    torch.testing.assert_close(value["pooled"], prediction[:2048])
    torch.testing.assert_close(value["sequence"][:2].flatten(), prediction[2048:])


def test_adapter_component_maps_a_vggish_vector_to_sd15_space(write_adapter: Callable[..., Path]) -> None:
    import a2i_plugins.mlp_adapter

    write_adapter("mlp-vggish-sd15", "vggish", "clip-text/sd15", padding="zeros", tokens=4)
    registry = load_plugins(a2i_plugins.mlp_adapter).registry
    adapter = registry.adapters[0]
    adapter.load("cpu", "float32")
    value = adapter.adapt(torch.randn(128), {}, CTX)
    CLIP_TEXT_SD15.check(value, adapter.id, "output")
    assert torch.count_nonzero(value[:4]) == 4 * 768 and torch.count_nonzero(value[4:]) == 0
    assert registry.space("vggish") == VGGISH  # adapter configs name spaces, the registry knows them by name


def _synthetic_dataset(folder: Path) -> Path:
    """12 one-second clips: low hums labelled dog, high whistles labelled bird."""
    folder.mkdir()
    rows = []
    t = np.arange(16_000) / 16_000
    rng = np.random.default_rng(0)
    for index in range(12):
        label = "bird" if index % 2 else "dog"
        frequency = (3000 if label == "bird" else 150) * (1 + 0.05 * rng.standard_normal())
        samples = 0.5 * np.sin(2 * np.pi * frequency * t) + 0.01 * rng.standard_normal(t.size)
        soundfile.write(folder / f"{index}.wav", samples.astype(np.float32), 16_000)
        rows.append({"audio": f"{index}.wav", "image": "", "label": label, "prompt": ""})
    with (folder / "metadata.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["audio", "image", "label", "prompt"])
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_training_through_the_cli_lowers_val_loss_and_registers_the_adapter(
    tiny_vggish: torch.nn.Module,
    tiny_sd15: Path,
    install_checkpoint: Callable[[Path, str], Path],
    app_dirs: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import a2i_plugins.diffusion
    import a2i_plugins.mlp_adapter
    import a2i_plugins.vggish

    install_checkpoint(tiny_sd15, "stable-diffusion-v1-5")
    data, out = _synthetic_dataset(tmp_path / "data"), tmp_path / "run"
    argv = ["train", "adapter", "--data", str(data), "--out", str(out), "--hidden", "64", "--epochs", "40",
            "--batch-size", "8", "--val-fraction", "0.34", "--tokens", "8", "--dropout", "0", "--json"]
    assert main(argv) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert (metrics["train_pairs"], metrics["val_pairs"]) == (8, 4)
    assert metrics["val_mse"] < 0.5 * metrics["val_mse_before"]
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert history[-1]["val_cosine"] > history[0]["val_cosine"]
    # The same command again resumes from the last checkpoint: 40 epochs are done, so it only saves again.
    assert main([*argv[:-1], "--epochs", "41", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["epochs"], again["steps"]) == (41, metrics["steps"] + 1)
    assert Image.open(out / "loss_curve.png").size == (640, 400)
    caches = sorted(path.name.split("-")[0] for path in (out / "cache").iterdir())
    assert caches == ["features", "targets"]

    registry = load_plugins(a2i_plugins.vggish, a2i_plugins.mlp_adapter, a2i_plugins.diffusion).registry
    adapter = registry.get("adapter", "mlp-vggish-sd15")
    assert adapter is not None
    assert adapter.config["metrics"]["val_mse"] == pytest.approx(again["val_mse"])  # type: ignore[attr-defined]
    assert "vggish>mlp-vggish-sd15>sd15" in [chain.id for chain in find_chains(registry)]
