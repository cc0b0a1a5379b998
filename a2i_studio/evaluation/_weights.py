"""The models the metrics need (declared in :mod:`a2i_studio.metric_models`, below the evaluation)."""

from __future__ import annotations

from a2i_studio.metric_models import CLIP_WEIGHTS, IMAGE_ENCODER_WEIGHTS, METRIC_WEIGHTS, OPENCLIP_VIT_H_WEIGHTS

__all__ = ["CLIP_WEIGHTS", "IMAGE_ENCODER_WEIGHTS", "METRIC_WEIGHTS", "OPENCLIP_VIT_H_WEIGHTS"]
