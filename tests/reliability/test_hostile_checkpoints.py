"""Issue 21, item 8: hostile checkpoints are refused in one sentence, before any allocation and without running code."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from hostile import CLI_TIMEOUT_S, a2i, memory_cap, one_error_line
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from a2i_plugins.aegan._inference import load_model as load_aegan
from a2i_plugins.pixel_transformer._checkpoint import FORMAT as PIXEL_FORMAT
from a2i_plugins.pixel_transformer._checkpoint import load_model, save_model
from a2i_plugins.pixel_transformer._config import PixelConfig
from a2i_plugins.pixel_transformer._model import PixelTransformer
from a2i_plugins.pixel_transformer._presets import PRESETS
from a2i_studio import config as app_config
from a2i_studio.cli import main
from a2i_studio.errors import CheckpointError

BUNDLED_AEGAN = app_config.resources_dir() / "aegan" / "aegan-soundscapes-64.safetensors"
_AEGAN = {"size": 64, "features": 104, "hidden": [1024, 768, 512, 256], "latent": 100, "channels": 256}
_HUGE_PIXEL = {**PixelConfig().to_dict(), "d_model": 65536}


def _rewritten(source: Path, target: Path, **metadata: str) -> Path:
    """``source``'s tensors under ``target`` with some metadata entries replaced (``None`` drops one)."""
    with safe_open(str(source), framework="np") as handle:
        kept = dict(handle.metadata() or {})
    kept.update(metadata)
    save_file(load_file(str(source)), str(target), metadata={key: value for key, value in kept.items() if value})
    return target


@pytest.mark.parametrize(
    ("metadata", "says"),
    [
        ({"config": json.dumps({**_AEGAN, "hidden": "abc"})}, "hidden is 'abc', not a list of 1 to 16 layer widths"),
        ({"config": json.dumps({key: v for key, v in _AEGAN.items() if key != "hidden"})}, "the config lacks hidden"),
        ({"config": "[1]"}, "damaged 'config' entry (a JSON list, not an object)"),
        ({"config": json.dumps({**_AEGAN, "channels": "many"})}, "channels is 'many', not a whole number from 1 to"),
        ({"config": json.dumps({**_AEGAN, "latent": 10**9})}, "latent is 1000000000, not a whole number from 1 to"),
        ({"config": "{oops"}, "damaged 'config' entry (not JSON: Expecting property name"),
        ({"info": "{oops"}, "damaged 'info' entry (not JSON"),
        ({"info": "[]"}, "damaged 'info' entry (a JSON list, not an object)"),
    ],
    ids=["hidden text", "no hidden", "config list", "channels text", "latent 1e9", "config not JSON", "info not JSON",
         "info list"],
)
def test_a_bad_aegan_config_is_one_sentence_naming_the_file(
    tmp_path: Path, metadata: dict[str, str], says: str
) -> None:
    bad = _rewritten(BUNDLED_AEGAN, tmp_path / "bad.safetensors", **metadata)
    with pytest.raises(CheckpointError) as raised:
        load_aegan(bad)
    message = str(raised.value)
    assert message.startswith(f"{bad} ") and says in message and message.endswith(".") and "\n" not in message


def test_generate_with_a_bad_aegan_checkpoint_exits_1_with_one_line(clip: Path, tmp_path: Path) -> None:
    bad = _rewritten(BUNDLED_AEGAN, tmp_path / "bad.safetensors", config=json.dumps({**_AEGAN, "channels": "many"}))
    line = one_error_line(a2i("generate", str(clip), "--chain", "mfcc>aegan", "--param", f"aegan.checkpoint={bad}"))
    assert line == (
        f"error: {bad} holds invalid model settings (channels is 'many', not a whole number from 1 to 4096); "
        "train or download it again."
    )


def _tiny_pixel(path: Path) -> Path:
    torch.manual_seed(0)
    config = PixelConfig(image_size=4, sections=10, bins=6, audio_stride=5, d_model=8, heads=2, encoder_layers=1,
                         decoder_layers=1, window=4, dropout=0.0)
    return save_model(PixelTransformer(config), path, info={"epochs": 1})


