"""``a2i eval``: score one or more chains on the same held-out pairs of a dataset."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from a2i_studio.cli._common import load_plugins, progress_bar
from a2i_studio.core import Progress

__all__ = ["register"]

# What the seed AE-GAN paper reports on its beach scenes, printed for comparison.
_SEED_PAPER = {"ssim": 0.463, "histogram_correlation": 0.999}
_ROWS = (
    ("SSIM", "ssim"),
    ("histogram correlation", "histogram_correlation"),
    ("AIC (scene classifier)", "aic"),
    ("AIC (simple judge)", "aic_simple_judge"),
    ("AIC (CLIP zero-shot)", "aic_zero_shot"),
    ("CLIP score", "clip_score"),
    ("IIS", "iis"),
    ("AIS", "ais"),
    ("FID (CLIP features)", "fid"),
    ("KID (CLIP features)", "kid"),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``eval``."""
    parser = subparsers.add_parser(
        "eval",
        help="score chains' images: SSIM, histogram correlation, AIC; CLIP score, AIS, IIS, FID, KID",
        description="Generate one image per held-out pair of DIR with each chain (clip i gets seed N + i) and score "
        "them against the pair's image and label. AIC uses a small CNN trained on the training split's images (with "
        "the degradations generated pictures show; cached, or --classifier FILE) and a simple judge beside it. "
        "--clip, --fid and --ais add the field's metrics; their models are listed by 'a2i models list'.",
    )
    parser.add_argument("--chain", action="append", default=[], metavar="CHAIN",
                        help="chain id, repeatable to compare chains (default: the default chain)")
    parser.add_argument("--data", type=Path, required=True, metavar="DIR", help="dataset folder")
    parser.add_argument("--split", choices=("train", "val", "test", "all"), default="test",
                        help="which pairs to score (default: test)")
    parser.add_argument("--split-seed", type=int, default=0, metavar="N", help="seed of the split (default: 0)")
    parser.add_argument("--val-fraction", type=float, default=0.1, metavar="F", help="validation share (default: 0.1)")
    parser.add_argument("--test-fraction", type=float, default=0.1, metavar="F", help="test share (default: 0.1)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the first clip; clip i gets N + i")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a component parameter, for every chain that has it")
    parser.add_argument("--classifier", type=Path, default=None, metavar="FILE",
                        help="AIC classifier .safetensors; trained and saved there if missing")
    parser.add_argument("--classifier-data", type=Path, default=None, metavar="DIR",
                        help="dataset whose training split trains the classifier (default: --data)")
    parser.add_argument("--bins", type=int, default=256, metavar="N",
                        help="histogram bins per channel for the histogram correlation (default: 256)")
    parser.add_argument("--no-aic", action="store_true", help="skip the classifiers (unlabelled data)")
    parser.add_argument("--clip", action="store_true", help="add CLIP score, IIS and zero-shot AIC (CLIP ViT-L/14)")
    parser.add_argument("--clip-weights", type=Path, default=None, metavar="DIR", help="a CLIP model folder")
    parser.add_argument("--template", default="{label}", metavar="TEXT",
                        help="a label's text for CLIP, e.g. 'a picture of a {label}' (default: the label)")
    parser.add_argument("--fid", nargs="?", const="", default=None, metavar="DIR",
                        help="add FID and KID against the pictures in DIR (default: the scored pairs' pictures)")
    parser.add_argument("--ais", default=None, metavar="ENCODER",
                        help="add AIS with this audio encoder (e.g. imagebind) and the image encoder of its space")
    parser.add_argument("--ais-weights", type=Path, default=None, metavar="DIR",
                        help="the image encoder for AIS (a CLIP model folder), if not the space's default")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="also write the results as JSON")
    parser.add_argument("--html", type=Path, default=None, metavar="OUT",
                        help="also write an HTML report with per-class numbers, plots and image grids")
    parser.set_defaults(func=_run_eval)


