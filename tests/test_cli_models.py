"""``a2i models download|remove|list`` with bundles, and ``a2i chains --all``, against the fake hub."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_hub import FakeHub

from a2i_studio.cli import main
from a2i_studio.files import format_size


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bundle_plugin(hub: FakeHub, drop_in: Callable[[str], Path]) -> None:
    spec = importlib.util.spec_from_file_location("bundle_plugin_for_cli", drop_in("bundle_plugin"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.fill(hub)


def test_download_a_bundle_see_its_chain_run_then_remove_it(
    capsys: pytest.CaptureFixture[str], bundle_plugin: None, hub: FakeHub, app_dirs: dict[str, Path], clip: Path
) -> None:
    code, out, _ = _run(capsys, "chains")
    assert "hub-enc>hub-gen" not in out and "more need a download or a trained adapter" in out
    code, out, _ = _run(capsys, "chains", "--all", "--json")
    listed = {row["id"]: row for row in json.loads(out)}
    assert listed["hub-enc>hub-gen"]["runnable"] is False
    assert listed["hub-enc>hub-gen"]["next_step"] == "download bundle hub-duo (600.4 kB)"
    assert listed["hub-enc>hub-gen"]["actions"][0]["bundle"] == "hub-duo"

    code, _, err = _run(capsys, "models", "download", "hub-duo")
    assert code == 1
    assert err.startswith("error: Bundle hub-duo comes under Test NC 1.0 (https://example.invalid/nc); read it")
    assert "--accept-licence" in err and not (app_dirs["models"] / "encoders").exists()

    code, out, _ = _run(capsys, "models", "download", "hub-duo", "--accept-licence")
    assert code == 0
    assert "hub-duo comes under Test NC 1.0 (https://example.invalid/nc): Non-commercial use only." in out
    assert f"hub-duo: hub-pipe: {app_dirs['models'] / 'checkpoints' / 'hub-pipe'}" in out

    code, out, _ = _run(capsys, "models", "list", "--json")
    duo = next(row for row in json.loads(out)["bundles"] if row["id"] == "hub-duo")
    assert (duo["status"], duo["accepted"], duo["unlocks"]) == ("installed", True, ["hub-enc>hub-gen"])
    code, out, _ = _run(capsys, "generate", str(clip), "--chain", "hub-enc>hub-gen", "--json")
    assert code == 0 and len(json.loads(out)["images"]) == 1

    code, out, _ = _run(capsys, "models", "remove", "hub-duo")
    pipe = hub.repos["a2i-test/hub-pipe"]
    unet = pipe["unet/diffusion_pytorch_model.safetensors"]
    on_disk = sum(map(len, (hub.files["hub-enc.safetensors"], pipe["model_index.json"], unet)))
    assert code == 0 and out.strip() == f"hub-duo: removed, {format_size(on_disk)} freed"
    assert not (app_dirs["models"] / "checkpoints" / "hub-pipe").exists()
    code, _, err = _run(capsys, "models", "remove", "nothing-such")
    assert code == 1 and "No bundle or weights is called 'nothing-such'" in err


def test_list_shows_bundles_with_size_licence_gate_and_status(
    capsys: pytest.CaptureFixture[str], bundle_plugin: None
) -> None:
    code, out, _ = _run(capsys, "models", "list")
    assert code == 0
    assert (
        "  hub-duo            Hub duo: encoder + pipeline  [600.4 kB, Test NC 1.0 (to accept)]  not downloaded" in out
    )
    assert "  hub-gated          Gated pipeline (for trained adapters)  [600.2 kB, no licence, gated: log in to " \
           "huggingface.co]  not downloaded" in out
    assert "for hub-enc>mlp-hub-enc-hub-text-gen>hub-text-gen" in out
