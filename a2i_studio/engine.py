"""The engine: runs a chain on a clip and hands the images to the gallery.

Qt-free; torch is imported only when a chain runs. Faces (CLI, GUI) build a
:class:`GenerationRequest`, call :meth:`Engine.generate` with a progress
callable and a cancel token, and show the :class:`GenerationResult` list.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio import __version__, audio
from a2i_studio.core import (
    CancelToken,
    Chain,
    Component,
    ProgressCallback,
    Registry,
    RunContext,
    find_chains,
    mix_embeddings,
    parse_chain,
    resolve_params,
)
from a2i_studio.errors import A2IError, GalleryError, OutOfMemory, ParamError

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.gallery import Gallery, GalleryItem

__all__ = [
    "DEFAULT_CHAIN",
    "RECIPE_FORMAT",
    "Engine",
    "GenerationRequest",
    "GenerationResult",
    "chain_device",
    "default_dtype",
    "pick_device",
    "request_from_recipe",
]

log = logging.getLogger(__name__)

DEFAULT_CHAIN = "mfcc>aegan"
"""The chain ``a2i generate`` runs without ``--chain``: the bundled AE-GAN, no download needed."""

RECIPE_FORMAT = "a2i-recipe/1"
_DEVICES = ("cpu", "cuda", "mps")


@dataclass(frozen=True)
class GenerationRequest:
    """Everything that decides the images: same request, same pixels.

    Attributes:
        audio: The clip to listen to.
        chain: ``encoder>adapter*>generator``.
        seed: Seed of the first image; image ``i`` uses ``seed + i``.
        n: How many images.
        start: Segment start in seconds (``None``: start of the clip).
        end: Segment end in seconds (``None``: end of the clip).
        params: Parameter values by component id, then by name.
        device: ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``None`` for the best available.
        dtype: ``float32``, ``float16``, ``bfloat16`` or ``None`` for the device's default.
        mix: Other clips mixed in, each with its share of the embedding (``(birds.wav, 0.3)``);
            they are encoded whole by the same encoder and the main clip keeps ``1 - sum(shares)``.
    """

    audio: Path
    chain: str = DEFAULT_CHAIN
    seed: int = 0
    n: int = 1
    start: float | None = None
    end: float | None = None
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    device: str | None = None
    dtype: str | None = None
    mix: tuple[tuple[Path, float], ...] = ()


@dataclass(frozen=True)
class GenerationResult:
    """One image, the recipe that reproduces it, and where the gallery put it."""

    image: Image
    recipe: dict[str, Any]
    warnings: tuple[str, ...] = ()
    item: GalleryItem | None = None


def pick_device(requested: str | None = None) -> str:
    """``requested`` if usable, else cuda -> mps -> cpu.

    Raises:
        ParamError: If ``requested`` names a device this machine does not have.
    """
    import torch

    if requested in (None, "", "auto"):
        if torch.cuda.is_available():
            return "cuda"
        if torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    assert requested is not None
    kind = requested.split(":")[0]
    if kind not in _DEVICES:
        raise ParamError(f"Device {requested!r} is unknown; use auto, cpu, cuda, cuda:N or mps.")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ParamError(f"Device {requested!r} was asked for but no CUDA GPU is available; use --device cpu.")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise ParamError(f"Device {requested!r} was asked for but Apple MPS is not available; use --device cpu.")
    return requested


def default_dtype(device: str) -> str:
    """Half precision on GPUs, full precision on the CPU."""
    return "float32" if device == "cpu" else "float16"


def chain_device(chain: Chain, device: str | None, dtype: str | None) -> tuple[str, str]:
    """The device and dtype ``chain`` runs on: as asked (or the best), or the CPU for numpy-only chains.

    Raises:
        ParamError: If ``device`` names a device this machine does not have.
    """
    if any(component.needs_torch for component in chain.components):
        chosen = pick_device(device)
        return chosen, dtype or default_dtype(chosen)
    return "cpu", "float32"  # numpy all the way: no torch import, no device to choose


def request_from_recipe(recipe: Mapping[str, Any], audio_path: Path | None = None) -> GenerationRequest:
    """The request that reproduces the image a recipe came from (one image, its own seed)."""
    if recipe.get("format") != RECIPE_FORMAT:
        raise GalleryError(f"Recipe format {recipe.get('format')!r} is not {RECIPE_FORMAT}; update a2i-studio.")
    segment = recipe.get("segment", {})
    return GenerationRequest(
        audio=Path(audio_path or recipe["audio"]["path"]),
        chain=recipe["chain"],
        seed=int(recipe["seed"]),
        n=1,
        start=segment.get("start"),
        end=segment.get("end"),
        params=recipe.get("params", {}),
        device=recipe.get("device"),
        dtype=recipe.get("dtype"),
        mix=tuple((Path(other["path"]), float(other["weight"])) for other in recipe.get("mix", [])),
    )


class Engine:
    """Runs chains from a registry; keeps loaded components for the next run.

    Args:
        registry: The components (``PluginManager(...).load().registry``).
        gallery: Where finished images go; ``None`` to keep them in memory only.
    """

    def __init__(self, registry: Registry, gallery: Gallery | None = None) -> None:
        self.registry = registry
        self.gallery = gallery
        self._loaded: dict[tuple[str, str], tuple[Component, str, str]] = {}

    def chains(self) -> list[Chain]:
        """Every runnable chain."""
        return find_chains(self.registry)

    def generate(
        self,
        request: GenerationRequest,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> list[GenerationResult]:
        """Run ``request`` and return its images (saved to the gallery when there is one).

        Raises:
            A2IError: For anything the user can fix; ``Cancelled`` if cancelled (nothing saved).
        """
        # 1. Validate everything before any heavy work.
        chain = parse_chain(request.chain, self.registry)
        params = self.resolve_params(chain, request.params)
        if request.n < 1:
            raise ParamError(f"-n {request.n} asks for no images; use 1 or more.")
        _check_mix_shares(request.mix)
        device, dtype = chain_device(chain, request.device, request.dtype)
        seeds = tuple(request.seed + index for index in range(request.n))
        ctx = RunContext(device=device, dtype=dtype, seeds=seeds, progress=progress, cancel=cancel or CancelToken())
        ctx.report(0, 1, "decoding audio")

        # 2. Decode the segment at the encoder's rate; pad short clips, with a warning.
        clips = [audio.load(request.audio, start=request.start, end=request.end, sample_rate=chain.encoder.sample_rate)]
        clips += [audio.load(path, sample_rate=chain.encoder.sample_rate) for path, _ in request.mix]
        shortest = chain.encoder.min_seconds
        clips = [audio.pad_to(clip, shortest) if clip.duration < shortest else clip for clip in clips]
        shares = [1.0 - sum(share for _, share in request.mix), *(share for _, share in request.mix)]

        # 3. Load what the chain needs (kept for the next run), then run it, checking shapes at each joint.
        ctx.report(0, 1, "loading models")
        self.load_chain(chain, device, dtype)
        try:
            images = self._run(chain, [c.samples for c in clips], shares, params, ctx)
        except A2IError:
            raise
        except Exception as error:
            if type(error).__name__ == "OutOfMemoryError":
                raise OutOfMemory(
                    f"The {device} device ran out of memory running {chain.id}; use a smaller image size, "
                    "fewer images (-n), half precision, or --device cpu."
                ) from None
            raise

        # 4. Record the recipe of each image, then hand them to the gallery.
        recipe = self.recipe(request, chain, params, device, dtype)
        results = []
        for seed, image in zip(seeds, images, strict=True):
            image_recipe = {**recipe, "seed": seed}
            item = self.gallery.add(image, image_recipe) if self.gallery is not None else None
            warnings = tuple(warning for c in clips for warning in c.warnings)
            results.append(GenerationResult(image, item.recipe if item else image_recipe, warnings, item))
        return results

    def unload_all(self) -> None:
        """Free every loaded component (after a settings change, or on exit)."""
        for component, _, _ in self._loaded.values():
            component.unload()
        self._loaded.clear()

    def _run(
        self,
        chain: Chain,
        sources: list[Any],
        shares: list[float],
        params: dict[str, dict[str, Any]],
        ctx: RunContext,
    ) -> list[Image]:
        values = []
        for index, samples in enumerate(sources):
            ctx.report(index, len(sources), f"encoding with {chain.encoder.id}")
            values.append(chain.encode(samples, params, ctx))
        value = values[0] if len(values) == 1 else mix_embeddings(values, shares)
        if chain.adapters:
            ctx.report(0, 1, f"adapting with {'>'.join(adapter.id for adapter in chain.adapters)}")
        images = chain.paint(chain.adapt(value, params, ctx), params, ctx)
        ctx.report(1, 1, "done")
        return images

    def resolve_params(self, chain: Chain, given: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """Every component's parameters: ``given`` (by component id, then name) validated, defaults filled.

        Raises:
            ParamError: For a component outside the chain, an unknown name or an invalid value.
        """
        ids = {component.id for component in chain.components}
        unknown = sorted(set(given) - ids)
        if unknown:
            raise ParamError(f"Parameters were given for {unknown[0]!r}, which is not in chain {chain.id}.")
        return {
            component.id: resolve_params(component.params, given.get(component.id, {}), component.id)
            for component in chain.components
        }

    def load_chain(self, chain: Chain, device: str, dtype: str) -> None:
        """Load every component of ``chain`` on ``device`` in ``dtype``; loaded ones are kept for the next run."""
        for component in chain.components:
            self._load(component, device, dtype)

    def _load(self, component: Component, device: str, dtype: str) -> None:
        key = (component.kind, component.id)
        loaded = self._loaded.get(key)
        if loaded is not None and loaded[1:] == (device, dtype):
            return
        if loaded is not None:
            component.unload()
        component.load(device, dtype)
        self._loaded[key] = (component, device, dtype)

    def recipe(
        self, request: GenerationRequest, chain: Chain, params: dict[str, dict[str, Any]], device: str, dtype: str
    ) -> dict[str, Any]:
        """The recipe of ``request`` run as ``chain`` with resolved ``params`` (without the image's own seed)."""
        path = Path(request.audio).resolve()
        return {
            "format": RECIPE_FORMAT,
            "app_version": __version__,
            "created": datetime.now(UTC).isoformat(),
            "audio": {"name": path.name, "path": str(path), "sha256": audio.file_sha256(path)},
            "segment": {"start": request.start, "end": request.end},
            "chain": chain.id,
            "components": [
                {"kind": component.kind, "id": component.id, "version": component.version}
                for component in chain.components
            ],
            "params": params,
            "mix": [
                {"name": other.name, "path": str(other.resolve()), "sha256": audio.file_sha256(other), "weight": share}
                for other, share in request.mix
            ],
            "seed": request.seed,
            "device": device,
            "dtype": dtype,
        }


def _check_mix_shares(mix: tuple[tuple[Path, float], ...]) -> None:
    for path, share in mix:
        if not 0.0 <= share <= 1.0:
            raise ParamError(f"--mix {path.name}:{share} has a share outside 0-1; use e.g. {path.name}:0.3.")
    total = sum(share for _, share in mix)
    if total > 1.0:
        raise ParamError(f"The --mix shares add up to {total:g}; keep them at 1 or less so the main clip counts.")
