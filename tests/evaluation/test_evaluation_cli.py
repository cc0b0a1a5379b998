"""``a2i datasets make soundscapes`` and ``a2i eval``, run through their argparse registration."""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from a2i_studio.cli import _datasets, _eval
from a2i_studio.datasets import read_dataset
from a2i_studio.errors import ChainError, ParamError


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
    assert "8 test pairs of" in table and "seed 0 + i" in table and "0.463" in table and "AIC" in table
    assert "scene classifier on blur real pictures" in table and "AIC (simple judge)" in table
    result = json.loads((tmp_path / "eval.json").read_text())
    assert result["pairs"] == 8 and result["split"] == "test" and result["seeds"] == "seed + clip index"
    (chain,) = result["chains"]
    assert chain["chain"] == "toy-proj>toy-gen" and chain["params"] == {"toy-gen": {"steps": 2}}
    assert 0 <= chain["aic"] <= 1 and -1 <= chain["ssim"] <= 1 and chain["histogram_bins"] == 256
    assert 0 <= chain["aic_simple_judge"] <= 1
    assert set(result["classifier_accuracy_real"]) == {"clean", "blur", "low-res", "colour-shift"}
    assert result["seed_paper"] == {"ssim": 0.463, "histogram_correlation": 0.999}
    cached = list((app_dirs["cache"] / "classifiers").glob("*.safetensors"))
    assert len(cached) == 1

    stamp = cached[0].stat().st_mtime_ns
    assert _cli([*argv[:-2], "--json", str(tmp_path / "again.json")]) == 0
    assert cached[0].stat().st_mtime_ns == stamp  # reused, not retrained
    assert json.loads((tmp_path / "again.json").read_text())["chains"][0]["aic"] == chain["aic"]


def test_eval_names_an_unknown_chain(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match="not installed"):
        _cli(["eval", "--chain", "nope>nothing", "--data", str(tmp_path)])


def test_eval_compares_chains_with_the_fields_metrics_and_writes_an_html_report(
    drop_in: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], app_dirs: dict[str, Path]
) -> None:
    import re

    from clip_fixtures import save_tiny_clip

    from a2i_studio import weights
    from a2i_studio.evaluation import CLIP_WEIGHTS

    drop_in("toy_plugin")
    data = tmp_path / "scenes"
    assert _cli(["datasets", "make", "soundscapes", "--out", str(data), "--n", "16", "--seed", "5",
                 "--seconds", "1", "--workers", "1"]) == 0
    rows = (data / "metadata.csv").read_text().splitlines()
    (data / "metadata.csv").write_text("\n".join([rows[0], rows[1], rows[1], *rows[2:]]) + "\n")  # one clip twice
    save_tiny_clip(weights.user_path(CLIP_WEIGHTS), projection_dim=16)
    save_tiny_clip(tmp_path / "toy-image-encoder", projection_dim=8, seed=1)  # shares the toy encoder's 8-d space
    shutil.copy(Path(__file__).parent.parent / "gui" / "gui_test_plugin.py", app_dirs["config"] / "plugins")
    argv = ["eval", "--chain", "toy-proj>toy-gen", "--chain", "toy-proj>slow-gen", "--param", "steps=1",
            "--data", str(data), "--split", "all", "--val-fraction", "0", "--test-fraction", "0", "--seed", "10",
            "--no-aic", "--clip",
            "--template", "a picture of {label}", "--fid", "--ais", "toy-proj",
            "--ais-weights", str(tmp_path / "toy-image-encoder"),
            "--json", str(tmp_path / "eval.json"), "--html", str(tmp_path / "eval.html")]
    assert _cli(argv) == 0
    table = capsys.readouterr().out
    header = next(line for line in table.splitlines() if line.startswith("metric"))
    assert header.split()[1:] == ["toy-proj>toy-gen", "toy-proj>slow-gen", "seed", "paper"]
    for row in ("CLIP score", "IIS", "AIS", "AIC (CLIP zero-shot)", "FID (CLIP features)", "KID (CLIP features)"):
        assert row in table
    toy, slow = json.loads((tmp_path / "eval.json").read_text())["chains"]
    assert (toy["chain"], slow["chain"], toy["pairs"]) == ("toy-proj>toy-gen", "toy-proj>slow-gen", 17)
    for summary in (toy, slow):
        assert summary["clip_score"] >= 0 and 0 <= summary["iis"] < 1 and 0 <= summary["ais"] < 1
        assert 0 <= summary["aic_zero_shot"] <= 1 and summary["fid"] >= 0 and "kid_std" in summary
        assert set(summary["per_label"]["clip_score"]) == {row.split(",")[2] for row in rows[1:]}
    assert toy["fid"] != slow["fid"] and toy["clip_score"] != slow["clip_score"]
    page = (tmp_path / "eval.html").read_text()
    assert "clip_score per class" in page and "<svg" in page
    first_label = rows[1].split(",")[2]
    section = page.split(f"<h3>{first_label}</h3>")[1]
    pictures = re.findall(r"src='data:image/png;base64,([^']+)'", section)
    assert pictures[0] != pictures[1]  # the same clip twice: clip i has seed 10 + i, so the samples differ


