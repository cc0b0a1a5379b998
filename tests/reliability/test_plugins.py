"""A plugin cannot take the app down: subprocess runs of the CLI with misbehaving plugins.

Each case runs the real ``a2i`` in a subprocess with a timeout and counts the
lines on stderr: a broken plugin costs exactly one warning line, the command
still does its job, and a plugin's exit code never becomes the command's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"
QUITTER = '''
from a2i_studio.core import MFCC_SUMMARY, Generator
from a2i_studio.hookspecs import hookimpl


class Quitter(Generator):
    id = "quitter"
    input_space = MFCC_SUMMARY
    needs_torch = False

    def generate(self, value, params, ctx):
        raise SystemExit(0)


@hookimpl
def a2i_register_components(registry):
    registry.add_generator(Quitter())
'''


def _a2i(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "a2i_studio.cli", *argv], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


@pytest.fixture
def plugin_file(app_dirs: dict[str, Path]) -> Callable[[str, str | None], Path]:
    """Put a drop-in plugin in place: a file of tests/fixtures by name, or the given source."""
    folder = app_dirs["config"] / "plugins"
    folder.mkdir(parents=True, exist_ok=True)

    def put(name: str, source: str | None = None) -> Path:
        if source is None:
            return Path(shutil.copy(FIXTURES / f"{name}.py", folder / f"{name}.py"))
        (folder / f"{name}.py").write_text(source)
        return folder / f"{name}.py"

    return put


def _warning(name: str, reason: str) -> str:
    return (
        f"warning: Plugin {name} {reason}; it is disabled, the others keep working. "
        "Run 'a2i plugins list' for details."
    )


def test_sys_exit_at_import_costs_one_line_and_generate_still_makes_its_image(
    plugin_file: Callable[..., Path], clip: Path, app_dirs: dict[str, Path]
) -> None:
    plugin_file("exit_at_import")
    plugin_file("exit_three", "import sys\nsys.exit(3)\n")
    run = _a2i("generate", str(clip), "--seed", "1", "--json")
    assert run.returncode == 0
    assert run.stderr.splitlines() == [
        _warning("exit_at_import", "failed while importing exit_at_import.py: called sys.exit(0)"),
        _warning("exit_three", "failed while importing exit_three.py: called sys.exit(3)"),
    ]
    images = json.loads(run.stdout)["images"]
    assert len(images) == 1 and Path(images[0]["path"]).is_file()


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("interrupt_at_import", "failed while importing interrupt_at_import.py: raised KeyboardInterrupt itself "
                                "(no Ctrl-C was pressed)"),
        ("exit_in_hook", "raised in a2i_register_components: called sys.exit(3)"),
    ],
)
def test_keyboard_interrupt_or_exit_of_a_plugin_disables_it_alone(
    plugin_file: Callable[..., Path], fixture: str, reason: str
) -> None:
    plugin_file(fixture)
    run = _a2i("chains", "--json")
    assert run.returncode == 0
    assert run.stderr.splitlines() == [_warning(fixture, reason)]
    chains = [chain["id"] for chain in json.loads(run.stdout)]
    assert "mfcc>aegan" in chains and not any(chain.startswith("halfway") for chain in chains)


def test_a_real_ctrl_c_while_plugins_load_still_interrupts(plugin_file: Callable[..., Path]) -> None:
    plugin_file("real_ctrl_c")
    run = _a2i("chains")
    assert run.returncode == 130
    assert run.stderr.splitlines() == ["error: interrupted; nothing was saved."]


def test_a_generator_that_exits_fails_the_command_and_saves_nothing(
    plugin_file: Callable[..., Path], clip: Path, app_dirs: dict[str, Path]
) -> None:
    plugin_file("quitter", QUITTER)
    run = _a2i("generate", str(clip), "--chain", "mfcc>quitter")
    assert run.returncode == 1
    log = app_dirs["data"] / "logs" / "a2i.log"
    assert run.stderr.splitlines() == [
        "error: generator 'quitter' (plugin quitter) called sys.exit(0); that is a bug in the plugin: report it to "
        f"the plugin's author with the traceback. The traceback is in {log}."
    ]
    assert "raise SystemExit(0)" in log.read_text(encoding="utf-8")
    assert not list(app_dirs["gallery"].rglob("*.png"))


def test_a_slow_import_is_named_with_its_time(plugin_file: Callable[..., Path]) -> None:
    plugin_file("slow_import")
    run = _a2i("chains")
    assert run.returncode == 0
    [line] = run.stderr.splitlines()
    assert line.startswith("warning: plugin slow_import: importing it took 1.")
    assert line.endswith("its author should import heavy libraries inside load(). Run 'a2i plugins list' for details.")
    listed = {plugin["name"]: plugin for plugin in json.loads(_a2i("plugins", "list", "--json").stdout)["plugins"]}
    assert listed["slow_import"]["import_seconds"] > 1.0 and listed["features"]["import_seconds"] < 1.0


def test_a_duplicate_adapter_id_skips_that_file_and_keeps_the_family(app_dirs: dict[str, Path]) -> None:
    folder = app_dirs["models"] / "adapters"
    folder.mkdir(parents=True)
    config = {
        "format": "a2i-mlp-adapter/1", "id": "mlp-rain", "input_space": "vggish", "output_space": "clip-text/sd15",
        "encoder": "vggish", "generator": "sd15", "target": "first-n", "metrics": {},
    }
    for name in ("a.json", "b.json"):
        (folder / name).write_text(json.dumps(config))
    run = _a2i("chains", "--all", "--json")  # vggish's weights are not here: --all lists it all the same
    assert run.returncode == 0
    assert run.stderr.splitlines() == [
        f"warning: plugin mlp_adapter: skipped the adapter config {folder / 'b.json'}: its id 'mlp-rain' is also the "
        "id of a.json; give one of them another id (its 'id' and file names). Run 'a2i plugins list' for details."
    ]
    assert "vggish>mlp-rain>sd15" in [chain["id"] for chain in json.loads(run.stdout)]


def test_safe_mode_skips_drop_ins_without_a_word(plugin_file: Callable[..., Path]) -> None:
    plugin_file("exit_at_import")
    run = _a2i("--safe-mode", "chains")
    assert (run.returncode, run.stderr) == (0, "")
