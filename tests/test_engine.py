"""The engine: chains run end to end, seeds reproduce, progress and cancel, shape checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from a2i_studio.core import Adapter, CancelToken, ChoiceParam, Generator, Progress, Space
from a2i_studio.engine import Engine, GenerationRequest, default_dtype, pick_device, request_from_recipe
from a2i_studio.errors import Cancelled, ParamError, PluginError, ShapeError
from a2i_studio.gallery import Gallery
from a2i_studio.plugins import PluginManager

CHAIN = "toy-proj>toy-gen"


@pytest.fixture
def engine(drop_in: Callable[[str], Path], tmp_path: Path) -> Engine:
    drop_in("toy_plugin")
    return Engine(PluginManager().load().registry, Gallery(tmp_path / "gallery"))


def _pixels(result: object) -> bytes:
    return result.image.tobytes()  # type: ignore[attr-defined]


def test_a_batch_image_is_reproduced_alone_from_its_own_seed(engine: Engine, clip: Path) -> None:
    batch = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=40, n=3))
    assert [result.recipe["seed"] for result in batch] == [40, 41, 42]
    assert [result.image.size for result in batch] == [(32, 32)] * 3
    assert len({_pixels(result) for result in batch}) == 3  # different seeds, different images
    alone = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=41))
    assert _pixels(alone[0]) == _pixels(batch[1])
    again = engine.generate(request_from_recipe(batch[2].recipe))
    assert _pixels(again[0]) == _pixels(batch[2])


def test_recipe_records_everything_that_decides_the_image(engine: Engine, clip: Path) -> None:
    request = GenerationRequest(audio=clip, chain=CHAIN, seed=7, start=0.25, end=1.5, params={"toy-gen": {"steps": 5}})
    recipe = engine.generate(request)[0].recipe
    assert recipe["format"] == "a2i-recipe/1"
    assert recipe["audio"]["name"] == "chirp.wav"
    assert len(recipe["audio"]["sha256"]) == 64
    assert recipe["segment"] == {"start": 0.25, "end": 1.5}
    assert recipe["chain"] == CHAIN
    assert [c["id"] for c in recipe["components"]] == ["toy-proj", "toy-gen"]
    assert recipe["params"] == {"toy-proj": {}, "toy-gen": {"steps": 5, "noise": 0.5, "palette": "rgb"}}
    assert (recipe["device"], recipe["dtype"], recipe["seed"]) == ("cpu", "float32", 7)


def test_segment_and_params_change_the_image(engine: Engine, clip: Path) -> None:
    whole = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=1))[0]
    segment = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=1, start=1.0, end=2.0))[0]
    gray = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=1, params={"toy-gen": {"palette": "gray"}}))
    assert _pixels(whole) != _pixels(segment)
    red, green, blue = gray[0].image.split()
    assert red.tobytes() == green.tobytes() == blue.tobytes()


def test_progress_reports_steps_and_cancel_saves_nothing(engine: Engine, clip: Path) -> None:
    reports: list[Progress] = []
    engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=1), progress=reports.append)
    refining = [(p.step, p.total) for p in reports if p.stage == "refining"]
    assert refining == [(1, 3), (2, 3), (3, 3)]
    assert reports[-1].stage == "done"

    cancel = CancelToken()

    def cancel_at_second_step(progress: Progress) -> None:
        if progress.stage == "refining" and progress.step == 2:
            cancel.cancel()

    before = engine.gallery.count()  # type: ignore[union-attr]
    with pytest.raises(Cancelled, match="nothing was saved"):
        engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=1, n=2), cancel_at_second_step, cancel)
    assert engine.gallery.count() == before  # type: ignore[union-attr]


def test_short_clip_is_padded_with_a_warning(engine: Engine, tmp_path: Path) -> None:
    import numpy as np
    import soundfile

    short = tmp_path / "blip.wav"
    soundfile.write(short, np.full(800, 0.3, dtype=np.float32), 8000)
    result = engine.generate(GenerationRequest(audio=short, chain=CHAIN, seed=3))[0]
    assert any("blip.wav" in warning and "0.5" in warning for warning in result.warnings)


def test_wrong_shape_names_the_component_and_both_shapes(engine: Engine, clip: Path) -> None:
    class Truncating(Adapter):
        id = "truncate"
        input_space = Space("toy", (8,))
        output_space = Space("toy", (8,))

        def adapt(self, value, params, ctx):  # type: ignore[no-untyped-def]
            return value[:5]

    engine.registry.add_adapter(Truncating())
    expected = r"adapter 'truncate' \(plugin a2i-studio\) output has shape \(5,\) but space toy expects \(8,\)"
    with pytest.raises(ShapeError, match=expected):
        engine.generate(GenerationRequest(audio=clip, chain="toy-proj>truncate>toy-gen", seed=0))


_WRONG = r"generator 'wrong' \(plugin palette\) "


class _Wrong(Generator):
    """A generator that breaks the contract in the way ``mode`` says."""

    id = "wrong"
    input_space = Space("toy", (8,))
    params = (ChoiceParam("mode", "ndarray", choices=("ndarray", "single", "short", "exit", "bug")),)

    def generate(self, value, params, ctx):  # type: ignore[no-untyped-def]
        import numpy as np
        from PIL import Image

        image = Image.new("RGB", (8, 8))
        mode = params["mode"]
        if mode == "exit":
            raise SystemExit(0)
        if mode == "bug":
            raise KeyError("amount")
        return {"ndarray": np.zeros((8, 8, 3)), "single": image, "short": [image]}[mode]


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("ndarray", _WRONG + r"returned ndarray; expected a list of PIL images, one per seed \(2\)\."),
        ("single", _WRONG + r"returned Image; expected a list of PIL images"),
        ("short", _WRONG + r"returned 1 images; expected a list of PIL images, one per seed \(2\)"),
        ("exit", _WRONG + r"called sys.exit\(0\); that is a bug in the plugin"),
        ("bug", _WRONG + r"raised KeyError: 'amount'; that is a bug in the plugin: report it to the plugin's author"),
    ],
)
def test_a_generator_breaking_its_contract_is_named_with_its_plugin(
    engine: Engine, clip: Path, mode: str, message: str
) -> None:
    engine.registry.for_plugin("palette").add_generator(_Wrong())
    request = GenerationRequest(audio=clip, chain="toy-proj>wrong", n=2, params={"wrong": {"mode": mode}})
    with pytest.raises(PluginError, match=message):
        engine.generate(request)
    assert engine.gallery is not None and engine.gallery.count() == 0  # nothing half-saved


def test_bad_requests_fail_before_any_work(engine: Engine, clip: Path) -> None:
    with pytest.raises(ParamError, match="steps got 0"):
        engine.generate(GenerationRequest(audio=clip, chain=CHAIN, params={"toy-gen": {"steps": 0}}))
    with pytest.raises(ParamError, match="'sd15', which is not in chain"):
        engine.generate(GenerationRequest(audio=clip, chain=CHAIN, params={"sd15": {"steps": 3}}))
    with pytest.raises(ParamError, match="-n 0"):
        engine.generate(GenerationRequest(audio=clip, chain=CHAIN, n=0))


def test_device_choice_and_dtype_policy() -> None:
    assert pick_device(None) == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu") == "cpu"
    assert (default_dtype("cpu"), default_dtype("cuda")) == ("float32", "float16")
    with pytest.raises(ParamError, match="unknown"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ParamError, match="no CUDA GPU is available; use --device cpu"):
            pick_device("cuda")


def test_mixing_sounds_weights_their_embeddings(engine: Engine, clip: Path, tmp_path: Path) -> None:
    import numpy as np
    import soundfile

    other = tmp_path / "hum.wav"
    soundfile.write(other, (0.4 * np.sin(2 * np.pi * 90 * np.arange(16000) / 16000)).astype(np.float32), 16000)
    plain = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=5))[0]
    alone = engine.generate(GenerationRequest(audio=other, chain=CHAIN, seed=5))[0]
    none_of_it = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=5, mix=((other, 0.0),)))[0]
    all_of_it = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=5, mix=((other, 1.0),)))[0]
    half = engine.generate(GenerationRequest(audio=clip, chain=CHAIN, seed=5, mix=((other, 0.5),)))[0]
    assert _pixels(none_of_it) == _pixels(plain)
    assert _pixels(all_of_it) == _pixels(alone)
    assert _pixels(half) not in {_pixels(plain), _pixels(alone)}
    assert half.recipe["mix"] == [
        {"name": "hum.wav", "path": str(other.resolve()), "sha256": half.recipe["mix"][0]["sha256"], "weight": 0.5}
    ]
    again = engine.generate(request_from_recipe(half.recipe))[0]
    assert _pixels(again) == _pixels(half)
    with pytest.raises(ParamError, match=r"add up to 1\.2"):
        engine.generate(GenerationRequest(audio=clip, chain=CHAIN, mix=((other, 0.6), (other, 0.6))))


def test_a_numpy_only_chain_runs_without_importing_torch(tmp_path: Path, clip: Path) -> None:
    import subprocess
    import sys

    script = f"""