@pytest.mark.parametrize(
    ("metadata", "says"),
    [
        ({"config": json.dumps({**PixelConfig().to_dict(), "d_model": "64"})}, "d_model is '64', not a whole number"),
        ({"config": json.dumps({**PixelConfig().to_dict(), "heads": 1.5})}, "heads is 1.5, not a whole number"),
        ({"config": "[1, 2]"}, "damaged 'config' entry (a JSON list, not an object)"),
        ({"config": "{oops"}, "damaged 'config' entry (not JSON"),
        ({"info": "{oops"}, "damaged 'info' entry (not JSON"),
        ({"config": json.dumps({**PixelConfig().to_dict(), "colour": 1})}, "has model settings ['colour']"),
        ({"config": json.dumps(PixelConfig().to_dict())}, "(it holds 6,708 weights, its settings describe 44,517,560)"),
    ],
    ids=["d_model text", "heads float", "config list", "config not JSON", "info not JSON", "unknown field",
         "other shapes"],
)
def test_a_bad_pixel_checkpoint_is_one_sentence_naming_the_file(
    tmp_path: Path, metadata: dict[str, str], says: str
) -> None:
    bad = _rewritten(_tiny_pixel(tmp_path / "tiny.safetensors"), tmp_path / "bad.safetensors", **metadata)
    with pytest.raises(CheckpointError) as raised:
        load_model(bad)
    message = str(raised.value)
    assert message.startswith(f"{bad} ") and says in message and "\n" not in message


@pytest.mark.parametrize(
    "config",
    [*(preset.config for preset in PRESETS.values()), PixelConfig(image_size=4, channels=3, d_model=8, heads=2)],
    ids=[*PRESETS, "flat rgb"],
)
def test_weight_count_is_what_the_model_saves(config: PixelConfig) -> None:
    state = PixelTransformer(config).state_dict()
    assert config.weight_count == sum(tensor.numel() for tensor in state.values())


_WITHIN_BOUNDS = {**PixelConfig().to_dict(), "d_model": 2048, "heads": 16, "encoder_layers": 48, "decoder_layers": 48}


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (_HUGE_PIXEL, "holds invalid model settings (d_model is 65536, not a whole number from 4 to 2048)"),
        (_WITHIN_BOUNDS, "does not fit its own model settings (it holds 0 weights, its settings describe 5,641,"),
    ],
    ids=["d_model 65536", "22 GB within bounds"],
)
def test_a_tiny_pixel_file_cannot_ask_for_a_huge_model(tmp_path: Path, config: dict[str, object], says: str) -> None:
    tiny = tmp_path / "tiny.safetensors"
    save_file({}, str(tiny), metadata={"format": PIXEL_FORMAT, "config": json.dumps(config), "info": "{}"})
    assert tiny.stat().st_size < 400
    with memory_cap(1 << 30), pytest.raises(CheckpointError) as raised:  # allocating first would fail otherwise
        load_model(tiny)
    assert str(raised.value).startswith(f"{tiny} {says}")


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


_PICKLES = """
from a2i_studio.core import VGGISH, Encoder, WeightSpec
from a2i_studio.hookspecs import hookimpl


class PickledEncoder(Encoder):
    id = "pickled"
    name = "Pickled"
    description = "weights in pickles, no checksums: only their contents can tell"
    output_space = VGGISH
    weights = tuple(WeightSpec(name, f"{name}.pth", name, subdir="encoders") for name in ("zip", "legacy", "plain"))


@hookimpl
def a2i_register_components(registry):
    registry.add_encoder(PickledEncoder())
"""


@pytest.mark.timeout(CLI_TIMEOUT_S)
def test_models_verify_loads_pickles_weights_only_and_never_runs_a_payload(
    app_dirs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (app_dirs["config"] / "plugins").mkdir(parents=True)
    (app_dirs["config"] / "plugins" / "pickled.py").write_text(_PICKLES, encoding="utf-8")
    folder = app_dirs["models"] / "encoders"
    folder.mkdir(parents=True)
    marker = tmp_path / "payload-ran"
    torch.save({"weight": torch.zeros(2), "extra": _Payload(marker)}, folder / "zip.pth")
    (folder / "legacy.pth").write_bytes(pickle.dumps({"extra": _Payload(marker)}, protocol=2))
    torch.save({"weight": torch.zeros(2), "pca_means": np.arange(3.0)}, folder / "plain.pth")  # numpy, as VGGish's

    code = main(["models", "verify", "pickled"])  # in this process: a payload that ran would show here too

    out, err = capsys.readouterr()
    assert code == 1 and err == "error: 2 of the weights checked are missing or damaged; see above.\n"
    refused = "holds more than weights (it asks to call posix.system when loaded), which a2i-studio never runs; " \
        "delete it and fetch it from a trusted source."
    assert out.splitlines() == [
        f"zip: BAD: {folder / 'zip.pth'} {refused}",
        f"legacy: BAD: {folder / 'legacy.pth'} {refused}",
        f"plain: ok ({folder / 'plain.pth'})",
    ]
    assert not marker.exists()
