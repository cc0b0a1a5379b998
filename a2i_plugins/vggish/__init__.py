"""VGGish audio embeddings: one 128-d vector per 0.96 s of audio.

``vggish`` gives the mean over the selected segment (space ``vggish``);
``vggish-seq`` gives every frame (space ``vggish-sequence``) for adapters that
read a sequence. Both run the weights released with the PyTorch port
harritaylor/torchvggish, fetched by ``a2i models download vggish``, on the input
that port's ``wavfile_to_examples`` makes (see :meth:`VggishEncoder.frontend`).
"""

from __future__ import annotations

from a2i_plugins.vggish._components import VGGISH_PCA_WEIGHTS, VGGISH_WEIGHTS, VggishEncoder, VggishSequenceEncoder
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = ["VGGISH_PCA_WEIGHTS", "VGGISH_WEIGHTS", "VggishEncoder", "VggishSequenceEncoder", "a2i_register_components"]

__version__ = "1.1.0"


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    """Register the two VGGish encoders."""
    registry.add_encoder(VggishEncoder())
    registry.add_encoder(VggishSequenceEncoder())
