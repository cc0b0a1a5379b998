"""``a2i render``: a clip's sound, through a chain, as a video with the sound in it; and re-rendering a video."""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from typing import Any

from a2i_studio.cli._common import load_plugins, parse_param_options, print_json, progress_bar
from a2i_studio.cli._video_options import add_video_options, video_settings

__all__ = ["register", "rerun_video"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``render``."""
    render = subparsers.add_parser("render", help="render a clip's sound through a chain as a video")
    render.add_argument("audio", type=Path, metavar="AUDIO", help="audio or video file")
    render.add_argument("--out", type=Path, required=True, metavar="PATH",
                        help="clip.mp4 (H.264 + AAC), clip.webm (VP9 + Opus), clip.gif, or a folder for PNGs")
    render.add_argument("--chain", default=None,
                           help="encoder>adapter>generator (default: the bundled mfcc-stereo>aegan-sharp)")
    render.add_argument("--start", type=float, default=None, metavar="S", help="segment start, seconds")
    render.add_argument("--end", type=float, default=None, metavar="S", help="segment end, seconds")
    add_video_options(render)
    render.add_argument("--seed", type=int, default=None, metavar="N", help="seed of the frames (default: random)")
    render.add_argument("--param", action="append", default=[], metavar="K=V", help="component parameter, repeatable")
    render.add_argument("--codec", default=None, help="video codec: h264 or hevc (mp4), vp9 or vp8 (webm)")
    render.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:N or mps")
    render.add_argument("--keep-cache", action="store_true", help="keep the frame cache after the video is written")
    render.add_argument("--json", action="store_true", help="print the result as JSON")
    render.set_defaults(func=_run_render)


def _run_render(args: argparse.Namespace) -> int:
    from a2i_studio.core import parse_chain
    from a2i_studio.engine import DEFAULT_CHAIN
    from a2i_studio.frames import RenderRequest

    settings = video_settings(args)
    manager = load_plugins(args)
    chain = args.chain or DEFAULT_CHAIN
    request = RenderRequest(
        audio=args.audio,
        out=args.out,
        chain=chain,
        settings=settings,
        seed=secrets.randbelow(2**31) if args.seed is None else args.seed,
        start=args.start,
        end=args.end,
        params=parse_param_options(args.param, parse_chain(chain, manager.registry).components),
        device=args.device,
        codec=args.codec,
        keep_cache=args.keep_cache,
    )
    return _render(manager, request, args.json)


def rerun_video(args: argparse.Namespace) -> int:
    """``a2i rerun`` for a video, a PNG-sequence folder, a sidecar or a gallery poster: render it again.

    The new video goes to ``--out DIR`` under the original's name, or beside the original as
    ``NAME-rerun``; it prints whether its frames are identical to the original's.
    """
    from a2i_studio.frames import read_video_recipe, request_from_video_recipe
    from a2i_studio.gallery import VIDEO_FILE_KEY, read_recipe

    recipe = read_recipe(args.image) if args.image.suffix.lower() == ".png" else read_video_recipe(args.image)
    original = Path(recipe.get(VIDEO_FILE_KEY) or args.image)
    folder = args.out or original.parent
    out = folder / (original.name if args.out else f"{original.stem}-rerun{original.suffix}")
    request = request_from_video_recipe(recipe, out, audio=args.audio, device=args.device, source=args.image.name)
    return _render(load_plugins(args), request, args.json, recipe.get("frames_sha256"))


def _render(manager: Any, request: Any, as_json: bool, known_sha256: str | None = None) -> int:
    from a2i_studio.engine import Engine
    from a2i_studio.frames import render
    from a2i_studio.gallery import Gallery

    engine = Engine(manager.registry)
    with progress_bar() as report:
        result = render(engine, request, progress=report)
    if result.path is None:  # another process of a distributed render: the main one writes and reports
        return 0
    if result.poster is not None:
        Gallery().add_video(result.poster, result.recipe, result.path)
    row: dict[str, Any] = {"path": str(result.path), "frames": result.frames, "reused": result.reused,
                           "frames_sha256": result.frames_sha256, "seed": result.recipe["seed"]}
    if known_sha256 is not None:
        row["identical"] = known_sha256 == result.frames_sha256
    if as_json:
        print_json(row)
        return 0
    if "identical" in row:
        print(f"identical frames: {'yes' if row['identical'] else 'no'}")
    if result.reused:
        print(f"{result.reused} of {result.frames} frames came from an earlier run's frame cache.", file=sys.stderr)
    print(result.path)
    return 0

