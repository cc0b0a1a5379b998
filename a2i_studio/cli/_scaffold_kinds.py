"""The example component and its test that ``a2i plugins new --kind KIND`` writes, one pair per kind.

Every example works as written: it needs no weights, and the encoder, adapter
and generator run in a chain with the built-ins right after installing
(``'NAME>aegan'``, ``'mfcc>NAME>aegan'``, ``'mfcc>NAME'``). They use only the
public API (``a2i_studio.core``, ``.audio``, ``.datasets``, ``.files``,
``.hookspecs``, ``.testing``). Fields in braces are filled by ``str.format``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "Kind"]


@dataclass(frozen=True)
class Kind:
    """What one kind of plugin package holds.

    Attributes:
        summary: One line for the package docstring and README.
        hook: The hook that registers the component.
        components: ``_components.py``.
        test: ``tests/test_NAME.py``.
        try_it: The shell line the README suggests.
    """

    summary: str
    hook: str
    components: str
    test: str
    try_it: str


_ENCODER = '''\
"""{title}: the MFCC summary of a clip after a pre-emphasis filter, in numpy (no torch, no weights)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from a2i_studio.core import MFCC_SUMMARY, Encoder, FloatParam, RunContext

if TYPE_CHECKING:
    import numpy as np


class {cls}Encoder(Encoder):
    """Pre-emphasised MFCC summary: high frequencies weigh more. A value in the ``mfcc-summary`` space."""

    id = "{name}"
    name = "{title} MFCC"
    description = "MFCC summary after a pre-emphasis filter (example plugin)."
    version = "1"
    output_space = MFCC_SUMMARY
    sample_rate = 16_000
    min_seconds = 1.0
    needs_torch = False  # numpy only: a chain of such components never imports torch
    params = (FloatParam("emphasis", 0.97, "pre-emphasis coefficient (0 leaves the sound as it is)", 0.0, 0.99),)

    def encode(self, samples: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> np.ndarray:
        import numpy as np

        from a2i_studio.audio.features_numpy import mfcc_summary_numpy

        emphasised = np.append(samples[:1], samples[1:] - params["emphasis"] * samples[:-1]).astype(np.float32)
        return mfcc_summary_numpy(emphasised, self.sample_rate)
'''

_ENCODER_TEST = '''\
"""The encoder, loaded as a2i-studio loads it, next to the built-in plugins."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import a2i_{name}
from a2i_studio import audio
from a2i_studio.core import RunContext


def test_no_emphasis_is_the_built_in_mfcc_summary_and_the_chain_runs(make_a2i_engine, a2i_clip: Path) -> None:
    plugins = make_a2i_engine(a2i_{name}, builtins=True)
    encoder = plugins.registry.get("encoder", "{name}")
    samples = audio.load(a2i_clip, sample_rate=16_000).samples
    ctx = RunContext(device="cpu", dtype="float32", seeds=(0,))
    plain = encoder.encode(samples, {{"emphasis": 0.0}}, ctx)
    builtin = plugins.registry.get("encoder", "mfcc").encode(samples, {{}}, ctx)
    np.testing.assert_allclose(plain, builtin, rtol=1e-5, atol=1e-5)
    assert not np.allclose(encoder.encode(samples, {{"emphasis": 0.97}}, ctx), builtin)
    images = plugins.run("{name}>aegan", a2i_clip, seeds=(0, 1))
    assert len(images) == 2 and images[0].size == images[1].size
'''

_ADAPTER = '''\
"""{title}: more contrast in an MFCC summary, in the same space (numpy only, no weights)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from a2i_studio.core import MFCC_SUMMARY, Adapter, FloatParam, RunContext


class {cls}Adapter(Adapter):
    """Pushes each value of an MFCC summary away from the summary's mean by ``strength``."""

    id = "{name}"
    name = "{title} contrast"
    description = "Stretches an MFCC summary away from its mean (example plugin)."
    version = "1"
    input_space = MFCC_SUMMARY
    output_space = MFCC_SUMMARY
    needs_torch = False
    params = (FloatParam("strength", 1.5, "how far to push each value from the mean (1: unchanged)", 0.0, 4.0),)

    def adapt(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> Any:
        import numpy as np

        values = np.asarray(value, dtype=np.float32)  # numpy arrays and CPU tensors alike
        mean = values.mean()
        return (mean + params["strength"] * (values - mean)).astype(np.float32)
'''

_ADAPTER_TEST = '''\
"""The adapter, loaded as a2i-studio loads it, between the built-in MFCC encoder and AE-GAN."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import a2i_{name}
from a2i_studio.core import RunContext


def test_strength_scales_the_distance_from_the_mean_and_the_chain_runs(make_a2i_engine, a2i_clip: Path) -> None:
    plugins = make_a2i_engine(a2i_{name}, builtins=True)
    adapter = plugins.registry.get("adapter", "{name}")
    value = np.linspace(-1.0, 3.0, 104, dtype=np.float32)
    ctx = RunContext(device="cpu", dtype="float32", seeds=(0,))
    np.testing.assert_allclose(adapter.adapt(value, {{"strength": 1.0}}, ctx), value, atol=1e-6)
    doubled = adapter.adapt(value, {{"strength": 2.0}}, ctx)
    np.testing.assert_allclose(doubled - value.mean(), 2 * (value - value.mean()), atol=1e-5)
    images = plugins.run("mfcc>{name}>aegan", a2i_clip, seeds=(0,), params={{"{name}": {{"strength": 2.0}}}})
    assert len(images) == 1
'''

_GENERATOR = '''\
"""{title}: draws a clip's MFCC summary as a colour grid (pure Python and Pillow, no weights)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from a2i_studio.core import MFCC_SUMMARY, Generator, IntParam, RunContext

if TYPE_CHECKING:
    from PIL.Image import Image


class {cls}Generator(Generator):
    """104 MFCC statistics -> an 8 x 13 grid of colours; the seed shifts the palette."""

    id = "{name}"
    name = "{title} grid"
    description = "Draws the MFCC summary as a grid of colours (example plugin)."
    version = "1"
    input_space = MFCC_SUMMARY
    needs_torch = False
    params = (IntParam("size", 256, "image width and height in pixels", minimum=16, maximum=1024),)

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        import numpy as np
        from PIL import Image as PILImage

        numbers = np.asarray(value, dtype=np.float64).reshape(-1).tolist()  # arrays and CPU tensors alike
        low, high = min(numbers), max(numbers)
        levels = [(x - low) / (high - low or 1.0) for x in numbers]
        images = []
        for index, seed in enumerate(ctx.seeds):  # image i depends on ctx.seeds[i] alone
            shift = random.Random(seed).random()
            grid = PILImage.new("RGB", (13, 8))
            grid.putdata([_colour(level, shift) for level in levels])
            images.append(grid.resize((params["size"], params["size"]), PILImage.Resampling.NEAREST))
            ctx.report(index + 1, len(ctx.seeds), "drawing")
        return images


def _colour(level: float, shift: float) -> tuple[int, int, int]:
    hue = (level + shift) % 1.0
    return (int(255 * hue), int(255 * level), int(255 * (1.0 - hue)))
'''

_GENERATOR_TEST = '''\
"""The generator, run as a2i-studio runs it: after the built-in MFCC encoder, offscreen."""

from __future__ import annotations

from pathlib import Path

import a2i_{name}


def test_one_image_per_seed_and_each_seed_alone_gives_the_same(make_a2i_engine, a2i_clip: Path) -> None:
    plugins = make_a2i_engine(a2i_{name}, builtins=True)
    params = {{"{name}": {{"size": 32}}}}
    images = plugins.run("mfcc>{name}", a2i_clip, seeds=(1, 2), params=params)
    assert [image.size for image in images] == [(32, 32), (32, 32)]
    assert images[0].tobytes() != images[1].tobytes()
    alone = plugins.run("mfcc>{name}", a2i_clip, seeds=(2,), params=params)
    assert alone[0].tobytes() == images[1].tobytes()
'''

_TRAINER = '''\
"""{title}: learns the mean MFCC summary of each label in a dataset folder (a template for a real trainer)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from a2i_studio.core import CancelToken, IntParam, ProgressCallback, Trainer, TrainingEvents


class {cls}Trainer(Trainer):
    """Reads ``label/clip.wav`` folders (or ``metadata.csv``) and writes each label's mean MFCC summary as JSON."""

    id = "{name}"
    name = "{title} label means"
    description = "Mean MFCC summary per label, written as JSON (example plugin)."
    version = "1"
    needs_torch = False
    params = (IntParam("max_clips", 1000, "read at most this many clips", minimum=1, maximum=1_000_000),)

    def train(
        self,
        data: Path,
        out: Path,
        settings: Mapping[str, Any],
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        events: TrainingEvents | None = None,
        *,
        fresh: bool = False,
    ) -> dict[str, Any]:
        # A trainer with epochs and checkpoints subclasses a2i_studio.training.LoopTrainer instead, which
        # resumes, honours fresh, reports events and keeps the best checkpoint for it (docs/plugins/trainer.md).
        import numpy as np

        from a2i_studio import audio
        from a2i_studio.audio.features_numpy import mfcc_summary_numpy
        from a2i_studio.core import Progress
        from a2i_studio.datasets import read_dataset
        from a2i_studio.files import atomic_write_json

        settings = self.resolve_settings(settings)  # a2i train resolves them already; a direct call may not
        dataset = read_dataset(data)
        dataset.require("audio", "label")
        items = list(dataset)[: settings["max_clips"]]
        rows: dict[str, list[np.ndarray]] = {{}}
        for index, item in enumerate(items):
            if cancel is not None:
                cancel.raise_if_cancelled()
            clip = audio.pad_to(audio.load(item.audio, sample_rate=16_000), 1.0)
            rows.setdefault(item.label, []).append(mfcc_summary_numpy(clip.samples, 16_000))
            if progress is not None:
                progress(Progress(index + 1, len(items), "reading clips"))
        means = {{label: np.mean(values, axis=0).tolist() for label, values in rows.items()}}
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "label-means.json", {{"labels": means}})
        return {{"clips": len(items), "labels": len(means)}}
'''

_TRAINER_TEST = '''\
"""The trainer, found in the registry as a2i-studio finds it, on a two-label dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import a2i_{name}
from a2i_studio import audio
from a2i_studio.audio.features_numpy import mfcc_summary_numpy
from a2i_studio.testing import write_chirp


def test_each_label_gets_the_mean_summary_of_its_clips(make_a2i_engine, tmp_path: Path) -> None:
    data = tmp_path / "data"
    for label, seconds in (("short", 1.5), ("long", 2.5)):
        (data / label).mkdir(parents=True)
        for index in range(2):
            write_chirp(data / label / f"clip{{index}}.wav", seconds=seconds + index / 2)
    trainer = make_a2i_engine(a2i_{name}).registry.get("trainer", "{name}")
    metrics = trainer.train(data, tmp_path / "out", {{}})
    assert metrics == {{"clips": 4, "labels": 2}}
    means = json.loads((tmp_path / "out" / "label-means.json").read_text())["labels"]
    clips = [audio.load(data / "long" / name, sample_rate=16_000).samples for name in ("clip0.wav", "clip1.wav")]
    expected = np.mean([mfcc_summary_numpy(samples, 16_000) for samples in clips], axis=0)
    np.testing.assert_allclose(means["long"], expected, rtol=1e-5, atol=1e-5)
'''

KINDS = {
    "encoder": Kind(
        "an encoder that gives a pre-emphasised MFCC summary", "a2i_register_components", _ENCODER, _ENCODER_TEST,
        "a2i generate clip.wav --chain '{name}>aegan'",
    ),
    "adapter": Kind(
        "an adapter that adds contrast to an MFCC summary", "a2i_register_components", _ADAPTER, _ADAPTER_TEST,
        "a2i generate clip.wav --chain 'mfcc>{name}>aegan'",
    ),
    "generator": Kind(
        "a generator that draws a clip's MFCC summary as a colour grid", "a2i_register_components", _GENERATOR,
        _GENERATOR_TEST, "a2i generate clip.wav --chain 'mfcc>{name}'",
    ),
    "trainer": Kind(
        "a trainer that learns each label's mean MFCC summary", "a2i_register_trainers", _TRAINER, _TRAINER_TEST,
        "a2i train {name} --data DATASET --out runs/{name}",
    ),
}
"""The example of each kind, by ``--kind``."""
