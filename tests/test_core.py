"""Spaces, parameters, the registry and chains."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from a2i_studio.core import (
    Adapter,
    BoolParam,
    ChoiceParam,
    Encoder,
    FloatParam,
    Generator,
    IntParam,
    PathParam,
    Registry,
    Space,
    TextParam,
    find_chains,
    parse_chain,
    resolve_params,
)
from a2i_studio.errors import ChainError, ParamError, PluginError, ShapeError

A = Space("a", (4,))
B = Space("b", (2, 3))
C = Space("c", (None, 5))


def _encoder(ident: str, space: Space) -> Encoder:
    return type(ident.title(), (Encoder,), {"id": ident, "output_space": space})()


def _adapter(ident: str, source: Space, target: Space) -> Adapter:
    return type(ident.title(), (Adapter,), {"id": ident, "input_space": source, "output_space": target})()


def _generator(ident: str, space: Space) -> Generator:
    return type(ident.title(), (Generator,), {"id": ident, "input_space": space})()


def test_int_param_parses_text_and_enforces_range() -> None:
    steps = IntParam("steps", 25, minimum=1, maximum=100)
    assert steps.parse("30") == 30
    assert steps.validate(7.0) == 7
    with pytest.raises(ParamError, match=r"steps got 0: use a value of at least 1"):
        steps.parse("0")
    with pytest.raises(ParamError, match="whole number"):
        steps.parse("2.5")
    with pytest.raises(ParamError, match="whole number"):
        steps.validate(True)


def test_float_bool_choice_text_path_params() -> None:
    assert FloatParam("g", 7.5, minimum=0).parse(" 3.25 ") == 3.25
    with pytest.raises(ParamError, match="finite"):
        FloatParam("g", 7.5).parse("nan")
    flag = BoolParam("tiling", False)
    assert [flag.parse(text) for text in ("yes", "OFF", "1", "false")] == [True, False, True, False]
    with pytest.raises(ParamError, match="true or false"):
        flag.parse("maybe")
    scheduler = ChoiceParam("scheduler", "ddim", choices=("ddim", "euler"))
    assert scheduler.parse("euler") == "euler"
    with pytest.raises(ParamError, match="choose one of ddim, euler"):
        scheduler.parse("pndm")
    assert TextParam("prompt", "").parse("a bird") == "a bird"
    with pytest.raises(ParamError, match=r"\.safetensors"):
        PathParam("lora", "", suffixes=(".safetensors",)).parse("x.ckpt")


def test_path_param_stores_an_existing_relative_path_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "sky.png").write_bytes(b"png")
    monkeypatch.chdir(tmp_path)
    image = PathParam("image", "")
    # what a recipe keeps, so that `a2i rerun` works from any folder
    assert image.parse("refs/sky.png") == str(tmp_path / "refs" / "sky.png")
    assert image.parse(str(tmp_path / "refs" / "sky.png")) == str(tmp_path / "refs" / "sky.png")
    # not a file here: a Hugging Face repo id, or a path the loader reports as missing, stays as typed
    assert image.parse("stabilityai/stable-diffusion-2-1") == "stabilityai/stable-diffusion-2-1"
    assert image.parse("") == ""


def test_resolve_params_fills_defaults_and_rejects_unknown_names() -> None:
    schema = (IntParam("steps", 25, minimum=1), FloatParam("guidance", 7.5))
    assert resolve_params(schema, {"steps": 10}, "sd15") == {"steps": 10, "guidance": 7.5}
    with pytest.raises(ParamError, match=r"sd15 has no parameter 'stpes'; its parameters are: steps, guidance"):
        resolve_params(schema, {"stpes": 10}, "sd15")


def test_space_check_names_component_and_both_shapes() -> None:
    A.check(torch.zeros(4), "enc", "output")
    C.check(torch.zeros(7, 5), "enc", "output")
    with pytest.raises(ShapeError, match=r"enc output has shape \(3,\) but space a expects \(4,\)"):
        A.check(torch.zeros(3), "enc", "output")
    with pytest.raises(ShapeError, match=r"gen input has shape \(7, 4\) but space c expects \(N, 5\)"):
        C.check(torch.zeros(7, 4), "gen", "input")
    parts = Space("sd3-like", parts=(("pooled", (4,)), ("sequence", (None, 2))))
    parts.check({"pooled": torch.zeros(4), "sequence": torch.zeros(9, 2)}, "mlp", "output")
    with pytest.raises(ShapeError, match="part 'pooled'"):
        parts.check({"pooled": torch.zeros(5), "sequence": torch.zeros(9, 2)}, "mlp", "output")
    with pytest.raises(ShapeError, match="parts"):
        parts.check(torch.zeros(4), "mlp", "output")


def _registry() -> Registry:
    registry = Registry()
    for space in (A, B, C):
        registry.add_space(space)
    return registry


def test_find_chains_lists_every_connected_path() -> None:
    registry = _registry()
    registry.add_encoder(_encoder("ea", A))
    registry.add_encoder(_encoder("ec", C))
    registry.add_adapter(_adapter("ab", A, B))
    registry.add_adapter(_adapter("ba", B, A))
    registry.add_generator(_generator("gb", B))
    registry.add_generator(_generator("ga", A))
    ids = [chain.id for chain in find_chains(registry)]
    assert ids == ["ea>ab>ba>ga", "ea>ab>gb", "ea>ga"]


def test_parse_chain_explains_unknown_and_mismatched_components() -> None:
    registry = _registry()
    registry.add_encoder(_encoder("ea", A))
    registry.add_adapter(_adapter("ab", A, B))
    registry.add_generator(_generator("ga", A))
    assert parse_chain("ea>ga", registry).id == "ea>ga"
    with pytest.raises(ChainError, match=r"names generator 'sd15', which is not installed \(known: ga\)"):
        parse_chain("ea>sd15", registry)
    with pytest.raises(ChainError, match=r"ab outputs b \(2, 3\) but ga takes a \(4,\)"):
        parse_chain("ea>ab>ga", registry)
    with pytest.raises(ChainError, match="should read encoder>generator"):
        parse_chain("ea", registry)


def test_registry_rejects_duplicates_and_bad_declarations_naming_the_plugin() -> None:
    store = Registry()
    for space in (A, B, C):
        store.add_space(space)
    first, second = store.for_plugin("first"), store.for_plugin("second")
    first.add_encoder(_encoder("ea", A))
    duplicate = r"encoder 'ea' \(plugin second\) has the id of encoder 'ea' \(plugin first\)"
    with pytest.raises(PluginError, match=duplicate):
        second.add_encoder(_encoder("ea", A))
    with pytest.raises(PluginError, match=r"generator 'ea' \(plugin second\) has the id of encoder 'ea'"):
        second.add_generator(_generator("ea", A))  # unique across kinds: chains and recipes name them by id
    with pytest.raises(PluginError, match="lowercase"):
        second.add_encoder(_encoder("Bad Id", A))
    with pytest.raises(PluginError, match="not an instance of an Encoder subclass"):
        second.add_encoder(_generator("ga", A))  # type: ignore[arg-type]
    bad_default = type("Bad", (Generator,), {"id": "bad", "input_space": A, "params": (IntParam("n", 0, minimum=1),)})
    with pytest.raises(
        PluginError,
        match=r"generator 'bad' \(plugin second\) sets parameter 'n' to 0 by default, but its own schema says: "
        r"use a value of at least 1; fix the default or the range in the plugin\.",
    ):
        second.add_generator(bad_default())
    assert store.plugin_of(store.encoders[0]) == "first"
    store.remove_plugin("first")
    assert store.encoders == []


def test_spaces_are_declared_once_and_looked_up_by_name() -> None:
    registry = Registry()
    assert registry.space("vggish") is not None and registry.space("vggish").shape == (128,)  # type: ignore[union-attr]
    toys = registry.for_plugin("toys")
    with pytest.raises(PluginError, match=r"uses space 'mfcc_summary' as its input_space, which no plugin declares; "
                                          r"did you mean 'mfcc-summary'\?"):
        toys.add_generator(_generator("gm", Space("mfcc_summary", (104,))))
    with pytest.raises(PluginError, match=r"uses space vggish \(64,\) as its output_space, but plugin a2i-studio "
                                          r"declared it as vggish \(128,\)"):
        toys.add_encoder(_encoder("ev", Space("vggish", (64,))))
    toys.add_space(A)
    toys.add_space(Space("a", (4,)))  # the same space again changes nothing
    with pytest.raises(PluginError, match=r"declares space a \(5,\), but plugin toys declared a \(4,\)"):
        registry.for_plugin("other").add_space(Space("a", (5,)))
    toys.add_encoder(_encoder("ea", A))
    assert registry.space("a") == A and A in registry.spaces
    assert registry.spaces_by_plugin("toys") == [A]
    registry.remove_plugin("toys")
    assert registry.space("a") is None and registry.encoders == []
