"""Renders across processes and past failures, run as the command line in child processes: two processes
against one, a disk that fills up mid-render, a render killed mid-way, and memory over a longer clip."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile

from a2i_studio.config import resources_dir
from a2i_studio.engine import Engine
from a2i_studio.frames import RenderRequest, VideoSettings, render
from a2i_studio.plugins import PluginManager

pytestmark = pytest.mark.slow  # each starts Python (and for two processes, torch.distributed) afresh


@pytest.fixture
def scenes(tmp_path: Path) -> Path:
    """The four bundled 5 s soundscapes, one after the other: 20 s."""
    parts = [soundfile.read(resources_dir() / "sounds" / f"{name}.wav", dtype="float32")[0]
             for name in ("rain", "forest", "beach", "thunderstorm")]
    path = tmp_path / "scenes.wav"
    soundfile.write(path, np.concatenate(parts), 16_000)
    return path


def _a2i(*args: str, launcher: tuple[str, ...] = ("-m", "a2i_studio.cli"), **options: object) -> \
        subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *launcher, *args], capture_output=True, text=True, env=env,
                          timeout=600, check=False, **options)  # type: ignore[call-overload]


def test_two_processes_render_the_frames_one_process_renders(scenes: Path, tmp_path: Path) -> None:
    common = ("render", str(scenes), "--fps", "12", "--seed", "5", "--attack", "0.5", "--keyframes", "beats",
              "--continuity", "drift", "--modulate", "variation=bass:0:1", "--json")
    two = _a2i(*common, "--out", str(tmp_path / "two.mp4"),
               launcher=("-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "a2i_studio.cli"))
    assert two.returncode == 0, two.stderr
    one = _a2i(*common, "--out", str(tmp_path / "one.mp4"))
    assert one.returncode == 0, one.stderr
    assert two.stdout.count('"frames_sha256"') == 1  # only the main process writes and reports
    two_result, one_result = json.loads(two.stdout), json.loads(one.stdout)
    assert two_result["frames"] == one_result["frames"] == 240
    assert two_result["frames_sha256"] == one_result["frames_sha256"]


def test_a_full_disk_mid_render_removes_the_partial_file_and_keeps_the_frames(
    scenes: Path, tmp_path: Path, app_dirs: dict[str, Path]
) -> None:
    out = tmp_path / "out" / "clip.mp4"

    def small_disk() -> None:  # files over 500 kB are refused, as a full disk refuses the next write
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (500_000, 500_000))

    # The seed preset's smooth frames: its cache chunks stay under the limit that the video passes.
    args = ("render", str(scenes), "--chain", "mfcc>aegan", "--out", str(out), "--size", "512", "--seed", "1")
    failed = _a2i(*args, preexec_fn=small_disk)
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: Could not write clip.mp4: the disk is full (or takes no file this large);")
    assert failed.stderr.count("\n") == 1 and "frames are kept" in failed.stderr
    assert not list(out.parent.iterdir())  # no partial video, no temporary file
    kept = list((app_dirs["cache"] / "frames").glob("*/frames-*.zip"))
    assert kept
    resumed = _a2i(*args, "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["reused"] >= 48


def test_a_killed_render_goes_on_from_its_frame_cache_to_the_same_frames(
    scenes: Path, tmp_path: Path, app_dirs: dict[str, Path]
) -> None:
    args = ("render", str(scenes), "--fps", "24", "--size", "256", "--seed", "2", "--continuity", "drift", "--json")
    whole = _a2i(*args, "--out", str(tmp_path / "whole.mp4"))
    assert whole.returncode == 0, whole.stderr
    out = tmp_path / "killed.mp4"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-m", "a2i_studio.cli", *args, "--out", str(out)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((app_dirs["cache"] / "frames").glob("*/frames-*.zip")) and time.monotonic() < deadline:
        time.sleep(0.05)
    child.kill()
    child.wait()
    assert not out.exists()
    resumed = _a2i(*args, "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert 48 <= result["reused"] < result["frames"] == 480
    assert result["frames_sha256"] == json.loads(whole.stdout)["frames_sha256"]


def test_memory_stays_flat_for_a_ten_times_longer_clip(tmp_path: Path) -> None:
    engine = Engine(PluginManager().load().registry)
    rng = np.random.default_rng(0)
    peaks = []
    for seconds in (6, 60):
        clip = tmp_path / f"noise-{seconds}.wav"
        soundfile.write(clip, (0.1 * rng.standard_normal(seconds * 16_000)).astype(np.float32), 16_000)
        settings = VideoSettings(fps=24.0, keyframes="beats", modulations=())
        tracemalloc.start()
        render(engine, RenderRequest(clip, tmp_path / f"clip-{seconds}.mp4", settings=settings))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0], peaks
