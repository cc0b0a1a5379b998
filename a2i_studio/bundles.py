"""Bundles at work: what each holds and unlocks, its download and removal, and every chain's next step.

Plugins declare :class:`~a2i_studio.core.Bundle` s; this module resolves their
weights names against the components' :class:`~a2i_studio.core.WeightSpec` s,
says what is on disk, downloads and removes them (through :mod:`a2i_studio.weights`),
records accepted licences in the settings, and tells for every chain, runnable
or not, what stands in its way and what to do: download a bundle, or train the
adapter it lacks. The CLI (``a2i models``, ``a2i chains --all``) and the app's
model manager and chain panel read the same answers.

The metrics' models (:mod:`a2i_studio.metric_models`) are listed beside the
plugins' bundles and weights. Qt-free; imports core, config, files, weights and
metric_models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from a2i_studio import config, weights
from a2i_studio.core import (
    Bundle,
    CancelToken,
    Generator,
    Progress,
    ProgressCallback,
    Registry,
    Space,
    WeightSpec,
    find_chains,
)
from a2i_studio.errors import A2IError, ParamError
from a2i_studio.files import format_size
from a2i_studio.metric_models import METRIC_BUNDLES, METRIC_WEIGHTS

__all__ = [
    "Action",
    "BundleStatus",
    "ChainStatus",
    "LicenceNotAccepted",
    "accept_licences",
    "all_bundles",
    "bundle_status",
    "bundle_statuses",
    "chain_statuses",
    "download_actions",
    "download_bundle",
    "few_step_alternatives",
    "get_bundle",
    "licences_accepted",
    "locate_all",
    "remove_bundle",
    "spec_for_model",
    "weight_specs",
]

_CHAIN_KINDS = ("encoder", "adapter", "generator")
_SETTING = "accepted_licences"

Found = Mapping[str, Path | None]
"""Where each weights name was found (``None``: missing), as :func:`locate_all` returns it."""


class LicenceNotAccepted(A2IError):
    """A bundle's licence must be accepted before its weights are downloaded."""


def weight_specs(registry: Registry) -> dict[str, WeightSpec]:
    """Every weights spec an encoder, adapter or generator declares, and those the metrics need, by name."""
    specs = {spec.name: spec for needed in METRIC_WEIGHTS.values() for spec in needed}
    specs.update(
        (spec.name, spec)
        for kind in _CHAIN_KINDS
        for entry in registry.all(kind)
        for spec in entry.component.weights
    )
    return specs


def all_bundles(registry: Registry) -> list[Bundle]:
    """The bundles plugins declare, then those of the metrics' models."""
    return [*registry.bundles, *METRIC_BUNDLES]


def locate_all(registry: Registry) -> dict[str, Path | None]:
    """Where every component's weights are, by name (touches the disk: call it off the UI thread)."""
    return {name: weights.locate(spec) for name, spec in weight_specs(registry).items()}


def spec_for_model(registry: Registry, model: str) -> WeightSpec | None:
    """The weights spec a ``model`` setting names (a Hugging Face repo id or weights name), if a component has it.

    A wizard that takes a base model by repo id (the LoRA trainer's ``base``) uses it to tell whether
    that model is on disk and which bundle holds it; a path or an unknown id gives ``None``.
    """
    return next(
        (spec for spec in weight_specs(registry).values() if model in (spec.hf_repo, spec.name)), None
    )


def get_bundle(registry: Registry, bundle_id: str) -> Bundle:
    """The bundle called ``bundle_id``.

    Raises:
        ParamError: If no installed plugin declares it.
    """
    for bundle in all_bundles(registry):
        if bundle.id == bundle_id:
            return bundle
    known = ", ".join(bundle.id for bundle in all_bundles(registry))
    raise ParamError(f"No bundle is called {bundle_id!r}; 'a2i models list' shows them (known: {known}).")


