"""The errors a user can act on.

Every error a person can fix (a bad file, a missing checkpoint, a wrong
setting) is an :class:`A2IError` whose message is one sentence that names the
file or setting and says what to do. The CLI prints it as ``error: ...`` and
the GUI shows it as a notice. Any other exception is a bug and is logged with
its traceback.

This module imports nothing from the package, so every layer, the audio layer
at the bottom included, may raise these.
"""

from __future__ import annotations

__all__ = [
    "A2IError",
    "AudioError",
    "Cancelled",
    "ChainError",
    "CheckpointError",
    "DatasetError",
    "GalleryError",
    "OutOfMemory",
    "ParamError",
    "PluginBug",
    "PluginError",
    "ShapeError",
    "VideoError",
    "WeightsMissing",
]


class A2IError(Exception):
    """An error the user can act on; ``str(error)`` is the sentence to show."""


class AudioError(A2IError):
    """An audio file could not be used (unreadable, empty, too long, ...)."""


class ParamError(A2IError):
    """A parameter value is missing, of the wrong type or out of range."""


class ChainError(A2IError):
    """A chain id names components that do not exist or do not connect."""


class ShapeError(A2IError):
    """A component produced or received a tensor of the wrong shape."""


class PluginError(A2IError):
    """A plugin could not be loaded, validated or run."""


class PluginBug(PluginError):
    """A plugin's code raised something that is not an A2IError (or called ``sys.exit``): a bug in that plugin.

    The message names the plugin and the component; ``__cause__`` holds the original
    exception, whose traceback the faces write to the log for the plugin's author.
    """


class WeightsMissing(A2IError):
    """A component's weights were not found where it looked."""


class CheckpointError(A2IError):
    """A checkpoint file is corrupt, of the wrong format or does not fit its model."""


class DatasetError(A2IError):
    """A dataset folder or one of its rows cannot be used."""


class GalleryError(A2IError):
    """The gallery could not store or read an image."""


class OutOfMemory(A2IError):
    """The device ran out of memory while running a chain."""


class VideoError(A2IError):
    """A video could not be written, read back or rendered again."""


class Cancelled(A2IError):
    """The user cancelled a running job; nothing was saved."""
