"""Frame streams: sound to video, one frame per moment of the sound (Qt-free).

The core is :class:`FrameStream`: push it :class:`AudioWindow` s as they arrive
(from a file by :class:`FileSource`, or from a live input) and it hands back
frames, with attack/release smoothing, keyframes and interpolation between
them, each generator's continuity between frames, and parameters that follow
sound envelopes (:class:`Modulation`). :func:`render` drives it over a clip and
writes MP4, WebM, GIF or a PNG sequence with the sound muxed in, the recipe in
the file and a sidecar, resumable from a frame cache and split across
processes under ``accelerate launch``. :func:`run_live` drives it from a live
input (:mod:`a2i_studio.audio.live_input`) as the sound is heard, dropping
frames rather than falling behind, and may record the session.
"""

from __future__ import annotations

from a2i_studio.frames._blend import Smoother, interpolate, slerp
from a2i_studio.frames._cache import FrameCache
from a2i_studio.frames._live import run_live
from a2i_studio.frames._live_source import LiveWindows
from a2i_studio.frames._live_types import (
    LIVE_PARAMS,
    LIVE_WINDOW,
    LiveFrame,
    LiveMeter,
    LiveRequest,
    LiveSource,
    LiveSummary,
)
from a2i_studio.frames._recipe import (
    LIVE_RECIPE_FORMAT,
    VIDEO_SUFFIXES,
    cache_key,
    is_video,
    read_video_recipe,
    sidecar_path,
)
from a2i_studio.frames._render import RenderRequest, RenderResult, render, request_from_video_recipe
from a2i_studio.frames._settings import (
    CURVES,
    INTERPOLATIONS,
    KEYFRAME_MODES,
    MAX_FPS,
    VIDEO_PARAMS,
    Modulation,
    VideoSettings,
)
from a2i_studio.frames._source import AudioWindow, FileSource, frame_count, keyframe_flags
from a2i_studio.frames._stream import Frame, FrameStream
from a2i_studio.frames._writers import CONTAINERS, OutputFormat, fit_frame, output_format

__all__ = [
    "CONTAINERS",
    "CURVES",
    "INTERPOLATIONS",
    "KEYFRAME_MODES",
    "LIVE_PARAMS",
    "LIVE_RECIPE_FORMAT",
    "LIVE_WINDOW",
    "MAX_FPS",
    "VIDEO_PARAMS",
    "VIDEO_SUFFIXES",
    "AudioWindow",
    "FileSource",
    "Frame",
    "FrameCache",
    "FrameStream",
    "LiveFrame",
    "LiveMeter",
    "LiveRequest",
    "LiveSource",
    "LiveSummary",
    "LiveWindows",
    "Modulation",
    "OutputFormat",
    "RenderRequest",
    "RenderResult",
    "Smoother",
    "VideoSettings",
    "cache_key",
    "fit_frame",
    "frame_count",
    "interpolate",
    "is_video",
    "keyframe_flags",
    "output_format",
    "read_video_recipe",
    "render",
    "request_from_video_recipe",
    "run_live",
    "sidecar_path",
    "slerp",
]
