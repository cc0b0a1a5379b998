"""Store a trained AE-GAN in float16 for a2i_resources/aegan/ and print what its WeightSpec needs.

Run from the repository root::

    python packaging/bundle_aegan.py runs/aegan-sharp/aegan.safetensors \
        a2i_resources/aegan/aegan-sharp-soundscapes-128.safetensors

It reads the model ``a2i train aegan`` wrote (float32), writes the same network
and metadata in float16 (``save_model(..., half=True)``) and prints the file's
size, sha256 and parameter count.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import load_file

from a2i_plugins.aegan._config import AeganConfig
from a2i_plugins.aegan._network import AeganNet, save_model
from a2i_studio.files import atomic_write, sha256_file


def main() -> None:
    """Convert, then print size, sha256 and parameters."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="the trainer's aegan.safetensors")
    parser.add_argument("out", type=Path, help="the float16 file to write")
    args = parser.parse_args()
    with safe_open(str(args.model), framework="pt") as handle:
        metadata = handle.metadata() or {}
    net = AeganNet(AeganConfig.from_json(json.loads(metadata["config"])))
    net.load_state_dict({key: value.float() for key, value in load_file(str(args.model)).items()})
    atomic_write(args.out, lambda temp: save_model(temp, net, json.loads(metadata["info"]), half=True))
    parameters = sum(parameter.numel() for parameter in net.parameters())
    print(f"{args.out}: {args.out.stat().st_size:,} bytes, sha256 {sha256_file(args.out)}, {parameters:,} parameters")


if __name__ == "__main__":
    main()
