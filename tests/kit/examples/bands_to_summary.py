"""Kit example, an adapter between two plugins' spaces, both found by name: echo-bands -> mfcc-summary.

The echo-bands space comes from another plugin; this one looks it up in the
registry rather than importing that plugin, and reports (rather than fails)
when it is not installed. Uses only the public API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from a2i_studio.core import Adapter, FloatParam, Registry, RunContext
from a2i_studio.hookspecs import hookimpl


class BandsToSummary(Adapter):
    """Each band's energy spread over 6.5 summary values, scaled by ``gain`` (the spaces are set at registration)."""

    id = "bands-summary"
    name = "Bands to summary"
    description = "Repeats band energies to fill an MFCC-summary-shaped value (kit example)."
    params = (FloatParam("gain", 1.0, "multiplies every value", 0.0, 10.0),)

    def adapt(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> Any:
        import torch

        width = self.output_space.shape[0]
        assert width is not None
        return params["gain"] * torch.nn.functional.interpolate(value[None, None].float(), size=width)[0, 0]


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    bands, summary = registry.space("echo-bands"), registry.space("mfcc-summary")
    if bands is None or summary is None:
        registry.report("the echo-bands space is not installed, so bands-summary is left out; install echo_bands.")
        return
    bound = type("BoundBandsToSummary", (BandsToSummary,), {"input_space": bands, "output_space": summary})
    registry.add_adapter(bound())
