"""Typed parameter schemas.

A component lists its parameters once; the GUI builds its forms and the CLI its
``--param key=value`` options from these, so nothing is hand-written per
backend. Every value that reaches a component has passed :meth:`Param.validate`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from a2i_studio.errors import ParamError
from a2i_studio.files import regular_file_problem

__all__ = [
    "BoolParam",
    "ChoiceParam",
    "FloatParam",
    "IntParam",
    "Param",
    "PathParam",
    "TextParam",
    "resolve_params",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One parameter: its name, default and help. Subclasses fix the type."""

    kind: ClassVar[str] = ""
    name: str
    default: Any
    help: str = ""

    def parse(self, text: str) -> Any:
        """Turn the text a user typed (``--param name=text``) into a valid value."""
        return self.validate(text)

    def validate(self, value: Any) -> Any:
        """Return ``value`` as this parameter's type, or raise :class:`ParamError`."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (for ``--json`` listings and the GUI)."""
        return {"name": self.name, "kind": self.kind, "default": self.default, "help": self.help}

    def _fail(self, value: Any, expectation: str) -> InvalidValue:
        return InvalidValue(f"Parameter {self.name} got {value!r}: {expectation}.", expectation)


class InvalidValue(ParamError):
    """A value its parameter refuses; ``expectation`` says what would do ("use a value of at most 1.0").

    The registry words a bad *default* as the plugin's error with it, not as the user's.
    """

    def __init__(self, message: str, expectation: str) -> None:
        super().__init__(message)
        self.expectation = expectation


@dataclass(frozen=True)
class _RangeParam(Param):
    minimum: float | None = None
    maximum: float | None = None

    def _check_range(self, value: float) -> None:
        if self.minimum is not None and value < self.minimum:
            raise self._fail(value, f"use a value of at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise self._fail(value, f"use a value of at most {self.maximum}")

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "min": self.minimum, "max": self.maximum}


@dataclass(frozen=True)
class IntParam(_RangeParam):
    """A whole number, optionally bounded."""

    kind: ClassVar[str] = "int"

    def validate(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self._fail(value, "use a whole number")
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise self._fail(value, "use a whole number") from None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise self._fail(value, "use a whole number")
        self._check_range(value)
        return value


@dataclass(frozen=True)
class FloatParam(_RangeParam):
    """A finite real number, optionally bounded."""

    kind: ClassVar[str] = "float"

    def validate(self, value: Any) -> float:
        if isinstance(value, bool):
            raise self._fail(value, "use a number")
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise self._fail(value, "use a number") from None
        if not math.isfinite(number):
            raise self._fail(value, "use a finite number")
        self._check_range(number)
        return number


@dataclass(frozen=True)
class ChoiceParam(Param):
    """One of a fixed list of strings."""

    kind: ClassVar[str] = "choice"
    choices: tuple[str, ...] = ()

    def validate(self, value: Any) -> str:
        if value not in self.choices:
            raise self._fail(value, "choose one of " + ", ".join(self.choices))
        return str(value)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "choices": list(self.choices)}


@dataclass(frozen=True)
class BoolParam(Param):
    """On or off; the CLI accepts true/false, yes/no, on/off, 1/0."""

    kind: ClassVar[str] = "bool"

    def validate(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self._fail(value, "use true or false")


@dataclass(frozen=True)
class TextParam(Param):
    """Free text, such as a prompt."""

    kind: ClassVar[str] = "text"
    max_length: int = 10_000

    def validate(self, value: Any) -> str:
        if not isinstance(value, str):
            raise self._fail(value, "use text")
        if len(value) > self.max_length:
            raise self._fail(value[:20] + "...", f"use at most {self.max_length} characters")
        return value


@dataclass(frozen=True)
class PathParam(Param):
    """A file or folder path, stored as a string so recipes stay JSON.

    A relative path that exists is stored absolute, so that a recipe re-runs
    from any folder; other text (a Hugging Face repo id, say) stays as typed.
    A FIFO, socket, device or symbolic link loop is refused before any
    component opens it (reading one blocks or never ends).
    """

    kind: ClassVar[str] = "path"
    must_exist: bool = False
    suffixes: tuple[str, ...] = field(default=())

    def validate(self, value: Any) -> str:
        if not isinstance(value, (str, Path)):
            raise self._fail(value, "use a file path")
        text = str(value)
        if text == "":
            return text
        path = Path(text).expanduser()
        if path.is_symlink() or path.exists():
            problem = regular_file_problem(path, folder_ok=True)
            if problem is not None:
                raise self._fail(text, f"it {problem}; choose a regular file")
        if self.must_exist and not path.exists():
            raise self._fail(text, "no such file or folder; check the path")
        if self.suffixes and path.suffix.lower() not in self.suffixes:
            raise self._fail(text, "use a file ending in " + " or ".join(self.suffixes))
        if not Path(text).is_absolute() and path.exists():
            return str(path.resolve())
        return text


def resolve_params(schema: Sequence[Param], given: Mapping[str, Any], owner: str) -> dict[str, Any]:
    """Fill defaults and validate ``given`` against ``schema``.

    Args:
        schema: The component's parameters.
        given: Values chosen by the user, by parameter name (already typed, or text).
        owner: The component id, named in the error for an unknown key.

    Returns:
        A dict with one valid value for every parameter in ``schema``.

    Raises:
        ParamError: For an unknown name or an invalid value.
    """
    by_name = {param.name: param for param in schema}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        known = ", ".join(by_name) or "none"
        raise ParamError(f"{owner} has no parameter {unknown[0]!r}; its parameters are: {known}.")
    return {
        name: param.validate(given[name]) if name in given else param.default
        for name, param in by_name.items()
    }
