"""``a2i datasets make soundscapes`` and ``a2i eval``, run through their argparse registration."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from a2i_studio.cli import _datasets, _eval
from a2i_studio.datasets import read_dataset
from a2i_studio.errors import ChainError


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="a2i")
    parser.add_argument("--safe-mode", action="store_true")
    subparsers = parser.add_subparsers(dest="command", required=True)
    _datasets.register(subparsers)
    _eval.register(subparsers)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_eval_scores_a_chain_on_the_test_split_and_reuses_its_classifier(
    drop_in: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], app_dirs: dict[str, Path]
) -> None:
    drop_in("toy_plugin")
    data = tmp_path / "scenes"
    assert _cli(["datasets", "make", "soundscapes", "--out", str(data), "--n", "24", "--seed", "4",
                 "--seconds", "1", "--workers", "1"]) == 0
    assert "wrote 24 pairs (8 classes)" in capsys.readouterr().out
    assert len(read_dataset(data)) == 24

    argv = ["eval", "--chain", "toy-proj>toy-gen", "--data", str(data), "--split", "test", "--val-fraction", "0",
            "--test-fraction", "0.34", "--param", "steps=2", "--json", str(tmp_path / "eval.json")]
    assert _cli(argv) == 0
    table = capsys.readouterr().out
    assert "toy-proj>toy-gen on 8 test pairs" in table and "0.463" in table and "AIC" in table
    result = json.loads((tmp_path / "eval.json").read_text())
    assert result["pairs"] == 8 and result["split"] == "test" and result["params"] == {"toy-gen": {"steps": 2}}
    assert 0 <= result["aic"] <= 1 and -1 <= result["ssim"] <= 1 and result["histogram_bins"] == 256
    assert result["seed_paper"] == {"ssim": 0.463, "histogram_correlation": 0.999}
    cached = list((app_dirs["cache"] / "classifiers").glob("*.safetensors"))
    assert len(cached) == 1

    stamp = cached[0].stat().st_mtime_ns
    assert _cli([*argv[:-2], "--json", str(tmp_path / "again.json")]) == 0
    assert cached[0].stat().st_mtime_ns == stamp  # reused, not retrained
    assert json.loads((tmp_path / "again.json").read_text())["aic"] == result["aic"]


def test_eval_names_an_unknown_chain(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match="not installed"):
        _cli(["eval", "--chain", "nope>nothing", "--data", str(tmp_path)])
