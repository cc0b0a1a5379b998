"""Kit example, an encoder with a space of its own: log energies of 16 frequency bands (torch, no weights).

Uses only the public API: a2i_studio.core and a2i_studio.hookspecs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from a2i_studio.core import Encoder, IntParam, Registry, RunContext, Space
from a2i_studio.hookspecs import hookimpl

__version__ = "1.0"

BANDS = Space("echo-bands", (16,), description="log energy of 16 equal-width bands of the spectrum")


class EchoBandsEncoder(Encoder):
    """The clip's spectrum cut into 16 bands, log energy of each; ``repeats`` echoes of the clip are summed first."""

    id = "echo"
    name = "Echo bands"
    description = "Log energies of 16 spectrum bands (kit example)."
    output_space = BANDS
    sample_rate = 8_000
    min_seconds = 0.5
    params = (IntParam("repeats", 1, "how many delayed copies of the clip to add before the FFT", 1, 8),)

    def encode(self, samples: Any, params: Mapping[str, Any], ctx: RunContext) -> Any:
        import torch

        waveform = torch.from_numpy(samples).float()
        echoed = sum(torch.roll(waveform, shift * 400) for shift in range(params["repeats"]))
        spectrum = torch.fft.rfft(echoed).abs() ** 2
        return torch.log1p(torch.stack([band.sum() for band in spectrum.chunk(16)])).to(ctx.device)


@hookimpl
def a2i_register_spaces(registry: Registry) -> None:
    registry.add_space(BANDS)


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    registry.add_encoder(EchoBandsEncoder())
