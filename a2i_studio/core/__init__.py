"""Core types: spaces, parameters, components, the registry and chains.

Importing this package imports neither torch nor numpy.
"""

from __future__ import annotations

from a2i_studio.core._bundles import Bundle, Licence
from a2i_studio.core._chains import Chain, find_chains, parse_chain
from a2i_studio.core._components import (
    Adapter,
    CancelToken,
    Component,
    Encoder,
    Generator,
    Progress,
    ProgressCallback,
    RunContext,
    TextEncoding,
    WeightExtractor,
    WeightSpec,
)
from a2i_studio.core._continuity import CONTINUITY_MODES, FrameHints
from a2i_studio.core._events import (
    CheckpointEvent,
    EvaluationEvent,
    SampleEvent,
    StepEvent,
    TrainingEvent,
    TrainingEvents,
)
from a2i_studio.core._mixing import mix_embeddings
from a2i_studio.core._params import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    Param,
    PathParam,
    TextParam,
    resolve_params,
)
from a2i_studio.core._registry import CHAIN_KINDS, CORE, RegisteredComponent, Registry, component_label
from a2i_studio.core._spaces import (
    BUILTIN_SPACES,
    CLIP_TEXT_SD15,
    CLIP_TEXT_SD21,
    FFT_FRAMES,
    IMAGEBIND_AUDIO,
    MFCC_STEREO_SUMMARY,
    MFCC_SUMMARY,
    SD3_TEXT,
    VGGISH,
    VGGISH_SEQUENCE,
    Space,
)
from a2i_studio.core._trainer import Trainer

__all__ = [
    "BUILTIN_SPACES",
    "CHAIN_KINDS",
    "CLIP_TEXT_SD15",
    "CLIP_TEXT_SD21",
    "CONTINUITY_MODES",
    "CORE",
    "FFT_FRAMES",
    "IMAGEBIND_AUDIO",
    "MFCC_STEREO_SUMMARY",
    "MFCC_SUMMARY",
    "SD3_TEXT",
    "VGGISH",
    "VGGISH_SEQUENCE",
    "Adapter",
    "BoolParam",
    "Bundle",
    "CancelToken",
    "Chain",
    "CheckpointEvent",
    "ChoiceParam",
    "Component",
    "Encoder",
    "EvaluationEvent",
    "FloatParam",
    "FrameHints",
    "Generator",
    "IntParam",
    "Licence",
    "Param",
    "PathParam",
    "Progress",
    "ProgressCallback",
    "RegisteredComponent",
    "Registry",
    "RunContext",
    "SampleEvent",
    "Space",
    "StepEvent",
    "TextEncoding",
    "TextParam",
    "Trainer",
    "TrainingEvent",
    "TrainingEvents",
    "WeightExtractor",
    "WeightSpec",
    "component_label",
    "find_chains",
    "mix_embeddings",
    "parse_chain",
    "resolve_params",
]
