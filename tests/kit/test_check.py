"""``a2i plugins check PATH`` names each usual author mistake in one sentence that says what to fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from a2i_studio.cli import main

HEADER = """\
from a2i_studio.core import MFCC_SUMMARY, Adapter, FloatParam, Generator, Space
from a2i_studio.hookspecs import hookimpl


class Palette(Generator):
    id = "palette"
    input_space = MFCC_SUMMARY

    def generate(self, value, params, ctx):
        from PIL import Image
        return [Image.new("RGB", (8, 8), (seed % 256, 0, 0)) for seed in ctx.seeds]
"""

MISTAKES = {
    "unmarked_hook": (
        "def a2i_register_components(registry):\n    registry.add_generator(Palette())\n",
        "error: function a2i_register_components is not marked @hookimpl, so it would never be called; "
        "decorate it with @hookimpl from a2i_studio.hookspecs.",
    ),
    "misspelled_hook": (
        "@hookimpl\ndef a2i_register_componets(registry):\n    registry.add_generator(Palette())\n",
        "error: function a2i_register_componets is not an a2i-studio hook; did you mean a2i_register_components? "
        "the hooks are a2i_register_spaces, a2i_register_components, a2i_register_trainers (see a2i_studio.hookspecs).",
    ),
    "extra_argument": (
        "@hookimpl\ndef a2i_register_components(registry, colour):\n    pass\n",
        "error: function a2i_register_components takes colour, which hook a2i_register_components does not pass "
        "(it passes registry); take only those arguments, or fewer.",
    ),
    "misspelled_space": (
        "class Grid(Generator):\n    id = 'grid'\n    input_space = Space('mfcc_summary', (104,))\n\n"
        "@hookimpl\ndef a2i_register_components(registry):\n    registry.add_generator(Grid())\n",
        "error: misspelled_space raised in a2i_register_components: generator 'grid' (plugin misspelled_space) uses "
        "space 'mfcc_summary' as its input_space, which no plugin declares; did you mean 'mfcc-summary'? use a space "
        "from a2i_studio.core or declare yours with registry.add_space() in a2i_register_spaces.",
    ),
    "default_out_of_range": (
        "class Tinted(Palette):\n    id = 'tinted'\n    params = (FloatParam('amount', 5.0, 'tint', 0.0, 1.0),)\n\n"
        "@hookimpl\ndef a2i_register_components(registry):\n    registry.add_generator(Tinted())\n",
        "error: default_out_of_range raised in a2i_register_components: generator 'tinted' (plugin "
        "default_out_of_range) sets parameter 'amount' to 5.0 by default, but its own schema says: use a value of at "
        "most 1.0; fix the default or the range in the plugin.",
    ),
    "id_of_another_kind": (
        "class PaletteAdapter(Adapter):\n    id = 'palette'\n    input_space = MFCC_SUMMARY\n"
        "    output_space = MFCC_SUMMARY\n\n"
        "@hookimpl\ndef a2i_register_components(registry):\n"
        "    registry.add_adapter(PaletteAdapter())\n    registry.add_generator(Palette())\n",
        "error: id_of_another_kind raised in a2i_register_components: generator 'palette' (plugin id_of_another_kind) "
        "has the id of adapter 'palette' (plugin id_of_another_kind); encoders, adapters and generators share one "
        "namespace of ids (chains and recipes name them by id), so rename one of them.",
    ),
    "returns_ndarray": (
        "class Raw(Palette):\n    id = 'raw'\n\n    def generate(self, value, params, ctx):\n"
        "        import numpy as np\n        return np.zeros((len(ctx.seeds), 8, 8, 3))\n\n"
        "@hookimpl\ndef a2i_register_components(registry):\n    registry.add_generator(Raw())\n",
        "error: chain mfcc>raw: generator 'raw' (plugin returns_ndarray) returned ndarray; expected a list of PIL "
        "images, one per seed (2).",
    ),
    "returns_one_image": (
        "class One(Palette):\n    id = 'one'\n\n    def generate(self, value, params, ctx):\n"
        "        return super().generate(value, params, ctx)[0]\n\n"
        "@hookimpl\ndef a2i_register_components(registry):\n    registry.add_generator(One())\n",
        "error: chain mfcc>one: generator 'one' (plugin returns_one_image) returned Image; expected a list of PIL "
        "images, one per seed (2).",
    ),
    "seed_leaks": (
        "class Leaky(Palette):\n    id = 'leaky'\n\n    def generate(self, value, params, ctx):\n"
        "        from PIL import Image\n"
        "        return [Image.new('RGB', (8, 8), (sum(ctx.seeds), i, 0)) for i, _ in enumerate(ctx.seeds)]\n\n"
        "@hookimpl\ndef a2i_register_components(registry):\n    registry.add_generator(Leaky())\n",
        "error: chain mfcc>leaky made a different image for seed 1 alone than as the second of seeds 0 and 1; image i "
        "must depend on ctx.seeds[i] alone: draw from ctx.cpu_generators() or ctx.numpy_generators().",
    ),
    "exits_at_import": (
        "import sys\nsys.exit(2)\n",
        "error: importing {path} called sys.exit(2); a plugin must never call sys.exit(); raise an exception that "
        "says what is wrong instead.",
    ),
    "raises_in_hook": (
        "@hookimpl\ndef a2i_register_components(registry):\n    raise ValueError('no palette today')\n",
        "error: raises_in_hook raised in a2i_register_components: ValueError: no palette today.",
    ),
    "registers_nothing": (
        "",
        "warning: the plugin registers nothing; implement one of a2i_register_components, a2i_register_spaces, "
        "a2i_register_trainers with @hookimpl.",
    ),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_check_flags_each_author_mistake_with_what_to_fix(
    mistake: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body, expected = MISTAKES[mistake]
    path = tmp_path / f"{mistake}.py"
    path.write_text(HEADER + "\n\n" + textwrap.dedent(body))
    code = main(["plugins", "check", str(path)])
    out = capsys.readouterr().out.splitlines()
    assert expected.format(path=path) in out
    errors = sum(line.startswith("error:") for line in out)
    assert code == (1 if errors else 0)
    assert out[-1] == f"{path}: {errors} errors, {sum(line.startswith('warning:') for line in out)} warnings."


def test_check_passes_a_good_plugin_after_running_its_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "palette.py"
    hook = "@hookimpl\ndef a2i_register_components(registry):\n    registry.add_generator(Palette())\n"
    path.write_text(HEADER + "\n\n" + hook)
    assert main(["plugins", "check", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        "ok: registers generator:palette.",
        "ok: chain mfcc>palette made 8x8 images, one per seed.",
        f"{path}: 0 errors, 0 warnings.",
    ]


def test_check_refuses_a_path_that_is_no_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "check", "no/such/file.txt"]) == 1
    assert capsys.readouterr().err == (
        "error: no/such/file.txt is neither a .py file, a package folder nor a module name; give one of those.\n"
    )