@dataclass(frozen=True)
class BundleStatus:
    """A bundle as it stands on this machine.

    Attributes:
        bundle: The declaration.
        specs: The weights it holds that installed components declare.
        unknown: Weights names it lists that no installed component declares (a plugin is missing).
        found: Where each of :attr:`specs` is, ``None`` where missing.
        accepted: Whether every licence it must have accepted has been.
        unlocks: Chains that run once it is in: the bundle's own, and those whose only missing weights it holds.
    """

    bundle: Bundle
    specs: tuple[WeightSpec, ...]
    unknown: tuple[str, ...]
    found: Found
    accepted: bool
    unlocks: tuple[str, ...]

    @property
    def missing(self) -> tuple[WeightSpec, ...]:
        """The weights still to download."""
        return tuple(spec for spec in self.specs if self.found.get(spec.name) is None)

    @property
    def installed(self) -> bool:
        """Everything it holds is on disk."""
        return not self.missing and not self.unknown

    @property
    def size_bytes(self) -> int:
        """Its declared size (weights of unknown size count 0)."""
        return sum(spec.size_bytes or 0 for spec in self.specs)

    @property
    def missing_bytes(self) -> int:
        """What is left to download (weights of unknown size count 0)."""
        return sum(spec.size_bytes or 0 for spec in self.missing)

    @property
    def disk_status(self) -> str:
        """``installed``, ``not downloaded``, ``2 of 3 downloaded`` or ``needs plugin ...``."""
        if self.unknown:
            return f"needs a plugin that declares {', '.join(self.unknown)}"
        if not self.missing:
            return "installed"
        have = len(self.specs) - len(self.missing)
        return f"{have} of {len(self.specs)} downloaded" if have else "not downloaded"


def bundle_status(registry: Registry, bundle: Bundle, found: Found) -> BundleStatus:
    """How ``bundle`` stands, given where weights were found (:func:`locate_all`)."""
    specs = weight_specs(registry)
    held = tuple(specs[name] for name in bundle.weights if name in specs)
    unknown = tuple(name for name in bundle.weights if name not in specs)
    return BundleStatus(
        bundle=bundle,
        specs=held,
        unknown=unknown,
        found={spec.name: found.get(spec.name) for spec in held},
        accepted=licences_accepted(bundle),
        unlocks=_unlocks(registry, bundle, found),
    )


def bundle_statuses(registry: Registry, found: Found) -> list[BundleStatus]:
    """Every bundle's status: the plugins' sorted by id, then the metrics'."""
    return [bundle_status(registry, bundle, found) for bundle in all_bundles(registry)]


def accept_licences(bundle: Bundle) -> None:
    """Record that the user accepted ``bundle``'s licences (shown to them first)."""
    settings = config.load_settings()
    accepted = dict(settings.get(_SETTING, {}))
    accepted[bundle.id] = sorted({*accepted.get(bundle.id, []), *(licence.name for licence in bundle.must_accept)})
    config.save_settings({**settings, _SETTING: accepted})


def download_bundle(
    registry: Registry,
    bundle: Bundle,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    on_file: Callable[[WeightSpec], None] | None = None,
) -> list[Path]:
    """Download every missing weights file of ``bundle``, after checking licences and free space.

    Args:
        registry: Where the weights names are declared.
        bundle: What to fetch.
        progress: Bytes done of the whole bundle (its declared size is the total until the files are listed).
        cancel: Stops the download between chunks; what arrived is kept and the next call resumes.
        on_file: Called with each spec before its download starts.

    Returns:
        Where each of its weights is, in the bundle's order.

    Raises:
        LicenceNotAccepted: If a licence must be accepted first (:func:`accept_licences`).
        A2IError: If a plugin that declares some of its weights is missing, the disk lacks room, or a
            download fails (see :func:`a2i_studio.weights.download`).
    """
    from a2i_studio import downloads

    status = bundle_status(registry, bundle, {name: None for name in bundle.weights})
    if status.unknown:
        raise A2IError(f"Bundle {bundle.id} needs {', '.join(status.unknown)}, which no installed plugin declares.")
    if not status.accepted:
        names = ", ".join(f"{licence.name} ({licence.url})" for licence in bundle.must_accept)
        raise LicenceNotAccepted(
            f"Bundle {bundle.id} comes under {names}; read it, then accept it in the model manager or run "
            f"'a2i models download {bundle.id} --accept-licence'."
        )
    missing = [spec for spec in status.specs if weights.locate(spec) is None]
    needed = sum(spec.size_bytes or 0 for spec in missing)
    downloads.check_free_space(config.models_dir(), needed, f"Bundle {bundle.id}")
    done = 0  # bytes of the weights fetched before this one: the reports count the whole bundle
    for spec in missing:
        if on_file is not None:
            on_file(spec)
        last = Progress(0, 0)

        def report(step: Progress, before: int = done) -> None:
            nonlocal last
            last = step
            if progress is not None:
                progress(Progress(before + step.step, max(needed, before + step.total), step.stage))

        weights.download(spec, report, cancel)
        done += last.total or spec.size_bytes or 0
    if progress is not None and missing:
        progress(Progress(done, done, f"{bundle.id} downloaded"))
    return [weights.find(spec) for spec in status.specs]


