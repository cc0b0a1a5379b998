"""Chains: encoder -> adapters* -> generator, connected by matching spaces."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from a2i_studio.core._components import Adapter, Component, Encoder, Generator
from a2i_studio.core._registry import Registry
from a2i_studio.errors import ChainError

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
