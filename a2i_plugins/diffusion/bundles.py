"""The Stable Diffusion bundles: what an artist downloads to run these generators from sound.

Each holds a pipeline and VGGish, the audio encoder whose embeddings the
published recipes (VGGish + MLP adapter -> Stable Diffusion) map to a text
space; the chain it lists needs that adapter first ("train an adapter for
vggish -> sd15"). The few-step bundles make a picture in seconds without a GPU.
Plain data, no torch.
"""

from __future__ import annotations

from a2i_plugins.diffusion.families import LCM_LORA, OPEN_RAIL_PP_M, SD3, SD15, SD15_LCM, SD21, SD_TURBO, Family
from a2i_studio.core import Bundle, Licence

__all__ = ["BUNDLES", "VGGISH_LICENCE"]

VGGISH_LICENCE = Licence(
    "Apache 2.0 (VGGish)", "https://github.com/harritaylor/torchvggish/blob/master/LICENSE",
    "Free use, commercial included.",
)


def _for_adapters(
    bundle_id: str,
    name: str,
    family: Family,
    trained_for: Family,
    *,
    extra: tuple[str, ...] = (),
    licences: tuple[Licence, ...] = (),
    gated: bool = False,
) -> Bundle:
    """A bundle of VGGish and ``family``'s pipeline, for the chain through an adapter trained for ``trained_for``."""
    few_step = family.steps <= 8
    speed = "A picture in seconds on a CPU. " if few_step else ""
    return Bundle(
        id=bundle_id,
        name=name,
        description=(
            f"{speed}{family.weights.description} and the VGGish audio encoder. Train an adapter from vggish to "
            f"{trained_for.key} (Tools > Train adapter) to make pictures from sound with it."
        ),
        weights=("vggish", "vggish-pca", family.weights.name, *extra),
        licences=(VGGISH_LICENCE, family.licence, *licences),
        gated=gated,
        chains=(f"vggish>mlp-vggish-{trained_for.key}>{family.key}",),
        few_step=few_step,
    )


BUNDLES = (
    _for_adapters("sd15-adapters", "Stable Diffusion 1.5 (for trained adapters)", SD15, SD15),
    _for_adapters("sd21-adapters", "Stable Diffusion 2.1 (for trained adapters)", SD21, SD21),
    _for_adapters("sd3-adapters", "Stable Diffusion 3 Medium (for trained adapters; gated)", SD3, SD3, gated=True),
    _for_adapters("sd-turbo", "SD-Turbo: pictures in 1-4 steps (SD 2.1 adapters)", SD_TURBO, SD21),
    _for_adapters(
        "sd15-lcm", "LCM-LoRA on SD 1.5: pictures in 4-8 steps (SD 1.5 adapters)", SD15_LCM, SD15,
        extra=(LCM_LORA.name,), licences=(OPEN_RAIL_PP_M,),
    ),
)
"""Registered by the diffusion plugin."""
