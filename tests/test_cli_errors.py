"""Every failure of ``a2i`` is one line on stderr: expected ones say what to do, bugs name the log file.

Each case runs ``a2i`` in a subprocess, as a user would, and counts the lines
it writes to stderr.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def _a2i(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "a2i_studio.cli", *argv],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120,
    )


def _one_error_line(result: subprocess.CompletedProcess[str], exit_code: int = 1) -> str:
    assert result.returncode == exit_code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("names", "env"),
    [
        (("sd15", "sd21"), {"HF_ENDPOINT": f"http://127.0.0.1:{_closed_port()}", "HF_HUB_OFFLINE": "0"}),  # no link
        (("sd21-unclip", "sd3"), {"HF_HUB_OFFLINE": "1"}),
    ],
)
def test_an_offline_hub_download_is_one_sentence(tmp_path: Path, names: tuple[str, ...], env: dict[str, str]) -> None:
    result = _a2i("models", "download", *names, env={"HF_HOME": str(tmp_path / "hf"), **env})
    line = _one_error_line(result)
    assert f"Could not reach huggingface.co to download {names[0]} (" in line
    assert f"run 'a2i models download {names[0]}' again" in line


@pytest.fixture
def hub() -> Iterator[Callable[[int, str], str]]:
    """A local stand-in for huggingface.co that answers every request with one status and X-Error-Code."""
    answer: dict[str, object] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(int(str(answer["status"])))
            self.send_header("X-Error-Code", str(answer["code"]))
            self.send_header("X-Error-Message", "refused by the test hub")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def serve(status: int, code: str) -> str:
        answer.update(status=status, code=code)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (401, "GatedRepo", "stabilityai/stable-diffusion-3-medium-diffusers is a gated model: accept its licence at "
         "https://huggingface.co/stabilityai/stable-diffusion-3-medium-diffusers and log in with 'hf auth login'"),
        (404, "RepoNotFound", "huggingface.co has no repository stabilityai/stable-diffusion-3-medium-diffusers"),
        (401, "", "huggingface.co refused the download of sd3 (stabilityai/stable-diffusion-3-medium-diffusers) "
         "with 401: log in with 'hf auth login'"),
        (503, "", "huggingface.co answered 503 to the download of sd3"),
    ],
)
def test_a_hub_refusal_is_one_sentence(
    hub: Callable[[int, str], str], tmp_path: Path, status: int, code: str, expected: str
) -> None:
    env = {"HF_ENDPOINT": hub(status, code), "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "0"}
    line = _one_error_line(_a2i("models", "download", "sd3", env=env))
    assert expected in line


def test_extract_from_a_missing_file_is_one_sentence(tmp_path: Path) -> None:
    line = _one_error_line(_a2i("models", "extract", "imagebind", str(tmp_path / "imagebind_huge.pth")))
    assert f"{tmp_path / 'imagebind_huge.pth'} is not a file" in line
    assert "'a2i models download imagebind'" in line


def test_a_bug_is_one_line_naming_the_log_and_the_traceback_stays_in_it(
    drop_in: Callable[[str], Path], clip: Path, app_dirs: dict[str, Path]
) -> None:
    drop_in("buggy_generator")
    log = app_dirs["data"] / "logs" / "a2i.log"

    line = _one_error_line(_a2i("generate", str(clip), "--chain", "mfcc>buggy"))
    assert line == (
        "error: generator 'buggy' (plugin buggy_generator) raised ZeroDivisionError: division by zero while "
        "painting; that is a bug in the plugin: report it to the plugin's author with the traceback. "
        f"The traceback is in {log}."
    )
    logged = log.read_text(encoding="utf-8")
    assert f"a2i generate {clip} --chain mfcc>buggy" in logged
    assert "Traceback (most recent call last)" in logged and "ZeroDivisionError: division by zero" in logged

    debug = _a2i("--debug", "generate", str(clip), "--chain", "mfcc>buggy")
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr and "in generate" in debug.stderr


@pytest.mark.parametrize(
    ("option", "exit_code"), [("no_such_setting=1", 2), ("aegan-sharp.size=100", 1)]
)
def test_param_usage_errors_exit_2_and_bad_values_exit_1(clip: Path, option: str, exit_code: int) -> None:
    _one_error_line(_a2i("generate", str(clip), "--param", option), exit_code)
