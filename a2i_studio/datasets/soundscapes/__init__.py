"""A procedural paired dataset of scene sounds and pictures that can always be built offline.

Eight scene classes (forest with birdsong, rain, beach with waves,
thunderstorm, crackling fire, wind, city traffic, church bells); each item is a
16 kHz WAV (mono, or stereo with ``stereo=True``) synthesised with random
pitch, density, tempo, noise colour and room reverb, paired with a 256x256
drawing of the scene. The picture follows the sound: the scene parameters
(``intensity``, and ``count`` for birds, thunder claps and cars) are drawn once
and used by both, and go into ``metadata.csv`` with, in stereo, the ``pan`` of
the main source and the ``source_x`` where it is drawn. Built with numpy,
soundfile and Pillow only::

    from a2i_studio.datasets.soundscapes import make_soundscapes
    dataset = make_soundscapes("soundscapes", n=1000, seed=0)

or ``a2i datasets make soundscapes --out soundscapes --n 1000 --seed 0``.
"""

from __future__ import annotations

from a2i_studio.datasets.soundscapes._make import LABELS, PROMPTS, SAMPLE_RATE, make_item, make_soundscapes, source_x

__all__ = ["LABELS", "PROMPTS", "SAMPLE_RATE", "make_item", "make_soundscapes", "source_x"]