def test_eval_reports_sharpness_diversity_attribute_following_and_pan(
    drop_in: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], app_dirs: dict[str, Path]
) -> None:
    from attribute_fixtures import make_attribute_dataset

    drop_in("toy_plugin")
    data = make_attribute_dataset(tmp_path / "attributes", 30)
    argv = ["eval", "--chain", "toy-proj>toy-gen", "--data", str(data), "--val-fraction", "0", "--test-fraction",
            "0.34", "--param", "steps=1", "--no-aic", "--diversity-seeds", "3",
            "--json", str(tmp_path / "eval.json"), "--html", str(tmp_path / "eval.html")]
    assert _cli(argv) == 0
    table = capsys.readouterr().out
    for row in ("sharpness ratio (>= 0.8)", "diversity across seeds", "diversity, real same class",
                "attribute rho, mean", "classes rho >= 0.5", "pan correlation (>= 0.7)", "rho intensity sun",
                "rho count birds"):
        assert row in table
    result = json.loads((tmp_path / "eval.json").read_text())
    assert result["regressor_attributes"] == ["intensity", "count", "source_x"]
    (chain,) = result["chains"]
    assert chain["pairs"] == 20
    assert chain["sharpness_ratio"] == pytest.approx(chain["sharpness_generated"] / chain["sharpness_real"])
    assert chain["sharpness_generated"] > chain["sharpness_real"] > 0  # the toy draws noise, the fixture flat discs
    assert chain["diversity_seeds_k"] == 3 and 0 < chain["diversity_seeds"] < 1 and 0 < chain["diversity_real"] < 1
    assert set(chain["per_label"]) == {"sharpness_ratio", "diversity_seeds", "diversity_real"}
    assert set(chain["attribute_following"]) == set(chain["attribute_following_real"]) == {"intensity", "count"}
    assert set(chain["attribute_following"]["intensity"]) == {"birds", "sun"}
    assert set(chain["attribute_following"]["count"]) == {"birds"}
    for key in ("attribute_following_mean", "pan_correlation", "attribute_following_mean_real", "pan_correlation_real"):
        assert -1 <= chain[key] <= 1
    assert 0 <= chain["attribute_following_pass"] <= 1 and 0 <= chain["attribute_following_pass_real"] <= 1
    assert chain["attribute_following_real"]["intensity"]["sun"] > 0.5  # brightness, learnt from 40 pictures
    page = (tmp_path / "eval.html").read_text()
    for section in ("sharpness_ratio per class", "diversity_seeds per class", "Spearman intensity (generated) per "
                    "class", "Spearman count (real pictures) per class", "<td>pan correlation (&gt;= 0.7)</td>"):
        assert section in page
    cached = list((app_dirs["cache"] / "regressors").glob("*.safetensors"))
    assert len(cached) == 1

    stamp = cached[0].stat().st_mtime_ns
    assert _cli([*argv[:-4], "--diversity-seeds", "0", "--json", str(tmp_path / "again.json")]) == 0
    assert cached[0].stat().st_mtime_ns == stamp  # reused, not retrained
    again = json.loads((tmp_path / "again.json").read_text())["chains"][0]
    assert "diversity_seeds" not in again and again["diversity_real"] == chain["diversity_real"]
    # the scored picture of clip i is the same whether 3 seeds or 1 are drawn for it
    assert again["sharpness_generated"] == chain["sharpness_generated"]
    assert again["attribute_following"] == chain["attribute_following"]


def test_eval_without_attribute_columns_reports_no_attribute_figures(
    drop_in: Callable[[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], app_dirs: dict[str, Path]
) -> None:
    from attribute_fixtures import make_attribute_dataset

    drop_in("toy_plugin")
    data = make_attribute_dataset(tmp_path / "plain", 4)
    lines = (data / "metadata.csv").read_text().splitlines()
    (data / "metadata.csv").write_text("\n".join(",".join(line.split(",")[:3]) for line in lines) + "\n")
    with pytest.raises(ParamError, match="--diversity-seeds 1: diversity compares at least 2 seeds"):
        _cli(["eval", "--chain", "toy-proj>toy-gen", "--data", str(data), "--diversity-seeds", "1"])
    assert _cli(["eval", "--chain", "toy-proj>toy-gen", "--data", str(data), "--split", "all", "--val-fraction", "0",
                 "--test-fraction", "0", "--no-aic", "--json", str(tmp_path / "eval.json")]) == 0
    assert "rho " not in capsys.readouterr().out
    result = json.loads((tmp_path / "eval.json").read_text())
    (chain,) = result["chains"]
    assert result["regressor_attributes"] == [] and not (app_dirs["cache"] / "regressors").exists()
    assert "attribute_following" not in chain and "pan_correlation" not in chain
    assert chain["diversity_seeds_k"] == 4 and chain["sharpness_ratio"] > 0