def _run_eval(args: argparse.Namespace) -> int:
    from a2i_studio.cli._batch import chain_runs
    from a2i_studio.datasets import read_dataset
    from a2i_studio.engine import DEFAULT_CHAIN, Engine, GenerationRequest
    from a2i_studio.evaluation import evaluate_pairs, field_metrics, write_html_report
    from a2i_studio.training import write_json

    manager = load_plugins(args)
    engine = Engine(manager.registry)
    runs = chain_runs(manager.registry, args.chain or [DEFAULT_CHAIN], args.param, [])
    dataset = read_dataset(args.data)
    splits = dict(zip(("train", "val", "test"), dataset.split(args.split_seed, args.val_fraction, args.test_fraction),
                      strict=True))
    items = list(dataset if args.split == "all" else splits[args.split])
    (dataset if args.split == "all" else splits[args.split]).require("audio", "image")
    summaries, all_scores = [], []
    with progress_bar(log_every=30.0) as report:
        classifier, judge, accuracies = (None, None, {}) if args.no_aic else _judges(args, splits["train"], items,
                                                                                     report)
        judges = _field_judges(args, engine, items, report)
        for run in runs:
            params = run.param_sets[0]
            # evaluate_pairs generates in order, once per pair: clip i gets seed + i, so the samples are
            # independent (one seed for all would move every class together), and the same for every chain.
            seeds = iter(range(args.seed, args.seed + len(items)))

            def generate(item: Any, chain: str = run.chain, params: Any = params, seeds: Any = seeds) -> Any:
                request = GenerationRequest(audio=item.audio, chain=chain, seed=next(seeds), n=1, params=params)
                return engine.generate(request)[0].image

            def on_item(done: int, total: int, chain: str = run.chain) -> None:
                report(Progress(done, total, f"generating with {chain}"))

            result = evaluate_pairs(items, generate, classifier, on_item, bins=args.bins, judge=judge)
            summaries.append({"chain": run.chain, "params": params, **result.summary(),
                              **field_metrics(result.scores, judges)})
            all_scores.append(result.scores)
    meta = {"data": str(dataset.root), "split": args.split, "pairs": len(items), "seed": args.seed,
            "seeds": "seed + clip index", "classifier_accuracy_real": accuracies}
    _print_table(meta, summaries)
    if args.json is not None:
        write_json(args.json, {**meta, "chains": summaries, "seed_paper": _SEED_PAPER})
    if args.html is not None:
        title = f"{len(items)} {args.split} pairs of {dataset.root}; clip i has seed {args.seed} + i"
        write_html_report(args.html, title, _ROWS, summaries, all_scores)
    return 0


def _judges(args: argparse.Namespace, train: Any, items: list[Any], report: Any) -> tuple[Any, Any, dict[str, float]]:
    """The scene classifier (cached), the simple judge and the classifier's accuracy on the real pictures."""
    from PIL import Image

    from a2i_studio import config
    from a2i_studio.datasets import read_dataset
    from a2i_studio.evaluation import SceneClassifier, SimpleJudge, classifier_accuracies, classifier_key
    from a2i_studio.evaluation import train_classifier as train_scene_classifier

    if args.classifier_data is not None:
        train = read_dataset(args.classifier_data).split(args.split_seed, args.val_fraction, args.test_fraction)[0]
    path = args.classifier or config.cache_dir() / "classifiers" / f"{classifier_key(train)}.safetensors"
    if path.is_file():
        classifier = SceneClassifier.load(path)
    else:
        classifier = train_scene_classifier(
            train,
            on_epoch=lambda epoch, total, accuracy: report(Progress(epoch, total, f"classifier acc {accuracy:.2f}")),
        )
        classifier.save(path)
        print(f"trained the AIC classifier on {len(train)} images; saved to {path}", file=sys.stderr)
    train.require("image", "label")
    judge = SimpleJudge.fit([_picture(item.image) for item in train], [item.label for item in train])
    real = [Image.open(item.image).convert("RGB") for item in items]
    return classifier, judge, classifier_accuracies(classifier, real, [item.label for item in items])


