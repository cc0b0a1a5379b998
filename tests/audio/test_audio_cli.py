"""``a2i audio info``: the handler, called through a parser built by register()."""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys

import numpy as np
import pytest
import soundfile
from audio_helpers import Corpus

from a2i_studio.audio import EmptyAudio
from a2i_studio.cli._audio import register


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="a2i")
    register(parser.add_subparsers())
    args = parser.parse_args(["audio", "info", *argv])
    code = args.func(args)
    return code, capsys.readouterr().out


def test_info_json(corpus: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(corpus["stereo.wav"]), "--json")
    record = json.loads(out)
    samples = soundfile.read(corpus["stereo.wav"], dtype="float64")[0]  # the file as libsndfile reads it, at once
    assert code == 0
    assert record["format"] == "WAV"
    assert record["codec"] == "PCM_16"
    assert record["duration"] == 3.0
    assert record["sample_rate"] == 44_100
    assert record["channels"] == 2
    assert record["frames"] == 132_300
    # float32 blocks summed in float64: 1e-4 dB.
    assert record["peak_dbfs"] == pytest.approx(20 * math.log10(np.abs(samples).max()), abs=1e-4)
    assert record["rms_dbfs"] == pytest.approx(10 * math.log10(np.mean(samples**2)), abs=1e-4)


def test_info_text(corpus: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(corpus["video.mp4"]))
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "video.mp4"
    assert lines[1] == "  format    MP4 (AAC)"
    assert lines[2] == "  duration  3.000 s (0:00:03.000)"
    assert lines[3:6] == ["  rate      44100 Hz", "  channels  2", "  frames    132300"]
    assert lines[6].startswith("  peak      -") and lines[6].endswith(" dBFS")
    assert lines[7].endswith(" dBFS RMS")


def test_info_of_silence(corpus: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, str(corpus["silent.wav"]), "--json")
    assert json.loads(out)["peak_dbfs"] is None
    _, out = run(capsys, str(corpus["silent.wav"]))
    assert "  peak      -inf dBFS (silent)" in out.splitlines()


def test_info_of_a_bad_file_raises_the_audio_error(corpus: Corpus, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(EmptyAudio, match=r"^empty\.wav is empty \(0 bytes\)"):
        run(capsys, str(corpus["empty.wav"]))


def test_info_does_not_import_torch(corpus: Corpus) -> None:
    code = (
        "import argparse, sys; from a2i_studio.cli._audio import register;"
        "p = argparse.ArgumentParser(); register(p.add_subparsers());"
        f"a = p.parse_args(['audio', 'info', {str(corpus['stereo.flac'])!r}]); a.func(a);"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "False"
