"""Mixed precision chosen by what the device runs natively, and the accelerator a training run uses.

bfloat16 halves the memory traffic where the hardware computes in it (recent
GPUs; CPUs with AVX512-BF16 or AMX), but a CPU without it emulates every
bfloat16 operation: the pixel transformer's default preset then trains five
times slower than in float32 (``benchmarks/bench_precision.py``). So ``auto``
takes bfloat16 only where it is native.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from a2i_studio.core import ChoiceParam
from a2i_studio.errors import ParamError

if TYPE_CHECKING:
    from accelerate import Accelerator

__all__ = ["PRECISION_PARAM", "make_accelerator", "native_bf16", "resolve_precision"]

log = logging.getLogger(__name__)

PRECISION_PARAM = ChoiceParam(
    "precision", "auto", "mixed precision: auto takes bf16 where the device computes it natively, else no "
    "(float32); fp16 needs a CUDA GPU", choices=("auto", "no", "bf16", "fp16"),
)
"""The ``precision`` setting every :class:`~a2i_studio.training.LoopTrainer` has."""


def native_bf16() -> bool:
    """Whether the device a run would use computes bfloat16 natively (CUDA; a CPU with AVX512-BF16 or AMX)."""
    import torch

    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    if torch.backends.mps.is_available():
        return False
    # oneDNN's own check honours ONEDNN_MAX_CPU_ISA; the instruction-set checks tell native from emulated.
    cpu = torch.cpu
    return bool(
        torch.ops.mkldnn._is_mkldnn_bf16_supported()
        and (cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())
    )


def resolve_precision(requested: str) -> str:
    """The accelerate ``mixed_precision`` for the ``precision`` setting on this machine.

    Args:
        requested: ``auto``, ``no``, ``bf16`` or ``fp16``.

    Returns:
        ``no``, ``bf16`` or ``fp16``.

    Raises:
        ParamError: For fp16 without a CUDA GPU.
    """
    import torch

    if requested == "auto":
        return "bf16" if native_bf16() else "no"
    if requested == "fp16" and not torch.cuda.is_available():
        raise ParamError("precision fp16 needs a CUDA GPU; use auto, bf16 or no on this machine.")
    if requested == "bf16" and not native_bf16():
        log.warning("precision bf16 is emulated on this device and may train several times slower than no.")
    return requested


def make_accelerator(precision: str) -> Accelerator:
    """An ``Accelerator`` with ``precision`` that honours a multi-process launch on any machine.

    Without CUDA, accelerate ignores ``WORLD_SIZE`` unless told to use the CPU,
    so each process of ``torch.distributed.run --nproc_per_node 2`` would train
    the whole run on its own; ``cpu=True`` then makes them one run.
    """
    import torch
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    # accelerate keeps one global state and refuses a second precision in the same process;
    # the app trains many times per process, so that state is reset (the process group is kept).
    AcceleratorState._reset_state()
    several = int(os.environ.get("WORLD_SIZE", "1")) > 1
    return Accelerator(mixed_precision=precision, cpu=several and not torch.cuda.is_available())
