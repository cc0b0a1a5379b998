"""A batch's report (JSON and CSV) and its contact sheets (PNG grids and an HTML page with the recipes)."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from a2i_studio.batch._jobs import BatchJob
from a2i_studio.batch._run import JobOutcome
from a2i_studio.files import atomic_write, atomic_write_json

__all__ = ["SheetLayout", "report_rows", "summarise", "write_contact_sheets", "write_report"]

SheetLayout = Literal["chain", "clip"]
_CELL = 128
_LABEL_WIDTH = 220
_HEADER = 28
_FIELDS = ("index", "audio", "start", "end", "chain", "params_name", "params", "seed", "status", "path", "reason",
           "seconds")


def summarise(outcomes: Sequence[JobOutcome]) -> dict[str, int]:
    """``{"jobs": N, "made": n, "skipped": n, "failed": n}``."""
    counts = {"jobs": len(outcomes), "made": 0, "skipped": 0, "failed": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts


def report_rows(outcomes: Sequence[JobOutcome]) -> list[dict[str, Any]]:
    """One JSON-ready row per job: what it was, what became of it, and why it failed."""
    return [
        {
            "index": outcome.job.index,
            "audio": str(outcome.job.clip.audio),
            "start": outcome.job.clip.start,
            "end": outcome.job.clip.end,
            "chain": outcome.job.chain,
            "params_name": outcome.job.params_name,
            "params": outcome.job.params,
            "seed": outcome.job.seed,
            "status": outcome.status,
            "path": None if outcome.path is None else str(outcome.path),
            "reason": outcome.reason,
            "seconds": round(outcome.seconds, 3),
        }
        for outcome in outcomes
    ]


def write_report(outcomes: Sequence[JobOutcome], folder: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.csv`` into ``folder``; returns both paths."""
    rows = report_rows(outcomes)
    json_path, csv_path = folder / "report.json", folder / "report.csv"
    atomic_write_json(json_path, {**summarise(outcomes), "outcomes": rows})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_FIELDS)
    writer.writeheader()
    writer.writerows({**row, "params": json.dumps(row["params"], sort_keys=True)} for row in rows)
    atomic_write(csv_path, buffer.getvalue())
    return json_path, csv_path


def write_contact_sheets(outcomes: Sequence[JobOutcome], folder: Path, layout: SheetLayout = "chain") -> Path:
    """One PNG grid per chain (rows: clips) or per clip (rows: chains), and ``index.html`` over them all.

    Each cell is the image's thumbnail (grey where the job failed); the HTML page
    shows the same grids from the gallery's PNGs with every image's recipe.

    Returns:
        The HTML page.
    """
    group, row, column = _keys(layout)
    groups: dict[str, list[JobOutcome]] = {}
    for outcome in outcomes:
        groups.setdefault(group(outcome.job), []).append(outcome)
    sections = []
    for name, members in groups.items():
        rows = list(dict.fromkeys(row(outcome.job) for outcome in members))
        columns = list(dict.fromkeys(column(outcome.job) for outcome in members))
        cells = {(row(outcome.job), column(outcome.job)): outcome for outcome in members}
        sheet = folder / "sheets" / f"{_slug(name)}.png"
        _write_sheet(sheet, rows, columns, cells)
        sections.append(_html_section(name, rows, columns, cells, sheet, folder))
    page = folder / "index.html"
    counts = summarise(outcomes)
    summary = ", ".join(f"{counts[key]} {key}" for key in ("made", "skipped", "failed"))
    atomic_write(
        page,
        "<!doctype html><html><head><meta charset='utf-8'><title>a2i batch</title><style>"
        "body{font-family:sans-serif}td{vertical-align:top;padding:4px}img{width:128px;image-rendering:pixelated}"
        "pre{font-size:11px;max-width:360px;white-space:pre-wrap}.failed{color:#a00;max-width:128px}</style>"
        f"</head><body><h1>a2i batch</h1><p>{counts['jobs']} jobs: {summary}. "
        "<a href='report.json'>report.json</a> · <a href='report.csv'>report.csv</a></p>"
        + "".join(sections) + "</body></html>\n",
    )
    return page


def _keys(layout: SheetLayout) -> tuple[Callable[[BatchJob], str], ...]:
    def clip(job: BatchJob) -> str:
        return job.clip.describe()

    def chain(job: BatchJob) -> str:
        return job.chain if job.params_name == "defaults" else f"{job.chain} · {job.params_name}"

    if layout == "chain":
        return (lambda job: job.chain, clip, lambda job: f"{job.params_name} · seed {job.seed}")
    return (clip, chain, lambda job: f"seed {job.seed}")


def _write_sheet(path: Path, rows: list[str], columns: list[str], cells: dict[tuple[str, str], JobOutcome]) -> None:
    from PIL import Image, ImageDraw

    sheet = Image.new("RGB", (_LABEL_WIDTH + _CELL * len(columns), _HEADER + _CELL * len(rows)), "white")
    draw = ImageDraw.Draw(sheet)
    for x, title in enumerate(columns):
        draw.text((_LABEL_WIDTH + x * _CELL + 4, 8), title[:22], fill="black")
    for y, title in enumerate(rows):
        top = _HEADER + y * _CELL
        draw.text((4, top + _CELL // 2 - 6), title[:36], fill="black")
        for x, column in enumerate(columns):
            outcome = cells.get((title, column))
            box = (_LABEL_WIDTH + x * _CELL, top)
            if outcome is not None and outcome.path is not None and outcome.path.is_file():
                with Image.open(outcome.path) as image:
                    sheet.paste(image.convert("RGB").resize((_CELL - 4, _CELL - 4), Image.Resampling.BOX), box)
            else:
                draw.rectangle((*box, box[0] + _CELL - 4, box[1] + _CELL - 4), fill=(200, 200, 200))
                if outcome is not None:
                    draw.text((box[0] + 6, box[1] + 6), outcome.status, fill=(160, 0, 0))
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    atomic_write(path, buffer.getvalue())


def _html_section(
    name: str, rows: list[str], columns: list[str], cells: dict[tuple[str, str], JobOutcome], sheet: Path, folder: Path
) -> str:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = []
    for row in rows:
        tds = []
        for column in columns:
            outcome = cells.get((row, column))
            if outcome is None:
                tds.append("<td></td>")
            elif outcome.path is None:
                tds.append(f"<td class='failed'>{html.escape(outcome.reason)}</td>")
            else:
                recipe = html.escape(json.dumps(outcome.recipe, indent=1, sort_keys=True))
                source = html.escape(_relative(outcome.path, folder))
                tds.append(
                    f"<td><a href='{source}'><img src='{source}' alt='{html.escape(outcome.job.describe())}'></a>"
                    f"<details><summary>{outcome.status}</summary><pre>{recipe}</pre></details></td>"
                )
        body.append(f"<tr><th>{html.escape(row)}</th>{''.join(tds)}</tr>")
    link = html.escape(_relative(sheet, folder))
    return (
        f"<h2>{html.escape(name)}</h2><p><a href='{link}'>contact sheet (PNG)</a></p>"
        f"<table><tr><th></th>{head}</tr>{''.join(body)}</table>"
    )


def _relative(path: Path, folder: Path) -> str:
    try:
        return os.path.relpath(path.resolve(), folder.resolve())
    except ValueError:  # another drive (Windows)
        return path.resolve().as_uri()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "sheet"
