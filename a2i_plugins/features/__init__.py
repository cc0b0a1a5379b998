"""Weight-free encoders: audio features that end-to-end generators take as input.

``mfcc`` gives the 104-value MFCC summary the seed's AE-GAN was trained on (in
numpy, so the chain ``mfcc>aegan`` never imports torch), ``mfcc-stereo`` the
same 104 values of the mono mix plus stereo balance, band levels and event
rates (136, numpy; the default chain ``mfcc-stereo>aegan-sharp``), ``fft`` the 500 x 220
FFT frames the pixel transformer reads (a torch tensor). They need no weights
and run anywhere.
"""

from __future__ import annotations

from a2i_plugins.features._components import FftFramesEncoder, MfccEncoder, MfccStereoEncoder
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = ["FftFramesEncoder", "MfccEncoder", "MfccStereoEncoder", "a2i_register_components"]

__version__ = "1.0.0"


@hookimpl
def a2i_register_components(registry: Registry) -> None:
    """Register the weight-free encoders."""
    registry.add_encoder(MfccEncoder())
    registry.add_encoder(MfccStereoEncoder())
    registry.add_encoder(FftFramesEncoder())