def _picture(path: Path) -> Any:
    from PIL import Image

    with Image.open(path) as picture:
        return picture.convert("RGB")


def _field_judges(args: argparse.Namespace, engine: Any, items: list[Any], report: Any) -> Any:
    """The models and references of --clip, --fid and --ais (loaded through the weights manager)."""
    import numpy as np

    from a2i_studio.datasets import IMAGE_SUFFIXES
    from a2i_studio.errors import ParamError
    from a2i_studio.evaluation import IMAGE_ENCODER_WEIGHTS, ClipJudge, FieldJudges, ImageEmbedder

    judges = FieldJudges(template=args.template)
    if args.clip or args.fid is not None:
        judges.clip = ClipJudge.find(explicit=args.clip_weights)
    if args.fid is not None:
        folder = Path(args.fid) if args.fid else None
        paths = (sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if folder
                 else [item.image for item in items])
        if len(paths) < 2:
            raise ParamError(f"--fid {args.fid} holds {len(paths)} pictures; FID and KID need at least 2.")
        assert judges.clip is not None
        judges.reference_features = judges.clip.image_embeddings([_picture(path) for path in paths])
    if args.ais is not None:
        encoder = engine.registry.get("encoder", args.ais)
        space = getattr(encoder, "output_space", None)
        spec = IMAGE_ENCODER_WEIGHTS.get(space.name) if space is not None else None
        if spec is None and args.ais_weights is None:
            raise ParamError(f"--ais {args.ais}: no image encoder is known for its space; give one with --ais-weights.")
        if args.ais_weights is not None and not args.ais_weights.is_dir():
            raise ParamError(f"--ais-weights {args.ais_weights} is not a folder; give a saved CLIP model's folder.")
        if args.ais_weights is not None:
            judges.ais_images = ImageEmbedder(args.ais_weights)
        else:
            assert spec is not None
            judges.ais_images = ImageEmbedder.find(spec)
        rows = []
        for index, item in enumerate(items):
            report(Progress(index, len(items), f"embedding audio with {args.ais}"))
            rows.append(np.asarray(_to_numpy(engine.embed(item.audio, args.ais)), np.float64).reshape(-1))
        judges.audio_embeddings = np.stack(rows)
        if judges.audio_embeddings.shape[1] != judges.ais_images.dimension:
            raise ParamError(f"--ais {args.ais} embeds audio in {judges.audio_embeddings.shape[1]} numbers but the "
                             f"image encoder in {judges.ais_images.dimension}; they must share a space.")
    return judges


def _to_numpy(value: Any) -> Any:
    return value.detach().float().cpu().numpy() if hasattr(value, "detach") else value


def _print_table(meta: dict[str, Any], summaries: list[dict[str, Any]]) -> None:
    print(f"{meta['pairs']} {meta['split']} pairs of {meta['data']}; clip i has seed {meta['seed']} + i")
    width = max(14, *(len(summary["chain"]) + 2 for summary in summaries))
    print(f"{'metric':<28}" + "".join(f"{summary['chain']:>{width}}" for summary in summaries) + f"{'seed paper':>12}")
    for title, key in _ROWS:
        if any(key in summary for summary in summaries):
            values = "".join(f"{summary[key]:>{width}.3f}" if key in summary else " " * width
                             for summary in summaries)
            paper = _SEED_PAPER.get(key)
            print(f"{title:<28}{values}{'' if paper is None else f'{paper:.3f}':>12}")
    for kind, accuracy in meta["classifier_accuracy_real"].items():
        print(f"  scene classifier on {kind} real pictures: {accuracy:.3f}")
    labels = sorted({label for summary in summaries for label in summary.get("aic_per_label", {})})
    for label in labels:
        values = "".join(f"{summary.get('aic_per_label', {}).get(label, float('nan')):>{width}.3f}"
                         for summary in summaries)
        print(f"  AIC {label:<24}{values}")
