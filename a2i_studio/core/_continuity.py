"""How a generator keeps the frames of a video together, and what the frame stream hands it.

A video is a generator run once per frame on an embedding that moves with
the sound. What else moves between frames is the generator's choice, declared
in :attr:`Generator.continuity <a2i_studio.core.Generator.continuity>`:

- ``fixed`` (every generator): each frame is made from the same seed, so its
  random draw stays put and only the sound moves the picture.
- ``drift``: the generator takes its random draw from :attr:`FrameHints.noise`
  and says how it draws one from a seed (:meth:`Generator.draw_noise
  <a2i_studio.core.Generator.draw_noise>`); the stream moves slowly from one
  seed's draw to the next by spherical interpolation.
- ``previous``: the generator can start a frame from :attr:`FrameHints.previous`,
  the frame before it, keeping ``1 - strength`` of it (image-to-image for diffusion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["CONTINUITY_MODES", "FrameHints"]

CONTINUITY_MODES = ("fixed", "drift", "previous")
"""Every continuity mode, ``fixed`` first: the one every generator keeps."""


@dataclass(frozen=True)
class FrameHints:
    """What a frame stream hands a generator for one frame (in ``RunContext.frame``).

    Only generators that declare the matching mode get a field set, and always
    with exactly one seed in ``ctx.seeds``.

    Attributes:
        noise: ``drift``: the random draw to start from instead of drawing one from the
            seed; of the type and shape :meth:`Generator.draw_noise` returns.
        previous: ``previous``: the frame before this one, as the generator made it;
            ``None`` for the first frame.
        strength: ``previous``: how far from ``previous`` to go, 0-1 (1 ignores it).
    """

    noise: Any = None
    previous: Image | None = None
    strength: float = 1.0