import sys
from a2i_studio.core import MFCC_SUMMARY, Encoder, Generator, Registry
from a2i_studio.engine import Engine, GenerationRequest

class Mean(Encoder):
    id, output_space, needs_torch, sample_rate = "mean", MFCC_SUMMARY, False, 8000
    def encode(self, samples, params, ctx):
        return samples[:104 * (samples.size // 104)].reshape(104, -1).mean(axis=1)

class Noise(Generator):
    id, input_space, needs_torch = "noise", MFCC_SUMMARY, False
    def generate(self, value, params, ctx):
        from PIL import Image
        return [Image.fromarray((rng.random((8, 8, 3)) * 255).astype("uint8")) for rng in ctx.numpy_generators()]

registry = Registry()
registry.add_encoder(Mean())
registry.add_generator(Noise())
results = Engine(registry).generate(GenerationRequest(audio=r"{clip}", chain="mean>noise", seed=3, device="cuda"))
print(results[0].recipe["device"], results[0].image.size, "torch" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cpu", "(8,", "8)", "False"]


def test_encoders_run_in_float32_and_the_embedding_is_cast_for_the_rest_of_the_chain(clip: Path) -> None:
    from PIL import Image

    from a2i_studio.core import Encoder, Generator, Registry

    seen: dict[str, object] = {}

    class Probe(Encoder):
        id, output_space = "probe", Space("probe", (8,))

        def load(self, device: str, dtype: str) -> None:
            seen["encoder load"] = dtype

        def encode(self, samples, params, ctx):  # type: ignore[no-untyped-def]
            seen["encoder ctx"] = ctx.dtype
            return torch.full((8,), 1.001)  # not a bfloat16 value: the cast shows

    class Sink(Generator):
        id, input_space = "sink", Space("probe", (8,))

        def load(self, device: str, dtype: str) -> None:
            seen["generator load"] = dtype

        def generate(self, value, params, ctx):  # type: ignore[no-untyped-def]
            seen["value"] = value
            return [Image.new("RGB", (4, 4)) for _ in ctx.seeds]

    registry = Registry()
    registry.add_space(Probe.output_space)
    registry.add_encoder(Probe())
    registry.add_generator(Sink())
    result = Engine(registry).generate(GenerationRequest(audio=clip, chain="probe>sink", dtype="bfloat16"))[0]
    assert (seen["encoder load"], seen["encoder ctx"], seen["generator load"]) == ("float32", "float32", "bfloat16")
    assert torch.equal(seen["value"], torch.full((8,), 1.001).to(torch.bfloat16))  # type: ignore[arg-type]
    assert result.recipe["dtype"] == "bfloat16"
