"""The engine: runs a chain on a clip and hands the images to the gallery.

Qt-free; torch is imported only when a chain runs. Faces (CLI, GUI) build a
:class:`GenerationRequest`, call :meth:`Engine.generate` with a progress
callable and a cancel token, and show the :class:`GenerationResult` list.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio import __version__, audio
from a2i_studio.core import (
    CancelToken,
    Chain,
    Component,
    Encoder,
    ProgressCallback,
    Registry,
    RunContext,
    find_chains,
    mix_embeddings,
    parse_chain,
    resolve_params,
)
from a2i_studio.errors import A2IError, ChainError, GalleryError, OutOfMemory, ParamError, PluginBug, PluginError
from a2i_studio.files import regular_file_problem
from a2i_studio.recipes import check_recipe, check_seed

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.gallery import Gallery, GalleryItem

__all__ = [
    "DEFAULT_CHAIN",
    "ENCODER_DTYPE",
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

DEFAULT_CHAIN = "mfcc-stereo>aegan-sharp"
"""The chain ``a2i generate`` runs without ``--chain``: the bundled 128 px AE-GAN, no download needed."""

RECIPE_FORMAT = "a2i-recipe/1"
ENCODER_DTYPE = "float32"
"""Encoders run in float32 on every device: their official pipelines do, and half precision moves the
embedding (ImageBind's fixed x20 output scale alone becomes 20.007 in float16). The embedding is cast to
the request's dtype for the adapters and the generator; benchmarks/bench_imagebind.py measures the cost."""
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
        dtype: ``float32``, ``float16``, ``bfloat16`` or ``None`` for the device's default; it applies to
            the adapters and the generator, while the encoder always runs in :data:`ENCODER_DTYPE`.
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
    if not any(component.needs_torch for component in chain.components):
        return "cpu", "float32"  # numpy all the way: no torch import, no device to choose
    chosen = pick_device(device)
    return chosen, dtype or default_dtype(chosen)


def request_from_recipe(
    recipe: Mapping[str, Any], audio_path: Path | None = None, *, source: str = "the image"
) -> GenerationRequest:
    """The request that reproduces the image a recipe came from (one image, its own seed).

    The engine owns re-runs, so the CLI and the GUI make the same checks: the
    recipe's fields, then that the source audio and every mixed-in sound are
    still regular files with the sha256 the recipe recorded. It reads and hashes
    those files: call it off the UI thread.

    Args:
        recipe: The recipe stored in the image (:func:`~a2i_studio.gallery.read_recipe`).
        audio_path: Where the source audio is now, if it moved.
        source: The image, as errors name it (``"rain-12.png"``).

    Raises:
        GalleryError: If the recipe is of another format or a field is missing or of the wrong kind.
        AudioError: If the audio or a mixed-in sound is not a regular file (a FIFO, say) or too large.
        A2IError: If the audio or a mixed-in sound is gone or changed since the image was made.
    """
    recipe = check_recipe(dict(recipe), source)
    if recipe.get("format") != RECIPE_FORMAT:
        raise GalleryError(f"Recipe format {recipe.get('format')!r} is not {RECIPE_FORMAT}; update a2i-studio.")
    try:
        segment = recipe.get("segment") or {}
        request = GenerationRequest(
            audio=Path(audio_path or recipe["audio"]["path"]),
            chain=recipe["chain"],
            seed=recipe["seed"],
            n=1,
            start=_optional_float(segment.get("start")),
            end=_optional_float(segment.get("end")),
            params=recipe.get("params") or {},
            device=recipe.get("device"),
            dtype=recipe.get("dtype"),
            mix=tuple((Path(other["path"]), float(other["weight"])) for other in recipe.get("mix") or []),
        )
        expected = [recipe["audio"]["sha256"], *(str(other["sha256"]) for other in recipe.get("mix") or [])]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise GalleryError(
            f"The recipe in {source} is damaged ({type(error).__name__}: {error}); it cannot be re-run."
        ) from None
    problem = regular_file_problem(request.audio)
    if problem is not None:
        raise A2IError(
            f"The source audio {request.audio} of {source} {problem}; put the original back, or pass its new "
            "place (a2i rerun --audio)."
        )
    if audio.file_sha256(request.audio) != expected[0]:
        raise A2IError(
            f"{request.audio} is not the audio {source} was made from (its sha256 differs); "
            "pass the original (a2i rerun --audio)."
        )
    for (other, _), sha256 in zip(request.mix, expected[1:], strict=True):
        problem = regular_file_problem(other)
        if problem is not None or audio.file_sha256(other) != sha256:
            raise A2IError(
                f"The mixed-in sound {other} of {source} {problem or 'changed'}; put the original back there "
                "to re-run it."
            )
    return request


def _optional_float(value: object) -> float | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"segment bound {value!r} is not a number")
    return None if value is None else float(value)


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
        chain, params, device, dtype = self._plan(request)
        seeds = tuple(request.seed + index for index in range(request.n))
        ctx = RunContext(device=device, dtype=dtype, seeds=seeds, progress=progress, cancel=cancel or CancelToken())
        ctx.report(0, 1, "decoding audio")

        # 2. Decode the segment as the encoder reads audio; short clips are padded, with a warning.
        clips = [chain.encoder.read(request.audio, request.start, request.end)]
        clips += [chain.encoder.read(path) for path, _ in request.mix]
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
        recipe = self._recipe(request, chain, params, device, dtype)
        results = []
        for seed, image in zip(seeds, images, strict=True):
            image_recipe = {**recipe, "seed": seed}
            item = self.gallery.add(image, image_recipe) if self.gallery is not None else None
            warnings = tuple(warning for c in clips for warning in c.warnings)
            results.append(GenerationResult(image, item.recipe if item else image_recipe, warnings, item))
        return results

    def recipe(self, request: GenerationRequest) -> dict[str, Any]:
        """The recipe of the first image ``request`` would make, without running the chain.

        Batch runs compare it (through :func:`a2i_studio.gallery.recipe_key`) with what the
        gallery holds, to skip work already done.

        Raises:
            A2IError: For an unknown chain, a bad parameter or an unreadable audio file.
        """
        chain, params, device, dtype = self._plan(request)
        return self._recipe(request, chain, params, device, dtype)

    def embed(self, path: Path, encoder_id: str, device: str | None = None) -> Any:
        """The embedding of the whole clip ``path`` by encoder ``encoder_id`` at its default parameters.

        Metrics such as AIS compare it with image embeddings of the same space.

        Raises:
            ChainError: If no such encoder is installed.
            A2IError: For an unreadable clip or missing weights.
        """
        encoder = self.registry.get("encoder", encoder_id)
        if not isinstance(encoder, Encoder):
            raise ChainError(f"No encoder {encoder_id!r} is installed; 'a2i plugins list' shows the components.")
        device = pick_device(device) if encoder.needs_torch else "cpu"
        dtype = "float32"
        self._load(encoder, device, dtype)
        ctx = RunContext(device=device, dtype=dtype, seeds=(0,))
        return encoder.encode(encoder.read(path).samples, resolve_params(encoder.params, {}, encoder.id), ctx)

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
            values.append(self.encode(chain, samples, params, ctx))
        value = values[0] if len(values) == 1 else mix_embeddings(values, shares)
        images = self.paint(chain, self.adapt(chain, value, params, ctx), params, ctx)
        ctx.report(1, 1, "done")
        return images

    # The three stages of a run, each checking the values at its joints and naming the plugin of a bug: the
    # engine runs them for still images, a frame stream once per video frame. ``params`` is by component id.

    def encode(self, chain: Chain, samples: Any, params: Mapping[str, Mapping[str, Any]], ctx: RunContext) -> Any:
        """The encoder's value for ``samples`` (as :meth:`Encoder.read` gives them), run in float32."""
        encoder = chain.encoder
        with self._blame(encoder):
            value = encoder.encode(samples, params[encoder.id], replace(ctx, dtype=ENCODER_DTYPE))
        encoder.output_space.check(value, self.registry.label(encoder), "output")
        return value

    def adapt(self, chain: Chain, value: Any, params: Mapping[str, Mapping[str, Any]], ctx: RunContext) -> Any:
        """An encoder's ``value`` in the chain's dtype, carried through every adapter."""
        label = self.registry.label
        if chain.encoder.needs_torch and ctx.dtype != ENCODER_DTYPE:  # a numpy value is converted by its reader
            value = value.to(ctx.torch_dtype)
        for adapter in chain.adapters:
            ctx.report(0, 1, f"adapting with {adapter.id}")
            adapter.input_space.check(value, label(adapter), "input")
            with self._blame(adapter):
                value = adapter.adapt(value, params[adapter.id], ctx)
            adapter.output_space.check(value, label(adapter), "output")
        return value

    def paint(self, chain: Chain, value: Any, params: Mapping[str, Mapping[str, Any]], ctx: RunContext) -> list[Image]:
        """The generator's RGB images for ``value``, one per seed of ``ctx``."""
        generator = chain.generator
        generator.input_space.check(value, self.registry.label(generator), "input")
        with self._blame(generator):
            images = generator.generate(value, params[generator.id], ctx)
        _check_images(images, len(ctx.seeds), self.registry.label(generator))
        return [image.convert("RGB") for image in images]

    def _plan(self, request: GenerationRequest) -> tuple[Chain, dict[str, dict[str, Any]], str, str]:
        chain = parse_chain(request.chain, self.registry)
        params = self.resolve_params(chain, request.params)
        if request.n < 1:
            raise ParamError(f"-n {request.n} asks for no images; use 1 or more.")
        check_seed(request.seed)
        check_seed(request.seed + request.n - 1, f"The last seed (seed {request.seed} + {request.n - 1})")
        _check_mix_shares(request.mix)
        return chain, params, *chain_device(chain, request.device, request.dtype)

    @contextmanager
    def _blame(self, component: Component) -> Iterator[None]:
        """Name the plugin and the component in an error their code raises that is not an A2IError.

        Such an error is a bug in the plugin (or its ``sys.exit``): it becomes a
        :class:`PluginBug` that says whose, with the original as its cause, whose traceback
        the faces log. Out-of-memory errors pass through.
        """
        try:
            yield
        except A2IError:
            raise
        except (Exception, SystemExit) as error:
            if type(error).__name__ == "OutOfMemoryError":
                raise
            what = f"called sys.exit({error.code!r})" if isinstance(error, SystemExit) else (
                f"raised {type(error).__name__}: {' '.join(str(error).split())[:300]}"
            )
            raise PluginBug(
                f"{self.registry.label(component)} {what}; that is a bug in the plugin: report it to the plugin's "
                "author with the traceback."
            ) from error

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
        """Load every component of ``chain`` on ``device`` (its encoder in float32); they are kept for the next run."""
        for component in chain.components:
            self._load(component, device, ENCODER_DTYPE if component is chain.encoder else dtype)

    def _load(self, component: Component, device: str, dtype: str) -> None:
        key = (component.kind, component.id)
        loaded = self._loaded.get(key)
        if loaded is not None and loaded[1:] == (device, dtype):
            return
        with self._blame(component):
            if loaded is not None:
                component.unload()
            component.load(device, dtype)
        self._loaded[key] = (component, device, dtype)

    def _recipe(
        self, request: GenerationRequest, chain: Chain, params: dict[str, dict[str, Any]], device: str, dtype: str
    ) -> dict[str, Any]:
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


def _check_images(images: Any, seeds: int, label: str) -> None:
    """The generator contract: a list of PIL images, one per seed."""
    from PIL.Image import Image as PILImage

    expected = f"expected a list of PIL images, one per seed ({seeds})"
    if not isinstance(images, list):
        raise PluginError(f"{label} returned {type(images).__name__}; {expected}.")
    odd = next((image for image in images if not isinstance(image, PILImage)), None)
    if odd is not None:
        raise PluginError(f"{label} returned a list holding {type(odd).__name__}; {expected}.")
    if len(images) != seeds:
        raise PluginError(f"{label} returned {len(images)} images; {expected}.")


def _check_mix_shares(mix: tuple[tuple[Path, float], ...]) -> None:
    for path, share in mix:
        if not 0.0 <= share <= 1.0:
            raise ParamError(f"--mix {path.name}:{share} has a share outside 0-1; use e.g. {path.name}:0.3.")
    total = sum(share for _, share in mix)
    if total > 1.0:
        raise ParamError(f"The --mix shares add up to {total:g}; keep them at 1 or less so the main clip counts.")
