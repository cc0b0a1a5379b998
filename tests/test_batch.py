"""Batch runs: inputs and job expansion, resume after a kill, bad files, reports, and a 2-process launch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from a2i_studio.batch import BatchClip, ChainRun, expand_jobs, read_inputs, run_jobs, write_contact_sheets
from a2i_studio.cli import main
from a2i_studio.engine import Engine
from a2i_studio.errors import ParamError
from a2i_studio.gallery import Gallery, recipe_key
from a2i_studio.plugins import PluginManager

ROOT = Path(__file__).resolve().parent.parent


def _write_clips(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        t = np.arange(8000) / 8000
        samples = 0.4 * np.sin(2 * np.pi * (200 + 150 * index) * t).astype(np.float32)
        paths.append(folder / f"clip{index}.wav")
        soundfile.write(paths[-1], samples, 8000)
    return paths


def _write_broken(folder: Path) -> list[Path]:
    text, empty = folder / "notes.wav", folder / "empty.flac"
    text.write_text("this is not audio\n")
    empty.write_bytes(b"")
    return [text, empty]


def _gallery_keys(gallery: Gallery) -> list[tuple[str, str, int]]:
    return sorted((item.audio_name, item.chain, item.seed) for item in gallery.items())


def test_inputs_from_folders_globs_and_manifests(tmp_path: Path) -> None:
    clips = _write_clips(tmp_path / "a", 3)
    (tmp_path / "a" / "readme.txt").write_text("skip me")
    (tmp_path / "list.csv").write_text("audio,start,end\na/clip1.wav,0.5,1.0\na/clip2.wav,,\n")
    (tmp_path / "list.json").write_text(json.dumps(["a/clip0.wav", {"audio": str(clips[2]), "start": 0.25}]))
    got = read_inputs([tmp_path / "a", str(tmp_path / "a" / "clip[01].wav"), tmp_path / "list.csv",
                       tmp_path / "list.json"])
    assert got == [  # the glob, the CSV's second row and the JSON's first name clips already listed: kept once
        BatchClip(clips[0]), BatchClip(clips[1]), BatchClip(clips[2]),
        BatchClip(clips[1], 0.5, 1.0), BatchClip(clips[2], 0.25, None),
    ]
    with pytest.raises(ParamError, match="matches no file"):
        read_inputs([str(tmp_path / "*.mp3")])
    with pytest.raises(ParamError, match="does not exist"):
        read_inputs([tmp_path / "gone.wav"])
    (tmp_path / "bad.json").write_text('{"audio": 1}')
    with pytest.raises(ParamError, match=r"bad\.json cannot be read"):
        read_inputs([tmp_path / "bad.json"])


def test_jobs_are_clips_times_chains_times_sets_times_seeds_in_a_fixed_order() -> None:
    clips = [BatchClip(Path("a.wav")), BatchClip(Path("b.wav"), 1.0, 2.0)]
    runs = [ChainRun("x>y", ({"y": {"k": 1}}, {"y": {"k": 2}}), ("k=1", "k=2")), ChainRun("x>z")]
    jobs = expand_jobs(clips, runs, [7, 8])
    assert len(jobs) == 2 * (2 + 1) * 2
    assert [job.index for job in jobs] == list(range(12))
    assert [(job.clip.audio.name, job.chain, job.params_name, job.seed) for job in jobs[:6]] == [
        ("a.wav", "x>y", "k=1", 7), ("a.wav", "x>y", "k=1", 8), ("a.wav", "x>y", "k=2", 7),
        ("a.wav", "x>y", "k=2", 8), ("a.wav", "x>z", "defaults", 7), ("a.wav", "x>z", "defaults", 8),
    ]
    assert jobs[6].describe() == "b.wav 1-2 s · x>y · k=1 · seed 7"
    with pytest.raises(ParamError, match="no seed"):
        expand_jobs(clips, runs, [])


def test_run_skips_held_recipes_records_failures_and_writes_sheets(
    drop_in: Callable[[str], Path], tmp_path: Path
) -> None:
    drop_in("toy_plugin")
    clips = _write_clips(tmp_path / "clips", 2) + _write_broken(tmp_path / "clips")
    engine = Engine(PluginManager().load().registry, Gallery(tmp_path / "gallery"))
    runs = [ChainRun("toy-proj>toy-gen", ({"toy-gen": {"steps": 1}},), ("steps=1",))]
    jobs = expand_jobs([BatchClip(path) for path in clips], runs, [0, 1])
    first = run_jobs(engine, jobs[:2])
    assert [outcome.status for outcome in first] == ["made", "made"]
    seen: list[str] = []
    outcomes = run_jobs(engine, jobs, on_outcome=lambda outcome: seen.append(outcome.status))
    assert [outcome.status for outcome in outcomes] == ["skipped"] * 2 + ["made"] * 2 + ["failed"] * 4
    assert sorted(seen) == sorted(outcome.status for outcome in outcomes)
    assert [outcome.path for outcome in outcomes[:2]] == [outcome.path for outcome in first]
    assert "notes.wav contains text, not audio" in outcomes[4].reason
    assert "empty.flac" in outcomes[6].reason and outcomes[6].reason.endswith(".")
    assert engine.gallery is not None and engine.gallery.count() == 4
    for outcome in outcomes[:4]:
        assert outcome.recipe is not None and outcome.recipe["params"]["toy-gen"]["steps"] == 1
        assert recipe_key(outcome.recipe) == recipe_key(engine.recipe(_request_of(outcome.job)))

    page = write_contact_sheets(outcomes, tmp_path / "out", "chain")
    with Image.open(tmp_path / "out" / "sheets" / "toy-proj-toy-gen.png") as sheet:
        assert sheet.size == (220 + 2 * 128, 28 + 4 * 128)  # 4 clips x (1 set x 2 seeds)
        failed_cell = sheet.getpixel((220 + 60, 28 + 3 * 128 + 60))
        assert failed_cell == (200, 200, 200)
    text = page.read_text()
    assert text.count("<img ") == 4 and "notes.wav contains text, not audio" in text and "&quot;seed&quot;" in text


def _request_of(job: object) -> object:
    from a2i_studio.batch._run import _request

    return _request(job, None)  # type: ignore[arg-type]


def test_recipe_key_ignores_time_device_and_place_but_not_what_decides_pixels() -> None:
    base = {"format": "a2i-recipe/1", "audio": {"name": "a.wav", "path": "/x/a.wav", "sha256": "ab"},
            "segment": {"start": None, "end": None}, "chain": "x>y", "components": [{"id": "y", "version": "1"}],
            "params": {"y": {"k": 1}}, "mix": [], "seed": 3, "device": "cpu", "dtype": "float32",
            "created": "2024-01-01", "app_version": "0.1"}
    moved = {**base, "audio": {"name": "b.wav", "path": "/y/b.wav", "sha256": "ab"}, "device": "cuda",
             "dtype": "float16", "created": "2025-01-01", "app_version": "0.2"}
    assert recipe_key(base) == recipe_key(moved)
    for change in ({"seed": 4}, {"params": {"y": {"k": 2}}}, {"components": [{"id": "y", "version": "2"}]},
                   {"segment": {"start": 1.0, "end": None}}, {"audio": {"sha256": "cd"}}):
        assert recipe_key({**base, **change}) != recipe_key(base)


def test_old_index_gets_recipe_keys(tmp_path: Path) -> None:
    import sqlite3

    gallery = Gallery(tmp_path)
    recipe = {"format": "a2i-recipe/1", "audio": {"name": "a.wav", "sha256": "ab"}, "chain": "x>y", "seed": 1}
    item = gallery.add(Image.new("RGB", (8, 8)), recipe)
    gallery.close()
    with sqlite3.connect(tmp_path / "index.sqlite") as db:  # an index written before recipe keys existed
        db.execute("DROP INDEX images_recipe_key")
        db.execute("ALTER TABLE images DROP COLUMN recipe_key")
    reopened = Gallery(tmp_path)
    assert reopened.items_by_recipe_key([recipe_key(item.recipe), "nope"]) == {recipe_key(item.recipe): item}


_SLOW_PLUGIN = ROOT / "tests" / "gui" / "gui_test_plugin.py"


def test_batch_killed_halfway_and_resumed_makes_exactly_the_expected_set(
    drop_in: Callable[[str], Path], app_dirs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drop_in("toy_plugin")
    shutil.copy(_SLOW_PLUGIN, app_dirs["config"] / "plugins" / "gui_test_plugin.py")
    folder = tmp_path / "clips"
    _write_clips(folder, 4)
    _write_broken(folder)
    argv = ["batch", str(folder), "--chain", "toy-proj>slow-gen", "--param", "steps=8", "-n", "2",
            "--out", str(tmp_path / "report")]
    # The plugin SIGKILLs its own process halfway through the 4th image: a crash at a known point.
    batch = subprocess.run([sys.executable, "-m", "a2i_studio.cli", *argv], stderr=subprocess.DEVNULL, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT), "GUI_TEST_SIGKILL_ON_CALL": "4"}, check=False)
    assert batch.returncode == -signal.SIGKILL
    made_before = len(list(app_dirs["gallery"].glob("*/2*.png")))
    assert made_before == 3

    assert main(argv) == 0
    out = capsys.readouterr()
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert (report["jobs"], report["failed"]) == (12, 4)
    assert (report["skipped"], report["made"]) == (3, 5)
    assert all("notes.wav" in row["reason"] or "empty.flac" in row["reason"]
               for row in report["outcomes"] if row["status"] == "failed")
    assert "8 made" not in out.out and "4 failed of 12 jobs" in out.out
    gallery = Gallery()
    gallery.sync()  # a PNG whose index row the kill prevented is indexed now; it must not be a duplicate
    expected = sorted((f"clip{index}.wav", "toy-proj>slow-gen", seed) for index in range(4) for seed in (0, 1))
    assert _gallery_keys(gallery) == expected
    assert len(list(app_dirs["gallery"].glob("*/*.png"))) == 8


@pytest.mark.slow
def test_two_processes_make_the_same_images_as_one_and_none_twice(
    drop_in: Callable[[str], Path], app_dirs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_in("toy_plugin")
    folder = tmp_path / "clips"
    _write_clips(folder, 5)
    argv = ["batch", str(folder), "--chain", "toy-proj>toy-gen", "-n", "2", "--sweep", "palette=rgb,gray",
            "--out", str(tmp_path / "two"), "--json"]
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
              "-m", "a2i_studio.cli", *argv]
    done = subprocess.run(launch, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "A2I_GALLERY_DIR": str(tmp_path / "g2"), "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[:3000]
    report = json.loads(done.stdout[done.stdout.index("{"):])
    assert (report["jobs"], report["made"], report["skipped"]) == (20, 20, 0)

    monkeypatch.setenv("A2I_GALLERY_DIR", str(tmp_path / "g1"))
    assert main([*argv[:-3], "--out", str(tmp_path / "one")]) == 0
    two, one = Gallery(tmp_path / "g2"), Gallery(tmp_path / "g1")
    assert two.count() == 20 and len(list((tmp_path / "g2").glob("*/*.png"))) == 20  # none made twice
    pixels_two = {recipe_key(item.recipe): _pixels(item.path) for item in two.items()}
    pixels_one = {recipe_key(item.recipe): _pixels(item.path) for item in one.items()}
    assert pixels_two == pixels_one
    devices = {item.recipe["device"] for item in two.items()}
    assert devices == {"cpu"}


def _pixels(path: Path) -> bytes:
    with Image.open(path) as image:
        return image.convert("RGB").tobytes()