def remove_bundle(registry: Registry, bundle: Bundle, found: Found) -> int:
    """Delete ``bundle``'s weights from the models dir; returns the bytes freed.

    Weights that another installed bundle also holds are kept (SD 1.5 stays while its LCM bundle
    is installed); copies outside the models dir (the Hugging Face cache, files bundled with the
    app) are not the app's to delete.
    """
    others = {
        name
        for status in bundle_statuses(registry, found)
        if status.bundle.id != bundle.id and status.installed
        for name in status.bundle.weights
    }
    specs = weight_specs(registry)
    return sum(weights.remove(specs[name]) for name in bundle.weights if name in specs and name not in others)


@dataclass(frozen=True)
class Action:
    """A step that brings a chain closer to running.

    Attributes:
        kind: ``download`` (a bundle, or loose weights), ``train`` (an adapter) or ``install`` (a plugin).
        text: What the user reads, e.g. ``download bundle soundiff (9.6 GB)``.
        bundle: The bundle to download (``download``).
        trainer: The trainer to run (``train``), the ``encoder`` and ``generator`` it connects, and the id
            the new ``component`` must have for the chain.
        encoder: See ``trainer``.
        generator: See ``trainer``.
        component: See ``trainer``.
    """

    kind: str
    text: str
    bundle: str = ""
    trainer: str = ""
    encoder: str = ""
    generator: str = ""
    component: str = ""


@dataclass(frozen=True)
class ChainStatus:
    """A chain that runs, or could: what it lacks and what to do about it.

    Attributes:
        chain_id: ``encoder>adapter*>generator``.
        missing_components: ``(kind, id)`` of each component that is not installed.
        missing_weights: The weights of its installed components that are not on disk.
        actions: The steps that make it runnable, in order; empty when it runs.
    """

    chain_id: str
    missing_components: tuple[tuple[str, str], ...]
    missing_weights: tuple[WeightSpec, ...]
    actions: tuple[Action, ...]

    @property
    def runnable(self) -> bool:
        """Everything it needs is installed and on disk."""
        return not self.missing_components and not self.missing_weights

    @property
    def reason(self) -> str:
        """One sentence: what is missing (empty when it runs)."""
        parts = [f"{kind} {component_id} (not installed)" for kind, component_id in self.missing_components]
        if self.missing_weights:
            names = [f"{spec.name} ({format_size(spec.size_bytes)})" for spec in self.missing_weights]
            parts.append(f"weights {_and(names)} (not downloaded)")
        return f"Missing: {'; '.join(parts)}." if parts else ""

    @property
    def next_step(self) -> str:
        """The actions as one line, e.g. ``train an adapter for vggish → sd15, then download bundle sd15 (4.3 GB)``."""
        return ", then ".join(action.text for action in self.actions)


def chain_statuses(registry: Registry, found: Found) -> list[ChainStatus]:
    """Every chain whose spaces connect, and every chain a bundle is for, with its next steps; sorted by id."""
    ids = {chain.id for chain in find_chains(registry)}
    ids |= {chain for bundle in registry.bundles for chain in bundle.chains}
    return [_chain_status(registry, chain_id, found) for chain_id in sorted(ids)]


