"""``a2i eval``: score a chain's images against a dataset's held-out pairs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from a2i_studio.cli._common import load_plugins, parse_param_options, progress_bar
from a2i_studio.core import Progress

__all__ = ["register"]

# What the seed AE-GAN paper reports on its beach scenes, printed for comparison.
_SEED_PAPER = {"ssim": 0.463, "histogram_correlation": 0.999}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``eval``."""
    parser = subparsers.add_parser(
        "eval",
        help="score a chain's images: SSIM, histogram correlation, class accuracy (AIC)",
        description="Generate one image per held-out pair of DIR and score it against the pair's image and label. "
        "AIC uses a small CNN trained on the training split's images (cached, or --classifier FILE).",
    )
    parser.add_argument("--chain", default=None, metavar="CHAIN", help="chain id (default: the default chain)")
    parser.add_argument("--data", type=Path, required=True, metavar="DIR", help="dataset folder")
    parser.add_argument("--split", choices=("train", "val", "test", "all"), default="test",
                        help="which pairs to score (default: test)")
    parser.add_argument("--split-seed", type=int, default=0, metavar="N", help="seed of the split (default: 0)")
    parser.add_argument("--val-fraction", type=float, default=0.1, metavar="F", help="validation share (default: 0.1)")
    parser.add_argument("--test-fraction", type=float, default=0.1, metavar="F", help="test share (default: 0.1)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="generation seed of every image (default: 0)")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a component parameter")
    parser.add_argument("--classifier", type=Path, default=None, metavar="FILE",
                        help="AIC classifier .safetensors; trained and saved there if missing")
    parser.add_argument("--classifier-data", type=Path, default=None, metavar="DIR",
                        help="dataset whose training split trains the classifier (default: --data)")
    parser.add_argument("--bins", type=int, default=256, metavar="N",
                        help="histogram bins per channel for the histogram correlation (default: 256)")
    parser.add_argument("--no-aic", action="store_true", help="skip the classifier (unlabelled data)")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="also write the results as JSON")
    parser.set_defaults(func=_run_eval)


def _run_eval(args: argparse.Namespace) -> int:
    from a2i_studio.core import parse_chain
    from a2i_studio.datasets import read_dataset
    from a2i_studio.engine import DEFAULT_CHAIN, Engine, GenerationRequest
    from a2i_studio.evaluation import evaluate_pairs
    from a2i_studio.training import write_json

    chain_id = args.chain or DEFAULT_CHAIN
    engine = Engine(load_plugins(args).registry)
    chain = parse_chain(chain_id, engine.registry)
    params = parse_param_options(args.param, chain.components)
    dataset = read_dataset(args.data)
    splits = dict(zip(("train", "val", "test"), dataset.split(args.split_seed, args.val_fraction, args.test_fraction),
                      strict=True))
    items = dataset if args.split == "all" else splits[args.split]
    items.require("audio", "image")
    with progress_bar(log_every=30.0) as report:
        classifier = None if args.no_aic else _classifier(args, splits["train"], report)

        def generate(item: Any) -> Any:
            request = GenerationRequest(audio=item.audio, chain=chain_id, seed=args.seed, n=1, params=params)
            return engine.generate(request)[0].image

        result = evaluate_pairs(
            list(items), generate, classifier, lambda done, total: report(Progress(done, total, "generating")),
            bins=args.bins,
        )
    summary = {"chain": chain_id, "data": str(dataset.root), "split": args.split, "seed": args.seed,
               "params": params, **result.summary()}
    _print_table(summary)
    if args.json is not None:
        write_json(args.json, {**summary, "seed_paper": _SEED_PAPER})
    return 0


def _classifier(args: argparse.Namespace, train: Any, report: Any) -> Any:
    from a2i_studio import config
    from a2i_studio.datasets import read_dataset
    from a2i_studio.evaluation import SceneClassifier, classifier_key, train_classifier

    if args.classifier_data is not None:
        train = read_dataset(args.classifier_data).split(args.split_seed, args.val_fraction, args.test_fraction)[0]
    path = args.classifier or config.cache_dir() / "classifiers" / f"{classifier_key(train)}.safetensors"
    if path.is_file():
        return SceneClassifier.load(path)
    classifier = train_classifier(
        train, on_epoch=lambda epoch, total, accuracy: report(Progress(epoch, total, f"classifier acc {accuracy:.2f}"))
    )
    classifier.save(path)
    print(f"trained the AIC classifier on {len(train)} images; saved to {path}", file=sys.stderr)
    return classifier


def _print_table(summary: dict[str, Any]) -> None:
    print(f"{summary['chain']} on {summary['pairs']} {summary['split']} pairs of {summary['data']}")
    print(f"{'metric':<32}{'value':>8}{'seed paper':>12}")
    rows = [
        ("SSIM", "ssim"),
        (f"histogram correlation ({summary.get('histogram_bins')} bins)", "histogram_correlation"),
        ("AIC", "aic"),
        ("classifier accuracy, real images", "classifier_accuracy_real"),
    ]
    for title, key in rows:
        if key in summary:
            paper = _SEED_PAPER.get(key)
            print(f"{title:<32}{summary[key]:>8.3f}{'' if paper is None else f'{paper:.3f}':>12}")
    for label, value in summary.get("aic_per_label", {}).items():
        print(f"  AIC {label:<26}{value:>8.3f}")
