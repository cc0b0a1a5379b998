"""Bundles: declaration, status, download from a fake hub (cancel, resume, checksums, licence, gate, space), removal,
and every chain's next step."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from fake_hub import TOKEN, FakeHub

from a2i_studio import bundles, config, downloads, weights
from a2i_studio.core import Bundle, CancelToken, Progress, Registry
from a2i_studio.errors import A2IError, Cancelled, CheckpointError, PluginError
from a2i_studio.plugins import PluginManager


def _plugin_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_plugin_for_tests", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def registry(hub: FakeHub, drop_in: Callable[[str], Path]) -> Registry:
    """The bundle test plugin, loaded through the plugin door, with its weights on the fake hub."""
    _plugin_module(drop_in("bundle_plugin")).fill(hub)
    manager = PluginManager(safe_mode=False).load()
    assert manager.record("bundle_plugin") is not None and manager.record("bundle_plugin").status == "active"
    return manager.registry


def test_a_bundle_is_checked_when_it_is_added_and_leaves_with_its_plugin() -> None:
    registry = Registry()
    registry.for_plugin("one").add_bundle(Bundle("duo", "Duo", "Both.", weights=("a", "b"), chains=("enc>gen",)))
    two = registry.for_plugin("two")
    with pytest.raises(PluginError, match="Plugin two adds bundle 'duo', whose id plugin one already took"):
        two.add_bundle(Bundle("duo", "Duo", "Again.", weights=("a",)))
    with pytest.raises(PluginError, match="names no weights"):
        two.add_bundle(Bundle("empty", "Empty", "Nothing.", weights=()))
    with pytest.raises(PluginError, match=r"lists the chain 'enc-gen'; write chains as encoder>\.\.\.>generator"):
        two.add_bundle(Bundle("odd", "Odd", "Bad chain.", weights=("a",), chains=("enc-gen",)))
    assert [bundle.id for bundle in registry.bundles] == ["duo"]
    registry.remove_plugin("one")
    assert registry.bundles == []


def test_status_before_download_names_sizes_licence_and_what_it_unlocks(registry: Registry) -> None:
    statuses = {status.bundle.id: status for status in bundles.bundle_statuses(registry, bundles.locate_all(registry))}
    duo, gated = statuses["hub-duo"], statuses["hub-gated"]
    assert duo.bundle.id == "hub-duo" and [spec.name for spec in duo.missing] == ["hub-enc", "hub-pipe"]
    assert (duo.size_bytes, duo.missing_bytes, duo.disk_status) == (600_400, 600_400, "not downloaded")
    assert not duo.accepted and [licence.name for licence in duo.bundle.must_accept] == ["Test NC 1.0"]
    assert duo.unlocks == ("hub-enc>hub-gen",)
    assert gated.bundle.gated and gated.unlocks == ("hub-enc>mlp-hub-enc-hub-text-gen>hub-text-gen",)


def test_download_into_an_empty_models_folder_makes_the_chain_runnable(
    registry: Registry, hub: FakeHub, app_dirs: dict[str, Path]
) -> None:
    before = {status.chain_id: status for status in bundles.chain_statuses(registry, bundles.locate_all(registry))}
    assert not before["hub-enc>hub-gen"].runnable
    assert before["hub-enc>hub-gen"].reason == (
        "Missing: weights hub-enc (200 B) and hub-pipe (600.2 kB) (not downloaded)."
    )
    assert before["hub-enc>hub-gen"].next_step == "download bundle hub-duo (600.4 kB)"
    bundle = bundles.get_bundle(registry, "hub-duo")
    with pytest.raises(bundles.LicenceNotAccepted, match=r"Test NC 1\.0 \(https://example\.invalid/nc\)"):
        bundles.download_bundle(registry, bundle)
    bundles.accept_licences(bundle)
    assert config.load_settings()["accepted_licences"] == {"hub-duo": ["Test NC 1.0"]}

    reports: list[Progress] = []
    paths = bundles.download_bundle(registry, bundle, reports.append)

    models = app_dirs["models"]
    assert paths == [models / "encoders" / "hub-enc.safetensors", models / "checkpoints" / "hub-pipe"]
    pipe = hub.repos["a2i-test/hub-pipe"]
    assert (paths[1] / "unet" / "diffusion_pytorch_model.safetensors").read_bytes() == pipe[
        "unet/diffusion_pytorch_model.safetensors"
    ]
    assert not (paths[1] / "README.md").exists()  # only the files the spec asks for
    fetched = len(hub.files["hub-enc.safetensors"]) + len(pipe["model_index.json"]) + len(
        pipe["unet/diffusion_pytorch_model.safetensors"]
    )
    assert reports[-1] == Progress(fetched, fetched, "hub-duo downloaded")  # the whole bundle, counted once
    assert all(report.total >= 600_400 for report in reports[:-1])  # its declared size, until it is all in
    assert [report.step for report in reports] == sorted(report.step for report in reports)
    assert any("downloading hub-pipe" in report.stage and "/s" in report.stage for report in reports)
    after = {status.chain_id: status for status in bundles.chain_statuses(registry, bundles.locate_all(registry))}
    assert after["hub-enc>hub-gen"].runnable and after["hub-enc>hub-gen"].actions == ()
    assert bundles.bundle_status(registry, bundle, bundles.locate_all(registry)).disk_status == "installed"


def test_cancel_keeps_what_arrived_and_the_next_download_resumes_it(
    registry: Registry, hub: FakeHub, app_dirs: dict[str, Path]
) -> None:
    bundle = bundles.get_bundle(registry, "hub-duo")
    bundles.accept_licences(bundle)
    hub.chunk_delay = 0.05
    cancel = CancelToken()

    def cancel_midway(progress: Progress) -> None:
        if progress.step > 200_000:
            cancel.cancel()

    with pytest.raises(Cancelled):
        bundles.download_bundle(registry, bundle, cancel_midway, cancel)
    partial = app_dirs["models"] / "checkpoints" / "hub-pipe.partial"
    part = partial / "unet" / "diffusion_pytorch_model.safetensors.part"
    kept = part.stat().st_size
    assert 200_000 < kept < UNET_SIZE
    assert weights.locate(registry.get("generator", "hub-gen").weights[0]) is None  # half a pipeline is not one

    hub.chunk_delay = 0.0
    hub.requests.clear()
    bundles.download_bundle(registry, bundle)
    commit = hub.listing("a2i-test/hub-pipe")["sha"]
    unet = f"/a2i-test/hub-pipe/resolve/{commit}/unet/diffusion_pytorch_model.safetensors"
    assert (unet, f"bytes={kept}-") in hub.requests
    assert not partial.exists()
    data = (app_dirs["models"] / "checkpoints" / "hub-pipe" / "unet" / "diffusion_pytorch_model.safetensors")\
        .read_bytes()
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(
        hub.repos["a2i-test/hub-pipe"]["unet/diffusion_pytorch_model.safetensors"]
    ).hexdigest()


UNET_SIZE = 600_000 + 200  # four float32 header-ish bytes aside: the plugin's 150 000 floats plus a small header


def test_a_cut_connection_is_resumed_within_the_same_download(registry: Registry, hub: FakeHub) -> None:
    bundle = bundles.get_bundle(registry, "hub-duo")
    bundles.accept_licences(bundle)
    hub.cut_after = 100_000
    paths = bundles.download_bundle(registry, bundle)
    ranges = [requested for _, requested in hub.requests]
    assert "bytes=100000-" in ranges
    assert (paths[1] / "model_index.json").is_file()


def test_a_damaged_file_is_deleted_and_named(registry: Registry, hub: FakeHub, app_dirs: dict[str, Path]) -> None:
    bundle = bundles.get_bundle(registry, "hub-duo")
    bundles.accept_licences(bundle)
    hub.wrong.add("unet/diffusion_pytorch_model.safetensors")
    with pytest.raises(CheckpointError, match=r"hub-pipe \(unet/diffusion_pytorch_model\.safetensors\) has sha256"):
        bundles.download_bundle(registry, bundle)
    leftovers = list((app_dirs["models"] / "checkpoints").rglob("*.safetensors*"))
    assert leftovers == []


def test_a_gated_repository_needs_the_token_stored_by_the_login(registry: Registry, hub: FakeHub) -> None:
    import huggingface_hub.constants

    bundle = bundles.get_bundle(registry, "hub-gated")
    with pytest.raises(A2IError, match=r"\(HTTP 401\): it is a gated or private model; .*Hugging Face token"):
        bundles.download_bundle(registry, bundle)
    with pytest.raises(A2IError, match="refused that token"):
        downloads.hub_login("hf_wrong")
    assert downloads.hub_token_file() is None
    assert downloads.hub_login(TOKEN) == "artist"
    assert Path(huggingface_hub.constants.HF_TOKEN_PATH).read_text().strip() == TOKEN
    assert downloads.hub_token_file() == Path(huggingface_hub.constants.HF_TOKEN_PATH)
    (path,) = bundles.download_bundle(registry, bundle)
    assert (path / "model_index.json").is_file()


def test_the_free_space_is_checked_before_anything_is_fetched(registry: Registry, hub: FakeHub) -> None:
    from a2i_studio.core import Generator, Space, WeightSpec

    class Huge(Generator):
        id = "huge-gen"
        input_space = Space("hub-sound", (4,))
        weights = (WeightSpec("huge", "huge.safetensors", "huge weights", size_bytes=10**16, url=hub.url("huge")),)

    registry.add_generator(Huge())
    registry.add_bundle(Bundle("huge", "Huge", "Ten petabytes.", weights=("huge", "hub-enc")))
    with pytest.raises(A2IError, match=r"^Bundle huge needs 10000000\.0 GB more on the disk of .*; free some space"):
        bundles.download_bundle(registry, bundles.get_bundle(registry, "huge"))
    assert hub.requests == []  # not even the small file was fetched


def test_removing_a_bundle_frees_its_space_but_keeps_what_another_installed_bundle_holds(
    registry: Registry, hub: FakeHub, app_dirs: dict[str, Path]
) -> None:
    duo = bundles.get_bundle(registry, "hub-duo")
    bundles.accept_licences(duo)
    bundles.download_bundle(registry, duo)
    another = registry.for_plugin("another")
    another.add_bundle(Bundle("enc-only", "Encoder only", "Just the encoder.", weights=("hub-enc",)))
    freed = bundles.remove_bundle(registry, duo, bundles.locate_all(registry))
    pipe = hub.repos["a2i-test/hub-pipe"]
    assert freed == len(pipe["model_index.json"]) + len(pipe["unet/diffusion_pytorch_model.safetensors"])
    assert not (app_dirs["models"] / "checkpoints" / "hub-pipe").exists()
    assert (app_dirs["models"] / "encoders" / "hub-enc.safetensors").is_file()  # enc-only is installed and keeps it
    status = bundles.bundle_status(registry, duo, bundles.locate_all(registry))
    assert status.disk_status == "1 of 2 downloaded"


def test_every_chain_says_what_it_lacks_and_the_steps_in_order(registry: Registry) -> None:
    statuses = {status.chain_id: status for status in bundles.chain_statuses(registry, bundles.locate_all(registry))}
    lacking = statuses["hub-enc>mlp-hub-enc-hub-text-gen>hub-text-gen"]
    assert lacking.missing_components == (("adapter", "mlp-hub-enc-hub-text-gen"),)
    assert [spec.name for spec in lacking.missing_weights] == ["hub-enc", "hub-gated"]
    # the built-in adapter trainer makes the adapter; both bundles are named, the smallest first
    assert lacking.next_step == (
        "train an adapter for hub-enc → hub-text-gen, then download bundle hub-gated (600.2 kB), "
        "then download bundle hub-duo (600.4 kB)"
    )
    train = lacking.actions[0]
    assert (train.kind, train.trainer, train.encoder, train.generator, train.component) == (
        "train", "adapter", "hub-enc", "hub-text-gen", "mlp-hub-enc-hub-text-gen"
    )
    assert lacking.reason == (
        "Missing: adapter mlp-hub-enc-hub-text-gen (not installed); weights hub-enc (200 B) and hub-gated (600.2 kB) "
        "(not downloaded)."
    )
    assert statuses["mfcc>aegan"].runnable and statuses["mfcc>aegan"].reason == ""
    assert statuses["mfcc-stereo>aegan-sharp"].runnable and statuses["mfcc-stereo>aegan-sharp"].reason == ""


def test_without_a_trainer_that_makes_adapters_the_step_is_a_plugin(registry: Registry) -> None:
    registry.remove_plugin("mlp_adapter")
    status = next(
        status
        for status in bundles.chain_statuses(registry, bundles.locate_all(registry))
        if status.chain_id == "hub-enc>mlp-hub-enc-hub-text-gen>hub-text-gen"
    )
    assert (status.actions[0].kind, status.actions[0].text) == (
        "install", "install a plugin that provides the adapter mlp-hub-enc-hub-text-gen"
    )


def test_settings_keep_other_keys_when_a_licence_is_accepted(registry: Registry) -> None:
    config.save_settings({"theme": "dark"})
    bundles.accept_licences(bundles.get_bundle(registry, "hub-duo"))
    saved = json.loads((config.config_dir() / "settings.json").read_text())
    assert saved == {"theme": "dark", "accepted_licences": {"hub-duo": ["Test NC 1.0"]}}


def test_the_metrics_models_are_bundles_beside_the_plugins(registry: Registry, app_dirs: dict[str, Path]) -> None:
    from a2i_studio.metric_models import CLIP_WEIGHTS

    statuses = bundles.bundle_statuses(registry, bundles.locate_all(registry))
    ids = [status.bundle.id for status in statuses]
    assert ids[-2:] == ["metrics-clip", "metrics-ais"] and "hub-duo" in ids  # the plugins' first, then the metrics'
    clip = statuses[-2]
    assert [spec.name for spec in clip.specs] == ["clip-vit-l14"] and clip.unknown == ()
    assert (clip.size_bytes, clip.disk_status, clip.unlocks) == (1_710_000_000, "not downloaded", ())
    assert clip.accepted  # MIT: nothing to accept
    assert bundles.get_bundle(registry, "metrics-ais").weights == ("openclip-vit-h14",)
    # A copy in the models folder is found like any component's weights.
    folder = config.models_dir() / CLIP_WEIGHTS.subdir / CLIP_WEIGHTS.filename
    folder.mkdir(parents=True)
    for name in CLIP_WEIGHTS.files:
        (folder / name).write_text("{}")
    found = bundles.locate_all(registry)
    assert found["clip-vit-l14"] == folder
    assert bundles.bundle_status(registry, bundles.get_bundle(registry, "metrics-clip"), found).installed