def few_step_alternatives(registry: Registry, found: Found) -> dict[str, list[BundleStatus]]:
    """For each chain whose generator takes many steps, the few-step bundles that paint from the same space.

    A chain ending in ``sd15`` gets the LCM bundle, one ending in ``sd21`` gets SD-Turbo: their
    generators read the same text space, so the same adapter feeds them. Chains whose generator
    has no few-step sibling are left out.
    """
    by_space: dict[Space, list[BundleStatus]] = {}
    fast: set[str] = set()
    for offer in bundle_statuses(registry, found):
        for chain in offer.bundle.chains if offer.bundle.few_step else ():
            generator = registry.get("generator", chain.split(">")[-1])
            if isinstance(generator, Generator):
                fast.add(generator.id)
                by_space.setdefault(generator.input_space, []).append(offer)
    alternatives = {}
    for chain_status in chain_statuses(registry, found):
        generator = registry.get("generator", chain_status.chain_id.split(">")[-1])
        if isinstance(generator, Generator) and generator.id not in fast and generator.input_space in by_space:
            alternatives[chain_status.chain_id] = by_space[generator.input_space]
    return alternatives


def _chain_status(registry: Registry, chain_id: str, found: Found) -> ChainStatus:
    parts = chain_id.split(">")
    kinds = ["encoder", *(["adapter"] * (len(parts) - 2)), "generator"]
    components = [(kind, part, registry.get(kind, part)) for kind, part in zip(kinds, parts, strict=True)]
    missing_components = tuple((kind, part) for kind, part, component in components if component is None)
    missing_weights = tuple(
        {
            spec.name: spec
            for _, _, component in components
            if component is not None
            for spec in component.weights
            if found.get(spec.name) is None
        }.values()
    )
    actions = [_train_action(registry, parts, kind, component_id) for kind, component_id in missing_components]
    actions += download_actions(registry, missing_weights, found)
    return ChainStatus(chain_id, missing_components, missing_weights, tuple(actions))


def _train_action(registry: Registry, parts: list[str], kind: str, component_id: str) -> Action:
    trainer = next((trainer for trainer in registry.trainers if trainer.makes == kind), None)
    encoder, generator = parts[0], parts[-1]
    if trainer is None:
        return Action("install", f"install a plugin that provides the {kind} {component_id}")
    return Action(
        "train", f"train an {kind} for {encoder} → {generator}", trainer=trainer.id, encoder=encoder,
        generator=generator, component=component_id,
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def download_actions(registry: Registry, missing: Iterable[WeightSpec], found: Found) -> list[Action]:
    """How to get ``missing``: the smallest bundles that hold them; weights no bundle holds are named on their own."""
    left = {spec.name: spec for spec in missing}
    actions = []
    statuses = sorted(bundle_statuses(registry, found), key=lambda status: (status.missing_bytes, status.bundle.id))
    while left:
        covering = [status for status in statuses if left.keys() <= set(status.bundle.weights)]
        partial = [status for status in statuses if left.keys() & set(status.bundle.weights)]
        chosen = next(iter(covering or partial), None)
        if chosen is None:
            names = ", ".join(sorted(left))
            actions.append(Action("download", f"download {names} ('a2i models download NAME')"))
            break
        size = format_size(chosen.missing_bytes) if chosen.missing_bytes else "size unknown"
        actions.append(Action("download", f"download bundle {chosen.bundle.id} ({size})", bundle=chosen.bundle.id))
        for name in chosen.bundle.weights:
            left.pop(name, None)
    return actions


def licences_accepted(bundle: Bundle) -> bool:
    """Whether every licence ``bundle`` must have accepted has been (read from the settings now)."""
    accepted = set(config.load_settings().get(_SETTING, {}).get(bundle.id, []))
    return all(licence.name in accepted for licence in bundle.must_accept)


def _unlocks(registry: Registry, bundle: Bundle, found: Found) -> tuple[str, ...]:
    held = set(bundle.weights)
    chains = set(bundle.chains)
    for chain in find_chains(registry):
        needed = {spec.name for component in chain.components for spec in component.weights}
        missing = {name for name in needed if found.get(name) is None}
        if needed & held and missing <= held:
            chains.add(chain.id)
    return tuple(sorted(chains))
