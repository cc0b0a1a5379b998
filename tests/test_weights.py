"""The weights manager: lookup order, format checks, safe loading, and the resuming downloader."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from a2i_studio import weights
from a2i_studio.core import Progress, WeightSpec
from a2i_studio.errors import A2IError, CheckpointError, WeightsMissing


@dataclass
class FileServer:
    """A local HTTP server for one file, with Range support and a mode that cuts the connection."""

    body: bytes
    cut_after: int | None = None
    ranges: list[str | None] = field(default_factory=list)
    port: int = 0

    def url(self, name: str = "model.safetensors") -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def server() -> Iterator[FileServer]:
    state = FileServer(body=b"")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/missing.safetensors":
                self.send_error(404, "Not Found")
                return
            requested = self.headers.get("Range")
            state.ranges.append(requested)
            start = int(requested.removeprefix("bytes=").rstrip("-")) if requested else 0
            payload = state.body[start:]
            self.send_response(206 if requested else 200)
            self.send_header("Content-Length", str(len(payload)))
            if requested:
                self.send_header("Content-Range", f"bytes {start}-{len(state.body) - 1}/{len(state.body)}")
            self.end_headers()
            if state.cut_after is not None:
                self.wfile.write(payload[: state.cut_after])
                state.cut_after = None  # only the first response is cut
                self.close_connection = True
                return
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def _safetensors_bytes(tmp_path: Path, size: int = 4096) -> bytes:
    path = tmp_path / "source.safetensors"
    save_file({"weight": torch.arange(size, dtype=torch.float32)}, path)
    return path.read_bytes()


def _spec(url: str, sha256: str | None = None) -> WeightSpec:
    return WeightSpec("toy", "toy.safetensors", "toy weights", sha256=sha256, url=url, subdir="encoders")


def test_download_resumes_after_a_cut_connection(server: FileServer, tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    server.body = _safetensors_bytes(tmp_path)
    server.cut_after = 5000
    reports: list[Progress] = []
    spec = _spec(server.url(), hashlib.sha256(server.body).hexdigest())
    path = weights.download(spec, reports.append)
    assert path == app_dirs["models"] / "encoders" / "toy.safetensors"
    assert path.read_bytes() == server.body
    assert server.ranges == [None, "bytes=5000-"]
    assert reports[-1].step == reports[-1].total == len(server.body)
    assert not path.with_name("toy.safetensors.part").exists()
    assert weights.load_state_dict(path)["weight"][-1].item() == 4095.0


def test_a_part_file_left_by_an_earlier_run_is_continued(server: FileServer, tmp_path: Path) -> None:
    server.body = _safetensors_bytes(tmp_path)
    spec = _spec(server.url(), hashlib.sha256(server.body).hexdigest()[:8])  # a torch.hub-style prefix
    part = weights.user_path(spec).with_name("toy.safetensors.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(server.body[:1234])
    assert weights.download(spec).read_bytes() == server.body
    assert server.ranges == ["bytes=1234-"]


def test_a_bad_checksum_deletes_the_download(server: FileServer, tmp_path: Path) -> None:
    server.body = _safetensors_bytes(tmp_path)
    spec = _spec(server.url(), "0" * 64)
    with pytest.raises(CheckpointError, match=r"has sha256 [0-9a-f]{16}\.\.\., not the expected 0000"):
        weights.download(spec)
    assert list(weights.user_path(spec).parent.iterdir()) == []


def test_a_404_names_the_address_and_the_weights(server: FileServer) -> None:
    spec = _spec(server.url("missing.safetensors"))
    with pytest.raises(WeightsMissing, match=r"^Downloading toy from http://127\.0\.0\.1:\d+/missing\.safetensors "
                                             r"failed with HTTP 404 Not Found;"):
        weights.download(spec)


def test_a_connection_that_keeps_failing_says_how_to_resume() -> None:
    spec = _spec("http://127.0.0.1:9/never.safetensors")  # the discard port: connection refused
    with pytest.raises(A2IError, match=r"again \('a2i models download toy' or the model manager\) to resume"):
        weights.download(spec)


def test_lookup_order_explicit_then_models_dir_then_hf_cache(
    tmp_path: Path, app_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    cache = tmp_path / "hf"
    snapshot = cache / "models--org--toy" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (cache / "models--org--toy" / "refs").mkdir()
    (cache / "models--org--toy" / "refs" / "main").write_text("abc123")
    (snapshot / "toy.safetensors").write_bytes(_safetensors_bytes(tmp_path, 4))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    spec = WeightSpec("toy", "toy.safetensors", "toy weights", hf_repo="org/toy", subdir="loras")

    assert weights.find(spec) == snapshot / "toy.safetensors"
    user = app_dirs["models"] / "loras" / "toy.safetensors"
    user.parent.mkdir(parents=True)
    user.write_bytes(_safetensors_bytes(tmp_path, 4))
    assert weights.find(spec) == user
    assert weights.find(spec, explicit=snapshot / "toy.safetensors") == snapshot / "toy.safetensors"
    with pytest.raises(WeightsMissing, match=r"^The weights file .*nowhere\.safetensors given for toy does not exist"):
        weights.find(spec, explicit=tmp_path / "nowhere.safetensors")


def test_a_multi_file_spec_is_found_as_a_complete_hf_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    cache = tmp_path / "hf"
    repo = cache / "models--org--pipe"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("c0ffee")
    snapshot = repo / "snapshots" / "c0ffee"
    (snapshot / "unet").mkdir(parents=True)
    (snapshot / "model_index.json").write_text("{}")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    spec = WeightSpec("pipe", "pipe", "toy pipeline", hf_repo="org/pipe", files=("model_index.json", "unet/*"))
    assert weights.locate(spec) is None  # unet/ is still empty: an incomplete snapshot is not found
    (snapshot / "unet" / "config.json").write_text("{}")
    assert weights.locate(spec) == snapshot


def test_missing_weights_are_one_sentence_with_places_and_command(app_dirs: dict[str, Path]) -> None:
    spec = WeightSpec("toy", "toy.pth", "toy weights", hf_repo="org/toy", subdir="encoders")
    with pytest.raises(WeightsMissing) as caught:
        weights.find(spec)
    message = str(caught.value)
    assert message == (
        f"The toy weights (toy) are missing: looked in {app_dirs['models'] / 'encoders' / 'toy.pth'} "
        "and the Hugging Face cache (org/toy); run 'a2i models download toy'."
    )


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("html.safetensors", b"<!DOCTYPE html><html>not found</html>"),
        ("zip.safetensors", b"PK\x03\x04" + b"\x00" * 64),
        ("text.pth", b"{\"weight\": [1, 2, 3]}"),
        ("huge-header.safetensors", (10_000).to_bytes(8, "little") + b"{}"),
        ("model.onnx", b"\x08\x07"),
    ],
)
def test_bytes_that_do_not_match_the_extension_are_refused(tmp_path: Path, name: str, payload: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(payload)
    with pytest.raises(CheckpointError, match=str(path)):
        weights.load_state_dict(path)


def test_pickles_load_weights_only_and_numpy_arrays_only_when_allowed(tmp_path: Path) -> None:
    tensors = tmp_path / "tensors.pth"
    torch.save({"pca_means": torch.ones(3)}, tensors)
    assert weights.check_format(tensors) == "pickle"
    assert weights.load_state_dict(tensors)["pca_means"].tolist() == [1.0, 1.0, 1.0]

    arrays = tmp_path / "arrays.pth"
    torch.save({"pca_means": np.arange(3, dtype=np.float64)}, arrays)
    with pytest.raises(CheckpointError, match=r"holds more than weights \(it asks to call numpy\._core"):
        weights.load_state_dict(arrays)
    assert weights.load_state_dict(arrays, numpy_arrays=True)["pca_means"].tolist() == [0.0, 1.0, 2.0]

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("code ran",))

    hostile = tmp_path / "hostile.pth"
    torch.save({"weight": Payload()}, hostile)
    with pytest.raises(CheckpointError, match=r"asks to call print when loaded\), which a2i-studio never runs"):
        weights.load_state_dict(hostile, numpy_arrays=True)


NUMPY1_PICKLE = Path(__file__).parent / "plugins" / "data" / "vggish_pca_numpy1.pth"
"""Arrays pickled by numpy 1.26 in torch's legacy format, as VGGish's PCA release (make_vggish_pca_numpy1.py)."""


def test_numpy_1_array_pickles_load_and_no_other_name_does(tmp_path: Path) -> None:
    original = NUMPY1_PICKLE.read_bytes()
    reconstruct = b"cnumpy.core.multiarray\n_reconstruct\n"
    assert reconstruct in original and b"numpy._core" not in original
    state = weights.load_state_dict(NUMPY1_PICKLE, numpy_arrays=True)
    assert state["pca_eigen_vectors"].shape == (128, 128) and state["pca_eigen_vectors"].dtype == np.float64
    assert state["pca_means"].shape == (128,)
    with pytest.raises(CheckpointError, match=r"asks to call numpy\.core\.multiarray\._reconstruct when loaded"):
        weights.load_state_dict(NUMPY1_PICKLE)  # arrays only when asked for
    # The same bytes naming another global, in numpy's modules or not, are refused before anything runs.
    for module, name in (("numpy.core.multiarray", "scalar"), ("numpy.core.numeric", "_frombuffer"), ("numpy", "load"),
                         ("os", "system")):
        patched = tmp_path / "patched.pth"
        patched.write_bytes(original.replace(reconstruct, f"c{module}\n{name}\n".encode(), 1))
        refusal = rf"holds more than weights \(it asks to call {module}\.{name} when loaded\)"
        with pytest.raises(CheckpointError, match=refusal):
            weights.load_state_dict(patched, numpy_arrays=True)


def test_verify_checks_the_checksum_of_found_weights(tmp_path: Path, app_dirs: dict[str, Path]) -> None:
    body = _safetensors_bytes(tmp_path, 8)
    path = app_dirs["models"] / "encoders" / "toy.safetensors"
    path.parent.mkdir(parents=True)
    path.write_bytes(body)
    good = _spec("http://unused", hashlib.sha256(body).hexdigest())
    assert weights.verify(good) == path
    with pytest.raises(CheckpointError, match="delete it and run 'a2i models download toy'"):
        weights.verify(_spec("http://unused", "f" * 64))


_DROP_IN = '''
from a2i_studio.core import VGGISH, Encoder, WeightSpec
from a2i_studio.hookspecs import hookimpl


class ToyEncoder(Encoder):
    id = "toy-encoder"
    name = "Toy"
    description = "needs downloaded weights"
    output_space = VGGISH
    weights = (WeightSpec("toy", "toy.safetensors", "toy weights", sha256=SHA, url=URL, subdir="encoders"),)


@hookimpl
def a2i_register_components(registry):
    registry.add_encoder(ToyEncoder())
'''


def test_models_commands_download_list_and_verify(
    server: FileServer, tmp_path: Path, app_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from a2i_studio.cli import main

    server.body = _safetensors_bytes(tmp_path)
    plugins = app_dirs["config"] / "plugins"
    plugins.mkdir(parents=True)
    source = _DROP_IN.replace("SHA", repr(hashlib.sha256(server.body).hexdigest())).replace("URL", repr(server.url()))
    (plugins / "toyweights.py").write_text(source)

    assert main(["models", "list", "--json"]) == 0
    listed = {row["name"]: row for row in json.loads(capsys.readouterr().out)["weights"]}
    assert listed["toy"]["found"] is None and listed["toy"]["used_by"] == ["toy-encoder"]

    assert main(["models", "download", "toy-encoder"]) == 0  # by component id
    target = app_dirs["models"] / "encoders" / "toy.safetensors"
    assert capsys.readouterr().out.strip().endswith(f"toy: {target}")
    assert target.read_bytes() == server.body
    assert main(["models", "verify", "toy"]) == 0
    assert capsys.readouterr().out.strip() == f"toy: ok ({target})"

    target.write_bytes(server.body[:-1] + b"\x00")
    assert main(["models", "verify", "toy"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("toy: BAD:")
    assert captured.err.strip() == "error: 1 of the weights checked are missing or damaged; see above."

    assert main(["models", "download", "nothing-like-this"]) == 1
    assert "No weights or component is called 'nothing-like-this'" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full, a device that is always full")
def test_a_full_disk_during_a_download_is_one_sentence(server: FileServer, tmp_path: Path) -> None:
    server.body = _safetensors_bytes(tmp_path)
    spec = _spec(server.url())
    part = weights.user_path(spec).with_name("toy.safetensors.part")
    part.parent.mkdir(parents=True)
    part.symlink_to("/dev/full")  # every write to it fails with ENOSPC, as on a full disk
    with pytest.raises(A2IError, match=r"^The disk of .*encoders is full: toy stopped at .*; free some space, then "
                                       r"download it again to resume\.$"):
        weights.download(spec)
