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
    ("sharpness, generated", "sharpness_generated"),
    ("sharpness, real", "sharpness_real"),
    ("sharpness ratio (>= 0.8)", "sharpness_ratio"),
    ("diversity across seeds", "diversity_seeds"),
    ("diversity, real same class", "diversity_real"),
    ("attribute rho, mean", "attribute_following_mean"),
    ("  on real pictures", "attribute_following_mean_real"),
    ("classes rho >= 0.5", "attribute_following_pass"),
    ("  on real pictures", "attribute_following_pass_real"),
    ("pan correlation (>= 0.7)", "pan_correlation"),
    ("  on real pictures", "pan_correlation_real"),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``eval``."""
    parser = subparsers.add_parser(
        "eval",
        help="score chains' images: SSIM, histogram correlation, AIC, sharpness, diversity, attribute following; "
        "CLIP score, AIS, IIS, FID, KID",
        description="Generate one image per held-out pair of DIR with each chain (clip i gets seed N + i; with "
        "--diversity-seeds K, seeds N + i onwards) and score them against the pair's image and label. AIC uses a "
        "small CNN trained on the training split's images (with the degradations generated pictures show; cached, "
        "or --classifier FILE) and a simple judge beside it. "
        "Sharpness and diversity are measured at 128 px; where metadata.csv has intensity, count, source_x and pan "
        "columns, a small regressor trained on the same real pictures (cached) tells how the pictures follow them. "
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
    parser.add_argument("--diversity-seeds", type=int, default=4, metavar="K",
                        help="pictures per clip (seeds N + i onwards) for the diversity across seeds; 0 skips it "
                        "(default: 4)")
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
    from a2i_studio.errors import ParamError
    from a2i_studio.evaluation import (
        attribute_following,
        diversity_metrics,
        evaluate_pairs,
        field_metrics,
        real_diversity,
        sharpness_metrics,
        write_html_report,
    )
    from a2i_studio.training import write_json

    if args.diversity_seeds == 1 or args.diversity_seeds < 0:
        raise ParamError(f"--diversity-seeds {args.diversity_seeds}: diversity compares at least 2 seeds per clip; "
                         "give 2 or more, or 0 to skip it.")
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
        regressor = _regressor(args, splits["train"], items, report)
        real = real_diversity(items)
        if regressor is not None:
            ceiling = attribute_following(items, [_picture(item.image) for item in items if item.image], regressor)
            real.update({f"{key}_real": value for key, value in ceiling.items()})
        for run in runs:
            params = run.param_sets[0]
            # evaluate_pairs generates in order, once per pair: clip i gets seed + i, so the samples are
            # independent (one seed for all would move every class together), and the same for every chain.
            # With --diversity-seeds K, clip i's pictures have seeds seed + i onwards; the first is the one scored
            # (a picture depends on its own seed alone, whatever n is).
            seeds = iter(range(args.seed, args.seed + len(items)))
            seed_images: list[list[Any]] = []

            def generate(item: Any, chain: str = run.chain, params: Any = params, seeds: Any = seeds,
                         seed_images: list[list[Any]] = seed_images) -> Any:
                request = GenerationRequest(audio=item.audio, chain=chain, seed=next(seeds),
                                            n=max(1, args.diversity_seeds), params=params)
                images = [result.image for result in engine.generate(request)]
                seed_images.append(images)
                return images[0]

            def on_item(done: int, total: int, chain: str = run.chain) -> None:
                report(Progress(done, total, f"generating with {chain}"))

            result = evaluate_pairs(items, generate, classifier, on_item, bins=args.bins, judge=judge)
            parts = [field_metrics(result.scores, judges), sharpness_metrics(result.scores), real]
            if args.diversity_seeds:
                parts.append(diversity_metrics(items, seed_images))
            if regressor is not None:
                parts.append(attribute_following(items, [image for image, *_ in seed_images], regressor))
            summaries.append({"chain": run.chain, "params": params, **result.summary(), **_merged(parts)})
            all_scores.append(result.scores)
    meta = {"data": str(dataset.root), "split": args.split, "pairs": len(items), "seed": args.seed,
            "seeds": "seed + clip index", "classifier_accuracy_real": accuracies,
            "regressor_attributes": [] if regressor is None else regressor.attributes}
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


def _regressor(args: argparse.Namespace, train: Any, items: list[Any], report: Any) -> Any:
    """The attribute regressor (cached by its training data), or ``None`` where no attribute can be measured."""
    from a2i_studio import config
    from a2i_studio.datasets import read_dataset
    from a2i_studio.evaluation import AttributeRegressor, regressor_attributes, regressor_key, train_regressor

    if args.classifier_data is not None:
        train = read_dataset(args.classifier_data).split(args.split_seed, args.val_fraction, args.test_fraction)[0]
    wanted = {"intensity", "count", "pan"}
    if not regressor_attributes(train) or not any(wanted & item.attributes.keys() for item in items):
        return None
    path = config.cache_dir() / "regressors" / f"{regressor_key(train)}.safetensors"
    if path.is_file():
        return AttributeRegressor.load(path)
    regressor = train_regressor(
        train, on_epoch=lambda epoch, total, loss: report(Progress(epoch, total, f"regressor loss {loss:.3f}"))
    )
    regressor.save(path)
    print(f"trained the attribute regressor ({', '.join(regressor.attributes)}) on {len(train)} pictures; "
          f"saved to {path}", file=sys.stderr)
    return regressor


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The summaries' keys together, their ``per_label`` tables joined."""
    merged: dict[str, Any] = {}
    per_label: dict[str, Any] = {}
    for part in parts:
        merged.update({key: value for key, value in part.items() if key != "per_label"})
        per_label.update(part.get("per_label", {}))
    return {**merged, "per_label": per_label} if per_label else merged


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
    _print_following(summaries, width)


def _print_following(summaries: list[dict[str, Any]], width: int) -> None:
    """Spearman per attribute and class: per chain on its pictures, then on the real ones (the ceiling)."""
    real: dict[str, dict[str, float]] = summaries[0].get("attribute_following_real", {}) if summaries else {}
    generated = [summary.get("attribute_following", {}) for summary in summaries]
    for name in dict.fromkeys([*real, *(name for following in generated for name in following)]):
        labels = set(real.get(name, {})).union(*(following.get(name, {}) for following in generated))
        for label in sorted(labels):
            values = "".join(_number(following.get(name, {}).get(label), width) for following in generated)
            title = f"  rho {name} {label}"
            print(f"{title:<28}{values}{_number(real.get(name, {}).get(label), 7)} real")


def _number(value: float | None, width: int) -> str:
    return " " * width if value is None else f"{value:>{width}.3f}"
