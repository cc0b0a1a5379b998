"""KV-cached pixel sampling against the seed's naive loop, which re-decodes the whole prefix every step.

Run: ``python benchmarks/bench_pixel.py [--threads 2] [--runs 3] [--checkpoint FILE] [--preset default]``.
Both samplers decode the same model greedily (the seed's loop) from the same
audio, one 32x32 image each; the script checks that they draw the same
tokens, then prints seconds per image and the speed-up (target: at least 5x).
It also times the generator's default setting (temperature 1, guidance 2,
which runs the model twice per step). Without ``--checkpoint`` it times the
bundled model if it is there, else an untrained model of the preset's shape
(speed does not depend on the weights).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from a2i_plugins.pixel_transformer import BUNDLED_WEIGHTS
from a2i_plugins.pixel_transformer._checkpoint import load_model
from a2i_plugins.pixel_transformer._model import PixelTransformer
from a2i_plugins.pixel_transformer._presets import PRESETS
from a2i_plugins.pixel_transformer._sampling import SamplingSettings, sample


def _model(checkpoint: Path | None, preset: str) -> tuple[PixelTransformer, str]:
    bundled = BUNDLED_WEIGHTS.bundled
    path = checkpoint or (bundled if bundled is not None and bundled.is_file() else None)
    if path is not None:
        return load_model(path)[0], str(path)
    torch.manual_seed(0)
    return PixelTransformer(PRESETS[preset].config).eval(), f"untrained '{preset}' preset shape"


def _seconds(
    model: PixelTransformer, frames: torch.Tensor, settings: SamplingSettings, cached: bool, runs: int = 1
) -> tuple[float, torch.Tensor]:
    """The median time of ``runs`` samplings of one image, and its tokens."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        tokens = sample(model, frames, [torch.Generator().manual_seed(0)], settings, cached=cached)
        times.append(time.perf_counter() - start)
    return statistics.median(times), tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--checkpoint", type=Path, default=None, help="a pixel transformer .safetensors file")
    parser.add_argument("--preset", default="default", choices=sorted(PRESETS), help="model shape without a checkpoint")
    parser.add_argument("--runs", type=int, default=3, help="runs of each cached sampler (median)")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    model, source = _model(arguments.checkpoint, arguments.preset)
    config = model.config
    frames = torch.rand(config.sections, config.bins, generator=torch.Generator().manual_seed(0)) * 0.05
    print(f"model: {source}; {config.image_size}x{config.image_size}x{config.channels} = "
          f"{config.sequence_length} tokens, {config.decoder_layers} decoder layers, {config.d_model}-d; "
          f"{arguments.threads} CPU thread(s)")

    greedy = SamplingSettings(temperature=0.0)
    _seconds(model, frames, greedy, cached=True)  # warm-up
    cached_s, cached_tokens = _seconds(model, frames, greedy, cached=True, runs=arguments.runs)
    naive_s, naive_tokens = _seconds(model, frames, greedy, cached=False)
    usual = SamplingSettings(temperature=1.0, guidance=2.0)
    usual_s, _ = _seconds(model, frames, usual, cached=True, runs=arguments.runs)
    same = torch.equal(cached_tokens, naive_tokens)
    speedup = naive_s / cached_s
    print(f"{'sampler':40s} {'s/image':>8s} {'ratio':>7s}")
    print(f"{'naive re-decoding, greedy (seed loop)':40s} {naive_s:8.2f} {1.0:7.2f}")
    print(f"{'KV-cached, greedy':40s} {cached_s:8.2f} {speedup:7.2f}")
    print(f"{'KV-cached, temperature 1, guidance 2':40s} {usual_s:8.2f} {naive_s / usual_s:7.2f}")
    print(f"same tokens: {'yes' if same else 'NO'}; speed-up {speedup:.1f}x "
          f"({'ok' if speedup >= 5 else 'MISSED'}, target at least 5x)")


if __name__ == "__main__":
    main()
