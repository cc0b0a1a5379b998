"""Chains: encoder -> adapters* -> generator, connected by matching spaces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from a2i_studio.core._components import Adapter, Component, Encoder, Generator, RunContext
from a2i_studio.core._registry import Registry
from a2i_studio.errors import A2IError, ChainError

if TYPE_CHECKING:
    import numpy as np
    from PIL.Image import Image

__all__ = ["Chain", "find_chains", "parse_chain"]

SEPARATOR = ">"


@dataclass(frozen=True)
class Chain:
    """A runnable path from audio to images."""

    encoder: Encoder
    adapters: tuple[Adapter, ...]
    generator: Generator

    @property
    def components(self) -> tuple[Component, ...]:
        """Encoder, adapters and generator, in running order."""
        return (self.encoder, *self.adapters, self.generator)

    @property
    def id(self) -> str:
        """``encoder>adapter>generator``, e.g. ``vggish>mlp>sd15``."""
        return SEPARATOR.join(component.id for component in self.components)

    # The three stages of a run, each checking the tensors at its joints; the engine runs them for a
    # still image, the frame stream once per video frame. ``params`` holds every component's values by id.

    def encode(self, samples: np.ndarray, params: Mapping[str, Mapping[str, Any]], ctx: RunContext) -> Any:
        """The encoder's value for mono ``samples`` at its sample rate, checked against its output space."""
        value = self.encoder.encode(samples, params[self.encoder.id], ctx)
        self.encoder.output_space.check(value, self.encoder.id, "output")
        return value

    def adapt(self, value: Any, params: Mapping[str, Mapping[str, Any]], ctx: RunContext) -> Any:
        """``value`` carried through every adapter, checked at each joint."""
        for adapter in self.adapters:
            adapter.input_space.check(value, adapter.id, "input")
            value = adapter.adapt(value, params[adapter.id], ctx)
            adapter.output_space.check(value, adapter.id, "output")
        return value

    def paint(self, value: Any, params: Mapping[str, Mapping[str, Any]], ctx: RunContext) -> list[Image]:
        """The generator's RGB images for ``value``, one per seed of ``ctx``.

        Raises:
            ShapeError: If ``value`` does not fit the generator's input space.
            A2IError: If the generator made another number of images than seeds.
        """
        generator = self.generator
        generator.input_space.check(value, generator.id, "input")
        images = generator.generate(value, params[generator.id], ctx)
        if len(images) != len(ctx.seeds):
            raise A2IError(
                f"Generator {generator.id} made {len(images)} images for {len(ctx.seeds)} seeds; "
                "report this to the plugin's author."
            )
        return [image.convert("RGB") for image in images]


def find_chains(registry: Registry, max_adapters: int = 2) -> list[Chain]:
    """Every chain whose spaces connect, with up to ``max_adapters`` adapters, sorted by id."""
    chains: list[Chain] = []

    def extend(encoder: Encoder, adapters: tuple[Adapter, ...]) -> None:
        space = adapters[-1].output_space if adapters else encoder.output_space
        chains.extend(
            Chain(encoder, adapters, generator)
            for generator in registry.generators
            if generator.input_space == space
        )
        if len(adapters) < max_adapters:
            for adapter in registry.adapters:
                if adapter.input_space == space and adapter not in adapters:
                    extend(encoder, (*adapters, adapter))

    for encoder in registry.encoders:
        extend(encoder, ())
    return sorted(chains, key=lambda chain: chain.id)


def parse_chain(chain_id: str, registry: Registry) -> Chain:
    """Resolve ``encoder>adapter*>generator`` against ``registry``.

    Raises:
        ChainError: Naming the unknown component, or the two that do not connect.
    """
    ids = [part.strip() for part in chain_id.split(SEPARATOR)]
    if len(ids) < 2 or not all(ids):
        raise ChainError(
            f"Chain {chain_id!r} should read encoder>generator or encoder>adapter>generator; "
            "run 'a2i chains' to see the runnable ones."
        )
    encoder = _lookup(registry, "encoder", ids[0], chain_id)
    adapters = tuple(_lookup(registry, "adapter", part, chain_id) for part in ids[1:-1])
    generator = _lookup(registry, "generator", ids[-1], chain_id)
    chain = Chain(encoder, adapters, generator)  # type: ignore[arg-type]
    components = chain.components
    for left, right in pairwise(components):
        produced = left.output_space  # type: ignore[attr-defined]
        wanted = right.input_space  # type: ignore[attr-defined]
        if produced != wanted:
            raise ChainError(
                f"In chain {chain_id!r}, {left.id} outputs {produced} but {right.id} takes {wanted}; "
                "run 'a2i chains' to see the runnable ones."
            )
    return chain


def _lookup(registry: Registry, kind: str, component_id: str, chain_id: str) -> Component:
    component = registry.get(kind, component_id)
    if component is None:
        known = ", ".join(entry.component.id for entry in registry.all(kind)) or "none installed"
        raise ChainError(f"Chain {chain_id!r} names {kind} {component_id!r}, which is not installed (known: {known}).")
    return component
