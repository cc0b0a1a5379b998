"""``a2i generate``, ``a2i rerun`` and ``a2i chains``."""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

from a2i_studio.cli._common import load_plugins, parse_param_options, print_json, progress_bar
from a2i_studio.cli._render import rerun_video
from a2i_studio.errors import ParamError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``generate``, ``rerun`` and ``chains``."""
    generate = subparsers.add_parser("generate", help="make images from a sound")
    generate.add_argument("audio", type=Path, metavar="AUDIO", help="audio or video file")
    generate.add_argument("--chain", default=None,
                             help="encoder>adapter>generator (default: the bundled mfcc-stereo>aegan-sharp)")
    generate.add_argument("--start", type=float, default=None, metavar="S", help="segment start, seconds")
    generate.add_argument("--end", type=float, default=None, metavar="S", help="segment end, seconds")
    generate.add_argument("--seed", type=_seed, default=None, metavar="N", help="first image's seed (default: random)")
    generate.add_argument("-n", type=int, default=1, metavar="N", help="number of images (seeds N, N+1, ...)")
    generate.add_argument("--param", action="append", default=[], metavar="K=V", help="component parameter, repeatable")
    generate.add_argument(
        "--mix", action="append", type=_file_share, default=[], metavar="FILE:W",
        help="mix another sound's embedding in with share W (0-1), repeatable",
    )
    generate.add_argument(
        "--image", type=_file_share, default=None, metavar="FILE:W",
        help="mix a reference image in with weight W (generators with image and image_weight params)",
    )
    generate.add_argument("--out", type=Path, default=None, metavar="DIR", help="also copy the images to DIR")
    generate.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:N or mps")
    generate.add_argument("--json", action="store_true", help="print results as JSON")
    generate.set_defaults(func=_run_generate)

    rerun = subparsers.add_parser("rerun", help="reproduce an image or a video from the recipe inside it")
    rerun.add_argument("image", type=Path, metavar="IMAGE.png|VIDEO")
    rerun.add_argument("--audio", type=Path, default=None, help="the source audio, if it moved")
    rerun.add_argument("--device", default=None, help="override the recorded device")
    rerun.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="also copy the image to DIR; a video is written there (default: beside it, NAME-rerun)")
    rerun.add_argument("--json", action="store_true", help="print the result as JSON")
    rerun.set_defaults(func=_run_rerun)

    chains = subparsers.add_parser("chains", help="list the runnable encoder>adapter>generator chains")
    chains.add_argument("--all", action="store_true", help="also chains that cannot run yet, with the next step")
    chains.add_argument("--json", action="store_true", help="print as JSON")
    chains.set_defaults(func=_run_chains)


def _run_generate(args: argparse.Namespace) -> int:
    from a2i_studio.core import parse_chain
    from a2i_studio.engine import DEFAULT_CHAIN, Engine, GenerationRequest
    from a2i_studio.gallery import Gallery

    if args.n < 1:
        raise ParamError(f"-n {args.n} asks for no images; use 1 or more.")
    manager = load_plugins(args)
    chain_id = args.chain or DEFAULT_CHAIN
    chain = parse_chain(chain_id, manager.registry)
    params = parse_param_options(args.param, chain.components)
    if args.image is not None:
        image_params = {param.name for param in chain.generator.params}
        if not {"image", "image_weight"} <= image_params:
            raise ParamError(f"--image: generator {chain.generator.id} takes no reference image; drop --image.")
        image, weight = args.image
        params.setdefault(chain.generator.id, {}).update({"image": str(image.absolute()), "image_weight": weight})
    request = GenerationRequest(
        audio=args.audio,
        chain=chain_id,
        seed=secrets.randbelow(2**31) if args.seed is None else args.seed,
        n=args.n,
        start=args.start,
        end=args.end,
        params=params,
        device=args.device,
        mix=tuple(args.mix),
    )
    engine = Engine(manager.registry, Gallery())
    with progress_bar() as report:
        results = engine.generate(request, progress=report)
    return _report(results, args.out, args.json)


def _run_rerun(args: argparse.Namespace) -> int:
    from PIL import Image, ImageChops

    from a2i_studio.engine import Engine, request_from_recipe
    from a2i_studio.frames import is_video
    from a2i_studio.gallery import Gallery, read_recipe

    if is_video(args.image):
        return rerun_video(args)
    recipe = read_recipe(args.image)
    if "video" in recipe:  # a video's poster in the gallery: render the video again
        return rerun_video(args)
    request = request_from_recipe(recipe, args.audio, source=args.image.name)
    if args.device is not None:
        request = dataclasses.replace(request, device=args.device)
    manager = load_plugins(args)
    engine = Engine(manager.registry, Gallery())
    with progress_bar() as report:
        results = engine.generate(request, progress=report)
    with Image.open(args.image) as original:
        identical = ImageChops.difference(original.convert("RGB"), results[0].image).getbbox() is None
    if not args.json:
        print(f"identical to {args.image.name}: {'yes' if identical else 'no'}")
    return _report(results, args.out, args.json, extra={"identical": identical})


def _run_chains(args: argparse.Namespace) -> int:
    from a2i_studio import bundles

    registry = load_plugins(args).registry
    statuses = bundles.chain_statuses(registry, bundles.locate_all(registry))
    shown = statuses if args.all else [status for status in statuses if status.runnable]
    if args.json:
        print_json(
            [
                {
                    "id": status.chain_id,
                    "components": status.chain_id.split(">"),
                    "runnable": status.runnable,
                    "reason": status.reason,
                    "next_step": status.next_step,
                    "actions": [action.__dict__ for action in status.actions],
                }
                for status in shown
            ]
        )
        return 0
    if not shown:
        print("No runnable chains yet: 'a2i chains --all' lists every chain with its next step.")
    for status in shown:
        if status.runnable:
            generator = registry.get("generator", status.chain_id.split(">")[-1])
            print(f"{status.chain_id:40s} {generator.description if generator else ''}")
        else:
            print(f"{status.chain_id:40s} not yet: {status.reason} Next: {status.next_step}.")
    if not args.all and len(shown) < len(statuses):
        print(f"({len(statuses) - len(shown)} more need a download or a trained adapter: 'a2i chains --all'.)")
    return 0


def _report(results: list[Any], out: Path | None, as_json: bool, extra: dict[str, Any] | None = None) -> int:
    rows = []
    for result in results:
        path = result.item.path
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            copied = out / f"{Path(result.recipe['audio']['name']).stem}-{result.recipe['seed']}.png"
            shutil.copyfile(path, copied)
            path = copied
        rows.append({"path": str(path), "seed": result.recipe["seed"], "chain": result.recipe["chain"]})
    for warning in results[0].warnings if results else ():
        print(f"warning: {warning}", file=sys.stderr)
    if as_json:
        print_json({"images": rows, **(extra or {})})
    else:
        for row in rows:
            print(row["path"])
    return 0


def _file_share(text: str) -> tuple[Path, float]:
    """``FILE:W`` -> (path, weight); split on the last colon so Windows drive letters survive."""
    name, separator, weight = text.rpartition(":")
    try:
        if not separator or not name:
            raise ValueError
        return Path(name), float(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} should read FILE:WEIGHT, e.g. birds.wav:0.3") from None


def _seed(text: str) -> int:
    """``--seed``: a whole number from 0 to 2^63 - 1 (a usage error otherwise)."""
    from a2i_studio.recipes import check_seed

    try:
        return check_seed(int(text), "--seed")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; use e.g. --seed 42") from None
    except ParamError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
