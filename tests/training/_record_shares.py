"""``python _record_shares.py FOLDER a2i-arguments...``: run ``a2i`` and record each pixel training step's items.

Used by the multi-process test: every process writes ``FOLDER/shares-RANK.json``,
a list of ``[step index, [items this process trained on]]``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from a2i_plugins.pixel_transformer._training import PixelLoop
from a2i_studio.cli import main

record: list[list[Any]] = []
train_step = PixelLoop.train_step


def recording(self: PixelLoop, step: Any) -> float:
    record.append([step.index, [int(item) for item in step.share(step.batch)]])
    return train_step(self, step)


PixelLoop.train_step = recording  # type: ignore[method-assign]
code = main(sys.argv[2:])
Path(sys.argv[1], f"shares-{os.environ.get('RANK', '0')}.json").write_text(json.dumps(record))
sys.exit(code)
