"""Bundles: every weights file a set of chains needs, with its licence, as plugins declare them.

A bundle names weights by their :attr:`~a2i_studio.core.WeightSpec.name`, so it
can gather the weights of components from several plugins (ImageBind's encoder
and unCLIP's pipeline make the SounDiff bundle). The model manager and ``a2i
models download BUNDLE`` fetch them together; the chain panel and ``a2i chains
--all`` point at the bundle that makes a chain runnable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from a2i_studio.errors import PluginError

__all__ = ["Bundle", "Licence"]

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class Licence:
    """The terms a set of weights comes under.

    Attributes:
        name: Short name, e.g. ``CC BY-NC 4.0`` or ``CreativeML Open RAIL++-M``.
        url: Where the full text is.
        summary: One or two sentences on what it allows and forbids, shown before a download.
        must_accept: The user must accept it, once, before the weights are downloaded (non-commercial
            or use-restricted terms); the model manager and ``--accept-licence`` record the acceptance.
    """

    name: str
    url: str
    summary: str
    must_accept: bool = False


@dataclass(frozen=True)
class Bundle:
    """Weights that are downloaded together because chains need them together.

    Attributes:
        id: Stable id for ``a2i models download ID``: lowercase letters, digits, ``-``, ``_``, ``.``.
        name: Display name, e.g. ``SounDiff: ImageBind audio + SD 2.1 unCLIP``.
        description: One or two sentences: what it is for and what it needs besides itself.
        weights: Names of the weights it holds (each declared by some component's ``weights``).
        licences: The terms of its weights.
        gated: Some weights come from a gated Hugging Face repository: the user accepts its terms on
            huggingface.co and logs in with a token before the download.
        chains: Chain ids this bundle is for, also those that need a component still to be trained
            (``vggish>mlp-vggish-sd15>sd15``); ``a2i chains --all`` lists them with their next step.
        few_step: Its generator makes an image in a few steps; proposed where there is no GPU.
    """

    id: str
    name: str
    description: str
    weights: tuple[str, ...]
    licences: tuple[Licence, ...] = ()
    gated: bool = False
    chains: tuple[str, ...] = ()
    few_step: bool = False

    @property
    def must_accept(self) -> tuple[Licence, ...]:
        """The licences the user accepts before the download."""
        return tuple(licence for licence in self.licences if licence.must_accept)

    def validate(self) -> None:
        """Check the declaration, so a broken one fails at registration.

        Raises:
            PluginError: For a malformed id, no weights, or a chain id that is not ``a>...>b``.
        """
        if not _ID.match(self.id or ""):
            raise PluginError(f"Bundle id {self.id!r} must be lowercase letters, digits, '-', '_' or '.'.")
        if not self.weights:
            raise PluginError(f"Bundle {self.id} names no weights; list the weights names it holds.")
        for chain in self.chains:
            parts = chain.split(">")
            if len(parts) < 2 or not all(_ID.match(part) for part in parts):
                raise PluginError(f"Bundle {self.id} lists the chain {chain!r}; write chains as encoder>...>generator.")
