"""Stable Diffusion generators fed by embeddings from the chain: ``sd15``, ``sd21``, ``sd3``, and the few-step
``sd-turbo`` (1-4 steps, SD 2.1's text space) and ``sd15-lcm`` (4-8 steps, SD 1.5's).

Each takes the text-encoder space of its model (``clip-text/sd15`` 77 x 768,
``clip-text/sd21`` 77 x 1024, ``sd3-text`` pooled 2048 + sequence 333 x 4096),
usually from an adapter, and runs the diffusers pipeline with those embeddings
in place of an encoded prompt. The model is a parameter (Hugging Face repo id,
diffusers folder or single checkpoint), so pipelines load on first use, not in
``load()``. The README's Models section tells how to set up real weights.

The bundles an artist downloads for them are in ``bundles``. The submodules
``families``, ``pipelines`` (the generator base class with the pipeline
cache, and the parameters every pipeline generator shares), ``loading`` and
``sampling`` (torch and diffusers at import) are public for sibling families
that drive other diffusers pipelines the same way, such as unCLIP; the
generators themselves live in ``_components``.
"""

from __future__ import annotations

from a2i_plugins.diffusion._components import (
    DiffusionGenerator,
    LcmStableDiffusion15Generator,
    SdTurboGenerator,
    StableDiffusion3Generator,
    StableDiffusion15Generator,
    StableDiffusion21Generator,
)
from a2i_plugins.diffusion.bundles import BUNDLES
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = [
    "DiffusionGenerator",
    "LcmStableDiffusion15Generator",
    "SdTurboGenerator",
    "StableDiffusion3Generator",
    "StableDiffusion15Generator",
    "StableDiffusion21Generator",
    "a2i_register_components",
]

__version__ = "1.0.0"


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    """Register the Stable Diffusion generators (three families and two few-step ones) and their bundles."""
    for generator in (
        StableDiffusion15Generator(), StableDiffusion21Generator(), StableDiffusion3Generator(), SdTurboGenerator(),
        LcmStableDiffusion15Generator(),
    ):
        registry.add_generator(generator)
    for bundle in BUNDLES:
        registry.add_bundle(bundle)
